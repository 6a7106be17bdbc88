//! Continuous rows: mean ± SD with Student's t, or median (IQR) with Mann-Whitney U, chosen by a
//! Shapiro-Wilk screen of each group.

use super::{
    NORMALITY_ALPHA, Summary, SummaryForm, Table1Row, TestName, VariableKind, parse_number,
};
use crate::StatsError;
use crate::describe::Continuous;
use crate::hypothesis::{ShapiroWilk, mann_whitney_u, shapiro_wilk, student_t_test, welch_t_test};

/// The row of a continuous variable whose non-missing cells are split into two groups.
/// `welch`: Welch's t instead of Student's when both groups pass the normality screen.
pub(super) fn row(
    name: &str,
    by_group: &[Vec<&str>; 2],
    welch: bool,
) -> Result<Table1Row, StatsError> {
    let values = [numbers(name, &by_group[0])?, numbers(name, &by_group[1])?];
    let all: Vec<f64> = values.iter().flatten().copied().collect();
    let mut notes = Vec::new();
    let normality: Vec<Option<ShapiroWilk>> = values
        .iter()
        .enumerate()
        .map(|(k, v)| match shapiro_wilk(v) {
            Ok(sw) => Some(sw),
            Err(e) => {
                notes.push(format!(
                    "Shapiro-Wilk undefined in group {} ({e}): counted as not normal",
                    k + 1
                ));
                None
            }
        })
        .collect();
    let normal = normality
        .iter()
        .all(|sw| sw.as_ref().is_some_and(|s| s.p_value >= NORMALITY_ALPHA));
    let mut row = Table1Row {
        name: name.to_string(),
        kind: VariableKind::Continuous,
        missing: vec![0, 0],
        groups: values
            .iter()
            .map(|v| Summary::Continuous(Continuous::of(v)))
            .collect(),
        total: Summary::Continuous(Continuous::of(&all)),
        summary: Some(if normal {
            SummaryForm::MeanSd
        } else {
            SummaryForm::MedianIqr
        }),
        normality,
        test: None,
        statistic: None,
        df: None,
        p: None,
        small_expected: false,
        notes,
    };
    compare(&mut row, &values, normal, welch);
    Ok(row)
}

/// Student's (or Welch's) t when both groups look normal, otherwise Mann-Whitney U (U of the
/// first group).
fn compare(row: &mut Table1Row, values: &[Vec<f64>; 2], normal: bool, welch: bool) {
    if let Some(k) = values.iter().position(Vec::is_empty) {
        row.notes
            .push(format!("no values in group {}: no test", k + 1));
        return;
    }
    let result = if normal && welch {
        welch_t_test(&values[0], &values[1])
            .map(|t| (TestName::WelchT, t.statistic, Some(t.df), t.p_value))
    } else if normal {
        student_t_test(&values[0], &values[1])
            .map(|t| (TestName::StudentT, t.statistic, Some(t.df), t.p_value))
    } else {
        mann_whitney_u(&values[0], &values[1])
            .map(|u| (TestName::MannWhitneyU, u.statistic, None, u.p_value))
    };
    match result {
        Ok((test, statistic, df, p)) => {
            row.test = Some(test);
            row.statistic = Some(statistic);
            row.df = df;
            row.p = Some(p);
        }
        Err(e) => row.notes.push(format!("no test: {e}")),
    }
}

/// Parse a group's cells; a forced-continuous variable with text in it is an error.
fn numbers(name: &str, cells: &[&str]) -> Result<Vec<f64>, StatsError> {
    cells
        .iter()
        .map(|c| {
            parse_number(c).ok_or_else(|| {
                StatsError::InvalidValue(format!(
                    "variable `{name}` is treated as continuous but has the value `{c}`: \
                     fix the cell or declare the variable categorical"
                ))
            })
        })
        .collect()
}
