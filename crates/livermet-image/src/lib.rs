//! livermet-image (see docs/DESIGN.md, Layout): the paper's preprocessing as library functions.
//!
//! - [`compute_adc`] / [`highest_b_frame`]: ADC and the DWI channel from a DWI series;
//! - [`resample()`] ([`BSplineCoefficients`]): onto a reference grid through a transform;
//! - [`register::register_rigid`]: rigid multi-modal registration (Mattes MI, pyramid,
//!   regular-step gradient descent); [`transform`]: its 4x4 fixed -> moving JSON transform;
//! - [`body_mask`] / [`zscore_normalise`]: z-score over the body;
//! - [`tumour_slices`] / [`tumour_centre`] / [`cut_patch`] / [`Augmenter`]: tumour patches.

pub mod adc;
pub mod augment;
pub mod bspline;
pub mod error;
pub mod mattes;
pub mod normalise;
pub mod optimiser;
pub mod patches;
pub mod pyramid;
pub mod register;
pub mod resample;
pub mod slices;
pub mod transform;

pub use adc::{AdcOptions, AdcResult, compute_adc, highest_b_frame};
pub use augment::{AugmentConfig, AugmentParams, Augmenter, augment_patch};
pub use bspline::BSplineCoefficients;
pub use error::ImageError;
pub use normalise::{ZScoreStats, body_mask, zscore_normalise};
pub use patches::{
    CHANNELS, PatchManifest, PatchSpec, SliceEntry, cut_patch, padded_pixels, paste_patch,
};
pub use resample::{Interpolation, resample};
pub use slices::{check_roi_grid, tumour_centre, tumour_slices};
