//! Randomized parameter sweeps (fixed seeds): whatever the settings — in range, out of range, NaN,
//! infinite — and whatever the input — silence after a loud burst (decaying tails), impulses, DC,
//! denormals, +40 dB noise — no processor lets a NaN, an infinity or a denormal out.

use mixroom_dsp::delay::{Delay, Modulation};
use mixroom_dsp::dynamics::*;
use mixroom_dsp::eq::*;
use mixroom_dsp::lanes::{Lanes, F32x4};
use mixroom_dsp::limiter::Limiter;
use mixroom_dsp::multiband::Multiband;
use mixroom_dsp::param::ParamInfo;
use mixroom_dsp::reverb::Reverb;
use mixroom_dsp::saturation::*;
use mixroom_dsp::stereo::StereoProcessor;

const FS: f32 = 48_000.0;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }
    fn unit(&mut self) -> f32 {
        self.next() as f32 / u32::MAX as f32
    }
    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n.max(1)
    }
    /// A parameter value: mostly in range, sometimes far outside it, NaN or infinite.
    fn value(&mut self, p: &ParamInfo) -> f32 {
        match self.below(12) {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => f32::NEG_INFINITY,
            3 => p.min - 10.0 * (p.max - p.min),
            4 => p.max + 10.0 * (p.max - p.min),
            5 => p.min,
            6 => p.max,
            _ => p.min + self.unit() * (p.max - p.min),
        }
    }
    /// One input sample of the current kind of material.
    fn input(&mut self, kind: usize, i: usize) -> f32 {
        match kind {
            0 => 0.0,
            1 => (self.unit() - 0.5) * 200.0,
            2 => if i == 0 { 50.0 } else { 0.0 },
            3 => 1.0e-40,
            4 => 0.7,
            _ => (self.unit() - 0.5) * 2.0,
        }
    }
}

fn clean(x: f32) -> bool {
    x.is_finite() && (x == 0.0 || x.abs() >= f32::MIN_POSITIVE)
}

fn sweep_lanes<P>(name: &str, params: &[ParamInfo], p: &mut P, set: fn(&mut P, usize, usize, f32), process: fn(&mut P, &mut [F32x4])) {
    let mut rng = Rng(name.len() as u64 * 7919);
    let mut buf = vec![F32x4::splat(0.0); 128];
    for block in 0..400 {
        if rng.below(3) == 0 {
            let id = rng.below(params.len());
            let lane = rng.below(4);
            set(p, lane, id, rng.value(&params[id]));
        }
        // Long stretches of silence after loud material: the tails must decay without denormals.
        let kind = if (block / 40) % 2 == 1 { 0 } else { rng.below(6) };
        let n = 1 + rng.below(128);
        for (i, x) in buf[..n].iter_mut().enumerate() {
            for lane in 0..4 {
                x.set_lane(lane, rng.input(kind, i));
            }
        }
        process(p, &mut buf[..n]);
        for x in &buf[..n] {
            for lane in 0..4 {
                assert!(clean(x.lane(lane)), "{name}: block {block} produced {}", x.lane(lane));
            }
        }
    }
    // Still alive: back at the defaults, a tone comes through on every lane (no state was left
    // poisoned by what the sweep threw at it).
    for lane in 0..4 {
        for (id, info) in params.iter().enumerate() {
            set(p, lane, id, info.default);
        }
    }
    let mut energy = [0.0f64; 4];
    for block in 0..100 {
        for (i, x) in buf.iter_mut().enumerate() {
            *x = F32x4::splat(0.5 * ((block * 128 + i) as f32 * 0.0628).sin());
        }
        process(p, &mut buf);
        if block >= 50 {
            for x in &buf {
                for (lane, e) in energy.iter_mut().enumerate() {
                    *e += (x.lane(lane) as f64).powi(2);
                }
            }
        }
    }
    assert!(energy.iter().all(|&e| e > 1.0), "{name}: silent after the sweep: {energy:?}");
}

fn sweep_stereo(name: &str, mut p: Box<dyn StereoProcessor>) {
    let params = p.params();
    let mut rng = Rng(name.len() as u64 * 104_729);
    let (mut l, mut r) = (vec![0.0f32; 128], vec![0.0f32; 128]);
    for block in 0..400 {
        if rng.below(3) == 0 {
            let id = rng.below(params.len());
            p.set_param(id, rng.value(&params[id]));
        }
        if rng.below(50) == 0 {
            p.set_tempo(if rng.below(2) == 0 { f32::NAN } else { rng.unit() * 300.0 });
        }
        let kind = if (block / 40) % 2 == 1 { 0 } else { rng.below(6) };
        let n = 1 + rng.below(128);
        for i in 0..n {
            l[i] = rng.input(kind, i);
            r[i] = rng.input(kind, i);
        }
        p.process(&mut l[..n], &mut r[..n]);
        for (&a, &b) in l[..n].iter().zip(&r[..n]) {
            assert!(clean(a) && clean(b), "{name}: block {block} produced {a}, {b}");
        }
    }
    for (id, info) in params.iter().enumerate() {
        p.set_param(id, info.default);
    }
    p.set_tempo(120.0);
    let mut energy = 0.0f64;
    for block in 0..200 {
        for i in 0..128 {
            l[i] = 0.5 * ((block * 128 + i) as f32 * 0.0628).sin();
            r[i] = l[i];
        }
        p.process(&mut l, &mut r);
        if block >= 100 {
            energy += l.iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
        }
    }
    assert!(energy > 1.0, "{name}: silent after the sweep: {energy}");
}

#[test]
fn lane_processors_never_emit_nan_inf_or_denormals() {
    sweep_lanes("filters", PASS_PARAMS, &mut PassFilters::<F32x4>::new(FS), |p, l, id, v| p.set_param(l, id, v), |p, b| p.process(b));
    sweep_lanes("eq", EQ_PARAMS, &mut ChannelEq::<F32x4>::new(FS), |p, l, id, v| p.set_param(l, id, v), |p, b| p.process(b));
    let mut c = Compressor::<F32x4>::new(FS);
    c.set_linked(0, true);
    c.set_linked(1, true);
    sweep_lanes("compressor", COMPRESSOR_PARAMS, &mut c, |p, l, id, v| p.set_param(l, id, v), |p, b| {
        let key = [F32x4::splat(0.3); 128];
        let n = b.len();
        p.process(b, Some(&key[..n]))
    });
    sweep_lanes("gate", GATE_PARAMS, &mut Gate::<F32x4>::new(FS), |p, l, id, v| p.set_param(l, id, v), |p, b| p.process(b));
    sweep_lanes("de-esser", DEESSER_PARAMS, &mut DeEsser::<F32x4>::new(FS), |p, l, id, v| p.set_param(l, id, v), |p, b| p.process(b));
    sweep_lanes("saturation", SATURATION_PARAMS, &mut Saturation::<F32x4>::new(FS), |p, l, id, v| p.set_param(l, id, v), |p, b| p.process(b));
}

#[test]
fn stereo_processors_never_emit_nan_inf_or_denormals() {
    sweep_stereo("delay", Box::new(Delay::new(FS)));
    sweep_stereo("modulation", Box::new(Modulation::new(FS)));
    sweep_stereo("reverb", Box::new(Reverb::new(FS)));
    sweep_stereo("multiband", Box::new(Multiband::new(FS)));
    sweep_stereo("limiter", Box::new(Limiter::new(FS)));
}
