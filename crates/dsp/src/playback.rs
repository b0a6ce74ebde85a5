//! Playback-system simulations for the monitor: the mix as it sounds on a phone's speaker, on a
//! laptop's speakers, on earbuds, in a car, on a TV. Each [`Device`] is a documented model — a response curve with its source named, the
//! band over which the model holds it, whether the device is mono — and never a guess.
//!
//! A device is realised as a cascade of state-variable sections ([`crate::filter`]): a 4th-order
//! Butterworth high-pass an octave below its band and low-pass half an octave above it (the device
//! falls away outside its band), and bells a third of an octave apart across the band whose gains
//! are fitted at design time, by iteration on the sections' exact responses, so that the whole
//! follows the documented curve (within 1 dB between the band limits: tested, analytically and on
//! the processed signal). A phone's and a laptop's speaker path also has its dynamic-range control
//! ([`SPEAKER_DRC`]): loud passages are held down as a small speaker's amplifier holds them. A
//! make-up gain matches the simulation's loudness to the mix's, for pink noise K-weighted as
//! BS.1770 weights it (at −14 LUFS where a DRC acts: [`MATCHED_AT_LUFS`]), so that switching
//! devices is not a jump in level.
//!
//! The design allocates and takes tens of milliseconds: the app makes it (the main thread) and
//! hands it over as numbers ([`Design::to_numbers`]), and the worklet builds the filters from them
//! in its message handler ([`Simulation::from_numbers`]); [`Simulation::process`] allocates
//! nothing.

use crate::dynamics::Compressor;
use crate::filter::{butterworth_qs, response_db, Shape, Svf, SvfCoefs};
use crate::lanes::F32x4;
use crate::MAX_BLOCK;
use core::f64::consts::SQRT_2;

/// A playback system as a documented response.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Device {
    pub name: &'static str,
    /// Where the curve comes from.
    pub source: &'static str,
    /// The documented response: (Hz, dB) breakpoints, joined by straight lines on a log-frequency,
    /// linear-dB scale (as the standards draw their masks).
    pub curve: &'static [(f64, f64)],
    /// The band (Hz) over which the model follows its curve; outside it the device falls away.
    pub band: (f64, f64),
    /// The device is one speaker: the mix is summed to mono.
    pub mono: bool,
    /// Its speaker path holds loud passages down ([`SPEAKER_DRC`]).
    pub drc: bool,
}

/// The dynamic-range control on a small device's speaker path. Phones run one: Android's audio
/// policy has a "DRC on speaker path" (`speaker_drc_enabled` in a phone's
/// `audio_policy_configuration.xml`; Qualcomm-based phones usually enable it, per the Magisk module
/// "drc-remover"'s README), and so do laptops whose audio DSP runs Sound Open Firmware, with the
/// DRC Chromium OS took from WebKit's DynamicsCompressor. The model is that DRC as SOF's example
/// configures it (`tools/tune/drc/example_drc.m`, Intel and Google, BSD-3-Clause): compression
/// from −24 dB through a 30-dB knee to 12:1, attack 3 ms, release 250 ms. Mixroom's compressor
/// realises it with its widest knee (24 dB), starting at −24 dB, and the times as its ballistics'
/// time constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpeakerDrc {
    /// Where compression starts, dBFS (the knee's foot).
    pub threshold_db: f32,
    pub knee_db: f32,
    pub ratio: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
}

pub const SPEAKER_DRC: SpeakerDrc = SpeakerDrc { threshold_db: -24.0, knee_db: 24.0, ratio: 12.0, attack_ms: 3.0, release_ms: 250.0 };

/// Where a device with a DRC is loudness-matched: pink noise at −14 LUFS (the level Spotify plays
/// at, and what a finished mix is near). Quieter, a DRC holds less down and the device plays a
/// little louder; louder, a little quieter — as a phone does.
pub const MATCHED_AT_LUFS: f64 = -14.0;

