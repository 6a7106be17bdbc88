//! Regular-step gradient descent with parameter scaling, as ITK's
//! `RegularStepGradientDescentOptimizerv4`.
//!
//! Each iteration moves a fixed distance (`step`, in scaled units) against the scaled gradient's
//! direction; when the direction turns by more than 90 degrees from the previous one (the
//! minimum was overshot), the step is multiplied by `relaxation`. It stops when the step falls
//! below `min_step`, the scaled gradient vanishes, or after `max_iterations`. The best
//! parameters seen are returned (ITK's `ReturnBestParametersAndValue`), so a last noisy step
//! cannot make the result worse.
//!
//! Scaling: parameter `k` is optimised as `q_k = w_k * p_k`. For a rigid transform, rotations
//! get `w = r` (mm per radian, `r` the RMS distance of the samples from the centre) and
//! translations `w = 1`, so one step of `s` moves points by about `s` mm whether it rotates or
//! translates (ITK's `RegistrationParameterScalesFromPhysicalShift` has the same aim).

/// Settings of one optimisation run.
#[derive(Debug, Clone, Copy)]
pub struct StepSettings {
    /// First step length (scaled units, i.e. mm).
    pub initial_step: f64,
    /// Stop when the step falls below this.
    pub min_step: f64,
    /// Step multiplier when the gradient direction reverses (ITK default 0.5).
    pub relaxation: f64,
    /// Stop when the scaled gradient's norm falls below this.
    pub gradient_tolerance: f64,
    /// Most iterations (metric evaluations).
    pub max_iterations: usize,
}

/// Why the optimiser stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StopReason {
    /// The step fell below `min_step`: converged.
    StepTooSmall,
    /// The scaled gradient vanished: converged (or a flat metric).
    GradientTooSmall,
    /// `max_iterations` reached.
    MaxIterations,
}

/// The result of a run.
#[derive(Debug, Clone, Copy)]
pub struct StepResult {
    /// Best parameters seen.
    pub params: [f64; 6],
    /// Metric value there.
    pub value: f64,
    /// Metric evaluations made.
    pub iterations: usize,
    /// Step length when it stopped.
    pub final_step: f64,
    /// Why it stopped.
    pub stop: StopReason,
}

/// [`regular_step_descent`], then up to `restarts` more runs, each from the best point so far
/// with half the first step, while a run still lowers the value and moves the point by more
/// than a few `min_step`s.
///
/// Why: the step is shared by all parameters and halves whenever the gradient turns, so once
/// the well-constrained parameters oscillate about their optimum the step shrinks before a
/// weakly constrained one (e.g. the through-plane shift of thick-sliced DWI onto T2, whose
/// gradient is ~10x smaller) has moved far: the run stops early, far short along that
/// direction. A restart gives it a full step again; it costs one run when nothing is left.
pub fn restarted_descent<E>(
    start: [f64; 6],
    scales: [f64; 6],
    settings: &StepSettings,
    restarts: usize,
    mut f: impl FnMut(&[f64; 6]) -> Result<(f64, [f64; 6]), E>,
) -> Result<StepResult, E> {
    let mut best = regular_step_descent(start, scales, settings, &mut f)?;
    let mut iterations = best.iterations;
    let again_settings = StepSettings {
        initial_step: 0.5 * settings.initial_step,
        ..*settings
    };
    for _ in 0..restarts {
        let again = regular_step_descent(best.params, scales, &again_settings, &mut f)?;
        iterations += again.iterations;
        let moved = (0..6)
            .map(|k| ((again.params[k] - best.params[k]) * scales[k]).powi(2))
            .sum::<f64>()
            .sqrt();
        let improved = again.value < best.value;
        if improved {
            best = again;
        }
        if !improved || moved < 4.0 * settings.min_step {
            break;
        }
    }
    best.iterations = iterations;
    Ok(best)
}

