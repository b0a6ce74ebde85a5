//! The audio path never allocates: a counting global allocator watches `process`, parameter changes
//! and the transport while a whole session renders.
//!
//! This file is its own test binary with a single test, so no other test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use mixroom_engine::{Engine, MasterParam, TrackParam, MAX_BLOCK};

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

#[test]
fn rendering_with_parameter_changes_allocates_nothing() {
    let frames = 48_000 * 5;
    let mut e = Engine::new(48_000.0);
    for t in 0..8 {
        let track = e.add_track(1 + t % 2, frames);
        for c in 0..(1 + t % 2) {
            for (i, x) in e.track_audio_mut(track, c).unwrap().iter_mut().enumerate() {
                *x = ((i * (t + 1)) as f32 * 0.001).sin() * 0.3;
            }
        }
    }
    e.settle();

    ARMED.store(true, Ordering::SeqCst);
    e.play();
    let mut block = 0;
    while e.is_playing() {
        match block {
            100 => e.set_track_param(3, TrackParam::Fader, -10.0),
            200 => e.set_track_param(5, TrackParam::Solo, 1.0),
            300 => e.set_track_param(2, TrackParam::Pan, -0.6),
            400 => e.set_track_param(5, TrackParam::Solo, 0.0),
            500 => e.set_track_param(1, TrackParam::Mute, 1.0),
            600 => e.set_master_param(MasterParam::Fader, -3.0),
            700 => e.seek(1_000),
            900 => e.stop(),
            _ => {}
        }
        e.process(MAX_BLOCK);
        let _ = e.take_master_peak();
        let _ = e.take_track_peak(block % 8);
        block += 1;
    }
    ARMED.store(false, Ordering::SeqCst);
    assert!(block > 900, "the render should have run until the stop ({block} blocks)");
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "allocations on the audio path");
}
