//! Delivering a finished mix: the files it goes out as — WAV at 16 or 24 bits or 32-bit float,
//! FLAC at 16 or 24 bits — dithered wherever the depth is reduced ([`dither`]), tagged where the
//! engineer filled the tags in ([`wav`]), and the mastering hand-off check of such files
//! ([`check`]). Plain Rust, no web dependency: the CLI and the browser run the same code, so the
//! same mix gives the same bytes in both.

pub mod batch;
pub mod bundle;
pub mod check;
pub mod dither;
pub mod flac;
pub mod wav;

pub use dither::Dither;

use mixroom_analysis::LoudnessReport;

/// What a delivered file is: its container and bit depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    pub container: Container,
    /// 16 or 24 (integer), or 32 (float, WAV only).
    pub bits: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Wav,
    Flac,
}

impl Format {
    /// 32-bit float WAV: every sample of the render, as Mixroom exports by default.
    pub const FLOAT_WAV: Format = Format { container: Container::Wav, bits: 32 };

    /// A format by name (`wav`, `flac`) and depth; a clear error for what does not exist.
    pub fn parse(container: &str, bits: u32) -> Result<Format, DeliveryError> {
        let container = match container.to_ascii_lowercase().as_str() {
            "wav" | "wave" => Container::Wav,
            "flac" => Container::Flac,
            other => return Err(DeliveryError::Unsupported(format!("“{other}” is not a format Mixroom delivers: wav or flac"))),
        };
        match (container, bits) {
            (_, 16 | 24) | (Container::Wav, 32) => Ok(Format { container, bits }),
            (Container::Flac, 32) => Err(DeliveryError::Unsupported("FLAC holds integer samples: 16 or 24 bits".into())),
            (_, other) => Err(DeliveryError::Unsupported(format!("{other}-bit files are not delivered: 16, 24 or 32 (float WAV)"))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self.container {
            Container::Wav => "wav",
            Container::Flac => "flac",
        }
    }

    /// Whether the samples are floats (nothing is reduced, nothing dithered).
    pub fn is_float(self) -> bool {
        self.bits == 32
    }
}

/// What a delivered file says about itself (WAV: `LIST`/`INFO` and `bext`), where filled in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tags {
    pub title: String,
    pub artist: String,
    /// The date, as the engineer writes it (`bext` carries it when it is yyyy-mm-dd).
    pub date: String,
    /// The session the file was rendered from.
    pub session: String,
    /// The file's loudness, for `bext` (filled by [`encode`] from the samples when absent).
    pub loudness: Option<LoudnessReport>,
}

impl Tags {
    /// No tag is filled in: the file carries none.
    pub fn is_empty(&self) -> bool {
        [&self.title, &self.artist, &self.date, &self.session].iter().all(|t| t.trim().is_empty())
    }
}

/// Why a file could not be made.
#[derive(Clone, Debug, PartialEq)]
pub enum DeliveryError {
    /// The format asked for does not exist (FLAC at 32 bits, 20 bits, an unknown name).
    Unsupported(String),
    /// An encoder failed.
    Encoder(String),
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::Unsupported(why) | DeliveryError::Encoder(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for DeliveryError {}

/// The file of `channels` (float, one list per channel) at `rate` in `format`: reduced to integers
/// with `dither` (never for float), tagged with `tags`.
pub fn encode(channels: &[Vec<f32>], rate: u32, format: Format, dither: Dither, tags: &Tags) -> Result<Vec<u8>, DeliveryError> {
    if channels.is_empty() || channels.len() > 8 {
        return Err(DeliveryError::Unsupported(format!("{} channels: a delivered file has 1 to 8", channels.len())));
    }
    let ints = (!format.is_float()).then(|| dither::quantize(channels, format.bits, dither, rate));
    match format.container {
        Container::Wav => {
            let wav = match &ints {
                Some(ints) => wav::encode_int(ints, rate, format.bits)?,
                None => wav::encode_float(channels, rate)?,
            };
            let mut tags = tags.clone();
            if !tags.is_empty() && tags.loudness.is_none() {
                let refs: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
                tags.loudness = mixroom_analysis::loudness::measure(&refs, rate).ok();
            }
            wav::with_tags(wav, &tags, rate, format.bits, channels.len())
        }
        Container::Flac => {
            let ints = ints.unwrap_or_default();
            let frames = ints.first().map_or(0, Vec::len);
            let interleaved: Vec<i32> = (0..frames).flat_map(|i| ints.iter().map(move |c| c[i])).collect();
            flac::encode(&interleaved, channels.len(), format.bits, rate)
        }
    }
}

/// The file name a delivery gives a version of a song: `<Song> - <Version>.<ext>`, with what a file
/// system refuses replaced.
pub fn file_name(song: &str, version: &str, format: Format) -> String {
    let clean = |s: &str| -> String {
        let c: String = s.chars().map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '_' } else { c }).collect();
        let t = c.trim().trim_matches('.').to_owned();
        if t.is_empty() { "Untitled".to_owned() } else { t }
    };
    format!("{} - {}.{}", clean(song), clean(version), format.extension())
}
