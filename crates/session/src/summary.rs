//! What is kept about a source besides its samples — its gated RMS level ([`crate::gated_rms_db`])
//! and its waveform overview (min/max pairs at several resolutions) — built in one pass as the
//! audio comes, a run at a time: a streamed import summarises a file it never holds whole, and the
//! summary is exactly the one made from the whole audio.

/// Frames per overview pair at each level: ×4 per level, from 16 frames to 65 536.
pub const OVERVIEW_LEVELS: [usize; 7] = [16, 64, 256, 1_024, 4_096, 16_384, 65_536];

/// Frames per block of the level's gate (400 ms at 48 kHz, as BS.1770's).
const GATE_BLOCK: usize = 19_200;
/// Blocks quieter than this are silence between phrases, not level (dBFS).
const GATE_DB: f64 = -70.0;

/// A source's summary, built run by run ([`Summary::push`]).
#[derive(Clone, Debug)]
pub struct Summary {
    channels: usize,
    frames: u64,
    /// The gate's current block: its sum of squares per channel, and its frames so far.
    block: Vec<f64>,
    block_frames: usize,
    /// Sum of squares and samples of the blocks the gate let through.
    sum: f64,
    count: usize,
    /// Per overview level: the pair being gathered, how much of it is in, and the pairs done.
    levels: Vec<Level>,
    /// Levels below this are not kept (their pairs only feed the next level).
    keep_from: usize,
}

#[derive(Clone, Debug)]
struct Level {
    pending: (f32, f32),
    filled: usize,
    done: Vec<(f32, f32)>,
}

/// The summary of a whole source.
#[derive(Clone, Debug, PartialEq)]
pub struct Summarised {
    pub frames: u64,
    /// Gated RMS level, dBFS (−∞ for silence).
    pub level_db: f64,
    /// Per level of [`OVERVIEW_LEVELS`], the (min, max) of all channels per bucket; levels not
    /// kept are empty.
    pub overview: Vec<Vec<(f32, f32)>>,
}

const EMPTY: (f32, f32) = (f32::MAX, f32::MIN);

fn widen((lo, hi): (f32, f32), (a, b): (f32, f32)) -> (f32, f32) {
    (lo.min(a), hi.max(b))
}

impl Summary {
    /// A summary of `channels` channels keeping the overview's levels from `keep_from` on (0:
    /// all of them).
    pub fn new(channels: usize, keep_from: usize) -> Summary {
        let level = Level { pending: EMPTY, filled: 0, done: Vec::new() };
        Summary { channels, frames: 0, block: vec![0.0; channels], block_frames: 0, sum: 0.0, count: 0, levels: vec![level; OVERVIEW_LEVELS.len()], keep_from }
    }

    /// The summary of a whole source held in memory.
    pub fn of(channels: &[Vec<f32>], keep_from: usize) -> Summarised {
        let mut s = Summary::new(channels.len(), keep_from);
        s.push(channels);
        s.finish()
    }

    /// Whether any overview level is kept (the level alone needs none built).
    fn overview(&self) -> bool {
        self.keep_from < OVERVIEW_LEVELS.len()
    }

    /// Takes the next run of the source: one buffer per channel, all as long.
    pub fn push(&mut self, run: &[Vec<f32>]) {
        let frames = run.first().map_or(0, Vec::len);
        let overview = self.overview();
        let mut at = 0;
        while at < frames {
            // Up to the end of the gate's block or of the overview's finest bucket, whichever is
            // nearer.
            let bucket_left = if overview { OVERVIEW_LEVELS[0] - self.levels[0].filled } else { usize::MAX };
            let to = frames.min(at + (GATE_BLOCK - self.block_frames)).min(at.saturating_add(bucket_left));
            for (sum, c) in self.block.iter_mut().zip(run) {
                for &x in &c[at..to] {
                    *sum += (x as f64) * (x as f64);
                }
            }
            self.block_frames += to - at;
            self.frames += (to - at) as u64;
            if self.block_frames == GATE_BLOCK {
                self.end_block();
            }
            if overview {
                let finest = &mut self.levels[0];
                for c in run {
                    finest.pending = c[at..to].iter().fold(finest.pending, |(lo, hi), &x| (lo.min(x), hi.max(x)));
                }
                finest.filled += to - at;
                if finest.filled == OVERVIEW_LEVELS[0] {
                    self.end_pair(0);
                }
            }
            at = to;
        }
    }

    /// The gate's block is whole (or the source has ended): counted if it is not silence.
    fn end_block(&mut self) {
        let block: f64 = self.block.iter().sum();
        let n = self.block_frames * self.channels;
        if n > 0 && 10.0 * (block / n as f64).log10() > GATE_DB {
            self.sum += block;
            self.count += n;
        }
        self.block.iter_mut().for_each(|s| *s = 0.0);
        self.block_frames = 0;
    }

    /// Level `l`'s pair is done (whole, or the source has ended): kept if its level is, and
    /// gathered into the next level's.
    fn end_pair(&mut self, l: usize) {
        let level = &mut self.levels[l];
        let pair = core::mem::replace(&mut level.pending, EMPTY);
        level.filled = 0;
        if l >= self.keep_from {
            level.done.push(pair);
        }
        if let Some(next) = self.levels.get_mut(l + 1) {
            next.pending = widen(next.pending, pair);
            next.filled += 1;
            if next.filled == 4 {
                self.end_pair(l + 1);
            }
        }
    }