/// Earbuds: Apple EarPods as measured by oratory1990, published in the AutoEq repository
/// (github.com/jaakkopasanen/AutoEq, MIT licence, `measurements/oratory1990/data/earbud/Apple
/// EarPods/Apple EarPods.csv`), relative to AutoEq's "Harman in-ear 2019 without bass" target
/// (`targets/Harman in-ear 2019 without bass.csv`) — what the EarPods change against a neutral
/// in-ear response — smoothed over a third of an octave, at sixth-octave points.
pub const EARBUDS: Device = Device {
    name: "Earbuds",
    source: "Apple EarPods measured by oratory1990 (AutoEq repository, jaakkopasanen/AutoEq, MIT), relative to AutoEq's Harman in-ear 2019 target without bass; 1/3-octave smoothed",
    curve: &[
        (20.0, -23.78), (22.4, -23.05), (25.2, -21.87), (28.3, -20.35), (31.7, -18.62), (35.6, -16.81), (40.0, -14.9), (44.9, -12.88),
        (50.4, -10.82), (56.6, -8.83), (63.5, -6.98), (71.3, -5.32), (80.0, -4.01), (89.8, -3.09), (100.8, -2.53), (113.1, -2.28),
        (127.0, -2.23), (142.5, -2.29), (160.0, -2.4), (179.6, -2.45), (201.6, -2.42), (226.3, -2.38), (254.0, -2.33), (285.1, -2.3),
        (320.0, -2.28), (359.2, -2.25), (403.2, -2.15), (452.5, -2.04), (508.0, -1.96), (570.2, -1.83), (640.0, -1.63), (718.4, -1.32),
        (806.3, -0.91), (905.1, -0.44), (1015.9, 0.11), (1140.4, 0.85), (1280.0, 1.93), (1436.8, 3.44), (1612.7, 5.11), (1810.2, 6.34),
        (2031.9, 6.78), (2280.7, 6.7), (2560.0, 6.46), (2873.5, 5.87), (3225.4, 4.73), (3620.4, 3.53), (4063.7, 2.95), (4561.4, 3.51),
        (5120.0, 5.46), (5747.0, 6.73), (6450.8, 5.03), (7240.8, 3.03), (8127.5, 3.54), (9122.8, 3.5), (10240.0, 1.57), (11494.0, 0.23),
        (12901.6, 2.51), (14481.5, 2.66), (16255.0, -2.29), (18245.6, -2.39),
    ],
    // Below 50 Hz the measured roll-off (20 dB an octave) is steeper than the model holds to 1 dB;
    // above 12 kHz in-ear measurements scatter with fit and coupler.
    band: (50.0, 12_000.0),
    mono: false,
    drc: false,
};

/// A phone's loudspeaker (hand-held hands-free): the centre of the receiving sensitivity mask of
/// 3GPP TS 26.131 (Terminal acoustic characteristics for telephony; Requirements), table 14
/// "Hand-held hands-free receiving sensitivity/frequency mask" (wideband): upper limit +6 dB
/// from 315 Hz to 8 kHz, lower limit −12 dB at 630 Hz, −6 dB from 800 Hz to 4 kHz, −12 dB at
/// 6.3 kHz; its centre is −3, 0, 0, −3 dB. Below 630 Hz and above 6.3 kHz the mask sets no
/// lower limit: a phone's speaker falls away there. One speaker: mono. Its speaker path has a DRC.
pub const PHONE: Device = Device {
    name: "Phone speaker",
    source: "3GPP TS 26.131, table 14: hand-held hands-free receiving sensitivity/frequency mask (wideband), the centre between its limits",
    curve: &[(630.0, -3.0), (800.0, 0.0), (4_000.0, 0.0), (6_300.0, -3.0)],
    band: (630.0, 6_300.0),
    mono: true,
    drc: true,
};

