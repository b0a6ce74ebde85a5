//! WAV files — integer ones written by `hound`, float ones here — with the tags a delivery carries: a `LIST`/`INFO` chunk (title,
//! artist, date, comment, software — what players and DAWs show) and a Broadcast Wave `bext`
//! chunk (EBU Tech 3285 v2: description, originator, date, loudness figures, coding history —
//! what mastering and broadcast tools read). Both go between `fmt ` and `data`, where readers
//! look for them; hound writes neither, so they are inserted into the file.

use std::io::Cursor;

use crate::{DeliveryError, Tags};

fn failed(e: hound::Error) -> DeliveryError {
    DeliveryError::Encoder(format!("the WAV writer failed ({e})"))
}

fn spec(channels: usize, rate: u32, bits: u16, format: hound::SampleFormat) -> hound::WavSpec {
    hound::WavSpec { channels: channels as u16, sample_rate: rate, bits_per_sample: bits, sample_format: format }
}

/// A WAV file of integer samples (`bits` 16 or 24), one list per channel.
pub fn encode_int(channels: &[Vec<i32>], rate: u32, bits: u32) -> Result<Vec<u8>, DeliveryError> {
    let mut out = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec(channels.len(), rate, bits as u16, hound::SampleFormat::Int)).map_err(failed)?;
    for i in 0..channels.first().map_or(0, Vec::len) {
        for c in channels {
            w.write_sample(c[i]).map_err(failed)?;
        }
    }
    w.finalize().map_err(failed)?;
    Ok(out.into_inner())
}

