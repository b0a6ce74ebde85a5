//! Three-band compressor with Linkwitz-Riley crossovers.
//!
//! The bands are split by fourth-order Linkwitz-Riley filters (two cascaded second-order Butterworth
//! sections), whose low and high outputs sum to an all-pass: with the band compressors idle the
//! output has exactly the input's magnitude response. The low band also passes the all-pass of the
//! upper crossover, so all three bands stay in phase when summed (Linkwitz 1976; Bohn, "Linkwitz-Riley
//! crossovers: a primer", Rane note 160). Each band has its own compressor (the channel compressor's
//! detector and curve), linked across the stereo pair.

use crate::dynamics::Compressor;
use crate::filter::{Shape, Svf, SvfCoefs};
use crate::lanes::{Lanes, F32x4};
use crate::param::{ParamInfo, Taper, Unit};
use crate::stereo::StereoProcessor;
use crate::MAX_BLOCK;

/// Parameter table of [`Multiband`]: the two crossovers, then per band (low, mid, high) threshold,
/// ratio, attack, release and gain.
pub const MULTIBAND_PARAMS: &[ParamInfo] = &[
    ParamInfo::new("low_split", "Low/mid crossover", Unit::Hertz, 40.0, 1_000.0, 200.0, Taper::Log),
    ParamInfo::new("high_split", "Mid/high crossover", Unit::Hertz, 1_000.0, 16_000.0, 2_500.0, Taper::Log),
    ParamInfo::new("low_threshold", "Low threshold", Unit::Decibels, -60.0, 0.0, -20.0, Taper::Linear),
    ParamInfo::new("low_ratio", "Low ratio", Unit::Ratio, 1.0, 20.0, 2.0, Taper::Log),
    ParamInfo::new("low_attack", "Low attack", Unit::Milliseconds, 0.1, 200.0, 20.0, Taper::Log),
    ParamInfo::new("low_release", "Low release", Unit::Milliseconds, 5.0, 3_000.0, 200.0, Taper::Log),
    ParamInfo::new("low_gain", "Low gain", Unit::Decibels, -12.0, 12.0, 0.0, Taper::Linear),
    ParamInfo::new("mid_threshold", "Mid threshold", Unit::Decibels, -60.0, 0.0, -20.0, Taper::Linear),
    ParamInfo::new("mid_ratio", "Mid ratio", Unit::Ratio, 1.0, 20.0, 2.0, Taper::Log),
    ParamInfo::new("mid_attack", "Mid attack", Unit::Milliseconds, 0.1, 200.0, 10.0, Taper::Log),
    ParamInfo::new("mid_release", "Mid release", Unit::Milliseconds, 5.0, 3_000.0, 120.0, Taper::Log),
    ParamInfo::new("mid_gain", "Mid gain", Unit::Decibels, -12.0, 12.0, 0.0, Taper::Linear),
    ParamInfo::new("high_threshold", "High threshold", Unit::Decibels, -60.0, 0.0, -20.0, Taper::Linear),
    ParamInfo::new("high_ratio", "High ratio", Unit::Ratio, 1.0, 20.0, 2.0, Taper::Log),
    ParamInfo::new("high_attack", "High attack", Unit::Milliseconds, 0.1, 200.0, 5.0, Taper::Log),
    ParamInfo::new("high_release", "High release", Unit::Milliseconds, 5.0, 3_000.0, 80.0, Taper::Log),
    ParamInfo::new("high_gain", "High gain", Unit::Decibels, -12.0, 12.0, 0.0, Taper::Linear),
];

/// Band parameter order → the channel compressor's parameter ids (threshold, ratio, attack,
/// release, makeup).
const BAND_TO_COMPRESSOR: [usize; 5] = [0, 1, 2, 3, 5];

