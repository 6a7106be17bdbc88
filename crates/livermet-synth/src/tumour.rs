//! The rectal tumour: an ellipsoid whose surface is perturbed by low-frequency waves on the
//! sphere, with its own texture field, and how the latent imaging score shows in it.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::random::standard_normal;

/// A plane wave `cos(k . p + phase)`; sums of a few make smooth random fields.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Wave {
    pub k: [f64; 3],
    pub phase: f64,
}

impl Wave {
    /// A wave of wavenumber `magnitude` (rad/mm) in a uniformly random direction.
    pub fn random<R: Rng + ?Sized>(rng: &mut R, magnitude: f64) -> Wave {
        let mut d = [
            standard_normal(rng),
            standard_normal(rng),
            standard_normal(rng),
        ];
        let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-12);
        d.iter_mut().for_each(|v| *v *= magnitude / n);
        Wave {
            k: d,
            phase: rng.random::<f64>() * std::f64::consts::TAU,
        }
    }
    #[inline]
    fn at(&self, p: [f64; 3]) -> f64 {
        (self.k[0] * p[0] + self.k[1] * p[1] + self.k[2] * p[2] + self.phase).cos()
    }
}

/// Sum of waves scaled to unit variance (each cosine has variance 1/2).
fn field(waves: &[Wave], p: [f64; 3]) -> f64 {
    let s: f64 = waves.iter().map(|w| w.at(p)).sum();
    s * (2.0 / waves.len() as f64).sqrt()
}

/// How the latent imaging score shows in and around the tumour (stored in truth.json).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TumourSignal {
    /// Tumour ADC, mm²/s (lower with a higher score).
    pub adc: f64,
    /// T1CE enhancement of the tumour core (factor on its T1 intensity).
    pub core_enhancement: f64,
    /// Extra enhancement of the tumour's outer shell (ring enhancement).
    pub ring_enhancement: f64,
    /// T2 texture: relative amplitude and wavelength (mm); coarser with a higher score.
    pub texture_amplitude: f64,
    pub texture_wavelength_mm: f64,
    /// Darkening of peritumoral fat on T2 (desmoplastic stranding), relative.
    pub stranding: f64,
}

impl TumourSignal {
    /// The expression of latent score `latent` (see `clinical::Clinical::latent`).
    pub fn from_latent(latent: f64) -> TumourSignal {
        let s = 1.0 / (1.0 + (-latent).exp());
        let t = (latent / 1.5).tanh();
        TumourSignal {
            adc: (1.0 - 0.2 * t) * 1.0e-3,
            core_enhancement: 1.5 + 0.3 * t,
            ring_enhancement: 0.6 * s,
            texture_amplitude: 0.06 + 0.14 * s,
            texture_wavelength_mm: 3.0 + 5.0 * s,
            stranding: 0.35 * s,
        }
    }
}

/// The tumour: an irregular blob on the rectal wall.
#[derive(Debug, Clone, Serialize)]
pub struct Tumour {
    /// Centre, mm (patient frame).
    pub centre: [f64; 3],
    /// Semi-axes before perturbation, mm (x', y' in its own in-plane frame, z).
    pub radii: [f64; 3],
    /// In-plane orientation of the blob, radians.
    pub angle: f64,
    /// Surface perturbation: radius factor `1 + amplitude * field(direction)`.
    pub shape_waves: Vec<Wave>,
    pub shape_amplitude: f64,
    /// Intensity texture inside the tumour.
    pub texture_waves: Vec<Wave>,
    pub signal: TumourSignal,
}

/// Peritumoral shell thickness, mm (where stranding shows).
const RIM_MM: f64 = 3.0;

impl Tumour {
    /// Normalised radius of `p`: < 1 inside the tumour, 1 on its (perturbed) surface.
    pub fn level(&self, p: [f64; 3]) -> f64 {
        let d = [
            p[0] - self.centre[0],
            p[1] - self.centre[1],
            p[2] - self.centre[2],
        ];
        let reach = self.radii.iter().cloned().fold(0.0, f64::max)
            * (1.0 + 1.5 * self.shape_amplitude)
            + 2.0 * RIM_MM;
        if d.iter().any(|v| v.abs() > reach) {
            return f64::INFINITY;
        }
        let (c, s) = (self.angle.cos(), self.angle.sin());
        let q = [
            (c * d[0] + s * d[1]) / self.radii[0],
            (-s * d[0] + c * d[1]) / self.radii[1],
            d[2] / self.radii[2],
        ];
        let r = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2]).sqrt();
        if r < 1e-9 {
            return 0.0;
        }
        let u = [q[0] / r, q[1] / r, q[2] / r];
        let f =
            (1.0 + self.shape_amplitude * field(&self.shape_waves, u).clamp(-1.5, 1.5)).max(0.3);
        r / f
    }

    /// Shell width in normalised-radius units (RIM_MM over the mean in-plane radius).
    pub fn rim_width(&self) -> f64 {
        RIM_MM / (0.5 * (self.radii[0] + self.radii[1]))
    }

    /// Texture field at `p`, unit variance.
    pub fn texture(&self, p: [f64; 3]) -> f64 {
        field(&self.texture_waves, p)
    }
}
