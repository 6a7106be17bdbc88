//! The study's figures as standalone SVG documents (UTF-8 strings with `width`/`height`, a white
//! background and text in `DejaVu Sans, sans-serif`, the font [`crate::png`] bundles).
//!
//! What each figure shows:
//! - [`roc_figure`] (the paper's Figure 3): one receiver operating characteristic curve per model,
//!   sensitivity against 1 - specificity, with the grey dashed chance diagonal. The legend lists the
//!   curves (their labels usually carry the AUC and its 95% CI); the chance line is not listed.
//! - [`decision_curve_figure`] (Figure 4): net benefit against threshold probability for each
//!   model, plus the "Treat all" and "Treat none" strategies, both listed in the legend. The y axis
//!   runs from -0.05 to a little above the largest net benefit; lines below -0.05 are clipped at
//!   the axis, as dcurves and rmda draw them.
//! - [`calibration_figure`]: observed proportion against mean predicted probability per bin,
//!   points with markers joined by lines, and the dashed "Ideal" diagonal (listed in the legend).
//! - [`representative_figure`] (Figure 2): a grid of MRI tiles, one row per patient (labelled, e.g.
//!   "True positive - P012, score 0.81") and one column per channel (T2WI, T1WI, T1CE, DWI, ADC);
//!   each tile is windowed to its own 1st-99th percentile and the tumour mask's boundary is burnt
//!   in [`OUTLINE_RGB`].
//!
//! - [`attribution_figure`]: a patient's attribution bars (log-odds, positive towards SLM).
//! - `*_marked` variants of the ROC, decision and calibration figures add a [`Marker`]: where one
//!   patient sits.
//!
//! Structure a test (or a reader of the SVG) can rely on: the plot area is
//! `<rect class="plot-area">`; each model curve is one `<path class="series" data-label=..>` in
//! data order; reference lines have class `reference` (ROC chance, calibration ideal),
//! `treat-all` or `treat-none`; each legend entry is a `<g class="legend-entry">`; the title is
//! `<text class="title">` (absent for an empty title); calibration markers are
//! `<circle class="marker">`; representative tiles are `<image class="tile">`.

use base64::Engine as _;
use std::fmt::Write as _;

use crate::ReportError;
use crate::html::esc;

/// One curve: its legend label, its points in data coordinates (non-finite points break the
/// line), and whether it is drawn dashed.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

impl Series {
    /// A solid series.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
            dashed: false,
        }
    }

    /// The same series drawn dashed.
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// Where one patient sits on a figure: a dashed vertical line at `x` (data units), a dot at
/// `(x, y)` when `y` is given, labelled `label`. Drawn as `<g class="patient-marker">`.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub y: Option<f64>,
    pub label: String,
}

/// One image tile of [`representative_figure`]: `pixels` and `mask` are row-major with row 0 at
/// the top, both `width * height` long. Pixels may be in any range (each tile is windowed to its
/// own 1st..99th percentile); the outline drawn is the boundary of `mask`. `overlay` is empty,
/// or a saliency map of the same size drawn over the image ([`tile_rgb`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<f32>,
    pub mask: Vec<bool>,
    pub overlay: Vec<f32>,
}

/// One patient's row of [`representative_figure`]: its label and one tile per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct TileRow {
    pub label: String,
    pub tiles: Vec<Tile>,
}

/// The font family every figure names; [`crate::png`] maps both names to the bundled DejaVu Sans.
pub const FONT_FAMILY: &str = "DejaVu Sans, sans-serif";

/// Colour of the tumour outline burnt into representative tiles (never a grey, so it is
/// distinguishable from image pixels).
pub const OUTLINE_RGB: [u8; 3] = [255, 48, 32];

/// Line colours of the model curves, in order (Okabe-Ito, colour-blind safe), then repeated.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];

const REFERENCE_GREY: &str = "#8c8c8c";
const LEGEND_ROW: f64 = 20.0;

// ---------------------------------------------------------------------------------------------
// Shared plot frame

struct Axis {
    min: f64,
    max: f64,
    ticks: Vec<f64>,
    decimals: usize,
    label: &'static str,
}

impl Axis {
    fn new(min: f64, max: f64, label: &'static str) -> Self {
        let (ticks, decimals) = nice_ticks(min, max, 5);
        Self {
            min,
            max,
            ticks,
            decimals,
            label,
        }
    }
}

struct Frame {
    width: f64,
    height: f64,
    left: f64,
    top: f64,
    plot_w: f64,
    plot_h: f64,
    x: Axis,
    y: Axis,
    /// Prefix for ids (clip path) so several figures can share a document.
    kind: &'static str,
}

