//! A small cohort on disk: files, determinism across seeds and thread counts, and read-back
//! with livermet-io (NIfTI and DICOM) and the cohort validator.

use std::path::Path;

use livermet_cohort::{ValidateOptions, validate_cohort};
use livermet_io::{read_dwi, read_volume};
use livermet_synth::patient::synthesise_images;
use livermet_synth::random::{Purpose, stream};
use livermet_synth::scanner::{EXTERNAL_SCANNER, PRIMARY_SCANNER};
use livermet_synth::{Size, SynthSettings, Truth, synthesise};

fn settings(seed: u64) -> SynthSettings {
    SynthSettings {
        primary: 3,
        external: 2,
        seed,
        ..SynthSettings::default()
    }
}

fn write(dir: &Path, s: &SynthSettings, threads: usize) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| synthesise(dir, s, &|| {}))
        .expect("synthesise");
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn first_file(dir: &Path) -> std::path::PathBuf {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names.remove(0)
}

#[test]
fn same_seed_same_bytes_whatever_the_threads_other_seed_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    write(&a, &settings(7), 1);
    write(&b, &settings(7), 2);
    write(
        &c,
        &SynthSettings {
            primary: 3,
            external: 0,
            ..settings(8)
        },
        2,
    );
    for f in [
        "primary.csv",
        "external.csv",
        "truth.json",
        "primary/P001/t2.nii.gz",
        "primary/P003/dwi.nii.gz",
        "external/E002/roi.nii.gz",
    ] {
        assert_eq!(
            bytes(&a.join(f)),
            bytes(&b.join(f)),
            "{f} differs between 1 and 2 threads"
        );
    }
    let dcm = first_file(&a.join("external/E001/t1ce"));
    assert_eq!(
        bytes(&dcm),
        bytes(&b.join("external/E001/t1ce").join(dcm.file_name().unwrap()))
    );
    assert_ne!(bytes(&a.join("primary.csv")), bytes(&c.join("primary.csv")));
    assert_ne!(
        bytes(&a.join("primary/P001/t2.nii.gz")),
        bytes(&c.join("primary/P001/t2.nii.gz"))
    );
}

#[test]
fn written_cohort_reads_back_on_the_expected_grids_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = settings(3);
    write(dir, &s, 2);
    let truth: Truth = serde_json::from_slice(&bytes(&dir.join("truth.json"))).unwrap();
    assert_eq!(truth.patients.len(), 5);
    assert_eq!(truth.seed, 3);

    // Primary P001 (NIfTI): same voxels (to the 16-bit quantisation) and grid as in memory.
    let mut rng = stream(3, 0, 0, Purpose::Images);
    let mem = synthesise_images(
        &mut rng,
        &Size::Small.protocol(),
        &PRIMARY_SCANNER,
        truth.patients[0].latent_signal,
    );
    let t2 = read_volume(&dir.join("primary/P001/t2.nii.gz")).unwrap();
    assert!(t2.same_grid(&mem.t2, 1e-4));
    let (lo, hi, _) = mem.t2.min_max_mean();
    let step = (hi - lo) / 65534.0;
    assert!(
        t2.data
            .iter()
            .zip(&mem.t2.data)
            .all(|(a, b)| (a - b).abs() <= step),
        "T2 voxels differ beyond quantisation"
    );
    let roi = read_volume(&dir.join("primary/P001/roi.nii.gz")).unwrap();
    assert_eq!(roi.data, mem.roi.data);
    let dwi = read_dwi(&dir.join("primary/P001/dwi.nii.gz"), None).unwrap();
    assert_eq!(dwi.bvals, vec![0.0, 500.0, 1000.0]);
    assert!(dwi.volume.same_grid(&mem.dwi, 1e-4) && dwi.volume.frames == 3);
    let t1 = read_volume(&dir.join("primary/P001/t1.nii.gz")).unwrap();
    assert!(t1.same_grid(&mem.t1, 1e-4));
    let written = truth.patients[0].images.as_ref().unwrap().transforms.t1;
    let close = written
        .iter()
        .flatten()
        .zip(mem.truth.transforms.t1.iter().flatten())
        .all(|(a, b)| (a - b).abs() < 1e-12);
    assert!(
        close,
        "truth.json T1 transform {written:?} vs {:?}",
        mem.truth.transforms.t1
    );

    // External E001 (DICOM): the series read back on the external scanner's grids.
    let e = truth
        .patients
        .iter()
        .find(|p| p.patient_id == "E001")
        .unwrap();
    let mut rng = stream(3, 1, 0, Purpose::Images);
    let mem = synthesise_images(
        &mut rng,
        &Size::Small.protocol(),
        &EXTERNAL_SCANNER,
        e.latent_signal,
    );
    let t2 = read_volume(&dir.join("external/E001/t2")).unwrap();
    assert!(
        t2.same_grid(&mem.t2, 1e-3),
        "DICOM T2 grid {:?} vs {:?}",
        t2.affine,
        mem.t2.affine
    );
    let max_err = t2
        .data
        .iter()
        .zip(&mem.t2.data)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(max_err < 0.1, "DICOM T2 voxels off by {max_err}");
    let roi = read_volume(&dir.join("external/E001/roi.nii.gz")).unwrap();
    assert!(
        roi.same_grid(&t2, 1e-3),
        "external ROI is not on the DICOM T2 grid"
    );
    let dwi = read_dwi(&dir.join("external/E001/dwi"), None).unwrap();
    assert_eq!(dwi.bvals, vec![0.0, 500.0, 1000.0]);
    assert!(dwi.volume.same_grid(&mem.dwi, 1e-3));

    for csv in ["primary.csv", "external.csv"] {
        let report = validate_cohort(&dir.join(csv), &ValidateOptions::default()).unwrap();
        assert!(report.problems.is_empty(), "{csv}: {:?}", report.problems);
    }
    let report = validate_cohort(&dir.join("primary.csv"), &ValidateOptions::default()).unwrap();
    assert_eq!(report.patients.len(), 3);
}