/// A car: the cabin gain of a closed passenger car — below a corner set by the cabin's size the
/// bass rises at 12 dB per octave (a sealed space driven below its lowest mode), 66 Hz for a
/// mid-size car (True Audio, "Cabin gain", Bass List post, 18 March 1999, trueaudio.com/post_001.htm:
/// corners of 48, 66 and 87 Hz for vans, mid-size and compact cars; the same 12 dB per octave in
/// glasswolf.net, "The Effects of Cabin Gain in Car Audio"), capped at +12 dB (a real cabin leaks:
/// "10–12 dB of gain at 30 Hz" in a typical sedan, Rokketbox, "Cabin Gain"). Flat above.
pub const CAR: Device = Device {
    name: "Car",
    source: "cabin gain of a mid-size car: +12 dB/octave below 66 Hz (True Audio, Bass List, 1999; glasswolf.net), capped at +12 dB (Rokketbox: 10–12 dB at 30 Hz in a typical sedan)",
    curve: &[(20.0, 12.0), (33.0, 12.0), (66.0, 0.0), (20_000.0, 0.0)],
    band: (25.0, 16_000.0),
    mono: false,
    drc: false,
};

/// A laptop's speakers as its audio firmware tunes them: the miniature speaker measured in Sound
/// Open Firmware's speaker-EQ example (`tools/tune/eq/example_spk_eq.m`, Intel Corporation,
/// 2016–2020, BSD-3-Clause; "a quite typical response for a miniature speaker", two identical
/// speakers), with that example's tuning applied: its FIR flattens the response from 900 Hz to
/// 10.7 kHz, so the laptop is flat there and keeps the speaker's own roll-off below — the
/// measurement at third-octave points, relative to its level at 891–1000 Hz (81.7 dB SPL),
/// followed from 400 Hz (below, steeper than the model holds to 1 dB, it falls away). Owners' measurements agree: "the speaker output falls off quickly below 400 Hz"
/// (Framework Community, "Speakers sound quality"), "good down to about 300 Hz where the response
/// drops off like a rock" (danmarx.org, Dell Inspiron E1505). Two speakers: stereo. Its speaker
/// path has a DRC (SOF's).
pub const LAPTOP: Device = Device {
    name: "Laptop",
    source: "Sound Open Firmware's speaker-EQ example (Intel, tools/tune/eq/example_spk_eq.m): a measured miniature speaker, flattened from 900 Hz to 10.7 kHz as its example tuning does, its own roll-off below",
    curve: &[
        (354.8, -20.4), (398.1, -17.4), (446.7, -15.2), (501.2, -13.1), (562.3, -11.0), (631.0, -9.7), (707.9, -6.3), (794.3, -2.6),
        (841.4, -0.8), (900.0, 0.0), (10_700.0, 0.0),
    ],
    band: (400.0, 10_700.0),
    mono: false,
    drc: true,
};

/// A flat-panel TV's own speakers: drivers "tiny (<2\" is the norm!)" (Les Tyler, dbx-tv, "Getting
/// the silent treatment from your TV?", ECN Magazine, March 2012) that cannot move enough air
/// below "the speaker's cutoff frequency (typically around 100 Hz)" (Eilex, "V-Bass"). The model
/// holds only that cutoff — −3 dB at 100 Hz, flat above, falling 12 dB an octave below as a
/// closed small speaker does (a second-order high-pass): no measured response of TV speakers with
/// figures was found to model more on. Stereo.
pub const TV: Device = Device {
    name: "TV",
    source: "a TV speaker's cutoff, typically around 100 Hz (Eilex, V-Bass), for drivers under 2 inches (dbx-tv, ECN Magazine 2012); flat above, 12 dB/octave below",
    curve: &[(100.0, -3.0), (141.0, -1.0), (200.0, -0.3), (283.0, 0.0), (16_000.0, 0.0)],
    band: (100.0, 16_000.0),
    mono: false,
    drc: false,
};

/// Every device, in the order the monitor offers them.
pub const DEVICES: [&Device; 5] = [&PHONE, &LAPTOP, &EARBUDS, &CAR, &TV];

/// Bells per octave across a device's band, and their Q (a third of an octave wide).
const BELLS_PER_OCTAVE: f64 = 6.0;
const BELL_Q: f64 = 6.0;

