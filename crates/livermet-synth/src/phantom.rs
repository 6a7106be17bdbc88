//! The continuous pelvic phantom: analytic shapes evaluated at any point of the patient's frame
//! (the T2 world, RAS mm), so every sequence can be sampled exactly on its own moved grid.
//!
//! Axial anatomy (x right, y anterior, z superior), sized by `scale` (1 = the small protocol's
//! 112 mm field of view): a body ellipse with a subcutaneous fat layer and a muscle band, femoral
//! heads and the sacrum (cortex and marrow), the bladder anteriorly, the rectum (wall and lumen)
//! posteriorly, pelvic fat around them, and a rectal tumour growing from the wall (`tumour`).

use rand::Rng;
use serde::Serialize;

use crate::random::standard_normal;
pub use crate::tumour::{Tumour, TumourSignal, Wave};

/// Tissue classes of the phantom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tissue {
    Air,
    SubcutaneousFat,
    Muscle,
    PelvicFat,
    BoneCortex,
    Marrow,
    Bladder,
    RectalWall,
    Lumen,
    Tumour,
}

/// What each sequence sees at a point: relative T2/T1/T1CE intensities, DWI S0 (relative) and
/// ADC (mm²/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Props {
    pub t2: f64,
    pub t1: f64,
    pub t1ce: f64,
    pub s0: f64,
    pub adc: f64,
}

impl Tissue {
    /// Base properties (relative intensities, typical of 1.5/3 T rectal MRI with fat-suppressed
    /// DWI; ADCs in mm²/s within the 1.0e-3..3.0e-3 range of pelvic tissues, urine highest).
    pub fn props(self) -> Props {
        let p = |t2, t1, t1ce, s0, adc| Props {
            t2,
            t1,
            t1ce,
            s0,
            adc,
        };
        match self {
            Tissue::Air => p(0.0, 0.0, 0.0, 0.0, 3.0e-3),
            Tissue::SubcutaneousFat => p(0.85, 0.90, 0.88, 0.12, 1.0e-3),
            Tissue::Muscle => p(0.30, 0.45, 0.55, 0.45, 1.4e-3),
            Tissue::PelvicFat => p(0.80, 0.88, 0.86, 0.12, 1.0e-3),
            Tissue::BoneCortex => p(0.05, 0.05, 0.05, 0.02, 1.0e-3),
            Tissue::Marrow => p(0.65, 0.85, 0.90, 0.25, 1.0e-3),
            Tissue::Bladder => p(1.00, 0.12, 0.15, 1.00, 3.0e-3),
            Tissue::RectalWall => p(0.35, 0.40, 0.70, 0.55, 1.7e-3),
            Tissue::Lumen => p(0.08, 0.08, 0.08, 0.05, 2.5e-3),
            Tissue::Tumour => p(0.50, 0.38, 0.38, 0.80, 1.0e-3),
        }
    }
}

/// Patient-specific pelvic anatomy.
#[derive(Debug, Clone, Serialize)]
pub struct Anatomy {
    /// 1 for the small field of view (112 mm), larger for the paper protocol.
    pub scale: f64,
    /// Body ellipse semi-axes (x, y), mm.
    pub body: [f64; 2],
    /// Rectum axis: centre at z = 0 (x, y) and tilt (dx/dz, dy/dz).
    pub rectum_centre: [f64; 2],
    pub rectum_tilt: [f64; 2],
    /// Outer wall radius and lumen radius, mm.
    pub rectum_radius: f64,
    pub lumen_radius: f64,
    /// Bladder ellipsoid centre and semi-axes, mm.
    pub bladder_centre: [f64; 3],
    pub bladder_radii: [f64; 3],
    /// Femoral head spheres: centres (the right one; the left is mirrored in x) and radius.
    pub femoral_centre: [f64; 3],
    pub femoral_radius: f64,
    /// Sacrum: ellipse centre (x, y) and semi-axes, mm.
    pub sacrum_centre: [f64; 2],
    pub sacrum_radii: [f64; 2],
}

