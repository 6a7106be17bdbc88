//! The paper's 2D ResNet (Methods, "Deep learning models"; docs/DESIGN.md "network" row):
//! 7x7 conv stride 2, six residual blocks of two 3x3 convs with batch norm and a skip each,
//! leaky ReLU 0.2, global average pooling, dropout, a 2-way classifier; the Combined model
//! concatenates a fully connected clinical branch before the classifier ([`Fusion::Paper`]) or
//! adds the CF model's linear predictor to the SLM log-odds ([`Fusion::Offset`]).

use std::sync::Mutex;

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{leaky_relu, softmax};
use burn::tensor::{Device, Tensor};

use crate::config::{Fusion, NetConfig};
use crate::error::Result;

/// A residual block (He et al. 2016, "basic block"): conv3x3(stride s) -> BN -> leaky ReLU ->
/// conv3x3 -> BN, plus the input (through a 1x1 conv + BN when the shape changes), -> leaky ReLU.
#[derive(Module, Debug)]
pub struct ResBlock {
    pub(crate) conv1: Conv2d,
    pub(crate) bn1: BatchNorm,
    pub(crate) conv2: Conv2d,
    pub(crate) bn2: BatchNorm,
    /// 1x1 projection of the skip where width or stride changes.
    pub(crate) projection: Option<Projection>,
    pub(crate) slope: f64,
}

/// The 1x1 conv + BN that matches the skip to the block's output shape.
#[derive(Module, Debug)]
pub struct Projection {
    pub(crate) conv: Conv2d,
    pub(crate) bn: BatchNorm,
}

fn conv(c_in: usize, c_out: usize, k: usize, stride: usize, device: &Device) -> Conv2d {
    let p = k / 2;
    // No bias: every conv is followed by batch norm, whose shift makes a bias redundant.
    Conv2dConfig::new([c_in, c_out], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .with_bias(false)
        .init(device)
}

impl ResBlock {
    fn new(c_in: usize, c_out: usize, stride: usize, slope: f64, device: &Device) -> Self {
        let projection = (c_in != c_out || stride != 1).then(|| Projection {
            conv: conv(c_in, c_out, 1, stride, device),
            bn: BatchNormConfig::new(c_out).init(device),
        });
        ResBlock {
            conv1: conv(c_in, c_out, 3, stride, device),
            bn1: BatchNormConfig::new(c_out).init(device),
            conv2: conv(c_out, c_out, 3, 1, device),
            bn2: BatchNormConfig::new(c_out).init(device),
            projection,
            slope,
        }
    }

    /// `[B, c_in, H, W]` -> `[B, c_out, H/s, W/s]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let skip = match &self.projection {
            Some(p) => p.bn.forward(p.conv.forward(x.clone())),
            None => x.clone(),
        };
        let y = leaky_relu(self.bn1.forward(self.conv1.forward(x)), self.slope);
        let y = self.bn2.forward(self.conv2.forward(y));
        leaky_relu(y + skip, self.slope)
    }
}

/// The MRI or Combined network. Build it with [`NetConfig::init`] or [`NetConfig::init_seeded`].
#[derive(Module, Debug)]
pub struct Net {
    pub(crate) stem: Conv2d,
    pub(crate) stem_bn: BatchNorm,
    pub(crate) blocks: Vec<ResBlock>,
    /// `Linear(n_clinical, clinical_units)`; absent in the MRI model.
    pub(crate) clinical: Option<Linear>,
    pub(crate) classifier: Linear,
    pub(crate) slope: f64,
    /// Width of the classifier's input (pooled image features + clinical units).
    pub(crate) fused: usize,
    /// [`Fusion::Offset`]: the clinical input is added to the SLM log-odds.
    pub(crate) offset: bool,
}

/// What follows the pooled image features, shared by [`Net`] and the inference-only
/// [`crate::FusedNet`]: the clinical input joined as the network's [`Fusion`] says, dropout,
/// the classifier.
pub(crate) struct Head<'a> {
    pub clinical: Option<&'a Linear>,
    pub classifier: &'a Linear,
    pub offset: bool,
    pub slope: f64,
}

