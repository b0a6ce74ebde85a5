//! A reference track on the monitor path: a finished record played in place of the mix when the
//! engineer switches to it (A/B), at the song position or from its own cue (the host applies the
//! loudness-matching gain and the switch). It is never part of the mix: the [`crate::Engine`] does not know it, so no render can
//! contain it — the live output alone hears it, after the master and its meters.

use mixroom_dsp::smooth::Smoother;
use mixroom_dsp::MAX_BLOCK;

/// The time constant of the switch between the mix and the reference (and of a reference's start
/// and stop), ms: short enough to feel instant, long enough not to click.
pub const SWITCH_MS: f32 = 5.0;

/// How a reference follows the transport (see `mixroom_session::ReferenceSync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// Frame `n` of the song plays frame `n` of the reference (less the mix's latency, so that the
    /// two line up as heard), looping where the song loops.
    Song,
    /// From `cue` whenever the transport starts, running on with it, looping over `section`.
    Cue { cue: u64, section: Option<(u64, u64)> },
}

/// A reference's audio and its play position; renders a block at a time, allocating nothing.
pub struct ReferencePlayer {
    /// One or two channels (a mono reference plays on both sides).
    audio: Vec<Vec<f32>>,
    follow: Follow,
    /// The next frame of the reference to play (cue mode).
    position: u64,
    /// The transport was rolling at the last block: a start (cue mode) goes back to the cue.
    rolling: bool,
    /// Rises with the transport and falls with it, so a reference starts and stops without a click.
    declick: Smoother,
    out: [[f32; MAX_BLOCK]; 2],
}

impl ReferencePlayer {
    /// A player of `audio` (one buffer per channel, one or two).
    pub fn new(audio: Vec<Vec<f32>>, follow: Follow, sample_rate: f32) -> ReferencePlayer {
        let start = match follow {
            Follow::Cue { cue, .. } => cue,
            Follow::Song => 0,
        };
        ReferencePlayer { audio, follow, position: start, rolling: false, declick: Smoother::new(0.0, SWITCH_MS, sample_rate), out: [[0.0; MAX_BLOCK]; 2] }
    }

    /// Plays from here on as `follow` says (a new cue takes effect at the next start).
    pub fn set_follow(&mut self, follow: Follow) {
        self.follow = follow;
    }

    /// Takes the audio out (to drop it off the audio thread, or to reuse it).
    pub fn take_audio(&mut self) -> Vec<Vec<f32>> {
        std::mem::take(&mut self.audio)
    }

    /// Frames of audio.
    pub fn frames(&self) -> u64 {
        self.audio.first().map_or(0, Vec::len) as u64
    }

    fn sample(&self, channel: usize, frame: u64) -> f32 {
        let c = channel.min(self.audio.len().saturating_sub(1));
        self.audio.get(c).and_then(|a| a.get(frame as usize)).copied().unwrap_or(0.0)
    }

    /// Audio side: the reference's next `n` frames (at most [`MAX_BLOCK`]) into its output, for a
    /// block of the song starting at `song_position` (`song_loop` the song's loop, `latency` the
    /// mix's) while the transport `rolling`. Silence while stopped, and where the reference has no
    /// audio.
    pub fn render(&mut self, n: usize, rolling: bool, song_position: u64, song_loop: Option<(u64, u64)>, latency: u64) {
        let n = n.min(MAX_BLOCK);
        if rolling && !self.rolling {
            if let Follow::Cue { cue, .. } = self.follow {
                self.position = cue;
            }
        }
        self.rolling = rolling;
        self.declick.set_target(if rolling { 1.0 } else { 0.0 });
        if !rolling && self.declick.is_settled() {
            self.declick.reset(0.0);
            self.out[0][..n].fill(0.0);
            self.out[1][..n].fill(0.0);
            return;
        }
        let mut song = song_position;
        for k in 0..n {
            let frame = match self.follow {
                Follow::Song => {
                    let f = song.checked_sub(latency);
                    song += 1;
                    if let Some((start, end)) = song_loop {
                        if song == end {
                            song = start;
                        }
                    }
                    f
                }
                Follow::Cue { section, .. } => {
                    let f = self.position;
                    self.position += 1;
                    if let Some((start, end)) = section {
                        if self.position == end {
                            self.position = start;
                        }
                    }
                    Some(f)
                }
            };
            let g = self.declick.next_value();
            for c in 0..2 {
                self.out[c][k] = frame.map_or(0.0, |f| self.sample(c, f)) * g;
            }
        }
    }