impl Anatomy {
    /// A random anatomy at the given scale (body and organs vary by a few percent; the
    /// rectum and tumour are in absolute mm).
    pub fn random<R: Rng + ?Sized>(rng: &mut R, scale: f64) -> Anatomy {
        let mut jit = |sd: f64| 1.0 + sd * standard_normal(rng).clamp(-2.0, 2.0);
        let body = [50.0 * scale * jit(0.04), 40.0 * scale * jit(0.04)];
        let rectum_centre = [
            2.0 * (jit(1.0) - 1.0),
            -10.0 * scale + 2.0 * (jit(1.0) - 1.0),
        ];
        let rectum_tilt = [0.06 * (jit(1.0) - 1.0), 0.06 * (jit(1.0) - 1.0)];
        let rectum_radius = 11.0 * jit(0.08);
        let lumen_radius = 5.5 * jit(0.1);
        let bladder_centre = [0.0, 20.0 * scale, 8.0 * scale * jit(0.2)];
        let bladder_radii = [
            14.0 * scale * jit(0.1),
            9.0 * scale * jit(0.1),
            22.0 * scale * jit(0.1),
        ];
        let femoral_centre = [36.0 * scale * jit(0.03), 3.0 * scale, 6.0 * scale];
        let femoral_radius = 9.0 * scale * jit(0.05);
        Anatomy {
            scale,
            body,
            rectum_centre,
            rectum_tilt,
            rectum_radius,
            lumen_radius,
            bladder_centre,
            bladder_radii,
            femoral_centre,
            femoral_radius,
            sacrum_centre: [0.0, -30.0 * scale],
            sacrum_radii: [15.0 * scale, 5.0 * scale],
        }
    }

    /// Rectum axis (x, y) at height z.
    pub fn rectum_axis(&self, z: f64) -> [f64; 2] {
        [
            self.rectum_centre[0] + self.rectum_tilt[0] * z,
            self.rectum_centre[1] + self.rectum_tilt[1] * z,
        ]
    }

    /// True when every point within `margin_mm` of `p` is outside the body (air). The body is
    /// an elliptic cylinder, so growing its semi-axes by the margin bounds the distance.
    pub fn outside_body(&self, p: [f64; 3], margin_mm: f64) -> bool {
        (p[0] / (self.body[0] + margin_mm)).powi(2) + (p[1] / (self.body[1] + margin_mm)).powi(2)
            >= 1.0
    }

    /// The tissue at `p`, ignoring the tumour. Bones come before the body wall's fat and muscle
    /// layers, which the femoral heads reach into.
    pub fn tissue(&self, p: [f64; 3]) -> Tissue {
        let e = (p[0] / self.body[0]).powi(2) + (p[1] / self.body[1]).powi(2);
        if e >= 1.0 {
            return Tissue::Air;
        }
        for side in [1.0, -1.0] {
            let c = self.femoral_centre;
            let d2 = (p[0] - side * c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2);
            let r = self.femoral_radius;
            if d2 < r * r {
                return if d2 > (r - 1.5).powi(2) {
                    Tissue::BoneCortex
                } else {
                    Tissue::Marrow
                };
            }
        }
        let s = (p[0] - self.sacrum_centre[0]).powi(2) / self.sacrum_radii[0].powi(2)
            + (p[1] - self.sacrum_centre[1]).powi(2) / self.sacrum_radii[1].powi(2);
        if s < 1.0 {
            return if s > 0.55 {
                Tissue::BoneCortex
            } else {
                Tissue::Marrow
            };
        }
        let fat_mm = 5.0 * self.scale;
        let inner = |shrink: f64| {
            (p[0] / (self.body[0] - shrink)).powi(2) + (p[1] / (self.body[1] - shrink)).powi(2)
        };
        if inner(fat_mm) >= 1.0 {
            return Tissue::SubcutaneousFat;
        }
        if inner(fat_mm + 6.0 * self.scale) >= 1.0 {
            return Tissue::Muscle;
        }
        let b = (0..3)
            .map(|d| ((p[d] - self.bladder_centre[d]) / self.bladder_radii[d]).powi(2))
            .sum::<f64>();
        if b < 1.0 {
            return Tissue::Bladder;
        }
        let a = self.rectum_axis(p[2]);
        let r2 = (p[0] - a[0]).powi(2) + (p[1] - a[1]).powi(2);
        if r2 < self.lumen_radius.powi(2) {
            return Tissue::Lumen;
        }
        if r2 < self.rectum_radius.powi(2) {
            return Tissue::RectalWall;
        }
        Tissue::PelvicFat
    }
}

/// A patient's phantom: anatomy plus tumour.
#[derive(Debug, Clone, Serialize)]
pub struct Phantom {
    pub anatomy: Anatomy,
    pub tumour: Tumour,
}

/// One evaluation: the tissue-level properties and whether the point is tumour.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub props: Props,
    pub in_tumour: bool,
}

