//! A look at a file's header before the decoder sees it: what decoders trip over is mended or
//! refused here, in the user's terms.
//!
//! - **WAV sizes left unwritten.** A recorder that crashed leaves the RIFF and `data` sizes at 0; a
//!   tool writing to a pipe (ffmpeg) cannot seek back and leaves them at 0xFFFFFFFF. Both are
//!   common, and both files hold good audio to their end: the sizes are set to what the file holds,
//!   as players do.
//! - **Sample rates no audio has** (0 Hz, 1 Hz, 4 GHz). A decoder would divide by them, or the
//!   resampler would try to make billions of frames from each one: refused with the rate.

use crate::ImportError;

/// Sample rates a file may have, Hz: from telephone-band oddities to 768 kHz (DXD × 2).
pub const SAMPLE_RATES: core::ops::RangeInclusive<u32> = 1_000..=768_000;

/// The most channels a WAV or AIFF header may declare for Mixroom to read it.
const MAX_HEADER_CHANNELS: u16 = 256;

/// A file's bytes as the header is looked at: a few at a time, anywhere, with mends written back.
/// A file in memory is its own ([`prepare`]); one read in slices keeps its mends aside and lays
/// them over what it reads ([`crate::Patched`]).
pub trait Bytes {
    /// The file's length.
    fn len(&self) -> usize;
    /// The `N` bytes at `at`, if the file has them.
    fn read<const N: usize>(&mut self, at: usize) -> Option<[u8; N]>;
    /// Mends the bytes at `at` (inside the file).
    fn write(&mut self, at: usize, bytes: &[u8]);
}

impl Bytes for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn read<const N: usize>(&mut self, at: usize) -> Option<[u8; N]> {
        self.get(at..at.checked_add(N)?)?.try_into().ok()
    }
    fn write(&mut self, at: usize, bytes: &[u8]) {
        if let Some(b) = self.get_mut(at..at + bytes.len()) {
            b.copy_from_slice(bytes);
        }
    }
}

fn le32(b: &mut (impl Bytes + ?Sized), at: usize) -> Option<u32> {
    b.read(at).map(u32::from_le_bytes)
}

fn le16(b: &mut (impl Bytes + ?Sized), at: usize) -> Option<u16> {
    b.read(at).map(u16::from_le_bytes)
}

fn be32(b: &mut (impl Bytes + ?Sized), at: usize) -> Option<u32> {
    b.read(at).map(u32::from_be_bytes)
}

fn be16(b: &mut (impl Bytes + ?Sized), at: usize) -> Option<u16> {
    b.read(at).map(u16::from_be_bytes)
}

/// Refuses a rate outside [`SAMPLE_RATES`], naming it.
pub fn check_rate(rate: u32) -> Result<(), ImportError> {
    if SAMPLE_RATES.contains(&rate) {
        Ok(())
    } else {
        Err(ImportError::Corrupt(format!("its header says its sample rate is {rate} Hz, which no audio has (Mixroom reads 1 kHz to 768 kHz)")))
    }
}

/// Mends or refuses what the header of a WAV or AIFF file says (other formats pass untouched:
/// their decoders check their own headers).
pub fn prepare(bytes: &mut (impl Bytes + ?Sized)) -> Result<(), ImportError> {
    match (bytes.read::<4>(0), bytes.read::<4>(8)) {
        (Some(riff), Some(wave)) if &riff == b"RIFF" && &wave == b"WAVE" => wav(bytes),
        (Some(form), Some(kind)) if &form == b"FORM" && matches!(&kind, b"AIFF" | b"AIFC") => aiff(bytes),
        _ => Ok(()),
    }
}

fn channels_ok(channels: u16) -> Result<(), ImportError> {
    if (1..=MAX_HEADER_CHANNELS).contains(&channels) {
        Ok(())
    } else {
        Err(ImportError::Corrupt(format!("its header says it has {channels} channels")))
    }
}

