//! Where the network looked, on any burn device: Grad-CAM at the last residual block and
//! occlusion sensitivity, per tumour slice, on the patch grid (row = j, column = i, as
//! [`livermet_image::cut_patch`] lays a patch out); `livermet_image::paste_patch` maps them
//! back onto the patient's T2 grid.
//!
//! - Grad-CAM (Selvaraju et al. 2017, eq. 1-2): `alpha_c = mean_hw d z / d A_c[h, w]`, map
//!   `ReLU(sum_c alpha_c A_c)`, with `z` the SLM log-odds and `A` the last block's activations;
//!   the gradient comes from burn's autodiff (the activations are made a tracked leaf), so it
//!   stays right whatever the head does. With this network's global average pooling and linear
//!   classifier, Grad-CAM equals CAM (Zhou et al. 2016) divided by `h * w` (tested). The coarse
//!   `h x w` map is upsampled bilinearly (half-pixel centres, as MONAI's and PyTorch's
//!   `align_corners = False`).
//! - Occlusion sensitivity (Zeiler & Fergus 2014; MONAI's `OcclusionSensitivity`): a square
//!   window of `fill` slides over the patch in all channels; each pixel gets the mean drop of
//!   the log-odds `z(patch) - z(occluded)` over the windows covering it (positive: the region
//!   argued for SLM). `fill` 0 is the mean of every channel: the channels are z-scored over the
//!   patient's body (docs/DESIGN.md "intensity"), so 0 is each sequence's mean intensity.

use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};

use crate::config::NetConfig;
use crate::data::{PatchSource, check_source};
use crate::error::{ModelError, Result};
use crate::fused::FusedNet;
use crate::net::{Net, global_average_pool};

/// The occlusion window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OcclusionSettings {
    /// Side of the square window, pixels.
    pub window: usize,
    /// Step between windows, pixels.
    pub stride: usize,
    /// Value written into every channel under the window.
    pub fill: f32,
}

impl OcclusionSettings {
    /// A quarter of the patch, stride an eighth (7 x 7 windows whatever the patch size), fill 0.
    pub fn for_patch(size: usize) -> Self {
        OcclusionSettings {
            window: (size / 4).max(1),
            stride: (size / 8).max(1),
            fill: 0.0,
        }
    }
}

/// One patient's saliency, one entry per tumour slice (in the source's slice order).
#[derive(Debug, Clone, PartialEq)]
pub struct PatientSaliency {
    /// Patch side `S`.
    pub size: usize,
    /// Grad-CAM upsampled to the patch, `S * S` values per slice.
    pub grad_cam: Vec<Vec<f32>>,
    /// Occlusion sensitivity (log-odds drop), `S * S` values per slice.
    pub occlusion: Vec<Vec<f32>>,
    /// SLM log-odds of each slice.
    pub log_odds: Vec<f64>,
}

fn read(t: Tensor<1>, what: &str) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| ModelError::InvalidSetting(format!("reading {what}: {e:?}")))
}

fn read4(t: Tensor<4>, what: &str) -> Result<Vec<f32>> {
    let n: usize = t.dims().iter().product();
    read(t.reshape([n]), what)
}

/// Coarse Grad-CAM maps `[B][h * w]` (row-major, h = rows) and `[h, w]`, for images
/// `[B, C, S, S]` and the clinical input of the Combined model. `model` is an inference model
/// ([`Module::valid`]: batch norm on running statistics); its device needs no autodiff.
pub fn grad_cam_coarse(
    model: &Net,
    images: Tensor<4>,
    clinical: Option<Tensor<2>>,
) -> Result<(Vec<Vec<f32>>, [usize; 2])> {
    let activations = model.last_block_activations(images).detach();
    let [_, _, h, w] = activations.dims();
    // The activations become the leaf whose gradient is wanted; the weights stay constants.
    let leaf = activations.without_autodiff().autodiff().require_grad();
    let z = model.log_odds_from_features(global_average_pool(leaf.clone()), clinical);
    let grads = z.sum().backward();
    let grad = leaf.grad(&grads).ok_or_else(|| {
        ModelError::InvalidSetting("Grad-CAM: no gradient reached the last block".into())
    })?;
    // alpha [B, C, 1, 1]: the gradient's mean over the block's grid.
    let alpha = grad.mean_dim(3).mean_dim(2);
    let a = leaf.without_autodiff();
    let cam = relu((a.clone() * alpha.to_device(&a.device())).sum_dim(1));
    let flat = read4(cam, "Grad-CAM")?;
    Ok((flat.chunks(h * w).map(<[f32]>::to_vec).collect(), [h, w]))
}

