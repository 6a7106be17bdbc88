//! The training objective and learning-rate schedule (docs/DESIGN.md "training" row).

use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Int, Tensor};

use crate::net::Net;

/// Learning rate of epoch `epoch` (0-based) of `epochs`: `lr0 * 0.1^(epoch / epochs)`, the
/// continuous exponential decay by a factor 0.1 over the run (Keras `ExponentialDecay` with
/// `decay_rate = 0.1`, `decay_steps = epochs`, applied per epoch).
pub fn learning_rate(lr0: f64, epoch: usize, epochs: usize) -> f64 {
    lr0 * 0.1f64.powf(epoch as f64 / epochs.max(1) as f64)
}

/// `l1 * sum|w| + l2 * sum w^2` over [`Net::penalised_weights`]: every conv kernel and linear
/// weight matrix, not batch-norm parameters and not biases (Keras `kernel_regularizer`
/// semantics, which is what "L1 and L2 penalties on the weights" means in TensorFlow).
/// Returns a `[1]` tensor on the model's device (differentiable under autodiff).
pub fn weight_penalty(model: &Net, l1: f64, l2: f64) -> Tensor<1> {
    let weights = model.penalised_weights();
    let mut total: Option<Tensor<1>> = None;
    for w in weights {
        let term = w.clone().abs().sum().mul_scalar(l1) + w.square().sum().mul_scalar(l2);
        total = Some(match total {
            Some(t) => t + term,
            None => term,
        });
    }
    total.expect("a Net always has weights")
}

/// Mean cross-entropy of `logits [B, 2]` against `labels [B]` (0/1).
pub fn cross_entropy(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    CrossEntropyLossConfig::new()
        .init(&logits.device())
        .forward(logits, labels)
}
