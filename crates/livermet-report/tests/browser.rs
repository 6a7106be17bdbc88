//! Headless-Chromium checks of report pages. These need a browser: without one they fail with
//! the message naming scripts/install-test-deps.sh (they never skip).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use livermet_io::write_bytes_atomic;
use livermet_report::{BrowserCheck, Page, check_in_browser, screenshot};

/// One browser at a time: they are heavy on a small machine.
static BROWSER: Mutex<()> = Mutex::new(());

fn full_page() -> String {
    let mut page = Page::new("Browser check");
    page.section("Figures");
    for (caption, svg) in common::all_figures() {
        page.figure(&caption, &svg);
    }
    page.section("Table").table(
        "t",
        &["a".into(), "b".into()],
        &[vec!["1".into(), "<2>".into()]],
    );
    page.render()
}

fn check(dir: &Path, name: &str, html: &str) -> BrowserCheck {
    let path = dir.join(name);
    write_bytes_atomic(&path, html.as_bytes()).unwrap();
    let _guard = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    check_in_browser(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_figure_of_a_report_loads_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let c = check(dir.path(), "report.html", &full_page());
    assert_eq!(c.errors, Vec::<String>::new());
    assert_eq!(c.figures_total, 4);
    assert_eq!(c.figures_loaded, 4);
    assert!(c.is_clean());
}

#[test]
fn a_figure_that_is_not_an_image_is_counted_as_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let html = full_page();
    // Replace the second figure's data with base64 of "not an image".
    let prefix = "src=\"data:image/svg+xml;base64,";
    let second = html.match_indices(prefix).nth(1).unwrap().0 + prefix.len();
    let end = second + html[second..].find('"').unwrap();
    let broken = format!("{}bm90IGFuIGltYWdl{}", &html[..second], &html[end..]);
    let c = check(dir.path(), "broken figure.html", &broken);
    assert_eq!(c.figures_total, 4);
    assert_eq!(c.figures_loaded, 3);
    assert!(!c.is_clean());
    assert!(
        c.errors.iter().any(|e| e.contains("failed to load img")),
        "{:?}",
        c.errors
    );
}

#[test]
fn a_script_that_throws_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let html = full_page().replace(
        "</body>",
        "<script>throw new Error(\"deliberate test failure\");</script></body>",
    );
    let c = check(dir.path(), "throws.html", &html);
    assert_eq!(c.figures_loaded, 4);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    assert!(
        c.errors[0].contains("deliberate test failure"),
        "{:?}",
        c.errors
    );
}

#[test]
fn an_external_resource_is_blocked_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there, and the page's CSP refuses it before any connection is tried.
    let html = full_page().replace(
        "</main>",
        "<img class=\"report-figure\" alt=\"remote\" src=\"http://127.0.0.1:9/x.png\"></main>",
    );
    let c = check(dir.path(), "external.html", &html);
    assert_eq!((c.figures_total, c.figures_loaded), (5, 4));
    assert!(
        c.errors
            .iter()
            .any(|e| e.contains("Content-Security-Policy")),
        "{:?}",
        c.errors
    );
}

#[test]
fn a_page_without_the_check_script_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.html");
    std::fs::write(&path, "<!DOCTYPE html><html><body><p>hi</p></body></html>").unwrap();
    let _guard = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let e = check_in_browser(&path).unwrap_err();
    assert!(e.to_string().contains("check script did not finish"), "{e}");
}

#[test]
fn screenshot_writes_a_png_of_the_window_size() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    write_bytes_atomic(&page, full_page().as_bytes()).unwrap();
    let shot: PathBuf = dir.path().join("shot.png");
    {
        let _guard = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
        screenshot(&page, &shot).unwrap_or_else(|e| panic!("{e}"));
    }
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()))
        .read_info()
        .unwrap();
    assert_eq!((dec.info().width, dec.info().height), (1200, 3000));
}
