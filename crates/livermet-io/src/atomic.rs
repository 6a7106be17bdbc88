//! Persistence, once for every crate: build each output under a temporary name in the
//! destination's folder, flush it to disk, then rename it into place, so a crash, a kill or a
//! full disk never leaves a half-written file or folder behind, and a reader sees the old
//! content or the new, never a mix.
//!
//! Temporary names are hidden siblings unique to the process and the call
//! (`.NAME.tmp-PID-N`), so concurrent writers (threads, or processes on a shared file system)
//! never share one; a failed write removes its temporary.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{IoError, read_error, write_error};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A hidden temporary sibling of `dest`: `.NAME.tmp-PID-N` (same folder, so rename is atomic).
pub(crate) fn temp_sibling(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = format!(".{name}.tmp-{}-{n}", std::process::id());
    match dest.parent() {
        Some(p) => p.join(tmp),
        None => PathBuf::from(tmp),
    }
}

/// A hidden temporary name in `dest`'s folder with no dot but the leading one, then `suffix`
/// (for writers that derive their output name from the extension, like the `nifti` crate's).
pub(crate) fn temp_named(dest: &Path, suffix: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = format!(".livermet-tmp-{}-{n}{suffix}", std::process::id());
    match dest.parent() {
        Some(p) => p.join(tmp),
        None => PathBuf::from(tmp),
    }
}

/// Write a file atomically: `fill` writes the whole content to the temporary path it is given;
/// on success that file is flushed to disk and renamed to `dest`, on failure it is removed.
pub fn write_file_atomic(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let tmp = temp_sibling(dest);
    let result = fill(&tmp)
        .and_then(|()| sync_file(&tmp).map_err(|e| write_error(dest, e)))
        .and_then(|()| std::fs::rename(&tmp, dest).map_err(|e| write_error(dest, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`write_file_atomic`] of a byte string.
pub fn write_bytes_atomic(dest: &Path, bytes: &[u8]) -> Result<(), IoError> {
    write_file_atomic(dest, |tmp| {
        File::create(tmp)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| write_error(dest, e))
    })
}

/// [`write_file_atomic`] of `value` as pretty JSON (f64 values round-trip exactly).
pub fn write_json_atomic<T: Serialize + ?Sized>(dest: &Path, value: &T) -> Result<(), IoError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| IoError::Json {
        path: dest.to_path_buf(),
        reason: e.to_string(),
    })?;
    write_bytes_atomic(dest, text.as_bytes())
}

/// Read a JSON file written by [`write_json_atomic`] (or by hand).
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, IoError> {
    let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
    serde_json::from_str(&text).map_err(|e| IoError::Json {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Write a folder atomically: `fill` fills a fresh temporary folder beside `dest`; on success it
/// replaces `dest` (an existing `dest` folder is moved aside first and removed after the swap),
/// on failure the temporary folder is removed and `dest` is untouched.
pub fn write_dir_atomic(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let tmp = temp_sibling(dest);
    std::fs::create_dir_all(&tmp).map_err(|e| write_error(dest, e))?;
    if let Err(e) = fill(&tmp).and_then(|()| sync_dir_files(&tmp).map_err(|e| write_error(dest, e)))
    {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = if dest.exists() {
        let old = temp_sibling(dest);
        if let Err(e) = std::fs::rename(dest, &old) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(write_error(dest, e));
        }
        Some(old)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(&tmp, dest) {
        let _ = std::fs::remove_dir_all(&tmp);
        if let Some(old) = &old {
            let _ = std::fs::rename(old, dest);
        }
        return Err(write_error(dest, e));
    }
    if let Some(old) = old {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

/// Flush a file's content to disk (so the rename that follows never publishes an empty file
/// after a power cut).
fn sync_file(path: &Path) -> std::io::Result<()> {
    File::open(path)?.sync_all()
}

/// Flush every plain file directly inside `dir`.
fn sync_dir_files(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            sync_file(&entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.json");
        write_json_atomic(&dest, &[1.0, 0.1]).unwrap();
        let e = write_file_atomic(&dest, |tmp| {
            std::fs::write(tmp, b"half").unwrap();
            Err(write_error(tmp, std::io::Error::other("disk full")))
        });
        assert!(e.is_err());
        assert_eq!(read_json::<Vec<f64>>(&dest).unwrap(), vec![1.0, 0.1]);
        assert_eq!(names(dir.path()), vec!["a.json"]);
    }

    #[test]
    fn a_failed_folder_write_keeps_the_old_folder() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("p");
        write_dir_atomic(&dest, |tmp| {
            std::fs::write(tmp.join("x"), b"1").map_err(|e| write_error(tmp, e))
        })
        .unwrap();
        let e = write_dir_atomic(&dest, |tmp| {
            std::fs::write(tmp.join("x"), b"2").unwrap();
            Err(write_error(tmp, std::io::Error::other("killed")))
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read(dest.join("x")).unwrap(), b"1");
        write_dir_atomic(&dest, |tmp| {
            std::fs::write(tmp.join("y"), b"3").map_err(|e| write_error(tmp, e))
        })
        .unwrap();
        assert_eq!(names(&dest), vec!["y"]);
        assert_eq!(names(dir.path()), vec!["p"]);
    }

    #[test]
    fn temporary_names_are_unique() {
        let a = temp_sibling(Path::new("/x/S.1"));
        let b = temp_sibling(Path::new("/x/S.1"));
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(Path::new("/x")));
    }

    #[test]
    fn bad_json_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, "{").unwrap();
        let e = read_json::<Vec<f64>>(&p).unwrap_err();
        assert!(e.to_string().contains("x.json"), "{e}");
    }
}
