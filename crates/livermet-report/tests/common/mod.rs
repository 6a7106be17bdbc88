//! Sample figures shared by the integration tests.
#![allow(dead_code)]

use livermet_report::figures::{
    Series, Tile, TileRow, calibration_figure, decision_curve_figure, representative_figure,
    roc_figure,
};
use livermet_report::usvg::roxmltree;

/// A smooth ROC-like curve through (0,0) and (1,1) bowed by `k`.
pub fn roc_points(k: f64) -> Vec<(f64, f64)> {
    (0..=20)
        .map(|i| {
            let x = i as f64 / 20.0;
            (x, x.powf(1.0 / k))
        })
        .collect()
}

pub fn roc_curves() -> Vec<Series> {
    vec![
        Series::new("CF model, AUC 0.71 (0.63-0.79)", roc_points(1.6)),
        Series::new("MRI DL model, AUC 0.79 (0.72-0.86)", roc_points(2.4)),
        Series::new("Combined DL model, AUC 0.87 (0.82-0.93)", roc_points(3.5)).dashed(),
    ]
}

/// Net benefit of a model and of treat-all for prevalence 0.4, thresholds 0.01..0.99.
pub fn dca_series() -> (Vec<Series>, Series) {
    let prev = 0.4;
    let ts: Vec<f64> = (1..=99).map(|i| i as f64 / 100.0).collect();
    let treat_all = Series::new(
        "Treat all",
        ts.iter()
            .map(|&t| (t, prev - (1.0 - prev) * t / (1.0 - t)))
            .collect(),
    );
    let model = |sens: f64, spec: f64| -> Vec<(f64, f64)> {
        ts.iter()
            .map(|&t| {
                let s = sens * (1.0 - t).sqrt();
                let fp = (1.0 - spec) * (1.0 - t);
                (t, prev * s - (1.0 - prev) * fp * t / (1.0 - t))
            })
            .collect()
    };
    (
        vec![
            Series::new("CF model", model(0.7, 0.8)),
            Series::new("Combined DL model", model(0.85, 0.9)),
        ],
        treat_all,
    )
}

pub fn calibration_curves() -> Vec<Series> {
    vec![
        Series::new(
            "Combined DL model",
            vec![
                (0.05, 0.08),
                (0.2, 0.15),
                (0.4, 0.45),
                (0.6, 0.55),
                (0.85, 0.9),
            ],
        ),
        Series::new(
            "CF model",
            vec![(0.1, 0.2), (0.3, 0.25), (0.5, 0.6), (0.7, 0.62)],
        ),
    ]
}

/// A `w` x `h` tile: a gradient with a bright disc, the disc as the mask.
pub fn disc_tile(w: usize, h: usize, cx: f64, cy: f64, r: f64) -> Tile {
    let mut pixels = Vec::with_capacity(w * h);
    let mut mask = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let d = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
            let inside = d <= r;
            pixels.push((x + y) as f32 * 3.0 + if inside { 400.0 } else { 0.0 });
            mask.push(inside);
        }
    }
    Tile {
        width: w,
        height: h,
        pixels,
        mask,
        overlay: Vec::new(),
    }
}

pub const CHANNELS: [&str; 5] = ["T2WI", "T1WI", "T1CE", "DWI", "ADC"];

pub fn tile_rows() -> Vec<TileRow> {
    [
        "True positive - P012, score 0.81",
        "False negative - P031, score 0.22",
    ]
    .iter()
    .enumerate()
    .map(|(r, label)| TileRow {
        label: label.to_string(),
        tiles: (0..5)
            .map(|c| disc_tile(48, 40, 20.0 + c as f64, 18.0 + r as f64, 9.0))
            .collect(),
    })
    .collect()
}

/// One of each figure: (caption, svg).
pub fn all_figures() -> Vec<(String, String)> {
    let (dca, treat_all) = dca_series();
    vec![
        (
            "ROC curves, primary cohort".into(),
            roc_figure("ROC curves - primary cohort", &roc_curves()),
        ),
        (
            "Decision curves".into(),
            decision_curve_figure("Decision curves", &dca, &treat_all),
        ),
        (
            "Calibration".into(),
            calibration_figure("Calibration", &calibration_curves()),
        ),
        (
            "Representative patients".into(),
            representative_figure("Representative patients", &CHANNELS, &tile_rows()),
        ),
    ]
}

/// Elements with `class` containing `class` (whole word).
pub fn by_class<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    class: &str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split_whitespace().any(|w| w == class))
        })
        .collect()
}

/// The (x, y) pairs of a path made of M and L commands.
pub fn path_points(d: &str) -> Vec<(f64, f64)> {
    let nums: Vec<f64> = d
        .split(|c: char| c == 'M' || c == 'L' || c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(nums.len() % 2, 0, "odd number of coordinates in {d}");
    nums.chunks(2).map(|c| (c[0], c[1])).collect()
}

/// (x, y, width, height) of the plot area.
pub fn plot_area(doc: &roxmltree::Document) -> (f64, f64, f64, f64) {
    let r = by_class(doc, "plot-area");
    assert_eq!(r.len(), 1);
    let a = |n: &str| r[0].attribute(n).unwrap().parse::<f64>().unwrap();
    (a("x"), a("y"), a("width"), a("height"))
}
