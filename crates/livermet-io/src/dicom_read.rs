//! A folder holding one DICOM series -> [`Volume`] (3D, or 4D for DWI).
//!
//! Geometry (DICOM PS3.3 C.7.6.2.1.1): the pixel at column `c`, row `r` of a slice lies at
//! `IPP + c * Δc * F_row + r * Δr * F_col` (LPS mm), where `F_row`, `F_col` are the two halves of
//! ImageOrientationPatient and PixelSpacing = `[Δr, Δc]`. Slices are sorted by their position
//! along the normal `F_row × F_col`; the third affine column is the step between the first and
//! last slice positions divided by `nz - 1` (or normal × SpacingBetweenSlices/SliceThickness for
//! one slice). LPS becomes RAS by negating the x and y rows. Voxel index `i` is the column, `j` the
//! row, `k` the slice, so a decoded slice (row by row) is already `i`-fastest.
//!
//! Several images at one position make a 4D series (DWI): they are ordered by b-value, then
//! temporal position, acquisition number and instance number; every position must hold the
//! same number of images and the same b-values.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::dicom_tags::{
    SliceFile, SliceGeometry, bvalue, frame_order, geometry, has_dicm_magic, open_slice, pixels,
};
use crate::error::{IoError, read_error};
use crate::volume::{Affine, Volume};

/// Positions closer than this along the normal are the same slice position (mm).
const SAME_POSITION_MM: f64 = 0.01;

/// A DICOM series read from a folder: the volume and, when its files carry them, b-values.
pub(crate) struct DicomSeries {
    pub volume: Volume,
    pub bvals: Option<Vec<f64>>,
}

/// True when `path` is a folder holding at least one DICOM Part 10 file ("DICM" at byte 128).
pub fn is_dicom_dir(path: &Path) -> bool {
    path.is_dir() && dicom_files(path).map(|f| !f.is_empty()).unwrap_or(false)
}