impl Device {
    /// The documented response at `f` (dB); beyond the first and last points, their values.
    pub fn curve_db(&self, f: f64) -> f64 {
        let c = self.curve;
        let (Some(first), Some(last)) = (c.first(), c.last()) else { return 0.0 };
        if f <= first.0 {
            return first.1;
        }
        if f >= last.0 {
            return last.1;
        }
        let i = c.partition_point(|p| p.0 <= f).max(1);
        let ((f0, v0), (f1, v1)) = (c[i - 1], c[i]);
        v0 + (v1 - v0) * (f / f0).ln() / (f1 / f0).ln()
    }
}

/// One section of a design: shape, corner or centre (Hz), Q, gain (dB).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Section {
    pub shape: Shape,
    pub freq: f64,
    pub q: f64,
    pub gain_db: f64,
}

/// A device realised at a sample rate: its sections, whether its DRC acts, and make-up gain.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    pub sections: Vec<Section>,
    pub drc: bool,
    pub makeup_db: f64,
}

/// The shapes a design uses, in the order of their numbers in [`Design::to_numbers`].
const SHAPES: [Shape; 3] = [Shape::HighPass, Shape::LowPass, Shape::Bell];

impl Design {
    /// The design as plain numbers — make-up gain (dB), whether the device is mono (0 or 1),
    /// whether its DRC acts (0 or 1), then four numbers a section (shape, frequency, Q, gain) — to
    /// be handed to the audio side, which builds its filters from them
    /// ([`Simulation::from_numbers`]) without fitting anything.
    pub fn to_numbers(&self, mono: bool) -> Vec<f64> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let mut v = vec![self.makeup_db, flag(mono), flag(self.drc)];
        for s in &self.sections {
            let shape = SHAPES.iter().position(|&x| x == s.shape).unwrap_or(SHAPES.len() - 1);
            v.extend([shape as f64, s.freq, s.q, s.gain_db]);
        }
        v
    }

    /// The sections' response at `f` (dB), without the make-up gain.
    pub fn response_db(&self, f: f64, fs: f64) -> f64 {
        self.sections.iter().map(|s| response_db(s.shape, s.freq, s.q, s.gain_db, f, fs)).sum()
    }

    /// Control side: fits a device at `fs`.
    pub fn new(device: &Device, fs: f64) -> Design {
        let nyquist = 0.45 * fs;
        let (low, high) = (device.band.0, device.band.1.min(nyquist / 1.5));
        let mut sections = Vec::new();
        for q in butterworth_qs(2).iter().take(2) {
            sections.push(Section { shape: Shape::HighPass, freq: low / 2.0, q: *q as f64, gain_db: 0.0 });
            sections.push(Section { shape: Shape::LowPass, freq: (high * 1.5).min(nyquist), q: *q as f64, gain_db: 0.0 });
        }
        // The bells reach half an octave past the band where the curve is documented there, so
        // that the band's edges are held from both sides.
        let documented = (device.curve.first().map_or(low, |p| p.0), device.curve.last().map_or(high, |p| p.0));
        let (from, to) = ((low / SQRT_2).max(documented.0).min(low), (high * SQRT_2).min(documented.1).min(nyquist / 1.5).max(high));
        let octaves = (to / from).log2();
        let bells = (octaves * BELLS_PER_OCTAVE).ceil() as usize + 1;
        let first = sections.len();
        for k in 0..bells {
            let freq = from * 2f64.powf(octaves * k as f64 / (bells - 1).max(1) as f64);
            sections.push(Section { shape: Shape::Bell, freq, q: BELL_Q, gain_db: 0.0 });
        }
        let mut design = Design { sections, drc: device.drc, makeup_db: 0.0 };
        // Each bell's gain moves by most of the error at its centre, until the errors settle.
        for _ in 0..400 {
            let errors: Vec<f64> = design.sections[first..].iter().map(|s| device.curve_db(s.freq) - design.response_db(s.freq, fs)).collect();
            for (s, e) in design.sections[first..].iter_mut().zip(errors) {
                s.gain_db = (s.gain_db + 0.5 * e).clamp(-30.0, 30.0);
            }
        }
        // Bells left at (nearly) nothing cost as much as any other: gone.
        let mut k = 0;
        design.sections.retain(|s| {
            k += 1;
            k <= first || s.gain_db.abs() >= 0.01
        });
        design.makeup_db = -loudness_change_db(&design, fs);
        if design.drc {
            // The DRC's effect depends on the signal: measured on pink noise at the matching level
            // (the make-up comes after the DRC, so one correction is exact).
            let (input, output) = pink_through(&design, device.mono, fs, MATCHED_AT_LUFS);
            design.makeup_db += input - output;
        }
        design
    }
}

