//! Waveform overviews: each track's audio reduced once, when it is loaded, to min/max pairs at
//! several resolutions, so that drawing any zoom — the whole song down to single samples — reads
//! about one pair per pixel.

use std::sync::Arc;

use mixroom_session::summary::{Summarised, Summary};

/// Frames per pair at each level: ×4 per level, from 16 frames to 65 536.
pub use mixroom_session::summary::OVERVIEW_LEVELS as LEVELS;

/// A track's overview: for each level of [`LEVELS`], the (min, max) of all channels per bucket.
/// Its levels are shared by its clones (the sources keep it, the desk draws it): a long track's
/// are megabytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overview {
    pub frames: usize,
    pub levels: Arc<Vec<Vec<(f32, f32)>>>,
}

impl Overview {
    /// Builds the overview of a track's channels (every level, in one pass: see
    /// [`mixroom_session::summary`]).
    pub fn build(channels: &[Vec<f32>]) -> Overview {
        Overview::of(Summary::of(channels, 0))
    }

    /// The overview of a finished summary.
    pub fn of(summary: Summarised) -> Overview {
        Overview { frames: summary.frames as usize, levels: Arc::new(summary.overview) }
    }

    /// Whether it holds its detail level ([`crate::store::DETAIL_LEVEL`]): one built here does; one
    /// read from storage does not (the detail is read for the part drawn).
    pub fn has_detail(&self) -> bool {
        self.levels.get(crate::store::DETAIL_LEVEL).is_some_and(|l| !l.is_empty())
    }

    /// The same overview with only its levels from [`crate::store::KEPT_LEVELS`]: what is kept of
    /// it once its source is stored (the finer levels are 98 % of it; the detail is read from
    /// storage for the part drawn).
    pub fn without_detail(&self) -> Overview {
        let levels = self.levels.iter().enumerate().map(|(l, v)| if l < crate::store::KEPT_LEVELS { Vec::new() } else { v.clone() }).collect::<Vec<_>>();
        Overview { frames: self.frames, levels: Arc::new(levels) }
    }

    /// The (min, max) of frames `[from, to)`, from the coarsest level fine enough for the span
    /// (at least two buckets), or `None` when the span is finer than the finest level (then the
    /// samples themselves are drawn).
    pub fn range(&self, from: usize, to: usize) -> Option<(f32, f32)> {
        let to = to.min(self.frames);
        if from >= to {
            return Some((0.0, 0.0));
        }
        let span = to - from;
        let level = LEVELS.iter().rposition(|&size| size * 2 <= span)?;
        // A level not kept (the finest is not stored: see `store`) is stood in for by the next
        // coarser one: an envelope up to one of its buckets wider, never narrower.
        let level = (level..LEVELS.len()).find(|&l| self.levels.get(l).is_some_and(|b| !b.is_empty()))?;
        let size = LEVELS[level];
        let buckets = &self.levels[level];
        // (A stored overview shorter than its frames say draws what it has.)
        let b = to.div_ceil(size).min(buckets.len());
        let a = (from / size).min(b);
        Some(envelope(&buckets[a..b]))
    }
}

/// The (min, max) of frames `[from, to)` from a stretch of an overview's detail level
/// ([`crate::store::DETAIL_LEVEL`]) starting with bucket `first` (as read from storage for the
/// part drawn): the buckets `Overview::range` would fold at that level; `None` where the stretch
/// does not reach.
pub fn detail_range(detail: &[(f32, f32)], first: usize, from: usize, to: usize) -> Option<(f32, f32)> {
    let size = LEVELS[crate::store::DETAIL_LEVEL];
    let a = (from / size).checked_sub(first)?;
    let b = to.div_ceil(size).max(from / size + 1) - first;
    detail.get(a..b.min(detail.len())).filter(|d| !d.is_empty()).map(envelope)
}

/// The lowest minimum and highest maximum of some buckets.
fn envelope(buckets: &[(f32, f32)]) -> (f32, f32) {
    buckets.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &(x, y)| (lo.min(x), hi.max(y)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn ranges_agree_with_a_direct_scan() {
        let samples: Vec<f32> = (0..300_000).map(|i| ((i as f32) * 0.001).sin() * (1.0 + (i % 977) as f32 / 977.0)).collect();
        let o = Overview::build(&[samples.clone()]);
        for (from, to) in [(0, 300_000), (1_000, 5_000), (123_456, 123_600), (299_000, 400_000)] {
            let direct = samples[from..to.min(samples.len())].iter().fold((f32::MAX, f32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            let (lo, hi) = o.range(from, to).unwrap();
            // Bucket edges may widen the span a little: never narrower, and within one bucket.
            assert!(lo <= direct.0 && hi >= direct.1, "{from}..{to}");
        }
        assert_eq!(o.range(10, 20), None, "finer than the finest level");
        assert_eq!(o.levels.len(), LEVELS.len());
        // Without its finest level (as stored), the next one stands in: never narrower.
        let mut coarse = o.clone();
        Arc::make_mut(&mut coarse.levels)[0].clear();
        let direct = samples[1_000..1_040].iter().fold((f32::MAX, f32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let (lo, hi) = coarse.range(1_000, 1_040).unwrap();
        assert!(lo <= direct.0 && hi >= direct.1);
        assert_eq!(coarse.range(0, 300_000), o.range(0, 300_000));
    }

    /// Drawn from a stretch of the detail read from storage, a span is what the whole overview
    /// gives at the detail level: the same buckets folded.
    #[wasm_bindgen_test]
    fn detail_read_in_part_draws_as_the_whole_overview() {
        let samples: Vec<f32> = (0..300_000).map(|i| ((i as f32) * 0.0007).sin() * (i % 1013) as f32 / 1013.0).collect();
        let o = Overview::build(&[samples.clone()]);
        let (first, detail) = (1_000, &o.levels[crate::store::DETAIL_LEVEL][1_000..3_000]);
        // Spans the whole overview draws at the detail level (two to seven of its buckets).
        for (from, to) in [(64_000, 64_200), (70_001, 70_400), (100_000, 100_129), (191_800, 192_000)] {
            assert_eq!(detail_range(detail, first, from, to), o.range(from, to), "{from}..{to}");
            let direct = envelope(&samples[from..to].iter().map(|&x| (x, x)).collect::<Vec<_>>());
            let (lo, hi) = detail_range(detail, first, from, to).unwrap();
            assert!(lo <= direct.0 && hi >= direct.1, "never narrower than the samples");
        }
        assert_eq!(detail_range(detail, first, 10_000, 10_200), None, "before the stretch");
        assert_eq!(detail_range(detail, first, 250_000, 250_200), None, "after it");
    }
}
