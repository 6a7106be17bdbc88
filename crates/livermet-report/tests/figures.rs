mod common;

use common::*;
use livermet_report::figures::{
    DCA_Y_MIN, Marker, OUTLINE_RGB, Series, Tile, TileRow, attribution_figure, calibration_figure,
    decision_curve_figure, mask_boundary, representative_figure, roc_figure, roc_figure_marked,
    tile_png, tile_rgb,
};
use livermet_report::png::parse_svg;
use livermet_report::svg_to_png;
use livermet_report::usvg::roxmltree;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.01
}

#[test]
fn roc_figure_has_one_path_and_legend_entry_per_curve() {
    let svg = roc_figure("ROC <primary> & more", &roc_curves());
    parse_svg(&svg).expect("usvg parses the ROC figure");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let series = by_class(&doc, "series");
    assert_eq!(series.len(), 3);
    assert_eq!(by_class(&doc, "legend-entry").len(), 3);
    assert_eq!(
        series[2].attribute("data-label"),
        Some("Combined DL model, AUC 0.87 (0.82-0.93)")
    );
    assert!(series[2].attribute("stroke-dasharray").is_some());
    assert!(series[0].attribute("stroke-dasharray").is_none());
    // Grey dashed chance diagonal from bottom-left to top-right.
    let (x, y, w, h) = plot_area(&doc);
    let refs = by_class(&doc, "reference");
    assert_eq!(refs.len(), 1);
    let chance = path_points(refs[0].attribute("d").unwrap());
    assert_eq!(chance.len(), 2);
    assert!(close(chance[0].0, x) && close(chance[0].1, y + h));
    assert!(close(chance[1].0, x + w) && close(chance[1].1, y));
    // The title is escaped and present.
    let title = by_class(&doc, "title");
    assert_eq!(title[0].text(), Some("ROC <primary> & more"));
}

#[test]
fn roc_coordinates_map_to_the_plot_corners() {
    let perfect = Series::new(
        "perfect",
        vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.5, 0.25)],
    );
    let svg = roc_figure("ROC", &[perfect]);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let (x, y, w, h) = plot_area(&doc);
    assert!(w > 100.0 && close(w, h), "square plot area {w}x{h}");
    let pts = path_points(by_class(&doc, "series")[0].attribute("d").unwrap());
    assert_eq!(pts.len(), 4);
    assert!(
        close(pts[0].0, x) && close(pts[0].1, y + h),
        "(0,0) bottom-left: {:?}",
        pts[0]
    );
    assert!(
        close(pts[1].0, x) && close(pts[1].1, y),
        "(0,1) top-left: {:?}",
        pts[1]
    );
    assert!(
        close(pts[2].0, x + w) && close(pts[2].1, y),
        "(1,1) top-right: {:?}",
        pts[2]
    );
    assert!(
        close(pts[3].0, x + w / 2.0) && close(pts[3].1, y + 0.75 * h),
        "{:?}",
        pts[3]
    );
}

