//! livermet-report: the figures and the self-contained HTML page of the study report (see
//! DESIGN.md, Layout and Files).
//!
//! - [`figures`]: the study's figures as standalone SVG strings — ROC curves (the paper's
//!   Figure 3), decision curves (Figure 4), calibration curves, and the grid of representative
//!   patients (Figure 2).
//! - [`png`]: SVG -> PNG with resvg, using a bundled DejaVu Sans so text renders on a machine
//!   with no system fonts.
//! - [`html`]: a builder for one self-contained HTML5 page (inline CSS, figures as data URIs, no
//!   external URL) whose inline script checks on load that every figure decoded.
//! - [`browser`]: opens a page in headless Chromium and reads back what that script recorded.
//!
//! Library code returns [`ReportError`]; nothing here panics on bad data.

pub mod browser;
mod error;
pub mod figures;
pub mod html;
pub mod png;
pub mod study_report;
pub mod whole_study;

pub use browser::{BrowserCheck, check_in_browser, screenshot};
pub use error::ReportError;
pub use figures::{
    Series, Tile, TileRow, calibration_figure, decision_curve_figure, representative_figure,
    roc_figure,
};
pub use html::Page;
pub use png::svg_to_png;
/// The SVG parser (and, as `usvg::roxmltree`, the XML parser) used by [`png`], for callers that
/// want to inspect a figure.
pub use resvg::usvg;
pub use study_report::{ReportInputs, write_study_report};
pub use whole_study::run_whole_study;

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: to a temporary file in the same folder, flushed to disk,
/// then renamed over `path`, so a reader never sees a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".livermet-tmp-");
    // tempfile's default is 0600; a report file should get the usual 0666 less the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results.json");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // Same mode as a plain File::create (0666 less the umask), not tempfile's 0600.
            let plain = dir.path().join("plain");
            std::fs::File::create(&plain).unwrap();
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&p), mode(&plain));
            std::fs::remove_file(&plain).unwrap();
        }
        let e = write_atomic(&dir.path().join("no/such/dir/x"), b"x").unwrap_err();
        assert!(matches!(e, ReportError::Io { .. }));
    }
}
