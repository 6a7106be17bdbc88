//! Table 1: each variable summarised per group and in total, with the test comparing the two
//! groups named in its row (the paper's Tables 1 and 2).
//!
//! Rules (documented here, mirrored by `fixtures/stats/table1/make_table1.py`):
//! - Subjects with a missing group are left out (counted in [`Table1::excluded_missing_group`]).
//!   The grouping column must have exactly two values; more (or fewer) is an error: Table 1
//!   compares two groups. Groups are ordered numerically when both labels are numbers
//!   (slm 0 then 1), otherwise alphabetically.
//! - Missing values are counted per variable and group and excluded from that variable only.
//! - Kind: the caller may force it; otherwise a variable is categorical when any value is not a
//!   number or when it has at most [`MAX_AUTO_LEVELS`] distinct values, continuous otherwise.
//! - Categorical: n (%) with the percentage of the group's non-missing values. Pearson
//!   chi-square without continuity correction (SPSS's "Pearson Chi-Square" row). When an
//!   expected count is below 5: Fisher's exact test for a 2x2 table, the Fisher-Freeman-Halton
//!   exact test for a larger one (SPSS's "Exact" option; R's `fisher.test`). A table too large to
//!   enumerate keeps the chi-square test, flagged by `small_expected` and a note.
//! - Continuous: Shapiro-Wilk in each group; when both give p >= 0.05 the row shows mean ± SD
//!   and uses Student's t-test, otherwise median (IQR) and the Mann-Whitney U test. A group that
//!   Shapiro-Wilk cannot assess (fewer than 3 values, all values identical, more than 5000)
//!   counts as failing, with a note saying why.
//! - Options ([`Table1Options`]): Welch's t instead of Student's; Yates's continuity correction
//!   for 2x2 chi-square tests (scipy's `correction=True`). Both off by default, as in the paper.

mod categorical;
mod continuous;
pub mod text;

use serde::Serialize;

use crate::StatsError;
use crate::describe::{Continuous, LevelCount};
use crate::hypothesis::ShapiroWilk;

/// A numeric variable with at most this many distinct values is treated as categorical.
pub const MAX_AUTO_LEVELS: usize = 5;
/// Significance level of the Shapiro-Wilk screen that picks parametric or rank tests.
pub const NORMALITY_ALPHA: f64 = 0.05;

/// Categorical (n (%)) or continuous (mean ± SD or median (IQR)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableKind {
    Categorical,
    Continuous,
}

/// One variable's cells as text, in subject order (`None` = missing).
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub cells: Vec<Option<String>>,
    /// Force the kind; `None` applies the automatic rule.
    pub kind: Option<VariableKind>,
}

/// The test a row used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TestName {
    #[serde(rename = "Pearson chi-square")]
    PearsonChiSquare,
    #[serde(rename = "Fisher's exact")]
    FisherExact,
    #[serde(rename = "Fisher-Freeman-Halton exact")]
    FisherFreemanHalton,
    #[serde(rename = "Pearson chi-square (Yates)")]
    PearsonChiSquareYates,
    #[serde(rename = "Student's t")]
    StudentT,
    #[serde(rename = "Welch's t")]
    WelchT,
    #[serde(rename = "Mann-Whitney U")]
    MannWhitneyU,
}

impl std::fmt::Display for TestName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PearsonChiSquare => "Pearson chi-square",
            Self::FisherExact => "Fisher's exact",
            Self::FisherFreemanHalton => "Fisher-Freeman-Halton exact",
            Self::PearsonChiSquareYates => "Pearson chi-square (Yates)",
            Self::StudentT => "Student's t",
            Self::WelchT => "Welch's t",
            Self::MannWhitneyU => "Mann-Whitney U",
        })
    }
}

/// How a continuous row is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryForm {
    MeanSd,
    MedianIqr,
}

/// One cell of a row: a group's (or the total's) summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Summary {
    Categorical { n: usize, levels: Vec<LevelCount> },
    Continuous(Continuous),
}

/// One variable's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1Row {
    pub name: String,
    pub kind: VariableKind,
    /// Missing values per group.
    pub missing: Vec<usize>,
    /// Summary per group, in [`Table1::groups`] order.
    pub groups: Vec<Summary>,
    pub total: Summary,
    /// Continuous rows: which summary the table shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<SummaryForm>,
    /// Continuous rows: Shapiro-Wilk per group (`None` where it cannot be computed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub normality: Vec<Option<ShapiroWilk>>,
    /// The test used; `None` when no test is possible (the notes say why).
    pub test: Option<TestName>,
    /// Chi-square, t, U of the first group, or Fisher's sample odds ratio (`None` if infinite;
    /// always `None` for the Fisher-Freeman-Halton test, which has no statistic).
    pub statistic: Option<f64>,
    pub df: Option<f64>,
    pub p: Option<f64>,
    /// Chi-square kept although an expected count is below 5 (a table larger than 2x2 too large
    /// for the exact test).
    pub small_expected: bool,
    pub notes: Vec<String>,
}

