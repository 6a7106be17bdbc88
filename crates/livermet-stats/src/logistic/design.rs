//! The design matrix of a logistic model: named predictors (terms), each owning one column
//! (numeric) or one treatment-coded dummy per non-reference level (categorical).

use serde::Serialize;

use crate::StatsError;

/// How a predictor enters the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TermKind {
    /// One column, the value itself.
    Numeric,
    /// Treatment (dummy) coding: one 0/1 column `name[level]` per level other than `reference`,
    /// so each coefficient is the log odds ratio of that level against the reference level.
    Categorical {
        /// All levels, sorted as strings (patsy's order).
        levels: Vec<String>,
        /// The level with no column.
        reference: String,
    },
}

/// A predictor as the user names it (`age`, `sex`) and the design columns it owns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// The predictor's name.
    pub name: String,
    /// Numeric or categorical (with its reference level).
    pub kind: TermKind,
    /// Names of its design columns (`age`; `sex[F]`).
    pub columns: Vec<String>,
}

/// The design of a logistic model: `n` subjects, an implicit intercept column named `intercept`,
/// and the terms' columns (stored column by column).
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    n: usize,
    terms: Vec<Term>,
    /// `values[t][c][i]`: term `t`, its column `c`, subject `i`.
    values: Vec<Vec<Vec<f64>>>,
}

impl Design {
    /// An empty design (intercept only) for `n` subjects.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            terms: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Number of subjects.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The terms, in the order they were added.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Index of the term called `name`.
    pub fn term_index(&self, name: &str) -> Option<usize> {
        self.terms.iter().position(|t| t.name == name)
    }

    fn check_new(&self, name: &str, len: usize) -> Result<(), StatsError> {
        if len != self.n {
            return Err(StatsError::LengthMismatch {
                what: format!("predictor `{name}`"),
                expected: self.n,
                got: len,
            });
        }
        if name == "intercept" || self.term_index(name).is_some() {
            return Err(StatsError::InvalidValue(format!(
                "predictor name `{name}` is used twice (or is the reserved `intercept`)"
            )));
        }
        Ok(())
    }

    /// Add a numeric predictor (one column, the values as given; NaN/infinite is an error).
    pub fn add_numeric(&mut self, name: &str, values: &[f64]) -> Result<(), StatsError> {
        self.check_new(name, values.len())?;
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(StatsError::InvalidValue(format!(
                "predictor `{name}`, subject {}: `{}` is not a finite number",
                i + 1,
                values[i]
            )));
        }
        self.terms.push(Term {
            name: name.to_string(),
            kind: TermKind::Numeric,
            columns: vec![name.to_string()],
        });
        self.values.push(vec![values.to_vec()]);
        Ok(())
    }

    /// Add a categorical predictor with treatment coding: column `name[level]` is 1 where the
    /// subject has `level`, else 0, for every level except `reference` (default: the first level
    /// in sorted order, as patsy's `C(x)` does). Fewer than two levels, or a `reference` that is
    /// not a level, is an error.
    pub fn add_categorical<S: AsRef<str>>(
        &mut self,
        name: &str,
        values: &[S],
        reference: Option<&str>,
    ) -> Result<(), StatsError> {
        self.check_new(name, values.len())?;
        let mut levels: Vec<String> = values.iter().map(|v| v.as_ref().to_string()).collect();
        levels.sort();
        levels.dedup();
        if levels.len() < 2 {
            return Err(StatsError::Singular(format!(
                "categorical predictor `{name}` has a single level `{}`: it cannot be estimated",
                levels.first().map(String::as_str).unwrap_or("")
            )));
        }
        let reference = match reference {
            Some(r) if levels.iter().any(|l| l == r) => r.to_string(),
            Some(r) => {
                return Err(StatsError::InvalidValue(format!(
                    "reference level `{r}` of `{name}` does not occur (levels: {})",
                    levels.join(", ")
                )));
            }
            None => levels[0].clone(),
        };
        let mut columns = Vec::new();
        let mut data = Vec::new();
        for level in levels.iter().filter(|l| **l != reference) {
            columns.push(format!("{name}[{level}]"));
            data.push(
                values
                    .iter()
                    .map(|v| f64::from(u8::from(v.as_ref() == level)))
                    .collect(),
            );
        }
        self.terms.push(Term {
            name: name.to_string(),
            kind: TermKind::Categorical { levels, reference },
            columns,
        });
        self.values.push(data);
        Ok(())
    }

    /// The design of the subjects `rows` (0-based, repeats allowed: a bootstrap resample), with
    /// the same terms and columns (a categorical term keeps its levels and reference even when a
    /// level is absent from `rows`; its column is then all 0).
    pub fn rows(&self, rows: &[usize]) -> Design {
        Design {
            n: rows.len(),
            terms: self.terms.clone(),
            values: self
                .values
                .iter()
                .map(|t| {
                    t.iter()
                        .map(|c| rows.iter().map(|&i| c[i]).collect())
                        .collect()
                })
                .collect(),
        }
    }

    /// The design with only the terms `terms` (indices, in that order).
    pub fn select_terms(&self, terms: &[usize]) -> Design {
        Design {
            n: self.n,
            terms: terms.iter().map(|&t| self.terms[t].clone()).collect(),
            values: terms.iter().map(|&t| self.values[t].clone()).collect(),
        }
    }

    /// Column names of the model with terms `terms`: `intercept` first, then each term's columns.
    pub fn column_names(&self, terms: &[usize]) -> Vec<String> {
        let mut names = vec!["intercept".to_string()];
        for &t in terms {
            names.extend(self.terms[t].columns.iter().cloned());
        }
        names
    }

    /// The row-major `n x p` matrix `[1, columns of terms...]` and `p`.
    pub(crate) fn matrix(&self, terms: &[usize]) -> (Vec<f64>, usize) {
        let cols: Vec<&[f64]> = terms
            .iter()
            .flat_map(|&t| self.values[t].iter().map(Vec::as_slice))
            .collect();
        let p = 1 + cols.len();
        let mut x = Vec::with_capacity(self.n * p);
        for i in 0..self.n {
            x.push(1.0);
            x.extend(cols.iter().map(|c| c[i]));
        }
        (x, p)
    }

    /// The values of design column `name` (a numeric term or a dummy `term[level]`), if present.
    pub(crate) fn column(&self, name: &str) -> Option<&[f64]> {
        self.terms.iter().zip(&self.values).find_map(|(t, v)| {
            t.columns
                .iter()
                .position(|c| c == name)
                .map(|c| v[c].as_slice())
        })
    }
}
