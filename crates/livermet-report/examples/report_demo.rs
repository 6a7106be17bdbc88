//! Writes one of each figure (SVG + PNG) and a report page with them to a folder, and checks
//! the page in headless Chromium when one is installed:
//!
//! ```sh
//! cargo run -p livermet-report --example report_demo -- /tmp/report-demo
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

use livermet_io::write_bytes_atomic;
use livermet_report::{Page, check_in_browser, screenshot, svg_to_png};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "report-demo".into()),
    );
    std::fs::create_dir_all(&out)?;
    let mut page = Page::new("livermet report demo");
    page.section("Figures");
    for (i, (caption, svg)) in common::all_figures().into_iter().enumerate() {
        write_bytes_atomic(&out.join(format!("figure{}.svg", i + 1)), svg.as_bytes())?;
        write_bytes_atomic(
            &out.join(format!("figure{}.png", i + 1)),
            &svg_to_png(&svg)?,
        )?;
        page.figure(&caption, &svg);
    }
    page.section("Tables");
    page.table(
        "Discrimination <test>",
        &["Model".into(), "AUC (95% CI)".into()],
        &[vec!["CF".into(), "0.71 (0.63-0.79)".into()]],
    );
    page.key_values("Run", &[("Seed".into(), "42".into())]);
    let html = out.join("report.html");
    write_bytes_atomic(&html, page.render().as_bytes())?;
    println!("wrote {}", out.display());
    match check_in_browser(&html) {
        Ok(c) => {
            println!("browser check: {c:?}");
            screenshot(&html, &out.join("report.png"))?;
        }
        Err(e) => println!("browser check skipped: {e}"),
    }
    Ok(())
}
