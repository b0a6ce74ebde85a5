//! The channel EQ (four bands: low shelf, two bells, high shelf) and the pass filters (high-pass and
//! low-pass at 12, 24 or 48 dB per octave), as lane processors.
//!
//! Parameters glide (frequency in octaves, gain in dB, Q in octaves of Q) and the sections are
//! redesigned every [`UPDATE_INTERVAL`] samples while anything moves, so sweeps are smooth and the
//! output does not depend on the block size. A band at 0 dB is exactly transparent and is skipped.

use crate::filter::{butterworth_qs, glide_step, grid_left, Glide, Shape, Svf, SvfCoefs, UPDATE_INTERVAL};
use crate::lanes::Lanes;
use crate::param::{ParamInfo, Taper, Unit};

/// Glide time constant for filter parameters.
const GLIDE_MS: f32 = 15.0;
/// Snap distances: a hundredth of a dB, a thousandth of an octave.
const SNAP_DB: f32 = 0.01;
const SNAP_OCTAVE: f32 = 0.001;
/// Most lanes any lane type has.
pub const MAX_LANES: usize = 4;

/// Parameter table of [`ChannelEq`]: for each band, on, frequency, gain and Q (ids 4·band + 0…3).
pub const EQ_PARAMS: &[ParamInfo] = &[
    ParamInfo::toggle("low_on", "Low shelf on", true),
    ParamInfo::new("low_freq", "Low shelf frequency", Unit::Hertz, 20.0, 2_000.0, 100.0, Taper::Log),
    ParamInfo::new("low_gain", "Low shelf gain", Unit::Decibels, -24.0, 24.0, 0.0, Taper::Linear),
    ParamInfo::new("low_q", "Low shelf Q", Unit::Q, 0.3, 2.0, 0.707, Taper::Log),
    ParamInfo::toggle("lomid_on", "Low-mid on", true),
    ParamInfo::new("lomid_freq", "Low-mid frequency", Unit::Hertz, 20.0, 20_000.0, 400.0, Taper::Log),
    ParamInfo::new("lomid_gain", "Low-mid gain", Unit::Decibels, -24.0, 24.0, 0.0, Taper::Linear),
    ParamInfo::new("lomid_q", "Low-mid Q", Unit::Q, 0.1, 18.0, 1.0, Taper::Log),
    ParamInfo::toggle("himid_on", "High-mid on", true),
    ParamInfo::new("himid_freq", "High-mid frequency", Unit::Hertz, 20.0, 20_000.0, 2_500.0, Taper::Log),
    ParamInfo::new("himid_gain", "High-mid gain", Unit::Decibels, -24.0, 24.0, 0.0, Taper::Linear),
    ParamInfo::new("himid_q", "High-mid Q", Unit::Q, 0.1, 18.0, 1.0, Taper::Log),
    ParamInfo::toggle("high_on", "High shelf on", true),
    ParamInfo::new("high_freq", "High shelf frequency", Unit::Hertz, 1_000.0, 20_000.0, 8_000.0, Taper::Log),
    ParamInfo::new("high_gain", "High shelf gain", Unit::Decibels, -24.0, 24.0, 0.0, Taper::Linear),
    ParamInfo::new("high_q", "High shelf Q", Unit::Q, 0.3, 2.0, 0.707, Taper::Log),
];

const BAND_SHAPES: [Shape; 4] = [Shape::LowShelf, Shape::Bell, Shape::Bell, Shape::HighShelf];

/// One lane's settings of one band: frequency and Q glide in log2, gain in dB.
#[derive(Clone, Copy, Debug)]
struct BandLane {
    on: bool,
    /// The gain the engineer set, kept while the band is off.
    gain_setting: f32,
    freq: Glide,
    gain: Glide,
    q: Glide,
    dirty: bool,
    /// Taken at once, the coefficients ramped over this many samples (automation playing; 0:
    /// none): see [`ChannelEq::automate`].
    ramp: usize,
    /// The frequency (log2, as bits) last prewarped and its prewarp: a gain moving alone (gain
    /// automation) redesigns without the tangent.
    warped: (u32, f64),
}