/// Bilinear upsampling of a `h x w` map to `size x size` with half-pixel centres (the
/// convention of PyTorch's `interpolate(align_corners=False)`, which MONAI's Grad-CAM uses).
pub fn upsample_bilinear(map: &[f32], [h, w]: [usize; 2], size: usize) -> Vec<f32> {
    let coord = |dst: usize, n: usize| -> (usize, usize, f32) {
        let src = ((dst as f32 + 0.5) * n as f32 / size as f32 - 0.5).clamp(0.0, (n - 1) as f32);
        let lo = src.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        (lo, hi, src - lo as f32)
    };
    let mut out = vec![0.0f32; size * size];
    for r in 0..size {
        let (r0, r1, fr) = coord(r, h);
        for c in 0..size {
            let (c0, c1, fc) = coord(c, w);
            let top = map[r0 * w + c0] * (1.0 - fc) + map[r0 * w + c1] * fc;
            let bottom = map[r1 * w + c0] * (1.0 - fc) + map[r1 * w + c1] * fc;
            out[r * size + c] = top * (1.0 - fr) + bottom * fr;
        }
    }
    out
}

/// Grad-CAM of `patches` (each `C * S * S`), upsampled to `S x S`.
fn grad_cam(
    model: &Net,
    net: &NetConfig,
    patches: &[Vec<f32>],
    clinical: &[f32],
    device: &Device,
) -> Result<Vec<Vec<f32>>> {
    let (images, clin) = tensors(net, patches, clinical, device);
    let (maps, hw) = grad_cam_coarse(model, images, clin)?;
    Ok(maps
        .iter()
        .map(|m| upsample_bilinear(m, hw, net.patch_size))
        .collect())
}

/// `[B, C, S, S]` images of `patches` (each `C * S * S`).
fn image_tensor(net: &NetConfig, patches: &[Vec<f32>], device: &Device) -> Tensor<4> {
    let s = net.patch_size;
    Tensor::<4>::from_data(
        TensorData::new(patches.concat(), [patches.len(), net.in_channels, s, s]),
        device,
    )
}

/// `[B, C, S, S]` images and the `[B, n]` clinical input (the same for every patch).
fn tensors(
    net: &NetConfig,
    patches: &[Vec<f32>],
    clinical: &[f32],
    device: &Device,
) -> (Tensor<4>, Option<Tensor<2>>) {
    let b = patches.len();
    let clin = (net.n_clinical > 0).then(|| {
        let rows: Vec<f32> = (0..b).flat_map(|_| clinical.iter().copied()).collect();
        Tensor::<2>::from_data(TensorData::new(rows, [b, net.n_clinical]), device)
    });
    (image_tensor(net, patches, device), clin)
}

/// The top-left corners of the occlusion windows along one side: every `stride`, the last one
/// flush with the edge so the whole side is covered.
fn window_starts(size: usize, window: usize, stride: usize) -> Vec<usize> {
    let last = size.saturating_sub(window);
    let mut v: Vec<usize> = (0..=last).step_by(stride.max(1)).collect();
    if v.last() != Some(&last) {
        v.push(last);
    }
    v
}

