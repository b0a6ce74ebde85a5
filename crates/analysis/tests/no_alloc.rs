//! The master's meters run on the audio thread (the worklet's `process`): adding audio and reading
//! the figures never allocates. A counting global allocator watches 20 s of stereo noise fed in
//! 128-frame quanta, with the figures read every tenth quantum as the worklet reads them.
//!
//! This file is its own test binary with a single test, so no other test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use mixroom_analysis::{Correlation, Loudness};

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

#[test]
fn metering_the_master_allocates_nothing() {
    const RATE: u32 = 48_000;
    let mut x = 1u32;
    let mut noise = || {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (x >> 8) as f32 / (1 << 24) as f32 - 0.5
    };
    let quanta: Vec<([f32; 128], [f32; 128])> = (0..RATE as usize * 20 / 128).map(|_| (std::array::from_fn(|_| noise()), std::array::from_fn(|_| 0.3 * noise()))).collect();
    let mut loudness = Loudness::new(2, RATE).unwrap();
    let mut correlation = Correlation::new(RATE);
    let mut read = 0.0;
    ARMED.store(true, Ordering::SeqCst);
    for (k, (left, right)) in quanta.iter().enumerate() {
        loudness.add_planar(&[left, right]);
        correlation.add(left, right);
        if k % 10 == 0 {
            let live = loudness.live();
            read += live.short_term.unwrap_or(0.0) + live.integrated.unwrap_or(0.0) + live.range.unwrap_or(0.0) + correlation.value();
        }
    }
    ARMED.store(false, Ordering::SeqCst);
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "the meters allocated on the audio path");
    // The figures were real ones: 20 s of noise has a loudness and a range.
    let live = loudness.live();
    assert!(live.integrated.is_some() && live.range.is_some() && read.is_finite());
}