impl BandLane {
    /// The band's prewarped frequency now, computed only when the frequency moved.
    fn prewarp(&mut self, sample_rate: f32) -> f64 {
        let bits = self.freq.current.to_bits();
        if self.warped.0 != bits || self.warped.1.is_nan() {
            self.warped = (bits, SvfCoefs::prewarp(libm::exp2f(self.freq.current), sample_rate));
        }
        self.warped.1
    }

    fn advance(&mut self, step: f32) -> bool {
        let moved = self.freq.advance(step, SNAP_OCTAVE) | self.gain.advance(step, SNAP_DB) | self.q.advance(step, SNAP_OCTAVE);
        core::mem::take(&mut self.dirty) | moved
    }

    fn settle(&mut self) {
        self.freq.settle();
        self.gain.settle();
        self.q.settle();
        self.dirty = true;
    }

    /// True when a glide is under way (as opposed to a first setting or a settle, which jump).
    fn gliding(&self) -> bool {
        self.freq.current != self.freq.target || self.gain.current != self.gain.target || self.q.current != self.q.target
    }

    /// Transparent now and staying so: the band can be skipped.
    fn idle(&self) -> bool {
        self.gain.current == 0.0 && self.gain.target == 0.0
    }
}

#[derive(Clone, Debug)]
struct Band<L> {
    shape: Shape,
    svf: Svf<L>,
    lanes: [BandLane; MAX_LANES],
    active: bool,
}

/// The four-band channel EQ.
#[derive(Clone, Debug)]
pub struct ChannelEq<L> {
    sample_rate: f32,
    step: f32,
    countdown: usize,
    /// Nothing glides, ramps or waits to be designed: the updates would do nothing until a
    /// setting changes, and the filters run a whole block at a time.
    still: bool,
    bands: [Band<L>; 4],
}

impl<L: Lanes> ChannelEq<L> {
    pub fn new(sample_rate: f32) -> Self {
        let bands = core::array::from_fn(|b| {
            let lane = BandLane {
                on: EQ_PARAMS[4 * b].default > 0.5,
                gain_setting: 0.0,
                freq: Glide::new(libm::log2f(EQ_PARAMS[4 * b + 1].default)),
                gain: Glide::new(0.0),
                q: Glide::new(libm::log2f(EQ_PARAMS[4 * b + 3].default)),
                dirty: true,
                ramp: 0,
                warped: (0, f64::NAN),
            };
            Band { shape: BAND_SHAPES[b], svf: Svf::new(), lanes: [lane; MAX_LANES], active: false }
        });
        ChannelEq { sample_rate, step: glide_step(GLIDE_MS, sample_rate), countdown: 0, still: false, bands }
    }

    /// Sets parameter `id` (see [`EQ_PARAMS`]) of one lane; the value is clamped to its range.
    pub fn set_param(&mut self, lane: usize, id: usize, value: f32) {
        let (Some(info), Some(band)) = (EQ_PARAMS.get(id), self.bands.get_mut(id / 4)) else { return };
        let Some(l) = band.lanes.get_mut(lane) else { return };
        let v = info.clamp(value);
        match id % 4 {
            0 => l.on = v > 0.5,
            1 => l.freq.target = libm::log2f(v),
            2 => l.gain_setting = v,
            _ => l.q.target = libm::log2f(v),
        }
        // An "off" band glides to 0 dB: switching it is as smooth as moving its gain.
        l.gain.target = if l.on { l.gain_setting } else { 0.0 };
        l.dirty = true;
        self.still = false;
    }

    /// Sets parameter `id` of one lane as automation plays it: a frequency, gain or Q is taken
    /// without the glide (a curve plays as drawn), the coefficients ramping to it over `over`
    /// samples — the automation gives the value it will have then, so they arrive on time; a
    /// band's switch glides as ever.
    pub fn automate(&mut self, lane: usize, id: usize, value: f32, over: usize) {
        self.set_param(lane, id, value);
        let Some(l) = self.bands.get_mut(id / 4).and_then(|b| b.lanes.get_mut(lane)) else { return };
        match id % 4 {
            1 => l.freq.settle(),
            2 => l.gain.settle(),
            3 => l.q.settle(),
            _ => return,
        }
        l.ramp = over.max(1);
    }

