//! The parts of the demo song, one method per stem.
//!
//! Each method adds its notes into the song's buffers; [`Song::finish`] then normalises the stem to a
//! fixed peak so that the raw stems arrive at the levels a recording engineer would deliver.

use core::f32::consts::{FRAC_PI_2, TAU};

use crate::synth::{midi_hz, saw, sine, Noise, Phase, Svf};
use crate::{beats_to_frames, length_frames, BARS, BEATS_PER_BAR};

/// The progression, one chord per bar, repeating: Am – F – C – G (i – VI – III – VII).
const CHORDS: [[f32; 3]; 4] = [[57.0, 60.0, 64.0], [53.0, 57.0, 60.0], [55.0, 60.0, 64.0], [55.0, 59.0, 62.0]];
/// Bass roots under each chord: A1, F1, C2, G1.
const ROOTS: [f32; 4] = [33.0, 29.0, 36.0, 31.0];

/// Sample peak each stem is normalised to, dBFS.
pub fn peak_target(id: &str) -> f32 {
    match id {
        "kick" => -3.0,
        "snare" => -4.0,
        "hats" => -10.0,
        "bass" => -4.0,
        "keys" => -6.0,
        "pad" => -8.0,
        "lead" => -7.0,
        _ => -4.0,
    }
}

/// Vowel formants (F1, F2, F3 in Hz) of a sung soprano vowel, after Peterson & Barney's tables.
#[derive(Clone, Copy)]
enum Vowel {
    A,
    E,
    I,
    O,
    U,
}

impl Vowel {
    fn formants(self) -> [f32; 3] {
        match self {
            Vowel::A => [800.0, 1150.0, 2900.0],
            Vowel::E => [400.0, 1700.0, 2600.0],
            Vowel::I => [300.0, 2100.0, 2950.0],
            Vowel::O => [450.0, 800.0, 2830.0],
            Vowel::U => [325.0, 700.0, 2700.0],
        }
    }
}

/// A sung phrase: (beat offset, length in beats, MIDI note, vowel).
type Phrase = &'static [(f64, f64, f32, Vowel)];

const PHRASE_A: Phrase = &[
    (0.0, 1.0, 76.0, Vowel::A),
    (1.0, 0.5, 74.0, Vowel::E),
    (1.5, 1.5, 72.0, Vowel::O),
    (4.0, 1.0, 69.0, Vowel::A),
    (5.0, 1.0, 72.0, Vowel::I),
    (6.0, 1.5, 74.0, Vowel::O),
];
const PHRASE_B: Phrase = &[
    (0.0, 1.5, 76.0, Vowel::A),
    (1.5, 0.5, 79.0, Vowel::E),
    (2.0, 2.0, 76.0, Vowel::O),
    (4.5, 0.5, 74.0, Vowel::I),
    (5.0, 0.5, 72.0, Vowel::E),
    (5.5, 2.5, 69.0, Vowel::U),
];

pub struct Song {
    sample_rate: u32,
    sr: f32,
    out: Vec<Vec<f32>>,
}

impl Song {
    pub fn new(sample_rate: u32, channels: usize) -> Self {
        let frames = length_frames(sample_rate);
        Song { sample_rate, sr: sample_rate as f32, out: vec![vec![0.0; frames]; channels] }
    }

