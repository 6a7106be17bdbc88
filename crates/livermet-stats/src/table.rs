//! The subjects table every `livermet stats` command reads: a CSV with a header row, one
//! subject per row.
//!
//! Missing cells (empty, `NA`, `NaN`, `.`) drop the row from the analysis (counted, so the
//! caller can report it); a missing or non-0/1 outcome, an unknown column or a non-numeric
//! cell is a [`StatsError::Table`] naming the file, row and column.

use std::path::{Path, PathBuf};

use crate::StatsError;
use crate::logistic::Design;
use crate::table1::{Variable, VariableKind};

/// A CSV held as text columns.
#[derive(Debug, Clone)]
pub struct Table {
    pub path: PathBuf,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// True for the spellings of a missing value.
pub fn is_missing(cell: &str) -> bool {
    matches!(cell.trim(), "" | "NA" | "NaN" | "nan" | "." | "null")
}

/// The outcome and score columns of the rows that have every score, and how many rows were
/// dropped for a missing score.
#[derive(Debug, Clone)]
pub struct Scored {
    pub outcomes: Vec<bool>,
    pub scores: Vec<Vec<f64>>,
    pub dropped: usize,
}

impl Scored {
    /// The first score that has one value in every row (its index and that value): such a
    /// score ranks no one, and its AUC of 0.5 would come with a DeLong CI of zero width.
    pub fn constant_score(&self) -> Option<(usize, f64)> {
        self.scores.iter().enumerate().find_map(|(k, s)| {
            let v = *s.first()?;
            s.iter().all(|x| *x == v).then_some((k, v))
        })
    }
}

/// A logistic design read from a table: the predictors' columns and the outcome on the rows
/// with every predictor, and how many rows were dropped for a missing predictor.
#[derive(Debug, Clone)]
pub struct DesignRows {
    pub design: Design,
    pub y: Vec<bool>,
    pub dropped: usize,
    /// The predictors' column names, in design order.
    pub predictors: Vec<String>,
}

impl Table {
    /// Reads `path` (comma-separated, header row required, at least one data row).
    pub fn read(path: &Path) -> Result<Self, StatsError> {
        let bad = |reason: String| StatsError::Table {
            path: path.to_path_buf(),
            reason,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| bad(format!("cannot read ({e}); check the path")))?;
        let headers = rdr
            .headers()
            .map_err(|e| bad(format!("no header row ({e})")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect::<Vec<_>>();
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| {
                bad(format!(
                    "row {} is malformed (wrong number of cells?): {e}",
                    i + 2
                ))
            })?;
            rows.push(rec.iter().map(|c| c.trim().to_string()).collect());
        }
        if rows.is_empty() {
            return Err(bad("no data rows".into()));
        }
        Ok(Self {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    fn error(&self, reason: String) -> StatsError {
        StatsError::Table {
            path: self.path.clone(),
            reason,
        }
    }

    /// Index of a column, or an error naming the columns the file has.
    pub fn column(&self, name: &str) -> Result<usize, StatsError> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| {
            self.error(format!(
                "no column `{name}` (columns: {})",
                self.headers.join(", ")
            ))
        })
    }

    /// The rows (0-based data-row indices) where none of `cols` is missing.
    pub fn complete_rows(&self, cols: &[usize]) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&r| cols.iter().all(|&c| !is_missing(&self.rows[r][c])))
            .collect()
    }

    /// The cells of column `c`, `None` where missing.
    pub fn cells(&self, c: usize) -> Vec<Option<String>> {
        self.rows
            .iter()
            .map(|r| (!is_missing(&r[c])).then(|| r[c].clone()))
            .collect()
    }

