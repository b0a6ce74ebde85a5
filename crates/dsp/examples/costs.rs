//! Cost of each processor per sample (ns), for finding where the render time goes.
use mixroom_dsp::dynamics::*;
use mixroom_dsp::eq::*;
use mixroom_dsp::lanes::F32x4;
use mixroom_dsp::saturation::Saturation;
use mixroom_dsp::stereo::StereoProcessor;
use std::time::Instant;

fn time_lanes(name: &str, mut f: impl FnMut(&mut [F32x4])) {
    let mut buf = vec![F32x4::splat(0.0); 128];
    let mut seed = 1u32;
    let blocks = 4_000;
    let mut best = f64::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..blocks {
            for x in buf.iter_mut() {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                *x = F32x4::splat((seed >> 8) as f32 / (1 << 24) as f32 - 0.5);
            }
            f(&mut buf);
        }
        best = best.min(start.elapsed().as_nanos() as f64 / (blocks * 128) as f64);
    }
    println!("{name:<14} {best:6.1} ns per 4-lane sample (best of 7)");
}

fn time_stereo(name: &str, mut p: Box<dyn StereoProcessor>) {
    let (mut l, mut r) = (vec![0.0f32; 128], vec![0.0f32; 128]);
    let blocks = 4_000;
    let mut seed = 1u32;
    let mut best = f64::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..blocks {
            for i in 0..128 {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                l[i] = (seed >> 8) as f32 / (1 << 24) as f32 - 0.5;
                r[i] = l[i];
            }
            p.process(&mut l, &mut r);
        }
        best = best.min(start.elapsed().as_nanos() as f64 / (blocks * 128) as f64);
    }
    println!("{name:<14} {best:6.1} ns per stereo sample (best of 7)");
}

fn main() {
    let fs = 48_000.0;
    let mut f = PassFilters::<F32x4>::new(fs);
    for l in 0..4 { f.set_param(l, 0, 1.0); }
    time_lanes("filters HP12", |b| f.process(b));
    let mut eq = ChannelEq::<F32x4>::new(fs);
    for l in 0..4 { for id in [2, 6, 10, 14] { eq.set_param(l, id, 2.0); } }
    time_lanes("eq 4 bands", |b| eq.process(b));
    let mut c = Compressor::<F32x4>::new(fs);
    time_lanes("compressor", |b| c.process(b, None));
    let mut g = Gate::<F32x4>::new(fs);
    time_lanes("gate", |b| g.process(b));
    let mut s = Saturation::<F32x4>::new(fs);
    time_lanes("saturation", |b| s.process(b));
    time_stereo("reverb", Box::new(mixroom_dsp::reverb::Reverb::new(fs)));
    time_stereo("delay", Box::new(mixroom_dsp::delay::Delay::new(fs)));
    time_stereo("limiter", Box::new(mixroom_dsp::limiter::Limiter::new(fs)));
    time_stereo("multiband", Box::new(mixroom_dsp::multiband::Multiband::new(fs)));
}