/// Lanes: 0–1 are left/right of one signal through the crossover filters.
#[derive(Clone, Debug)]
pub struct Multiband {
    sample_rate: f32,
    values: [f32; 17],
    /// Lower crossover: two low-pass and two high-pass sections (LR4 each).
    low_lp: [Svf<F32x4>; 2],
    low_hp: [Svf<F32x4>; 2],
    /// Upper crossover on the signal above the lower one.
    high_lp: [Svf<F32x4>; 2],
    high_hp: [Svf<F32x4>; 2],
    /// The upper crossover's all-pass, applied to the low band.
    low_allpass: Svf<F32x4>,
    /// Low and mid bands in lanes [low L, low R, mid L, mid R]; high band in lanes [high L, high R].
    comp_low_mid: Compressor<F32x4>,
    comp_high: Compressor<F32x4>,
    low_mid: [F32x4; MAX_BLOCK],
    high: [F32x4; MAX_BLOCK],
}

impl Multiband {
    pub fn new(sample_rate: f32) -> Self {
        let mut m = Multiband {
            sample_rate,
            values: core::array::from_fn(|i| MULTIBAND_PARAMS[i].default),
            low_lp: [Svf::new(), Svf::new()],
            low_hp: [Svf::new(), Svf::new()],
            high_lp: [Svf::new(), Svf::new()],
            high_hp: [Svf::new(), Svf::new()],
            low_allpass: Svf::new(),
            comp_low_mid: Compressor::new(sample_rate),
            comp_high: Compressor::new(sample_rate),
            low_mid: [F32x4::splat(0.0); MAX_BLOCK],
            high: [F32x4::splat(0.0); MAX_BLOCK],
        };
        for lane in 0..4 {
            m.comp_low_mid.set_linked(lane, true);
            m.comp_high.set_linked(lane, true);
        }
        for id in 0..MULTIBAND_PARAMS.len() {
            m.apply(id);
        }
        m.comp_low_mid.settle();
        m.comp_high.settle();
        m
    }

    fn apply(&mut self, id: usize) {
        let q = core::f32::consts::FRAC_1_SQRT_2;
        let design = |shape, f| SvfCoefs::design(shape, f, q, 0.0, self.sample_rate);
        match id {
            0 | 1 => {
                let (low, high) = (self.values[0], self.values[1].max(self.values[0] * 1.5));
                for lane in 0..4 {
                    for s in &mut self.low_lp {
                        s.set_lane(lane, &design(Shape::LowPass, low));
                    }
                    for s in &mut self.low_hp {
                        s.set_lane(lane, &design(Shape::HighPass, low));
                    }
                    for s in &mut self.high_lp {
                        s.set_lane(lane, &design(Shape::LowPass, high));
                    }
                    for s in &mut self.high_hp {
                        s.set_lane(lane, &design(Shape::HighPass, high));
                    }
                    // LR4 low + high = the second-order all-pass with Q = 1/√2 at the crossover.
                    self.low_allpass.set_lane(lane, &design(Shape::AllPass, high));
                }
            }
            _ => {
                let band = (id - 2) / 5;
                let which = BAND_TO_COMPRESSOR[(id - 2) % 5];
                let value = self.values[id];
                let (comp, lanes) = match band {
                    0 => (&mut self.comp_low_mid, 0..2),
                    1 => (&mut self.comp_low_mid, 2..4),
                    _ => (&mut self.comp_high, 0..2),
                };
                for lane in lanes {
                    comp.set_param(lane, which, value);
                }
            }
        }
    }
}