    /// The block [`ReferencePlayer::render`] made, per channel.
    pub fn output(&self, channel: usize) -> &[f32; MAX_BLOCK] {
        &self.out[channel.min(1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(frames: usize) -> Vec<Vec<f32>> {
        vec![(0..frames).map(|i| i as f32).collect()]
    }

    /// Renders `blocks` blocks of `n` while rolling (the declick settled first), returning the
    /// left channel: the reference frames played.
    fn played(p: &mut ReferencePlayer, blocks: usize, n: usize, mut song: u64, song_loop: Option<(u64, u64)>, latency: u64) -> Vec<f32> {
        let mut out = Vec::new();
        for _ in 0..blocks {
            p.render(n, true, song, song_loop, latency);
            out.extend_from_slice(&p.output(0)[..n]);
            song += n as u64;
            if let Some((s, e)) = song_loop {
                if song >= e {
                    song = s + (song - e);
                }
            }
        }
        out
    }

    #[test]
    fn at_the_song_position_it_plays_the_songs_frames_less_the_latency_and_loops_with_the_song() {
        let mut p = ReferencePlayer::new(ramp(10_000), Follow::Song, 48_000.0);
        p.declick.reset(1.0);
        let out = played(&mut p, 4, 100, 1_000, Some((900, 1_200)), 64);
        let expected: Vec<f32> = (0..400u64).map(|k| { let song = 900 + (100 + k) % 300; (song - 64) as f32 }).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn from_its_cue_it_runs_on_loops_its_section_and_starts_again_at_each_start() {
        let follow = Follow::Cue { cue: 5_000, section: Some((5_100, 5_250)) };
        let mut p = ReferencePlayer::new(ramp(10_000), follow, 48_000.0);
        p.declick.reset(1.0);
        let out = played(&mut p, 3, 128, 77, None, 0);
        let expected: Vec<f32> = (0..384u64).map(|k| if k < 250 { (5_000 + k) as f32 } else { (5_100 + (k - 250) % 150) as f32 }).collect();
        // (The first block starts at the cue: the transport was stopped before it.)
        assert_eq!(out, expected);
        // Stopped: it fades out (τ of the switch time), then is silent; started again: the cue.
        for _ in 0..40 {
            p.render(128, false, 0, None, 0);
        }
        assert!(p.output(0).iter().all(|&x| x == 0.0));
        p.render(128, true, 0, None, 0);
        assert!(p.output(0)[0] < 0.01 * 5_000.0, "it fades in: {}", p.output(0)[0]);
        assert_eq!(p.position, 5_128, "it started again from the cue");
    }

    #[test]
    fn past_its_end_or_before_its_start_it_is_silent_and_a_mono_reference_plays_both_sides() {
        let mut p = ReferencePlayer::new(ramp(300), Follow::Song, 48_000.0);
        p.declick.reset(1.0);
        p.render(128, true, 350, None, 100);
        for c in 0..2 {
            assert_eq!(p.output(c)[0], 250.0);
            assert_eq!(p.output(c)[49], 299.0);
            assert_eq!(p.output(c)[50], 0.0);
        }
        p.render(128, true, 10, None, 100);
        assert!(p.output(0).iter().take(90).all(|&x| x == 0.0) && p.output(0)[90] == 0.0 && p.output(0)[91] == 1.0);
    }
}
