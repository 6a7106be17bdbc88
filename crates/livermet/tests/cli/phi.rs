//! Patient-identifying DICOM values (issue 12, item 6): written into every DICOM file of a
//! cohort, they must not reach any output or log of any command.

use std::io::Read;
use std::path::Path;

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;

/// Name, ID, birth date, institution, accession number, referring physician and the UID root of
/// the study, series and instance UIDs written by [`inject_phi`]: none may appear in an output.
pub const PHI: [&str; 7] = [
    "DOE^JANE^PHI",
    "MRN-PHI-4242",
    "19450317",
    "ST SECRET HOSPITAL PHI",
    "ACC-PHI-77",
    "HOUSE^GREGORY^PHI",
    "1.2.826.0.1.3680043.10.999",
];

/// Writes the [`PHI`] values into every DICOM file under `dir` (one series UID per folder, one
/// instance UID per file, one study UID for all).
pub fn inject_phi(dir: &Path) -> usize {
    fn walk(dir: &Path, series: &mut usize, files: &mut usize) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        let series_uid = format!("{}.2.{}", PHI[6], *series);
        for p in entries {
            if p.is_dir() {
                *series += 1;
                walk(&p, series, files);
                continue;
            }
            if p.extension().is_none_or(|e| e != "dcm") {
                continue;
            }
            *files += 1;
            let mut obj = dicom_object::open_file(&p).unwrap();
            let text = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
            obj.put(text(tags::PATIENT_NAME, VR::PN, PHI[0]));
            obj.put(text(tags::PATIENT_ID, VR::LO, PHI[1]));
            obj.put(text(tags::PATIENT_BIRTH_DATE, VR::DA, PHI[2]));
            obj.put(text(tags::INSTITUTION_NAME, VR::LO, PHI[3]));
            obj.put(text(tags::ACCESSION_NUMBER, VR::SH, PHI[4]));
            obj.put(text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, PHI[5]));
            obj.put(text(
                tags::STUDY_INSTANCE_UID,
                VR::UI,
                &format!("{}.1", PHI[6]),
            ));
            obj.put(text(tags::SERIES_INSTANCE_UID, VR::UI, &series_uid));
            obj.put(text(
                tags::SOP_INSTANCE_UID,
                VR::UI,
                &format!("{}.3.{}", PHI[6], *files),
            ));
            obj.write_to_file(&p).unwrap();
        }
    }
    let (mut series, mut files) = (0, 0);
    walk(dir, &mut series, &mut files);
    files
}

/// Fails if any [`PHI`] value is in `text`.
pub fn assert_no_phi_in(what: &str, text: &[u8]) {
    for v in PHI {
        assert!(
            !text.windows(v.len()).any(|w| w == v.as_bytes()),
            "{what} holds the identifying value {v:?}"
        );
    }
}

/// Fails if any file under `dir` (gzip files decompressed) holds a [`PHI`] value. Returns the
/// number of files checked.
pub fn assert_no_phi_under(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            n += assert_no_phi_under(&p);
            continue;
        }
        let mut bytes = std::fs::read(&p).unwrap();
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .unwrap();
            bytes = out;
        }
        assert_no_phi_in(&p.display().to_string(), &bytes);
        n += 1;
    }
    n
}