impl Frame {
    /// A frame with a `plot_w` x `plot_h` plot area and room below for `legend_rows` entries.
    fn new(
        kind: &'static str,
        title: &str,
        plot_w: f64,
        plot_h: f64,
        x: Axis,
        y: Axis,
        legend_rows: usize,
    ) -> Self {
        let left = 72.0;
        let right = 24.0;
        // The title band is kept when the title is empty, so figures line up side by side.
        let top = 48.0;
        // x tick labels, axis label, then the legend.
        let bottom = 62.0 + legend_rows as f64 * LEGEND_ROW + 8.0;
        let title_w = text_width(title, 16.0) + 40.0;
        let width = (left + plot_w + right).max(title_w).ceil();
        Self {
            width,
            height: (top + plot_h + bottom).ceil(),
            left,
            top,
            plot_w,
            plot_h,
            x,
            y,
            kind,
        }
    }

    fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.min) / (self.x.max - self.x.min) * self.plot_w
    }

    fn py(&self, y: f64) -> f64 {
        self.top + (self.y.max - y) / (self.y.max - self.y.min) * self.plot_h
    }

    /// SVG header, background, title, grid, axes, ticks and axis labels.
    fn open(&self, out: &mut String, title: &str) {
        let (w, h) = (self.width, self.height);
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" class="livermet-figure" data-kind="{}">"##,
            self.kind
        );
        let _ = write!(
            out,
            r##"<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##
        );
        let (x0, y0, pw, ph) = (self.left, self.top, self.plot_w, self.plot_h);
        let _ = write!(
            out,
            r##"<defs><clipPath id="{}-plot-clip"><rect x="{x0}" y="{y0}" width="{pw}" height="{ph}"/></clipPath></defs>"##,
            self.kind
        );
        if !title.is_empty() {
            let _ = write!(
                out,
                r##"<text class="title" x="{:.1}" y="30" text-anchor="middle" font-size="16" font-weight="bold" fill="#111111">{}</text>"##,
                w / 2.0,
                esc(title)
            );
        }
        // Grid lines at the ticks.
        out.push_str(r##"<g class="grid" stroke="#e6e6e6" stroke-width="1">"##);
        for &t in &self.x.ticks {
            let x = self.px(t);
            let _ = write!(
                out,
                r##"<line x1="{x:.2}" y1="{y0:.2}" x2="{x:.2}" y2="{:.2}"/>"##,
                y0 + ph
            );
        }
        for &t in &self.y.ticks {
            let y = self.py(t);
            let _ = write!(
                out,
                r##"<line x1="{x0:.2}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}"/>"##,
                x0 + pw
            );
        }
        out.push_str("</g>");
        // Ticks and their labels.
        out.push_str(r##"<g class="ticks" stroke="#333333" stroke-width="1" font-size="12" fill="#333333">"##);
        for &t in &self.x.ticks {
            let x = self.px(t);
            let yb = y0 + ph;
            let _ = write!(
                out,
                r##"<line x1="{x:.2}" y1="{yb:.2}" x2="{x:.2}" y2="{:.2}"/><text x="{x:.2}" y="{:.2}" text-anchor="middle" stroke="none">{}</text>"##,
                yb + 5.0,
                yb + 19.0,
                fmt_tick(t, self.x.decimals)
            );
        }
        for &t in &self.y.ticks {
            let y = self.py(t);
            let _ = write!(
                out,
                r##"<line x1="{:.2}" y1="{y:.2}" x2="{x0:.2}" y2="{y:.2}"/><text x="{:.2}" y="{:.2}" text-anchor="end" stroke="none">{}</text>"##,
                x0 - 5.0,
                x0 - 8.0,
                y + 4.0,
                fmt_tick(t, self.y.decimals)
            );
        }
        out.push_str("</g>");
        let _ = write!(
            out,
            r##"<rect class="plot-area" x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="none" stroke="#333333" stroke-width="1"/>"##
        );
        let _ = write!(
            out,
            r##"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#111111">{}</text>"##,
            x0 + pw / 2.0,
            y0 + ph + 40.0,
            esc(self.x.label)
        );
        let (cx, cy) = (20.0, y0 + ph / 2.0);
        let _ = write!(
            out,
            r##"<text class="axis-label" x="{cx}" y="{cy:.1}" text-anchor="middle" font-size="13" fill="#111111" transform="rotate(-90 {cx} {cy:.1})">{}</text>"##,
            esc(self.y.label)
        );
    }

    /// A polyline through `points` (data coordinates) as SVG path data, clipped to the y range
    /// of the frame (so nothing is drawn below the y axis minimum) and broken at non-finite
    /// points. Empty when nothing is visible.
    fn path_data(&self, points: &[(f64, f64)]) -> String {
        let (lo, hi) = (self.y.min, self.y.max);
        let mut d = String::new();
        let mut pen: Option<(f64, f64)> = None;
        let mut prev: Option<(f64, f64)> = None;
        for &p in points {
            if !(p.0.is_finite() && p.1.is_finite()) {
                prev = None;
                pen = None;
                continue;
            }
            match prev {
                None => {
                    if (lo..=hi).contains(&p.1) {
                        self.move_to(&mut d, p);
                        pen = Some(p);
                    }
                }
                Some(a) => {
                    if let Some((s, e)) = clip_segment_y(a, p, lo, hi) {
                        if pen != Some(s) {
                            self.move_to(&mut d, s);
                        }
                        if e != s {
                            let _ = write!(d, " L{:.2} {:.2}", self.px(e.0), self.py(e.1));
                        }
                        pen = Some(e);
                    } else {
                        pen = None;
                    }
                }
            }
            prev = Some(p);
        }
        d
    }

    fn move_to(&self, d: &mut String, p: (f64, f64)) {
        if !d.is_empty() {
            d.push(' ');
        }
        let _ = write!(d, "M{:.2} {:.2}", self.px(p.0), self.py(p.1));
    }

    /// One `<path>` with class `class`, or nothing when no part is visible.
    fn line(
        &self,
        out: &mut String,
        class: &str,
        label: &str,
        points: &[(f64, f64)],
        style: &Style,
    ) {
        let d = self.path_data(points);
        if d.is_empty() {
            return;
        }
        let _ = write!(
            out,
            r##"<path class="{class}" data-label="{}" d="{d}" fill="none" {}/>"##,
            esc(label),
            style.attrs()
        );
    }

    /// A patient's [`Marker`]: a dashed vertical line at `x` across the plot area, a dot at
    /// `(x, y)` when `y` is given, and the label at the top of the line.
    fn marker(&self, out: &mut String, marker: Option<&Marker>) {
        let Some(m) = marker.filter(|m| m.x.is_finite()) else {
            return;
        };
        let x = self.px(m.x.clamp(self.x.min, self.x.max));
        let (y0, y1) = (self.top, self.top + self.plot_h);
        let _ = write!(
            out,
            r##"<g class="patient-marker" data-x="{}"><line x1="{x:.2}" y1="{y0:.2}" x2="{x:.2}" y2="{y1:.2}" stroke="#111111" stroke-width="1.2" stroke-dasharray="3 3"/>"##,
            m.x
        );
        if let Some(y) = m.y.filter(|y| y.is_finite()) {
            let _ = write!(
                out,
                r##"<circle cx="{x:.2}" cy="{:.2}" r="5" fill="#111111" stroke="#ffffff" stroke-width="1.5"/>"##,
                self.py(y.clamp(self.y.min, self.y.max))
            );
        }
        // The label goes right of the line if it fits in the plot, else left of it, else it is
        // right-aligned to the plot's edge: never cut off by the figure's border.
        let (w, right) = (text_width(&m.label, 12.0), self.left + self.plot_w);
        let (tx, anchor) = if x + 4.0 + w <= right {
            (x + 4.0, "start")
        } else if x - 4.0 - w >= self.left {
            (x - 4.0, "end")
        } else {
            (right, "end")
        };
        let _ = write!(
            out,
            r##"<text x="{tx:.2}" y="{:.2}" text-anchor="{anchor}" font-size="12" fill="#111111">{}</text></g>"##,
            y0 + 14.0,
            esc(&m.label)
        );
    }

    /// Opens a group clipped to the plot area.
    fn open_clip(&self, out: &mut String) {
        let _ = write!(out, r#"<g clip-path="url(#{}-plot-clip)">"#, self.kind);
    }

    /// The legend below the plot, one entry per row.
    fn legend(&self, out: &mut String, entries: &[(String, Style, bool)]) {
        out.push_str(r##"<g class="legend" font-size="12" fill="#111111">"##);
        let x = self.left;
        for (i, (label, style, marker)) in entries.iter().enumerate() {
            let y = self.top + self.plot_h + 62.0 + i as f64 * LEGEND_ROW;
            let _ = write!(
                out,
                r##"<g class="legend-entry"><line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" {}/>"##,
                x + 32.0,
                style.attrs()
            );
            if *marker {
                let _ = write!(
                    out,
                    r##"<circle cx="{:.1}" cy="{y:.1}" r="3.5" fill="{}" stroke="#ffffff" stroke-width="1"/>"##,
                    x + 16.0,
                    style.colour
                );
            }
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}">{}</text></g>"##,
                x + 40.0,
                y + 4.0,
                esc(label)
            );
        }
        out.push_str("</g>");
    }
}

