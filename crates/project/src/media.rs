//! A source's audio as a project file holds it: lossless, and as compact as it can be.
//!
//! - **FLAC** for sources whose samples are exact 16- or 24-bit values — everything imported from
//!   an integer file at the session's rate (a sample `x` is exact at `b` bits when `x · 2^(b−1)` is
//!   an integer in range: the scaling every decoder uses, so decoding gives back the same floats).
//!   Written with `flacenc`, read with symphonia (through `mixroom-import`).
//! - **Integer WAV** for such sources above 96 kHz, where `flacenc` stops.
//! - **32-bit float WAV** for every other source (resampled on import, or made of floats).
//!
//! Either way the samples come back bit for bit: the reader hashes them again and checks them
//! against the source's content id.


use crate::ProjectError;

/// How a source's audio is stored in a project file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Flac16,
    Flac24,
    Pcm16,
    Pcm24,
    Float32,
}

impl Encoding {
    /// The file extension of its entry.
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Flac16 | Encoding::Flac24 => "flac",
            Encoding::Pcm16 | Encoding::Pcm24 | Encoding::Float32 => "wav",
        }
    }

    /// At most this many bytes per sample, stored (the reader's cap on an entry's size).
    pub fn bytes_per_sample(self) -> u64 {
        match self {
            Encoding::Flac16 | Encoding::Pcm16 => 2,
            // FLAC of noise can come out a little larger than the raw samples.
            Encoding::Flac24 | Encoding::Pcm24 => 3,
            Encoding::Float32 => 4,
        }
    }
}

/// The bit depth at which every sample is exact, if 16 or 24 bits are enough.
fn exact_bits(channels: &[Vec<f32>]) -> Option<u32> {
    [16u32, 24].into_iter().find(|&bits| {
        let scale = (1u32 << (bits - 1)) as f32;
        let (low, high) = (-scale, scale - 1.0);
        channels.iter().flatten().all(|&x| {
            let v = x * scale;
            // Exact when the integer, scaled back as every decoder does (a division by a power of
            // two, exact in f32), gives the very same bits: −0.0, which an integer cannot hold, is
            // not.
            v.fract() == 0.0 && (low..=high).contains(&v) && ((v as i32) as f32 / scale).to_bits() == x.to_bits()
        })
    })
}

/// The samples as integers at `bits`, one list per channel (exact: see [`exact_bits`]).
fn ints(channels: &[Vec<f32>], bits: u32) -> Vec<Vec<i32>> {
    let scale = (1u32 << (bits - 1)) as f32;
    channels.iter().map(|c| c.iter().map(|&x| (x * scale) as i32).collect()).collect()
}

/// Encodes one source: how, and the bytes of its entry.
pub fn encode(channels: &[Vec<f32>], rate: u32) -> Result<(Encoding, Vec<u8>), ProjectError> {
    match exact_bits(channels) {
        Some(bits) if rate <= mixroom_delivery::flac::MAX_RATE => flac(channels, rate, bits).map(|b| (if bits == 16 { Encoding::Flac16 } else { Encoding::Flac24 }, b)),
        Some(bits) => wav_int(channels, rate, bits).map(|b| (if bits == 16 { Encoding::Pcm16 } else { Encoding::Pcm24 }, b)),
        None => wav_float(channels, rate).map(|b| (Encoding::Float32, b)),
    }
}

// The encoders are delivery's (the same FLAC and WAV writers a delivered mix is written with).
fn flac(channels: &[Vec<f32>], rate: u32, bits: u32) -> Result<Vec<u8>, ProjectError> {
    let ints = ints(channels, bits);
    let frames = ints.first().map_or(0, Vec::len);
    let interleaved: Vec<i32> = (0..frames).flat_map(|i| ints.iter().map(move |c| c[i])).collect();
    mixroom_delivery::flac::encode(&interleaved, channels.len(), bits, rate).map_err(written)
}

fn wav_int(channels: &[Vec<f32>], rate: u32, bits: u32) -> Result<Vec<u8>, ProjectError> {
    mixroom_delivery::wav::encode_int(&ints(channels, bits), rate, bits).map_err(written)
}

fn wav_float(channels: &[Vec<f32>], rate: u32) -> Result<Vec<u8>, ProjectError> {
    mixroom_delivery::wav::encode_float(channels, rate).map_err(written)
}

fn written(e: mixroom_delivery::DeliveryError) -> ProjectError {
    ProjectError::Write(e.to_string())
}

