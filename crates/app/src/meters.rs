//! The meters and the spectrum as shown: the engine's readings (about 30 a second) with a
//! console's ballistics — peaks that fall back, RMS integrated like a VU, gain reduction, clip
//! indicators that hold until cleared — and the selected strip's spectrum behind the EQ, analysed
//! here on the UI thread from the engine's tap (never on the audio thread).

use leptos::prelude::*;
use mixroom_dsp::spectrum::{log_points, Spectrum, FLOOR_DB};

use crate::fader::{peak_db, METER_FLOOR_DB};

/// How fast meters fall back after a peak, dB per meter reading (~30 readings a second: 24 dB/s).
const METER_FALL_DB: f32 = 0.8;
/// Values per strip in a meter reading (see the worklet's protocol).
const METER_STRIDE: usize = 5;
/// RMS display integration: each reading moves the shown RMS this far towards the new one (≈ 300 ms
/// at 30 readings a second, the feel of a VU-style average).
const RMS_SMOOTHING: f32 = 0.1;

/// Points across 20 Hz … 20 kHz at which the spectrum is shown (the EQ curve's own points).
pub const SPECTRUM_POINTS: usize = 161;
pub const SPECTRUM_LOW_HZ: f32 = 20.0;
pub const SPECTRUM_HIGH_HZ: f32 = 20_000.0;
/// How fast the shown spectrum falls, dB per reading (~30 readings a second: 36 dB/s).
const SPECTRUM_FALL_DB: f32 = 1.2;
/// How far a rising point moves towards the new reading each time: quick, but not so quick that the
/// frame-to-frame scatter of a noisy spectrum makes it flicker.
const SPECTRUM_RISE: f32 = 0.6;

/// A strip's meters as displayed: peak and RMS, left and right (dBFS, peaks with fall-back, RMS
/// integrated), gain reduction (dB), and whether it has clipped since the engineer last cleared it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StripMeter {
    pub left_db: f32,
    pub right_db: f32,
    pub rms_left_db: f32,
    pub rms_right_db: f32,
    pub reduction_db: f32,
    pub clipped: bool,
}

impl Default for StripMeter {
    fn default() -> Self {
        StripMeter { left_db: METER_FLOOR_DB, right_db: METER_FLOOR_DB, rms_left_db: METER_FLOOR_DB, rms_right_db: METER_FLOOR_DB, reduction_db: 0.0, clipped: false }
    }
}

/// The master's loudness and correlation as the engine last read them: loudness in LUFS, range in
/// LU, peak in dBTP; `None` where there is no figure yet (the first 400 ms or 3 s, or silence).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MasterAnalysis {
    pub momentary: Option<f32>,
    pub short_term: Option<f32>,
    pub integrated: Option<f32>,
    pub range: Option<f32>,
    pub true_peak: Option<f32>,
    /// Phase correlation, −1 … +1.
    pub correlation: f32,
    /// Loudness matching: the integrated loudness of the mix and of the reference (unmatched),
    /// LUFS, over what both have played since matching began.
    pub matched_mix: Option<f32>,
    pub matched_reference: Option<f32>,
    /// The metered strip's loudness (when one is metered), after its inserts and before its fader.
    pub strip: mixroom_analysis::LiveLoudness,
}

impl MasterAnalysis {
    /// From the engine's analysis values (see the worklet's protocol); nothing from too few.
    pub fn from_values(values: &[f32]) -> Option<MasterAnalysis> {
        let first: &[f32; 6] = values.get(..6)?.try_into().ok()?;
        let &[momentary, short_term, integrated, range, true_peak, correlation] = first;
        let matched = values.get(6..8);
        let strip = |k: usize| values.get(8 + k).copied().and_then(|v| v.is_finite().then_some(v as f64));
        let figure = |v: f32| v.is_finite().then_some(v);
        let matched = |k: usize| matched.and_then(|m| figure(m[k]));
        Some(MasterAnalysis {
            momentary: figure(momentary),
            short_term: figure(short_term),
            integrated: figure(integrated),
            range: figure(range),
            true_peak: figure(true_peak),
            correlation: if correlation.is_finite() { correlation.clamp(-1.0, 1.0) } else { 0.0 },
            matched_mix: matched(0),
            matched_reference: matched(1),
            strip: mixroom_analysis::LiveLoudness { momentary: strip(0), short_term: strip(1), integrated: strip(2), range: strip(3), true_peak: strip(4) },
        })
    }

    /// Peak-to-loudness ratio: the maximum true peak less the integrated loudness, LU.
    pub fn plr(&self) -> Option<f32> {
        self.true_peak.zip(self.integrated).map(|(p, i)| p - i)
    }
}

/// The spectrum of a stretch of `samples` at `rate` (the analyser made again when the size or
/// rate changes), dBFS at the display points, smoothed over 1/`smoothing` of an octave or not.
pub fn analyse(analyser: &mut Option<Spectrum>, samples: &[f32], rate: f32, smoothing: Option<f32>) -> Vec<f32> {
    let size = mixroom_engine::TAP_FRAMES;
    let mut fresh = vec![FLOOR_DB; SPECTRUM_POINTS];
    let a = match analyser {
        Some(a) if a.size() == size && a.sample_rate() == rate => a,
        _ => analyser.insert(Spectrum::new(size, rate)),
    };
    a.analyse(samples);
    let points = log_points(SPECTRUM_LOW_HZ, SPECTRUM_HIGH_HZ, SPECTRUM_POINTS);
    match smoothing {
        Some(fraction) => a.read_smoothed(&points, fraction, &mut fresh),
        None => a.read_at(&points, &mut fresh),
    }
    fresh
}