/// Four seconds of stereo pink noise (independent channels) at `lufs` through `design` (make-up
/// included): the K-weighted loudness in and out, LUFS (ungated: the noise is steady), the last
/// three seconds (the DRC settled).
fn pink_through(design: &Design, mono: bool, fs: f64, lufs: f64) -> (f64, f64) {
    let frames = (4.0 * fs) as usize;
    let noise = |seed: u32| {
        let (mut x, mut b) = (seed, [0.0f32; 7]);
        (0..frames)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let w = x as f32 / 4_294_967_296.0 * 2.0 - 1.0;
                b[0] = 0.99886 * b[0] + w * 0.055_517_9;
                b[1] = 0.99332 * b[1] + w * 0.075_075_9;
                b[2] = 0.969 * b[2] + w * 0.153_852;
                b[3] = 0.8665 * b[3] + w * 0.310_485_6;
                b[4] = 0.55 * b[4] + w * 0.532_952_2;
                b[5] = -0.7616 * b[5] - w * 0.016_898;
                let y = b[..6].iter().sum::<f32>() + b[6] + w * 0.5362;
                b[6] = w * 0.115_926;
                y * 0.1
            })
            .collect::<Vec<f32>>()
    };
    let (mut left, mut right) = (noise(1), noise(2));
    let skip = frames / 4;
    let scale = 10f64.powf((lufs - k_weighted_lufs(&left[skip..], &right[skip..], fs)) / 20.0) as f32;
    left.iter_mut().chain(right.iter_mut()).for_each(|x| *x *= scale);
    let input = k_weighted_lufs(&left[skip..], &right[skip..], fs);
    let mut sim = Simulation::build(&design.sections, design.makeup_db, mono, design.drc, fs as f32);
    sim.process(&mut left, &mut right);
    (input, k_weighted_lufs(&left[skip..], &right[skip..], fs))
}

/// The loudness of a steady stereo signal, K-weighted as BS.1770 weights it (its shelf and
/// high-pass), without gating: LUFS.
fn k_weighted_lufs(left: &[f32], right: &[f32], fs: f64) -> f64 {
    let shelf = SvfCoefs::design(Shape::HighShelf, 1681.97, 0.7072, 3.9998, fs as f32);
    let high_pass = SvfCoefs::design(Shape::HighPass, 38.135, 0.5003, 0.0, fs as f32);
    let (mut first, mut second) = (Svf::<F32x4>::new(), Svf::<F32x4>::new());
    for lane in 0..2 {
        first.set_lane(lane, &shelf);
        second.set_lane(lane, &high_pass);
    }
    let mut energy = 0.0f64;
    for (&l, &r) in left.iter().zip(right) {
        let y = second.tick(first.tick(F32x4::from([l, r, 0.0, 0.0])));
        let [a, b, _, _] = y.to_array();
        energy += (a as f64) * (a as f64) + (b as f64) * (b as f64);
    }
    -0.691 + 10.0 * (energy / left.len().max(1) as f64).log10()
}