#[test]
fn decision_curves_clip_below_the_axis_and_list_reference_strategies() {
    let (curves, treat_all) = dca_series();
    let svg = decision_curve_figure("DCA", &curves, &treat_all);
    parse_svg(&svg).expect("usvg parses the DCA figure");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(by_class(&doc, "series").len(), 2);
    assert_eq!(by_class(&doc, "treat-all").len(), 1);
    assert_eq!(by_class(&doc, "treat-none").len(), 1);
    let legend = by_class(&doc, "legend-entry");
    assert_eq!(legend.len(), 4);
    let legend_text: Vec<String> = legend
        .iter()
        .map(|g| {
            g.descendants()
                .filter(|n| n.has_tag_name("text"))
                .filter_map(|n| n.text())
                .collect()
        })
        .collect();
    assert_eq!(
        legend_text,
        ["CF model", "Combined DL model", "Treat all", "Treat none"]
    );

    let (x, y, w, h) = plot_area(&doc);
    // Treat-all falls to about -60 at threshold 0.99: it must stop at the plot's bottom edge.
    let all = path_points(by_class(&doc, "treat-all")[0].attribute("d").unwrap());
    for (px, py) in by_class(&doc, "series")
        .iter()
        .chain(by_class(&doc, "treat-all").iter())
        .chain(by_class(&doc, "treat-none").iter())
        .flat_map(|n| path_points(n.attribute("d").unwrap()))
    {
        assert!(
            py >= y - 1e-6 && py <= y + h + 1e-6,
            "y {py} outside {y}..{}",
            y + h
        );
        assert!(
            px >= x - 1e-6 && px <= x + w + 1e-6,
            "x {px} outside {x}..{}",
            x + w
        );
    }
    let last = *all.last().unwrap();
    assert!(close(last.1, y + h), "clipped at the bottom edge: {last:?}");
    // Treat-all starts at threshold 0.01 with net benefit ~0.394, the largest value: the top
    // of the axis is a little above it.
    let first = all[0];
    assert!(
        first.1 > y + 0.01 * h && first.1 < y + 0.15 * h,
        "{first:?} vs top {y}"
    );
    // Treat none lies at net benefit 0: 0.05 above the bottom on a scale from -0.05.
    let none = path_points(by_class(&doc, "treat-none")[0].attribute("d").unwrap());
    let top_value = 0.394 + 0.05 * (0.394 - DCA_Y_MIN);
    let expected = y + h * (top_value - 0.0) / (top_value - DCA_Y_MIN);
    assert!(
        (none[0].1 - expected).abs() < 1.0,
        "{} vs {expected}",
        none[0].1
    );
    // x runs 0..1 (thresholds up to 0.99).
    assert!(close(none[0].0, x) && close(none[1].0, x + w));
}

#[test]
fn decision_curve_breaks_lines_at_nan_and_survives_empty_input() {
    let gap = Series::new(
        "gap",
        vec![(0.1, 0.2), (0.2, f64::NAN), (0.3, 0.1), (0.4, 0.05)],
    );
    let svg = decision_curve_figure("", &[gap], &Series::new("", vec![]));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let d = by_class(&doc, "series")[0]
        .attribute("d")
        .unwrap()
        .to_string();
    assert_eq!(d.matches('M').count(), 2, "{d}");
    assert!(by_class(&doc, "title").is_empty());
    // The empty treat-all label falls back to "Treat all".
    assert!(svg.contains(">Treat all<"));
    let empty = decision_curve_figure("empty", &[], &Series::new("Treat all", vec![]));
    parse_svg(&empty).unwrap();
}

#[test]
fn calibration_figure_draws_markers_joined_by_lines() {
    let curves = calibration_curves();
    let svg = calibration_figure("Calibration", &curves);
    parse_svg(&svg).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let series = by_class(&doc, "series");
    assert_eq!(series.len(), 2);
    assert_eq!(by_class(&doc, "marker").len(), 5 + 4);
    assert_eq!(by_class(&doc, "legend-entry").len(), 3);
    let ideal = by_class(&doc, "reference");
    assert_eq!(ideal.len(), 1);
    assert!(ideal[0].attribute("stroke-dasharray").is_some());
    // The markers sit on the line's vertices.
    let (x, y, w, h) = plot_area(&doc);
    let pts = path_points(series[0].attribute("d").unwrap());
    assert_eq!(pts.len(), 5);
    for ((px, py), (dx, dy)) in pts.iter().zip(&curves[0].points) {
        assert!(close(*px, x + dx * w) && close(*py, y + (1.0 - dy) * h));
    }
}

/// Independent boundary: inside, and some 4-neighbour outside (or off the image).
fn expected_boundary(t: &Tile) -> Vec<bool> {
    let (w, h) = (t.width as i64, t.height as i64);
    let m = |x: i64, y: i64| x >= 0 && y >= 0 && x < w && y < h && t.mask[(y * w + x) as usize];
    let mut out = vec![];
    for y in 0..h {
        for x in 0..w {
            out.push(m(x, y) && (!m(x - 1, y) || !m(x + 1, y) || !m(x, y - 1) || !m(x, y + 1)));
        }
    }
    out
}

