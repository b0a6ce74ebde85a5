//! Clips on the timeline and the loop region.

mod common;
use common::*;
use mixroom_engine::*;

/// A stereo track whose audio is its own frame index (so the output says which frame played).
fn ramp_engine(frames: usize) -> Engine {
    let spec = tracks_to_master(&[2]);
    engine(&spec, frames, |_, _, i| i as f32)
}

#[test]
fn clips_play_their_slices_where_they_are_placed() {
    let mut e = ramp_engine(10_000);
    let clips = vec![
        Clip { start: 1_000, offset: 5_000, length: 500, ..Clip::whole(0) },
        Clip { start: 3_000, offset: 100, length: 200, gain: 0.5, ..Clip::whole(0) },
    ];
    e.set_clips(0, Some(clips));
    e.set_length(4_000);
    let [l, _] = e.render_all();
    assert_eq!(l.len(), 4_000);
    assert_eq!(l[999], 0.0);
    assert_eq!(l[1_000], 5_000.0);
    assert_eq!(l[1_499], 5_499.0);
    assert_eq!(l[1_500], 0.0);
    assert_eq!(l[3_000], 50.0);
    assert_eq!(l[3_199], 149.5);
    // A clip beyond the session length extends it.
    e.set_clips(0, Some(vec![Clip { start: 9_000, offset: 0, length: 3_000, ..Clip::whole(0) }]));
    assert_eq!(e.length(), 12_000);
}

#[test]
fn the_loop_region_repeats_sample_exactly_whatever_the_block_size() {
    let render = |block: usize| {
        let mut e = ramp_engine(10_000);
        e.set_loop(Some((1_000, 2_300)));
        e.play();
        let mut out = Vec::new();
        while out.len() < 6_000 {
            let n = e.process(block);
            out.extend_from_slice(&e.output(0)[..n]);
        }
        out.truncate(6_000);
        out
    };
    let reference = render(1);
    // Frames 0–2299 play straight, then 1000–2299 again and again.
    assert_eq!(reference[2_299], 2_299.0);
    assert_eq!(reference[2_300], 1_000.0);
    assert_eq!(reference[2_300 + 1_300], 1_000.0);
    assert_eq!(reference[5_999], (1_000 + (5_999 - 2_300) % 1_300) as f32);
    assert_eq!(render(128), reference);
    assert_eq!(render(77), reference);
}

#[test]
fn without_a_loop_playback_ends_at_the_session_end() {
    let mut e = ramp_engine(3_000);
    e.set_loop(Some((500, 500)));
    e.play();
    let mut frames = 0;
    while e.is_playing() && frames < 10_000 {
        frames += e.process(128);
    }
    assert!(frames <= 3_072, "{frames}");
}