#[derive(Clone)]
struct Style {
    colour: String,
    width: f64,
    dashed: bool,
}

impl Style {
    fn new(colour: &str, width: f64, dashed: bool) -> Self {
        Self {
            colour: colour.to_string(),
            width,
            dashed,
        }
    }

    fn series(i: usize, s: &Series) -> Self {
        Self::new(PALETTE[i % PALETTE.len()], 2.0, s.dashed)
    }

    fn attrs(&self) -> String {
        let mut a = format!(
            r##"stroke="{}" stroke-width="{}" stroke-linejoin="round" stroke-linecap="round""##,
            self.colour, self.width
        );
        if self.dashed {
            a.push_str(r#" stroke-dasharray="6 4""#);
        }
        a
    }
}

/// Clips the segment a-b to `lo <= y <= hi`; `None` when no part of it is inside.
fn clip_segment_y(
    a: (f64, f64),
    b: (f64, f64),
    lo: f64,
    hi: f64,
) -> Option<((f64, f64), (f64, f64))> {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let dy = b.1 - a.1;
    if dy == 0.0 {
        if a.1 < lo || a.1 > hi {
            return None;
        }
    } else {
        let ta = (lo - a.1) / dy;
        let tb = (hi - a.1) / dy;
        let (enter, leave) = if ta < tb { (ta, tb) } else { (tb, ta) };
        t0 = t0.max(enter);
        t1 = t1.min(leave);
        if t0 > t1 {
            return None;
        }
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            (a.0 + t * (b.0 - a.0), a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

/// Ticks at a "nice" step (1, 2, 2.5 or 5 times a power of ten) inside `[min, max]`, and the
/// number of decimals their labels need.
fn nice_ticks(min: f64, max: f64, target: usize) -> (Vec<f64>, usize) {
    if !(min.is_finite() && max.is_finite()) || max <= min {
        return (vec![], 0);
    }
    let raw = (max - min) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(10.0 * mag);
    let decimals = (0..=6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(6) as usize;
    let eps = step * 1e-6;
    let first = (min / step - 1e-9).ceil();
    let mut ticks = Vec::new();
    let mut k = first;
    loop {
        let t = k * step;
        if t > max + eps {
            break;
        }
        // Avoid "-0.0".
        ticks.push(if t.abs() < eps { 0.0 } else { t });
        k += 1.0;
    }
    (ticks, decimals)
}

fn fmt_tick(t: f64, decimals: usize) -> String {
    format!("{t:.decimals$}")
}

/// Rough width of `text` in DejaVu Sans at `size` px (for layout only).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.62
}

fn finite_max_y<'a>(series: impl Iterator<Item = &'a Series>) -> Option<f64> {
    series
        .flat_map(|s| s.points.iter())
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .map(|p| p.1)
        .reduce(f64::max)
}

fn finite_max_x<'a>(series: impl Iterator<Item = &'a Series>) -> Option<f64> {
    series
        .flat_map(|s| s.points.iter())
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .map(|p| p.0)
        .reduce(f64::max)
}

// ---------------------------------------------------------------------------------------------
// The figures

/// A 420x420 figure on the unit square with `axes` (x, y) and room for `entries` legend lines,
/// opened and clipped, with the dashed grey diagonal drawn and labelled `reference`.
fn unit_square(
    kind: &'static str,
    title: &str,
    axes: (&'static str, &'static str),
    entries: usize,
    reference: &str,
) -> (Frame, String) {
    let f = Frame::new(
        kind,
        title,
        420.0,
        420.0,
        Axis::new(0.0, 1.0, axes.0),
        Axis::new(0.0, 1.0, axes.1),
        entries,
    );
    let mut out = String::new();
    f.open(&mut out, title);
    f.open_clip(&mut out);
    let diagonal = Style::new(REFERENCE_GREY, 1.0, true);
    f.line(
        &mut out,
        "reference",
        reference,
        &[(0.0, 0.0), (1.0, 1.0)],
        &diagonal,
    );
    (f, out)
}

/// ROC curves: x = 1 - specificity, y = sensitivity, both 0..1, with the grey dashed chance
/// diagonal. Legend: one entry per curve (label usually like "Combined DL, AUC 0.82 (0.75-0.88)").
pub fn roc_figure(title: &str, curves: &[Series]) -> String {
    roc_figure_marked(title, curves, None)
}

/// [`roc_figure`] with a [`Marker`] (a patient's operating point).
pub fn roc_figure_marked(title: &str, curves: &[Series], marker: Option<&Marker>) -> String {
    let axes = ("1 − Specificity", "Sensitivity");
    let (f, mut out) = unit_square("roc", title, axes, curves.len(), "Chance");
    let mut legend = Vec::new();
    for (i, c) in curves.iter().enumerate() {
        let style = Style::series(i, c);
        f.line(&mut out, "series", &c.label, &c.points, &style);
        legend.push((c.label.clone(), style, false));
    }
    f.marker(&mut out, marker);
    out.push_str("</g>");
    f.legend(&mut out, &legend);
    out.push_str("</svg>");
    out
}

/// Lower end of the decision-curve y axis.
pub const DCA_Y_MIN: f64 = -0.05;

/// Decision curves: x = threshold probability, y = net benefit. Draws `curves`, `treat_all`
/// (grey) and "Treat none" (net benefit 0, black); the legend lists the curves, then "Treat all"
/// (labelled with `treat_all.label`, or "Treat all" when empty) and "Treat none". The y axis runs
/// from [`DCA_Y_MIN`] to 5% of the range above the largest net benefit; anything lower is
/// clipped at the axis. The x axis runs from 0 to the largest threshold, rounded up to a tick.
pub fn decision_curve_figure(title: &str, curves: &[Series], treat_all: &Series) -> String {
    decision_curve_figure_marked(title, curves, treat_all, None)
}

/// [`decision_curve_figure`] with a [`Marker`] (a patient's probability as the threshold).
pub fn decision_curve_figure_marked(
    title: &str,
    curves: &[Series],
    treat_all: &Series,
    marker: Option<&Marker>,
) -> String {
    let all = curves.iter().chain(std::iter::once(treat_all));
    let top = finite_max_y(all.clone()).unwrap_or(0.0).max(0.0);
    let y_max = (top + 0.05 * (top - DCA_Y_MIN)).max(0.05);
    let x_data = finite_max_x(all).unwrap_or(1.0);
    let x_max = if x_data > 0.0 {
        let (t, _) = nice_ticks(0.0, x_data, 5);
        let step = if t.len() > 1 { t[1] - t[0] } else { x_data };
        ((x_data / step - 1e-9).ceil() * step).max(step)
    } else {
        1.0
    };
    let f = Frame::new(
        "dca",
        title,
        520.0,
        340.0,
        Axis::new(0.0, x_max, "Threshold probability"),
        Axis::new(DCA_Y_MIN, y_max, "Net benefit"),
        curves.len() + 2,
    );
    let mut out = String::new();
    f.open(&mut out, title);
    f.open_clip(&mut out);
    let none_style = Style::new("#000000", 1.2, false);
    let all_style = Style::new(REFERENCE_GREY, 1.5, treat_all.dashed);
    let all_label = if treat_all.label.is_empty() {
        "Treat all".to_string()
    } else {
        treat_all.label.clone()
    };
    f.line(
        &mut out,
        "treat-none",
        "Treat none",
        &[(0.0, 0.0), (x_max, 0.0)],
        &none_style,
    );
    f.line(
        &mut out,
        "treat-all",
        &all_label,
        &treat_all.points,
        &all_style,
    );
    let mut legend = Vec::new();
    for (i, c) in curves.iter().enumerate() {
        let style = Style::series(i, c);
        f.line(&mut out, "series", &c.label, &c.points, &style);
        legend.push((c.label.clone(), style, false));
    }
    f.marker(&mut out, marker);
    out.push_str("</g>");
    legend.push((all_label, all_style, false));
    legend.push(("Treat none".to_string(), none_style, false));
    f.legend(&mut out, &legend);
    out.push_str("</svg>");
    out
}

/// Calibration curves: x = predicted probability, y = observed proportion, both 0..1; each curve
/// is its points with circle markers joined by lines; the dashed grey "Ideal" diagonal is listed
/// last in the legend.
pub fn calibration_figure(title: &str, curves: &[Series]) -> String {
    calibration_figure_marked(title, curves, None)
}

/// [`calibration_figure`] with a [`Marker`] (a patient's predicted probability).
pub fn calibration_figure_marked(
    title: &str,
    curves: &[Series],
    marker: Option<&Marker>,
) -> String {
    let axes = ("Predicted probability", "Observed proportion");
    let (f, mut out) = unit_square("calibration", title, axes, curves.len() + 1, "Ideal");
    let ideal = Style::new(REFERENCE_GREY, 1.0, true);
    let mut legend = Vec::new();
    for (i, c) in curves.iter().enumerate() {
        let style = Style::series(i, c);
        f.line(&mut out, "series", &c.label, &c.points, &style);
        let _ = write!(
            out,
            r##"<g class="markers" data-label="{}" fill="{}" stroke="#ffffff" stroke-width="1">"##,
            esc(&c.label),
            style.colour
        );
        for &(x, y) in &c.points {
            if x.is_finite()
                && y.is_finite()
                && (0.0..=1.0).contains(&x)
                && (0.0..=1.0).contains(&y)
            {
                let _ = write!(
                    out,
                    r##"<circle class="marker" cx="{:.2}" cy="{:.2}" r="3.5"/>"##,
                    f.px(x),
                    f.py(y)
                );
            }
        }
        out.push_str("</g>");
        legend.push((c.label.clone(), style, true));
    }
    f.marker(&mut out, marker);
    out.push_str("</g>");
    legend.push(("Ideal".to_string(), ideal, false));
    f.legend(&mut out, &legend);
    out.push_str("</svg>");
    out
}

/// Attribution bars: one horizontal bar per `(label, value)` from a zero line, towards the
/// right (vermilion, `class="bar positive"`) for evidence of SLM, towards the left (blue,
/// `class="bar negative"`) against, each with its value in log-odds; `note` under the bars.
pub fn attribution_figure(title: &str, bars: &[(String, f64)], note: &str) -> String {
    let label_w = bars
        .iter()
        .map(|(l, _)| text_width(l, 12.0))
        .fold(80.0, f64::max)
        .ceil();
    let (plot_w, row) = (360.0, 26.0);
    let left = 16.0 + label_w + 8.0;
    let width = (left + plot_w + 70.0)
        .max(text_width(title, 16.0) + 40.0)
        .ceil();
    let top = 48.0;
    let height = (top + bars.len() as f64 * row + 44.0).ceil();
    let reach = bars
        .iter()
        .map(|(_, v)| v.abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-9);
    let zero = left + plot_w / 2.0;
    // The longest bar leaves room for its value label inside the plot, so a negative one's
    // label never runs into the row's name on the left (nor a positive one past the right).
    let value_room = text_width("+0.000", 11.0) + 8.0;
    let scale = (plot_w / 2.0 - value_room) / reach;
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" class="livermet-figure" data-kind="attribution"><rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    if !title.is_empty() {
        let _ = write!(
            out,
            r##"<text class="title" x="{:.1}" y="28" text-anchor="middle" font-size="16" font-weight="bold" fill="#111111">{}</text>"##,
            width / 2.0,
            esc(title)
        );
    }
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = top + i as f64 * row;
        let v = if v.is_finite() { *v } else { 0.0 };
        let (x, w) = if v >= 0.0 {
            (zero, v * scale)
        } else {
            (zero + v * scale, -v * scale)
        };
        let (class, colour) = if v >= 0.0 {
            ("bar positive", PALETTE[1])
        } else {
            ("bar negative", PALETTE[0])
        };
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#111111">{}</text><rect class="{class}" data-label="{}" data-value="{v}" x="{x:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" fill="{colour}"/>"##,
            left - 8.0,
            y + 16.0,
            esc(label),
            esc(label),
            y + 4.0,
            row - 8.0
        );
        let (tx, anchor) = if v >= 0.0 {
            (x + w + 4.0, "start")
        } else {
            (x - 4.0, "end")
        };
        let _ = write!(
            out,
            r##"<text x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" font-size="11" fill="#333333">{v:+.3}</text>"##,
            y + 16.0
        );
    }
    let y_end = top + bars.len() as f64 * row;
    let _ = write!(
        out,
        r##"<line class="zero" x1="{zero:.1}" y1="{:.1}" x2="{zero:.1}" y2="{y_end:.1}" stroke="#333333" stroke-width="1"/><text class="note" x="16" y="{:.1}" font-size="12" fill="#333333">{}</text></svg>"##,
        top - 4.0,
        y_end + 24.0,
        esc(note)
    );
    out
}

