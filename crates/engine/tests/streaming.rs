//! Streamed track audio: pages read ahead of the play position into fixed pools. A render over
//! streamed audio equals the render over the same audio held whole (the engine's established path)
//! sample for sample — across page boundaries, overlapping clips with fades, a loop's wrap, seeks and
//! any block size; a page that is late plays as silence on its track alone and is counted; Play and
//! seeks wait for the first block.

mod common;

use common::*;
use mixroom_engine::*;

const P: u64 = PAGE_FRAMES as u64;

fn sources(spec: &MixerSpec, frames: usize) -> Vec<Vec<Vec<f32>>> {
    let fill = noise(11);
    spec.strips
        .iter()
        .enumerate()
        .map(|(s, strip)| match strip.kind {
            StripKind::Track { channels } => (0..channels).map(|c| (0..frames).map(|i| fill(s, c, i)).collect()).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Three tracks (mono, stereo, mono): the first plays two overlapping clips with fades from the
/// middle of its source, the second its whole audio from the start, the third one clip late.
fn arranged(e: &mut Engine) {
    let clip = |start, offset, length, fade_in, fade_out| Clip { start, offset, length, gain: 0.7, fade_in, fade_out, ..Clip::whole(0) };
    e.set_clips(0, Some(vec![clip(1_000, 3 * P - 77, 2 * P + 333, 5_000, 9_000), clip(P + 500, 100, 3 * P, 2_000, 2_000)]));
    e.set_clips(2, Some(vec![clip(2 * P + 10, 7, P + 5, 0, 300)]));
}

fn whole(spec: &MixerSpec, audio: &[Vec<Vec<f32>>]) -> Engine {
    let mut e = engine(spec, audio[0][0].len(), |s, c, i| audio[s][c][i]);
    arranged(&mut e);
    e
}

fn streamed(spec: &MixerSpec, audio: &[Vec<Vec<f32>>], slots: usize) -> Engine {
    let mut e = whole(spec, audio);
    for (s, channels) in audio.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
        assert!(e.stream_track(s, channels[0].len() as u64, slots));
    }
    e
}

/// The first `frames` frames (left) of `audio` held whole, played from `at`: what a streamed play
/// from there must sound like.
fn whole_from(spec: &MixerSpec, audio: &[Vec<Vec<f32>>], at: u64, frames: usize) -> Vec<f32> {
    let mut reference = engine(spec, audio[0][0].len(), |s, c, i| audio[s][c][i]);
    reference.seek(at);
    reference.play();
    run(&mut reference, frames).0
}

/// Reads the pages the engine asks for: those `deliver` lets arrive now, and of those asked before,
/// kept in `pending`, those it lets arrive now.
fn read_pages(e: &mut Engine, audio: &[Vec<Vec<f32>>], horizon: u64, pending: &mut Vec<(usize, u32)>, mut deliver: impl FnMut(usize, u32) -> bool) {
    e.plan_reads(horizon, usize::MAX, |s, page| pending.push((s, page)));
    let (now, later): (Vec<_>, Vec<_>) = pending.drain(..).partition(|&(s, page)| deliver(s, page));
    *pending = later;
    for (s, page) in now {
        if e.page_slot(s, page, 0).is_none() {
            continue; // No longer awaited.
        }
        for (c, source) in audio[s].iter().enumerate() {
            let from = page as usize * PAGE_FRAMES;
            let part = &source[from..(from + PAGE_FRAMES).min(source.len())];
            e.page_slot(s, page, c).expect("an awaited page has a slot")[..part.len()].copy_from_slice(part);
        }
        assert!(e.page_arrived(s, page));
    }
}

#[test]
fn an_offline_render_over_streamed_audio_equals_the_render_over_it_whole() {
    let spec = tracks_to_master(&[1, 2, 1]);
    let audio = sources(&spec, 6 * P as usize + 1_234);
    let expected = whole(&spec, &audio).render_all();
    let mut e = streamed(&spec, &audio, 4);
    let got = e.render_reading(expected[0].len(), |_| true, |s, page, c, slot| {
        let from = page as usize * PAGE_FRAMES;
        let part = &audio[s][c][from..(from + PAGE_FRAMES).min(audio[s][c].len())];
        slot[..part.len()].copy_from_slice(part);
    });
    let got = got.unwrap();
    assert!(expected[0].iter().any(|&x| x.abs() > 0.1), "the render has sound");
    assert_eq!(e.underruns(), 0);
    assert!(got == expected, "the renders differ");
}

#[test]
fn playing_streamed_across_pages_and_a_loop_in_any_block_size_equals_the_whole_audio() {
    let spec = tracks_to_master(&[1, 2, 1]);
    let audio = sources(&spec, 6 * P as usize + 1_234);
    let mut reference = whole(&spec, &audio);
    let mut e = streamed(&spec, &audio, 8);
    // A loop across two page boundaries, neither end on one.
    for engine in [&mut reference, &mut e] {
        engine.set_loop(Some((P + 4_321, 3 * P + 99)));
        engine.seek(2 * P + 17);
        engine.play();
    }
    let mut blocks = random_blocks(5);
    let (mut heard, mut want) = (Vec::new(), Vec::new());
    let mut wraps = 0;
    while heard.len() < 8 * P as usize {
        let n = blocks();
        read_pages(&mut e, &audio, 2 * P, &mut Vec::new(), |_, _| true);
        let before = e.position();
        e.process(n);
        reference.process(n);
        wraps += usize::from(e.position() < before);
        heard.extend_from_slice(&e.output(0)[..n]);
        want.extend_from_slice(&reference.output(0)[..n]);
        assert_eq!(e.position(), reference.position());
    }
    assert!(wraps >= 3, "the loop wrapped {wraps} times");
    assert_eq!(e.underruns(), 0, "every page was read ahead in time");
    assert!(heard == want, "the streamed play differs");
}

#[test]
fn a_late_page_is_silence_on_its_track_alone_and_counted() {
    let spec = tracks_to_master(&[1, 1]);
    let frames = 3 * P as usize;
    let audio = sources(&spec, frames);
    // Only track 0 streams, and its reader never brings anything past the first page.
    let mut e = whole(&spec, &audio);
    e.set_clips(0, None);
    e.set_clips(2, None);
    assert!(e.stream_track(0, frames as u64, 4));
    let mut starved = audio.clone();
    starved[0][0][P as usize..].fill(0.0);
    let mut expected = engine(&spec, frames, |s, c, i| starved[s][c][i]);
    e.play();
    expected.play();
    let (mut heard, mut want, mut pending) = (Vec::new(), Vec::new(), Vec::new());
    while heard.len() < frames {
        read_pages(&mut e, &audio, 2 * P, &mut pending, |s, page| s != 0 || page == 0);
        e.process(MAX_BLOCK);
        expected.process(MAX_BLOCK);
        heard.extend_from_slice(&e.output(0)[..MAX_BLOCK]);
        want.extend_from_slice(&expected.output(0)[..MAX_BLOCK]);
    }
    assert!(heard == want, "track 1 plays on, track 0 is silent where its pages are missing");
    assert!(want[P as usize..].iter().any(|&x| x.abs() > 0.1));
    assert_eq!(e.underruns(), (frames as u64 - P) / MAX_BLOCK as u64, "one underrun per block without its page");
}

#[test]
fn play_after_a_seek_waits_for_the_first_block_then_plays_it_from_the_seek() {
    let spec = tracks_to_master(&[2]);
    let audio = sources(&spec, 4 * P as usize);
    let mut e = streamed(&spec, &audio, 4);
    e.set_clips(0, None);
    let mut pending = Vec::new();
    e.play();
    read_pages(&mut e, &audio, P, &mut pending, |_, _| true);
    run(&mut e, 4_800);
    let at = 2 * P + 1_000;
    e.seek(at);
    // Nothing read yet: silence, and the position stays.
    for _ in 0..10 {
        read_pages(&mut e, &audio, P, &mut pending, |_, _| false);
        e.process(MAX_BLOCK);
        assert!(e.output(0).iter().chain(e.output(1)).all(|&x| x == 0.0));
        assert_eq!(e.position(), at);
    }
    assert_eq!(e.underruns(), 0, "waiting is not an underrun");
    // Read: it plays from the seek, fading in over the transport's 3 ms.
    assert!(!pending.is_empty());
    read_pages(&mut e, &audio, P, &mut pending, |_, _| true);
    let (heard, _) = run(&mut e, 2_048);
    let want = whole_from(&spec, &audio, at, 2_048);
    assert!(heard[0].abs() < 0.01, "it fades in: {}", heard[0]);
    assert!(heard[1_024..] == want[1_024..], "after the fade-in, the audio from the seek");
    assert_eq!(e.position(), at + 2_048);
}

#[test]
fn a_reader_that_never_answers_holds_play_back_a_second_at_most() {
    let spec = tracks_to_master(&[1]);
    let audio = sources(&spec, 4 * P as usize);
    let mut e = streamed(&spec, &audio, 4);
    e.set_clips(0, None);
    e.play();
    let mut waited = 0;
    while e.position() == 0 {
        e.process(MAX_BLOCK);
        waited += MAX_BLOCK;
    }
    assert!((48_000..48_000 + 2 * MAX_BLOCK).contains(&waited), "waited {waited} frames");
    assert!(e.underruns() > 0, "it plays on, counting");
}

#[test]
fn reads_are_planned_in_play_order_every_track_in_turn_and_through_the_loop_start() {
    let spec = tracks_to_master(&[1, 1]);
    let audio = sources(&spec, 8 * P as usize);
    let mut e = streamed(&spec, &audio, 8);
    e.set_clips(0, None);
    e.set_clips(1, None);
    e.set_loop(Some((3 * P + 100, 5 * P + 7)));
    e.seek(5 * P - 10);
    let mut asked = Vec::new();
    // Four at most this round…
    assert_eq!(e.plan_reads(2 * P, 4, |s, page| asked.push((s, page))), 4);
    // …and the rest at the next.
    e.plan_reads(2 * P, usize::MAX, |s, page| asked.push((s, page)));
    // From 5P − 10 to the loop's end (pages 4 and 5), then on from its start (pages 3 and 4).
    assert_eq!(asked, [(0, 4), (1, 4), (0, 5), (1, 5), (0, 3), (1, 3)]);
    // Asked again, nothing new: they are awaited.
    let mut again = 0;
    e.plan_reads(2 * P, usize::MAX, |_, _| again += 1);
    assert_eq!(again, 0);
}

#[test]
fn the_most_clips_sounding_at_once_are_counted_from_where_each_starts() {
    let clip = |start, length| Clip { start, length, ..Clip::whole(0) };
    assert_eq!(clip::most_at_once(&[]), 1, "no clips: the source plays once");
    assert_eq!(clip::most_at_once(&[clip(0, 100), clip(100, 100), clip(300, 50)]), 1, "end to end is not together");
    assert_eq!(clip::most_at_once(&[clip(0, 100), clip(50, 100), clip(120, 80), clip(300, 100)]), 2);
    assert_eq!(clip::most_at_once(&[clip(0, 1_000), clip(10, 20), clip(15, 100), clip(500, 0)]), 3, "an empty clip never sounds");
}

#[test]
fn a_pool_grows_with_the_clips_sounding_at_once_and_keeps_the_pages_it_holds() {
    let spec = tracks_to_master(&[1]);
    let frames = 12 * P as usize;
    let audio = sources(&spec, frames);
    let mut e = engine(&spec, frames, |s, c, i| audio[s][c][i]);
    let clip = |start, offset, length| Clip { start, offset, length, ..Clip::whole(0) };
    e.set_clips(0, Some(vec![clip(0, 0, 4 * P), clip(2 * P, 6 * P, 4 * P)]));
    assert!(e.stream_track(0, frames as u64, 3));
    assert_eq!(e.stream_slots(), 6, "two clips together: two layers of three");
    // The first stretch's pages read in.
    let mut first = Vec::new();
    read_pages(&mut e, &audio, 3 * P, &mut Vec::new(), |_, page| {
        first.push(page);
        true
    });
    assert!(first.contains(&0) && first.contains(&6), "both clips' first pages were read: {first:?}");
    // A third clip over the first two: the pool grows, and the pages in stay in (not asked again).
    e.set_clips(0, Some(vec![clip(0, 0, 4 * P), clip(2 * P, 6 * P, 4 * P), clip(P, 10 * P, 2 * P)]));
    assert_eq!(e.stream_slots(), 9);
    let mut again = Vec::new();
    e.plan_reads(3 * P, usize::MAX, |_, page| again.push(page));
    assert!(again.contains(&10), "the new clip's page is asked for: {again:?}");
    assert!(again.iter().all(|p| !first.contains(p)), "pages held are asked for again: {again:?}");
    // Fewer together again: the pool is not shrunk under pages that may be playing.
    e.set_clips(0, None);
    assert_eq!(e.stream_slots(), 9);
    // Played through with the three clips (the reads above answered), it sounds as the whole audio does.
    read_pages(&mut e, &audio, 3 * P, &mut again.iter().map(|&p| (0, p)).collect(), |_, _| true);
    let mut reference = engine(&spec, frames, |s, c, i| audio[s][c][i]);
    let three = vec![clip(0, 0, 4 * P), clip(2 * P, 6 * P, 4 * P), clip(P, 10 * P, 2 * P)];
    e.set_clips(0, Some(three.clone()));
    reference.set_clips(0, Some(three));
    let (mut heard, mut want) = (Vec::new(), Vec::new());
    e.play();
    reference.play();
    while heard.len() < 6 * P as usize {
        read_pages(&mut e, &audio, 2 * P, &mut Vec::new(), |_, _| true);
        e.process(MAX_BLOCK);
        reference.process(MAX_BLOCK);
        heard.extend_from_slice(&e.output(0)[..MAX_BLOCK]);
        want.extend_from_slice(&reference.output(0)[..MAX_BLOCK]);
    }
    assert_eq!(e.underruns(), 0, "three layers of read-ahead fit");
    assert!(want.iter().any(|&x| x.abs() > 0.1));
    assert!(heard == want, "the streamed play differs");
}

#[test]
fn a_seek_near_the_end_of_a_page_held_waits_for_the_next_page_too() {
    let spec = tracks_to_master(&[1]);
    let audio = sources(&spec, 4 * P as usize);
    let mut e = streamed(&spec, &audio, 4);
    e.set_clips(0, None);
    // The first page read and playing.
    e.play();
    read_pages(&mut e, &audio, P, &mut Vec::new(), |_, _| true);
    for _ in 0..4 {
        e.process(MAX_BLOCK);
    }
    // A seek a few blocks before that page's end: the page is held, the next one is not.
    let at = P - 3 * MAX_BLOCK as u64 - 17;
    e.seek(at);
    let mut pending = Vec::new();
    for _ in 0..10 {
        read_pages(&mut e, &audio, PRIME_FRAMES, &mut pending, |_, _| false);
        e.process(MAX_BLOCK);
        assert!(e.output(0).iter().all(|&x| x == 0.0), "silence until what it plays next is in");
        assert_eq!(e.position(), at);
    }
    assert!(pending.contains(&(0, 1)), "the next page is asked for: {pending:?}");
    read_pages(&mut e, &audio, PRIME_FRAMES, &mut pending, |_, _| true);
    let (heard, _) = run(&mut e, 2 * 1_024);
    let want = whole_from(&spec, &audio, at, 2 * 1_024);
    assert_eq!(e.underruns(), 0, "no block ran into the page after");
    assert!(heard[1_024..] == want[1_024..], "after the fade-in, the audio from the seek, across the page boundary");
}
