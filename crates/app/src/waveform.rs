//! Waveform overviews: each track's audio reduced once, when it is loaded, to min/max pairs at
//! several resolutions, so that drawing any zoom — the whole song down to single samples — reads
//! about one pair per pixel.

use std::sync::Arc;

/// Frames per pair at each level: ×4 per level, from 16 frames to 65 536.
pub const LEVELS: [usize; 7] = [16, 64, 256, 1_024, 4_096, 16_384, 65_536];

/// A track's overview: for each level of [`LEVELS`], the (min, max) of all channels per bucket.
/// Its levels are shared by its clones (the sources keep it, the desk draws it): a long track's
/// are megabytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overview {
    pub frames: usize,
    pub levels: Arc<Vec<Vec<(f32, f32)>>>,
}

impl Overview {
    /// Builds the overview of a track's channels (one pass for the finest level, then each level
    /// from the one below).
    pub fn build(channels: &[Vec<f32>]) -> Overview {
        let frames = channels.first().map_or(0, Vec::len);
        let mut levels = Vec::with_capacity(LEVELS.len());
        let first: Vec<(f32, f32)> = (0..frames.div_ceil(LEVELS[0]))
            .map(|b| {
                let range = b * LEVELS[0]..((b + 1) * LEVELS[0]).min(frames);
                channels.iter().flat_map(|c| c[range.clone()].iter()).fold((f32::MAX, f32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
            })
            .collect();
        levels.push(first);
        for _ in 1..LEVELS.len() {
            let below = levels.last().expect("the first level is there");
            let next: Vec<(f32, f32)> = below.chunks(4).map(|c| c.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &(a, b)| (lo.min(a), hi.max(b)))).collect();
            levels.push(next);
        }
        Overview { frames, levels: Arc::new(levels) }
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
        Some(buckets[a..b].iter().fold((f32::MAX, f32::MIN), |(lo, hi), &(x, y)| (lo.min(x), hi.max(y))))
    }
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
        coarse.levels[0].clear();
        let direct = samples[1_000..1_040].iter().fold((f32::MAX, f32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let (lo, hi) = coarse.range(1_000, 1_040).unwrap();
        assert!(lo <= direct.0 && hi >= direct.1);
        assert_eq!(coarse.range(0, 300_000), o.range(0, 300_000));
    }
}
