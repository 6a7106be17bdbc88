//! livermet-report: the figures and the self-contained HTML page of the study report (see
//! docs/DESIGN.md, Layout and Files).
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
pub mod patient_page;
pub mod png;
pub mod publication;
pub mod study_report;
pub mod whole_study;

pub use browser::{BrowserCheck, check_in_browser, screenshot};
pub use error::ReportError;
pub use figures::{
    Marker, Series, Tile, TileRow, attribution_figure, calibration_figure, decision_curve_figure,
    representative_figure, roc_figure,
};
pub use html::Page;
pub use png::svg_to_png;
/// The SVG parser (and, as `usvg::roxmltree`, the XML parser) used by [`png`], for callers that
/// want to inspect a figure.
pub use resvg::usvg;
pub use study_report::{ReportInputs, write_study_report};
pub use whole_study::{run_study_step, run_whole_study};
