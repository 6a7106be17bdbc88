//! A builder for one self-contained HTML5 report page.
//!
//! The page has inline CSS, a table of contents of its sections, and its figures embedded as
//! `<img class="report-figure" src="data:image/svg+xml;base64,...">`: it refers to no external
//! URL, and its Content-Security-Policy (`default-src 'none'`, images only from `data:`) makes
//! the browser refuse any that slipped in.
//!
//! An inline script in `<head>` checks the page when it has loaded and records the result on
//! `<body>`, where [`crate::browser::check_in_browser`] reads it:
//! - `data-figures-total`: the number of `img.report-figure` elements;
//! - `data-figures-loaded`: how many of them are `complete` with `naturalWidth > 0` (decoded);
//! - `data-errors`: one line per JavaScript error (`window` `error` events, unhandled promise
//!   rejections), failed resource load (an `error` event on an element, e.g. a figure that is not
//!   an image) or Content-Security-Policy violation, in order;
//! - `data-check="done"` once the load check ran.

use base64::Engine as _;
use std::fmt::Write as _;

/// Class of the `<img>` of every figure; the page script counts these.
pub const FIGURE_CLASS: &str = "report-figure";

#[derive(Debug, Clone)]
enum Block {
    Section {
        id: String,
        heading: String,
    },
    Paragraph(String),
    Table {
        caption: String,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    KeyValues {
        caption: String,
        pairs: Vec<(String, String)>,
    },
    Figure {
        caption: String,
        svg: String,
    },
}

/// A report page under construction; [`Page::render`] gives the HTML.
#[derive(Debug, Clone)]
pub struct Page {
    title: String,
    blocks: Vec<Block>,
}

impl Page {
    /// An empty page titled `title` (also its `<h1>`).
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_string(),
            blocks: Vec::new(),
        }
    }

    /// Starts a section: an `<h2>` with an id, listed in the table of contents.
    pub fn section(&mut self, heading: &str) -> &mut Self {
        let n = 1 + self
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::Section { .. }))
            .count();
        self.blocks.push(Block::Section {
            id: format!("sec-{n}"),
            heading: heading.to_string(),
        });
        self
    }

    /// A paragraph of plain text (escaped; blank lines are kept as line breaks).
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        self.blocks.push(Block::Paragraph(text.to_string()));
        self
    }

    /// A table with a caption, a header row and body rows (all cells escaped text). Rows shorter
    /// than the header are padded with empty cells.
    pub fn table(&mut self, caption: &str, header: &[String], rows: &[Vec<String>]) -> &mut Self {
        self.blocks.push(Block::Table {
            caption: caption.to_string(),
            header: header.to_vec(),
            rows: rows.to_vec(),
        });
        self
    }

    /// A two-column table of names and values.
    pub fn key_values(&mut self, caption: &str, pairs: &[(String, String)]) -> &mut Self {
        self.blocks.push(Block::KeyValues {
            caption: caption.to_string(),
            pairs: pairs.to_vec(),
        });
        self
    }

    /// A figure: the SVG embedded as a base64 data URI in an `<img class="report-figure">`,
    /// with `caption` as its `<figcaption>` and alt text.
    pub fn figure(&mut self, caption: &str, svg: &str) -> &mut Self {
        self.blocks.push(Block::Figure {
            caption: caption.to_string(),
            svg: svg.to_string(),
        });
        self
    }

    /// Number of figures added so far (what the page script should find).
    pub fn figure_count(&self) -> usize {
        self.blocks
            .iter()
            .filter(|b| matches!(b, Block::Figure { .. }))
            .count()
    }

    /// The whole page as one self-contained HTML5 document.
    pub fn render(&self) -> String {
        let mut h = String::new();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
        );
        let _ = writeln!(h, "<title>{}</title>", esc(&self.title));
        let _ = writeln!(h, "<style>{CSS}</style>");
        let _ = writeln!(h, "<script>{SCRIPT}</script>");
        h.push_str("</head>\n<body>\n<main>\n");
        let _ = writeln!(h, "<h1>{}</h1>", esc(&self.title));

        let sections: Vec<(&str, &str)> = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Section { id, heading } => Some((id.as_str(), heading.as_str())),
                _ => None,
            })
            .collect();
        if !sections.is_empty() {
            h.push_str("<nav class=\"toc\" aria-label=\"Contents\">\n<p class=\"toc-title\">Contents</p>\n<ol>\n");
            for (id, heading) in &sections {
                let _ = writeln!(h, "<li><a href=\"#{id}\">{}</a></li>", esc(heading));
            }
            h.push_str("</ol>\n</nav>\n");
        }

        let mut figure_no = 0;
        for b in &self.blocks {
            match b {
                Block::Section { id, heading } => {
                    let _ = writeln!(h, "<h2 id=\"{id}\">{}</h2>", esc(heading));
                }
                Block::Paragraph(text) => {
                    let _ = writeln!(h, "<p>{}</p>", esc(text).replace('\n', "<br>"));
                }
                Block::Table {
                    caption,
                    header,
                    rows,
                } => {
                    h.push_str("<div class=\"table-wrap\"><table>\n");
                    if !caption.is_empty() {
                        let _ = writeln!(h, "<caption>{}</caption>", esc(caption));
                    }
                    if !header.is_empty() {
                        h.push_str("<thead><tr>");
                        for c in header {
                            let _ = write!(h, "<th scope=\"col\">{}</th>", esc(c));
                        }
                        h.push_str("</tr></thead>\n");
                    }
                    h.push_str("<tbody>\n");
                    for row in rows {
                        h.push_str("<tr>");
                        for c in row {
                            let _ = write!(h, "<td>{}</td>", esc(c));
                        }
                        for _ in row.len()..header.len() {
                            h.push_str("<td></td>");
                        }
                        h.push_str("</tr>\n");
                    }
                    h.push_str("</tbody></table></div>\n");
                }
                Block::KeyValues { caption, pairs } => {
                    h.push_str("<div class=\"table-wrap\"><table class=\"key-values\">\n");
                    if !caption.is_empty() {
                        let _ = writeln!(h, "<caption>{}</caption>", esc(caption));
                    }
                    h.push_str("<tbody>\n");
                    for (k, v) in pairs {
                        let _ = writeln!(
                            h,
                            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                            esc(k),
                            esc(v)
                        );
                    }
                    h.push_str("</tbody></table></div>\n");
                }
                Block::Figure { caption, svg } => {
                    figure_no += 1;
                    let data = base64::engine::general_purpose::STANDARD.encode(svg.as_bytes());
                    let _ = writeln!(
                        h,
                        "<figure id=\"fig-{figure_no}\"><img class=\"{FIGURE_CLASS}\" alt=\"{}\" \
                         src=\"data:image/svg+xml;base64,{data}\"><figcaption><b>Figure \
                         {figure_no}.</b> {}</figcaption></figure>",
                        esc(caption),
                        esc(caption)
                    );
                }
            }
        }
        h.push_str("</main>\n</body>\n</html>\n");
        h
    }
}