    /// Numeric values of column `c` at `rows`; a non-numeric cell is an error naming its row.
    pub fn numbers(&self, c: usize, rows: &[usize]) -> Result<Vec<f64>, StatsError> {
        rows.iter()
            .map(|&r| {
                let cell = &self.rows[r][c];
                cell.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        self.error(format!(
                            "row {}, column `{}`: `{cell}` is not a number",
                            r + 2,
                            self.headers[c]
                        ))
                    })
            })
            .collect()
    }

    /// 0/1 outcome of column `c` at `rows` (also accepts `0.0`/`1.0`, `true`/`false`).
    pub fn outcome(&self, c: usize, rows: &[usize]) -> Result<Vec<bool>, StatsError> {
        rows.iter()
            .map(|&r| match self.rows[r][c].as_str() {
                "1" | "1.0" | "true" | "TRUE" => Ok(true),
                "0" | "0.0" | "false" | "FALSE" => Ok(false),
                cell => Err(self.error(format!(
                    "row {}, outcome `{}` is `{cell}`; it must be 0 or 1",
                    r + 2,
                    self.headers[c]
                ))),
            })
            .collect()
    }

    /// The outcome column `name`; a row without an outcome is an error (not silently dropped).
    pub fn outcome_column(&self, name: &str) -> Result<usize, StatsError> {
        let c = self.column(name)?;
        if let Some(r) = (0..self.rows.len()).find(|&r| is_missing(&self.rows[r][c])) {
            return Err(self.error(format!(
                "row {} has no value for the outcome `{name}`: fill it in or remove the row",
                r + 2
            )));
        }
        Ok(c)
    }

    /// The outcome `outcome` and the score columns `names` of the rows with every score.
    pub fn scored(&self, outcome: &str, names: &[String]) -> Result<Scored, StatsError> {
        let oc = self.outcome_column(outcome)?;
        let cols = names
            .iter()
            .map(|n| self.column(n))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = self.complete_rows(&cols);
        Ok(Scored {
            outcomes: self.outcome(oc, &rows)?,
            scores: cols
                .iter()
                .map(|&c| self.numbers(c, &rows))
                .collect::<Result<_, _>>()?,
            dropped: self.rows.len() - rows.len(),
        })
    }
}

impl Table {
    /// The design of `predictors` (in that order; every column but the outcome when none is
    /// named) for the outcome column `outcome`: numeric columns, and the `categorical` ones,
    /// each `NAME` or `NAME:REFERENCE` (default reference: the first level in sorted order), as
    /// indicator columns named `NAME[LEVEL]`.
    pub fn design(
        &self,
        outcome: &str,
        predictors: &[String],
        categorical: &[String],
    ) -> Result<DesignRows, StatsError> {
        let predictors: Vec<String> = if predictors.is_empty() {
            let others = self.headers.iter().filter(|h| **h != outcome);
            others.cloned().collect()
        } else {
            predictors.to_vec()
        };
        if predictors.is_empty() {
            return Err(self.error("no predictor columns besides the outcome".into()));
        }
        let mut references = Vec::new();
        for spec in categorical {
            let (name, reference) = match spec.split_once(':') {
                Some((n, r)) => (n, Some(r.to_string())),
                None => (spec.as_str(), None),
            };
            if !predictors.iter().any(|p| p == name) {
                return Err(self.error(format!(
                    "--categorical `{name}` is not among the predictors ({})",
                    predictors.join(", ")
                )));
            }
            references.push((name.to_string(), reference));
        }
        let categorical = references;
        let oc = self.outcome_column(outcome)?;
        let cols = predictors
            .iter()
            .map(|p| self.column(p))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = self.complete_rows(&cols);
        let y = self.outcome(oc, &rows)?;
        let mut design = Design::new(rows.len());
        for (p, &c) in predictors.iter().zip(&cols) {
            let added = match categorical.iter().find(|(n, _)| n == p) {
                Some((_, reference)) => {
                    let levels: Vec<&str> =
                        rows.iter().map(|&r| self.rows[r][c].as_str()).collect();
                    design.add_categorical(p, &levels, reference.as_deref())
                }
                None => {
                    let v = self.numbers(c, &rows).map_err(|e| match e {
                        StatsError::Table { path, reason } => StatsError::Table {
                            path,
                            reason: format!(
                                "{reason} (if `{p}` is a text column, add --categorical {p})"
                            ),
                        },
                        e => e,
                    })?;
                    design.add_numeric(p, &v)
                }
            };
            added.map_err(|e| match e {
                e @ StatsError::Table { .. } => e,
                e => self.error(format!("predictor `{p}`: {e}")),
            })?;
        }
        Ok(DesignRows {
            design,
            y,
            dropped: self.rows.len() - rows.len(),
            predictors,
        })
    }
}