/// How much louder (dB) pink noise becomes through the design, weighted as BS.1770's K filter
/// weights it (its shelf and high-pass, from the Recommendation's coefficients' analog corners).
fn loudness_change_db(design: &Design, fs: f64) -> f64 {
    let k_weight = |f: f64| response_db(Shape::HighShelf, 1681.97, 0.7072, 3.9998, f, fs) + response_db(Shape::HighPass, 38.135, 0.5003, 0.0, f, fs);
    // Pink noise: equal power per octave, so equal weight per point of a log-spaced grid.
    let (mut with, mut without) = (0.0, 0.0);
    let mut f = 20.0;
    while f < 20_000.0f64.min(0.49 * fs) {
        let k = k_weight(f);
        with += 10f64.powf((k + design.response_db(f, fs)) / 10.0);
        without += 10f64.powf(k / 10.0);
        f *= 2f64.powf(1.0 / 24.0);
    }
    10.0 * (with / without).log10()
}

/// A device on the audio path: its sections on the left and right channels (two lanes of a vector).
#[derive(Clone, Debug)]
pub struct Simulation {
    sections: Vec<Svf<F32x4>>,
    /// The speaker path's DRC (lanes 0 and 1, linked), where the device has one.
    drc: Option<Box<Compressor<F32x4>>>,
    makeup: f32,
    mono: bool,
}

/// Sections a simulation may have: far more than any device's design needs (about 60).
pub const MAX_SECTIONS: usize = 128;

impl Simulation {
    /// Control side: designs `device` at `sample_rate` and builds its filters. The fit takes tens
    /// of milliseconds: never on the audio thread (the app designs, the worklet builds from the
    /// numbers).
    pub fn new(device: &Device, sample_rate: f32) -> Simulation {
        let design = Design::new(device, sample_rate as f64);
        Simulation::build(&design.sections, design.makeup_db, device.mono, design.drc, sample_rate)
    }

    /// Control side: the filters of a design given as [`Design::to_numbers`] (quick: no fitting).
    /// `None` for numbers that are not a design (too few, a section count beyond
    /// [`MAX_SECTIONS`], a value not finite).
    pub fn from_numbers(numbers: &[f64], sample_rate: f32) -> Option<Simulation> {
        let (&[makeup_db, mono, drc], rest) = (numbers.first_chunk::<3>()?, &numbers[3..]);
        if rest.len() % 4 != 0 || rest.len() / 4 > MAX_SECTIONS || !numbers.iter().all(|x| x.is_finite()) {
            return None;
        }
        let sections: Vec<Section> = rest
            .chunks_exact(4)
            .map(|c| Section { shape: SHAPES.get(c[0] as usize).copied().unwrap_or(Shape::Bell), freq: c[1], q: c[2], gain_db: c[3].clamp(-30.0, 30.0) })
            .collect();
        Some(Simulation::build(&sections, makeup_db.clamp(-30.0, 30.0), mono >= 0.5, drc >= 0.5, sample_rate))
    }

    fn build(sections: &[Section], makeup_db: f64, mono: bool, drc: bool, sample_rate: f32) -> Simulation {
        let sections = sections
            .iter()
            .map(|s| {
                let c = SvfCoefs::design(s.shape, s.freq as f32, s.q as f32, s.gain_db as f32, sample_rate);
                let mut svf = Svf::<F32x4>::new();
                svf.set_lane(0, &c);
                svf.set_lane(1, &c);
                svf
            })
            .collect();
        let drc = drc.then(|| {
            let mut c = Box::new(Compressor::<F32x4>::new(sample_rate));
            let d = SPEAKER_DRC;
            for lane in 0..2 {
                // (The compressor's threshold is its knee's centre.)
                for (id, value) in [(0, d.threshold_db + d.knee_db / 2.0), (1, d.ratio), (2, d.attack_ms), (3, d.release_ms), (4, d.knee_db)] {
                    c.set_param(lane, id, value);
                }
                c.set_linked(lane, true);
            }
            c.settle();
            c
        });
        Simulation { sections, drc, makeup: libm::powf(10.0, makeup_db as f32 / 20.0), mono }
    }