    /// Jumps every glide of every lane to its target (a freshly loaded mix).
    pub fn settle(&mut self) {
        for band in &mut self.bands {
            band.lanes.iter_mut().for_each(BandLane::settle);
        }
        self.countdown = 0;
        self.still = false;
    }

    /// Clears the filter state of one lane.
    pub fn reset_lane(&mut self, lane: usize) {
        for band in &mut self.bands {
            band.svf.reset_lane(lane);
        }
    }

    fn update(&mut self) {
        if self.still {
            return;
        }
        let mut still = true;
        for band in &mut self.bands {
            let was_active = band.active;
            band.active = false;
            for lane in 0..L::WIDTH.min(MAX_LANES) {
                let l = &mut band.lanes[lane];
                let automated = core::mem::take(&mut l.ramp);
                let was_gliding = l.gliding();
                if l.advance(self.step) {
                    let c = SvfCoefs::design_prewarped(band.shape, l.prewarp(self.sample_rate), libm::exp2f(l.q.current), l.gain.current);
                    // While gliding, the coefficients ramp sample by sample to the next point of
                    // the glide (automation: to its next point); a jump (first setting, settle) is
                    // applied at once.
                    if automated > 0 {
                        band.svf.ramp_lane(lane, &c, automated);
                    } else if was_gliding {
                        band.svf.ramp_lane(lane, &c, UPDATE_INTERVAL);
                    } else {
                        band.svf.set_lane(lane, &c);
                    }
                }
                band.active |= !l.idle();
                still &= !l.gliding();
            }
            if band.active && !was_active {
                // Waking from idle: the state is from long ago; start clean.
                for lane in 0..L::WIDTH {
                    band.svf.reset_lane(lane);
                }
            }
            still &= !band.svf.ramping();
        }
        self.still = still;
    }

    /// Processes `buf` in place (any length).
    pub fn process(&mut self, buf: &mut [L]) {
        let mut i = 0;
        while i < buf.len() {
            if self.countdown == 0 {
                self.update();
                self.countdown = UPDATE_INTERVAL;
            }
            // Still, the updates up to the block's end would do nothing: run to it at once.
            let run = if self.still { buf.len() - i } else { self.countdown.min(buf.len() - i) };
            let chunk = &mut buf[i..i + run];
            let ramping = self.bands.iter().any(|b| b.active && b.svf.ramping());
            let [b0, b1, b2, b3] = &mut self.bands;
            let on = [b0.active, b1.active, b2.active, b3.active];
            // Ramps start at updates and last whole update intervals, so one that is under way
            // outlasts the run: its steps need no check, sample by sample.
            let outlast = [&*b0, &*b1, &*b2, &*b3].iter().all(|b| !b.active || !b.svf.ramping() || b.svf.ramp_left() >= run);
            if ramping && outlast {
                let r = [b0.svf.ramping(), b1.svf.ramping(), b2.svf.ramping(), b3.svf.ramping()];
                let bells = [b1.svf.is_bell_form(), b2.svf.is_bell_form()];
                for x in chunk.iter_mut() {
                    let mut v = *x;
                    if on[0] {
                        v = if r[0] { b0.svf.step_ramp(v) } else { b0.svf.tick(v) };
                    }
                    if on[1] {
                        v = match (r[1], bells[0]) {
                            (true, true) => b1.svf.step_ramp_bell(v),
                            (true, false) => b1.svf.step_ramp(v),
                            (false, true) => b1.svf.tick_bell(v),
                            (false, false) => b1.svf.tick(v),
                        };
                    }
                    if on[2] {
                        v = match (r[2], bells[1]) {
                            (true, true) => b2.svf.step_ramp_bell(v),
                            (true, false) => b2.svf.step_ramp(v),
                            (false, true) => b2.svf.tick_bell(v),
                            (false, false) => b2.svf.tick(v),
                        };
                    }
                    if on[3] {
                        v = if r[3] { b3.svf.step_ramp(v) } else { b3.svf.tick(v) };
                    }
                    *x = v;
                }
                for (band, ramped) in [&mut *b0, &mut *b1, &mut *b2, &mut *b3].into_iter().zip(r) {
                    if band.active && ramped {
                        band.svf.end_ramp_run(run);
                    }
                }
            } else if ramping {
                for band in [b0, b1, b2, b3].into_iter().filter(|b| b.active) {
                    for x in chunk.iter_mut() {
                        *x = band.svf.tick_ramped(*x);
                    }
                }
            } else {
                // Whether the middle bands mix as bells (they do unless something set them
                // otherwise) is asked once here, not sample by sample.
                let bands = [b0, b1, b2, b3];
                match (bands[1].svf.is_bell_form(), bands[2].svf.is_bell_form()) {
                    (true, true) => run_settled::<L, true, true>(bands, chunk),
                    (true, false) => run_settled::<L, true, false>(bands, chunk),
                    (false, true) => run_settled::<L, false, true>(bands, chunk),
                    (false, false) => run_settled::<L, false, false>(bands, chunk),
                }
            }
            self.countdown = grid_left(self.countdown, run);
            i += run;
        }
        for band in &mut self.bands {
            band.svf.flush();
        }
        crate::flush_block(buf);
    }
}

