//! Loudness to EBU R 128 / ITU-R BS.1770-4, measured by the `ebur128` crate (not a second,
//! hand-written implementation): momentary (400 ms), short-term (3 s), integrated (gated),
//! loudness range (EBU TECH 3342), maximum true peak (4× oversampled, per BS.1770-4 Annex 2) and
//! the peak-to-loudness ratio.
//!
//! The meter runs in histogram mode, so its memory stays the same whatever the programme's length.
//! Momentary and short-term maxima are read every 100 ms of audio (the EBU's refresh rate of at
//! least 10 per second), whatever the size of the pieces the audio arrives in.

use ebur128::{EbuR128, Mode};
use serde::Serialize;

/// Frames between readings of the momentary and short-term loudness, at `rate`: 100 ms.
fn reading_interval(rate: u32) -> usize {
    (rate as usize / 10).max(1)
}

/// 100-ms blocks in a short-term (3 s) window, and in a momentary (400 ms) one.
const SHORT_TERM_BLOCKS: usize = 30;
const MOMENTARY_BLOCKS: usize = 4;

/// BS.1770-4's loudness of a mean-square energy (weighted over the channels), LUFS.
fn loudness_of(energy: f64) -> f64 {
    if energy > 0.0 {
        -0.691 + 10.0 * energy.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// What a live meter shows now: loudness in LUFS, range in LU, peak in dBTP; `None` where there is
/// no figure yet (the first 400 ms or 3 s, silence, nothing above the gates).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LiveLoudness {
    /// The last 400 ms.
    pub momentary: Option<f64>,
    /// The last 3 s.
    pub short_term: Option<f64>,
    pub integrated: Option<f64>,
    pub range: Option<f64>,
    /// The highest true peak since the meter was reset.
    pub true_peak: Option<f64>,
}

/// A programme's loudness figures. Loudness in LUFS, range in LU, peaks in dBTP / dBFS; a figure
/// the programme is too short or too quiet to have is `None` (JSON `null`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LoudnessReport {
    /// Integrated (gated) loudness, LUFS.
    pub integrated: Option<f64>,
    /// The highest momentary (400 ms) loudness read, LUFS.
    pub momentary_max: Option<f64>,
    /// The highest short-term (3 s) loudness read, LUFS.
    pub short_term_max: Option<f64>,
    /// Loudness range (LRA), LU.
    pub range: Option<f64>,
    /// Maximum true peak over all channels, dBTP.
    pub true_peak: Option<f64>,
    /// Maximum sample peak over all channels, dBFS.
    pub sample_peak: Option<f64>,
    /// Peak-to-loudness ratio: true peak less integrated loudness, LU.
    pub plr: Option<f64>,
    /// Seconds measured.
    pub seconds: f64,
}

/// A loudness meter over a programme fed in pieces of any size.
pub struct Loudness {
    meter: EbuR128,
    channels: usize,
    rate: u32,
    /// Frames since the last reading of momentary and short-term loudness.
    since_reading: usize,
    frames: u64,
    momentary_max: f64,
    short_term_max: f64,
    /// The energies of the last [`SHORT_TERM_BLOCKS`] 100-ms blocks (a ring), and how many have
    /// been read: momentary and short-term loudness are their means over the last 4 and 30.
    blocks: [f64; SHORT_TERM_BLOCKS],
    blocks_read: u64,
    momentary: f64,
    short_term: f64,
}

/// Why a meter cannot be made.
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessError(pub String);

impl std::fmt::Display for LoudnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoudnessError {}

/// dB of a linear peak (`None` for silence).
fn peak_db(linear: f64) -> Option<f64> {
    (linear > 0.0 && linear.is_finite()).then(|| 20.0 * linear.log10())
}

/// 10^x.
fn pow10(x: f64) -> f64 {
    10f64.powf(x)
}

/// A loudness figure, or `None` where the meter has none (−∞: too short, or all gated away).
fn figure(value: Result<f64, ebur128::Error>) -> Option<f64> {
    value.ok().filter(|v| v.is_finite())
}

impl Loudness {
    /// A meter for `channels` channels (1 to 8: mono, stereo, or the first of a surround layout,
    /// weighted as BS.1770-4 weights them) at `rate` Hz.
    pub fn new(channels: usize, rate: u32) -> Result<Loudness, LoudnessError> {
        Loudness::with_mode(channels, rate, Mode::I | Mode::LRA | Mode::M | Mode::S | Mode::TRUE_PEAK | Mode::SAMPLE_PEAK | Mode::HISTOGRAM)
    }

    /// A meter of momentary, short-term and integrated loudness only (no range, no peaks): what
    /// loudness matching needs, at a fraction of the full meter's cost (no 4× oversampling).
    pub fn integrated_only(channels: usize, rate: u32) -> Result<Loudness, LoudnessError> {
        Loudness::with_mode(channels, rate, Mode::I | Mode::HISTOGRAM)
    }

