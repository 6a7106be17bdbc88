//! Atomic writes: build the output under a temporary name in the destination's folder, then
//! rename it into place, so a crash or a full disk never leaves a half-written image behind.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{IoError, write_error};

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
/// on success that file is renamed to `dest`, on failure it is removed.
pub(crate) fn write_file_atomic(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let tmp = temp_sibling(dest);
    let result =
        fill(&tmp).and_then(|()| std::fs::rename(&tmp, dest).map_err(|e| write_error(dest, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write a folder atomically: `fill` fills a fresh temporary folder; on success it replaces
/// `dest` (an existing `dest` folder is moved aside first and removed after the swap).
pub(crate) fn write_dir_atomic(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let tmp = temp_sibling(dest);
    std::fs::create_dir_all(&tmp).map_err(|e| write_error(dest, e))?;
    if let Err(e) = fill(&tmp) {
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
