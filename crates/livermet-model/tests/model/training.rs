//! Training: overfitting, determinism, data errors, saved models.

use livermet_model::PatchSource;
use livermet_model::{
    InMemoryPatches, ModelError, Trainer, load_model, patient_scores, save_model,
};

use crate::common::{CHANNELS, SIZE, cohort, cpu, quick_train, tiny_combined, tiny_net};

fn no_progress() -> impl FnMut(livermet_model::BatchProgress) {
    |_| {}
}

#[test]
fn overfits_16_patches_to_near_zero_loss() {
    // 16 patients x 1 slice; no dropout, no penalty, no flip: memorising must drive the loss
    // towards zero.
    let mut data = cohort(16, 1, 0, 11);
    data = {
        let mut plain = InMemoryPatches::new(CHANNELS, SIZE, false);
        for (i, p) in data.patients().iter().enumerate() {
            let mut v = vec![0.0; CHANNELS * SIZE * SIZE];
            livermet_model::PatchSource::plain_patch(&data, i, 0, &mut v).unwrap();
            plain
                .push(p.patient_id.clone(), p.label, vec![], vec![v])
                .unwrap();
        }
        plain
    };
    let net = tiny_net().with_dropout(0.0);
    let cfg = quick_train(60)
        .with_l1(0.0)
        .with_l2(0.0)
        .with_batch_size(16)
        .with_copies_per_slice(1);
    let mut t = Trainer::new(net, cfg, &cpu()).unwrap();
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..60 {
        let log = t.run_epoch(&data, None, &mut no_progress()).unwrap();
        first.get_or_insert(log.cross_entropy);
        last = log.cross_entropy;
    }
    assert!(
        last < 0.05,
        "cross-entropy after 60 steps {last} (first {first:?})"
    );
    // And the inference model (running batch-norm statistics) separates the classes too.
    let scores = patient_scores(&t.model(), t.net_config(), &data, 16).unwrap();
    let labels: Vec<bool> = data.patients().iter().map(|p| p.label == 1).collect();
    assert_eq!(
        livermet_stats::roc::auc(&scores, &labels).ok(),
        Some(1.0),
        "{scores:?}"
    );
}

#[test]
fn two_seeded_runs_give_identical_weights() {
    let data = cohort(8, 2, 3, 21);
    let run = || {
        let mut t = Trainer::new(tiny_combined(3), quick_train(2), &cpu()).unwrap();
        for _ in 0..2 {
            t.run_epoch(&data, Some(&data), &mut no_progress()).unwrap();
        }
        (t.weights(), t.log().to_vec())
    };
    let (w1, l1) = run();
    let (w2, l2) = run();
    assert_eq!(l1, l2);
    assert_eq!(w1, w2);
    // A different seed gives different weights (the comparison can fail).
    let mut t = Trainer::new(tiny_combined(3), quick_train(2).with_seed(8), &cpu()).unwrap();
    t.run_epoch(&data, None, &mut no_progress()).unwrap();
    assert_ne!(t.weights(), w1);
}

#[test]
fn a_patient_with_zero_patches_is_a_clear_error() {
    let mut data = cohort(4, 1, 0, 5);
    data.push("P_EMPTY", 1, vec![], vec![]).unwrap();
    let mut t = Trainer::new(tiny_net(), quick_train(1), &cpu()).unwrap();
    let e = t.run_epoch(&data, None, &mut no_progress()).unwrap_err();
    assert!(matches!(e, ModelError::NoPatches { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("P_EMPTY") && msg.contains("zero patches"),
        "{msg}"
    );
    // A patch of the wrong size is refused when added.
    let e = data
        .push("P_BAD", 0, vec![], vec![vec![0.0; 7]])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("P_BAD") && e.contains("patch has 7 values"),
        "{e}"
    );
    // A clinical vector of the wrong length for the Combined model.
    let mut t = Trainer::new(tiny_combined(4), quick_train(1), &cpu()).unwrap();
    let e = t
        .run_epoch(&cohort(4, 1, 3, 5), None, &mut no_progress())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("clinical vector has 3 values") && e.contains("expects 4"),
        "{e}"
    );
}

#[test]
fn saved_model_scores_the_same_and_refuses_another_architecture() {
    let data = cohort(6, 2, 0, 31);
    let mut t = Trainer::new(tiny_net(), quick_train(1), &cpu()).unwrap();
    t.run_epoch(&data, None, &mut no_progress()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    save_model(&t.model(), t.net_config(), dir.path()).unwrap();
    let (loaded, net) = load_model(dir.path(), &cpu()).unwrap();
    assert_eq!(&net, t.net_config());
    let a = patient_scores(&t.model(), &net, &data, 4).unwrap();
    let b = patient_scores(&loaded, &net, &data, 5).unwrap();
    assert_eq!(a.len(), 6);
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-6, "{a:?} vs {b:?}");
    }
    // Weights of this network under a net.json describing another one: a clear error.
    let other = tiny_net().with_widths(vec![4, 4, 8, 8, 16, 16]);
    livermet_io::write_json_atomic(&dir.path().join("net.json"), &other).unwrap();
    let e = load_model(dir.path(), &cpu()).unwrap_err().to_string();
    assert!(e.contains("model.bpk") && e.contains("do not fit"), "{e}");
}