impl StereoProcessor for Multiband {
    fn params(&self) -> &'static [ParamInfo] {
        MULTIBAND_PARAMS
    }

    fn set_param(&mut self, id: usize, value: f32) {
        if let Some(info) = MULTIBAND_PARAMS.get(id) {
            self.values[id] = info.clamp(value);
            self.apply(id);
        }
    }

    fn settle(&mut self) {
        self.comp_low_mid.settle();
        self.comp_high.settle();
    }

    fn reset(&mut self) {
        *self = Multiband { values: self.values, ..Multiband::new(self.sample_rate) };
        for id in 0..MULTIBAND_PARAMS.len() {
            self.apply(id);
        }
        self.settle();
    }

    fn take_gain_reduction(&mut self) -> f32 {
        let mut r = 0.0f32;
        for lane in 0..4 {
            r = r.max(self.comp_low_mid.take_gain_reduction(lane));
        }
        for lane in 0..2 {
            r = r.max(self.comp_high.take_gain_reduction(lane));
        }
        r
    }

    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        for (l, r) in left.chunks_mut(MAX_BLOCK).zip(right.chunks_mut(MAX_BLOCK)) {
            let n = l.len();
            for i in 0..n {
                let x = F32x4::from([l[i], r[i], 0.0, 0.0]);
                let low = cascade(&mut self.low_lp, x);
                let rest = cascade(&mut self.low_hp, x);
                let low = self.low_allpass.tick(low);
                let mid = cascade(&mut self.high_lp, rest);
                let high = cascade(&mut self.high_hp, rest);
                self.low_mid[i] = F32x4::from([low.lane(0), low.lane(1), mid.lane(0), mid.lane(1)]);
                self.high[i] = high;
            }
            self.comp_low_mid.process(&mut self.low_mid[..n], None);
            self.comp_high.process(&mut self.high[..n], None);
            for i in 0..n {
                let [ll, lr, ml, mr] = self.low_mid[i].to_array();
                l[i] = ll + ml + self.high[i].lane(0);
                r[i] = lr + mr + self.high[i].lane(1);
            }
        }
        for s in self.low_lp.iter_mut().chain(&mut self.low_hp).chain(&mut self.high_lp).chain(&mut self.high_hp) {
            s.flush();
        }
        self.low_allpass.flush();
        crate::flush_block(left);
        crate::flush_block(right);
    }
}

/// Two sections in series: a fourth-order Linkwitz-Riley half.
#[inline(always)]
fn cascade(sections: &mut [Svf<F32x4>; 2], x: F32x4) -> F32x4 {
    let y = sections[0].tick(x);
    sections[1].tick(y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::tests::{measured_db, test_freqs};

    const FS: f32 = 48_000.0;

    fn response(m: &Multiband, f: f64) -> f64 {
        let mut m = m.clone();
        measured_db(
            |x| {
                let (mut l, mut r) = ([x], [x]);
                m.process(&mut l, &mut r);
                l[0]
            },
            f,
            FS as f64,
            1 << 15,
        )
    }

    #[test]
    fn idle_bands_sum_to_a_flat_response() {
        let mut m = Multiband::new(FS);
        for band in 0..3 {
            m.set_param(3 + 5 * band, 1.0); // ratio 1: no compression
        }
        for f in test_freqs(24) {
            let db = response(&m, f);
            assert!(db.abs() < 0.05, "{f:.1} Hz: {db:.4} dB");
        }
    }

    #[test]
    fn band_gain_lifts_its_band_only() {
        let mut m = Multiband::new(FS);
        for band in 0..3 {
            m.set_param(3 + 5 * band, 1.0);
        }
        m.set_param(6, 6.0); // low gain +6 dB
        m.settle();
        assert!((response(&m, 40.0) - 6.0).abs() < 0.1, "{}", response(&m, 40.0));
        assert!(response(&m, 8_000.0).abs() < 0.1, "{}", response(&m, 8_000.0));
    }

    #[test]
    fn a_loud_low_band_is_compressed_and_the_highs_are_not() {
        let tone = |f: f32| -> Vec<f32> { (0..96_000).map(|i| 0.5 * (core::f32::consts::TAU * f * i as f32 / FS).sin()).collect() };
        // Level as RMS: sample peaks of a 6 kHz tone depend on where the samples fall on the wave.
        let peak = |v: &[f32]| ((v[48_000..].iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / 48_000.0).sqrt() * std::f64::consts::SQRT_2) as f32;
        let mut m = Multiband::new(FS);
        m.set_param(2, -30.0);
        m.set_param(3, 4.0);
        let (mut l, mut r) = (tone(60.0), tone(60.0));
        m.process(&mut l, &mut r);
        let reduction = 20.0 * (0.5 / peak(&l) as f64).log10();
        assert!(reduction > 10.0, "60 Hz reduced by {reduction} dB");
        let mut m = Multiband::new(FS);
        m.set_param(2, -30.0);
        m.set_param(3, 4.0);
        m.set_param(13, 1.0);
        m.set_param(8, 1.0);
        let (mut l, mut r) = (tone(6_000.0), tone(6_000.0));
        m.process(&mut l, &mut r);
        let change = 20.0 * (0.5 / peak(&l) as f64).log10();
        assert!(change.abs() < 0.1, "6 kHz changed by {change} dB");
    }
}
