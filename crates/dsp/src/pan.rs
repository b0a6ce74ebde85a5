//! Pan and balance laws.
//!
//! Positions run from −1 (hard left) to +1 (hard right). A mono source is *panned*: its power is shared
//! between the two sides. A stereo source is *balanced*: the far side is attenuated and the near side
//! left alone, so a centred stereo track passes at unity as it does on a console.

use core::f32::consts::FRAC_PI_2;

/// How much a centred mono source is attenuated per side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PanLaw {
    /// Constant power, −3.01 dB at the centre: L = cos θ, R = sin θ with θ = (p+1)·π/4.
    #[default]
    ConstantPower,
    /// −4.5 dB at the centre: the geometric mean of the constant-power and linear laws.
    Minus4_5,
    /// Linear (constant voltage), −6.02 dB at the centre: L = (1−p)/2, R = (1+p)/2.
    Linear,
}

/// Gains (left, right) for a mono source at `position` under `law`.
pub fn pan_gains(position: f32, law: PanLaw) -> (f32, f32) {
    let p = clamp_position(position);
    let theta = (p + 1.0) * (FRAC_PI_2 / 2.0);
    let power = (libm::cosf(theta), libm::sinf(theta));
    let linear = ((1.0 - p) * 0.5, (1.0 + p) * 0.5);
    match law {
        PanLaw::ConstantPower => power,
        PanLaw::Linear => linear,
        PanLaw::Minus4_5 => (libm::sqrtf(power.0 * linear.0), libm::sqrtf(power.1 * linear.1)),
    }
}

/// Gains (left, right) for a stereo source balanced at `position`: unity at the centre, the far side
/// fading to silence along a quarter cosine as the control moves to the near end.
pub fn balance_gains(position: f32) -> (f32, f32) {
    let p = clamp_position(position);
    if p >= 0.0 {
        (libm::cosf(p * FRAC_PI_2), 1.0)
    } else {
        (1.0, libm::cosf(-p * FRAC_PI_2))
    }
}

fn clamp_position(position: f32) -> f32 {
    if position.is_nan() {
        0.0
    } else {
        position.clamp(-1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(g: f32) -> f64 {
        20.0 * (g as f64).log10()
    }

    #[test]
    fn centre_attenuation_per_law() {
        for (law, expected) in [(PanLaw::ConstantPower, -3.0103), (PanLaw::Minus4_5, -4.5154), (PanLaw::Linear, -6.0206)] {
            let (l, r) = pan_gains(0.0, law);
            assert!((db(l) - expected).abs() < 1e-3, "{law:?}: {}", db(l));
            assert!((l - r).abs() < 1e-6);
        }
    }

    #[test]
    fn constant_power_keeps_power_everywhere() {
        for i in -100..=100 {
            let (l, r) = pan_gains(i as f32 / 100.0, PanLaw::ConstantPower);
            assert!(((l * l + r * r) - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn hard_sides_and_clamping() {
        let (l, r) = pan_gains(-1.0, PanLaw::ConstantPower);
        assert!((l - 1.0).abs() < 1e-6 && r.abs() < 1e-6);
        assert_eq!(pan_gains(5.0, PanLaw::Linear), (0.0, 1.0));
        assert_eq!(pan_gains(f32::NAN, PanLaw::Linear), (0.5, 0.5));
    }

    #[test]
    fn balance_is_unity_at_centre_and_closes_the_far_side() {
        assert_eq!(balance_gains(0.0), (1.0, 1.0));
        let (l, r) = balance_gains(1.0);
        assert!(l.abs() < 1e-6 && r == 1.0);
        let (l, r) = balance_gains(-0.5);
        assert!(l == 1.0 && (r - core::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    }
}