impl Head<'_> {
    /// Logits `[B, 2]` from pooled features `[B, F_img]` and the clinical input `[B, n]`.
    pub fn forward(
        &self,
        mut features: Tensor<2>,
        clinical: Option<Tensor<2>>,
        dropout_keep: Option<Tensor<2>>,
    ) -> Tensor<2> {
        let (concat, offset) = match (self.clinical, clinical) {
            (Some(fc), Some(c)) => (Some(leaky_relu(fc.forward(c), self.slope)), None),
            (None, Some(c)) if self.offset => (None, Some(c)),
            _ => (None, None),
        };
        if let Some(c) = concat {
            features = Tensor::cat(vec![features, c], 1);
        }
        if let Some(keep) = dropout_keep {
            features = features * keep;
        }
        let logits = self.classifier.forward(features);
        match offset {
            // [B, 1] offset on the SLM logit only: softmax's log-odds of SLM move by it.
            Some(o) => logits + Tensor::cat(vec![o.zeros_like(), o], 1),
            None => logits,
        }
    }
}

/// Global average pooling over H and W: `[B, C, H, W]` -> `[B, C]`.
pub(crate) fn global_average_pool(x: Tensor<4>) -> Tensor<2> {
    x.mean_dim(3).mean_dim(2).flatten::<2>(1, 3)
}

/// SLM log-odds `[B]` of logits `[B, 2]`: softmax's class-1 probability is the logistic of
/// `z1 - z0`.
pub(crate) fn log_odds(logits: Tensor<2>) -> Tensor<1> {
    let b = logits.dims()[0];
    (logits.clone().slice([0..b, 1..2]) - logits.slice([0..b, 0..1])).flatten::<1>(0, 1)
}

/// burn's CPU random generator is process-global: weight initialisation holds this lock while
/// seeding and drawing so concurrent callers (e.g. parallel tests) cannot interleave draws.
static INIT_LOCK: Mutex<()> = Mutex::new(());

impl NetConfig {
    /// Builds the network on `device` with burn's default initialisers (Kaiming uniform for
    /// convs and linears, ones/zeros for batch norm), drawing from the device's current RNG.
    pub fn init(&self, device: &Device) -> Result<Net> {
        self.check()?;
        let w = &self.widths;
        let slope = self.leaky_slope;
        let stem = conv(self.in_channels, w[0], 7, 2, device);
        let stem_bn = BatchNormConfig::new(w[0]).init(device);
        let mut blocks = Vec::with_capacity(w.len());
        let mut c_in = w[0];
        for &c_out in w {
            // Stride 2 where the width changes (docs/DESIGN.md), as in ResNet-18's stages.
            let stride = if c_out != c_in { 2 } else { 1 };
            blocks.push(ResBlock::new(c_in, c_out, stride, slope, device));
            c_in = c_out;
        }
        let offset = self.n_clinical > 0 && self.fusion == Fusion::Offset;
        let clinical = (self.n_clinical > 0 && !offset)
            .then(|| LinearConfig::new(self.n_clinical, self.clinical_units).init(device));
        let fused = c_in + clinical.as_ref().map_or(0, |_| self.clinical_units);
        let classifier = LinearConfig::new(fused, 2).init(device);
        Ok(Net {
            stem,
            stem_bn,
            blocks,
            clinical,
            classifier,
            slope,
            fused,
            offset,
        })
    }

    /// [`init`](Self::init) with the device RNG seeded by `seed` first: the same seed gives
    /// the same initial weights.
    pub fn init_seeded(&self, device: &Device, seed: u64) -> Result<Net> {
        let _guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        device.seed(seed);
        let net = self.init(device)?;
        // burn initialises parameters lazily, on first use: draw them all now, under the lock,
        // or a later first use would draw from whatever state the global RNG is in by then.
        struct Touch;
        impl ModuleVisitor for Touch {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let _ = param.val();
            }
        }
        net.visit(&mut Touch);
        Ok(net)
    }
}