/// Displayed size (px) of the longer side of each representative tile.
pub const TILE_CELL: f64 = 128.0;

/// Representative patients (the paper's Figure 2): one row per patient, its label above its
/// tiles, one column per channel with `column_labels` on top. Each tile is shown in grey,
/// windowed to its own 1st..99th percentile, with the mask boundary burnt in [`OUTLINE_RGB`]
/// (see [`tile_rgb`]), embedded as a base64 PNG data URI. A tile whose sizes do not match is
/// drawn as a grey box saying "invalid tile" (class `tile-error`).
pub fn representative_figure(title: &str, column_labels: &[&str], rows: &[TileRow]) -> String {
    let margin = 16.0;
    let gap = 8.0;
    let ncols = rows
        .iter()
        .map(|r| r.tiles.len())
        .max()
        .unwrap_or(0)
        .max(column_labels.len())
        .max(1);
    let grid_w = ncols as f64 * TILE_CELL + (ncols - 1) as f64 * gap;
    let widest_label = rows
        .iter()
        .map(|r| text_width(&r.label, 13.0))
        .fold(0.0, f64::max);
    let width = (2.0 * margin + grid_w)
        .max(text_width(title, 16.0) + 2.0 * margin)
        .max(widest_label + 2.0 * margin)
        .ceil();
    let grid_x = ((width - grid_w) / 2.0).floor();
    let mut y = 44.0;
    let col_label_y = y + 14.0;
    y += 24.0;
    let row_h = 22.0 + TILE_CELL + gap;
    let note_y = y + rows.len() as f64 * row_h + 14.0;
    let height = (note_y + margin).ceil();

    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" class="livermet-figure" data-kind="representative">"##
    );
    let _ = write!(
        out,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    if !title.is_empty() {
        let _ = write!(
            out,
            r##"<text class="title" x="{:.1}" y="28" text-anchor="middle" font-size="16" font-weight="bold" fill="#111111">{}</text>"##,
            width / 2.0,
            esc(title)
        );
    }
    for (c, label) in column_labels.iter().enumerate() {
        let cx = grid_x + c as f64 * (TILE_CELL + gap) + TILE_CELL / 2.0;
        let _ = write!(
            out,
            r##"<text class="column-label" x="{cx:.1}" y="{col_label_y:.1}" text-anchor="middle" font-size="13" font-weight="bold" fill="#111111">{}</text>"##,
            esc(label)
        );
    }
    for (r, row) in rows.iter().enumerate() {
        let ry = y + r as f64 * row_h;
        let _ = write!(
            out,
            r##"<text class="row-label" x="{grid_x:.1}" y="{:.1}" font-size="13" fill="#111111">{}</text>"##,
            ry + 15.0,
            esc(&row.label)
        );
        let ty = ry + 22.0;
        for (c, tile) in row.tiles.iter().enumerate() {
            let tx = grid_x + c as f64 * (TILE_CELL + gap);
            match tile_png(tile) {
                Ok(png) => {
                    let scale = TILE_CELL / tile.width.max(tile.height) as f64;
                    let (w, h) = (tile.width as f64 * scale, tile.height as f64 * scale);
                    let _ = write!(
                        out,
                        r##"<rect x="{tx:.1}" y="{ty:.1}" width="{TILE_CELL}" height="{TILE_CELL}" fill="#000000"/><image class="tile" x="{:.2}" y="{:.2}" width="{w:.2}" height="{h:.2}" preserveAspectRatio="none" image-rendering="optimizeSpeed" xlink:href="data:image/png;base64,{}"/>"##,
                        tx + (TILE_CELL - w) / 2.0,
                        ty + (TILE_CELL - h) / 2.0,
                        base64::engine::general_purpose::STANDARD.encode(png)
                    );
                }
                Err(_) => {
                    let _ = write!(
                        out,
                        r##"<g class="tile-error"><rect x="{tx:.1}" y="{ty:.1}" width="{TILE_CELL}" height="{TILE_CELL}" fill="#bbbbbb"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12" fill="#111111">invalid tile</text></g>"##,
                        tx + TILE_CELL / 2.0,
                        ty + TILE_CELL / 2.0
                    );
                }
            }
        }
    }
    let [r, g, b] = OUTLINE_RGB;
    let _ = write!(
        out,
        r##"<text class="note" x="{grid_x:.1}" y="{note_y:.1}" font-size="12" fill="#333333">Outline (<tspan fill="rgb({r},{g},{b})" font-weight="bold">■</tspan>): tumour mask. Each tile windowed to its own 1st–99th percentile.</text>"##
    );
    out.push_str("</svg>");
    out
}