#[test]
fn clinical_only_writes_csvs_with_empty_image_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let s = SynthSettings {
        primary: 40,
        external: 10,
        clinical_only: true,
        ..settings(1)
    };
    write(tmp.path(), &s, 2);
    let text = String::from_utf8(bytes(&tmp.path().join("primary.csv"))).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "patient_id,centre,slm,sex,age,tumor_distance_cm,cea_ng_ml,ca199_u_ml,t2,t1,t1ce,dwi,adc,roi,lesion_size_cm"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 40);
    for r in &rows {
        let cells: Vec<&str> = r.split(',').collect();
        assert!(
            cells[8..14].iter().all(|c| c.is_empty()),
            "image cells not empty: {r}"
        );
        // The lesion size: for SLM patients only, in the validator's range.
        match cells[2] {
            "1" => {
                let v: f64 = cells[14].parse().unwrap();
                assert!((0.3..15.0).contains(&v), "{r}");
            }
            _ => assert!(cells[14].is_empty(), "{r}"),
        }
    }
    assert_eq!(
        rows.iter()
            .filter(|r| r.split(',').nth(2) == Some("1"))
            .count(),
        16
    );
    assert!(!tmp.path().join("primary").exists());
    let report = validate_cohort(
        &tmp.path().join("primary.csv"),
        &ValidateOptions {
            check_images: false,
            require_label: true,
        },
    )
    .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn bad_settings_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    let e = synthesise(
        &out,
        &SynthSettings {
            primary: 0,
            external: 0,
            ..settings(1)
        },
        &|| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("nothing to make"), "{e}");
    let e = synthesise(
        &out,
        &SynthSettings {
            signal: -1.0,
            ..settings(1)
        },
        &|| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("--signal"), "{e}");
    assert!(!out.exists());
}

/// `text` without its last CSV column (the synthetic CSVs have no quoted cells).
fn without_last_column(text: &str) -> String {
    text.lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string() + "\n")
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Adding `lesion_size_cm` changed no other value: the CSVs without their last column, the
/// truth and every image file are byte for byte what the generator wrote before the column
/// existed (fixtures/synth/before_lesion_size/, written at commit 7b343f0).
#[test]
fn the_lesion_size_column_changes_no_other_value() {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/synth/before_lesion_size");
    let tmp = tempfile::tempdir().unwrap();
    let clinical = tmp.path().join("clinical");
    write(
        &clinical,
        &SynthSettings {
            primary: 40,
            external: 10,
            clinical_only: true,
            ..settings(1)
        },
        2,
    );
    for csv in ["primary.csv", "external.csv"] {
        let now = String::from_utf8(bytes(&clinical.join(csv))).unwrap();
        assert!(now.lines().next().unwrap().ends_with(",roi,lesion_size_cm"));
        let before = String::from_utf8(bytes(&fixtures.join(csv))).unwrap();
        assert_eq!(without_last_column(&now), before, "{csv}");
    }

    let full = tmp.path().join("full");
    write(
        &full,
        &SynthSettings {
            primary: 2,
            external: 1,
            ..settings(1)
        },
        2,
    );
    let list = String::from_utf8(bytes(&fixtures.join("full_2_1_seed1.sha256"))).unwrap();
    let mut checked = 0;
    for line in list.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        let path = full.join(name.trim_start_matches("./"));
        let now = bytes(&path);
        let now = if name.ends_with(".csv") {
            without_last_column(&String::from_utf8(now).unwrap()).into_bytes()
        } else {
            now
        };
        assert_eq!(sha256(&now), hash, "{name}");
        checked += 1;
    }
    assert!(checked > 80, "{checked}");
}
