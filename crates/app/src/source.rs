//! A source of audio as the app keeps it: the samples the engine plays, their level and their
//! waveform overview. The bottom of the app's layers: the store writes these, the sources read them
//! back, the desk lays them out per track.

use mixroom_session::Source;

use crate::audio::TrackAudio;
use crate::waveform::Overview;

/// A source ready to play: its audio for the engine (none held here when it is in storage: the
/// engine streams it), its gated RMS level and its overview.
#[derive(Clone)]
pub struct PreparedSource {
    pub source: mixroom_session::Source,
    pub audio: TrackAudio,
    pub level: f64,
    pub overview: Overview,
    /// The key its records in storage are under (see `mixroom_session::storage`): its content id,
    /// or — imported streaming — the key its import wrote them under before its id was known
    /// (none for the demo's stems).
    pub pages: String,
}

impl PreparedSource {
    /// The content id of imported (stored) audio; none for the demo's stems.
    pub fn audio_id(&self) -> Option<&str> {
        match &self.source {
            Source::Audio { id, .. } => Some(id),
            Source::DemoStem { .. } => None,
        }
    }

    /// Stored audio whose samples are not held here: the engine streams it from storage.
    pub fn in_storage_only(&self) -> bool {
        self.audio.is_empty() && matches!(self.source, Source::Audio { .. })
    }
}


impl PreparedSource {
    /// Imported audio (one `Float32Array` per channel) with content id `id`, ready to play: its
    /// level and overview measured here.
    pub fn imported(id: String, audio: TrackAudio) -> PreparedSource {
        let channels: Vec<Vec<f32>> = audio.iter().map(js_sys::Float32Array::to_vec).collect();
        // Level and overview in one pass.
        let summary = mixroom_session::summary::Summary::of(&channels, 0);
        PreparedSource {
            source: Source::Audio { id: id.clone(), channels: audio.len() as u8, frames: summary.frames },
            level: summary.level_db,
            overview: Overview::of(summary),
            pages: id,
            audio,
        }
    }

    /// A source imported streaming: its pages and overview detail are in storage under `pages`
    /// already (the import worker wrote them), its audio record not until the session is saved.
    pub fn streamed(id: String, pages: String, channels: u8, frames: u64, level: f64, overview: Overview) -> PreparedSource {
        PreparedSource { source: Source::Audio { id, channels, frames }, audio: Vec::new(), level, overview, pages }
    }
}
