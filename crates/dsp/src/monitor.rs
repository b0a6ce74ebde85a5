//! The monitor path: what the engineer listens through after the master, which never reaches an
//! export or a bounce — the checks of a final listen. Which channels are heard (stereo, the mono
//! sum, the side signal alone, left or right alone on both speakers), a gain (the dim, and the
//! turn-down a streaming service would apply), and mute.
//!
//! And a playback-system simulation ([`crate::playback`]): the speakers of a phone, earbuds, a car.
//!
//! Every change glides over [`MONITOR_GLIDE_MS`], and a change of device fades out over a block
//! and in over the next, so switching a check on mid-song never clicks. At rest in stereo at unity
//! with no device, the path copies its input untouched (the very same bits).

use crate::playback::Simulation;
use crate::smooth::Smoother;

/// How long a change of the monitor takes to arrive (one-pole time constant), ms.
pub const MONITOR_GLIDE_MS: f32 = 5.0;

/// Which part of the stereo signal is heard, on both speakers where it is one signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    Stereo,
    /// (L + R) / 2 on both: what a mono speaker plays, and what cancels when the mix sums.
    Mono,
    /// (L − R) / 2 on both: the side signal alone (reverbs, wide doubles, anything out of phase).
    Side,
    Left,
    Right,
}

impl Listen {
    /// Every mode, in the order of their numbers (0 stereo, 1 mono, 2 side, 3 left, 4 right).
    pub const ALL: [Listen; 5] = [Listen::Stereo, Listen::Mono, Listen::Side, Listen::Left, Listen::Right];

    /// The mode's number, as the worklet's messages carry it.
    pub fn index(self) -> u32 {
        Listen::ALL.iter().position(|&l| l == self).unwrap_or(0) as u32
    }

    /// From the mode's number; others are stereo.
    pub fn from_index(i: u32) -> Listen {
        Listen::ALL.get(i as usize).copied().unwrap_or(Listen::Stereo)
    }

    /// The matrix (out L from L, R; out R from L, R).
    fn matrix(self) -> [f32; 4] {
        match self {
            Listen::Stereo => [1.0, 0.0, 0.0, 1.0],
            Listen::Mono => [0.5, 0.5, 0.5, 0.5],
            Listen::Side => [0.5, -0.5, 0.5, -0.5],
            Listen::Left => [1.0, 0.0, 1.0, 0.0],
            Listen::Right => [0.0, 1.0, 0.0, 1.0],
        }
    }
}

/// The monitor controls applied to the master's output on its way to the speakers.
#[derive(Clone, Debug)]
pub struct Monitor {
    /// The listen matrix, each coefficient gliding, with the gain (and mute) folded in.
    coefficients: [Smoother; 4],
    listen: Listen,
    gain: f32,
    mute: bool,
    /// The playback-system simulation heard (see [`crate::playback`]), if any.
    device: Option<Box<Simulation>>,
    /// A device chosen and not yet heard (`Some(None)`: none): the sound fades out over a block,
    /// the new one takes over and fades in over the next.
    incoming: Option<Option<Box<Simulation>>>,
    /// The device just replaced, kept (not dropped on the audio path) until the next choice.
    retired: Option<Box<Simulation>>,
    fading_in: bool,
}

impl Monitor {
    pub fn new(sample_rate: f32) -> Monitor {
        let at = |v: f32| Smoother::new(v, MONITOR_GLIDE_MS, sample_rate);
        Monitor { coefficients: [at(1.0), at(0.0), at(0.0), at(1.0)], listen: Listen::Stereo, gain: 1.0, mute: false, device: None, incoming: None, retired: None, fading_in: false }
    }

    /// Control side: the playback-system simulation to hear (`None`: the speakers as they are).
    /// What this replaces is dropped here, never on the audio path.
    pub fn choose_device(&mut self, device: Option<Box<Simulation>>) {
        drop(self.retired.take());
        drop(self.incoming.replace(device));
    }

    /// What is heard, the monitor gain in dB (the dim plus any normalization; clamped to
    /// −120 … +24 dB) and mute.
    pub fn set(&mut self, listen: Listen, gain_db: f32, mute: bool) {
        self.listen = listen;
        let db = if gain_db.is_finite() { gain_db.clamp(-120.0, 24.0) } else { 0.0 };
        self.gain = libm::powf(10.0, db / 20.0);
        self.mute = mute;
        let g = if mute { 0.0 } else { self.gain };
        for (s, m) in self.coefficients.iter_mut().zip(listen.matrix()) {
            s.set_target(m * g);
        }
    }

    /// True at rest in stereo at unity with no device: the output is the input, untouched.
    pub fn is_transparent(&self) -> bool {
        self.device.is_none() && self.incoming.is_none() && !self.fading_in && self.coefficients.iter().zip(Listen::Stereo.matrix()).all(|(s, m)| s.is_settled() && s.current() == m)
    }

    /// The master's output (a block of each side) through the monitor, in place.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        if self.is_transparent() {
            return;
        }
        let [a, b, c, d] = &mut self.coefficients;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (x, y) = (*l, *r);
            *l = a.next_value() * x + b.next_value() * y;
            *r = c.next_value() * x + d.next_value() * y;
        }
        if let Some(device) = &mut self.device {
            device.process(left, right);
        }
        // A change of device: this block fades out; the next device fades in over the next.
        let n = left.len().min(right.len());
        if self.fading_in {
            fade(left, right, n, false);
            self.fading_in = false;
        }
        if self.retired.is_none() {
            if let Some(next) = self.incoming.take() {
                fade(left, right, n, true);
                self.retired = core::mem::replace(&mut self.device, next);
                self.fading_in = true;
            }
        }
        crate::flush_block(left);
        crate::flush_block(right);
    }
}