/// Minimise `f` (returning value and gradient, or an error that ends the run) from `start`.
pub fn regular_step_descent<E>(
    start: [f64; 6],
    scales: [f64; 6],
    settings: &StepSettings,
    mut f: impl FnMut(&[f64; 6]) -> Result<(f64, [f64; 6]), E>,
) -> Result<StepResult, E> {
    let mut params = start;
    let mut step = settings.initial_step;
    let mut best = (f64::INFINITY, start);
    let mut previous: Option<[f64; 6]> = None;
    let mut stop = StopReason::MaxIterations;
    let mut iterations = 0;
    while iterations < settings.max_iterations {
        let (value, gradient) = f(&params)?;
        iterations += 1;
        if value < best.0 {
            best = (value, params);
        }
        // dF/dq_k = dF/dp_k / w_k.
        let scaled: [f64; 6] = std::array::from_fn(|k| gradient[k] / scales[k]);
        let norm = scaled.iter().map(|g| g * g).sum::<f64>().sqrt();
        if !norm.is_finite() || norm < settings.gradient_tolerance {
            stop = StopReason::GradientTooSmall;
            break;
        }
        if let Some(prev) = previous {
            let dot: f64 = (0..6).map(|k| prev[k] * scaled[k]).sum();
            if dot < 0.0 {
                step *= settings.relaxation;
            }
        }
        if step < settings.min_step {
            stop = StopReason::StepTooSmall;
            break;
        }
        for k in 0..6 {
            params[k] -= step * scaled[k] / norm / scales[k];
        }
        previous = Some(scaled);
    }
    Ok(StepResult {
        params: best.1,
        value: best.0,
        iterations,
        final_step: step,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_badly_scaled_quadratic() {
        // Minimum at (0.05 rad, ..., 3 mm, ...); rotations matter 40x more per unit.
        let target = [0.05, -0.02, 0.03, 3.0, -2.0, 1.0];
        let weight = [1600.0, 1600.0, 1600.0, 1.0, 1.0, 1.0];
        let settings = StepSettings {
            initial_step: 2.0,
            min_step: 1e-4,
            relaxation: 0.5,
            gradient_tolerance: 1e-12,
            max_iterations: 500,
        };
        let scales = [40.0, 40.0, 40.0, 1.0, 1.0, 1.0];
        let r = regular_step_descent::<()>([0.0; 6], scales, &settings, |p| {
            let g: [f64; 6] = std::array::from_fn(|k| 2.0 * weight[k] * (p[k] - target[k]));
            let v = (0..6).map(|k| weight[k] * (p[k] - target[k]).powi(2)).sum();
            Ok((v, g))
        })
        .unwrap();
        assert_eq!(r.stop, StopReason::StepTooSmall);
        for k in 0..6 {
            let tol = if k < 3 { 1e-4 } else { 4e-3 };
            assert!((r.params[k] - target[k]).abs() < tol, "{:?}", r.params);
        }
        assert!(r.iterations < 500);
    }

    #[test]
    fn restarts_carry_a_weakly_constrained_parameter_the_single_run_leaves_behind() {
        // Five stiff parameters and one 400x weaker (as the through-plane shift of thick-sliced
        // DWI): the shared step shrinks while the stiff ones oscillate, stranding the weak one.
        let target = [0.0, 0.0, 0.0, 1.0, -2.0, 4.0];
        let weight = [400.0, 400.0, 400.0, 400.0, 400.0, 1.0];
        let settings = StepSettings {
            initial_step: 2.8,
            min_step: 0.01,
            relaxation: 0.5,
            gradient_tolerance: 1e-12,
            max_iterations: 200,
        };
        let f = |p: &[f64; 6]| {
            let g: [f64; 6] = std::array::from_fn(|k| 2.0 * weight[k] * (p[k] - target[k]));
            let v = (0..6).map(|k| weight[k] * (p[k] - target[k]).powi(2)).sum();
            Ok::<_, ()>((v, g))
        };
        let scales = [1.0; 6];
        let once = regular_step_descent([0.0; 6], scales, &settings, f).unwrap();
        let again = restarted_descent([0.0; 6], scales, &settings, 3, f).unwrap();
        let miss = |r: &StepResult| (r.params[5] - target[5]).abs();
        assert!(
            miss(&once) > 1.0,
            "the single run should fall short: {:?}",
            once.params
        );
        assert!(
            miss(&again) < 0.2 * miss(&once),
            "{:?} vs {:?}",
            again.params,
            once.params
        );
        assert!(again.value <= once.value && again.iterations > once.iterations);
    }
}