    /// A block of each side through the device, in place.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let makeup = F32x4::splat(self.makeup);
        for (left, right) in left.chunks_mut(MAX_BLOCK).zip(right.chunks_mut(MAX_BLOCK)) {
            let mut block = [F32x4::splat(0.0); MAX_BLOCK];
            for ((x, l), r) in block.iter_mut().zip(left.iter()).zip(right.iter()) {
                let (a, b) = if self.mono { (0.5 * (*l + *r), 0.5 * (*l + *r)) } else { (*l, *r) };
                *x = F32x4::from([a, b, 0.0, 0.0]);
                for s in &mut self.sections {
                    *x = s.tick(*x);
                }
            }
            let block = &mut block[..left.len()];
            if let Some(drc) = &mut self.drc {
                drc.process(block, None);
            }
            for ((x, l), r) in block.iter().zip(left.iter_mut()).zip(right.iter_mut()) {
                let [a, b, _, _] = (*x * makeup).to_array();
                *l = a;
                *r = b;
            }
        }
        for s in &mut self.sections {
            s.flush();
        }
        crate::flush_block(left);
        crate::flush_block(right);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::tests::measured_db;

    const FS: f64 = 48_000.0;

    /// Points 1/24 of an octave apart across a device's band.
    fn band_points(d: &Device) -> Vec<f64> {
        let n = ((d.band.1 / d.band.0).log2() * 24.0).floor() as usize;
        (0..=n).map(|k| d.band.0 * 2f64.powf(k as f64 / 24.0)).filter(|&f| f <= d.band.1).collect()
    }

    #[test]
    fn each_device_follows_its_documented_curve_within_1_db_across_its_band() {
        for d in DEVICES {
            for fs in [44_100.0, 48_000.0, 96_000.0] {
                let design = Design::new(d, fs);
                let worst = band_points(d).into_iter().map(|f| (f, design.response_db(f, fs) - d.curve_db(f))).fold((0.0, 0.0f64), |w, e| if e.1.abs() > w.1.abs() { e } else { w });
                println!("{} at {fs} Hz: largest deviation {:+.2} dB at {:.0} Hz, make-up {:+.2} dB, {} sections", d.name, worst.1, worst.0, design.makeup_db, design.sections.len());
                assert!(worst.1.abs() <= 1.0, "{} at {fs} Hz: {:+.2} dB from its curve at {:.0} Hz", d.name, worst.1, worst.0);
            }
        }
    }

    #[test]
    fn the_processed_signal_has_the_designed_response() {
        // The filters as they run (their impulse response, by DFT), against the design's exact
        // response plus make-up: the realisation is the design.
        for d in DEVICES {
            let design = Design::new(d, FS);
            // (The filters alone: a full-scale impulse would set a DRC working.)
            let mut sim = Simulation::build(&design.sections, design.makeup_db, d.mono, false, FS as f32);
            let mut impulse = vec![0.0f32; 1 << 16];
            impulse[0] = 1.0;
            let mut right = vec![0.0f32; 1 << 16];
            sim.process(&mut impulse, &mut right);
            for f in band_points(d).into_iter().step_by(8) {
                let mut it = impulse.iter();
                let measured = measured_db(|_| *it.next().unwrap_or(&0.0), f, FS, 1 << 16);
                // A mono device hears half of a one-sided impulse.
                let mono = if d.mono { 20.0 * 0.5f64.log10() } else { 0.0 };
                let expected = design.response_db(f, FS) + design.makeup_db + mono;
                assert!((measured - expected).abs() < 0.05, "{} at {f:.0} Hz: {measured:.3} dB processed, {expected:.3} dB designed", d.name);
            }
        }
    }

    #[test]
    fn outside_its_band_a_device_falls_away() {
        let phone = Design::new(&PHONE, FS);
        assert!(phone.response_db(100.0, FS) < -20.0, "a phone at 100 Hz: {:.1} dB", phone.response_db(100.0, FS));
        assert!(phone.response_db(15_000.0, FS) < -12.0, "a phone at 15 kHz: {:.1} dB", phone.response_db(15_000.0, FS));
    }

