//! The analysis of a mix, as a mastering engineer reads it: loudness to EBU R 128 /
//! ITU-R BS.1770-4. Plain Rust with no web dependency, so the browser's meters and the native
//! `mixroom loudness` read the same numbers.

pub mod loudness;

pub use loudness::{Loudness, LoudnessReport};
