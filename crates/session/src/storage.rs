//! How a source's samples and overview detail are keyed in the browser's store (the app's module
//! `store` documents the stores; `www/stored-audio.js` reads the same keys). Here so that the app
//! and the import worker, which writes a streamed import's records itself, key them alike.
//!
//! A source's records are under its *pages key*: its content id — or, for a streamed import, the
//! key it was written under before its content id was known (its audio record says which).

/// Frames per stored page: the engine's page, so that each page it streams is one read a channel.
pub const PAGE_FRAMES: usize = mixroom_engine::PAGE_FRAMES;
/// Frames an overview detail record covers (at 64 frames a pair, 4096 pairs).
pub const DETAIL_FRAMES: usize = 1 << 18;
/// The overview level stored in detail records, not in the audio record
/// ([`crate::summary::OVERVIEW_LEVELS`]: 64 frames a pair).
pub const DETAIL_LEVEL: usize = 1;
/// The overview levels an audio record holds (and the app keeps of a stored source): from 1024
/// frames a pair, about 0.2 MB for six minutes. The finer ones are drawn from the detail records.
pub const KEPT_LEVELS: usize = 3;

/// The key of one channel of a page (layout 3): "<pages key>/c<page, 7 digits>.<channel>".
pub fn page_key(pages: &str, page: usize, channel: usize) -> String {
    format!("{pages}/c{page:07}.{channel}")
}

/// The key of overview detail record `n`: "<pages key>/o<n, 6 digits>".
pub fn detail_key(pages: &str, n: usize) -> String {
    format!("{pages}/o{n:06}")
}

/// The key that says, beside a streamed import's records, which content id they are the samples
/// of: written with the audio record, so that records no audio record names (an import never
/// saved) can be told apart and deleted.
pub fn owner_key(pages: &str) -> String {
    format!("{pages}/id")
}