/// Escapes text for HTML and SVG/XML content and (double- or single-quoted) attribute
/// values; control characters XML 1.0 forbids become spaces.
pub fn esc(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => s.push(' '),
            c => s.push(c),
        }
    }
    s
}

const CSS: &str = "\
:root{color-scheme:light;--ink:#1a1a1a;--muted:#5a5a5a;--rule:#d9d9d9;--band:#f5f7fa}\
*{box-sizing:border-box}\
body{margin:0;background:#fff;color:var(--ink);font:15px/1.5 system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif}\
main{max-width:980px;margin:0 auto;padding:24px 20px 64px}\
h1{font-size:1.7em;margin:0 0 12px}\
h2{font-size:1.3em;margin:36px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--rule)}\
.toc{background:var(--band);border:1px solid var(--rule);border-radius:6px;padding:8px 16px;margin:12px 0 20px}\
.toc-title{font-weight:600;margin:4px 0}\
.toc ol{margin:4px 0 8px;padding-left:22px}\
a{color:#0b5cad}\
.table-wrap{overflow-x:auto;margin:14px 0}\
table{border-collapse:collapse;font-size:.92em;font-variant-numeric:tabular-nums}\
caption{text-align:left;font-weight:600;padding:4px 0;caption-side:top}\
th,td{border:1px solid var(--rule);padding:4px 10px;text-align:left;vertical-align:top}\
thead th{background:var(--band)}\
tbody tr:nth-child(even){background:#fafbfc}\
table.key-values th{background:var(--band);font-weight:600}\
figure{margin:20px 0;text-align:center}\
figure img{max-width:100%;height:auto;border:1px solid var(--rule)}\
figcaption{color:var(--muted);font-size:.92em;margin-top:6px;text-align:left}\
@media print{.toc{break-after:page}figure,table{break-inside:avoid}}";

/// The page's self-check (see the module docs). Runs before the body is parsed so errors from
/// any later script are caught.
const SCRIPT: &str = r##"(function(){
var errors=[];
function one(s){return String(s).replace(/[\r\n]+/g," ");}
function record(){
  var b=document.body;if(!b)return;
  b.setAttribute("data-errors",errors.join("\n"));
}
window.addEventListener("error",function(e){
  var t=e.target;
  if(t&&t!==window&&t.tagName){
    errors.push(one("failed to load "+t.tagName.toLowerCase()+(t.id?"#"+t.id:"")+(t.alt?" ("+t.alt+")":"")));
  }else{
    errors.push(one((e.message||"script error")+(e.filename?" at "+e.filename.slice(0,80)+":"+e.lineno:"")));
  }
  record();
},true);
window.addEventListener("unhandledrejection",function(e){errors.push(one("unhandled rejection: "+(e.reason&&e.reason.message||e.reason)));record();});
document.addEventListener("securitypolicyviolation",function(e){errors.push(one("blocked by Content-Security-Policy: "+e.violatedDirective+" "+e.blockedURI));record();});
window.addEventListener("load",function(){
  var figs=document.querySelectorAll("img.report-figure"),ok=0;
  for(var i=0;i<figs.length;i++){var f=figs[i];if(f.complete&&f.naturalWidth>0)ok++;}
  var b=document.body;
  b.setAttribute("data-figures-total",String(figs.length));
  b.setAttribute("data-figures-loaded",String(ok));
  record();
  b.setAttribute("data-check","done");
});
})();"##;
