//! The analysis of a mix, as a mastering engineer reads it: loudness to EBU R 128 /
//! ITU-R BS.1770-4, phase correlation, and what the streaming services' loudness normalization
//! does to a master. Plain Rust with no web dependency, so the browser's
//! meters and the native `mixroom loudness` read the same numbers.

pub mod correlation;
pub mod loudness;
pub mod streaming;

pub use correlation::Correlation;
pub use loudness::{LiveLoudness, Loudness, LoudnessReport};
