//! The CSV every `livermet stats` command reads: a header row, one subject per row.
//!
//! Missing cells (empty, `NA`, `NaN`, `.`) drop the row from the analysis (counted and reported);
//! a missing or non-0/1 outcome, an unknown column or a non-numeric cell is a clear error.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

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

impl Table {
    /// Read `path` (comma-separated, header row required).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .with_context(|| format!("cannot read {}: check the path", path.display()))?;
        let headers = rdr
            .headers()
            .with_context(|| format!("{}: no header row", path.display()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect::<Vec<_>>();
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.with_context(|| {
                format!(
                    "{}: row {} is malformed (wrong number of cells?)",
                    path.display(),
                    i + 2
                )
            })?;
            rows.push(rec.iter().map(|c| c.trim().to_string()).collect());
        }
        if rows.is_empty() {
            bail!("{}: no data rows", path.display());
        }
        Ok(Self {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// Index of a column, or an error naming the file and the columns it has.
    pub fn column(&self, name: &str) -> anyhow::Result<usize> {
        self.headers
            .iter()
            .position(|h| h == name)
            .with_context(|| {
                format!(
                    "{}: no column `{name}` (columns: {})",
                    self.path.display(),
                    self.headers.join(", ")
                )
            })
    }

    /// The rows (0-based data-row indices) where none of `cols` is missing.
    pub fn complete_rows(&self, cols: &[usize]) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&r| cols.iter().all(|&c| !is_missing(&self.rows[r][c])))
            .collect()
    }

    /// Numeric values of column `c` at `rows`; a non-numeric cell is an error naming row and column.
    pub fn numbers(&self, c: usize, rows: &[usize]) -> anyhow::Result<Vec<f64>> {
        rows.iter()
            .map(|&r| {
                let cell = &self.rows[r][c];
                cell.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .with_context(|| {
                        format!(
                            "{}: row {}, column `{}`: `{cell}` is not a number",
                            self.path.display(),
                            r + 2,
                            self.headers[c]
                        )
                    })
            })
            .collect()
    }

    /// 0/1 outcome of column `c` at `rows` (also accepts `0.0`/`1.0`, `true`/`false`).
    pub fn outcome(&self, c: usize, rows: &[usize]) -> anyhow::Result<Vec<bool>> {
        rows.iter()
            .map(|&r| {
                let cell = self.rows[r][c].as_str();
                match cell {
                    "1" | "1.0" | "true" | "TRUE" => Ok(true),
                    "0" | "0.0" | "false" | "FALSE" => Ok(false),
                    _ => bail!(
                        "{}: row {}, outcome `{}` is `{cell}`; it must be 0 or 1",
                        self.path.display(),
                        r + 2,
                        self.headers[c]
                    ),
                }
            })
            .collect()
    }

    /// Rows whose outcome cell is missing are an error (not silently dropped).
    pub fn require_outcome(&self, c: usize) -> anyhow::Result<()> {
        if let Some(r) = (0..self.rows.len()).find(|&r| is_missing(&self.rows[r][c])) {
            bail!(
                "{}: row {} has no value for the outcome `{}`: fill it in or remove the row",
                self.path.display(),
                r + 2,
                self.headers[c]
            );
        }
        Ok(())
    }
}