/// Occlusion sensitivity of one patch (`C * S * S`) and the log-odds of the patch itself.
fn occlusion_of_patch(
    fused: &FusedNet,
    net: &NetConfig,
    patch: &[f32],
    clinical: &[f32],
    settings: &OcclusionSettings,
    device: &Device,
) -> Result<(Vec<f32>, f64)> {
    let s = net.patch_size;
    let win = settings.window.clamp(1, s);
    let starts = window_starts(s, win, settings.stride);
    let windows: Vec<(usize, usize)> = starts
        .iter()
        .flat_map(|&r| starts.iter().map(move |&c| (r, c)))
        .collect();
    // The patch itself first, then one occluded copy per window.
    let mut batch = vec![patch.to_vec()];
    for &(r0, c0) in &windows {
        let mut p = patch.to_vec();
        for ch in 0..net.in_channels {
            for r in r0..r0 + win {
                let row = ch * s * s + r * s;
                p[row + c0..row + c0 + win].fill(settings.fill);
            }
        }
        batch.push(p);
    }
    let mut z = Vec::with_capacity(batch.len());
    for chunk in batch.chunks(32) {
        let (images, clin) = tensors(net, chunk, clinical, device);
        z.extend(read(fused.log_odds(images, clin), "occlusion log-odds")?);
    }
    let mut sum = vec![0.0f32; s * s];
    let mut count = vec![0u32; s * s];
    for (&(r0, c0), &zo) in windows.iter().zip(&z[1..]) {
        let drop = z[0] - zo;
        for r in r0..r0 + win {
            for c in c0..c0 + win {
                sum[r * s + c] += drop;
                count[r * s + c] += 1;
            }
        }
    }
    let map = sum
        .iter()
        .zip(&count)
        .map(|(v, &n)| if n > 0 { v / n as f32 } else { 0.0 })
        .collect();
    Ok((map, f64::from(z[0])))
}

/// The plain (centred) patches of `patient`'s tumour slices.
fn patient_patches(
    net: &NetConfig,
    source: &dyn PatchSource,
    patient: usize,
) -> Result<Vec<Vec<f32>>> {
    let info = source.patients().get(patient).ok_or_else(|| {
        ModelError::EmptyData(format!("patient #{patient} is not in the patch source"))
    })?;
    (0..info.n_slices)
        .map(|k| {
            let mut p = vec![0.0f32; net.patch_len()];
            source.plain_patch(patient, k, &mut p)?;
            Ok(p)
        })
        .collect()
}

/// The architecture `net` with fresh weights drawn with `seed`, in inference mode: the model
/// of the model-randomisation check (Adebayo et al. 2018), whose saliency should not resemble
/// the trained network's.
pub fn randomised_model(net: &NetConfig, device: &Device, seed: u64) -> Result<Net> {
    Ok(net.init_seeded(device, seed)?.valid())
}

/// Grad-CAM of every tumour slice of `patient` of `source` for the inference model `model` of
/// `net`, upsampled to the patch (`S * S` per slice); what [`patient_saliency`] returns as
/// `grad_cam`, without the occlusion.
pub fn patient_grad_cam(
    model: &Net,
    net: &NetConfig,
    source: &dyn PatchSource,
    patient: usize,
) -> Result<Vec<Vec<f32>>> {
    check_source(source, net.n_clinical)?;
    let patches = patient_patches(net, source, patient)?;
    let clinical = &source.patients()[patient].clinical;
    grad_cam(model, net, &patches, clinical, &model_device(model))
}

