//! Clips: where a track's audio sits on the timeline, which part of the source it plays, at what gain,
//! and how it fades in and out.

use crate::track_audio::SourceView;

/// The curve of a fade, from silence (t = 0) to full level (t = 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FadeShape {
    /// Straight line in amplitude.
    Linear,
    /// sin(t·π/2): constant power through a crossfade with its mirror.
    #[default]
    EqualPower,
    /// (1 − cos(t·π)) / 2: slow at both ends.
    SCurve,
    /// t²: slow start, fast end (a "fast" fade-out when mirrored).
    Exponential,
}

impl FadeShape {
    pub const ALL: [FadeShape; 4] = [FadeShape::Linear, FadeShape::EqualPower, FadeShape::SCurve, FadeShape::Exponential];

    /// Stable name stored in session files.
    pub fn key(self) -> &'static str {
        match self {
            FadeShape::Linear => "linear",
            FadeShape::EqualPower => "equal_power",
            FadeShape::SCurve => "s_curve",
            FadeShape::Exponential => "exponential",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FadeShape::Linear => "Linear",
            FadeShape::EqualPower => "Equal power",
            FadeShape::SCurve => "S-curve",
            FadeShape::Exponential => "Exponential",
        }
    }

    pub fn from_key(key: &str) -> Option<FadeShape> {
        FadeShape::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Gain at position `t` ∈ [0, 1] of the fade.
    #[inline]
    pub fn gain(self, t: f32) -> f32 {
        let t = t.clamp(0.0, 1.0);
        match self {
            FadeShape::Linear => t,
            FadeShape::EqualPower => libm::sinf(t * core::f32::consts::FRAC_PI_2),
            FadeShape::SCurve => 0.5 - 0.5 * libm::cosf(t * core::f32::consts::PI),
            FadeShape::Exponential => t * t,
        }
    }
}

/// How many of `clips` sound at once at most: a streamed track keeps read-ahead for each (1 with
/// no clips — the source plays once — or none sounding together). Never allocates.
pub fn most_at_once(clips: &[Clip]) -> usize {
    let sounding = |c: &&Clip| c.length > 0;
    clips.iter().filter(sounding).map(|c| clips.iter().filter(sounding).filter(|d| d.start <= c.start && c.start < d.end()).count()).max().unwrap_or(1)
}

/// One clip: `length` frames of the source from `offset`, placed at timeline frame `start`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clip {
    pub start: u64,
    pub offset: u64,
    pub length: u64,
    /// Linear gain.
    pub gain: f32,
    pub fade_in: u64,
    pub fade_out: u64,
    pub fade_in_shape: FadeShape,
    pub fade_out_shape: FadeShape,
}

impl Clip {
    /// The whole of a source of `frames` frames at the session start, at unity.
    pub fn whole(frames: u64) -> Clip {
        Clip { start: 0, offset: 0, length: frames, gain: 1.0, fade_in: 0, fade_out: 0, fade_in_shape: FadeShape::default(), fade_out_shape: FadeShape::default() }
    }

    /// The timeline frame just after the clip.
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.length)
    }

    /// Adds the clip's part of the timeline stretch `[position, position + dest.len())` of `source`
    /// into `dest`. Never allocates; frames beyond the source, or not in memory, are silence.
    #[inline]
    pub fn render(&self, source: SourceView, position: u64, dest: &mut [f32]) {
        let from = position.max(self.start);
        let to = (position + dest.len() as u64).min(self.end());
        let fade_out_from = self.length.saturating_sub(self.fade_out);
        let mut t = from;
        while t < to {
            let rel = t - self.start;
            match source.run(self.offset.saturating_add(rel), (to - t) as usize) {
                Ok([]) => break,
                Ok(run) => {
                    let at = (t - position) as usize;
                    for ((k, &x), d) in run.iter().enumerate().zip(&mut dest[at..at + run.len()]) {
                        let rel = rel + k as u64;
                        let mut g = self.gain;
                        if rel < self.fade_in {
                            g *= self.fade_in_shape.gain(rel as f32 / self.fade_in as f32);
                        }
                        if rel >= fade_out_from && self.fade_out > 0 {
                            g *= self.fade_out_shape.gain((self.length - rel) as f32 / self.fade_out as f32);
                        }
                        *d += x * g;
                    }
                    t += run.len() as u64;
                }
                Err(missing) => t += missing as u64,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_plays_its_slice_at_its_place() {
        let source: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let clip = Clip { start: 50, offset: 10, length: 20, gain: 0.5, ..Clip::whole(0) };
        let mut dest = vec![0.0; 40];
        clip.render(SourceView::Whole(&source), 40, &mut dest);
        assert!(dest[..10].iter().all(|&x| x == 0.0));
        assert_eq!(dest[10], 5.0); // timeline 50 = source 10, × 0.5
        assert_eq!(dest[29], 14.5); // timeline 69 = source 29
        assert!(dest[30..].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn fades_follow_their_shapes() {
        let source = vec![1.0f32; 1_000];
        for shape in FadeShape::ALL {
            let clip = Clip { fade_in: 100, fade_out: 200, fade_in_shape: shape, fade_out_shape: shape, ..Clip::whole(1_000) };
            let mut dest = vec![0.0; 1_000];
            clip.render(SourceView::Whole(&source), 0, &mut dest);
            assert_eq!(dest[0], 0.0);
            assert!((dest[50] - shape.gain(0.5)).abs() < 1e-6, "{shape:?}");
            assert_eq!(dest[500], 1.0);
            assert!((dest[900] - shape.gain(0.5)).abs() < 1e-6, "{shape:?} out");
            assert!(dest[999] < 0.02);
        }
        assert!((FadeShape::EqualPower.gain(0.5) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    }
}
