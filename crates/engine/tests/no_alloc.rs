//! The audio path never allocates: a counting global allocator watches `process`, parameter changes,
//! bypass switches, solos, the transport, a plan swap and streamed tracks' reads while a full
//! session renders.
//!
//! This file is its own test binary with a single test, so no other test's allocations are counted.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::*;
use mixroom_engine::*;

struct Counting;
static ARMED: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Eight tracks with every lane insert, two buses (one keyed by a track), reverb, delay and
/// modulation returns, and a master with multiband and limiter.
fn session() -> MixerSpec {
    let (bus_a, bus_b, verb, delay, master) = (8, 9, 10, 11, 12);
    let mut strips = Vec::new();
    for t in 0..8 {
        let mut s = StripSpec::new(&format!("T{t}"), StripKind::Track { channels: 1 + t % 2 }, Some(if t < 4 { bus_a } else { bus_b }));
        s.inserts = vec![
            InsertSpec::new(InsertKind::Filters).with("hp_on", 1.0),
            InsertSpec::new(InsertKind::Eq).with("lomid_gain", -3.0),
            InsertSpec::new(InsertKind::Compressor),
            InsertSpec::new(InsertKind::Gate),
            InsertSpec::new(InsertKind::DeEsser),
            InsertSpec::new(InsertKind::Saturation),
        ];
        s.sends = vec![SendSpec { target: verb, level_db: -10.0, pre_fader: false, muted: false }, SendSpec { target: delay, level_db: -14.0, pre_fader: t % 2 == 0, muted: false }];
        s.settings.pan = t as f32 / 7.0 * 1.6 - 0.8;
        s.automation = automation(t);
        strips.push(s);
    }
    let mut a = StripSpec::new("Bus A", StripKind::Bus, Some(master));
    a.inserts = vec![InsertSpec { key: Some(0), ..InsertSpec::new(InsertKind::Compressor).with("external", 1.0) }];
    strips.push(a);
    let mut b = StripSpec::new("Bus B", StripKind::Bus, Some(master));
    b.inserts = vec![InsertSpec::new(InsertKind::Modulation)];
    strips.push(b);
    let mut v = StripSpec::new("Verb", StripKind::Return, Some(master));
    v.inserts = vec![InsertSpec::new(InsertKind::Reverb)];
    strips.push(v);
    let mut d = StripSpec::new("Delay", StripKind::Return, Some(master));
    d.inserts = vec![InsertSpec::new(InsertKind::Delay)];
    strips.push(d);
    let mut m = StripSpec::new("Master", StripKind::Master, None);
    m.inserts = vec![InsertSpec::new(InsertKind::Eq), InsertSpec::new(InsertKind::Multiband), InsertSpec::new(InsertKind::Limiter)];
    strips.push(m);
    MixerSpec { sample_rate: FS, tempo_bpm: 120.0, strips }
}

/// Curves on every kind of target: fader, pan, width, trim, mute, both sends' level and on/off,
/// an EQ gain, a filter frequency, a bypass.
fn automation(t: usize) -> Vec<(Target, Curve)> {
    let p = |frame: u64, value: f32| Point { frame, value, shape: if frame % 3 == 0 { Shape::Hold } else { Shape::Bend(0.3) } };
    let ramp = |scale: Scale, a: f32, b: f32| Curve::new(scale, &(0..200).map(|k| p(k * 700 + t as u64, if k % 2 == 0 { a } else { b })).collect::<Vec<_>>(), FS);
    vec![
        (Target::Strip(StripParam::Fader), ramp(Scale::Decibels, -20.0, 0.0)),
        (Target::Strip(StripParam::Pan), ramp(Scale::Linear, -1.0, 1.0)),
        (Target::Strip(StripParam::Width), ramp(Scale::Linear, 0.0, 2.0)),
        (Target::Strip(StripParam::Trim), ramp(Scale::Decibels, -3.0, 3.0)),
        (Target::Strip(StripParam::Mute), ramp(Scale::Switch, 0.0, 1.0)),
        (Target::Send(0, SendParam::Level), ramp(Scale::Decibels, -30.0, 0.0)),
        (Target::Send(1, SendParam::Mute), ramp(Scale::Switch, 0.0, 1.0)),
        (Target::Insert(1, 6), ramp(Scale::Linear, -12.0, 12.0)),
        (Target::Insert(0, 1), ramp(Scale::Log, 40.0, 400.0)),
        (Target::Bypass(5), ramp(Scale::Switch, 0.0, 1.0)),
    ]
}

