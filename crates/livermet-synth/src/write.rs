//! Writing one patient's images in its centre's format: NIfTI (.nii.gz, 16-bit scaled, DWI as
//! 4D with an FSL .bval beside it) for the primary centre, one DICOM series folder per sequence
//! for the external centre (b-values in the DWI tags). The ROI is a UInt8 NIfTI in both, as
//! ITK-SNAP saves it. Returns the cohort CSV's image cells (paths relative to the CSV).

use std::path::Path;

use livermet_io::{
    DicomSeriesOptions, StoredType, Volume, write_bvals, write_dicom_series, write_nifti_as,
};

use crate::error::SynthError;
use crate::patient::PatientImages;
use crate::render::B_VALUES;

/// How a centre stores its images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Nifti,
    Dicom,
}

/// The image cells of one CSV row (relative paths, `/`-separated).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageCells {
    pub t2: String,
    pub t1: String,
    pub t1ce: String,
    pub dwi: String,
    pub roi: String,
}

/// Write `images` under `root/rel_dir` and return the cells relative to `root`.
pub fn write_patient(
    root: &Path,
    rel_dir: &str,
    patient_id: &str,
    images: &PatientImages,
    format: Format,
) -> Result<ImageCells, SynthError> {
    let dir = root.join(rel_dir);
    std::fs::create_dir_all(&dir).map_err(|source| SynthError::Write {
        path: dir.clone(),
        source,
    })?;
    let cell = |name: &str| format!("{rel_dir}/{name}");
    let roi = "roi.nii.gz";
    nifti(&images.roi, &dir.join(roi), StoredType::UInt8)?;
    let cells = match format {
        Format::Nifti => {
            nifti(&images.t2, &dir.join("t2.nii.gz"), StoredType::Int16Scaled)?;
            nifti(&images.t1, &dir.join("t1.nii.gz"), StoredType::Int16Scaled)?;
            nifti(
                &images.t1ce,
                &dir.join("t1ce.nii.gz"),
                StoredType::Int16Scaled,
            )?;
            nifti(
                &images.dwi,
                &dir.join("dwi.nii.gz"),
                StoredType::Int16Scaled,
            )?;
            let bval = dir.join("dwi.bval");
            write_bvals(&bval, &B_VALUES)
                .map_err(|source| SynthError::Image { path: bval, source })?;
            ImageCells {
                t2: cell("t2.nii.gz"),
                t1: cell("t1.nii.gz"),
                t1ce: cell("t1ce.nii.gz"),
                dwi: cell("dwi.nii.gz"),
                roi: cell(roi),
            }
        }
        Format::Dicom => {
            let series = [
                ("t2", "T2 TSE axial", &images.t2, None),
                ("t1", "T1 TSE axial", &images.t1, None),
                ("t1ce", "T1 TSE axial post-contrast", &images.t1ce, None),
                (
                    "dwi",
                    "DWI b0 b500 b1000",
                    &images.dwi,
                    Some(B_VALUES.to_vec()),
                ),
            ];
            for (number, (name, description, vol, bvals)) in series.into_iter().enumerate() {
                let opts = DicomSeriesOptions {
                    series_description: description.to_string(),
                    series_number: number as u32 + 1,
                    bvals,
                    patient_pseudonym: patient_id.to_string(),
                };
                dicom(vol, &dir.join(name), &opts)?;
            }
            ImageCells {
                t2: cell("t2"),
                t1: cell("t1"),
                t1ce: cell("t1ce"),
                dwi: cell("dwi"),
                roi: cell(roi),
            }
        }
    };
    Ok(cells)
}

fn nifti(vol: &Volume, path: &Path, stored: StoredType) -> Result<(), SynthError> {
    write_nifti_as(vol, path, stored).map_err(|source| SynthError::Image {
        path: path.to_path_buf(),
        source,
    })
}

/// A DICOM series into its folder (the writer replaces a series left there by an earlier run
/// only once the new one is complete, so the folder never holds two series).
fn dicom(vol: &Volume, folder: &Path, opts: &DicomSeriesOptions) -> Result<(), SynthError> {
    write_dicom_series(vol, folder, opts).map_err(|source| SynthError::Image {
        path: folder.to_path_buf(),
        source,
    })
}
