//! Exact Shapley values against games whose values are known in closed form, and Spearman's
//! rank correlation against R (fixtures/stats/spearman).

use livermet_stats::describe::spearman;
use livermet_stats::shapley::exact;

#[test]
fn glove_game_gives_the_textbook_values() {
    // Player 0 holds a left glove, players 1 and 2 a right glove each; a pair is worth 1.
    // Shapley values: 2/3, 1/6, 1/6 (e.g. Osborne & Rubinstein 1994, ex. 294.1).
    let v = |s: u32| f64::from(u8::from(s & 1 == 1 && s & 6 != 0));
    let phi = exact(3, v).unwrap();
    for (got, want) in phi.iter().zip([2.0 / 3.0, 1.0 / 6.0, 1.0 / 6.0]) {
        assert!((got - want).abs() < 1e-12, "{phi:?}");
    }
}

#[test]
fn additive_games_pay_each_player_its_own_term_and_efficiency_holds() {
    let terms = [0.3, -1.2, 2.5, 0.0, 4.0];
    let v = |s: u32| {
        7.0 + (0..5)
            .filter(|i| s >> i & 1 == 1)
            .map(|i| terms[i])
            .sum::<f64>()
    };
    let phi = exact(5, v).unwrap();
    for (got, want) in phi.iter().zip(terms) {
        assert!((got - want).abs() < 1e-12, "{phi:?}");
    }
    // A game with interactions: a product of two players and a squared sum.
    let v = |s: u32| {
        let x: Vec<f64> = (0..4)
            .map(|i| f64::from(s >> i & 1) * (i as f64 + 1.0))
            .collect();
        x[0] * x[1] + (x[2] + x[3]).powi(2) - 3.0
    };
    let phi = exact(4, v).unwrap();
    assert!((phi.iter().sum::<f64>() - (v(15) - v(0))).abs() < 1e-12);
    // x0 x1 splits evenly (symmetry): 2 / 2 each; (x2 + x3)^2 = 9 + 16 + 24: 9 + 12, 16 + 12.
    for (got, want) in phi.iter().zip([1.0, 1.0, 21.0, 28.0]) {
        assert!((got - want).abs() < 1e-12, "{phi:?}");
    }
    assert!(exact(13, |_| 0.0).is_err());
}

#[test]
fn spearman_matches_r_with_ties() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/stats");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spearman/expected.json")).unwrap())
            .unwrap();
    let mut r = csv::Reader::from_path(dir.join("roc/breast_cancer_scores.csv")).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<f64>> = r
        .records()
        .map(|x| x.unwrap().iter().map(|v| v.parse().unwrap()).collect())
        .collect();
    let column = |name: &str| -> Vec<f64> {
        let j = headers.iter().position(|h| h == name).unwrap();
        rows.iter().map(|r| r[j]).collect()
    };
    for key in ["score_a~score_b", "score_a~score_d", "score_b~score_c"] {
        let (a, b) = key.split_once('~').unwrap();
        let got = spearman(&column(a), &column(b)).unwrap();
        let want = expected[key].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{key}: {got} vs R {want}");
    }
    assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
}
