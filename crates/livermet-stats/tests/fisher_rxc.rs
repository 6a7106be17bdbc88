//! The Fisher-Freeman-Halton exact test against R's `fisher.test`
//! (`fixtures/stats/table1/make_fisher_rxc.R`), and its limits.

mod common;

use common::count_table;
use livermet_stats::StatsError;
use livermet_stats::hypothesis::{
    fisher_exact, fisher_freeman_halton, fisher_freeman_halton_with_limit,
};
use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/stats/table1/fisher_rxc.json"
);

#[test]
fn p_values_match_r_fisher_test() {
    let want: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let tables = want["tables"].as_array().unwrap();
    let shapes: std::collections::BTreeSet<String> = tables
        .iter()
        .map(|t| {
            let x = count_table(&t["table"]);
            format!("{}x{}", x.len(), x[0].len())
        })
        .collect();
    for shape in ["2x3", "3x3", "2x4", "3x2", "4x2", "5x2", "3x4"] {
        assert!(shapes.contains(shape), "fixture lacks a {shape} table");
    }
    for t in tables {
        let name = t["name"].as_str().unwrap();
        let x = count_table(&t["table"]);
        let got = fisher_freeman_halton(&x).unwrap();
        let p = t["p"].as_f64().unwrap();
        assert!(
            (got.p_value - p).abs() <= 1e-9,
            "{name}: p {} vs R {p} ({} tables)",
            got.p_value,
            got.tables
        );
    }
}

#[test]
fn a_2x2_table_agrees_with_fishers_exact_test() {
    for t in [[[3, 1], [1, 3]], [[10, 2], [3, 15]], [[0, 5], [6, 1]]] {
        let rxc: Vec<Vec<u64>> = t.iter().map(|r| r.to_vec()).collect();
        let a = fisher_freeman_halton(&rxc).unwrap().p_value;
        let b = fisher_exact(t).unwrap().p_value;
        assert!((a - b).abs() < 1e-12, "{t:?}: {a} vs {b}");
    }
}

#[test]
fn counts_every_table_with_the_margins() {
    // Margins rows (2, 2), columns (2, 1, 1): the tables are fixed by the first row, which is
    // (2,0,0), (1,1,0), (1,0,1), (0,1,1): 4 tables, probabilities 1/6, 1/3, 1/3, 1/6.
    let r = fisher_freeman_halton(&[vec![2, 0, 0], vec![0, 1, 1]]).unwrap();
    assert_eq!(r.tables, 4);
    assert!((r.p_value - 1.0 / 3.0).abs() < 1e-12, "{}", r.p_value);
    // A degenerate table (one non-empty column) has a single table and p = 1.
    let one = fisher_freeman_halton(&[vec![3, 0], vec![2, 0]]).unwrap();
    assert_eq!((one.p_value, one.tables), (1.0, 1));
}

#[test]
fn too_many_tables_is_a_clear_error() {
    let x = vec![vec![10, 12, 9, 11], vec![8, 14, 10, 9], vec![12, 7, 11, 10]];
    let e = fisher_freeman_halton_with_limit(&x, 1000).unwrap_err();
    assert!(
        matches!(&e, StatsError::TooLarge(m) if m.contains("more than 1000 tables")),
        "{e}"
    );
    let ragged = fisher_freeman_halton(&[vec![1, 2], vec![3]]).unwrap_err();
    assert!(ragged.to_string().contains("row 2"), "{ragged}");
}