/// Folds a fresh reading into the shown spectrum: rising quickly, falling at the meters' rate.
pub fn fold(shown: &mut [f32], fresh: &[f32]) {
    for (s, f) in shown.iter_mut().zip(fresh) {
        *s = if *f > *s { *s + (f - *s) * SPECTRUM_RISE } else { f.max(*s - SPECTRUM_FALL_DB) };
    }
}

/// What the meters and the spectrum show. `Copy`: every field is a handle into Leptos' arena.
#[derive(Clone, Copy)]
pub struct Meters {
    /// Per strip, in mixer order.
    pub strips: RwSignal<Vec<StripMeter>>,
    /// The tapped strip's spectrum as shown, dBFS at [`SPECTRUM_POINTS`] log-spaced frequencies.
    pub spectrum: RwSignal<Vec<f32>>,
    /// How many spectrum displays are on screen: the engine taps a strip only while one is.
    pub spectrum_views: RwSignal<usize>,
    analyser: StoredValue<Option<Spectrum>, LocalStorage>,
    /// The master's loudness and correlation.
    pub master: RwSignal<MasterAnalysis>,
    /// How the spectrum is smoothed: over 1/n of an octave (3, 6), or not (each display point the
    /// loudest bin near it).
    pub smoothing: RwSignal<Option<f32>>,
    /// The highest level each point of the shown spectrum has reached (peak hold), dBFS.
    pub spectrum_peak: RwSignal<Vec<f32>>,
    /// How many master spectrum displays are on screen: while one is, the engine taps the master.
    pub master_views: RwSignal<usize>,
    /// The master's latest frames for the goniometer, interleaved left, right (while one is shown).
    pub scope: RwSignal<Vec<f32>>,
}

impl Meters {
    pub fn new(strips: usize) -> Meters {
        Meters {
            strips: RwSignal::new(vec![StripMeter::default(); strips]),
            spectrum: RwSignal::new(vec![FLOOR_DB; SPECTRUM_POINTS]),
            spectrum_views: RwSignal::new(0),
            analyser: StoredValue::new_local(None),
            master: RwSignal::new(MasterAnalysis::default()),
            smoothing: RwSignal::new(None),
            spectrum_peak: RwSignal::new(vec![FLOOR_DB; SPECTRUM_POINTS]),
            master_views: RwSignal::new(0),
            scope: RwSignal::new(Vec::new()),
        }
    }

    /// `strips` meters at rest.
    pub fn reset(self, strips: usize) {
        self.strips.set(vec![StripMeter::default(); strips]);
    }

    /// As many meters as strips: those that stay keep what they show.
    pub fn resize(self, strips: usize) {
        self.strips.update(|m| m.resize(strips, StripMeter::default()));
    }

    /// A reading from the engine: `levels` holds [`METER_STRIDE`] values a strip (peak and RMS,
    /// left and right, gain reduction). Stopped, the spectrum falls away.
    pub fn reading(self, levels: &[f32], playing: bool) {
        if !playing {
            self.decay_spectrum();
        }
        self.strips.update(|shown| {
            let strips = levels.len() / METER_STRIDE;
            shown.resize(strips, StripMeter::default());
            for (m, values) in shown.iter_mut().zip(levels.chunks(METER_STRIDE)) {
                m.left_db = peak_db(values[0]).max(m.left_db - METER_FALL_DB);
                m.right_db = peak_db(values[1]).max(m.right_db - METER_FALL_DB);
                m.rms_left_db += (peak_db(values[2]) - m.rms_left_db) * RMS_SMOOTHING;
                m.rms_right_db += (peak_db(values[3]) - m.rms_right_db) * RMS_SMOOTHING;
                m.reduction_db = values[4].max(m.reduction_db - METER_FALL_DB);
                // Anything at or over full scale lights the clip indicator until it is cleared.
                m.clipped |= values[0] >= 1.0 || values[1] >= 1.0;
            }
        });
    }

    /// The engine's reading of the master's loudness and correlation (see [`MasterAnalysis`]).
    pub fn master_reading(self, values: &[f32]) {
        if let Some(now) = MasterAnalysis::from_values(values) {
            if self.master.get_untracked() != now {
                self.master.set(now);
            }
        }
    }

    /// Clears a strip's clip indicator.
    pub fn clear_clip(self, strip: usize) {
        self.strips.update(|m| {
            if let Some(m) = m.get_mut(strip) {
                m.clipped = false;
            }
        });
    }

    /// The spectrum starts again from nothing (another strip is tapped).
    pub fn clear_spectrum(self) {
        self.spectrum.set(vec![FLOOR_DB; SPECTRUM_POINTS]);
        self.spectrum_peak.set(vec![FLOOR_DB; SPECTRUM_POINTS]);
    }

    /// A new stretch of the tapped strip, at `rate`: analysed and folded into the shown spectrum.
    pub fn tap(self, samples: &[f32], rate: f32) {
        let smoothing = self.smoothing.get_untracked();
        let fresh = self.analyser.try_update_value(|a| analyse(a, samples, rate, smoothing)).unwrap_or_default();
        self.spectrum.update(|shown| fold(shown, &fresh));
        let shown = self.spectrum.get_untracked();
        self.spectrum_peak.update(|peak| {
            peak.resize(shown.len(), FLOOR_DB);
            for (p, s) in peak.iter_mut().zip(&shown) {
                *p = p.max(*s);
            }
        });
    }

    /// Between taps (stopped), the shown spectrum falls away.
    fn decay_spectrum(self) {
        if self.spectrum.with_untracked(|s| s.iter().any(|&v| v > FLOOR_DB)) {
            self.spectrum.update(|shown| shown.iter_mut().for_each(|s| *s = (*s - SPECTRUM_FALL_DB).max(FLOOR_DB)));
        }
    }
}