/// The four bands over `chunk`, none ramping: all bands of a sample before the next sample, since
/// each band's recurrence is a long dependency chain and interleaving the four lets the CPU
/// overlap them. `BELL1`, `BELL2`: the middle bands mix as bells ([`Svf::tick_bell`]).
#[inline(always)]
fn run_settled<L: Lanes, const BELL1: bool, const BELL2: bool>(bands: [&mut Band<L>; 4], chunk: &mut [L]) {
    let [b0, b1, b2, b3] = bands;
    let on = [b0.active, b1.active, b2.active, b3.active];
    for x in chunk.iter_mut() {
        let mut v = *x;
        if on[0] {
            v = b0.svf.tick(v);
        }
        if on[1] {
            v = if BELL1 { b1.svf.tick_bell(v) } else { b1.svf.tick(v) };
        }
        if on[2] {
            v = if BELL2 { b2.svf.tick_bell(v) } else { b2.svf.tick(v) };
        }
        if on[3] {
            v = b3.svf.tick(v);
        }
        *x = v;
    }
}

/// Parameter table of [`PassFilters`].
pub const PASS_PARAMS: &[ParamInfo] = &[
    ParamInfo::toggle("hp_on", "High-pass on", false),
    ParamInfo::new("hp_freq", "High-pass frequency", Unit::Hertz, 10.0, 2_000.0, 80.0, Taper::Log),
    ParamInfo::choice("hp_slope", "High-pass slope", &["12 dB/oct", "24 dB/oct", "48 dB/oct"], 0),
    ParamInfo::toggle("lp_on", "Low-pass on", false),
    ParamInfo::new("lp_freq", "Low-pass frequency", Unit::Hertz, 200.0, 22_000.0, 18_000.0, Taper::Log),
    ParamInfo::choice("lp_slope", "Low-pass slope", &["12 dB/oct", "24 dB/oct", "48 dB/oct"], 0),
];

/// Sections per slope choice: 12, 24, 48 dB/oct are Butterworth orders 2, 4, 8.
const SECTIONS: [usize; 3] = [1, 2, 4];

#[derive(Clone, Copy, Debug)]
struct PassLane {
    on: bool,
    freq: Glide,
    sections: usize,
    dirty: bool,
    /// Taken at once, the coefficients ramped over this many samples (automation playing; 0:
    /// none): see [`PassFilters::automate`].
    ramp: usize,
}

#[derive(Clone, Debug)]
struct Pass<L> {
    shape: Shape,
    sections: [Svf<L>; 4],
    lanes: [PassLane; MAX_LANES],
    /// How many sections run (the most any lane needs); 0 when every lane is off.
    running: usize,
}

