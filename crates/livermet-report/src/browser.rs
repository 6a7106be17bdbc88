//! Checks a report page in headless Chromium.
//!
//! [`check_in_browser`] loads the page with `--dump-dom` and reads back what the page's own
//! script (see [`crate::html`]) recorded on `<body>`: how many figures there are, how many
//! decoded, and the errors seen. The browser is `$LIVERMET_CHROMIUM` when set, else the first of
//! `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on `PATH`, else
//! `/usr/bin/chromium`. `scripts/install-test-deps.sh` installs Debian's `chromium`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ReportError;

/// What the page's check script recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserCheck {
    /// `img.report-figure` elements on the page.
    pub figures_total: usize,
    /// Those of them that decoded (`complete && naturalWidth > 0`).
    pub figures_loaded: usize,
    /// JavaScript errors, failed resource loads and CSP violations, one line each.
    pub errors: Vec<String>,
}

impl BrowserCheck {
    /// True when every figure loaded and nothing went wrong.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.figures_loaded == self.figures_total
    }
}

/// Environment variable naming the Chromium (or Chrome) binary to use.
pub const CHROMIUM_ENV: &str = "LIVERMET_CHROMIUM";

/// How long one Chromium run may take before it is killed.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

const CANDIDATES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// Finds the browser binary (see the module docs).
pub fn find_chromium() -> Result<PathBuf, ReportError> {
    find_chromium_in(std::env::var_os(CHROMIUM_ENV), std::env::var_os("PATH"))
}

/// [`find_chromium`] with the values of `LIVERMET_CHROMIUM` and `PATH` given.
fn find_chromium_in(
    env: Option<std::ffi::OsString>,
    path: Option<std::ffi::OsString>,
) -> Result<PathBuf, ReportError> {
    let search_path = |name: &str| search_path(path.as_deref(), name);
    if let Some(v) = env.filter(|v| !v.is_empty()) {
        let p = PathBuf::from(&v);
        if p.is_file() {
            return Ok(p);
        }
        if p.components().count() == 1
            && let Some(found) = search_path(&v.to_string_lossy())
        {
            return Ok(found);
        }
        return Err(ReportError::BrowserNotFound(format!(
            "{CHROMIUM_ENV}={} is not a file",
            p.display()
        )));
    }
    for name in CANDIDATES {
        if let Some(found) = search_path(name) {
            return Ok(found);
        }
    }
    let fallback = Path::new("/usr/bin/chromium");
    if fallback.is_file() {
        return Ok(fallback.to_path_buf());
    }
    Err(ReportError::BrowserNotFound(format!(
        "none of {} on PATH, no /usr/bin/chromium, {CHROMIUM_ENV} unset",
        CANDIDATES.join(", ")
    )))
}