#[test]
fn outline_is_exactly_the_mask_boundary() {
    // A disc, plus a blob touching the right edge, plus a one-pixel island.
    let mut tile = disc_tile(40, 30, 14.0, 15.0, 8.0);
    for y in 5..12 {
        for x in 34..40 {
            tile.mask[y * 40 + x] = true;
        }
    }
    tile.mask[25 * 40 + 30] = true;
    let expected = expected_boundary(&tile);
    assert_eq!(mask_boundary(&tile.mask, 40, 30), expected);
    let n_boundary = expected.iter().filter(|b| **b).count();
    assert!(n_boundary > 40, "{n_boundary}");
    let rgb = tile_rgb(&tile).unwrap();
    assert_eq!(rgb.len(), 40 * 30 * 3);
    for (i, px) in rgb.chunks(3).enumerate() {
        let is_outline = px == OUTLINE_RGB;
        assert_eq!(is_outline, expected[i], "pixel {} {}", i % 40, i / 40);
        if !is_outline {
            assert!(px[0] == px[1] && px[1] == px[2], "grey elsewhere: {px:?}");
        }
    }
    // The interior of the disc stays grey (brighter than the background).
    let centre = &rgb[(15 * 40 + 14) * 3..(15 * 40 + 14) * 3 + 3];
    assert!(centre[0] > 200 && centre[0] == centre[1], "{centre:?}");
}

#[test]
fn tiles_are_windowed_to_their_own_percentiles() {
    let w = 1000;
    let mut pixels: Vec<f32> = (0..w).map(|i| i as f32 * 10.0 + 5000.0).collect();
    pixels[0] = -1e6; // outliers are clipped, not stretched over
    pixels[999] = 1e6;
    pixels[500] = f32::NAN;
    let tile = Tile {
        width: w,
        height: 1,
        pixels,
        mask: vec![false; w],
        overlay: Vec::new(),
    };
    let rgb = tile_rgb(&tile).unwrap();
    let g: Vec<u8> = rgb.chunks(3).map(|p| p[0]).collect();
    assert_eq!(g[0], 0);
    assert_eq!(g[999], 255);
    assert_eq!(g[500], 0, "NaN is black");
    // Values below the 1st / above the 99th percentile saturate; the rest is a linear ramp.
    assert_eq!((g[5], g[995]), (0, 255));
    assert!(g[100] < g[400] && g[400] < g[800], "monotone");
    assert!(
        (g[250] as i32 - 62).abs() <= 3 && (g[750] as i32 - 192).abs() <= 3,
        "{} {}",
        g[250],
        g[750]
    );
    // Constant tile: black, no panic.
    let flat = Tile {
        width: 3,
        height: 2,
        pixels: vec![7.0; 6],
        mask: vec![false; 6],
        overlay: Vec::new(),
    };
    assert!(tile_rgb(&flat).unwrap().iter().all(|v| *v == 0));
    // Wrong sizes are an error, not a panic.
    let bad = Tile {
        width: 3,
        height: 2,
        pixels: vec![0.0; 5],
        mask: vec![false; 6],
        overlay: Vec::new(),
    };
    assert!(tile_rgb(&bad).is_err());
}

#[test]
fn representative_figure_embeds_one_png_per_tile() {
    use base64::Engine as _;
    let rows = tile_rows();
    let svg = representative_figure("Representative patients", &CHANNELS, &rows);
    parse_svg(&svg).expect("usvg parses the representative figure");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let images = by_class(&doc, "tile");
    assert_eq!(images.len(), 10);
    let cols: Vec<&str> = by_class(&doc, "column-label")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(cols, CHANNELS);
    let labels: Vec<&str> = by_class(&doc, "row-label")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(labels, [rows[0].label.as_str(), rows[1].label.as_str()]);
    // Each tile is the PNG of tile_png, 48x40.
    let href = images[0]
        .attribute(("http://www.w3.org/1999/xlink", "href"))
        .expect("xlink:href");
    let b64 = href.strip_prefix("data:image/png;base64,").unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(bytes, tile_png(&rows[0].tiles[0]).unwrap());
    let dec = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    assert_eq!((dec.info().width, dec.info().height), (48, 40));
}

