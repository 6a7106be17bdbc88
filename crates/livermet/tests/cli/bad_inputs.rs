//! The bad-input corpus (issue 12): malformed inputs for every reader and command, made here
//! from one tiny synthetic cohort and the small fixtures of fixtures/io. Each must give exit 2,
//! no panic, at most 3 lines on stderr naming the file, patient or key, nothing written (the
//! case's folder, where the output would go, lists the same before and after), and a canary
//! file beside the output intact. Hostile patient IDs (`..`, `.`, `a/b`, case-fold twins) run
//! through every command that writes per patient.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::{livermet, stderr};

const CANARY: &str = "canary: livermet must never touch this file\n";

/// Column indices of the cohort CSV (DESIGN.md "Files").
const ID: usize = 0;
const SLM: usize = 2;
const AGE: usize = 4;
const T2: usize = 8;
const T1: usize = 9;
const DWI: usize = 11;
const ROI: usize = 13;

/// One bad input: a command line run in `dir`, and what stderr must name.
struct Case {
    name: String,
    dir: PathBuf,
    args: Vec<String>,
    names: Vec<String>,
}

/// Every file and folder under `dir` (relative path -> size, or `None` for a folder), and the
/// canary's content.
fn listing(dir: &Path) -> (BTreeMap<PathBuf, Option<u64>>, Option<String>) {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<u64>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            if p.is_dir() {
                out.insert(rel, None);
                walk(root, &p, out);
            } else {
                out.insert(rel, Some(e.metadata().map_or(0, |m| m.len())));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    (out, std::fs::read_to_string(dir.join("canary.txt")).ok())
}

/// The tiny cohort every case is made from: its rows with absolute image paths (so a bad CSV can
/// live in any folder), a prepared primary cohort, its folds and a model bundle.
struct Corpus {
    root: PathBuf,
    header: String,
    rows: Vec<Vec<String>>,
    external: Vec<Vec<String>>,
    study: PathBuf,
    cases: Vec<Case>,
}

impl Corpus {
    /// A new case folder holding the canary.
    fn folder(&self, name: &str) -> PathBuf {
        let d = self.root.join("cases").join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("canary.txt"), CANARY).unwrap();
        d
    }

    fn add(&mut self, name: &str, dir: &Path, args: &[&str], names: &[&str]) {
        self.cases.push(Case {
            name: name.into(),
            dir: dir.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            names: names.iter().map(|s| s.to_string()).collect(),
        });
    }

    /// A cohort CSV of `rows` in `dir`.
    fn csv(&self, dir: &Path, name: &str, rows: &[Vec<String>]) -> PathBuf {
        let mut text = self.header.clone() + "\n";
        for r in rows {
            text += &r.join(",");
            text.push('\n');
        }
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A cohort case: `rows` as a CSV in a new folder, run through `validate` and `prepare`
    /// (both name `want`); prepare's output folder sits beside the canary.
    fn cohort_case(&mut self, name: &str, rows: Vec<Vec<String>>, want: &[&str]) {
        let d = self.folder(name);
        self.csv(&d, "cohort.csv", &rows);
        self.add(
            &format!("{name} (validate)"),
            &d,
            &["validate", "cohort.csv"],
            want,
        );
        self.add(
            &format!("{name} (prepare)"),
            &d,
            &["prepare", "cohort.csv", "--out", "prepared"],
            want,
        );
    }

    fn row(&self, i: usize) -> Vec<String> {
        self.rows[i].clone()
    }
}

/// `synth` a cohort, run a CF-only study on it (a real bundle and prepared cohort), and read its
/// rows with absolute image paths.
fn corpus(root: &Path) -> Corpus {
    let base = root.join("base");
    let o = livermet()
        .args(["synth", "--out"])
        .arg(&base)
        .args(["--primary", "10", "--external", "2", "--seed", "11"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        base.join("study.toml"),
        "primary = \"primary.csv\"\nmodels = [\"CF\"]\nfolds = 2\nseed = 3\n",
    )
    .unwrap();
    let o = livermet()
        .current_dir(&base)
        .args(["study", "study.toml", "--out", "study"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |name: &str| -> (String, Vec<Vec<String>>) {
        let text = std::fs::read_to_string(base.join(name)).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().to_string();
        let rows = lines
            .map(|l| {
                let mut cells: Vec<String> = l.split(',').map(String::from).collect();
                for c in T2..=ROI {
                    if !cells[c].is_empty() {
                        cells[c] = base.join(&cells[c]).display().to_string();
                    }
                }
                cells
            })
            .collect();
        (header, rows)
    };
    let (header, rows) = read("primary.csv");
    let (_, external) = read("external.csv");
    Corpus {
        root: root.into(),
        header,
        rows,
        external,
        study: base.join("study"),
        cases: Vec::new(),
    }
}

/// A small NIfTI-1 (uncompressed, float32, sform and qform) for header surgery.
fn small_nifti(path: &Path) -> Vec<u8> {
    let a = [
        [0.7, 0.0, 0.0, -10.0],
        [0.0, 0.7, 0.0, -8.0],
        [0.0, 0.0, 3.0, 5.0],
        [0.0, 0.0, 0.0, 1.0],
    ];
    let data: Vec<f32> = (0..8 * 8 * 4).map(|n| 100.0 + n as f32).collect();
    livermet_io::write_nifti(&livermet_io::Volume::new([8, 8, 4], 1, a, data), path).unwrap();
    std::fs::read(path).unwrap()
}

/// `bytes` with `value` written at `offset`.
fn patched(bytes: &[u8], offset: usize, value: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[offset..offset + value.len()].copy_from_slice(value);
    b
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// In every file of a DICOM folder, overwrite the DS value of `tag` (explicit VR little endian)
/// with `value`, padded with spaces to the stored length.
fn patch_dicom_ds(dir: &Path, tag: [u8; 4], value: &str) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let mut b = std::fs::read(e.path()).unwrap();
        let key = [tag[0], tag[1], tag[2], tag[3], b'D', b'S'];
        let at = b
            .windows(6)
            .position(|w| w == key)
            .expect("tag in the file");
        let len = u16::from_le_bytes([b[at + 6], b[at + 7]]) as usize;
        let mut v = value.as_bytes().to_vec();
        assert!(v.len() <= len, "value longer than the stored one");
        v.resize(len, b' ');
        b[at + 8..at + 8 + len].copy_from_slice(&v);
        std::fs::write(e.path(), b).unwrap();
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/io")
}

/// NIfTI and DICOM readers, through `image info` (which only reads).
fn image_cases(c: &mut Corpus) {
    let d = c.folder("nifti");
    let good = small_nifti(&d.join("good.nii"));
    let nifti = |c: &mut Corpus, name: &str, bytes: Vec<u8>, want: &str| {
        let file = format!("{name}.nii");
        std::fs::write(d.join(&file), bytes).unwrap();
        c.add(
            &format!("nifti {name}"),
            &d,
            &["image", "info", &file],
            &[&file, want],
        );
    };
    nifti(
        c,
        "truncated",
        good[..good.len() - 100].to_vec(),
        "truncated",
    );
    nifti(c, "header_cut", good[..200].to_vec(), "shorter than");
    nifti(
        c,
        "sizeof_hdr",
        patched(&good, 0, &[1, 2, 3, 4]),
        "sizeof_hdr",
    );
    nifti(
        c,
        "dim0_9",
        patched(&good, 40, &9i16.to_le_bytes()),
        "header",
    );
    nifti(
        c,
        "dim_zero",
        patched(&good, 44, &0i16.to_le_bytes()),
        "header",
    );
    nifti(
        c,
        "datatype_77",
        patched(&good, 70, &77i16.to_le_bytes()),
        "datatype",
    );
    nifti(
        c,
        "complex",
        patched(&good, 70, &32i16.to_le_bytes()),
        "complex",
    );
    nifti(c, "magic", patched(&good, 344, b"xxxx"), "magic");
    nifti(c, "pair_magic", patched(&good, 344, b"ni1\0"), ".hdr/.img");
    nifti(
        c,
        "vox_offset",
        patched(&good, 108, &0f32.to_le_bytes()),
        "vox_offset",
    );
    nifti(
        c,
        "vox_offset_huge",
        patched(&good, 108, &1e12f32.to_le_bytes()),
        "truncated",
    );
    // Both affines unusable: sform singular (srow_z zero), then the qform's quaternion too long.
    let sform0 = patched(&good, 280 + 32, &[0u8; 16]);
    nifti(c, "sform_singular", sform0, "sform");
    let qonly = patched(&good, 254, &0i16.to_le_bytes());
    nifti(
        c,
        "quaternion_norm",
        patched(&qonly, 256, &2f32.to_le_bytes()),
        "quaternion",
    );
    nifti(
        c,
        "pixdim_zero",
        patched(&qonly, 80, &0f32.to_le_bytes()),
        "pixdim[1] is 0",
    );
    nifti(
        c,
        "pixdim_nan",
        patched(&qonly, 84, &f32::NAN.to_le_bytes()),
        "pixdim[2] is NaN",
    );
    nifti(
        c,
        "pixdim_inf",
        patched(&qonly, 88, &f32::INFINITY.to_le_bytes()),
        "pixdim[3]",
    );
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend((0..200u32).map(|i| (i * 31 % 256) as u8));
    nifti(c, "garbage_gzip", gz, "gzip");
    std::fs::write(d.join("notes.png"), "not an image").unwrap();
    c.add(
        "not an image",
        &d,
        &["image", "info", "notes.png"],
        &["notes.png", "not an image"],
    );
    c.add(
        "missing file",
        &d,
        &["image", "info", "nothere.nii.gz"],
        &["nothere.nii.gz"],
    );
    std::fs::create_dir_all(d.join("empty")).unwrap();
    c.add(
        "empty folder",
        &d,
        &["image", "info", "empty"],
        &["empty", "no DICOM"],
    );
    let fx = fixtures();
    for (name, want) in [
        ("qform_zero_pixdim.nii", "pixdim[2] is 0"),
        ("qform_nan_pixdim.nii", "pixdim[3] is NaN"),
        ("sform_singular.nii", "sform"),
    ] {
        let p = fx.join("bad").join(name);
        c.add(
            &format!("fixture {name}"),
            &d,
            &["image", "info", p.to_str().unwrap()],
            &[name, want],
        );
    }

    // DICOM series: copies of an external patient's T2 series, then broken.
    let e = c.external[0][T2].clone();
    let series = |c: &Corpus, name: &str| -> PathBuf {
        let s = c.folder("dicom").join(name);
        copy_dir(Path::new(&e), &s);
        s
    };
    let dd = c.folder("dicom");
    let s = series(c, "missing_slice");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&s)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    std::fs::remove_file(&files[files.len() / 2]).unwrap();
    let s = series(c, "duplicate_copy");
    let first = files[0].file_name().unwrap().to_string_lossy().into_owned();
    std::fs::copy(s.join(&first), s.join(format!("zz_{first}"))).unwrap();
    let s = series(c, "garbage_file");
    let mut junk = vec![0u8; 128];
    junk.extend_from_slice(b"DICM");
    junk.extend((0..400u32).map(|i| (i * 37 % 251) as u8));
    std::fs::write(s.join("junk.dcm"), junk).unwrap();
    let s = series(c, "two_series");
    copy_dir(Path::new(&c.external[1][T2]), &s.join("other"));
    for f in std::fs::read_dir(s.join("other")).unwrap().flatten() {
        std::fs::rename(
            f.path(),
            s.join(format!("other_{}", f.file_name().to_string_lossy())),
        )
        .unwrap();
    }
    std::fs::remove_dir(s.join("other")).unwrap();
    let s = series(c, "orientation_zero");
    patch_dicom_ds(&s, [0x20, 0x00, 0x37, 0x00], "0\\0\\0\\0\\0\\0");
    let s = series(c, "spacing_zero");
    patch_dicom_ds(&s, [0x28, 0x00, 0x30, 0x00], "0\\0");
    for (name, want) in [
        ("missing_slice", "unevenly spaced"),
        ("duplicate_copy", "same slice"),
        ("garbage_file", "junk.dcm"),
        ("two_series", "2 DICOM series"),
        ("orientation_zero", "ImageOrientationPatient"),
        ("spacing_zero", "PixelSpacing (0028,0030) is 0\\0"),
    ] {
        c.add(
            &format!("dicom {name}"),
            &dd,
            &["image", "info", name],
            &[name, want],
        );
    }
    for (name, want) in [
        ("bad/dicom_spacing_zero", "PixelSpacing"),
        ("bad/dicom_duplicate_slice", "IM_0001_copy.dcm"),
        ("dicom/MR_truncated", "MR_truncated.dcm"),
        ("dicom/SC_rgb_jpeg_gdcm", "SC_rgb_jpeg_gdcm.dcm"),
        ("dicom/JPGExtended", "JPGExtended.dcm"),
        ("dicom/MR2_three_series", "3 DICOM series"),
        ("dicom/MR700", "ImageOrientationPatient"),
    ] {
        let p = fx.join(name);
        c.add(
            &format!("fixture {name}"),
            &dd,
            &["image", "info", p.to_str().unwrap()],
            &[want],
        );
    }
}

/// b-values and the image tools (adc, register, resample) on bad inputs.
fn tool_cases(c: &mut Corpus) {
    let d = c.folder("tools");
    let dwi = PathBuf::from(&c.rows[0][DWI]);
    std::fs::copy(&dwi, d.join("dwi.nii.gz")).unwrap();
    let frames = livermet_io::read_volume(&dwi).unwrap().frames;
    let bval = |name: &str, text: &str| {
        std::fs::write(d.join(name), text).unwrap();
    };
    bval("letters.bval", "0 500 abc\n");
    bval("empty.bval", "\n");
    bval(
        "negative.bval",
        &format!("0 -500{}\n", " 1000".repeat(frames - 2)),
    );
    bval(
        "nan.bval",
        &format!("0 nan{}\n", " 1000".repeat(frames - 2)),
    );
    bval("count.bval", "0 1000\n");
    for (name, want) in [
        ("letters.bval", "abc"),
        ("empty.bval", "empty"),
        ("negative.bval", "-500"),
        ("nan.bval", "NaN"),
        ("count.bval", "2 b-values for"),
    ] {
        c.add(
            &format!("bvals {name}"),
            &d,
            &[
                "image",
                "adc",
                "--dwi",
                "dwi.nii.gz",
                "--bvals",
                name,
                "--out",
                "adc.nii.gz",
            ],
            // A count mismatch is the DWI's (its volumes), so that message names the DWI.
            &[
                if name == "count.bval" {
                    "dwi.nii.gz"
                } else {
                    name
                },
                want,
            ],
        );
    }
    let lone = d.join("lone.nii.gz");
    std::fs::copy(&dwi, &lone).unwrap();
    c.add(
        "dwi without b-values",
        &d,
        &[
            "image",
            "adc",
            "--dwi",
            "lone.nii.gz",
            "--out",
            "adc.nii.gz",
        ],
        &["lone.nii.gz", "b-values"],
    );
    // NaN voxels: a T2 with three NaN and one infinite voxel.
    let mut t2 = livermet_io::read_volume(Path::new(&c.rows[0][T2])).unwrap();
    for i in [0, 17, 300] {
        t2.data[i] = f32::NAN;
    }
    t2.data[400] = f32::INFINITY;
    livermet_io::write_nifti(&t2, &d.join("t2_nan.nii.gz")).unwrap();
    let mut dwi_nan = livermet_io::read_volume(&dwi).unwrap();
    dwi_nan.data[5] = f32::NAN;
    livermet_io::write_nifti(&dwi_nan, &d.join("dwi_nan.nii.gz")).unwrap();
    std::fs::copy(dwi.with_file_name("dwi.bval"), d.join("dwi_nan.bval")).unwrap();
    let t1 = c.rows[0][T1].clone();
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "adc on NaN DWI",
            vec![
                "image",
                "adc",
                "--dwi",
                "dwi_nan.nii.gz",
                "--out",
                "adc.nii.gz",
            ],
            vec!["dwi_nan.nii.gz", "1 of"],
        ),
        (
            "register NaN fixed",
            vec![
                "image",
                "register",
                "--fixed",
                "t2_nan.nii.gz",
                "--moving",
                &t1,
                "--out",
                "reg.nii.gz",
            ],
            vec!["t2_nan.nii.gz", "4 of"],
        ),
        (
            "register missing moving",
            vec![
                "image",
                "register",
                "--fixed",
                &t1,
                "--moving",
                "nothere.nii.gz",
                "--out",
                "reg.nii.gz",
            ],
            vec!["nothere.nii.gz"],
        ),
        (
            "resample NaN input",
            vec![
                "image",
                "resample",
                "--input",
                "t2_nan.nii.gz",
                "--reference",
                &t1,
                "--out",
                "res.nii.gz",
            ],
            vec!["t2_nan.nii.gz", "NaN"],
        ),
        (
            "resample bad transform",
            vec![
                "image",
                "resample",
                "--input",
                &t1,
                "--reference",
                &t1,
                "--transform",
                "canary.txt",
                "--out",
                "res.nii.gz",
            ],
            vec!["canary.txt"],
        ),
    ];
    for (name, args, want) in cases {
        c.add(name, &d, &args, &want);
    }
}

/// Cohort CSVs through `validate` and `prepare`; hostile patient IDs also through `predict`
/// and `study`.
fn cohort_cases(c: &mut Corpus) {
    let d = c.folder("csv_files");
    std::fs::write(
        d.join("missing_column.csv"),
        c.header.replace(",cea_ng_ml", "") + "\n",
    )
    .unwrap();
    std::fs::write(d.join("no_rows.csv"), c.header.clone() + "\n").unwrap();
    std::fs::write(d.join("binary.csv"), [0u8, 159, 146, 150, 0, 255, 10, 13]).unwrap();
    for (name, want) in [
        ("missing_column.csv", "cea_ng_ml"),
        ("no_rows.csv", "no patient rows"),
        ("binary.csv", "binary.csv"),
        ("nothere.csv", "nothere.csv"),
    ] {
        c.add(
            &format!("csv {name}"),
            &d,
            &["validate", name],
            &[name, want],
        );
    }

    let with = |c: &Corpus, i: usize, col: usize, v: &str| {
        let mut r = c.row(i);
        r[col] = v.into();
        r
    };
    let id0 = c.rows[0][ID].clone();
    c.cohort_case("label 2", vec![with(c, 0, SLM, "2")], &[&id0, "slm"]);
    c.cohort_case("age text", vec![with(c, 0, AGE, "sixty")], &[&id0, "age"]);
    c.cohort_case(
        "duplicate id",
        vec![c.row(0), with(c, 1, ID, &id0)],
        &[&id0, "unique"],
    );
    c.cohort_case(
        "missing t1",
        vec![with(c, 0, T1, "/nonexistent/t1.nii.gz")],
        &[&id0, "t1.nii.gz"],
    );
    let t2_of_other = c.rows[1][T1].clone();
    let _ = t2_of_other;
    // An ROI on another grid: the DWI's first frame is on a coarser grid.
    let d2 = c.folder("cohort_images");
    let dwi = livermet_io::read_volume(Path::new(&c.rows[0][DWI])).unwrap();
    livermet_io::write_nifti(&dwi.frame(0), &d2.join("roi_off_grid.nii.gz")).unwrap();
    let mut roi = livermet_io::read_volume(Path::new(&c.rows[0][ROI])).unwrap();
    roi.data.iter_mut().for_each(|v| *v = 0.0);
    livermet_io::write_nifti(&roi, &d2.join("roi_empty.nii.gz")).unwrap();
    let mut t2 = livermet_io::read_volume(Path::new(&c.rows[0][T2])).unwrap();
    t2.data[123] = f32::NAN;
    t2.data[456] = f32::NEG_INFINITY;
    livermet_io::write_nifti(&t2, &d2.join("t2_nan.nii.gz")).unwrap();
    let img = |n: &str| d2.join(n).display().to_string();
    c.cohort_case(
        "roi off grid",
        vec![with(c, 0, ROI, &img("roi_off_grid.nii.gz"))],
        &[&id0, "roi_off_grid.nii.gz", "T2 grid"],
    );
    c.cohort_case(
        "roi empty",
        vec![with(c, 0, ROI, &img("roi_empty.nii.gz"))],
        &[&id0, "roi_empty.nii.gz", "empty"],
    );
    c.cohort_case(
        "t2 with NaN voxels",
        vec![with(c, 0, T2, &img("t2_nan.nii.gz"))],
        &[&id0, "t2_nan.nii.gz", "2 of"],
    );
    c.cohort_case(
        "dwi is 3D",
        vec![with(c, 0, DWI, &c.rows[0][T2].clone())],
        &[&id0, "dwi"],
    );
    c.cohort_case(
        "qform negative pixdim t2 on another grid",
        vec![with(
            c,
            0,
            T2,
            &fixtures()
                .join("bad/qform_negative_pixdim.nii")
                .display()
                .to_string(),
        )],
        &[&id0, "qform_negative_pixdim.nii"],
    );

    // Hostile patient IDs: never a path.
    let hostile: Vec<(&str, Vec<Vec<String>>, Vec<String>)> = vec![
        (
            "id dotdot",
            vec![with(c, 0, ID, ".."), c.row(1)],
            vec!["..".into()],
        ),
        (
            "id dot",
            vec![with(c, 0, ID, "."), c.row(1)],
            vec!["patient_id".into()],
        ),
        (
            "id slash",
            vec![with(c, 0, ID, "a/b"), c.row(1)],
            vec!["a/b".into()],
        ),
        (
            "id backslash",
            vec![with(c, 0, ID, "a\\b"), c.row(1)],
            vec!["path separator".into()],
        ),
        (
            "id control char",
            vec![with(c, 0, ID, "P\u{7}1"), c.row(1)],
            vec!["patient_id".into()],
        ),
        (
            "id empty",
            vec![with(c, 0, ID, ""), c.row(1)],
            vec!["patient_id".into()],
        ),
        (
            "ids case-fold twins",
            vec![with(c, 0, ID, "Pat1"), with(c, 1, ID, "PAT1")],
            vec!["Pat1".into(), "PAT1".into()],
        ),
    ];
    for (name, rows, want) in hostile {
        let want: Vec<&str> = want.iter().map(|s| s.as_str()).collect();
        c.cohort_case(name, rows.clone(), &want);
        // Case-fold twins are hostile only together: a one-row CSV of one of them is fine.
        if name.starts_with("ids ") {
            continue;
        }
        // predict: the one-row CSV (the hostile row) with the default work folder, which lies
        // beside the CSV and so beside the canary.
        let d = c.folder(&format!("{name} predict"));
        let mut row = rows[0].clone();
        row[SLM] = String::new();
        c.csv(&d, "row.csv", &[row]);
        let bundle = c.study.join("model").display().to_string();
        c.add(
            &format!("{name} (predict)"),
            &d,
            &["predict", "--bundle", &bundle, "--patient", "row.csv"],
            &want,
        );
        // study: the rows as the primary cohort.
        let d = c.folder(&format!("{name} study"));
        c.csv(&d, "primary.csv", &rows);
        std::fs::write(
            d.join("study.toml"),
            "primary = \"primary.csv\"\nmodels = [\"CF\"]\n",
        )
        .unwrap();
        c.add(
            &format!("{name} (study)"),
            &d,
            &["study", "study.toml", "--out", "out"],
            &want,
        );
    }
}

/// STUDY.toml, bundles, `train` and `prepare --settings`.
fn settings_cases(c: &mut Corpus) {
    let d = c.folder("study_toml");
    let primary = c.csv(&d, "primary.csv", &[c.row(0), c.row(1)]);
    let _ = primary;
    std::fs::write(
        d.join("other.csv"),
        c.header.replace(",cea_ng_ml", "") + "\n",
    )
    .unwrap();
    let cases = [
        (
            "epochs_zero",
            "[training]\nepochs = 0\n",
            "training.epochs (line 3)",
        ),
        (
            "lr_negative",
            "[training]\nlr0 = -0.01\n",
            "training.lr0 (line 3)",
        ),
        (
            "batch_zero",
            "[training]\nbatch_size = 0\n",
            "training.batch_size (line 3)",
        ),
        (
            "dropout",
            "[network]\ndropout = 1.5\n",
            "network.dropout (line 3)",
        ),
        (
            "widths",
            "[network]\nwidths = [4, 4]\n",
            "network.widths (line 3)",
        ),
        (
            "patch",
            "[network]\npatch_size = 2\n",
            "network.patch_size (line 3)",
        ),
        ("folds_one", "folds = 1\n", "folds (line 2)"),
        ("models_empty", "models = []\n", "models (line 2)"),
        ("model_unknown", "models = [\"ResNet\"]\n", "line 2"),
        ("unknown_key", "epochs = 3\n", "unknown field `epochs`"),
        ("syntax", "[training\nepochs = 3\n", "line 2"),
        (
            "bins",
            "[prepare.registration]\nbins = 1\n",
            "prepare.registration.bins (line 3)",
        ),
        (
            "external_missing",
            "external = \"nothere.csv\"\n",
            "nothere.csv",
        ),
        (
            "external_columns",
            "external = \"other.csv\"\n",
            "other.csv",
        ),
    ];
    for (name, body, want) in cases {
        let toml = format!("{name}.toml");
        std::fs::write(d.join(&toml), format!("primary = \"primary.csv\"\n{body}")).unwrap();
        c.add(
            &format!("study.toml {name}"),
            &d,
            &["study", &toml, "--out", "out"],
            // Columns that differ are the two CSVs' fault: that message names both CSVs.
            &[
                if name == "external_columns" {
                    "primary.csv"
                } else {
                    &toml
                },
                want,
            ],
        );
    }
    std::fs::write(d.join("no_primary.toml"), "primary = \"nothere.csv\"\n").unwrap();
    c.add(
        "study.toml missing primary",
        &d,
        &["study", "no_primary.toml", "--out", "out"],
        &["no_primary.toml", "nothere.csv"],
    );

    // Bundles: the study's, then broken.
    let d = c.folder("bundles");
    let mut row = c.row(0);
    row[SLM] = String::new();
    c.csv(&d, "row.csv", &[row.clone()]);
    let good = c.study.join("model");
    let broken = |c: &Corpus, name: &str, f: &dyn Fn(&Path)| -> String {
        let b = c.root.join("bundles").join(name);
        copy_dir(&good, &b);
        f(&b);
        b.display().to_string()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bundle format",
            broken(c, "format", &|b| {
                let t = std::fs::read_to_string(b.join("card.json")).unwrap();
                let mut card: serde_json::Value = serde_json::from_str(&t).unwrap();
                card["format"] = 9.into();
                std::fs::write(b.join("card.json"), card.to_string()).unwrap();
            }),
            "bundle format 9",
        ),
        (
            "bundle card not json",
            broken(c, "notjson", &|b| {
                std::fs::write(b.join("card.json"), "{{{").unwrap()
            }),
            "card.json",
        ),
        (
            "bundle card missing",
            broken(c, "nocard", &|b| {
                std::fs::remove_file(b.join("card.json")).unwrap()
            }),
            "card.json",
        ),
        (
            "bundle cf missing",
            broken(c, "nocf", &|b| {
                std::fs::remove_file(b.join("cf.json")).unwrap()
            }),
            "cf.json",
        ),
        (
            "bundle standardisation truncated",
            broken(c, "nostd", &|b| {
                std::fs::write(b.join("standardisation.json"), "{\"features\": [").unwrap()
            }),
            "standardisation.json",
        ),
        (
            "bundle folder missing",
            "/nonexistent/model".into(),
            "/nonexistent/model",
        ),
    ];
    for (name, bundle, want) in cases {
        c.add(
            name,
            &d,
            &["predict", "--bundle", &bundle, "--patient", "row.csv"],
            &[want],
        );
    }
    let bundle = good.display().to_string();
    let mut rows2 = vec![row.clone(), row.clone()];
    rows2[1][ID] = "Q2".into();
    c.csv(&d, "two_rows.csv", &rows2);
    c.add(
        "predict two rows",
        &d,
        &["predict", "--bundle", &bundle, "--patient", "two_rows.csv"],
        &["two_rows.csv", "exactly one"],
    );
    let mut nan_row = row.clone();
    let t2 = livermet_io::read_volume(Path::new(&row[T2])).unwrap();
    let mut t2n = t2.clone();
    t2n.data[10] = f32::NAN;
    livermet_io::write_nifti(&t2n, &d.join("t2_nan.nii.gz")).unwrap();
    nan_row[T2] = d.join("t2_nan.nii.gz").display().to_string();
    c.csv(&d, "nan_row.csv", &[nan_row]);
    c.add(
        "predict NaN T2",
        &d,
        &["predict", "--bundle", &bundle, "--patient", "nan_row.csv"],
        &["t2_nan.nii.gz", "NaN"],
    );

    // train: the study's prepared cohort and folds, asked for what they do not hold.
    let d = c.folder("train");
    let data = c.study.join("prepared/primary").display().to_string();
    let cohort = c.study.join("../primary.csv").display().to_string();
    let folds = c.study.join("work/folds.json").display().to_string();
    std::fs::write(d.join("folds_bad.json"), "{\"k\": 2, \"folds\": [").unwrap();
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "train fold out of range",
            vec![
                "train", "--data", &data, "--folds", &folds, "--fold", "7", "--model", "mri",
                "--out", "out", "--cohort", &cohort,
            ],
            vec!["fold"],
        ),
        (
            "train folds not json",
            vec![
                "train",
                "--data",
                &data,
                "--folds",
                "folds_bad.json",
                "--fold",
                "0",
                "--model",
                "mri",
                "--out",
                "out",
                "--cohort",
                &cohort,
            ],
            vec!["folds_bad.json"],
        ),
        (
            "train data missing",
            vec![
                "train",
                "--data",
                "/nonexistent/prepared",
                "--folds",
                &folds,
                "--fold",
                "0",
                "--model",
                "mri",
                "--out",
                "out",
                "--cohort",
                &cohort,
            ],
            vec!["/nonexistent/prepared"],
        ),
    ];
    for (name, args, want) in cases {
        c.add(name, &d, &args, &want);
    }

    // prepare --settings.
    let d = c.folder("prepare_settings");
    c.csv(&d, "cohort.csv", &[c.row(0)]);
    std::fs::write(d.join("bins.json"), "{\"registration\": {\"bins\": 1}}").unwrap();
    std::fs::write(d.join("unknown.json"), "{\"patch\": 64}").unwrap();
    std::fs::write(d.join("tolerance.json"), "{\"shell_tolerance\": -1}").unwrap();
    for (name, want) in [
        ("bins.json", "registration.bins"),
        ("unknown.json", "patch"),
        ("tolerance.json", "shell_tolerance"),
    ] {
        c.add(
            &format!("prepare settings {name}"),
            &d,
            &[
                "prepare",
                "cohort.csv",
                "--out",
                "prepared",
                "--settings",
                name,
            ],
            &[name, want],
        );
    }
}

