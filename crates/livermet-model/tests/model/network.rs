//! The network: shapes, fusion wiring, gradients, the penalty, the schedule.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Int, Tensor, TensorData};
use livermet_model::NetConfig;
use livermet_model::objective::{cross_entropy, learning_rate, weight_penalty};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::{CHANNELS, SIZE, cpu, tiny_combined, tiny_net};

fn images(b: usize, seed: u64, device: &burn::tensor::Device) -> Tensor<4> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let v: Vec<f32> = (0..b * CHANNELS * SIZE * SIZE)
        .map(|_| rng.random::<f32>())
        .collect();
    Tensor::from_data(TensorData::new(v, [b, CHANNELS, SIZE, SIZE]), device)
}

#[test]
fn output_shapes_of_mri_and_combined_models() {
    let d = cpu();
    let mri = tiny_net().init_seeded(&d, 1).unwrap();
    assert_eq!(mri.image_features(images(3, 1, &d)).dims(), [3, 8]);
    assert_eq!(mri.forward(images(3, 1, &d), None, None).dims(), [3, 2]);
    let p = mri
        .probabilities(images(3, 1, &d), None)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    assert_eq!(p.len(), 3);
    assert!(p.iter().all(|&x| (0.0..=1.0).contains(&x)), "{p:?}");

    let comb = tiny_combined(5).init_seeded(&d, 1).unwrap();
    let clin = Tensor::<2>::from_data(TensorData::new(vec![0.5f32; 15], [3, 5]), &d);
    assert_eq!(
        comb.forward(images(3, 1, &d), Some(clin), None).dims(),
        [3, 2]
    );
    assert_eq!(comb.fused_width(), 8 + 4);
    // The paper-sized default: 112x112 in, 128 pooled features.
    let full = NetConfig::new().init_seeded(&d, 1).unwrap();
    let x = Tensor::<4>::zeros([1, 5, 112, 112], &d);
    assert_eq!(full.image_features(x).dims(), [1, 128]);
}

#[test]
fn clinical_branch_changes_the_output() {
    let d = cpu();
    let comb = tiny_combined(5).init_seeded(&d, 2).unwrap().valid();
    let x = images(2, 3, &d);
    let c0 = Tensor::<2>::from_data(TensorData::new(vec![0.0f32; 10], [2, 5]), &d);
    let c1 = Tensor::<2>::from_data(TensorData::new(vec![3.0f32; 10], [2, 5]), &d);
    let a = comb
        .forward(x.clone(), Some(c0), None)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let b = comb
        .forward(x, Some(c1), None)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let diff: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum();
    assert!(
        diff > 1e-3,
        "clinical input did not reach the logits: {a:?} vs {b:?}"
    );
}

#[test]
fn gradients_reach_the_first_conv() {
    let d = cpu().autodiff();
    let net = tiny_net().init_seeded(&d, 3).unwrap();
    let y = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 0, 1], [4]), &d);
    let loss = cross_entropy(net.forward(images(4, 4, &d), None, None), y);
    let grads = loss.backward();
    let g = net
        .first_conv_weight()
        .grad(&grads)
        .expect("stem weight has a gradient");
    let g = g.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(g.len(), 4 * CHANNELS * 7 * 7);
    let norm: f32 = g.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(norm > 0.0 && norm.is_finite(), "stem gradient norm {norm}");
}

/// Sums |w| and w^2 over parameters named `weight` outside batch-norm layers, found by walking
/// the module tree independently of `Net::penalised_weights`.
struct PenaltyByName {
    path: Vec<String>,
    abs: f64,
    sq: f64,
    count: usize,
}

impl ModuleVisitor for PenaltyByName {
    fn enter_module(&mut self, name: &str, _t: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _t: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        let in_bn = self.path.iter().any(|s| s.contains("bn"));
        if self.path.last().map(String::as_str) == Some("weight") && !in_bn {
            for v in p.val().into_data().try_to_vec::<f32>().unwrap() {
                self.abs += (v as f64).abs();
                self.sq += (v as f64) * (v as f64);
            }
            self.count += 1;
        }
    }
}

#[test]
fn l1_l2_terms_change_the_loss_by_their_computed_value() {
    let d = cpu();
    let net = tiny_combined(3).init_seeded(&d, 4).unwrap();
    let mut by_name = PenaltyByName {
        path: vec![],
        abs: 0.0,
        sq: 0.0,
        count: 0,
    };
    net.visit(&mut by_name);
    // stem + 12 block convs + 1 projection (4->8 is the only width change) + clinical linear
    // + classifier.
    assert_eq!(by_name.count, 1 + 12 + 1 + 1 + 1);
    let (l1, l2) = (1e-3, 2e-3);
    let x = images(2, 5, &d);
    let c = Tensor::<2>::from_data(TensorData::new(vec![0.1f32; 6], [2, 3]), &d);
    let y = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1], [2]), &d);
    let ce = cross_entropy(net.forward(x, Some(c), None), y).into_scalar::<f32>() as f64;
    let total = ce + weight_penalty(&net, l1, l2).into_scalar::<f32>() as f64;
    let expected = l1 * by_name.abs + l2 * by_name.sq;
    assert!(expected > 0.0);
    let got = total - ce;
    assert!(
        (got - expected).abs() <= 1e-5 * expected,
        "penalty {got} vs {expected}"
    );
    // Zero factors add exactly nothing.
    assert_eq!(weight_penalty(&net, 0.0, 0.0).into_scalar::<f32>(), 0.0);
}

#[test]
fn learning_rate_decays_by_a_tenth_over_the_run() {
    assert_eq!(learning_rate(5e-6, 0, 100), 5e-6);
    assert!((learning_rate(5e-6, 50, 100) - 5e-6 * 0.1f64.sqrt()).abs() < 1e-18);
    assert!((learning_rate(5e-6, 100, 100) - 5e-7).abs() < 1e-18);
    assert!((learning_rate(1.0, 1, 4) - 0.1f64.powf(0.25)).abs() < 1e-15);
    // Monotone decreasing.
    assert!((0..99).all(|e| learning_rate(1.0, e + 1, 100) < learning_rate(1.0, e, 100)));
}

#[test]
fn bad_settings_are_clear_errors() {
    let e = tiny_net()
        .with_widths(vec![4, 8])
        .init(&cpu())
        .unwrap_err()
        .to_string();
    assert!(e.contains("widths is [4, 8]; it must list 6"), "{e}");
    let e = tiny_net()
        .with_patch_size(2)
        .init(&cpu())
        .unwrap_err()
        .to_string();
    assert!(e.contains("patch_size is 2; it must be at least"), "{e}");
}

#[test]
fn folded_batch_norm_gives_the_same_probabilities() {
    use livermet_model::{FusedNet, Trainer};
    // A few steps so the running statistics move away from 0 / 1.
    let data = crate::common::cohort(8, 2, 0, 61);
    let mut t = Trainer::new(tiny_net(), crate::common::quick_train(3), &cpu()).unwrap();
    for _ in 0..3 {
        t.run_epoch(&data, None, &mut |_| {}).unwrap();
    }
    let net = t.model();
    let fused = FusedNet::from_net(&net);
    let d = cpu();
    let a = net
        .probabilities(images(6, 9, &d), None)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let b = fused
        .probabilities(images(6, 9, &d), None)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
    }
}

/// The CPU device passes the usability probe that `--device gpu` runs before any work.
#[test]
fn the_cpu_device_passes_the_usability_probe() {
    assert_eq!(
        livermet_model::device::check_usable(&crate::common::cpu()),
        Ok(())
    );
}