/// A linear fade over the block's `n` samples: out (1 → 0) or in (0 → 1).
fn fade(left: &mut [f32], right: &mut [f32], n: usize, out: bool) {
    let step = 1.0 / n.max(1) as f32;
    for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
        let w = (i + 1) as f32 * step;
        let g = if out { 1.0 - w } else { w };
        *l *= g;
        *r *= g;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: f32 = 48_000.0;

    /// Runs a second of (left, right) through `m` in 128-frame blocks and returns the last block.
    fn settle(m: &mut Monitor, l: f32, r: f32) -> (f32, f32) {
        let (mut a, mut b) = (vec![l; 128], vec![r; 128]);
        for _ in 0..375 {
            a.fill(l);
            b.fill(r);
            m.process(&mut a, &mut b);
        }
        (a[127], b[127])
    }

    #[test]
    fn each_listen_mode_hears_what_it_says() {
        let (l, r) = (0.6f32, -0.2f32);
        for (listen, want) in [
            (Listen::Stereo, (l, r)),
            (Listen::Mono, ((l + r) / 2.0, (l + r) / 2.0)),
            (Listen::Side, ((l - r) / 2.0, (l - r) / 2.0)),
            (Listen::Left, (l, l)),
            (Listen::Right, (r, r)),
        ] {
            let mut m = Monitor::new(FS);
            m.set(listen, 0.0, false);
            let got = settle(&mut m, l, r);
            assert!((got.0 - want.0).abs() < 1e-6 && (got.1 - want.1).abs() < 1e-6, "{listen:?}: {got:?}, expected {want:?}");
        }
    }

    #[test]
    fn dim_gain_and_mute() {
        let mut m = Monitor::new(FS);
        m.set(Listen::Stereo, -20.0, false);
        let (a, b) = settle(&mut m, 0.5, 0.25);
        assert!((a - 0.05).abs() < 1e-6 && (b - 0.025).abs() < 1e-6, "dim: {a}, {b}");
        m.set(Listen::Mono, -6.0, true);
        assert_eq!(settle(&mut m, 0.5, 0.25), (0.0, 0.0));
        m.set(Listen::Stereo, 0.0, false);
        assert_eq!(settle(&mut m, 0.5, 0.25), (0.5, 0.25));
        assert!(m.is_transparent());
    }

    #[test]
    fn a_switch_glides_and_rest_is_bit_transparent() {
        // At rest, the input comes out with the very same bits (negative zeros and all).
        let mut m = Monitor::new(FS);
        let input: Vec<f32> = (0..128).map(|i| if i == 3 { -0.0 } else { (i as f32 * 0.37).sin() }).collect();
        let (mut a, mut b) = (input.clone(), input.clone());
        m.process(&mut a, &mut b);
        assert!(a.iter().zip(&input).all(|(x, y)| x.to_bits() == y.to_bits()));
        // Muting glides: no step larger than the glide allows on a full-scale signal.
        m.set(Listen::Stereo, 0.0, true);
        let (mut a, mut b) = (vec![1.0f32; 128], vec![1.0f32; 128]);
        m.process(&mut a, &mut b);
        let largest_step = a.windows(2).map(|w| (w[0] - w[1]).abs()).fold(1.0 - a[0], f32::max);
        assert!(largest_step < 0.01, "a step of {largest_step}");
        assert!(a[127] < 0.7 && a[127] > 0.5, "after 128 samples of a 5-ms glide: {}", a[127]);
    }

    #[test]
    fn a_device_fades_in_is_heard_and_fades_out_again() {
        use crate::playback::{Simulation, PHONE};
        let mut m = Monitor::new(FS);
        m.choose_device(Some(Box::new(Simulation::new(&PHONE, FS))));
        // 100 Hz is far below a phone's band: once it has taken over, next to nothing is heard.
        let tone = |k: usize| -> Vec<f32> { (0..128).map(|i| 0.5 * (core::f32::consts::TAU * 100.0 * (128 * k + i) as f32 / FS).sin()).collect() };
        let mut levels = Vec::new();
        for k in 0..200 {
            let (mut l, mut r) = (tone(k), tone(k));
            m.process(&mut l, &mut r);
            if k == 0 {
                // The stereo mix fades out to nothing over the first block ...
                assert_eq!(l[127], 0.0, "the first block fades out");
                assert!(l.iter().zip(tone(0)).all(|(x, y)| x.abs() <= y.abs()));
            }
            levels.push(l.iter().fold(0.0f32, |p, x| p.max(x.abs())));
        }
        // ... then the phone fades in: and a phone plays no 100 Hz.
        assert!(levels[199] < 0.05, "a phone plays no 100 Hz: {}", levels[199]);
        m.choose_device(None);
        let (mut l, mut r) = (tone(200), tone(200));
        m.process(&mut l, &mut r);
        let (mut l, mut r) = (tone(201), tone(201));
        m.process(&mut l, &mut r);
        let (mut l, mut r) = (tone(202), tone(202));
        m.process(&mut l, &mut r);
        assert_eq!(l, tone(202), "without a device the monitor is transparent again");
        assert!(m.is_transparent());
    }
}