    /// Takes the pairs of level `l` done so far (a streamed import stores the detail level as it
    /// comes instead of keeping it).
    pub fn take_pairs(&mut self, l: usize) -> Vec<(f32, f32)> {
        self.levels.get_mut(l).map(|level| core::mem::take(&mut level.done)).unwrap_or_default()
    }

    /// The source has ended: its summary (the pairs of a level taken before are not in it).
    pub fn finish(mut self) -> Summarised {
        if self.block_frames > 0 {
            self.end_block();
        }
        // The partial pairs at the end, finest first: each is part of the next level's.
        for l in 0..self.levels.len() {
            if self.levels[l].filled > 0 {
                self.end_pair(l);
            }
        }
        let level_db = if self.count == 0 { f64::NEG_INFINITY } else { 10.0 * (self.sum / self.count as f64).log10() };
        Summarised { frames: self.frames, level_db, overview: self.levels.into_iter().map(|l| l.done).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The overview as the app built it from the whole audio: the reference.
    fn whole_overview(channels: &[Vec<f32>]) -> Vec<Vec<(f32, f32)>> {
        let frames = channels.first().map_or(0, Vec::len);
        let mut levels = Vec::new();
        let first: Vec<(f32, f32)> = (0..frames.div_ceil(16))
            .map(|b| {
                let range = b * 16..((b + 1) * 16).min(frames);
                channels.iter().flat_map(|c| c[range.clone()].iter()).fold(EMPTY, |(lo, hi), &x| (lo.min(x), hi.max(x)))
            })
            .collect();
        levels.push(first);
        for _ in 1..OVERVIEW_LEVELS.len() {
            let below: &Vec<(f32, f32)> = levels.last().unwrap();
            let next = below.chunks(4).map(|c| c.iter().fold(EMPTY, |m, &p| widen(m, p))).collect();
            levels.push(next);
        }
        levels
    }

    /// The level as measured from the whole audio: every block's squares summed channel by
    /// channel, as `gated_rms_db` always has.
    fn whole_level(channels: &[Vec<f32>]) -> f64 {
        let frames = channels.first().map_or(0, Vec::len);
        let (mut sum, mut count) = (0.0f64, 0usize);
        for start in (0..frames).step_by(GATE_BLOCK) {
            let end = (start + GATE_BLOCK).min(frames);
            let block: f64 = channels.iter().map(|c| c[start..end].iter().map(|x| (*x as f64).powi(2)).sum::<f64>()).sum();
            let n = (end - start) * channels.len();
            if 10.0 * (block / n as f64).log10() > GATE_DB {
                sum += block;
                count += n;
            }
        }
        if count == 0 {
            f64::NEG_INFINITY
        } else {
            10.0 * (sum / count as f64).log10()
        }
    }

    fn audio(channels: usize, frames: usize) -> Vec<Vec<f32>> {
        (0..channels)
            .map(|c| (0..frames).map(|i| if (i / 30_000) % 3 == 1 { 0.0 } else { ((i * (c + 3)) % 101) as f32 / 101.0 - 0.5 + (i as f32 * 1e-4).sin() * 0.1 }).collect())
            .collect()
    }

    #[test]
    fn a_summary_in_runs_is_the_whole_audios() {
        for (channels, frames) in [(1, 0), (1, 5), (2, 16), (2, 100_003), (1, 65_536 * 3), (6, 77_777)] {
            let a = audio(channels, frames);
            let whole = Summarised { frames: frames as u64, level_db: whole_level(&a), overview: whole_overview(&a) };
            assert_eq!(Summary::of(&a, 0), whole, "{channels} × {frames}, at once");
            let level_alone = Summary::of(&a, OVERVIEW_LEVELS.len());
            assert_eq!(level_alone.level_db.to_bits(), whole.level_db.to_bits(), "{channels} × {frames}: the level alone");
            assert!(level_alone.overview.iter().all(Vec::is_empty));
            // In uneven runs, the detail level taken as it comes, the finest level not kept.
            let mut s = Summary::new(channels, 1);
            let mut detail = Vec::new();
            let mut at = 0;
            for len in [1, 15, 4_096, 19_199, 3, 50_000].into_iter().cycle() {
                if at >= frames {
                    break;
                }
                let end = (at + len).min(frames);
                s.push(&a.iter().map(|c| c[at..end].to_vec()).collect::<Vec<_>>());
                detail.extend(s.take_pairs(1));
                at = end;
            }
            let mut got = s.finish();
            detail.extend(core::mem::take(&mut got.overview[1]));
            assert!(got.overview[0].is_empty());
            assert_eq!(detail, whole.overview[1], "{channels} × {frames}: the detail");
            assert_eq!(got.overview[2..], whole.overview[2..], "{channels} × {frames}");
            assert_eq!(got.level_db.to_bits(), whole.level_db.to_bits(), "{channels} × {frames}: {} against {}", got.level_db, whole.level_db);
        }
    }
}
