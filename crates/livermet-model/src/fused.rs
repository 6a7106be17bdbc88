//! Inference with batch norm folded into the convolutions (Ioffe & Szegedy 2015; the standard
//! deployment step): with running statistics, `BN(conv(x)) = gamma * (W*x - mean) /
//! sqrt(var + eps) + beta`, which is one conv with kernel `W * s` and bias `beta - mean * s`,
//! `s = gamma / sqrt(var + eps)` per output channel. Same outputs, one memory pass less per conv.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::activation::{leaky_relu, softmax};

use crate::net::{Head, Net, global_average_pool, log_odds};

/// One residual block with folded batch norms.
#[derive(Module, Debug)]
pub struct FusedBlock {
    conv1: Conv2d,
    conv2: Conv2d,
    projection: Option<Conv2d>,
    slope: f64,
}

/// [`Net`] for inference only, batch norms folded. Build with [`FusedNet::from_net`].
#[derive(Module, Debug)]
pub struct FusedNet {
    stem: Conv2d,
    blocks: Vec<FusedBlock>,
    clinical: Option<Linear>,
    classifier: Linear,
    slope: f64,
    offset: bool,
}

/// `conv` followed by `bn` (running statistics) as one conv with bias.
fn fold(conv: &Conv2d, bn: &BatchNorm) -> Conv2d {
    let w = conv.weight.val();
    let device = w.device();
    let [c_out, c_in, kh, kw] = w.dims();
    let mean = bn.running_mean.value().to_device(&device);
    let var = bn.running_var.value().to_device(&device);
    let scale = bn.gamma.val() / var.add_scalar(bn.epsilon).sqrt();
    let bias = bn.beta.val() - mean * scale.clone();
    let weight = w * scale.reshape([c_out, 1, 1, 1]);
    let mut out = Conv2dConfig::new([c_in, c_out], [kh, kw])
        .with_stride(conv.stride)
        .with_padding(conv.padding.clone())
        .with_bias(true)
        .init(&device);
    out.weight = Param::from_tensor(weight);
    out.bias = Some(Param::from_tensor(bias));
    out
}

impl FusedNet {
    /// Folds every batch norm of `net` (which should be an inference model: [`Module::valid`]).
    pub fn from_net(net: &Net) -> Self {
        let blocks = net
            .blocks
            .iter()
            .map(|b| FusedBlock {
                conv1: fold(&b.conv1, &b.bn1),
                conv2: fold(&b.conv2, &b.bn2),
                projection: b.projection.as_ref().map(|p| fold(&p.conv, &p.bn)),
                slope: b.slope,
            })
            .collect();
        FusedNet {
            stem: fold(&net.stem, &net.stem_bn),
            blocks,
            clinical: net.clinical.clone(),
            classifier: net.classifier.clone(),
            slope: net.slope,
            offset: net.offset,
        }
    }

    /// Logits `[B, 2]`, as [`Net::forward`] without dropout.
    pub fn forward(&self, images: Tensor<4>, clinical: Option<Tensor<2>>) -> Tensor<2> {
        let mut x = leaky_relu(self.stem.forward(images), self.slope);
        for b in &self.blocks {
            let skip = match &b.projection {
                Some(p) => p.forward(x.clone()),
                None => x.clone(),
            };
            let y = leaky_relu(b.conv1.forward(x), b.slope);
            x = leaky_relu(b.conv2.forward(y) + skip, b.slope);
        }
        let head = Head {
            clinical: self.clinical.as_ref(),
            classifier: &self.classifier,
            offset: self.offset,
            slope: self.slope,
        };
        head.forward(global_average_pool(x), clinical, None)
    }

    /// SLM log-odds `[B]` (the occlusion sensitivity's forward passes, [`crate::saliency`]).
    pub fn log_odds(&self, images: Tensor<4>, clinical: Option<Tensor<2>>) -> Tensor<1> {
        log_odds(self.forward(images, clinical))
    }

    /// SLM probability `[B]`.
    pub fn probabilities(&self, images: Tensor<4>, clinical: Option<Tensor<2>>) -> Tensor<1> {
        let p = softmax(self.forward(images, clinical), 1);
        let b = p.dims()[0];
        p.slice([0..b, 1..2]).flatten::<1>(0, 1)
    }
}