impl Table {
    /// Table 1's variables grouped by the column `group`: `vars` in table order (default:
    /// every column but the group and the `not_variables`), of the kind forced by
    /// `categorical` / `continuous` or else of the automatic rule. Unknown names, the group
    /// among the variables and a variable forced both ways are errors.
    pub fn table1_variables(
        &self,
        group: &str,
        vars: &[String],
        not_variables: &[&str],
        categorical: &[String],
        continuous: &[String],
    ) -> Result<Vec<Variable>, StatsError> {
        let names: Vec<String> = if vars.is_empty() {
            let others = self.headers.iter();
            let others = others.filter(|h| *h != group && !not_variables.contains(&h.as_str()));
            others.cloned().collect()
        } else {
            vars.iter().map(|v| v.trim().to_string()).collect()
        };
        for name in names.iter().chain(categorical).chain(continuous) {
            self.column(name.trim())?;
        }
        if names.iter().any(|n| n == group) {
            return Err(self.error(format!(
                "--vars lists the grouping column `{group}`: remove it"
            )));
        }
        let forced = |list: &[String], name: &str| list.iter().any(|v| v.trim() == name);
        if let Some(both) = continuous.iter().find(|c| forced(categorical, c.trim())) {
            return Err(self.error(format!(
                "`{both}` is given both --categorical and --continuous: choose one"
            )));
        }
        if names.is_empty() {
            return Err(self.error(format!("no variables to tabulate besides `{group}`")));
        }
        names
            .iter()
            .map(|name| {
                let kind = if forced(categorical, name) {
                    Some(VariableKind::Categorical)
                } else if forced(continuous, name) {
                    Some(VariableKind::Continuous)
                } else {
                    None
                };
                Ok(Variable {
                    name: name.clone(),
                    cells: self.cells(self.column(name)?),
                    kind,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_cells_drop_rows_and_bad_cells_name_row_and_column() {
        let dir = std::env::temp_dir().join(format!("livermet-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.csv");
        std::fs::write(&p, "y,a,b\n1,0.5,x\n0,NA,2\n1,0.25,3\n").unwrap();
        let t = Table::read(&p).unwrap();
        let s = t.scored("y", &["a".to_string()]).unwrap();
        assert_eq!(
            (s.outcomes, s.scores, s.dropped),
            (vec![true, true], vec![vec![0.5, 0.25]], 1)
        );
        let e = t.scored("y", &["b".to_string()]).unwrap_err().to_string();
        assert!(
            e.contains("t.csv") && e.contains("row 2, column `b`"),
            "{e}"
        );
        let e = t.column("c").unwrap_err().to_string();
        assert!(e.contains("columns: y, a, b"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn designs_and_table1_variables_default_to_the_other_columns_and_name_the_file() {
        let dir = std::env::temp_dir().join(format!("livermet-design-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("d.csv");
        let text = "patient_id,y,sex,age,t2\nA,1,M,50,x\nB,0,F,60,x\nC,1,F,NA,x\nD,0,M,70,x\n";
        std::fs::write(&p, text).unwrap();
        let t = Table::read(&p).unwrap();
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let d = t
            .design("y", &owned(&["sex", "age"]), &owned(&["sex:M"]))
            .unwrap();
        assert_eq!(
            (d.predictors, d.y.len(), d.dropped),
            (owned(&["sex", "age"]), 3, 1)
        );
        let e = t
            .design("y", &owned(&["age"]), &owned(&["sex"]))
            .unwrap_err();
        assert!(e.to_string().contains("d.csv: --categorical `sex`"), "{e}");
        let none = t.table1_variables("y", &[], &["patient_id", "t2"], &owned(&["age"]), &[]);
        let vars = none.unwrap();
        let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["sex", "age"]);
        assert_eq!(vars[1].kind, Some(VariableKind::Categorical));
        assert_eq!(vars[1].cells[2], None);
        for (vars, cat, cont, want) in [
            (owned(&["y"]), vec![], vec![], "grouping column `y`"),
            (
                vec![],
                owned(&["age"]),
                owned(&["age"]),
                "`age` is given both",
            ),
            (owned(&["zz"]), vec![], vec![], "no column `zz`"),
        ] {
            let e = t
                .table1_variables("y", &vars, &[], &cat, &cont)
                .unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_constant_score_is_found() {
        let scored = |scores| Scored {
            outcomes: vec![true, false],
            scores,
            dropped: 0,
        };
        let s = scored(vec![vec![0.1, 0.2], vec![0.5, 0.5]]);
        assert_eq!(s.constant_score(), Some((1, 0.5)));
        assert_eq!(scored(vec![vec![0.1, 0.2]]).constant_score(), None);
    }
}
