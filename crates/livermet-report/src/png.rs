//! SVG -> PNG with resvg.
//!
//! Text is shaped with DejaVu Sans (regular, bold, oblique, bold oblique), whose bytes ship in the
//! `dejavu` crate and are loaded into usvg's font database here; no system font is read, so a
//! figure renders the same on any machine. The generic families `sans-serif` and `serif` and any
//! unknown family resolve to DejaVu Sans. DejaVu fonts are free (Bitstream Vera licence with
//! DejaVu changes in the public domain).

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use crate::ReportError;

/// Family name of the bundled font.
pub const BUNDLED_FAMILY: &str = "DejaVu Sans";

/// The font database with the bundled DejaVu Sans faces (built once).
pub fn font_database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        for face in [
            dejavu::sans::regular(),
            dejavu::sans::bold(),
            dejavu::sans::oblique(),
            dejavu::sans::bold_oblique(),
        ] {
            db.load_font_data(face.to_vec());
        }
        db.set_sans_serif_family(BUNDLED_FAMILY);
        db.set_serif_family(BUNDLED_FAMILY);
        db.set_monospace_family(BUNDLED_FAMILY);
        db.set_cursive_family(BUNDLED_FAMILY);
        db.set_fantasy_family(BUNDLED_FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// usvg options using the bundled font (also the default family for text that names none).
pub fn usvg_options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: BUNDLED_FAMILY.to_string(),
        fontdb: font_database(),
        ..usvg::Options::default()
    }
}

/// Parses SVG text with [`usvg_options`].
pub fn parse_svg(svg: &str) -> Result<usvg::Tree, ReportError> {
    usvg::Tree::from_str(svg, &usvg_options()).map_err(|e| ReportError::Svg(e.to_string()))
}

/// Rasterises an SVG at its own size (1 SVG px = 1 pixel) into a PNG file's bytes.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>, ReportError> {
    svg_to_png_scaled(svg, 1.0)
}

/// Rasterises an SVG at `scale` times its size (e.g. 2.0 for print) into a PNG file's bytes.
/// Transparent areas stay transparent (the figures of [`crate::figures`] paint a white
/// background).
pub fn svg_to_png_scaled(svg: &str, scale: f32) -> Result<Vec<u8>, ReportError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(ReportError::Png(format!(
            "scale must be positive, got {scale}"
        )));
    }
    let tree = parse_svg(svg)?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or_else(|| {
        ReportError::Png(format!(
            "cannot scale a {:?} canvas by {scale}",
            tree.size()
        ))
    })?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| {
        ReportError::Png(format!(
            "cannot allocate a {}x{} canvas",
            size.width(),
            size.height()
        ))
    })?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ReportError::Png(e.to_string()))
}
