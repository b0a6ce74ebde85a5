//! Mixroom's signal processors.
//!
//! Everything here is plain Rust with no platform dependency: the same code runs natively (tests, the
//! CLI) and in WebAssembly inside the AudioWorklet, and renders the same samples on both because every
//! transcendental function comes from the `libm` crate.
//!
//! The processing contract, for every processor in this crate:
//! - processing never allocates, locks or panics, whatever the parameter values;
//! - parameters are plain values, clamped to their range when set, and smoothed per sample where a jump
//!   would click;
//! - no NaN, infinity or denormal leaves a processor.

pub mod delay;
pub mod dynamics;
pub mod eq;
pub mod filter;
pub mod gain;
pub mod lanes;
pub mod limiter;
pub mod meter;
pub mod monitor;
pub mod pan;
pub mod playback;
pub mod multiband;
pub mod param;
pub mod reverb;
pub mod saturation;
pub mod smooth;
pub mod spectrum;
pub mod stereo;

/// The largest block any processor is asked to process at once, in frames.
///
/// Web Audio renders in quanta of 128 frames; native renders use the same size so that both paths run
/// exactly the same arithmetic.
pub const MAX_BLOCK: usize = 128;

/// Replaces denormals, NaN and infinities by zero.
///
/// Called on filter and smoother state at block ends: a recursive filter decaying towards silence
/// otherwise spends its tail in denormals, which cost up to 100× on some CPUs.
#[inline]
pub fn flush(x: f32) -> f32 {
    if x.is_normal() {
        x
    } else {
        0.0
    }
}

/// Zeroes every denormal, infinite or NaN value of a block: the last step of every processor, so
/// that none of them ever leaves one.
#[inline]
pub fn flush_block<L: lanes::Lanes>(buf: &mut [L]) {
    for x in buf {
        *x = x.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_keeps_normals_and_zeroes_the_rest() {
        assert_eq!(flush(0.5), 0.5);
        assert_eq!(flush(-1.0e-30), -1.0e-30);
        assert_eq!(flush(1.0e-40), 0.0);
        assert_eq!(flush(f32::NAN), 0.0);
        assert_eq!(flush(f32::INFINITY), 0.0);
        assert_eq!(flush(0.0), 0.0);
    }
}
