//! Stereo processors: effects that work on a left/right pair as a whole (delays, reverb, modulation,
//! multiband dynamics, the limiter), as opposed to the lane processors that treat each channel alike.

use crate::param::ParamInfo;

/// The contract of a stereo processor. `process` never allocates, locks or panics; everything it
/// needs was allocated by the constructor.
pub trait StereoProcessor {
    /// The processor's parameter table; a parameter's id is its index.
    fn params(&self) -> &'static [ParamInfo];
    /// Sets parameter `id`, clamped to its range; unknown ids are ignored.
    fn set_param(&mut self, id: usize, value: f32);
    /// Processes a block in place; `left` and `right` have the same length.
    fn process(&mut self, left: &mut [f32], right: &mut [f32]);
    /// Clears all internal state (delay lines, envelopes).
    fn reset(&mut self);
    /// Jumps glides to their targets (a freshly loaded mix).
    fn settle(&mut self) {}
    /// The session tempo, for tempo-synced parameters.
    fn set_tempo(&mut self, _bpm: f32) {}
    /// Delay the processor adds, in samples, for delay compensation.
    fn latency(&self) -> usize {
        0
    }
    /// Largest gain reduction since the last call, dB (≥ 0), for processors that reduce gain.
    fn take_gain_reduction(&mut self) -> f32 {
        0.0
    }
}