impl Phantom {
    /// Evaluate the phantom at `p` (patient frame, RAS mm): the tumour replaces whatever it
    /// covers except air and bone; its shell changes the surrounding fat and its own outer part
    /// (see [`TumourSignal`]).
    pub fn sample(&self, p: [f64; 3]) -> Sample {
        let tissue = self.anatomy.tissue(p);
        let level = self.tumour.level(p);
        let sig = &self.tumour.signal;
        let solid = !matches!(tissue, Tissue::Air | Tissue::BoneCortex | Tissue::Marrow);
        if level < 1.0 && solid {
            let g = self.tumour.texture(p);
            let base = Tissue::Tumour.props();
            let ring = if level > 0.75 {
                sig.ring_enhancement
            } else {
                0.0
            };
            let props = Props {
                t2: base.t2 * (1.0 + sig.texture_amplitude * g),
                t1: base.t1,
                t1ce: base.t1
                    * (sig.core_enhancement + ring)
                    * (1.0 + 0.3 * sig.texture_amplitude * g),
                s0: base.s0,
                // Mild heterogeneity (5% SD) around the patient's tumour ADC.
                adc: sig.adc * (1.0 + 0.05 * g),
            };
            return Sample {
                props,
                in_tumour: true,
            };
        }
        let mut props = tissue.props();
        if level < 1.0 + self.tumour.rim_width() && matches!(tissue, Tissue::PelvicFat) {
            props.t2 *= 1.0 - sig.stranding;
            props.t1ce *= 1.0 + 0.3 * sig.stranding;
        }
        Sample {
            props,
            in_tumour: false,
        }
    }
}

/// Surface perturbation amplitude of the tumour (radius varies by up to +-22%).
const SHAPE_AMPLITUDE: f64 = 0.15;

impl Phantom {
    /// A random patient: anatomy at `scale`, a tumour meant to span `6..=max_slices` slices
    /// of thickness `slice_mm`, kept inside a field of view of `fov_z_mm` (centred on z = 0),
    /// expressing the latent imaging score `latent`.
    pub fn random<R: Rng + ?Sized>(
        rng: &mut R,
        scale: f64,
        slice_mm: f64,
        max_slices: usize,
        fov_z_mm: f64,
        latent: f64,
    ) -> Phantom {
        let anatomy = Anatomy::random(rng, scale);
        let slices = rng.random_range(6..=max_slices.max(6)) as f64;
        let rz = slices * slice_mm / 2.0;
        let reach_z = rz * (1.0 + 1.5 * SHAPE_AMPLITUDE);
        let room = (fov_z_mm / 2.0 - reach_z - slice_mm / 2.0).max(0.0);
        let cz = rng.random_range(-1.0..=1.0) * room;
        let theta = rng.random::<f64>() * std::f64::consts::TAU;
        let axis = anatomy.rectum_axis(cz);
        let off = 0.8 * anatomy.rectum_radius;
        let centre = [axis[0] + off * theta.cos(), axis[1] + off * theta.sin(), cz];
        let rx = rng.random_range(8.0..13.0);
        let ry = rx * rng.random_range(0.7..1.0);
        let signal = TumourSignal::from_latent(latent);
        let shape_waves = (0..5).map(|_| Wave::random(rng, 2.5)).collect();
        let k = std::f64::consts::TAU / signal.texture_wavelength_mm;
        let texture_waves = (0..8).map(|_| Wave::random(rng, k)).collect();
        let tumour = Tumour {
            centre,
            radii: [rx, ry, rz],
            angle: theta,
            shape_waves,
            shape_amplitude: SHAPE_AMPLITUDE,
            texture_waves,
            signal,
        };
        Phantom { anatomy, tumour }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{Purpose, stream};

    #[test]
    fn tumour_centre_is_tumour_and_far_points_are_not() {
        for i in 0..20 {
            let mut rng = stream(3, 0, i, Purpose::Images);
            let ph = Phantom::random(&mut rng, 1.0, 3.0, 11, 48.0, 0.0);
            let s = ph.sample(ph.tumour.centre);
            assert!(s.in_tumour, "patient {i}: the tumour centre is not tumour");
            assert!(!ph.sample([0.0, 60.0, 0.0]).in_tumour);
            assert_eq!(ph.anatomy.tissue([0.0, 45.0 * 1.2, 0.0]), Tissue::Air);
        }
    }

    #[test]
    fn a_higher_latent_score_lowers_tumour_adc_and_raises_enhancement() {
        let lo = TumourSignal::from_latent(-1.5);
        let hi = TumourSignal::from_latent(1.5);
        assert!(hi.adc < lo.adc && hi.adc >= 0.8e-3 && lo.adc <= 1.2e-3);
        assert!(hi.core_enhancement > lo.core_enhancement);
        assert!(hi.ring_enhancement > lo.ring_enhancement);
        assert!(hi.texture_wavelength_mm > lo.texture_wavelength_mm);
    }
}