/// Decodes an entry back into its channels (at the rate it was written at, which the caller
/// checks), with the reader's own decoder.
pub fn decode(bytes: Vec<u8>, name: &str) -> Result<(u32, Vec<Vec<f32>>), String> {
    let decoded = mixroom_import::decode(bytes, name, |_| true).map_err(|e| e.to_string())?;
    Ok((decoded.sample_rate, decoded.channels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(channels: usize, frames: usize, bits: Option<u32>) -> Vec<Vec<f32>> {
        let mut seed = 0x1234_5678u32;
        (0..channels)
            .map(|c| {
                (0..frames)
                    .map(|i| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        let x = 0.6 * ((i as f32) * 0.01 * (c + 1) as f32).sin() + 0.1 * (seed as f32 / u32::MAX as f32 - 0.5);
                        match bits {
                            // (+ 0.0: an integer file has no −0.0.)
                            Some(b) => (x * (1u32 << (b - 1)) as f32).round() / (1u32 << (b - 1)) as f32 + 0.0,
                            None => x,
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn every_kind_of_source_comes_back_bit_for_bit() {
        // Lengths that are and are not whole FLAC blocks (the last block shorter than the others
        // is where flacenc 0.5.1 is said to slip).
        const BLOCK: usize = mixroom_delivery::flac::BLOCK_FRAMES;
        for frames in [BLOCK * 3, BLOCK * 3 + 1, 1_000, 1] {
            for (bits, rate, expected) in [(Some(16), 48_000, Encoding::Flac16), (Some(24), 44_100, Encoding::Flac24), (Some(24), 192_000, Encoding::Pcm24), (Some(16), 176_400, Encoding::Pcm16), (None, 48_000, Encoding::Float32)] {
                for channels in [1, 2] {
                    let audio = signal(channels, frames, bits);
                    let (encoding, bytes) = encode(&audio, rate).unwrap();
                    assert_eq!(encoding, expected, "{frames} frames, {bits:?} bits at {rate}");
                    let (back_rate, back) = decode(bytes, &format!("x.{}", encoding.extension())).unwrap_or_else(|e| panic!("{frames} frames, {channels} channels, {bits:?} bits at {rate} Hz as {encoding:?}: {e}"));
                    assert_eq!(back_rate, rate);
                    assert_eq!(back.len(), channels);
                    for (a, b) in audio.iter().zip(&back) {
                        assert_eq!(a.len(), b.len(), "{frames} frames as {encoding:?}");
                        assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "{frames} frames as {encoding:?}: samples differ");
                    }
                }
            }
        }
    }

    /// Loud noise cannot be predicted: FLAC then stores it verbatim, a little over its raw size,
    /// never many times it (flacenc's default did, at 24 bits: see `flac`).
    #[test]
    fn what_cannot_be_compressed_costs_its_raw_size() {
        for bits in [16u32, 24] {
            let scale = (1u32 << (bits - 1)) as f32;
            let mut x = 99u32;
            let noise: Vec<Vec<f32>> = (0..2)
                .map(|_| {
                    (0..24_001)
                        .map(|_| {
                            x ^= x << 13;
                            x ^= x >> 17;
                            x ^= x << 5;
                            ((x as f32 / u32::MAX as f32 - 0.5) * 1.8 * scale).round() / scale + 0.0
                        })
                        .collect()
                })
                .collect();
            let (encoding, bytes) = encode(&noise, 48_000).unwrap();
            assert_eq!(encoding.extension(), "flac");
            let raw = 2 * 24_001 * bits as usize / 8;
            assert!(bytes.len() < raw + raw / 50, "{bits}-bit noise: {} bytes for {raw} raw", bytes.len());
        }
    }

    #[test]
    fn depth_is_found_from_the_samples() {
        assert_eq!(exact_bits(&signal(2, 500, Some(16))), Some(16));
        assert_eq!(exact_bits(&signal(2, 500, Some(24))), Some(24));
        assert_eq!(exact_bits(&signal(2, 500, None)), None);
        // Full scale positive is not a 16-bit value (32768 is out of range); full scale negative is.
        assert_eq!(exact_bits(&[vec![1.0]]), None);
        assert_eq!(exact_bits(&[vec![-1.0, 0.5]]), Some(16));
        // −0.0 is no integer's: stored as one, it would come back +0.0, another content id.
        assert_eq!(exact_bits(&[vec![0.5, -0.0]]), None);
    }
}