/// A group's label and size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupHeader {
    pub label: String,
    pub n: usize,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1 {
    /// Name of the grouping column.
    pub group: String,
    pub groups: Vec<GroupHeader>,
    /// Subjects in the table (both groups).
    pub n: usize,
    /// Subjects left out because their group is missing.
    pub excluded_missing_group: usize,
    pub rows: Vec<Table1Row>,
}

/// Choices of test beyond the defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Table1Options {
    /// Welch's unequal-variance t-test instead of Student's.
    pub welch: bool,
    /// Yates's continuity correction for 2x2 chi-square tests.
    pub yates: bool,
}

/// Build Table 1 of `variables` split by the two-valued `group` (cells `None` = missing),
/// with the default tests (Student's t, uncorrected chi-square).
pub fn table1(
    group_name: &str,
    group: &[Option<String>],
    variables: &[Variable],
) -> Result<Table1, StatsError> {
    table1_with(group_name, group, variables, Table1Options::default())
}

/// [`table1`] with explicit [`Table1Options`].
pub fn table1_with(
    group_name: &str,
    group: &[Option<String>],
    variables: &[Variable],
    options: Table1Options,
) -> Result<Table1, StatsError> {
    let labels = group_labels(group_name, group)?;
    let membership: Vec<Option<usize>> = group
        .iter()
        .map(|g| g.as_ref().and_then(|g| labels.iter().position(|l| l == g)))
        .collect();
    let groups: Vec<GroupHeader> = (0..2)
        .map(|k| GroupHeader {
            label: labels[k].clone(),
            n: membership.iter().filter(|m| **m == Some(k)).count(),
        })
        .collect();
    let mut rows = Vec::with_capacity(variables.len());
    for var in variables {
        if var.cells.len() != group.len() {
            return Err(StatsError::LengthMismatch {
                what: format!("variable `{}`", var.name),
                expected: group.len(),
                got: var.cells.len(),
            });
        }
        rows.push(variable_row(var, &membership, options)?);
    }
    Ok(Table1 {
        group: group_name.to_string(),
        n: groups.iter().map(|g| g.n).sum(),
        excluded_missing_group: membership.iter().filter(|m| m.is_none()).count(),
        groups,
        rows,
    })
}

/// The two group labels in table order, or an error naming the values found.
fn group_labels(name: &str, group: &[Option<String>]) -> Result<Vec<String>, StatsError> {
    let present: Vec<&str> = group.iter().flatten().map(String::as_str).collect();
    let labels = sorted_levels(&present);
    if labels.len() != 2 {
        let shown: Vec<&str> = labels.iter().take(6).map(String::as_str).collect();
        return Err(StatsError::InvalidValue(format!(
            "grouping column `{name}` has {} distinct value(s) ({}); Table 1 compares exactly two \
             groups: recode it to two values",
            labels.len(),
            shown.join(", ")
        )));
    }
    Ok(labels)
}

/// Distinct values, numerically ordered when all are numbers, otherwise alphabetically.
pub fn sorted_levels(values: &[&str]) -> Vec<String> {
    let mut levels: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    levels.sort();
    levels.dedup();
    let numbers: Option<Vec<f64>> = levels.iter().map(|l| parse_number(l)).collect();
    if let Some(numbers) = numbers {
        let mut paired: Vec<(f64, String)> = numbers.into_iter().zip(levels).collect();
        paired.sort_by(|a, b| a.0.total_cmp(&b.0));
        levels = paired.into_iter().map(|(_, l)| l).collect();
    }
    levels
}

/// A finite number, or `None`.
pub fn parse_number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The automatic kind rule for a variable's non-missing values.
pub fn automatic_kind(values: &[&str]) -> VariableKind {
    let numbers: Option<Vec<f64>> = values.iter().map(|v| parse_number(v)).collect();
    match numbers {
        None => VariableKind::Categorical,
        Some(mut v) => {
            v.sort_by(f64::total_cmp);
            v.dedup();
            if v.len() <= MAX_AUTO_LEVELS {
                VariableKind::Categorical
            } else {
                VariableKind::Continuous
            }
        }
    }
}

/// One variable's row: split the cells by group, then summarise and test by kind.
fn variable_row(
    var: &Variable,
    membership: &[Option<usize>],
    options: Table1Options,
) -> Result<Table1Row, StatsError> {
    let mut by_group: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    let mut missing = vec![0usize; 2];
    for (cell, m) in var.cells.iter().zip(membership) {
        let Some(k) = *m else { continue };
        match cell {
            Some(c) => by_group[k].push(c.as_str()),
            None => missing[k] += 1,
        }
    }
    let all: Vec<&str> = by_group.iter().flatten().copied().collect();
    let kind = var.kind.unwrap_or_else(|| automatic_kind(&all));
    let mut row = match kind {
        VariableKind::Categorical => categorical::row(&var.name, &by_group, options.yates),
        VariableKind::Continuous => continuous::row(&var.name, &by_group, options.welch)?,
    };
    row.missing = missing;
    Ok(row)
}
