//! Batch normalisation and leaky ReLU as the networks train them (burn-flex with livermet's
//! patch, `vendor/README.md`): outputs and gradients against direct f64 formulas.

use burn::tensor::activation::leaky_relu;
use burn::tensor::module::{batch_norm, batch_norm_train};
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::cpu;

fn random(n: usize, rng: &mut ChaCha8Rng, scale: f32, shift: f32) -> Vec<f32> {
    (0..n)
        .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * scale + shift)
        .collect()
}

fn assert_close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            ((*g as f64) - w).abs() <= tol * scale,
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// y = gamma (x - mean) / sqrt(var + eps) + beta with the batch's statistics, and the
/// gradients of sum(y * gy) with respect to x, gamma and beta (Ioffe & Szegedy 2015, eq. of
/// section 3), all in f64.
#[test]
fn batch_norm_train_and_gradients_match_the_formulas() {
    let (b, c, h, w) = (6, 3, 9, 7);
    let (s, n) = (h * w, (b * h * w) as f64);
    let eps = 1e-5;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    // Channel means far from zero, to exercise the centring.
    let x = random(b * c * s, &mut rng, 2.0, 3.0);
    let gamma = random(c, &mut rng, 1.0, 1.0);
    let beta = random(c, &mut rng, 1.0, 0.0);
    let gy = random(b * c * s, &mut rng, 1.0, 0.0);
    let at = |i: usize, ch: usize, k: usize| (i * c + ch) * s + k;

    let (mut y, mut dx) = (vec![0f64; x.len()], vec![0f64; x.len()]);
    let (mut means, mut vars, mut dgamma, mut dbeta) = (vec![], vec![], vec![], vec![]);
    for ch in 0..c {
        let idx: Vec<usize> = (0..b)
            .flat_map(|i| (0..s).map(move |k| at(i, ch, k)))
            .collect();
        let mean = idx.iter().map(|&j| x[j] as f64).sum::<f64>() / n;
        let var = idx
            .iter()
            .map(|&j| (x[j] as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let inv = 1.0 / (var + eps).sqrt();
        let xhat = |j: usize| (x[j] as f64 - mean) * inv;
        let sum_gy = idx.iter().map(|&j| gy[j] as f64).sum::<f64>();
        let sum_gy_xhat = idx.iter().map(|&j| gy[j] as f64 * xhat(j)).sum::<f64>();
        for &j in &idx {
            y[j] = gamma[ch] as f64 * xhat(j) + beta[ch] as f64;
            dx[j] =
                gamma[ch] as f64 * inv * (gy[j] as f64 - sum_gy / n - xhat(j) * sum_gy_xhat / n);
        }
        means.push(mean);
        vars.push(var);
        dgamma.push(sum_gy_xhat);
        dbeta.push(sum_gy);
    }

    let dev = cpu().autodiff();
    let xt = Tensor::<4>::from_data(TensorData::new(x.clone(), [b, c, h, w]), &dev).require_grad();
    let gt = Tensor::<1>::from_data(TensorData::new(gamma.clone(), [c]), &dev).require_grad();
    let bt = Tensor::<1>::from_data(TensorData::new(beta.clone(), [c]), &dev).require_grad();
    let out = batch_norm_train(xt.clone(), gt.clone(), bt.clone(), eps);
    let gyt = Tensor::<4>::from_data(TensorData::new(gy, [b, c, h, w]), &dev);
    let grads = (out.output.clone() * gyt).sum().backward();
    assert_close("y", &values(out.output), &y, 1e-5);
    assert_close("mean", &values(out.mean), &means, 1e-6);
    assert_close("variance", &values(out.variance), &vars, 1e-6);
    assert_close("dx", &values(xt.grad(&grads).unwrap()), &dx, 1e-5);
    assert_close("dgamma", &values(gt.grad(&grads).unwrap()), &dgamma, 1e-5);
    assert_close("dbeta", &values(bt.grad(&grads).unwrap()), &dbeta, 1e-5);

    // Inference form with given statistics.
    let inf = cpu();
    let t1 = |v: &[f64]| {
        Tensor::<1>::from_data(
            TensorData::new(v.iter().map(|&a| a as f32).collect(), [c]),
            &inf,
        )
    };
    let y_inf = batch_norm(
        Tensor::<4>::from_data(TensorData::new(x, [b, c, h, w]), &inf),
        t1(&gamma.iter().map(|&g| g as f64).collect::<Vec<_>>()),
        t1(&beta.iter().map(|&g| g as f64).collect::<Vec<_>>()),
        t1(&means),
        t1(&vars),
        eps,
    );
    assert_close("y (given statistics)", &values(y_inf), &y, 1e-5);
}

/// Leaky ReLU and its gradient on a tensor large enough to be split over threads.
#[test]
fn leaky_relu_and_gradient_match_the_definition() {
    let n = 300_001;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x = random(n, &mut rng, 1.0, 0.0);
    let gy = random(n, &mut rng, 1.0, 0.0);
    let dev = cpu().autodiff();
    let xt = Tensor::<1>::from_data(TensorData::new(x.clone(), [n]), &dev).require_grad();
    let y = leaky_relu(xt.clone(), 0.2);
    let grads = (y.clone() * Tensor::<1>::from_data(TensorData::new(gy.clone(), [n]), &dev))
        .sum()
        .backward();
    let slope = |v: f32| if v < 0.0 { 0.2 } else { 1.0 };
    let y_ref: Vec<f64> = x.iter().map(|&v| v as f64 * slope(v)).collect();
    let dx_ref: Vec<f64> = x
        .iter()
        .zip(&gy)
        .map(|(&v, &g)| g as f64 * slope(v))
        .collect();
    assert_close("y", &values(y), &y_ref, 1e-7);
    assert_close("dx", &values(xt.grad(&grads).unwrap()), &dx_ref, 1e-7);
}