impl<L: Lanes> Pass<L> {
    fn new(shape: Shape, freq: f32) -> Self {
        let lane = PassLane { on: false, freq: Glide::new(libm::log2f(freq)), sections: 1, dirty: true, ramp: 0 };
        Pass { shape, sections: core::array::from_fn(|_| Svf::new()), lanes: [lane; MAX_LANES], running: 0 }
    }

    /// Returns true when nothing glides or ramps any more (see [`PassFilters::still`]).
    fn update(&mut self, step: f32, sample_rate: f32) -> bool {
        let was = self.running;
        self.running = 0;
        for lane in 0..L::WIDTH.min(MAX_LANES) {
            let l = &mut self.lanes[lane];
            let automated = core::mem::take(&mut l.ramp);
            let gliding = l.freq.current != l.freq.target && !l.dirty;
            let moved = l.freq.advance(step, SNAP_OCTAVE) | core::mem::take(&mut l.dirty);
            if moved {
                let qs = butterworth_qs(l.sections);
                let f = libm::exp2f(l.freq.current);
                for (k, svf) in self.sections.iter_mut().enumerate() {
                    let c = if k < l.sections { SvfCoefs::design(self.shape, f, qs[k], 0.0, sample_rate) } else { SvfCoefs::IDENTITY };
                    let c = if l.on { c } else { c.bypassed() };
                    if automated > 0 {
                        svf.ramp_lane(lane, &c, automated);
                    } else if gliding {
                        svf.ramp_lane(lane, &c, UPDATE_INTERVAL);
                    } else {
                        svf.set_lane(lane, &c);
                    }
                }
            }
            if l.on {
                self.running = self.running.max(l.sections);
            }
        }
        for svf in &mut self.sections[was.min(self.running)..self.running] {
            for lane in 0..L::WIDTH {
                svf.reset_lane(lane);
            }
        }
        self.lanes.iter().all(|l| l.freq.current == l.freq.target) && !self.sections.iter().any(Svf::ramping)
    }
}

/// High-pass and low-pass filters, each 12, 24 or 48 dB/oct Butterworth.
#[derive(Clone, Debug)]
pub struct PassFilters<L> {
    sample_rate: f32,
    step: f32,
    countdown: usize,
    /// Nothing glides, ramps or waits to be designed (as [`ChannelEq`]'s).
    still: bool,
    filters: [Pass<L>; 2],
}

impl<L: Lanes> PassFilters<L> {
    pub fn new(sample_rate: f32) -> Self {
        PassFilters {
            sample_rate,
            step: glide_step(GLIDE_MS, sample_rate),
            countdown: 0,
            still: false,
            filters: [Pass::new(Shape::HighPass, PASS_PARAMS[1].default), Pass::new(Shape::LowPass, PASS_PARAMS[4].default)],
        }
    }

    /// Sets parameter `id` (see [`PASS_PARAMS`]) of one lane; the value is clamped to its range.
    pub fn set_param(&mut self, lane: usize, id: usize, value: f32) {
        let (Some(info), Some(filter)) = (PASS_PARAMS.get(id), self.filters.get_mut(id / 3)) else { return };
        let Some(l) = filter.lanes.get_mut(lane) else { return };
        let v = info.clamp(value);
        match id % 3 {
            0 => l.on = v > 0.5,
            1 => l.freq.target = libm::log2f(v),
            _ => l.sections = SECTIONS[v as usize],
        }
        l.dirty = true;
        self.still = false;
    }

    /// Sets parameter `id` of one lane as automation plays it: a frequency is taken without the
    /// glide, the coefficients ramping to it over `over` samples (as [`ChannelEq::automate`]).
    pub fn automate(&mut self, lane: usize, id: usize, value: f32, over: usize) {
        self.set_param(lane, id, value);
        if id % 3 == 1 {
            if let Some(l) = self.filters.get_mut(id / 3).and_then(|f| f.lanes.get_mut(lane)) {
                l.freq.settle();
                l.ramp = over.max(1);
            }
        }
    }

    pub fn settle(&mut self) {
        for f in &mut self.filters {
            for l in &mut f.lanes {
                l.freq.settle();
                l.dirty = true;
            }
        }
        self.countdown = 0;
        self.still = false;
    }