#[test]
fn representative_figure_marks_invalid_tiles() {
    let rows = vec![TileRow {
        label: "odd".into(),
        tiles: vec![
            disc_tile(8, 8, 4.0, 4.0, 2.0),
            Tile {
                width: 4,
                height: 4,
                pixels: vec![0.0; 3],
                mask: vec![true; 16],
                overlay: Vec::new(),
            },
        ],
    }];
    let svg = representative_figure("", &["A", "B"], &rows);
    parse_svg(&svg).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(by_class(&doc, "tile").len(), 1);
    assert_eq!(by_class(&doc, "tile-error").len(), 1);
}

// ---- PNG ----

fn decode_rgba(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn svg_size(svg: &str) -> (u32, u32) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let r = doc.root_element();
    (
        r.attribute("width").unwrap().parse::<f64>().unwrap() as u32,
        r.attribute("height").unwrap().parse::<f64>().unwrap() as u32,
    )
}

/// Dark pixels (luminance < 100) in rows y0..y1, columns x0..x1.
fn dark_pixels(img: &(u32, u32, Vec<u8>), x0: u32, x1: u32, y0: u32, y1: u32) -> usize {
    let (w, _, px) = img;
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * w + x) * 4) as usize;
            let l = 0.299 * px[i] as f64 + 0.587 * px[i + 1] as f64 + 0.114 * px[i + 2] as f64;
            if l < 100.0 && px[i + 3] > 128 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn svg_to_png_renders_at_the_svg_size_with_text() {
    let curves = roc_curves();
    let titled = roc_figure("ROC curves - primary cohort", &curves);
    let untitled = roc_figure("", &curves);
    let (w, h) = svg_size(&titled);
    assert_eq!(svg_size(&untitled), (w, h));
    let a = decode_rgba(&svg_to_png(&titled).unwrap());
    let b = decode_rgba(&svg_to_png(&untitled).unwrap());
    assert_eq!((a.0, a.1), (w, h));
    assert_eq!((b.0, b.1), (w, h));
    // The title band: text (baseline y = 30, 16 px) renders dark pixels only when there is one.
    let band = (w / 2 - 120, w / 2 + 120, 12, 36);
    let with_title = dark_pixels(&a, band.0, band.1, band.2, band.3);
    assert!(with_title > 100, "title pixels: {with_title}");
    assert_eq!(dark_pixels(&b, band.0, band.1, band.2, band.3), 0);
    // Corner pixel is the white background.
    assert_eq!(&a.2[0..4], &[255, 255, 255, 255]);
}

#[test]
fn text_renders_with_the_bundled_font_whatever_family_is_named() {
    for family in ["sans-serif", "DejaVu Sans", "serif", "No Such Font"] {
        let svg = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/><text x="10" y="28" font-size="20" font-family="{family}">Sensitivity</text></svg>"##
        );
        let img = decode_rgba(&svg_to_png(&svg).unwrap());
        let n = dark_pixels(&img, 0, 200, 0, 40);
        assert!(n > 150, "{family}: {n} dark pixels");
    }
    let blank = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/><text x="10" y="28" font-size="20"></text></svg>"##;
    assert_eq!(
        dark_pixels(&decode_rgba(&svg_to_png(blank).unwrap()), 0, 200, 0, 40),
        0
    );
}

#[test]
fn representative_png_shows_tiles_and_outlines() {
    let svg = representative_figure("Representative patients", &CHANNELS, &tile_rows());
    let (w, h) = svg_size(&svg);
    let img = decode_rgba(&svg_to_png(&svg).unwrap());
    assert_eq!((img.0, img.1), (w, h));
    let [r, g, b] = OUTLINE_RGB;
    let outline = img
        .2
        .chunks(4)
        .filter(|p| {
            (p[0] as i32 - r as i32).abs() < 8
                && (p[1] as i32 - g as i32).abs() < 8
                && (p[2] as i32 - b as i32).abs() < 8
        })
        .count();
    // 10 tiles, each outline ~50 source pixels drawn at 128/48 scale.
    assert!(outline > 10 * 50 * 2, "outline pixels: {outline}");
}

