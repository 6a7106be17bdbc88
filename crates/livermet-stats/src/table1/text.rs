//! Table 1 as printed text: the rows `livermet stats table1` prints and the report shows (one
//! title line per variable, plus one line per level of a categorical variable).

use super::{Summary, SummaryForm, Table1, Table1Row, TestName};

/// One printed line: characteristic, level, group cells, total, missing, test, statistic, p.
#[derive(Debug, Clone)]
pub struct TextRow {
    pub cells: Vec<String>,
    /// The row's statistic, df and p unrounded (title lines only), for the CSV.
    pub raw: [Option<f64>; 3],
}

pub fn header(table: &Table1) -> Vec<String> {
    let mut h = vec!["Characteristic".to_string(), "Level".to_string()];
    for g in &table.groups {
        h.push(format!("{}={} (n={})", table.group, g.label, g.n));
    }
    h.push(format!("Total (n={})", table.n));
    for s in ["Missing", "Test", "Statistic", "p"] {
        h.push(s.to_string());
    }
    h
}

pub fn text_rows(table: &Table1) -> Vec<TextRow> {
    table.rows.iter().flat_map(variable_lines).collect()
}

/// A categorical variable takes a title line plus one line per level; a continuous one a line.
fn variable_lines(row: &Table1Row) -> Vec<TextRow> {
    let missing = row
        .missing
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" / ");
    let test = row
        .test
        .map(|t| t.to_string())
        .unwrap_or_else(|| "none".into());
    let tail = [missing, test, statistic_text(row), p_text(row.p)];
    match row.summary {
        Some(form) => {
            let label = match form {
                SummaryForm::MeanSd => format!("{}, mean ± SD", row.name),
                SummaryForm::MedianIqr => format!("{}, median (IQR)", row.name),
            };
            let mut cells = vec![label, String::new()];
            cells.extend(
                row.groups
                    .iter()
                    .chain([&row.total])
                    .map(|s| continuous_text(s, form)),
            );
            cells.extend(tail);
            vec![TextRow {
                cells,
                raw: [row.statistic, row.df, row.p],
            }]
        }
        None => categorical_lines(row, tail),
    }
}

fn categorical_lines(row: &Table1Row, tail: [String; 4]) -> Vec<TextRow> {
    let mut title = vec![format!("{}, n (%)", row.name)];
    title.extend(std::iter::repeat_n(String::new(), row.groups.len() + 2));
    title.extend(tail);
    let mut lines = vec![TextRow {
        cells: title,
        raw: [row.statistic, row.df, row.p],
    }];
    let Summary::Categorical { levels, .. } = &row.total else {
        return lines;
    };
    for (i, level) in levels.iter().enumerate() {
        let mut cells = vec![String::new(), level.level.clone()];
        for s in row.groups.iter().chain([&row.total]) {
            if let Summary::Categorical { levels, .. } = s {
                let l = &levels[i];
                cells.push(match l.percent {
                    Some(p) => format!("{} ({p:.1}%)", l.n),
                    None => format!("{}", l.n),
                });
            }
        }
        cells.extend(std::iter::repeat_n(String::new(), 4));
        lines.push(TextRow {
            cells,
            raw: [None; 3],
        });
    }
    lines
}

/// mean ± SD, or median (IQR) where IQR = Q3 - Q1 as the paper prints it.
fn continuous_text(s: &Summary, form: SummaryForm) -> String {
    let Summary::Continuous(d) = s else {
        return String::new();
    };
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    match form {
        SummaryForm::MeanSd => format!("{} ± {}", f(d.mean), f(d.sd)),
        SummaryForm::MedianIqr => format!("{} ({})", f(d.median), f(d.iqr())),
    }
}

fn statistic_text(row: &Table1Row) -> String {
    let Some(v) = row.statistic else {
        return String::new();
    };
    match (row.test, row.df) {
        (Some(TestName::FisherExact), _) => format!("OR={v:.3}"),
        (Some(TestName::PearsonChiSquare | TestName::PearsonChiSquareYates), Some(df)) => {
            format!("chi2={v:.3}, df={df}")
        }
        (Some(TestName::StudentT), Some(df)) => format!("t={v:.3}, df={df}"),
        (Some(TestName::WelchT), Some(df)) => format!("t={v:.3}, df={df:.1}"),
        (Some(TestName::MannWhitneyU), _) => format!("U={v:.1}"),
        _ => format!("{v:.3}"),
    }
}

pub fn p_text(p: Option<f64>) -> String {
    match p {
        None => "-".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

/// Columns padded to their widest cell, then the notes.
pub fn render(table: &Table1, rows: &[TextRow]) -> String {
    let head = header(table);
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(&r.cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&head);
    for r in rows {
        out += &line(&r.cells);
    }
    if table.excluded_missing_group > 0 {
        out += &format!(
            "{} subject(s) without `{}` left out.\n",
            table.excluded_missing_group, table.group
        );
    }
    for row in &table.rows {
        for note in &row.notes {
            out += &format!("{}: {note}\n", row.name);
        }
    }
    out
}

/// The printed table as CSV, with the statistic, df and p as unrounded numbers.
pub fn to_csv(table: &Table1, rows: &[TextRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = header(table);
    head.truncate(head.len() - 2);
    head.extend(["statistic", "df", "p"].map(String::from));
    w.write_record(&head)?;
    for r in rows {
        let mut cells = r.cells[..r.cells.len() - 2].to_vec();
        cells.extend(
            r.raw
                .iter()
                .map(|v| v.map_or(String::new(), |v| v.to_string())),
        );
        w.write_record(&cells)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