/// The boundary of a mask: pixels inside the mask with at least one 4-neighbour outside it or on
/// the image edge. Row-major, `width * height` (shorter masks are treated as false beyond their
/// end).
pub fn mask_boundary(mask: &[bool], width: usize, height: usize) -> Vec<bool> {
    let at = |x: usize, y: usize| mask.get(y * width + x).copied().unwrap_or(false);
    let mut out = vec![false; width * height];
    for y in 0..height {
        for x in 0..width {
            if !at(x, y) {
                continue;
            }
            let edge = x == 0 || y == 0 || x + 1 == width || y + 1 == height;
            out[y * width + x] =
                edge || !at(x - 1, y) || !at(x + 1, y) || !at(x, y - 1) || !at(x, y + 1);
        }
    }
    out
}

/// The 1st and 99th percentiles (linear interpolation) of the finite values; falls back to the
/// minimum and maximum when they coincide. `None` when there is no finite value.
pub fn window_1_99(pixels: &[f32]) -> Option<(f32, f32)> {
    let mut v: Vec<f32> = pixels.iter().copied().filter(|p| p.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let q = |p: f64| {
        let pos = p * (v.len() - 1) as f64;
        let i = pos.floor() as usize;
        let j = (i + 1).min(v.len() - 1);
        let frac = (pos - i as f64) as f32;
        v[i] + (v[j] - v[i]) * frac
    };
    let (lo, hi) = (q(0.01), q(0.99));
    if hi > lo {
        Some((lo, hi))
    } else {
        Some((v[0], v[v.len() - 1]))
    }
}

/// A tile as 8-bit RGB (row-major, 3 bytes a pixel): grey = the pixel windowed to the tile's own
/// 1st..99th percentile (non-finite pixels and constant tiles are black), and every pixel of
/// [`mask_boundary`] set to [`OUTLINE_RGB`]. A non-empty `overlay` is scaled to its own
/// maximum `m` and blended over the grey as a heat colour (red at 0 to yellow at `m`, opacity
/// 0.6 · value / m; values below a tenth of `m` are not drawn), under the outline.
pub fn tile_rgb(tile: &Tile) -> Result<Vec<u8>, ReportError> {
    let n = tile.width.checked_mul(tile.height).unwrap_or(0);
    let overlay_ok = tile.overlay.is_empty() || tile.overlay.len() == n;
    if n == 0 || tile.pixels.len() != n || tile.mask.len() != n || !overlay_ok {
        return Err(ReportError::Png(format!(
            "tile of {}x{} has {} pixels and {} mask values (need {} of each)",
            tile.width,
            tile.height,
            tile.pixels.len(),
            tile.mask.len(),
            tile.width.saturating_mul(tile.height)
        )));
    }
    let (lo, hi) = window_1_99(&tile.pixels).unwrap_or((0.0, 0.0));
    let boundary = mask_boundary(&tile.mask, tile.width, tile.height);
    let top = tile
        .overlay
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max);
    let mut rgb = Vec::with_capacity(n * 3);
    for (i, (p, b)) in tile.pixels.iter().zip(&boundary).enumerate() {
        if *b {
            rgb.extend_from_slice(&OUTLINE_RGB);
            continue;
        }
        let g = if p.is_finite() && hi > lo {
            ((p - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0
        } else {
            0.0
        };
        let heat = match tile.overlay.get(i) {
            Some(&v) if top > 0.0 && v.is_finite() && v >= 0.1 * top => Some(v / top),
            _ => None,
        };
        let px = match heat {
            Some(h) => {
                let a = 0.6 * h;
                let heat_rgb = [255.0, 255.0 * h, 0.0];
                heat_rgb.map(|c| (g * (1.0 - a) + c * a).round() as u8)
            }
            None => [g.round() as u8; 3],
        };
        rgb.extend_from_slice(&px);
    }
    Ok(rgb)
}

/// [`tile_rgb`] encoded as a PNG file.
pub fn tile_png(tile: &Tile) -> Result<Vec<u8>, ReportError> {
    let rgb = tile_rgb(tile)?;
    encode_rgb_png(&rgb, tile.width, tile.height)
}

/// Encodes 8-bit RGB pixels (row-major) as PNG.
pub fn encode_rgb_png(rgb: &[u8], width: usize, height: usize) -> Result<Vec<u8>, ReportError> {
    let err = |e: &dyn std::fmt::Display| ReportError::Png(e.to_string());
    let w = u32::try_from(width).map_err(|e| err(&e))?;
    let h = u32::try_from(height).map_err(|e| err(&e))?;
    let mut buf = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut buf, w, h);
        enc.set_color(::png::ColorType::Rgb);
        enc.set_depth(::png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| err(&e))?;
        writer.write_image_data(rgb).map_err(|e| err(&e))?;
        writer.finish().map_err(|e| err(&e))?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_unit_interval() {
        let (t, d) = nice_ticks(0.0, 1.0, 5);
        assert_eq!(t, vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(d, 1);
        let (t, d) = nice_ticks(-0.05, 0.42, 5);
        assert_eq!(d, 1);
        assert_eq!(t.first(), Some(&0.0));
        assert!(t.last().unwrap() <= &0.42);
    }

    #[test]
    fn clipping_cuts_at_the_axis() {
        // From (0, 0.1) down to (1, -0.2): crosses -0.05 at t = 0.5.
        let (s, e) = clip_segment_y((0.0, 0.1), (1.0, -0.2), -0.05, 1.0).unwrap();
        assert_eq!(s, (0.0, 0.1));
        assert!((e.0 - 0.5).abs() < 1e-12 && (e.1 + 0.05).abs() < 1e-12);
        assert!(clip_segment_y((0.0, -0.1), (1.0, -0.2), -0.05, 1.0).is_none());
    }

    #[test]
    fn window_ignores_outliers() {
        let mut px: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        px[0] = -1e9;
        px[999] = 1e9;
        let (lo, hi) = window_1_99(&px).unwrap();
        assert!((5.0..15.0).contains(&lo), "{lo}");
        assert!((985.0..995.0).contains(&hi), "{hi}");
    }
}