/// A 32-bit float WAV file, one list per channel: `WAVE_FORMAT_IEEE_FLOAT` with an 18-byte `fmt `
/// and a `fact` chunk, as the RIFF rules for non-PCM data have it and SoX and libsndfile write it.
/// (hound writes float as `WAVE_FORMAT_EXTENSIBLE` without the extension's fields filled as
/// readers expect — SoX warns of a "missing extended part of fmt chunk" — and its float files are
/// reported to play distorted in Firefox; this plain form is what every reader knows.)
pub fn encode_float(channels: &[Vec<f32>], rate: u32) -> Result<Vec<u8>, DeliveryError> {
    let frames = channels.first().map_or(0, Vec::len);
    let data_len = frames as u64 * channels.len() as u64 * 4;
    if data_len > u32::MAX as u64 - 64 || channels.is_empty() || channels.len() > u16::MAX as usize {
        return Err(DeliveryError::Unsupported(format!("{frames} frames of {} channels do not fit a WAV file (4 GB)", channels.len())));
    }
    let block = channels.len() as u16 * 4;
    let mut fmt = Vec::with_capacity(18);
    fmt.extend_from_slice(&3u16.to_le_bytes()); // WAVE_FORMAT_IEEE_FLOAT
    fmt.extend_from_slice(&(channels.len() as u16).to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * block as u32).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&32u16.to_le_bytes());
    fmt.extend_from_slice(&0u16.to_le_bytes()); // cbSize: no extension
    let mut out = Vec::with_capacity(64 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((4 + 8 + 18 + 12 + 8 + data_len) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend(chunk(b"fmt ", &fmt));
    out.extend(chunk(b"fact", &(frames as u32).to_le_bytes()));
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    for i in 0..frames {
        for c in channels {
            out.extend_from_slice(&c[i].to_le_bytes());
        }
    }
    Ok(out)
}

/// A chunk: id, size, body, and the pad byte RIFF wants after an odd size.
fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(8 + body.len() + 1);
    c.extend_from_slice(id);
    c.extend_from_slice(&(body.len() as u32).to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

/// Brings a chunk's body to an even length with a NUL: RIFF pads odd chunks with a byte that not
/// every reader skips (hound does not), and a text ending in one more NUL reads the same.
fn even(body: &mut Vec<u8>) {
    if body.len() % 2 == 1 {
        body.push(0);
    }
}

/// `text` in a fixed field of `n` bytes (cut at a character boundary, padded with NULs).
fn field(text: &str, n: usize) -> Vec<u8> {
    let mut end = text.len().min(n);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut f = text.as_bytes()[..end].to_vec();
    f.resize(n, 0);
    f
}

/// The `LIST`/`INFO` chunk of the tags filled in (none when none is).
fn info(tags: &Tags) -> Option<Vec<u8>> {
    let entries: Vec<(&[u8; 4], &str)> = [(b"INAM", tags.title.as_str()), (b"IART", tags.artist.as_str()), (b"ICRD", tags.date.as_str()), (b"ICMT", tags.session.as_str())]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    if entries.is_empty() {
        return None;
    }
    let mut body = b"INFO".to_vec();
    for (id, value) in entries.into_iter().chain([(b"ISFT", "Mixroom")]) {
        // INFO strings are NUL-terminated.
        let mut text = value.as_bytes().to_vec();
        text.push(0);
        even(&mut text);
        body.extend(chunk(id, &text));
    }
    Some(chunk(b"LIST", &body))
}

/// The `bext` chunk (EBU Tech 3285, version 2): the title as its description, Mixroom as its
/// originator, the session as its reference, the date, the loudness figures (in hundredths, or
/// 0x7FFF where unknown) and a coding history line.
fn bext(tags: &Tags, rate: u32, bits: u32, channels: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(640);
    b.extend(field(&tags.title, 256));
    b.extend(field("Mixroom", 32));
    b.extend(field(&tags.session, 32));
    // OriginationDate is yyyy-mm-dd: only a date in that form is carried.
    let date = tags.date.trim();
    let is_date = date.len() == 10 && date.char_indices().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    b.extend(field(if is_date { date } else { "" }, 10));
    b.extend(field("", 8));
    b.extend_from_slice(&0u64.to_le_bytes()); // TimeReference
    b.extend_from_slice(&2u16.to_le_bytes()); // Version
    b.extend_from_slice(&[0u8; 64]); // UMID
    let hundredths = |v: Option<f64>| v.filter(|v| v.is_finite()).map_or(0x7fff_i16, |v| (v * 100.0).round().clamp(-32_767.0, 32_766.0) as i16);
    let l = tags.loudness.as_ref();
    for v in [l.and_then(|l| l.integrated), l.and_then(|l| l.range), l.and_then(|l| l.true_peak), l.and_then(|l| l.momentary_max), l.and_then(|l| l.short_term_max)] {
        b.extend_from_slice(&hundredths(v).to_le_bytes());
    }
    b.extend_from_slice(&[0u8; 180]); // Reserved
    let mode = if channels == 1 { "mono" } else { "stereo" };
    let kind = if bits == 32 { "PCM (float)" } else { "PCM" };
    b.extend_from_slice(format!("A={kind},F={rate},W={bits},M={mode},T=Mixroom\r\n").as_bytes());
    even(&mut b);
    chunk(b"bext", &b)
}

/// `wav` (as hound writes it) with the tags' chunks inserted before its `data` chunk and the RIFF
/// size set again; unchanged when no tag is filled in.
pub fn with_tags(wav: Vec<u8>, tags: &Tags, rate: u32, bits: u32, channels: usize) -> Result<Vec<u8>, DeliveryError> {
    if tags.is_empty() {
        return Ok(wav);
    }
    // Walk the chunks after "RIFF....WAVE" to the data chunk.
    let mut at = 12;
    while at + 8 <= wav.len() && &wav[at..at + 4] != b"data" {
        let size = u32::from_le_bytes([wav[at + 4], wav[at + 5], wav[at + 6], wav[at + 7]]) as usize;
        at += 8 + size + size % 2;
    }
    if at + 8 > wav.len() {
        return Err(DeliveryError::Encoder("the WAV writer's file has no data chunk".into()));
    }
    let mut extra = bext(tags, rate, bits, channels);
    extra.extend(info(tags).unwrap_or_default());
    let mut out = Vec::with_capacity(wav.len() + extra.len());
    out.extend_from_slice(&wav[..at]);
    out.extend_from_slice(&extra);
    out.extend_from_slice(&wav[at..]);
    let riff = u32::try_from(out.len() - 8).map_err(|_| DeliveryError::Encoder("the file is over 4 GB, more than WAV holds".into()))?;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(wav: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut at = 12;
        let mut out = Vec::new();
        while at + 8 <= wav.len() {
            let size = u32::from_le_bytes(wav[at + 4..at + 8].try_into().unwrap()) as usize;
            out.push((String::from_utf8_lossy(&wav[at..at + 4]).into_owned(), wav[at + 8..at + 8 + size].to_vec()));
            at += 8 + size + size % 2;
        }
        out
    }

    #[test]
    fn tags_go_between_fmt_and_data_and_hound_still_reads_the_samples() {
        let tags = Tags { title: "Night Drive (mix 3)".into(), artist: "The Band".into(), date: "2026-11-29".into(), session: "Night Drive".into(), loudness: None };
        let samples = vec![vec![1, -2, 3], vec![4, 5, -6]];
        let wav = with_tags(encode_int(&samples, 48_000, 24).unwrap(), &tags, 48_000, 24, 2).unwrap();
        let ids: Vec<String> = chunks(&wav).into_iter().map(|c| c.0).collect();
        assert_eq!(ids, ["fmt ", "bext", "LIST", "data"]);
        assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize, wav.len() - 8);
        let bext = &chunks(&wav)[1].1;
        assert_eq!(&bext[..19], b"Night Drive (mix 3)");
        assert_eq!(&bext[256..263], b"Mixroom");
        assert_eq!(&bext[320..330], b"2026-11-29");
        assert_eq!(u16::from_le_bytes([bext[346], bext[347]]), 2, "version 2");
        assert_eq!(i16::from_le_bytes([bext[412], bext[413]]), 0x7fff, "loudness unknown");
        assert!(String::from_utf8_lossy(&bext[602..]).starts_with("A=PCM,F=48000,W=24,M=stereo"));
        let list = &chunks(&wav)[2].1;
        let has = |needle: &[u8]| list.windows(needle.len()).any(|w| w == needle);
        assert!(list.starts_with(b"INFO") && has(b"INAM") && has(b"The Band\0") && has(b"ICRD") && has(b"ISFT"));
        let mut reader = hound::WavReader::new(Cursor::new(wav)).unwrap();
        let back: Vec<i32> = reader.samples::<i32>().map(Result::unwrap).collect();
        assert_eq!(back, [1, 4, -2, 5, 3, -6]);
    }

    #[test]
    fn float_is_plain_ieee_float_with_a_fact_chunk_and_reads_back_exactly() {
        let left = vec![0.5f32, -0.25, 1.5, f32::MIN_POSITIVE];
        let right = vec![-1.0f32, 0.0, 0.125, -0.75];
        let wav = encode_float(&[left.clone(), right.clone()], 48_000).unwrap();
        let found = chunks(&wav);
        let ids: Vec<&str> = found.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(ids, ["fmt ", "fact", "data"]);
        let fmt = &found[0].1;
        assert_eq!((fmt.len(), u16::from_le_bytes([fmt[0], fmt[1]]), u16::from_le_bytes([fmt[16], fmt[17]])), (18, 3, 0), "IEEE float, no extension");
        assert_eq!(u32::from_le_bytes(found[1].1[..4].try_into().unwrap()), 4, "fact: the frames");
        assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize, wav.len() - 8);
        let mut reader = hound::WavReader::new(Cursor::new(wav)).unwrap();
        assert_eq!((reader.spec().sample_format, reader.spec().bits_per_sample, reader.spec().sample_rate), (hound::SampleFormat::Float, 32, 48_000));
        let back: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
        let interleaved: Vec<f32> = left.iter().zip(&right).flat_map(|(l, r)| [*l, *r]).collect();
        assert_eq!(back, interleaved);
    }

    #[test]
    fn without_tags_the_file_is_untouched() {
        let plain = encode_float(&[vec![0.5, -0.25]], 44_100).unwrap();
        assert_eq!(with_tags(plain.clone(), &Tags::default(), 44_100, 32, 1).unwrap(), plain);
    }

    #[test]
    fn fixed_fields_cut_at_a_character() {
        assert_eq!(field("ééé", 5), vec![0xc3, 0xa9, 0xc3, 0xa9, 0]);
        assert_eq!(field("ab", 4), b"ab\0\0");
    }
}