/// Statistics tables.
fn stats_cases(c: &mut Corpus) {
    let d = c.folder("stats");
    let t = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    t(
        "scores.csv",
        "id,slm,a,b\n1,1,0.9,0.5\n2,0,0.2,0.5\n3,1,0.7,0.5\n4,0,0.4,0.5\n5,1,0.6,0.5\n6,0,0.1,0.5\n",
    );
    t("outcome2.csv", "id,slm,a\n1,1,0.9\n2,2,0.2\n3,0,0.4\n");
    t("text_score.csv", "id,slm,a\n1,1,high\n2,0,low\n3,1,0.3\n");
    t("prob.csv", "id,slm,p\n1,1,1.5\n2,0,0.2\n3,1,0.7\n4,0,0.4\n");
    t("empty.csv", "");
    t("header_only.csv", "id,slm,a\n");
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "roc constant score",
            vec![
                "stats",
                "roc",
                "scores.csv",
                "--outcome",
                "slm",
                "--score",
                "b",
            ],
            vec!["scores.csv", "`b`", "constant"],
        ),
        (
            "roc outcome missing",
            vec![
                "stats",
                "roc",
                "scores.csv",
                "--outcome",
                "y",
                "--score",
                "a",
            ],
            vec!["scores.csv", "y"],
        ),
        (
            "roc outcome 2",
            vec![
                "stats",
                "roc",
                "outcome2.csv",
                "--outcome",
                "slm",
                "--score",
                "a",
            ],
            vec!["outcome2.csv", "slm"],
        ),
        (
            "roc text score",
            vec![
                "stats",
                "roc",
                "text_score.csv",
                "--outcome",
                "slm",
                "--score",
                "a",
            ],
            vec!["text_score.csv", "high"],
        ),
        (
            "roc empty file",
            vec![
                "stats",
                "roc",
                "empty.csv",
                "--outcome",
                "slm",
                "--score",
                "a",
            ],
            vec!["empty.csv"],
        ),
        (
            "roc no rows",
            vec![
                "stats",
                "roc",
                "header_only.csv",
                "--outcome",
                "slm",
                "--score",
                "a",
            ],
            vec!["header_only.csv"],
        ),
        (
            "logistic predictor missing",
            vec![
                "stats",
                "logistic",
                "scores.csv",
                "--outcome",
                "slm",
                "--predictors",
                "zz",
            ],
            vec!["scores.csv", "zz"],
        ),
        (
            "dca bad thresholds",
            vec![
                "stats",
                "dca",
                "scores.csv",
                "--outcome",
                "slm",
                "--score",
                "a",
                "--thresholds",
                "0.9:0.1:0.1",
            ],
            vec!["thresholds"],
        ),
        (
            "calibration probability 1.5",
            vec![
                "stats",
                "calibration",
                "prob.csv",
                "--outcome",
                "slm",
                "--prob",
                "p",
            ],
            vec!["prob.csv", "1.5"],
        ),
        (
            "table1 group missing",
            vec!["stats", "table1", "scores.csv", "--group", "centre"],
            vec!["scores.csv", "centre"],
        ),
    ];
    for (name, args, want) in cases {
        c.add(name, &d, &args, &want);
    }
}