#[test]
fn svg_to_png_rejects_bad_svg() {
    let e = svg_to_png("<svg><unclosed></svg>").unwrap_err();
    assert!(e.to_string().contains("cannot parse SVG"), "{e}");
    assert!(svg_to_png("not svg at all").is_err());
}

/// The plot area `(x, y, width, height)` of a figure, from its clip rectangle.
fn clip_area(svg: &str) -> (f64, f64, f64, f64) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let r = doc
        .descendants()
        .find(|n| n.has_tag_name("clipPath"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("rect")))
        .unwrap();
    let a = |k| r.attribute(k).unwrap().parse::<f64>().unwrap();
    (a("x"), a("y"), a("width"), a("height"))
}

/// Columns where two renderings of the same size differ, within rows y0..y1.
fn changed_columns(a: &(u32, u32, Vec<u8>), b: &(u32, u32, Vec<u8>), y0: u32, y1: u32) -> Vec<u32> {
    let w = a.0;
    (0..w)
        .filter(|&x| {
            (y0..y1).any(|y| {
                let i = ((y * w + x) * 4) as usize;
                a.2[i..i + 4] != b.2[i..i + 4]
            })
        })
        .collect()
}

#[test]
fn a_patients_marker_label_stays_inside_the_plot_wherever_the_marker_is() {
    let curves = roc_curves();
    let plain = decode_rgba(&svg_to_png(&roc_figure("ROC", &curves)).unwrap());
    for x in [0.0, 0.05, 0.4, 0.6, 0.75, 0.98, 1.0] {
        let marker = Marker {
            x,
            y: Some(0.8),
            label: "this patient: 0.42 (high risk)".into(),
        };
        let svg = roc_figure_marked("ROC", &curves, Some(&marker));
        let (left, top, width, _) = clip_area(&svg);
        let img = decode_rgba(&svg_to_png(&svg).unwrap());
        // The label's band at the top of the plot (baseline top + 14, 12 px type).
        let cols = changed_columns(&img, &plain, top as u32 + 1, top as u32 + 17);
        let (first, last) = (*cols.first().unwrap(), *cols.last().unwrap());
        assert!(
            f64::from(first) >= left - 1.0 && f64::from(last) <= left + width + 1.0,
            "marker at {x}: label drawn over columns {first}..{last}, plot {left}..{}",
            left + width
        );
        // The whole label is drawn: about 0.5 em per character at least.
        assert!(
            f64::from(last - first) > 0.5 * 12.0 * 30.0,
            "marker at {x}: {first}..{last}"
        );
    }
}

#[test]
fn attribution_value_labels_never_run_into_the_row_names() {
    let bars = vec![
        ("clinical values".to_string(), -1.8),
        ("images".to_string(), 0.4),
        ("CEA >= 5 ng/ml".to_string(), 1.8),
    ];
    let svg = attribution_figure("Attribution", &bars, "log-odds");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    // Name labels end (text-anchor end) left of every bar and every value label starts right
    // of where the names end.
    let texts: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .collect();
    let name_end = texts
        .iter()
        .filter(|t| bars.iter().any(|(l, _)| t.text() == Some(l.as_str())))
        .map(|t| t.attribute("x").unwrap().parse::<f64>().unwrap())
        .fold(f64::MIN, f64::max);
    let img = decode_rgba(&svg_to_png(&svg).unwrap());
    // Rendered: in the negative bar's row, between the names' end and the value label's start,
    // there is a white gap of at least 4 px.
    let row_y = 48 + 4;
    let dark_cols: Vec<u32> = (0..img.0)
        .filter(|&x| dark_pixels(&img, x, x + 1, row_y, row_y + 18) > 0)
        .collect();
    let gap = (name_end as u32 + 1..name_end as u32 + 12)
        .take_while(|x| !dark_cols.contains(x))
        .count();
    assert!(
        gap >= 4,
        "names end at {name_end}; gap {gap} px; dark {dark_cols:?}"
    );
}