    fn with_mode(channels: usize, rate: u32, mode: Mode) -> Result<Loudness, LoudnessError> {
        if !(1..=8).contains(&channels) {
            return Err(LoudnessError(format!("loudness is measured on 1 to 8 channels, not {channels}")));
        }
        if !(8_000..=768_000).contains(&rate) {
            return Err(LoudnessError(format!("loudness is measured at 8 kHz to 768 kHz, not {rate} Hz")));
        }
        // A mono programme is one channel of weight 1, as BS.1770-4 defines it (and as pyloudnorm
        // and ffmpeg read it): 3 LU below the same signal on both channels of a stereo file.
        let meter = EbuR128::new(channels as u32, rate, mode).map_err(|e| LoudnessError(format!("the loudness meter could not start: {e:?}")))?;
        Ok(Loudness {
            meter,
            channels,
            rate,
            since_reading: 0,
            frames: 0,
            momentary_max: f64::NEG_INFINITY,
            short_term_max: f64::NEG_INFINITY,
            blocks: [0.0; SHORT_TERM_BLOCKS],
            blocks_read: 0,
            momentary: f64::NEG_INFINITY,
            short_term: f64::NEG_INFINITY,
        })
    }

    /// Adds frames given channel by channel (each slice one channel, all of one length).
    pub fn add_planar(&mut self, channels: &[&[f32]]) {
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        if channels.len() != self.channels || n == 0 {
            return;
        }
        // In pieces that end on every 100-ms reading point of the programme.
        let interval = reading_interval(self.rate);
        let mut at = 0;
        while at < n {
            let take = (interval - self.since_reading).min(n - at);
            // No allocation here: a piece's channels in a fixed array (at most 8).
            let mut piece: [&[f32]; 8] = [&[]; 8];
            for (p, c) in piece.iter_mut().zip(channels) {
                *p = &c[at..at + take];
            }
            // The meter refuses only a wrong channel count, checked above.
            let _ = self.meter.add_frames_planar_f32(&piece[..self.channels]);
            at += take;
            self.since_reading += take;
            self.frames += take as u64;
            if self.since_reading == interval {
                self.since_reading = 0;
                self.read_maxima();
            }
        }
    }

    /// At each 100-ms point of the programme: the energy of the 100 ms just ended, and from the
    /// last 4 and 30 of them the momentary and short-term loudness. (The same figures as the
    /// meter's own 400-ms and 3-s sums — the mean of equal blocks' energies is the energy of the
    /// whole — without summing 3 s of audio ten times a second on the audio thread.)
    fn read_maxima(&mut self) {
        let energy = match figure(self.meter.loudness_window(100)) {
            Some(l) => pow10((l + 0.691) / 10.0),
            None => 0.0,
        };
        self.blocks[(self.blocks_read % SHORT_TERM_BLOCKS as u64) as usize] = energy;
        self.blocks_read += 1;
        let mean_of_last = |k: usize| -> f64 { (0..k).map(|i| self.blocks[((self.blocks_read - 1 - i as u64) % SHORT_TERM_BLOCKS as u64) as usize]).sum::<f64>() / k as f64 };
        if self.blocks_read >= MOMENTARY_BLOCKS as u64 {
            self.momentary = loudness_of(mean_of_last(MOMENTARY_BLOCKS));
            self.momentary_max = self.momentary_max.max(self.momentary);
        }
        if self.blocks_read >= SHORT_TERM_BLOCKS as u64 {
            self.short_term = loudness_of(mean_of_last(SHORT_TERM_BLOCKS));
            self.short_term_max = self.short_term_max.max(self.short_term);
        }
    }

    /// What a live meter shows now (momentary and short-term as of the last 100-ms point).
    /// Allocates nothing: it may be read on the audio thread.
    pub fn live(&self) -> LiveLoudness {
        let finite = |v: f64| v.is_finite().then_some(v);
        let integrated = figure(self.meter.loudness_global());
        let true_peak = (0..self.channels as u32).filter_map(|c| self.meter.true_peak(c).ok()).fold(0.0f64, f64::max);
        LiveLoudness {
            momentary: finite(self.momentary),
            short_term: finite(self.short_term),
            integrated,
            range: figure(self.meter.loudness_range()).filter(|_| integrated.is_some()),
            true_peak: peak_db(true_peak),
        }
    }

    /// Starts the measurement afresh (the meter's Reset button).
    pub fn reset(&mut self) {
        self.meter.reset();
        self.since_reading = 0;
        self.frames = 0;
        self.momentary_max = f64::NEG_INFINITY;
        self.short_term_max = f64::NEG_INFINITY;
        self.blocks = [0.0; SHORT_TERM_BLOCKS];
        self.blocks_read = 0;
        self.momentary = f64::NEG_INFINITY;
        self.short_term = f64::NEG_INFINITY;
    }

    /// The figures of everything added so far.
    pub fn report(&self) -> LoudnessReport {
        let integrated = figure(self.meter.loudness_global());
        let channels = 0..self.channels as u32;
        let true_peak = channels.clone().filter_map(|c| self.meter.true_peak(c).ok()).fold(0.0f64, f64::max);
        let sample_peak = channels.filter_map(|c| self.meter.sample_peak(c).ok()).fold(0.0f64, f64::max);
        let true_peak = peak_db(true_peak);
        let finite = |v: f64| v.is_finite().then_some(v);
        LoudnessReport {
            integrated,
            momentary_max: finite(self.momentary_max),
            short_term_max: finite(self.short_term_max),
            range: figure(self.meter.loudness_range()).filter(|_| integrated.is_some()),
            true_peak,
            sample_peak: peak_db(sample_peak),
            plr: true_peak.zip(integrated).map(|(p, i)| p - i),
            seconds: self.frames as f64 / self.rate as f64,
        }
    }
}

/// The figures of a whole programme given channel by channel.
pub fn measure(channels: &[&[f32]], rate: u32) -> Result<LoudnessReport, LoudnessError> {
    let mut meter = Loudness::new(channels.len(), rate)?;
    meter.add_planar(channels);
    Ok(meter.report())
}
