//! The processors in a lane group's insert chain.

use mixroom_dsp::delay::{Delay, DelayLine, Modulation};
use mixroom_dsp::dynamics::{Compressor, DeEsser, Gate};
use mixroom_dsp::eq::{ChannelEq, PassFilters};
use mixroom_dsp::lanes::{Lanes, F32x4};
use mixroom_dsp::limiter::Limiter;
use mixroom_dsp::multiband::Multiband;
use mixroom_dsp::reverb::Reverb;
use mixroom_dsp::saturation::Saturation;
use mixroom_dsp::stereo::StereoProcessor;
use mixroom_dsp::MAX_BLOCK;

use crate::spec::InsertKind;

/// A processor instance. Lane processors serve every strip of their group (one or two lanes each);
/// a stereo processor serves the single strip of its group, whose left and right are lanes 0 and 1.
pub enum Processor {
    Filters(PassFilters<F32x4>),
    Eq(ChannelEq<F32x4>),
    Compressor(Compressor<F32x4>),
    Gate(Gate<F32x4>),
    DeEsser(DeEsser<F32x4>),
    Saturation(Saturation<F32x4>),
    Stereo(Box<dyn StereoProcessor + Send>),
}

impl Processor {
    /// Control side: a processor with default settings.
    pub fn new(kind: InsertKind, sample_rate: f32) -> Processor {
        match kind {
            InsertKind::Filters => Processor::Filters(PassFilters::new(sample_rate)),
            InsertKind::Eq => Processor::Eq(ChannelEq::new(sample_rate)),
            InsertKind::Compressor => Processor::Compressor(Compressor::new(sample_rate)),
            InsertKind::Gate => Processor::Gate(Gate::new(sample_rate)),
            InsertKind::DeEsser => Processor::DeEsser(DeEsser::new(sample_rate)),
            InsertKind::Saturation => Processor::Saturation(Saturation::new(sample_rate)),
            InsertKind::Delay => Processor::Stereo(Box::new(Delay::new(sample_rate))),
            InsertKind::Reverb => Processor::Stereo(Box::new(Reverb::new(sample_rate))),
            InsertKind::Modulation => Processor::Stereo(Box::new(Modulation::new(sample_rate))),
            InsertKind::Multiband => Processor::Stereo(Box::new(Multiband::new(sample_rate))),
            InsertKind::Limiter => Processor::Stereo(Box::new(Limiter::new(sample_rate))),
        }
    }

    /// Sets a parameter for one lane (lane processors) or for the processor (stereo ones).
    pub fn set_param(&mut self, lane: usize, id: usize, value: f32) {
        match self {
            Processor::Filters(p) => p.set_param(lane, id, value),
            Processor::Eq(p) => p.set_param(lane, id, value),
            Processor::Compressor(p) => p.set_param(lane, id, value),
            Processor::Gate(p) => p.set_param(lane, id, value),
            Processor::DeEsser(p) => p.set_param(lane, id, value),
            Processor::Saturation(p) => p.set_param(lane, id, value),
            Processor::Stereo(p) => p.set_param(id, value),
        }
    }

    /// Sets a parameter as automation plays it: `value` is the curve's `over` samples ahead.
    /// Filters ramp their coefficients to it over those samples, so a curve plays without lag;
    /// the other processors glide to it as they glide to any setting, which their own smoothing
    /// needs.
    pub fn automate(&mut self, lane: usize, id: usize, value: f32, over: usize) {
        match self {
            Processor::Filters(p) => p.automate(lane, id, value, over),
            Processor::Eq(p) => p.automate(lane, id, value, over),
            _ => self.set_param(lane, id, value),
        }
    }

    /// Links a lane with its pair neighbour (stereo strips): dynamics then follow the louder side.
    pub fn set_linked(&mut self, lane: usize, linked: bool) {
        match self {
            Processor::Compressor(p) => p.set_linked(lane, linked),
            Processor::Gate(p) => p.set_linked(lane, linked),
            Processor::DeEsser(p) => p.set_linked(lane, linked),
            _ => {}
        }
    }

    pub fn settle(&mut self) {
        match self {
            Processor::Filters(p) => p.settle(),
            Processor::Eq(p) => p.settle(),
            Processor::Compressor(p) => p.settle(),
            Processor::Saturation(p) => p.settle(),
            Processor::Stereo(p) => p.settle(),
            Processor::Gate(_) | Processor::DeEsser(_) => {}
        }
    }

    pub fn set_tempo(&mut self, bpm: f32) {
        if let Processor::Stereo(p) = self {
            p.set_tempo(bpm);
        }
    }

    pub fn latency(&self) -> usize {
        match self {
            Processor::Stereo(p) => p.latency(),
            _ => 0,
        }
    }

    /// Clears the state of every lane (a new start of playback).
    pub fn reset(&mut self) {
        match self {
            Processor::Filters(p) => (0..4).for_each(|l| p.reset_lane(l)),
            Processor::Eq(p) => (0..4).for_each(|l| p.reset_lane(l)),
            Processor::Compressor(p) => (0..4).for_each(|l| p.reset_lane(l)),
            Processor::Gate(p) => (0..4).for_each(|l| p.reset_lane(l)),
            Processor::DeEsser(p) => (0..4).for_each(|l| p.reset_lane(l)),
            Processor::Saturation(p) => (0..4).for_each(|l| p.reset_lane(l)),
            Processor::Stereo(p) => p.reset(),
        }
    }

    /// Reads and resets the gain reduction of a lane (dB ≥ 0), for the strip's GR meter.
    pub fn take_gain_reduction(&mut self, lane: usize) -> f32 {
        match self {
            Processor::Compressor(p) => p.take_gain_reduction(lane),
            Processor::Gate(p) => p.take_gain_reduction(lane),
            Processor::DeEsser(p) => p.take_gain_reduction(lane),
            Processor::Stereo(p) if lane == 0 => p.take_gain_reduction(),
            _ => 0.0,
        }
    }
}

/// One slot of a group's chain.
pub struct Insert {
    pub kind: InsertKind,
    pub processor: Processor,
    /// 1.0 in the lanes of strips that bypass this slot.
    pub bypass: F32x4,
    /// Lanes keyed by another strip: that strip's id, per lane.
    pub keys: [Option<usize>; 4],
    /// For a stereo processor with latency: the dry signal delayed to match, used when bypassed so
    /// that bypassing never changes the strip's timing.
    pub bypass_delay: Option<[DelayLine; 2]>,
}

impl Insert {
    pub fn all_bypassed(&self, lanes: F32x4) -> bool {
        (0..4).all(|l| lanes.lane(l) == 0.0 || self.bypass.lane(l) >= 1.0)
    }
}

/// Runs a stereo processor on lanes 0 and 1 of `buf`, through two scalar scratch buffers.
pub fn run_stereo(p: &mut (dyn StereoProcessor + Send), buf: &mut [F32x4], scratch: &mut [[f32; MAX_BLOCK]; 2]) {
    let n = buf.len();
    let [l, r] = scratch;
    for i in 0..n {
        let [a, b, _, _] = buf[i].to_array();
        l[i] = a;
        r[i] = b;
    }
    p.process(&mut l[..n], &mut r[..n]);
    for i in 0..n {
        buf[i] = F32x4::from([l[i], r[i], 0.0, 0.0]);
    }
}