    #[test]
    fn switching_devices_keeps_the_loudness() {
        // K-weighted pink-noise loudness through each device, make-up included, is the mix's:
        // exactly for a linear device (from the design's response), and measured on the processed
        // noise at −14 LUFS for one with a DRC.
        for d in DEVICES {
            let design = Design::new(d, FS);
            if d.drc {
                let (input, output) = pink_through(&design, d.mono, FS, MATCHED_AT_LUFS);
                assert!((output - input).abs() < 0.05, "{}: {input:.2} LUFS in, {output:.2} out", d.name);
            } else {
                let change = loudness_change_db(&design, FS) + design.makeup_db;
                assert!(change.abs() < 1e-9, "{}: {change} dB", d.name);
            }
        }
    }

    /// The pink noise's loudness through a device: in and out, LUFS.
    fn heard(d: &Device, lufs: f64) -> (f64, f64) {
        pink_through(&Design::new(d, FS), d.mono, FS, lufs)
    }

    #[test]
    fn a_small_speakers_drc_holds_loud_passages_down() {
        // 12 dB louder into earbuds (no DRC) is 12 dB louder out; into a phone or a laptop, 2 dB
        // or more less: their DRC holds the louder passage down (a phone's band keeps little of pink
        // noise's energy, so less reaches its DRC). Quiet, below the DRC's threshold, they play
        // louder than the matched level by the DRC's reduction there.
        let rise = |d: &Device| heard(d, -8.0).1 - heard(d, -20.0).1;
        assert!((rise(&EARBUDS) - 12.0).abs() < 0.05, "earbuds: +{:.2} dB", rise(&EARBUDS));
        for d in [&PHONE, &LAPTOP] {
            let r = rise(d);
            println!("{}: 12 dB more in, {r:+.2} dB out", d.name);
            assert!(r < 10.0 && r > 5.0, "{}: 12 dB more in, {r:+.2} dB out", d.name);
        }
        // Stopped, a DRC holds nothing: the design's filters alone, as without it.
        let quiet = heard(&PHONE, -50.0);
        assert!(quiet.1 > quiet.0, "below its threshold the phone is not compressed: {quiet:?}");
    }

    #[test]
    fn a_design_handed_over_as_numbers_is_the_same_simulation() {
        for d in DEVICES {
            let design = Design::new(d, FS);
            let tone: Vec<f32> = (0..4_800).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
            let run = |mut sim: Simulation| {
                let (mut l, mut r) = (tone.clone(), tone.iter().map(|x| 0.3 * x).collect::<Vec<_>>());
                sim.process(&mut l, &mut r);
                (l, r)
            };
            let direct = run(Simulation::new(d, FS as f32));
            let handed = run(Simulation::from_numbers(&design.to_numbers(d.mono), FS as f32).unwrap());
            assert!(direct == handed, "{}: the numbers build another simulation", d.name);
        }
        // Numbers that are not a design build nothing.
        assert!(Simulation::from_numbers(&[], FS as f32).is_none());
        assert!(Simulation::from_numbers(&[0.0, 0.0, 2.0, 1000.0], FS as f32).is_none());
        assert!(Simulation::from_numbers(&[f64::NAN, 0.0, 0.0], FS as f32).is_none());
        assert!(Simulation::from_numbers(&vec![1.0; 3 + 4 * (MAX_SECTIONS + 1)], FS as f32).is_none());
    }

    #[test]
    fn a_mono_device_sums_the_channels() {
        let mut sim = Simulation::new(&PHONE, FS as f32);
        let tone: Vec<f32> = (0..48_000).map(|i| (core::f32::consts::TAU * 1_000.0 * i as f32 / 48_000.0).sin()).collect();
        let (mut l, mut r) = (tone.clone(), tone.iter().map(|x| -x).collect::<Vec<_>>());
        sim.process(&mut l, &mut r);
        assert!(l[24_000..].iter().chain(&r[24_000..]).all(|x| x.abs() < 1e-6), "a polarity-inverted pair cancels on one speaker");
    }
}
