//! b-values from the vendor private tags when DiffusionBValue (0018,9087) is absent: GE
//! (0043,1039, IS with the 1e9 offset some versions add), Siemens (0019,100C, IS), Philips
//! (2001,1003, FL), and a private tag stored with VR UN (raw bytes, as implicit-VR files give).

mod common;

use std::path::Path;

use common::{affine, phantom, rotation};
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use livermet_io::{DicomSeriesOptions, read_dwi};

/// Replace DiffusionBValue in every file of `dir` by `make(b)`.
fn retag(dir: &Path, make: impl Fn(f64) -> DataElement<dicom_object::InMemDicomObject>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let mut obj = dicom_object::open_file(&p).unwrap();
        let b = obj
            .element(Tag(0x0018, 0x9087))
            .unwrap()
            .to_float64()
            .unwrap();
        obj.remove_element(Tag(0x0018, 0x9087));
        obj.put(make(b));
        obj.write_to_file(&p).unwrap();
    }
}

fn series(dir: &Path) -> std::path::PathBuf {
    let a = affine(
        rotation([0.0, 0.0, 1.0], 0.1),
        [1.5, 1.5, 5.0],
        [0.0, 0.0, 0.0],
    );
    let out = dir.join("dwi");
    let opts = DicomSeriesOptions {
        bvals: Some(vec![0.0, 800.0, 400.0]),
        ..Default::default()
    };
    livermet_io::write_dicom_series(&phantom([6, 5, 3], 3, a), &out, &opts).unwrap();
    out
}

#[test]
fn vendor_bvalue_tags_are_read() {
    type Maker = Box<dyn Fn(f64) -> DataElement<dicom_object::InMemDicomObject>>;
    let makers: Vec<(&str, Maker)> = vec![
        (
            "GE",
            Box::new(|b| {
                DataElement::new(
                    Tag(0x0043, 0x1039),
                    VR::IS,
                    PrimitiveValue::Strs(
                        [
                            format!("{}", 1_000_000_000 + b as i64),
                            "8".into(),
                            "0".into(),
                            "0".into(),
                        ]
                        .into_iter()
                        .collect(),
                    ),
                )
            }),
        ),
        (
            "Siemens",
            Box::new(|b| {
                DataElement::new(
                    Tag(0x0019, 0x100C),
                    VR::IS,
                    PrimitiveValue::from(format!("{b}")),
                )
            }),
        ),
        (
            "Philips",
            Box::new(|b| {
                DataElement::new(Tag(0x2001, 0x1003), VR::FL, PrimitiveValue::from(b as f32))
            }),
        ),
        (
            "UN",
            Box::new(|b| {
                DataElement::new(
                    Tag(0x0019, 0x100C),
                    VR::UN,
                    PrimitiveValue::U8(format!("{b} ").into_bytes().into()),
                )
            }),
        ),
    ];
    for (vendor, make) in makers {
        let dir = tempfile::tempdir().unwrap();
        let s = series(dir.path());
        retag(&s, make);
        let dwi = read_dwi(&s, None).unwrap_or_else(|e| panic!("{vendor}: {e}"));
        assert_eq!(dwi.bvals, vec![0.0, 400.0, 800.0], "{vendor}");
    }
}