#[test]
fn every_bad_input_is_one_clear_error_and_touches_nothing() {
    let start = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let mut c = corpus(tmp.path());
    let setup = start.elapsed().as_secs_f64();
    image_cases(&mut c);
    tool_cases(&mut c);
    cohort_cases(&mut c);
    settings_cases(&mut c);
    stats_cases(&mut c);
    let base_before = listing(&tmp.path().join("base"));

    let mut failures = Vec::new();
    for case in &c.cases {
        let before = listing(&case.dir);
        let o = livermet()
            .current_dir(&case.dir)
            .args(&case.args)
            .output()
            .unwrap();
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut why = Vec::new();
        if o.status.code() != Some(2) {
            why.push(format!("exit {:?}", o.status.code()));
        }
        if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
            why.push("panic".into());
        }
        if lines.is_empty() || lines.len() > 3 {
            why.push(format!("{} lines on stderr", lines.len()));
        }
        for n in &case.names {
            if !err.contains(n.as_str()) {
                why.push(format!("stderr does not name {n:?}"));
            }
        }
        let after = listing(&case.dir);
        if after.1.as_deref() != Some(CANARY) {
            why.push("the canary is gone or changed".into());
        }
        if after.0 != before.0 {
            let added: Vec<_> = after
                .0
                .keys()
                .filter(|k| !before.0.contains_key(*k))
                .collect();
            let removed: Vec<_> = before
                .0
                .keys()
                .filter(|k| !after.0.contains_key(*k))
                .collect();
            why.push(format!(
                "folder changed: added {added:?}, removed {removed:?}"
            ));
        }
        if !why.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {}",
                case.name,
                why.join("; "),
                err.trim()
            ));
        }
    }
    assert_eq!(
        listing(&tmp.path().join("base")),
        base_before,
        "the shared cohort changed"
    );
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs misbehaved:\n{}",
        failures.len(),
        c.cases.len(),
        failures.join("\n")
    );
    assert!(c.cases.len() >= 60, "only {} cases", c.cases.len());
    eprintln!(
        "bad-input corpus: {} cases, setup {setup:.1} s, all {:.1} s",
        c.cases.len(),
        start.elapsed().as_secs_f64()
    );
}
