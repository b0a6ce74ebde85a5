//! A track's channel strip: trim, polarity, fader, pan or balance, mute and solo, and its meter.

use mixroom_dsp::gain::db_to_gain;
use mixroom_dsp::meter::PeakMeter;
use mixroom_dsp::pan::{balance_gains, pan_gains, PanLaw};
use mixroom_dsp::smooth::{Smoother, DEFAULT_SMOOTHING_MS};
use mixroom_dsp::MAX_BLOCK;

use crate::StereoPeak;

/// Mute and solo fade in this long, so that switching them never clicks.
const MUTE_DECLICK_MS: f32 = 5.0;

/// Range of the input trim, dB.
pub const TRIM_RANGE_DB: (f32, f32) = (-24.0, 24.0);
/// Range of a fader, dB; the bottom of the range is −∞ (closed).
pub const FADER_RANGE_DB: (f32, f32) = (mixroom_dsp::gain::SILENCE_DB, 12.0);

/// The parameters of a track, with the stable numeric ids used across the worklet boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackParam {
    /// Input trim, dB (−24 … +24).
    Trim = 0,
    /// Fader, dB (−∞ … +12).
    Fader = 1,
    /// Pan (mono) or balance (stereo), −1 … +1.
    Pan = 2,
    /// Mute: 0 or 1.
    Mute = 3,
    /// Solo: 0 or 1.
    Solo = 4,
    /// Polarity invert: 0 or 1.
    Polarity = 5,
    /// Solo-safe: 0 or 1; a solo-safe track is never muted by another track's solo.
    SoloSafe = 6,
}

impl TrackParam {
    /// The parameter for a numeric id, if there is one.
    pub fn from_id(id: u32) -> Option<Self> {
        use TrackParam::*;
        [Trim, Fader, Pan, Mute, Solo, Polarity, SoloSafe].into_iter().find(|p| *p as u32 == id)
    }
}

pub(crate) fn clamp_fader_db(db: f32) -> f32 {
    if db.is_nan() {
        0.0
    } else {
        db.clamp(f32::NEG_INFINITY, FADER_RANGE_DB.1)
    }
}

/// One track of the mixer: its audio and its channel strip.
pub struct Track {
    /// The track's audio, one buffer per channel (1 = mono, 2 = stereo), starting at session time 0.
    audio: Vec<Vec<f32>>,
    /// Trim × polarity × fader, as one smoothed linear gain.
    gain: Smoother,
    trim_db: f32,
    fader_db: f32,
    polarity_inverted: bool,
    pan_position: f32,
    pan_left: Smoother,
    pan_right: Smoother,
    mute: bool,
    solo: bool,
    solo_safe: bool,
    /// 1 when the track is heard, 0 when muted (by itself or by another track's solo); glides.
    audible: Smoother,
    meter: [PeakMeter; 2],
}

impl Track {
    pub(crate) fn new(channels: usize, frames: usize, sample_rate: f32) -> Self {
        let channels = channels.clamp(1, 2);
        let mut track = Track {
            audio: (0..channels).map(|_| vec![0.0; frames]).collect(),
            gain: Smoother::new(1.0, DEFAULT_SMOOTHING_MS, sample_rate),
            trim_db: 0.0,
            fader_db: 0.0,
            polarity_inverted: false,
            pan_position: 0.0,
            pan_left: Smoother::new(1.0, DEFAULT_SMOOTHING_MS, sample_rate),
            pan_right: Smoother::new(1.0, DEFAULT_SMOOTHING_MS, sample_rate),
            mute: false,
            solo: false,
            solo_safe: false,
            audible: Smoother::new(1.0, MUTE_DECLICK_MS, sample_rate),
            meter: Default::default(),
        };
        let (l, r) = track.pan_law_gains();
        track.pan_left.reset(l);
        track.pan_right.reset(r);
        track
    }

    /// Number of audio channels: 1 (mono, panned) or 2 (stereo, balanced).
    pub fn channels(&self) -> usize {
        self.audio.len()
    }

    /// Length of the track's audio in frames.
    pub fn frames(&self) -> usize {
        self.audio[0].len()
    }

    pub(crate) fn audio_mut(&mut self, channel: usize) -> Option<&mut [f32]> {
        self.audio.get_mut(channel).map(Vec::as_mut_slice)
    }

    /// True if the track is soloed.
    pub fn soloed(&self) -> bool {
        self.solo
    }

