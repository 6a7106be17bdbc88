use std::path::PathBuf;

/// Everything that can go wrong while drawing, rasterising, writing or checking the report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A report file could not be written atomically (the error names it).
    #[error(transparent)]
    File(#[from] livermet_io::IoError),
    /// The SVG text could not be parsed (a bug in the figure code, or hand-edited SVG).
    #[error("cannot parse SVG: {0}")]
    Svg(String),
    /// Rasterising or PNG encoding failed (e.g. an empty or huge canvas).
    #[error("cannot render PNG: {0}")]
    Png(String),
    /// No Chromium to check the page with.
    #[error(
        "no headless Chromium found ({0}); install it with scripts/install-test-deps.sh, or set LIVERMET_CHROMIUM to a Chromium/Chrome binary"
    )]
    BrowserNotFound(String),
    /// The study itself failed (bad settings or cohort, a patient that cannot be prepared, ...).
    #[error(transparent)]
    Study(#[from] livermet_study::StudyError),
    /// Chromium ran but failed, timed out, or the page's check script left no result.
    #[error("browser check of {}: {message}", page.display())]
    Browser { page: PathBuf, message: String },
}
