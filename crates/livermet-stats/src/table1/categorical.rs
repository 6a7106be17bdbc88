//! Categorical rows: n (%) per group and in total; Pearson chi-square, or with an expected count
//! below 5 Fisher's exact (2x2) or Fisher-Freeman-Halton's (more levels).

use super::{Summary, Table1Row, TestName, VariableKind, sorted_levels};
use crate::describe::level_counts;
use crate::hypothesis::{chi_square_independence, fisher_exact, fisher_freeman_halton};

/// Cochran's rule: expected counts below this make the chi-square approximation doubtful.
const MIN_EXPECTED: f64 = 5.0;

/// The row of a categorical variable whose non-missing cells are split into two groups.
/// `yates`: continuity-correct a 2x2 chi-square (larger tables are never corrected).
pub(super) fn row(name: &str, by_group: &[Vec<&str>; 2], yates: bool) -> Table1Row {
    let all: Vec<&str> = by_group.iter().flatten().copied().collect();
    let levels = sorted_levels(&all);
    let summary = |values: &[&str]| Summary::Categorical {
        n: values.len(),
        levels: level_counts(values, &levels),
    };
    let mut row = Table1Row {
        name: name.to_string(),
        kind: VariableKind::Categorical,
        missing: vec![0, 0],
        groups: by_group.iter().map(|g| summary(g)).collect(),
        total: summary(&all),
        summary: None,
        normality: Vec::new(),
        test: None,
        statistic: None,
        df: None,
        p: None,
        small_expected: false,
        notes: Vec::new(),
    };
    compare(&mut row, by_group, &levels, yates);
    row
}

/// Choose and run the test; leave it empty, with a note, when no test is possible.
fn compare(row: &mut Table1Row, by_group: &[Vec<&str>; 2], levels: &[String], yates: bool) {
    if let Some(k) = by_group.iter().position(Vec::is_empty) {
        row.notes
            .push(format!("no values in group {}: no test", k + 1));
        return;
    }
    if levels.len() < 2 {
        row.notes.push("a single level: no test".into());
        return;
    }
    // Levels are rows, groups are columns (the layout of the printed table).
    let table: Vec<Vec<u64>> = levels
        .iter()
        .map(|l| {
            by_group
                .iter()
                .map(|g| g.iter().filter(|v| **v == l.as_str()).count() as u64)
                .collect()
        })
        .collect();
    let chi = match chi_square_independence(&table, yates) {
        Ok(chi) => chi,
        Err(e) => {
            row.notes.push(format!("chi-square not computable: {e}"));
            return;
        }
    };
    if levels.len() == 2 && chi.min_expected < MIN_EXPECTED {
        let fisher = fisher_exact([[table[0][0], table[0][1]], [table[1][0], table[1][1]]])
            .expect("a 2x2 table of counts always has a Fisher test");
        row.test = Some(TestName::FisherExact);
        row.statistic = fisher.odds_ratio.filter(|v| v.is_finite());
        row.p = Some(fisher.p_value);
        row.notes.push(format!(
            "Fisher's exact test: smallest expected count {:.2} < 5",
            chi.min_expected
        ));
        return;
    }
    if chi.min_expected < MIN_EXPECTED {
        // SPSS's "Exact" option: the exact test of the whole r x 2 table. It enumerates every
        // table with these margins; a table too large for that keeps the chi-square test, said.
        match fisher_freeman_halton(&table) {
            Ok(exact) => {
                row.test = Some(TestName::FisherFreemanHalton);
                row.p = Some(exact.p_value);
                row.notes.push(format!(
                    "smallest expected count {:.2} < 5 in a {}x2 table: \
                     Fisher-Freeman-Halton exact test",
                    chi.min_expected,
                    levels.len()
                ));
                return;
            }
            Err(e) => row.notes.push(format!(
                "smallest expected count {:.2} < 5 in a {}x2 table, but no exact test ({e}): \
                 the chi-square approximation may be poor",
                chi.min_expected,
                levels.len()
            )),
        }
        row.small_expected = true;
    }
    row.test = Some(if chi.yates {
        TestName::PearsonChiSquareYates
    } else {
        TestName::PearsonChiSquare
    });
    row.statistic = Some(chi.statistic);
    row.df = Some(chi.df as f64);
    row.p = Some(chi.p_value);
}