    /// The current value of a parameter, in its own unit.
    pub fn get(&self, param: TrackParam) -> f32 {
        match param {
            TrackParam::Trim => self.trim_db,
            TrackParam::Fader => self.fader_db,
            TrackParam::Pan => self.pan_position,
            TrackParam::Mute => self.mute as u8 as f32,
            TrackParam::Solo => self.solo as u8 as f32,
            TrackParam::Polarity => self.polarity_inverted as u8 as f32,
            TrackParam::SoloSafe => self.solo_safe as u8 as f32,
        }
    }

    pub(crate) fn set(&mut self, param: TrackParam, value: f32) {
        let on = value >= 0.5;
        match param {
            TrackParam::Trim => self.trim_db = if value.is_nan() { 0.0 } else { value.clamp(TRIM_RANGE_DB.0, TRIM_RANGE_DB.1) },
            TrackParam::Fader => self.fader_db = clamp_fader_db(value),
            TrackParam::Polarity => self.polarity_inverted = on,
            TrackParam::Pan => {
                self.pan_position = if value.is_nan() { 0.0 } else { value.clamp(-1.0, 1.0) };
                let (l, r) = self.pan_law_gains();
                self.pan_left.set_target(l);
                self.pan_right.set_target(r);
            }
            TrackParam::Mute => self.mute = on,
            TrackParam::Solo => self.solo = on,
            TrackParam::SoloSafe => self.solo_safe = on,
        }
        let sign = if self.polarity_inverted { -1.0 } else { 1.0 };
        self.gain.set_target(sign * db_to_gain(self.trim_db) * db_to_gain(self.fader_db));
    }

    fn pan_law_gains(&self) -> (f32, f32) {
        if self.channels() == 1 {
            pan_gains(self.pan_position, PanLaw::ConstantPower)
        } else {
            balance_gains(self.pan_position)
        }
    }

    /// Adds `n` frames of this track, from session frame `position`, into the bus `left`/`right`.
    pub(crate) fn mix_into(&mut self, position: u64, n: usize, any_solo: bool, left: &mut [f32], right: &mut [f32]) {
        self.audible.set_target(if self.heard(any_solo) { 1.0 } else { 0.0 });

        let mut gain = [0.0f32; MAX_BLOCK];
        let mut audible = [0.0f32; MAX_BLOCK];
        let mut pan_l = [0.0f32; MAX_BLOCK];
        let mut pan_r = [0.0f32; MAX_BLOCK];
        self.gain.fill(&mut gain[..n]);
        self.audible.fill(&mut audible[..n]);
        self.pan_left.fill(&mut pan_l[..n]);
        self.pan_right.fill(&mut pan_r[..n]);

        // The part of this block that has audio; the rest of the track is silence.
        let start = usize::try_from(position).unwrap_or(usize::MAX).min(self.frames());
        let end = start.saturating_add(n).min(self.frames());
        let have = end - start;

        let mut src_l = [0.0f32; MAX_BLOCK];
        let mut src_r = [0.0f32; MAX_BLOCK];
        src_l[..have].copy_from_slice(&self.audio[0][start..end]);
        let src_r_channel = if self.audio.len() > 1 { &self.audio[1] } else { &self.audio[0] };
        src_r[..have].copy_from_slice(&src_r_channel[start..end]);

        let mut post_l = [0.0f32; MAX_BLOCK];
        let mut post_r = [0.0f32; MAX_BLOCK];
        for i in 0..n {
            let g = gain[i] * audible[i];
            post_l[i] = src_l[i] * g * pan_l[i];
            post_r[i] = src_r[i] * g * pan_r[i];
            left[i] += post_l[i];
            right[i] += post_r[i];
        }
        self.meter[0].process(&post_l[..n]);
        self.meter[1].process(&post_r[..n]);
    }

    /// True when the track should be heard: not muted, and soloed (or solo-safe) if anything is.
    fn heard(&self, any_solo: bool) -> bool {
        !self.mute && (!any_solo || self.solo || self.solo_safe)
    }

    pub(crate) fn settle(&mut self, any_solo: bool) {
        for s in [&mut self.gain, &mut self.pan_left, &mut self.pan_right] {
            let target = s.target();
            s.reset(target);
        }
        self.audible.reset(if self.heard(any_solo) { 1.0 } else { 0.0 });
    }

    pub(crate) fn take_peak(&mut self) -> StereoPeak {
        StereoPeak { left: self.meter[0].take(), right: self.meter[1].take() }
    }
}
