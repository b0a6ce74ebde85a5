//! Replays files through the importer, printing what became of each: for inputs the fuzz test
//! (`tests/fuzz.rs`) kept because they panicked or were slow.
//!
//! `cargo run -p mixroom-import --example replay -- target/tmp/import-fuzz/panic-12.bin`
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap();
        let r = mixroom_import::decode(bytes, &path, |_| true);
        println!("{path}: {:?}", r.map(|d| d.frames()));
    }
}
