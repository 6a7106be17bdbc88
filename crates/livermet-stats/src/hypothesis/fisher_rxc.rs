//! The Fisher-Freeman-Halton exact test of an r x c table (Freeman & Halton 1951, Biometrika
//! 38:141), two-sided as R's `fisher.test`.
//!
//! With both margins fixed, a table `x` has the multiple hypergeometric probability
//! `P(x) = prod_i r_i! prod_j c_j! / (N! prod_ij x_ij!)`. The p-value is the total probability of
//! the tables with the observed margins that are no more likely than the observed one. R's
//! FEXACT (the network algorithm, Mehta & Patel 1983) counts a table when `log P(x) <= log
//! P(observed) + 3.45254e-7`, so that tables equally likely in exact arithmetic are counted
//! despite rounding; the same tolerance is used here.
//!
//! Table 1's tables (a few levels by two groups, tens to hundreds of subjects) are small enough to
//! enumerate outright: every table with the observed margins is visited once, cell by cell with
//! each cell's range narrowed so that every partial table can be completed, and its log
//! probability is summed from a log-factorial table. The number of tables grows quickly with the
//! size; past `max_tables` the test stops with [`StatsError::TooLarge`] instead of running for
//! minutes (the caller falls back to the chi-square test, saying so).

use serde::Serialize;

use crate::StatsError;

/// FEXACT's tolerance on the log probability (`tol` in R's `fexact.c`).
const LOG_TOLERANCE: f64 = 3.45254e-7;

/// Default bound on the number of tables enumerated (about a second of work).
pub const DEFAULT_MAX_TABLES: u64 = 20_000_000;

/// Result of [`fisher_freeman_halton`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FisherFreemanHalton {
    /// Two-sided exact p.
    pub p_value: f64,
    /// Tables with the observed margins (all enumerated).
    pub tables: u64,
}

/// Two-sided Fisher-Freeman-Halton exact test of `table` (rows of equal length), enumerating at
/// most [`DEFAULT_MAX_TABLES`] tables.
pub fn fisher_freeman_halton(table: &[Vec<u64>]) -> Result<FisherFreemanHalton, StatsError> {
    fisher_freeman_halton_with_limit(table, DEFAULT_MAX_TABLES)
}

/// [`fisher_freeman_halton`] with an explicit bound on the tables enumerated. Empty rows and
/// columns are dropped (they multiply every table's probability by 0! = 1); a table left with
/// fewer than two rows or columns has p = 1 (one table only).
pub fn fisher_freeman_halton_with_limit(
    table: &[Vec<u64>],
    max_tables: u64,
) -> Result<FisherFreemanHalton, StatsError> {
    let cols = table.first().map_or(0, Vec::len);
    if let Some(i) = table.iter().position(|r| r.len() != cols) {
        return Err(StatsError::InvalidValue(format!(
            "row {} of the table has {} cells, row 1 has {cols}",
            i + 1,
            table[i].len()
        )));
    }
    let x = drop_empty(table, cols);
    if x.len() < 2 || x[0].len() < 2 {
        return Ok(FisherFreemanHalton {
            p_value: 1.0,
            tables: 1,
        });
    }
    let rows: Vec<u64> = x.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..x[0].len())
        .map(|j| x.iter().map(|r| r[j]).sum())
        .collect();
    let n: u64 = rows.iter().sum();
    let lf = log_factorials(n);
    let sum_lf = |v: &[u64]| v.iter().map(|&k| lf[k as usize]).sum::<f64>();
    // log P(x) = constant - S(x), S(x) = sum_ij log x_ij!.
    let constant = sum_lf(&rows) + sum_lf(&cols) - lf[n as usize];
    let observed: f64 = x.iter().map(|r| sum_lf(r)).sum();
    let mut walk = Walk {
        lf: &lf,
        cols: &cols,
        rows_left: rows,
        constant,
        // log P(x) <= log P(obs) + tol  <=>  S(x) >= S(obs) - tol.
        s_min: observed - LOG_TOLERANCE,
        p: 0.0,
        tables: 0,
        max_tables,
    };
    walk.column(0, 0, 0, 0.0)?;
    Ok(FisherFreemanHalton {
        p_value: walk.p.min(1.0),
        tables: walk.tables,
    })
}

/// The table without its all-zero rows and columns.
fn drop_empty(table: &[Vec<u64>], cols: usize) -> Vec<Vec<u64>> {
    let keep: Vec<usize> = (0..cols)
        .filter(|&j| table.iter().any(|r| r[j] > 0))
        .collect();
    table
        .iter()
        .filter(|r| r.iter().any(|&v| v > 0))
        .map(|r| keep.iter().map(|&j| r[j]).collect())
        .collect()
}

/// `log k!` for k = 0..=n.
fn log_factorials(n: u64) -> Vec<f64> {
    let mut lf = Vec::with_capacity(n as usize + 1);
    lf.push(0.0);
    for k in 1..=n {
        lf.push(lf[k as usize - 1] + (k as f64).ln());
    }
    lf
}

/// The enumeration's state: the row totals not yet used by the columns filled so far.
struct Walk<'a> {
    lf: &'a [f64],
    cols: &'a [u64],
    rows_left: Vec<u64>,
    constant: f64,
    s_min: f64,
    p: f64,
    tables: u64,
    max_tables: u64,
}

impl Walk<'_> {
    /// Fill cell (row `i`, column `j`) and the cells after it; `placed` of column `j`'s total is
    /// already in rows `0..i`, and `s` is the sum of log x! of the cells filled. The last column
    /// takes what is left of every row: its cells are added with the second-to-last column's,
    /// so that a complete table costs O(1).
    fn column(&mut self, j: usize, i: usize, placed: u64, s: f64) -> Result<(), StatsError> {
        let c = self.cols.len();
        if j + 1 == c {
            self.tables += 1;
            if self.tables > self.max_tables {
                return Err(StatsError::TooLarge(format!(
                    "the exact test would enumerate more than {} tables with these margins",
                    self.max_tables
                )));
            }
            if s >= self.s_min {
                self.p += (self.constant - s).exp();
            }
            return Ok(());
        }
        let r = self.rows_left.len();
        let last_pair = j + 2 == c;
        // log x! of the cell, plus that of the last column's cell in this row when the last
        // column is determined by this choice.
        let cost = |w: &Self, v: u64| {
            let mut t = w.lf[v as usize];
            if last_pair {
                t += w.lf[(w.rows_left[i] - v) as usize];
            }
            t
        };
        let need = self.cols[j] - placed;
        if i + 1 == r {
            // The last row of the column takes the rest of the column total (the ranges above
            // guarantee it fits).
            let t = cost(self, need);
            self.rows_left[i] -= need;
            let out = self.column(j + 1, 0, 0, s + t);
            self.rows_left[i] += need;
            return out;
        }
        // Rows below this one can take at most their totals left: this cell takes at least the
        // rest, so every choice can be completed.
        let below: u64 = self.rows_left[i + 1..].iter().sum();
        let lo = need.saturating_sub(below);
        let hi = need.min(self.rows_left[i]);
        for v in lo..=hi {
            let t = cost(self, v);
            self.rows_left[i] -= v;
            let out = self.column(j, i + 1, placed + v, s + t);
            self.rows_left[i] += v;
            out?;
        }
        Ok(())
    }
}
