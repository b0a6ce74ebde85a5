//! How long writing and reading a stored session with a full undo history takes (natively; the
//! browser's wasm is slower by a small factor): `cargo run --release -p mixroom-session --example stored_cost`.
use mixroom_session::{stored::MAX_HISTORY, Session, Stored, ViewState};
use std::time::Instant;

fn main() {
    let mut s = Session::demo_copies(4);
    let mut undo = Vec::new();
    for i in 0..MAX_HISTORY {
        undo.push(s.clone());
        s.tracks[i % 32].strip.fader_db = -(i as f32) / 10.0;
    }
    let stored = Stored { session: s, view: ViewState::default(), undo, redo: Vec::new() };
    let t = Instant::now();
    let json = stored.to_json();
    let write = t.elapsed();
    let t = Instant::now();
    let back = Stored::from_json(&json).unwrap().0;
    let read = t.elapsed();
    assert_eq!(back, stored);
    println!("32 tracks, {MAX_HISTORY} undo steps: {} bytes; write {write:?}, read {read:?}", json.len());
    let value = serde_json::to_value(&stored.session).unwrap();
    let t = Instant::now();
    for _ in 0..100 {
        let _: Session = serde_json::from_value(value.clone()).unwrap();
    }
    let parse = t.elapsed() / 100;
    let t = Instant::now();
    for _ in 0..100 {
        stored.session.validate().unwrap();
    }
    println!("one session: parse {parse:?}, validate {:?}", t.elapsed() / 100);
}
