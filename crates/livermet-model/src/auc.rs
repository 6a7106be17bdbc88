//! Area under the ROC curve for per-epoch validation (full ROC/DeLong analysis is in
//! `livermet-stats`).

/// AUC of `scores` for binary `labels` (1 = positive) by the Mann-Whitney U statistic:
/// the probability that a random positive outscores a random negative, ties counting 1/2
/// (Hanley & McNeil 1982). `None` when either class is absent.
pub fn auc(scores: &[f64], labels: &[u8]) -> Option<f64> {
    let pos: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l == 1)
        .map(|(s, _)| *s)
        .collect();
    let neg: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l != 1)
        .map(|(s, _)| *s)
        .collect();
    let mut wins = 0.0f64;
    for &p in &pos {
        for &n in &neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    (!pos.is_empty() && !neg.is_empty()).then(|| wins / (pos.len() as f64 * neg.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::auc;

    #[test]
    fn auc_matches_hand_counts() {
        // Positives 0.9, 0.4; negatives 0.5, 0.1: pairs won 2 + 1 = 3 of 4.
        assert_eq!(auc(&[0.9, 0.5, 0.4, 0.1], &[1, 0, 1, 0]), Some(0.75));
        // A tie counts one half.
        assert_eq!(auc(&[0.5, 0.5], &[1, 0]), Some(0.5));
        assert_eq!(auc(&[0.5, 0.6], &[1, 1]), None);
    }
}
