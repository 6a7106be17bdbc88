//! Inference without autodiff on any device, batched over a cohort; the patient score is the
//! mean of its slice probabilities (docs/DESIGN.md "patient score" row).

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::config::NetConfig;
use crate::data::{PatchSource, check_source};
use crate::error::{ModelError, Result};
use crate::net::Net;

/// A batch ready for the network.
pub(crate) struct BatchInputs {
    /// `[B, C, S, S]`.
    pub images: Tensor<4>,
    /// `[B, n_clinical]`, `None` for the MRI model.
    pub clinical: Option<Tensor<2>>,
    /// `[B]` labels (i64).
    pub labels: TensorData,
}

/// Builds the tensors of `items` (patient, slice): augmented patches when `seeds` is given
/// (one per item), plain patches otherwise.
pub(crate) fn batch_tensors(
    net: &NetConfig,
    source: &dyn PatchSource,
    items: &[(usize, usize)],
    seeds: Option<&[u64]>,
    device: &Device,
) -> Result<BatchInputs> {
    let len = net.patch_len();
    let b = items.len();
    let mut images = vec![0.0f32; b * len];
    let mut clinical = Vec::with_capacity(b * net.n_clinical);
    let mut labels = Vec::with_capacity(b);
    for (i, &(p, s)) in items.iter().enumerate() {
        let out = &mut images[i * len..(i + 1) * len];
        match seeds {
            Some(seeds) => source.training_patch(p, s, seeds[i], out)?,
            None => source.plain_patch(p, s, out)?,
        }
        let info = &source.patients()[p];
        clinical.extend_from_slice(&info.clinical[..net.n_clinical.min(info.clinical.len())]);
        labels.push(info.label as i64);
    }
    let s = net.patch_size;
    let images =
        Tensor::<4>::from_data(TensorData::new(images, [b, net.in_channels, s, s]), device);
    let clinical = (net.n_clinical > 0)
        .then(|| Tensor::<2>::from_data(TensorData::new(clinical, [b, net.n_clinical]), device));
    Ok(BatchInputs {
        images,
        clinical,
        labels: TensorData::new(labels, [b]),
    })
}

/// SLM probability of every slice of every patient of `source`, in `batch_size` batches that
/// run across patient boundaries, with batch norm on its running statistics (folded into the
/// convolutions, [`crate::fused`]) and no dropout. Returns one vector per patient.
pub fn slice_probabilities(
    model: &Net,
    net: &NetConfig,
    source: &dyn PatchSource,
    batch_size: usize,
) -> Result<Vec<Vec<f64>>> {
    check_source(source, net.n_clinical)?;
    let device = model_device(model);
    let items: Vec<(usize, usize)> = source
        .patients()
        .iter()
        .enumerate()
        .flat_map(|(p, info)| (0..info.n_slices).map(move |s| (p, s)))
        .collect();
    let mut out: Vec<Vec<f64>> = source.patients().iter().map(|_| Vec::new()).collect();
    // Batch norm folded into the convs once, then every batch runs the folded network.
    let model = crate::fused::FusedNet::from_net(model);
    for chunk in items.chunks(batch_size.max(1)) {
        let inputs = batch_tensors(net, source, chunk, None, &device)?;
        let probs = model
            .probabilities(inputs.images, inputs.clinical)
            .into_data();
        let probs = probs.try_to_vec::<f32>().map_err(|e| ModelError::Source {
            patient_id: source.patients()[chunk[0].0].patient_id.clone(),
            message: format!("reading probabilities: {e:?}"),
        })?;
        for (&(p, _), prob) in chunk.iter().zip(probs) {
            out[p].push(prob as f64);
        }
    }
    Ok(out)
}

/// Patient scores: the mean slice probability of each patient of `source`.
pub fn patient_scores(
    model: &Net,
    net: &NetConfig,
    source: &dyn PatchSource,
    batch_size: usize,
) -> Result<Vec<f64>> {
    let per_slice = slice_probabilities(model, net, source, batch_size)?;
    Ok(per_slice
        .iter()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect())
}

/// The device the model's weights live on.
fn model_device(model: &Net) -> Device {
    model.devices().into_iter().next().unwrap_or_default()
}

/// All float parameters of `model` as flat vectors, in module order.
pub fn weight_values(model: &Net) -> Vec<Vec<f32>> {
    struct Collect(Vec<Vec<f32>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let v = param
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            self.0.push(v);
        }
    }
    let mut c = Collect(Vec::new());
    model.visit(&mut c);
    c.0
}

/// Saves an inference model as `dir/model.bpk` (burnpack weights) and `dir/net.json` (its
/// [`NetConfig`]); both written to a temporary name and renamed.
pub fn save_model(model: &Net, net: &NetConfig, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    livermet_io::write_json_atomic(&dir.join("net.json"), net)?;
    let path = dir.join("model.bpk");
    model
        .clone()
        .save_file(&path)
        .map_err(|e| ModelError::Record {
            path,
            message: e.to_string(),
        })
}

/// Loads a model saved by [`save_model`] onto `device` (inference mode, no autodiff).
pub fn load_model(dir: &Path, device: &Device) -> Result<(Net, NetConfig)> {
    let net: NetConfig = livermet_io::read_json(&dir.join("net.json"))?;
    let model = load_weights(&net, &dir.join("model.bpk"), device)?;
    Ok((model.valid(), net))
}

/// Builds `net` on `device` and loads burnpack weights from `path` into it; a file made for
/// another architecture is a clear error.
pub(crate) fn load_weights(net: &NetConfig, path: &Path, device: &Device) -> Result<Net> {
    if !path.exists() {
        return Err(ModelError::io(
            path,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    // Seeded init: takes burn's RNG lock, so loading never disturbs a concurrent seeded init.
    net.init_seeded(device, 0)?
        .try_load_file(path)
        .map_err(|e| ModelError::Record {
            path: path.to_path_buf(),
            message: format!("weights do not fit the network in net.json ({e})"),
        })
}
