//! Helpers shared by the integration tests that read JSON fixtures.

#![allow(dead_code)]

use serde_json::Value;

/// A table of counts given row by row, `[[1, 2], [3, 4]]`.
pub fn count_table(v: &Value) -> Vec<Vec<u64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        })
        .collect()
}