#[test]
fn rendering_with_changes_and_a_plan_swap_allocates_nothing() {
    let spec = session();
    let mut e = engine(&spec, 48_000 * 3, noise(1));
    // Built on the control side, before the audio side runs: Track 7 re-routed to Bus A.
    let mut rerouted = spec.clone();
    rerouted.strips[7].output = Some(8);
    let mut next_plan = Some(Box::new(Plan::compile(&rerouted).unwrap()));
    let mut old_plan = None;
    // New curves for track 2, and none for track 4, swapped in while playing.
    let mut next_lanes = Some(Box::new(StripLanes::new(&automation(5))));
    let mut no_lanes = Some(Box::new(StripLanes::new(&[])));
    let mut old_lanes = Vec::with_capacity(2);
    // A reference track on the monitor path, following the song, then from its cue over a loop.
    let signal = noise(7);
    let mut reference = ReferencePlayer::new((0..2).map(|c| (0..48_000).map(|i| signal(0, c, i)).collect()).collect(), Follow::Song, 48_000.0);
    // The monitor path: a phone's speaker (filters and its DRC), listen modes switched while
    // playing; the laptop chosen on the control side, faded across on the audio side.
    let mut monitor = Monitor::new(48_000.0);
    monitor.choose_device(Some(Box::new(Simulation::new(DEVICES[0], 48_000.0))));
    let mut laptop = Some(Box::new(Simulation::new(DEVICES[1], 48_000.0)));

    // Tracks 0 and 1 streamed through pools of 6 pages, read as they play (here from memory, as the
    // worklet copies pages from the reader's shared buffers).
    let fill = noise(1);
    let sources: Vec<Vec<Vec<f32>>> = (0..2).map(|s| (0..1 + s % 2).map(|c| (0..48_000 * 3).map(|i| fill(s, c, i)).collect()).collect()).collect();
    for (s, channels) in sources.iter().enumerate() {
        assert!(e.stream_track(s, channels[0].len() as u64, 6));
    }
    let mut requests = [(0usize, 0u32); 64];

    ARMED.store(true, Ordering::SeqCst);
    e.play();
    let mut block = 0;
    while e.is_playing() {
        let mut asked = 0;
        e.plan_reads(4 * PAGE_FRAMES as u64, usize::MAX, |s, page| {
            if asked < requests.len() {
                requests[asked] = (s, page);
                asked += 1;
            }
        });
        for &(s, page) in &requests[..asked] {
            for (c, source) in sources[s].iter().enumerate() {
                let from = page as usize * PAGE_FRAMES;
                let part = &source[from..(from + PAGE_FRAMES).min(source.len())];
                if let Some(slot) = e.page_slot(s, page, c) {
                    slot[..part.len()].copy_from_slice(part);
                }
            }
            e.page_arrived(s, page);
        }
        match block {
            50 => ParamChange::Strip(3, StripParam::Fader, -10.0).apply(&mut e),
            100 => ParamChange::Strip(5, StripParam::Solo, 1.0).apply(&mut e),
            120 => e.set_tap(Some(3)),
            130 => e.set_metered(Some(5)),
            150 => ParamChange::Insert(2, 1, 6, 5.0).apply(&mut e),
            200 => ParamChange::Strip(5, StripParam::Solo, 0.0).apply(&mut e),
            250 => ParamChange::Bypass(12, 2, true).apply(&mut e),
            300 => old_plan = next_plan.take().map(|p| e.swap_plan(p)),
            320 => old_lanes.extend(next_lanes.take().map(|l| e.set_automation(2, l))),
            330 => old_lanes.extend(no_lanes.take().map(|l| e.set_automation(4, l))),
            350 => ParamChange::Send(1, 0, SendParam::Level, 0.0).apply(&mut e),
            400 => e.seek(1_000),
            420 => e.set_loop(Some((48_000, 60_000))),
            440 => e.set_tap(Some(12)),
            460 => e.set_loop(None),
            470 => reference.set_follow(Follow::Cue { cue: 1_000, section: Some((2_000, 2_500)) }),
            480 => monitor.set(Listen::Mono, -20.0, false),
            490 => {
                // (Choosing is the control side's: unarmed, as the worklet's message handler.)
                ARMED.store(false, Ordering::SeqCst);
                monitor.choose_device(laptop.take());
                ARMED.store(true, Ordering::SeqCst);
            }
            500 => {
                e.stop();
            }
            _ => {}
        }
        let song = e.position();
        e.process(MAX_BLOCK);
        reference.render(MAX_BLOCK, e.is_rolling(), song, e.looping(), e.latency() as u64);
        let [left, right] = e.outputs_mut();
        monitor.process(left, right);
        for s in 0..e.strip_count() {
            let _ = e.take_levels(s);
            let _ = e.take_gain_reduction(s);
        }
        block += 1;
    }
    e.play();
    for _ in 0..20 {
        e.process(MAX_BLOCK);
    }
    ARMED.store(false, Ordering::SeqCst);
    drop(old_plan);
    drop(old_lanes);
    assert!(block > 500, "the render should have run until the stop ({block} blocks)");
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "allocations on the audio path");
    assert_eq!(e.underruns(), 0, "every page was read before it played");
}
