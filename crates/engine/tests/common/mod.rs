//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]

use mixroom_engine::*;

pub const FS: f32 = 48_000.0;

/// A mixer with `tracks` (channels each), all routed to the master (the last strip).
pub fn tracks_to_master(tracks: &[usize]) -> MixerSpec {
    let master = tracks.len();
    let mut strips: Vec<StripSpec> = tracks
        .iter()
        .enumerate()
        .map(|(i, &ch)| StripSpec::new(&format!("Track {}", i + 1), StripKind::Track { channels: ch }, Some(master)))
        .collect();
    strips.push(StripSpec::new("Master", StripKind::Master, None));
    MixerSpec { sample_rate: FS, tempo_bpm: 120.0, strips }
}

/// Builds an engine and fills every track with `fill(track, channel, frame)`.
pub fn engine(spec: &MixerSpec, frames: usize, fill: impl Fn(usize, usize, usize) -> f32) -> Engine {
    let mut e = Engine::new(spec).expect("valid routing");
    for (s, strip) in spec.strips.iter().enumerate() {
        if let StripKind::Track { channels } = strip.kind {
            for c in 0..channels {
                let buf = e.track_audio_mut(s, c, frames).unwrap();
                for (i, x) in buf.iter_mut().enumerate() {
                    *x = fill(s, c, i);
                }
            }
        }
    }
    e.settle();
    e
}

/// Renders `frames` frames (whole blocks) and returns them.
pub fn run(e: &mut Engine, frames: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (Vec::new(), Vec::new());
    while l.len() < frames {
        let n = e.process(MAX_BLOCK.min(frames - l.len()));
        l.extend_from_slice(&e.output(0)[..n]);
        r.extend_from_slice(&e.output(1)[..n]);
    }
    (l, r)
}

/// Plays past the transport's start ramp.
pub fn start(e: &mut Engine) {
    e.play();
    run(e, 4_800);
}

pub fn noise(seed: u32) -> impl Fn(usize, usize, usize) -> f32 {
    move |s, c, i| {
        let mut x = (i as u32).wrapping_mul(2_654_435_761) ^ seed.wrapping_add((s * 7 + c) as u32).wrapping_mul(40_503);
        x ^= x >> 13;
        x = x.wrapping_mul(1_274_126_177);
        x ^= x >> 16;
        (x >> 8) as f32 / (1 << 24) as f32 - 0.5
    }
}

/// Block sizes for block-size independence tests: 1 … MAX_BLOCK frames, pseudo-random from `seed`.
pub fn random_blocks(mut seed: u32) -> impl FnMut() -> usize {
    move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        1 + (seed >> 16) as usize % MAX_BLOCK
    }
}