fn search_path(path: Option<&std::ffi::OsStr>, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The flags of every run: headless, no sandbox (root in containers), nothing from the network,
/// a fresh profile.
fn base_args(profile: &Path) -> Vec<String> {
    vec![
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        format!("--user-data-dir={}", profile.display()),
        "--virtual-time-budget=5000".into(),
    ]
}

fn page_url(html: &Path) -> Result<(PathBuf, String), ReportError> {
    let abs = std::fs::canonicalize(html).map_err(|source| ReportError::Io {
        path: html.to_path_buf(),
        source,
    })?;
    let mut url = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    Ok((abs, url))
}

/// Runs the browser with `extra` flags then the page URL; returns its stdout.
fn run_browser(html: &Path, extra: &[String]) -> Result<String, ReportError> {
    let exe = find_chromium()?;
    let (abs, url) = page_url(html)?;
    let fail = |message: String| ReportError::Browser {
        page: abs.clone(),
        message,
    };
    let scratch = tempfile::Builder::new()
        .prefix("livermet-chromium-")
        .tempdir()
        .map_err(|e| fail(format!("cannot make a temporary profile folder: {e}")))?;
    let profile = scratch.path().join("profile");
    let out_path = scratch.path().join("stdout");
    let err_path = scratch.path().join("stderr");
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ReportError::Io { path: p, source }
    };
    let stdout = File::create(&out_path).map_err(io(&out_path))?;
    let stderr = File::create(&err_path).map_err(io(&err_path))?;
    let mut args = base_args(&profile);
    args.extend_from_slice(extra);
    args.push(url);
    let mut child = Command::new(&exe)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| {
            ReportError::BrowserNotFound(format!("cannot start {}: {e}", exe.display()))
        })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > BROWSER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "{} did not finish in {} s",
                    exe.display(),
                    BROWSER_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(fail(format!("waiting for {}: {e}", exe.display()))),
        }
    };
    let out = std::fs::read(&out_path).map_err(io(&out_path))?;
    if !status.success() {
        let err = std::fs::read_to_string(&err_path).unwrap_or_default();
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        return Err(fail(format!(
            "{} exited with {status}: {}",
            exe.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Opens `html` in headless Chromium and returns what the page's check script recorded (see
/// [`crate::html`]). Errors: [`ReportError::BrowserNotFound`] when there is no browser,
/// [`ReportError::Browser`] when it fails, times out, or the page has no check result (not a
/// page made by [`crate::html::Page`], or its script did not run).
pub fn check_in_browser(html: &Path) -> Result<BrowserCheck, ReportError> {
    let dom = run_browser(html, &["--dump-dom".to_string()])?;
    parse_dump(&dom).map_err(|message| ReportError::Browser {
        page: html.to_path_buf(),
        message,
    })
}

/// Saves a PNG screenshot of the page (1200 px wide, 3000 px tall) for a person to look at.
pub fn screenshot(html: &Path, png_out: &Path) -> Result<(), ReportError> {
    let out_abs = if png_out.is_absolute() {
        png_out.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|source| ReportError::Io {
                path: png_out.to_path_buf(),
                source,
            })?
            .join(png_out)
    };
    let _ = std::fs::remove_file(&out_abs);
    run_browser(
        html,
        &[
            format!("--screenshot={}", out_abs.display()),
            "--window-size=1200,3000".to_string(),
            "--hide-scrollbars".to_string(),
        ],
    )?;
    if !out_abs.is_file() {
        return Err(ReportError::Browser {
            page: html.to_path_buf(),
            message: format!("no screenshot was written to {}", out_abs.display()),
        });
    }
    Ok(())
}

/// Reads the check attributes off the `<body>` start tag of a dumped DOM (the first `<body` tag
/// that carries `data-check`, so a "<body" inside a script's text cannot mislead it).
pub fn parse_dump(dom: &str) -> Result<BrowserCheck, String> {
    let mut tags = body_tags(dom);
    let first = tags
        .first()
        .cloned()
        .ok_or("the dumped DOM has no <body> tag")?;
    let attrs = tags
        .drain(..)
        .find(|a| a.iter().any(|(k, _)| k.eq_ignore_ascii_case("data-check")))
        .unwrap_or(first);
    let get = |name: &str| {
        attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if get("data-check") != Some("done") {
        return Err(
            "the page's check script did not finish (not a livermet report page, or its scripts \
             were blocked)"
                .to_string(),
        );
    }
    let num = |name: &str| -> Result<usize, String> {
        get(name)
            .ok_or(format!("no {name} attribute on <body>"))?
            .trim()
            .parse()
            .map_err(|e| format!("{name}: {e}"))
    };
    Ok(BrowserCheck {
        figures_total: num("data-figures-total")?,
        figures_loaded: num("data-figures-loaded")?,
        errors: get("data-errors")
            .unwrap_or("")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// Attributes of every `<body` start tag in `dom`, in order.
fn body_tags(dom: &str) -> Vec<Vec<(String, String)>> {
    let lower = dom.to_ascii_lowercase();
    let mut tags = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<body").map(|i| from + i) {
        from = i + 5;
        let next = lower.as_bytes().get(from).copied();
        if matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/'))
            && let Some(a) = tag_attributes(&dom[from..])
        {
            tags.push(a);
        }
    }
    tags
}

/// Attributes (name, unescaped value) of a start tag, `s` starting just after its name.
fn tag_attributes(s: &str) -> Option<Vec<(String, String)>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' || b[i] == b'/' {
            return Some(attrs);
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = s[name_start..i].to_string();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let v0 = i + 1;
                let end = v0 + s[v0..].bytes().position(|c| c == q)?;
                value = unescape(&s[v0..end]);
                i = end + 1;
            } else {
                let v0 = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = unescape(&s[v0..i]);
            }
        }
        attrs.push((name, value));
    }
}

/// Decodes the HTML character references a serialiser writes in attribute values.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_body_attributes_of_a_dump() {
        let dom = "<!DOCTYPE html>\n<html><head><script>var a=\"<body>\";</script></head>\
                   <body data-figures-total=\"4\" data-figures-loaded=\"3\" \
                   data-errors=\"failed to load img#x (a &quot;b&quot; &amp; c)\nboom &lt;1&gt;\" \
                   data-check=\"done\"><p>x</p></body></html>";
        // The "<body>" inside the script comes first; the tag with data-check must win.
        let c = parse_dump(dom).unwrap();
        assert_eq!(c.figures_total, 4);
        assert_eq!(c.figures_loaded, 3);
        assert_eq!(
            c.errors,
            vec![
                "failed to load img#x (a \"b\" & c)".to_string(),
                "boom <1>".to_string()
            ]
        );
        assert!(parse_dump("<html><body>no check</body></html>").is_err());
    }

    #[test]
    fn a_missing_browser_names_the_install_script() {
        let e = find_chromium_in(
            Some("/nonexistent/chromium".into()),
            Some("/nonexistent".into()),
        )
        .unwrap_err();
        assert!(matches!(e, ReportError::BrowserNotFound(_)), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("scripts/install-test-deps.sh"), "{msg}");
        assert!(msg.contains("/nonexistent/chromium"), "{msg}");
        // A bare name in LIVERMET_CHROMIUM is looked up on PATH.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("my-chrome"), "").unwrap();
        let found = find_chromium_in(
            Some("my-chrome".into()),
            Some(dir.path().as_os_str().into()),
        )
        .unwrap();
        assert_eq!(found, dir.path().join("my-chrome"));
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a b#c.html");
        std::fs::write(&p, "x").unwrap();
        let (_, url) = page_url(&p).unwrap();
        assert!(url.starts_with("file:///"), "{url}");
        assert!(url.ends_with("/a%20b%23c.html"), "{url}");
    }
}
