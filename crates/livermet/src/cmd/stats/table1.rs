//! `livermet stats table1`: the paper's Table 1 for a two-valued grouping column, each
//! variable's test named in its row (rules in `livermet_stats::table1`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_cohort::IMAGE_COLUMNS;
use livermet_io::write_bytes_atomic;
use livermet_stats::table1::text::{render, text_rows, to_csv};
use livermet_stats::table1::{Table1Options, table1_with};

use livermet_stats::table::Table;

/// Table 1: each variable per group and in total, with Pearson chi-square / Fisher's exact
/// for categorical variables and Student's t / Mann-Whitney U (after a Shapiro-Wilk screen at
/// 0.05) for continuous ones.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet stats table1 cohort.csv --group slm \
    --vars sex,age,tumor_distance_cm,cea_ng_ml,ca199_u_ml --csv table1.csv\n\n\
    A variable is categorical when a value is not a number or it has at most 5 distinct values; \
    --categorical/--continuous override. Missing cells (empty, NA, NaN, .) are excluded per \
    variable. Quartiles are numpy's linear ones (SPSS's differ on small samples); chi-square is \
    Pearson's without continuity correction (SPSS's \"Pearson Chi-Square\" row).")]
pub struct Args {
    /// CSV with a header row, one subject per row.
    pub data: PathBuf,
    /// The grouping column; it must have exactly two values (e.g. slm 0/1).
    #[arg(long)]
    pub group: String,
    /// Variables, comma-separated, in table order [default: every column except the group,
    /// patient_id and the image columns].
    #[arg(long, value_delimiter = ',')]
    pub vars: Vec<String>,
    /// Treat these variables as categorical, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Treat these variables as continuous, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub continuous: Vec<String>,
    /// Welch's unequal-variance t-test instead of Student's.
    #[arg(long)]
    pub welch: bool,
    /// Yates's continuity correction for 2x2 chi-square tests (off: SPSS's Pearson row).
    #[arg(long)]
    pub yates: bool,
    /// Print the table as JSON (one object per variable row) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the table as CSV to this file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data = Table::read(&args.data)?;
    let group_col = data.column(&args.group)?;
    // The identifier and the image paths of a cohort CSV are never variables by default.
    let not_variables: Vec<&str> = std::iter::once("patient_id").chain(IMAGE_COLUMNS).collect();
    let variables = data.table1_variables(
        &args.group,
        &args.vars,
        &not_variables,
        &args.categorical,
        &args.continuous,
    )?;
    let group = data.cells(group_col);
    let options = Table1Options {
        welch: args.welch,
        yates: args.yates,
    };
    let table = table1_with(&args.group, &group, &variables, options)
        .with_context(|| format!("{}", args.data.display()))?;
    let rows = text_rows(&table);
    if let Some(path) = &args.csv {
        write_bytes_atomic(path, &to_csv(&table, &rows)?)?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &table)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", render(&table, &rows))?;
    }
    Ok(ExitCode::SUCCESS)
}