/// Walks a WAV's chunks: checks `fmt `, and gives a `data` chunk whose size was never written (0,
/// 0xFFFFFFFF, or past the end of the file) the rest of the file, in whole frames.
fn wav(b: &mut (impl Bytes + ?Sized)) -> Result<(), ImportError> {
    let len = b.len();
    let mut at = 12;
    let mut frame_bytes = 0usize;
    while let (Some(id), Some(size)) = (b.read::<4>(at), le32(b, at + 4)) {
        let body = at + 8;
        match &id {
            b"fmt " => {
                let (tag, channels, rate, align) = (le16(b, body), le16(b, body + 2), le32(b, body + 4), le16(b, body + 12));
                let (Some(tag), Some(channels), Some(rate), Some(align)) = (tag, channels, rate, align) else {
                    return Err(ImportError::Corrupt("its header is cut short".into()));
                };
                channels_ok(channels)?;
                check_rate(rate)?;
                frame_bytes = align as usize;
                // The mask is 4 bytes at 20 of an extensible format chunk of 40; a shorter chunk
                // has none to mend (its bytes there belong to the next chunk).
                if tag == WAVE_FORMAT_EXTENSIBLE && size >= 24 {
                    extensible_mask(b, body + 20, channels)?;
                }
            }
            b"data" => {
                let room = len.saturating_sub(body);
                // A size of 0 is a crash's only if no chunk follows (an empty data chunk before
                // a LIST is a file's own, and its metadata is not audio).
                let unwritten = (size == 0 && !chunk_at(b, body)) || size == u32::MAX || size as usize > room;
                if unwritten {
                    // Whole frames only: a last frame cut short by the crash is dropped.
                    let whole = if frame_bytes > 0 { room - room % frame_bytes } else { room };
                    b.write(at + 4, &(whole.min(u32::MAX as usize - 1) as u32).to_le_bytes());
                    // The RIFF size then covers the file up to the audio's end.
                    let riff = (body + whole - 8).min(u32::MAX as usize) as u32;
                    b.write(4, &riff.to_le_bytes());
                }
                return Ok(());
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        let next = body as u64 + size as u64 + (size as u64 & 1);
        if next >= len as u64 {
            break;
        }
        at = next as usize;
    }
    Ok(())
}

const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Whether a chunk header (four printable characters and a size that fits the file) is at `at`.
fn chunk_at(b: &mut (impl Bytes + ?Sized), at: usize) -> bool {
    let id_ok = b.read::<4>(at).is_some_and(|id| id.iter().all(|c| (0x20..0x7F).contains(c)));
    let len = b.len() as u64;
    id_ok && le32(b, at + 4).is_some_and(|size| at as u64 + 8 + size as u64 <= len)
}

/// An extensible WAV's channel mask names one speaker per channel, in 32 bits. One naming more or
/// fewer speakers than the file has channels (writers get it wrong) is set to the first speakers,
/// one per channel, as the decoder would guess — whose own guess shifts past 32 bits on some
/// masks. More than 32 channels cannot be named by a mask at all.
fn extensible_mask(b: &mut (impl Bytes + ?Sized), at: usize, channels: u16) -> Result<(), ImportError> {
    let Some(mask) = le32(b, at) else { return Ok(()) };
    if channels > 32 {
        return Err(ImportError::TooLarge(format!("{channels} channels in a WAV; Mixroom reads up to 32 from one")));
    }
    if mask.count_ones() != channels as u32 {
        let first = if channels == 32 { u32::MAX } else { (1u32 << channels) - 1 };
        b.write(at, &first.to_le_bytes());
    }
    Ok(())
}

/// AIFF: checks the `COMM` chunk's channels and rate (an 80-bit extended float).
fn aiff(b: &mut (impl Bytes + ?Sized)) -> Result<(), ImportError> {
    let len = b.len();
    let mut at = 12;
    while let (Some(id), Some(size)) = (b.read::<4>(at), be32(b, at + 4)) {
        let body = at + 8;
        if &id == b"COMM" {
            let (Some(channels), Some(rate)) = (be16(b, body), b.read::<10>(body + 8).map(|e| extended(&e))) else {
                return Err(ImportError::Corrupt("its header is cut short".into()));
            };
            channels_ok(channels)?;
            let rate = if rate.is_finite() && rate >= 0.0 && rate <= u32::MAX as f64 { rate.round() as u32 } else { 0 };
            return check_rate(rate);
        }
        let next = body as u64 + size as u64 + (size as u64 & 1);
        if next >= len as u64 {
            break;
        }
        at = next as usize;
    }
    Ok(())
}

/// An IEEE 754 80-bit extended float (AIFF's sample rate), big endian.
fn extended(b: &[u8]) -> f64 {
    let exponent = (u16::from_be_bytes([b[0], b[1]]) & 0x7FFF) as i32;
    let mantissa = u64::from_be_bytes(b[2..10].try_into().expect("ten bytes"));
    let sign = if b[0] & 0x80 != 0 { -1.0 } else { 1.0 };
    if exponent == 0 && mantissa == 0 {
        return 0.0;
    }
    if exponent == 0x7FFF {
        return f64::NAN;
    }
    sign * mantissa as f64 * 2f64.powi(exponent - 16_383 - 63)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit stereo WAV header and `frames` frames, with the sizes as given.
    fn wav_bytes(rate: u32, frames: usize, riff: Option<u32>, data: Option<u32>) -> Vec<u8> {
        let bytes = frames * 4;
        let mut v = Vec::new();
        v.extend(b"RIFF");
        v.extend(riff.unwrap_or(36 + bytes as u32).to_le_bytes());
        v.extend(b"WAVEfmt ");
        v.extend(16u32.to_le_bytes());
        v.extend(1u16.to_le_bytes());
        v.extend(2u16.to_le_bytes());
        v.extend(rate.to_le_bytes());
        v.extend(rate.wrapping_mul(4).to_le_bytes());
        v.extend(4u16.to_le_bytes());
        v.extend(16u16.to_le_bytes());
        v.extend(b"data");
        v.extend(data.unwrap_or(bytes as u32).to_le_bytes());
        v.extend((0..bytes).map(|i| i as u8));
        v
    }

    #[test]
    fn unwritten_wav_sizes_become_what_the_file_holds() {
        for size in [0, u32::MAX] {
            let mut b = wav_bytes(48_000, 1_000, Some(size), Some(size));
            // A frame cut short by the crash, at the end.
            b.extend([1, 2, 3]);
            prepare(&mut b[..]).unwrap();
            assert_eq!(le32(&mut b[..], 40), Some(4_000), "the data size covers the whole frames");
            assert_eq!(le32(&mut b[..], 4), Some(36 + 4_000));
        }
        // Sizes that are right are left alone — an empty data chunk followed by a LIST too.
        let good = wav_bytes(48_000, 1_000, None, None);
        let mut b = good.clone();
        prepare(&mut b[..]).unwrap();
        assert_eq!(b, good);
        let mut empty = wav_bytes(48_000, 0, None, None);
        empty.extend(b"LIST");
        empty.extend(8u32.to_le_bytes());
        empty.extend(b"INFOxxxx");
        let mut b = empty.clone();
        prepare(&mut b[..]).unwrap();
        assert_eq!(b, empty);
    }

    #[test]
    fn rates_no_audio_has_are_refused_with_the_rate() {
        for rate in [0, 1, 999, 768_001, u32::MAX] {
            let e = prepare(&mut wav_bytes(rate, 10, None, None)[..]).unwrap_err();
            assert!(e.to_string().contains(&format!("{rate} Hz")), "{e}");
        }
        assert!(prepare(&mut wav_bytes(8_000, 10, None, None)[..]).is_ok());
    }

    #[test]
    fn aiff_rates_are_read_as_extended_floats() {
        // 44 100 Hz as AIFF writes it.
        assert_eq!(extended(&[0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0]), 44_100.0);
        assert_eq!(extended(&[0; 10]), 0.0);
    }
}