/// The DICOM Part 10 files directly in `dir` (hidden files skipped), sorted by name.
fn dicom_files(dir: &Path) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| read_error(dir, e))? {
        let p = entry.map_err(|e| read_error(dir, e))?.path();
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !hidden && p.is_file() && has_dicm_magic(&p) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Read the one series in `dir`.
pub(crate) fn read_dicom_series(dir: &Path) -> Result<DicomSeries, IoError> {
    if !dir.exists() {
        return Err(IoError::NotFound { path: dir.into() });
    }
    let mut slices = Vec::new();
    for p in dicom_files(dir)? {
        if let Some(s) = open_slice(&p)? {
            slices.push(s);
        }
    }
    if slices.is_empty() {
        return Err(IoError::EmptyDicomFolder { path: dir.into() });
    }
    let series: BTreeSet<&str> = slices.iter().map(|s| s.series.as_str()).collect();
    if series.len() > 1 {
        return Err(IoError::MultipleSeries {
            path: dir.into(),
            count: series.len(),
        });
    }
    same_instance_twice(dir, &slices)?;
    assemble(dir, slices)
}

/// A file copied under a second name holds the same SOPInstanceUID: say so, rather than let it
/// look like an extra frame at one position. Files are in name order, so `first` sorts first.
fn same_instance_twice(dir: &Path, slices: &[SliceFile]) -> Result<(), IoError> {
    let mut seen: std::collections::HashMap<&str, &Path> = std::collections::HashMap::new();
    for s in slices.iter().filter(|s| !s.instance.is_empty()) {
        if let Some(first) = seen.insert(&s.instance, &s.path) {
            return Err(IoError::DuplicateSlice {
                path: dir.into(),
                first: first.into(),
                second: s.path.clone(),
                why: "the same SOPInstanceUID",
            });
        }
    }
    Ok(())
}

/// One image of the series with what sorting needs.
struct Placed {
    file: SliceFile,
    geo: SliceGeometry,
    /// Position along the slice normal, mm.
    along: f64,
    bval: Option<f64>,
    order: [i64; 3],
}

fn assemble(dir: &Path, slices: Vec<SliceFile>) -> Result<DicomSeries, IoError> {
    let first_geo = geometry(&slices[0])?;
    let normal = cross(&first_geo.iop);
    let mut placed = Vec::with_capacity(slices.len());
    for file in slices {
        let geo = geometry(&file)?;
        if geo
            .iop
            .iter()
            .zip(first_geo.iop)
            .any(|(a, b)| (a - b).abs() > 1e-4)
        {
            return Err(inconsistent(
                dir,
                "images have different ImageOrientationPatient",
            ));
        }
        if geo
            .pixel_spacing
            .iter()
            .zip(first_geo.pixel_spacing)
            .any(|(a, b)| (a - b).abs() > 1e-4)
        {
            return Err(inconsistent(dir, "images have different PixelSpacing"));
        }
        let along = dot(&geo.ipp, &normal);
        let (bval, order) = (bvalue(&file), frame_order(&file));
        placed.push(Placed {
            file,
            geo,
            along,
            bval,
            order,
        });
    }
    placed.sort_by(|a, b| {
        a.along
            .total_cmp(&b.along)
            .then(a.bval.unwrap_or(0.0).total_cmp(&b.bval.unwrap_or(0.0)))
            .then(a.order.cmp(&b.order))
            .then(a.file.path.cmp(&b.file.path))
    });
    let stacks = group_positions(placed);
    for s in &stacks {
        // Two images at one position with the same b-value and frame numbers are one image
        // exported twice (under another SOPInstanceUID), not two frames.
        if let Some(w) = s
            .windows(2)
            .find(|w| w[0].bval == w[1].bval && w[0].order == w[1].order)
        {
            return Err(IoError::DuplicateSlice {
                path: dir.into(),
                first: w[0].file.path.clone(),
                second: w[1].file.path.clone(),
                why: "the same position, b-value and instance number",
            });
        }
    }
    let frames = stacks[0].len();
    if let Some((k, bad)) = stacks.iter().enumerate().find(|(_, s)| s.len() != frames) {
        return Err(inconsistent(
            dir,
            &format!(
                "{} image(s) at the first slice position but {} at slice {} ({}): a file is missing, or one is extra",
                frames,
                bad.len(),
                k + 1,
                bad[0].file.path.display()
            ),
        ));
    }
    let bvals = frame_bvals(dir, &stacks)?;
    let affine = series_affine(dir, &stacks, normal)?;
    let volume = stack_pixels(dir, &stacks, affine)?;
    Ok(DicomSeries { volume, bvals })
}

/// Split the sorted images into stacks of images at the same position; within a stack the sort
/// already put them in frame order (b-value first).
fn group_positions(placed: Vec<Placed>) -> Vec<Vec<Placed>> {
    let mut stacks: Vec<Vec<Placed>> = Vec::new();
    for p in placed {
        match stacks.last_mut() {
            Some(s) if (p.along - s[0].along).abs() < SAME_POSITION_MM => s.push(p),
            _ => stacks.push(vec![p]),
        }
    }
    // Sorting was by position first, so images at one position may be interleaved with
    // position jitter below SAME_POSITION_MM; re-sort each stack by frame keys.
    for s in &mut stacks {
        s.sort_by(|a, b| {
            a.bval
                .unwrap_or(0.0)
                .total_cmp(&b.bval.unwrap_or(0.0))
                .then(a.order.cmp(&b.order))
                .then(a.file.path.cmp(&b.file.path))
        });
    }
    stacks
}

/// b-value of each frame (missing tags count as b = 0 when others have one), or `None` when no
/// image carries one. Every position must agree.
fn frame_bvals(dir: &Path, stacks: &[Vec<Placed>]) -> Result<Option<Vec<f64>>, IoError> {
    if !stacks.iter().flatten().any(|p| p.bval.is_some()) {
        return Ok(None);
    }
    let of = |s: &Vec<Placed>| {
        s.iter()
            .map(|p| p.bval.unwrap_or(0.0))
            .collect::<Vec<f64>>()
    };
    let first = of(&stacks[0]);
    for s in stacks {
        if of(s).iter().zip(&first).any(|(a, b)| (a - b).abs() > 1e-6) {
            return Err(inconsistent(dir, "slice positions hold different b-values"));
        }
    }
    Ok(Some(first))
}

/// Voxel -> RAS affine of the sorted stacks.
fn series_affine(dir: &Path, stacks: &[Vec<Placed>], normal: [f64; 3]) -> Result<Affine, IoError> {
    let g = &stacks[0][0].geo;
    let nz = stacks.len();
    let p0 = g.ipp;
    let step: [f64; 3] = if nz > 1 {
        let last = stacks[nz - 1][0].geo.ipp;
        let step: [f64; 3] = std::array::from_fn(|d| (last[d] - p0[d]) / (nz - 1) as f64);
        let len = dot(&step, &step).sqrt();
        let tol = (1e-2 * len).max(1e-3);
        for (k, s) in stacks.iter().enumerate() {
            let p = s[0].geo.ipp;
            if (0..3).any(|d| (p[d] - (p0[d] + k as f64 * step[d])).abs() > tol) {
                return Err(inconsistent(
                    dir,
                    "slices are unevenly spaced (a slice is missing?)",
                ));
            }
        }
        step
    } else {
        let spacing = g.slice_step.unwrap_or(1.0);
        normal.map(|n| n * spacing)
    };
    let [dr, dc] = g.pixel_spacing;
    let row_dir = [g.iop[0], g.iop[1], g.iop[2]];
    let col_dir = [g.iop[3], g.iop[4], g.iop[5]];
    let mut a = [[0.0; 4]; 4];
    for d in 0..3 {
        // LPS -> RAS: x and y change sign.
        let sign = if d < 2 { -1.0 } else { 1.0 };
        a[d][0] = sign * row_dir[d] * dc;
        a[d][1] = sign * col_dir[d] * dr;
        a[d][2] = sign * step[d];
        a[d][3] = sign * p0[d];
    }
    a[3][3] = 1.0;
    Ok(a)
}

/// Decode every image into the volume buffer: frame t, slice k at `(k + nz * t) * nx * ny`.
fn stack_pixels(dir: &Path, stacks: &[Vec<Placed>], affine: Affine) -> Result<Volume, IoError> {
    let (nz, frames) = (stacks.len(), stacks[0].len());
    let mut data: Vec<f32> = Vec::new();
    let mut grid = None;
    for t in 0..frames {
        for stack in stacks {
            let (rows, cols, px) = pixels(&stack[t].file)?;
            match grid {
                None => {
                    grid = Some((rows, cols));
                    data.reserve(rows * cols * nz * frames);
                }
                Some(g) if g != (rows, cols) => {
                    return Err(inconsistent(dir, "images have different Rows/Columns"));
                }
                _ => {}
            }
            data.extend_from_slice(&px);
        }
    }
    let (rows, cols) = grid.expect("at least one image");
    Ok(Volume::new([cols, rows, nz], frames, affine, data))
}

fn inconsistent(dir: &Path, reason: &str) -> IoError {
    IoError::InconsistentSeries {
        path: dir.into(),
        reason: reason.into(),
    }
}

fn cross(iop: &[f64; 6]) -> [f64; 3] {
    let (r, c) = ([iop[0], iop[1], iop[2]], [iop[3], iop[4], iop[5]]);
    [
        r[1] * c[2] - r[2] * c[1],
        r[2] * c[0] - r[0] * c[2],
        r[0] * c[1] - r[1] * c[0],
    ]
}

fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
