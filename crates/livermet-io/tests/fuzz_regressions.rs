//! Inputs AFL++ found (bench/fuzz.sh, kept in fuzz/regressions/<target>/): each must give a
//! one-line error, never a panic. The DICOM ones are series (files joined by the fuzz target's
//! separator) with an element declaring more bytes than the file holds, on which dicom-parser
//! reserved (and zero-filled) the declared length, up to 4 GB, before reading it, or with a
//! numeric value whose length is not a multiple of its size (US of 257 bytes), after which the
//! parser reads the next header from inside a value: the reader now refuses both from the
//! element headers (livermet-io/src/dicom_lengths.rs).

use std::path::PathBuf;

const FILE_SEPARATOR: &[u8] = b"\n--livermet-next-file--\n";

fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

#[test]
fn dicom_findings_are_clean_errors() {
    let found = regressions("dicom");
    assert!(!found.is_empty());
    for input in found {
        let data = std::fs::read(&input).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut rest = &data[..];
        let mut i = 0;
        loop {
            let at = rest
                .windows(FILE_SEPARATOR.len())
                .position(|w| w == FILE_SEPARATOR);
            let (file, next) = match at {
                Some(a) => (&rest[..a], Some(&rest[a + FILE_SEPARATOR.len()..])),
                None => (rest, None),
            };
            std::fs::write(dir.path().join(format!("IM_{i}.dcm")), file).unwrap();
            i += 1;
            match next {
                Some(n) if i < 8 => rest = n,
                _ => break,
            }
        }
        let err = livermet_io::read_volume(dir.path())
            .err()
            .unwrap_or_else(|| panic!("{}: read as a volume", input.display()));
        assert!(!err.to_string().contains('\n'), "{err}");
        // Refused from the element headers, before any value is allocated.
        let msg = err.to_string();
        assert!(
            msg.contains("declares") || msg.contains("not a multiple of"),
            "{}: {msg}",
            input.display()
        );
    }
}