    pub fn reset_lane(&mut self, lane: usize) {
        for f in &mut self.filters {
            f.sections.iter_mut().for_each(|s| s.reset_lane(lane));
        }
    }

    pub fn process(&mut self, buf: &mut [L]) {
        let mut i = 0;
        while i < buf.len() {
            if self.countdown == 0 {
                if !self.still {
                    let [high, low] = &mut self.filters;
                    let still = [high.update(self.step, self.sample_rate), low.update(self.step, self.sample_rate)];
                    self.still = still == [true, true];
                }
                self.countdown = UPDATE_INTERVAL;
            }
            // Still, the updates up to the block's end would do nothing: run to it at once.
            let run = if self.still { buf.len() - i } else { self.countdown.min(buf.len() - i) };
            let chunk = &mut buf[i..i + run];
            for f in &mut self.filters {
                for svf in &mut f.sections[..f.running] {
                    if svf.ramping() {
                        for x in chunk.iter_mut() {
                            *x = svf.tick_ramped(*x);
                        }
                    } else {
                        for x in chunk.iter_mut() {
                            *x = svf.tick(*x);
                        }
                    }
                }
            }
            self.countdown = grid_left(self.countdown, run);
            i += run;
        }
        for f in &mut self.filters {
            f.sections.iter_mut().for_each(Svf::flush);
        }
        crate::flush_block(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::tests::{cookbook_db, measured_db, test_freqs};
    use crate::lanes::F32x4;

    const FS: f32 = 48_000.0;

    fn set(eq: &mut ChannelEq<f32>, key: &str, v: f32) {
        eq.set_param(0, crate::param::find(EQ_PARAMS, key).unwrap(), v);
    }

    #[test]
    fn a_band_switched_off_and_on_keeps_its_gain() {
        let mut eq = ChannelEq::<f32>::new(FS);
        set(&mut eq, "lomid_gain", 6.0);
        set(&mut eq, "lomid_on", 0.0);
        eq.settle();
        let mut silence = [0.0f32; 64];
        eq.process(&mut silence);
        assert!(eq.bands.iter().all(|b| !b.active), "an off band at rest is skipped");
        set(&mut eq, "lomid_on", 1.0);
        assert_eq!(eq.bands[1].lanes[0].gain.target, 6.0);
    }

    #[test]
    fn flat_eq_is_bit_transparent() {
        let mut eq = ChannelEq::<f32>::new(FS);
        let input: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 200) as f32 / 100.0 - 1.0).collect();
        let mut buf = input.clone();
        eq.process(&mut buf);
        assert_eq!(buf, input);
    }

    /// The S16 strip EQ: its response is the product of the four cookbook responses.
    #[test]
    fn four_band_response_is_the_product_of_the_cookbook_bands() {
        let mut eq = ChannelEq::<f32>::new(FS);
        for (k, v) in [("low_freq", 120.0), ("low_gain", 2.0), ("lomid_freq", 400.0), ("lomid_gain", -3.0), ("lomid_q", 1.2), ("himid_freq", 2_500.0), ("himid_gain", 2.0), ("himid_q", 1.0), ("high_freq", 8_000.0), ("high_gain", 1.5), ("high_q", 0.7)] {
            set(&mut eq, k, v);
        }
        eq.settle();
        for f in test_freqs(30) {
            let want = cookbook_db(Shape::LowShelf, 120.0, 0.707, 2.0, f, 48_000.0)
                + cookbook_db(Shape::Bell, 400.0, 1.2, -3.0, f, 48_000.0)
                + cookbook_db(Shape::Bell, 2_500.0, 1.0, 2.0, f, 48_000.0)
                + cookbook_db(Shape::HighShelf, 8_000.0, 0.7, 1.5, f, 48_000.0);
            let mut e = eq.clone();
            let got = measured_db(
                |x| {
                    let mut b = [x];
                    e.process(&mut b);
                    b[0]
                },
                f,
                48_000.0,
                1 << 15,
            );
            assert!((got - want).abs() < 0.05, "at {f:.1} Hz: {got:.4} vs {want:.4}");
        }
    }

