mod common;

use livermet_report::Page;

fn sample_page() -> Page {
    let mut page = Page::new("Study <report> & \"results\"");
    page.section("Cohort & data")
        .paragraph("Patients with <script>alert('x')</script> & friends.\nSecond line.")
        .table(
            "Table 1 <baseline>",
            &["Variable".into(), "SLM <yes>".into(), "non-SLM".into()],
            &[
                vec!["Age".into(), "61 (54-68)".into(), "<b>bold</b>".into()],
                vec!["CEA & CA199".into()],
            ],
        )
        .key_values(
            "Run",
            &[
                ("seed".into(), "42".into()),
                ("<k>".into(), "a\"b'c".into()),
            ],
        );
    page.section("Figures");
    for (caption, svg) in common::all_figures() {
        page.figure(&caption, &svg);
    }
    page.section("Discussion");
    page
}

#[test]
fn text_and_cells_are_escaped() {
    let html = sample_page().render();
    assert!(!html.contains("<script>alert"), "raw script in page");
    assert!(html.contains("Patients with &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; friends.<br>Second line."));
    assert!(html.contains("<title>Study &lt;report&gt; &amp; &quot;results&quot;</title>"));
    assert!(html.contains("<h1>Study &lt;report&gt; &amp; &quot;results&quot;</h1>"));
    assert!(html.contains("<caption>Table 1 &lt;baseline&gt;</caption>"));
    assert!(html.contains("<th scope=\"col\">SLM &lt;yes&gt;</th>"));
    assert!(html.contains("<td>&lt;b&gt;bold&lt;/b&gt;</td>"));
    assert!(!html.contains("<b>bold</b>"));
    // The short row is padded to the header's width.
    assert!(html.contains("<tr><td>CEA &amp; CA199</td><td></td><td></td></tr>"));
    assert!(html.contains("<tr><th scope=\"row\">&lt;k&gt;</th><td>a&quot;b&#39;c</td></tr>"));
    assert!(html.contains("<h2 id=\"sec-1\">Cohort &amp; data</h2>"));
}

#[test]
fn page_refers_to_nothing_outside_itself() {
    let html = sample_page().render();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for bad in [
        "http://",
        "https://",
        "src=\"//",
        "href=\"//",
        "url(",
        "@import",
    ] {
        assert!(!html.contains(bad), "page contains {bad:?}");
    }
    // Every src is a data URI, every href an in-page anchor.
    for (attr, prefix) in [("src=\"", "data:"), ("href=\"", "#")] {
        let mut n = 0;
        for (i, _) in html.match_indices(attr) {
            let value = &html[i + attr.len()..];
            assert!(
                value.starts_with(prefix),
                "{attr}{}",
                &value[..40.min(value.len())]
            );
            n += 1;
        }
        assert!(n > 0, "no {attr}");
    }
    // The CSP forbids anything but inline style/script and data: images.
    assert!(html.contains("default-src 'none'; img-src data:"));
}

#[test]
fn table_of_contents_lists_the_sections_in_order() {
    let html = sample_page().render();
    let toc_start = html.find("<nav class=\"toc\"").expect("toc");
    let toc = &html[toc_start..toc_start + html[toc_start..].find("</nav>").unwrap()];
    let links: Vec<&str> = toc.match_indices("<li>").map(|(i, _)| &toc[i..]).collect();
    assert_eq!(links.len(), 3);
    assert!(links[0].starts_with("<li><a href=\"#sec-1\">Cohort &amp; data</a></li>"));
    assert!(links[1].starts_with("<li><a href=\"#sec-2\">Figures</a></li>"));
    assert!(links[2].starts_with("<li><a href=\"#sec-3\">Discussion</a></li>"));
    for id in ["sec-1", "sec-2", "sec-3"] {
        assert_eq!(html.matches(&format!("id=\"{id}\"")).count(), 1);
    }
    // The TOC comes before the first section.
    assert!(toc_start < html.find("<h2 id=\"sec-1\"").unwrap());
    // A page without sections has no TOC.
    assert!(!Page::new("x").render().contains("class=\"toc\""));
}

#[test]
fn figures_are_embedded_as_svg_data_uris() {
    use base64::Engine as _;
    let page = sample_page();
    assert_eq!(page.figure_count(), 4);
    let html = page.render();
    let prefix = "<img class=\"report-figure\"";
    assert_eq!(html.matches(prefix).count(), 4);
    let src = "src=\"data:image/svg+xml;base64,";
    let i = html.find(src).unwrap() + src.len();
    let b64 = &html[i..i + html[i..].find('"').unwrap()];
    let svg = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(String::from_utf8(svg).unwrap(), common::all_figures()[0].1);
    assert!(html.contains("<figcaption><b>Figure 2.</b> Decision curves</figcaption>"));
}
