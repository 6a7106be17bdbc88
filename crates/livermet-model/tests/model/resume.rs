//! Checkpoints: kill-and-resume equality and refusing a foreign checkpoint.

use livermet_model::{ModelError, Trainer};

use crate::common::{cohort, cpu, quick_train, tiny_combined, tiny_net};

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let train = cohort(8, 2, 2, 41);
    let val = cohort(6, 2, 2, 42);
    let net = tiny_combined(2);
    let cfg = quick_train(3);
    let straight_dir = tempfile::tempdir().unwrap();
    let mut straight = Trainer::new(net.clone(), cfg.clone(), &cpu()).unwrap();
    for _ in 0..3 {
        straight.run_epoch(&train, Some(&val), &mut |_| {}).unwrap();
        straight.save_checkpoint(straight_dir.path()).unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    {
        let mut first = Trainer::new(net.clone(), cfg.clone(), &cpu()).unwrap();
        first.run_epoch(&train, Some(&val), &mut |_| {}).unwrap();
        first.save_checkpoint(dir.path()).unwrap();
        // Dropped here: nothing but the files survives.
    }
    let mut resumed = Trainer::resume(dir.path(), &net, &cfg, &cpu()).unwrap();
    assert_eq!(resumed.epochs_done(), 1);
    while resumed.epochs_done() < 3 {
        resumed.run_epoch(&train, Some(&val), &mut |_| {}).unwrap();
        resumed.save_checkpoint(dir.path()).unwrap();
    }
    assert_eq!(resumed.log(), straight.log());
    assert!(resumed.log().iter().all(|l| l.val_auc.is_some()));
    assert_eq!(resumed.weights(), straight.weights());
    // Only the last epoch's files remain beside state.json.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["optimiser-e0003.bpk", "state.json", "weights-e0003.bpk"]
    );
    // The run is complete: one more epoch is refused.
    assert!(resumed.run_epoch(&train, None, &mut |_| {}).is_err());
}

#[test]
fn checkpoint_of_another_configuration_is_refused() {
    let data = cohort(4, 1, 0, 51);
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trainer::new(tiny_net(), quick_train(2), &cpu()).unwrap();
    t.run_epoch(&data, None, &mut |_| {}).unwrap();
    t.save_checkpoint(dir.path()).unwrap();
    let other = tiny_net().with_widths(vec![4, 4, 8, 8, 16, 16]);
    let e = Trainer::resume(dir.path(), &other, &quick_train(2), &cpu()).unwrap_err();
    assert!(matches!(e, ModelError::ConfigMismatch { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("different configuration") && msg.contains("widths"),
        "{msg}"
    );
    let e = Trainer::resume(dir.path(), &tiny_net(), &quick_train(5), &cpu()).unwrap_err();
    assert!(e.to_string().contains("training settings"), "{e}");
    let empty = tempfile::tempdir().unwrap();
    let e = Trainer::resume(empty.path(), &tiny_net(), &quick_train(2), &cpu()).unwrap_err();
    assert!(matches!(e, ModelError::NoCheckpoint(_)), "{e}");
}