    /// |H|² of a Butterworth filter of order n at the warped frequency Ω: 1/(1+Ω^2n) (low-pass),
    /// Ω^2n/(1+Ω^2n) (high-pass).
    fn butterworth_db(high: bool, order: i32, fc: f64, f: f64) -> f64 {
        let fs = 48_000.0;
        let w = (std::f64::consts::PI * f / fs).tan() / (std::f64::consts::PI * fc / fs).tan();
        let p = w.powi(2 * order);
        10.0 * if high { (p / (1.0 + p)).log10() } else { (1.0 / (1.0 + p)).log10() }
    }

    #[test]
    fn pass_filters_are_butterworth_at_every_slope() {
        for (slope, order) in [(0.0, 2), (1.0, 4), (2.0, 8)] {
            for (high, fc) in [(true, 80.0), (true, 500.0), (false, 1_000.0), (false, 12_000.0)] {
                let mut pf = PassFilters::<f32>::new(FS);
                let base = if high { 0 } else { 3 };
                pf.set_param(0, base, 1.0);
                pf.set_param(0, base + 1, fc as f32);
                pf.set_param(0, base + 2, slope);
                pf.settle();
                for f in test_freqs(24) {
                    let want = butterworth_db(high, order, fc, f);
                    if want < -60.0 {
                        continue;
                    }
                    let mut p = pf.clone();
                    let got = measured_db(
                        |x| {
                            let mut b = [x];
                            p.process(&mut b);
                            b[0]
                        },
                        f,
                        48_000.0,
                        1 << 16,
                    );
                    assert!((got - want).abs() < 0.05, "order {order} {} {fc} Hz at {f:.1}: {got:.4} vs {want:.4}", if high { "HP" } else { "LP" });
                }
            }
        }
    }

    #[test]
    fn off_pass_filters_are_transparent() {
        let mut pf = PassFilters::<f32>::new(FS);
        let input: Vec<f32> = (0..500).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut buf = input.clone();
        pf.process(&mut buf);
        assert_eq!(buf, input);
    }

    /// Four lanes with four different settings equal four scalar EQs, bit for bit, including while
    /// the parameters glide.
    #[test]
    fn lanes_match_scalar_bit_for_bit() {
        let settings = [(1_000.0, 6.0), (200.0, -4.0), (5_000.0, 2.5), (60.0, 9.0)];
        let mut wide = ChannelEq::<F32x4>::new(FS);
        let mut wide_pf = PassFilters::<F32x4>::new(FS);
        let mut scalar: Vec<(ChannelEq<f32>, PassFilters<f32>)> = (0..4).map(|_| (ChannelEq::new(FS), PassFilters::new(FS))).collect();
        for (lane, (f, g)) in settings.iter().enumerate() {
            for (id, v) in [(5, *f), (6, *g), (14, -*g / 2.0)] {
                wide.set_param(lane, id, v);
                scalar[lane].0.set_param(0, id, v);
            }
            for (id, v) in [(0, 1.0), (1, 40.0 + 30.0 * lane as f32), (2, lane as f32 % 3.0)] {
                wide_pf.set_param(lane, id, v);
                scalar[lane].1.set_param(0, id, v);
            }
        }
        let mut seed = 7u32;
        let mut block = [F32x4::splat(0.0); 100];
        let mut scalar_blocks = [[0.0f32; 100]; 4];
        for _ in 0..50 {
            for (i, x) in block.iter_mut().enumerate() {
                for lane in 0..4 {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let v = (seed >> 8) as f32 / (1 << 24) as f32 - 0.5;
                    x.set_lane(lane, v);
                    scalar_blocks[lane][i] = v;
                }
            }
            wide_pf.process(&mut block);
            wide.process(&mut block);
            for lane in 0..4 {
                scalar[lane].1.process(&mut scalar_blocks[lane]);
                scalar[lane].0.process(&mut scalar_blocks[lane]);
                for i in 0..100 {
                    assert_eq!(block[i].lane(lane).to_bits(), scalar_blocks[lane][i].to_bits());
                }
            }
        }
    }
}
