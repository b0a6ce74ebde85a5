//! FLAC files, written by `flacenc` (no default features: its `par` feature spawns threads).

use crate::DeliveryError;

/// The highest rate `flacenc` encodes (its configuration check refuses more).
pub const MAX_RATE: u32 = 96_000;

/// Frames per FLAC block (the reference encoder's default for 44.1/48 kHz).
const BLOCK: usize = 4096;

/// A FLAC file of `bits`-bit integer samples (16 or 24), given interleaved, `channels` of them.
pub fn encode(interleaved: &[i32], channels: usize, bits: u32, rate: u32) -> Result<Vec<u8>, DeliveryError> {
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;
    let failed = |e: String| DeliveryError::Encoder(format!("the FLAC encoder failed ({e})"));
    if rate > MAX_RATE {
        return Err(DeliveryError::Unsupported(format!("FLAC is written at up to {} kHz here, not {} Hz: choose WAV", MAX_RATE / 1000, rate)));
    }
    let source = flacenc::source::MemSource::from_samples(interleaved, channels, bits as usize, rate as usize);
    let mut config = flacenc::config::Encoder::default();
    // flacenc's default picks the fixed predictor's order by an entropy estimate that ignores its
    // 14-bit cap on Rice parameters, and then keeps that predictor even when it costs more than
    // the raw samples: loud 24-bit noise came out 13 times its raw size. Counting the real bits
    // lets it fall back to verbatim subframes, as the reference encoder does.
    config.subframe_coding.fixed.order_sel = flacenc::config::OrderSel::BitCount;
    // At 24 bits flacenc's fixed predictors went pathological on sparse material: the demo's snare
    // stem (hits, dithered silence, tails) took over 24 GB in 100 s and did not finish. Without
    // them (its LPC covers what they predict, and verbatim what nothing does) the same stem
    // encodes in half a second and 140 MB, to 43 % of its raw size.
    if bits > 16 {
        config.subframe_coding.use_fixed = false;
    }
    let config = config.into_verified().map_err(|(_, e)| failed(format!("{e:?}")))?;
    let mut stream = flacenc::encode_with_fixed_block_size(&config, source, BLOCK).map_err(|e| failed(format!("{e:?}")))?;
    // flacenc 0.5.1 counts the last block in STREAMINFO's minimum block size; FLAC's format says
    // it does not count (the last block may be shorter), and decoders refuse a minimum under 16
    // ("minimum block length is 16 samples"). Set as the reference encoder sets it.
    stream.stream_info_mut().set_block_sizes(BLOCK, BLOCK).map_err(|e| failed(format!("{e:?}")))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).map_err(|e| failed(format!("{e:?}")))?;
    Ok(sink.as_slice().to_vec())
}

/// Frames per block, for tests that cross a block's end.
pub const BLOCK_FRAMES: usize = BLOCK;