impl Net {
    /// Activations of the last residual block: `[B, in_channels, S, S]` -> `[B, widths[5], h, w]`
    /// (where Grad-CAM looks, [`crate::saliency`]).
    pub fn last_block_activations(&self, images: Tensor<4>) -> Tensor<4> {
        let x = self.stem_bn.forward(self.stem.forward(images));
        let mut x = leaky_relu(x, self.slope);
        for b in &self.blocks {
            x = b.forward(x);
        }
        x
    }

    /// Pooled image features: `[B, in_channels, S, S]` -> `[B, widths[5]]`.
    pub fn image_features(&self, images: Tensor<4>) -> Tensor<2> {
        global_average_pool(self.last_block_activations(images))
    }

    /// The head of the network (clinical input, classifier).
    pub(crate) fn head(&self) -> Head<'_> {
        Head {
            clinical: self.clinical.as_ref(),
            classifier: &self.classifier,
            offset: self.offset,
            slope: self.slope,
        }
    }

    /// SLM log-odds `[B]` (class-1 minus class-0 logit, no dropout) from pooled image features
    /// `[B, widths[5]]` and the clinical input: what the attribution's coalitions evaluate with
    /// the image features or the clinical values replaced by their baseline.
    pub fn log_odds_from_features(
        &self,
        features: Tensor<2>,
        clinical: Option<Tensor<2>>,
    ) -> Tensor<1> {
        log_odds(self.head().forward(features, clinical, None))
    }

    /// Logits `[B, 2]` from images `[B, in_channels, S, S]` and, for the Combined model, the
    /// clinical vectors `[B, n_clinical]` (ignored by the MRI model).
    ///
    /// `dropout_keep` is the training-time dropout mask `[B, F]` (F = fused feature count), with
    /// kept entries `1/(1-p)` and dropped entries 0 (inverted dropout); `None` at inference.
    /// The caller draws it from its own seeded RNG, which keeps training deterministic
    /// independently of burn's global RNG (see [`crate::train`]).
    pub fn forward(
        &self,
        images: Tensor<4>,
        clinical: Option<Tensor<2>>,
        dropout_keep: Option<Tensor<2>>,
    ) -> Tensor<2> {
        self.head()
            .forward(self.image_features(images), clinical, dropout_keep)
    }

    /// SLM probability `[B]`: softmax of the logits, class 1.
    pub fn probabilities(&self, images: Tensor<4>, clinical: Option<Tensor<2>>) -> Tensor<1> {
        let p = softmax(self.forward(images, clinical, None), 1);
        let b = p.dims()[0];
        p.slice([0..b, 1..2]).flatten::<1>(0, 1)
    }

    /// The 7x7 stem kernel `[widths[0], in_channels, 7, 7]` (to inspect its gradient).
    pub fn first_conv_weight(&self) -> Tensor<4> {
        self.stem.weight.val()
    }

    /// Width of the fused feature vector that the classifier reads (the dropout mask's width).
    pub fn fused_width(&self) -> usize {
        self.fused
    }

    /// The weights the L1/L2 penalty applies to: every conv kernel and linear weight matrix
    /// (not batch-norm scales/shifts, not biases), flattened.
    pub fn penalised_weights(&self) -> Vec<Tensor<1>> {
        let mut out: Vec<Tensor<1>> = Vec::new();
        let mut conv = |c: &Conv2d| out.push(c.weight.val().flatten::<1>(0, 3));
        conv(&self.stem);
        for b in &self.blocks {
            conv(&b.conv1);
            conv(&b.conv2);
            if let Some(p) = &b.projection {
                conv(&p.conv);
            }
        }
        if let Some(fc) = &self.clinical {
            out.push(fc.weight.val().flatten::<1>(0, 1));
        }
        out.push(self.classifier.weight.val().flatten::<1>(0, 1));
        out
    }
}