/// Grad-CAM and occlusion sensitivity of every tumour slice of `patient` of `source`, for the
/// inference model `model` of `net` (on the device its weights live on).
pub fn patient_saliency(
    model: &Net,
    net: &NetConfig,
    source: &dyn PatchSource,
    patient: usize,
    occlusion: &OcclusionSettings,
) -> Result<PatientSaliency> {
    check_source(source, net.n_clinical)?;
    let device = model_device(model);
    let patches = patient_patches(net, source, patient)?;
    let clinical = &source.patients()[patient].clinical;
    let grad_cam = grad_cam(model, net, &patches, clinical, &device)?;
    let fused = FusedNet::from_net(model);
    let mut maps = Vec::with_capacity(patches.len());
    let mut log_odds = Vec::with_capacity(patches.len());
    for p in &patches {
        let (m, z) = occlusion_of_patch(&fused, net, p, clinical, occlusion, &device)?;
        maps.push(m);
        log_odds.push(z);
    }
    Ok(PatientSaliency {
        size: net.patch_size,
        grad_cam,
        occlusion: maps,
        log_odds,
    })
}

/// Pooled image features `[slices][widths[5]]` of `patient`'s tumour slices: what the
/// attribution holds fixed or replaces by the baseline.
pub fn slice_features(
    model: &Net,
    net: &NetConfig,
    source: &dyn PatchSource,
    patient: usize,
) -> Result<Vec<Vec<f32>>> {
    let device = model_device(model);
    let patches = patient_patches(net, source, patient)?;
    let f = model.image_features(image_tensor(net, &patches, &device));
    let width = f.dims()[1];
    let n = f.dims()[0] * width;
    Ok(read(f.reshape([n]), "image features")?
        .chunks(width)
        .map(<[f32]>::to_vec)
        .collect())
}

/// The mean pooled image feature vector over every tumour slice of every patient of `source`
/// (each patient weighted equally): the attribution's image baseline, computed on the
/// training patients of the unit that fitted `model`.
pub fn mean_image_features(
    model: &Net,
    net: &NetConfig,
    source: &dyn PatchSource,
) -> Result<Vec<f64>> {
    check_source(source, 0)?;
    let n = source.patients().len();
    let mut mean: Vec<f64> = Vec::new();
    for p in 0..n {
        let f = slice_features(model, net, source, p)?;
        if mean.is_empty() {
            mean = vec![0.0; f[0].len()];
        }
        for row in &f {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += f64::from(*v) / (f.len() * n) as f64;
            }
        }
    }
    Ok(mean)
}

/// SLM log-odds of the head for pooled features `[B][F]` and clinical inputs `[B][n]`, on the
/// model's device: the value function of the attribution's coalitions.
pub fn head_log_odds(
    model: &Net,
    net: &NetConfig,
    features: &[Vec<f32>],
    clinical: &[Vec<f32>],
) -> Result<Vec<f64>> {
    let device = model_device(model);
    let b = features.len();
    let width = features.first().map_or(0, Vec::len);
    let f = Tensor::<2>::from_data(TensorData::new(features.concat(), [b, width]), &device);
    let c = (net.n_clinical > 0).then(|| {
        Tensor::<2>::from_data(
            TensorData::new(clinical.concat(), [b, net.n_clinical]),
            &device,
        )
    });
    Ok(read(model.log_odds_from_features(f, c), "head log-odds")?
        .into_iter()
        .map(f64::from)
        .collect())
}

fn model_device(model: &Net) -> Device {
    model.devices().into_iter().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsampling_keeps_constants_and_interpolates_between_centres() {
        let up = upsample_bilinear(&[2.0; 4], [2, 2], 8);
        assert!(up.iter().all(|&v| (v - 2.0).abs() < 1e-6));
        // 1 x 2 map [0, 1] to 4 columns: centres at 0.25, 0.75, 1.25, 1.75 source pixels.
        let up = upsample_bilinear(&[0.0, 1.0], [1, 2], 4);
        assert_eq!(&up[..4], &[0.0, 0.25, 0.75, 1.0]);
    }

    #[test]
    fn occlusion_windows_cover_the_patch() {
        assert_eq!(window_starts(64, 16, 8), vec![0, 8, 16, 24, 32, 40, 48]);
        assert_eq!(window_starts(10, 4, 4), vec![0, 4, 6]);
    }
}