    /// Scales the stem so that its sample peak sits at `peak_db` dBFS, and hands its buffers over.
    pub fn finish(mut self, peak_db: f32) -> Vec<Vec<f32>> {
        let peak = self.out.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()));
        if peak > 0.0 {
            let gain = libm::powf(10.0, peak_db / 20.0) / peak;
            self.out.iter_mut().flatten().for_each(|x| *x *= gain);
        }
        self.out
    }

    /// Frame of a position given in bars and beats.
    fn at(&self, bar: usize, beat: f64) -> usize {
        beats_to_frames(bar as f64 * BEATS_PER_BAR + beat, self.sample_rate)
    }

    fn frames_of(&self, beats: f64) -> usize {
        beats_to_frames(beats, self.sample_rate)
    }

    /// Renders one voice of `len` frames starting at `start` into every channel, each channel scaled by
    /// its entry in `gains` (missing entries reuse the first).
    fn voice(&mut self, start: usize, len: usize, gains: &[f32], mut sample: impl FnMut(f32, usize) -> f32) {
        let end = (start + len).min(self.out[0].len());
        for i in start..end {
            let t = (i - start) as f32 / self.sr;
            let x = sample(t, i);
            for (c, ch) in self.out.iter_mut().enumerate() {
                ch[i] += x * gains.get(c).copied().unwrap_or(gains[0]);
            }
        }
    }

    pub fn kick(&mut self) {
        let mut hits = Vec::new();
        for bar in 4..BARS {
            hits.extend([(bar, 0.0, 1.0), (bar, 2.0, 0.95)]);
            if bar % 2 == 1 {
                hits.push((bar, 1.5, 0.7));
            }
        }
        hits.push((BARS, 0.0, 1.0));
        let sr = self.sr;
        for (n, (bar, beat, vel)) in hits.into_iter().enumerate() {
            let start = self.at(bar, beat);
            let mut phase = Phase::default();
            let mut click = Noise::new(1 + n as u32);
            self.voice(start, (0.7 * sr) as usize, &[vel], |t, _| {
                // A sine swept down from ~155 Hz to 45 Hz, the classic electronic kick, plus a 3 ms click.
                let f = 45.0 + 110.0 * libm::expf(-t / 0.035);
                let body = sine(phase.step(f / sr)) * libm::expf(-t / 0.28);
                body + 0.3 * click.next() * libm::expf(-t / 0.003)
            });
        }
    }

    pub fn snare(&mut self) {
        let sr = self.sr;
        let mut hits = Vec::new();
        for bar in 4..BARS {
            hits.extend([(bar, 1.0, 1.0), (bar, 3.0, 1.0)]);
            if bar % 4 == 3 {
                hits.extend([(bar, 3.5, 0.45), (bar, 3.75, 0.6)]);
            }
        }
        for (n, (bar, beat, vel)) in hits.into_iter().enumerate() {
            let start = self.at(bar, beat);
            let mut noise = Noise::new(100 + n as u32);
            let mut hp = Svf::new(1_800.0, 0.7, sr);
            let (mut p1, mut p2) = (Phase::default(), Phase::default());
            self.voice(start, (0.45 * sr) as usize, &[vel], |t, _| {
                let tone = (0.6 * sine(p1.step(185.0 / sr)) + 0.3 * sine(p2.step(330.0 / sr))) * libm::expf(-t / 0.06);
                let snares = hp.process(noise.next()).high * libm::expf(-t / 0.14);
                tone + 0.8 * snares
            });
        }
    }

    pub fn hats(&mut self) {
        let sr = self.sr;
        let mut hits = Vec::new();
        for bar in 0..BARS {
            let steps = if bar < 8 { 8 } else { 16 };
            for s in 0..steps {
                let beat = s as f64 * BEATS_PER_BAR / steps as f64;
                let on_beat = beat.fract() == 0.0;
                let open = bar >= 4 && bar % 2 == 1 && (beat - 3.5).abs() < 1e-9;
                let vel = if on_beat { 1.0 } else if steps == 16 && (beat * 2.0).fract() != 0.0 { 0.45 } else { 0.7 };
                hits.push((bar, beat, vel, open));
            }
        }
        for (n, (bar, beat, vel, open)) in hits.into_iter().enumerate() {
            let start = self.at(bar, beat);
            let mut noise = Noise::new(1_000 + n as u32);
            let (mut hp1, mut hp2) = (Svf::new(7_000.0, 0.8, sr), Svf::new(9_000.0, 1.2, sr));
            let decay = if open { 0.25 } else { 0.035 };
            self.voice(start, ((decay * 6.0) * sr) as usize, &[vel], |t, _| {
                hp2.process(hp1.process(noise.next()).high).high * libm::expf(-t / decay)
            });
        }
    }

    pub fn bass(&mut self) {
        let sr = self.sr;
        // Eighth-note steps of the bar that play, and the interval above the root each plays.
        const PATTERN: [(f64, f32); 7] = [(0.0, 0.0), (1.0, 0.0), (2.0, 12.0), (3.0, 0.0), (5.0, 0.0), (6.0, 7.0), (7.0, 12.0)];
        let mut notes = Vec::new();
        for bar in 4..BARS {
            for (step, interval) in PATTERN {
                notes.push((bar, step * 0.5, 0.42, ROOTS[bar % 4] + interval));
            }
        }
        notes.push((BARS, 0.0, 3.0, ROOTS[0]));
        for (bar, beat, beats, note) in notes {
            let start = self.at(bar, beat);
            let held = self.frames_of(beats) as f32 / sr;
            let f = midi_hz(note);
            let (mut p, mut sub) = (Phase::default(), Phase::default());
            let mut lp = Svf::new(1_000.0, 1.5, sr);
            self.voice(start, ((held + 0.1) * sr) as usize, &[1.0], |t, i| {
                if i % 16 == 0 {
                    lp.tune(250.0 + 1_400.0 * libm::expf(-t / 0.08), 1.5, sr);
                }
                let env = (t / 0.003).min(1.0) * if t > held { libm::expf(-(t - held) / 0.03) } else { 1.0 };
                let x = lp.process(saw(p.step(f / sr), f / sr)).low + 0.6 * sine(sub.step(f / sr));
                x * env
            });
        }
    }

    pub fn keys(&mut self) {
        let sr = self.sr;
        // Comping: (beat, length in beats, velocity).
        const HITS: [(f64, f64, f32); 4] = [(0.0, 1.25, 1.0), (1.5, 0.5, 0.6), (2.5, 1.25, 0.85), (3.5, 0.5, 0.55)];
        for bar in 0..BARS {
            for (beat, beats, vel) in HITS {
                let start = self.at(bar, beat);
                let held = self.frames_of(beats) as f32 / sr;
                for (v, note) in CHORDS[bar % 4].iter().enumerate() {
                    // Spread the voicing across the stereo field, low note left, high note right.
                    let pos = (v as f32 - 1.0) * 0.4;
                    let theta = (pos + 1.0) * FRAC_PI_2 / 2.0;
                    let gains = [vel * libm::cosf(theta), vel * libm::sinf(theta)];
                    let f = midi_hz(*note);
                    let (mut carrier, mut modulator) = (Phase::default(), Phase::default());
                    self.voice(start, ((held + 0.4) * sr) as usize, &gains, |t, i| {
                        // Two-operator FM electric piano: a bright attack that mellows as the index decays.
                        let index = 1.8 * libm::expf(-t / 0.25) + 0.2;
                        let m = sine(modulator.step(f / sr));
                        let x = sine(carrier.step(f / sr) + index * m / TAU);
                        let env = (t / 0.002).min(1.0) * libm::expf(-t / 1.0) * if t > held { libm::expf(-(t - held) / 0.08) } else { 1.0 };
                        let tremolo = 1.0 + 0.12 * sine(i as f32 * 4.5 / sr);
                        x * env * tremolo
                    });
                }
            }
        }
    }

    pub fn pad(&mut self) {
        let sr = self.sr;
        // Detune of the two saws per note, in cents, on the left and on the right: the difference
        // between the sides is what makes the pad wide.
        const DETUNE: [[f32; 2]; 2] = [[-7.0, 3.0], [7.0, -3.0]];
        for bar in 0..=BARS {
            let start = self.at(bar, 0.0);
            let held = self.frames_of(if bar == BARS { 2.0 } else { BEATS_PER_BAR }) as f32 / sr;
            for note in CHORDS[bar % 4] {
                for (c, detune) in DETUNE.iter().enumerate() {
                    let freqs = detune.map(|cents| midi_hz(note + cents / 100.0) / sr);
                    let mut phases = [Phase(0.13 * c as f32), Phase(0.61)];
                    let mut lp = Svf::new(1_200.0, 0.9, sr);
                    let gains = if c == 0 { [1.0, 0.0] } else { [0.0, 1.0] };
                    self.voice(start, ((held + 1.2) * sr) as usize, &gains, |t, i| {
                        if i % 32 == 0 {
                            // A slow filter sweep over the whole song, not per note, so chords join up.
                            lp.tune(1_300.0 + 600.0 * sine(i as f32 * 0.07 / sr), 0.9, sr);
                        }
                        let x = saw(phases[0].step(freqs[0]), freqs[0]) + saw(phases[1].step(freqs[1]), freqs[1]);
                        let env = (t / 0.6).min(1.0) * if t > held { libm::expf(-(t - held) / 0.35) } else { 1.0 };
                        lp.process(x).low * env
                    });
                }
            }
        }
    }

    pub fn lead(&mut self) {
        let sr = self.sr;
        // An answering figure in the second half of every bar, on the chord's tones an octave up.
        const FIGURE: [(f64, f64, usize); 4] = [(2.0, 0.5, 0), (2.5, 0.5, 1), (3.0, 0.75, 2), (3.75, 0.25, 1)];
        for bar in 8..BARS {
            for (beat, beats, tone) in FIGURE {
                let start = self.at(bar, beat);
                let held = self.frames_of(beats * 0.9) as f32 / sr;
                let f = midi_hz(CHORDS[bar % 4][tone] + 12.0);
                let (mut p, mut vib) = (Phase::default(), Phase::default());
                let mut lp = Svf::new(2_800.0, 0.8, sr);
                self.voice(start, ((held + 0.15) * sr) as usize, &[1.0], |t, _| {
                    let depth = 0.004 * (t / 0.2).min(1.0);
                    let inc = f * (1.0 + depth * sine(vib.step(5.5 / sr))) / sr;
                    let ph = p.step(inc);
                    // Triangle with a touch of saw: a soft, reedy lead.
                    let tri = 1.0 - 4.0 * (ph - 0.5).abs();
                    let x = lp.process(0.8 * tri + 0.25 * saw(ph, inc)).low;
                    let env = (t / 0.01).min(1.0) * if t > held { libm::expf(-(t - held) / 0.05) } else { 1.0 };
                    x * env
                });
            }
        }
    }

    pub fn vox(&mut self) {
        let sr = self.sr;
        let mut notes = Vec::new();
        for (k, bar) in (4..BARS).step_by(2).enumerate() {
            let phrase = if k % 2 == 0 { PHRASE_A } else { PHRASE_B };
            notes.extend(phrase.iter().map(|&(beat, beats, note, vowel)| (bar, beat, beats, note, vowel)));
        }
        let mut previous = Vowel::A;
        for (n, (bar, beat, beats, note, vowel)) in notes.into_iter().enumerate() {
            let start = self.at(bar, beat);
            let held = self.frames_of(beats * 0.92) as f32 / sr;
            let f = midi_hz(note);
            let (from, to) = (previous.formants(), vowel.formants());
            previous = vowel;
            let mut p = Phase::default();
            let mut vib = Phase::default();
            let mut breath = Noise::new(5_000 + n as u32);
            let mut formants = [Svf::default(), Svf::default(), Svf::default()];
            let mut sibilance = Svf::new(5_000.0, 0.7, sr);
            const LEVELS: [f32; 3] = [1.0, 0.5, 0.22];
            self.voice(start, ((held + 0.12) * sr) as usize, &[1.0], |t, i| {
                if (i - start) % 16 == 0 {
                    // Glide from the previous vowel's formants over 60 ms: the singer's mouth moving.
                    let glide = (t / 0.06).min(1.0);
                    for (k, filter) in formants.iter_mut().enumerate() {
                        let freq = from[k] + (to[k] - from[k]) * glide;
                        filter.tune(freq, freq / (70.0 + 20.0 * k as f32), sr);
                    }
                }
                // Vibrato that blooms after the attack, as a singer's does.
                let depth = 0.35 / 12.0 * ((t - 0.15) / 0.3).clamp(0.0, 1.0);
                let inc = f * libm::powf(2.0, depth * sine(vib.step(5.2 / sr))) / sr;
                let glottal = saw(p.step(inc), inc) + 0.05 * breath.next();
                let mut voiced = 0.0;
                for (filter, level) in formants.iter_mut().zip(LEVELS) {
                    // The SVF's band output peaks at Q; multiply by k = 1/Q for a unity-peak resonator.
                    let q = filter.q();
                    voiced += level * filter.process(glottal).band / q;
                }
                let consonant = 0.25 * sibilance.process(breath.next()).high * libm::expf(-t / 0.012);
                let env = (t / 0.04).min(1.0) * if t > held { libm::expf(-(t - held) / 0.04) } else { 1.0 };
                voiced * env + consonant
            });
        }
    }
}
