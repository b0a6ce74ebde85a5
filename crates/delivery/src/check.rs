//! The mastering hand-off check: what a mastering engineer looks at first in a file they are sent,
//! measured, with the warnings they would give and the faults that should stop a delivery.
//!
//! Failures (a delivery with one is not sound): clipped samples, a true peak above the ceiling
//! (−1 dBTP unless set), DC above −60 dBFS. Warnings (conventions differ between mastering
//! engineers): less true-peak headroom than asked for (3 dB unless set), a file that ends while
//! still sounding (a cut tail), a limiter on the master of a mix meant for mastering.

use serde::Serialize;

use mixroom_analysis::loudness::measure;
use mixroom_analysis::LoudnessReport;

/// What the check holds a file to.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rules {
    /// True-peak headroom asked for, dB below 0 dBTP: less is a warning.
    pub headroom_db: f64,
    /// The highest true peak allowed, dBTP: above it is a failure.
    pub max_true_peak_dbtp: f64,
    /// The most DC allowed on a channel, dBFS: above it is a failure.
    pub max_dc_dbfs: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { headroom_db: 3.0, max_true_peak_dbtp: -1.0, max_dc_dbfs: -60.0 }
    }
}

/// Consecutive samples at full scale that count as clipping: one full-scale sample can be a peak
/// normalised to 0 dBFS; three in a row are a waveform flattened against the ceiling.
pub const CLIP_RUN: usize = 3;

/// Below this a sample is silence, for the head and tail, dBFS.
pub const SILENCE_DBFS: f64 = -70.0;

/// Where `channels` sound above `threshold_dbfs` (any channel, sample peak): the first frame that
/// does and the one after the last; none for a file silent throughout.
pub fn sounding(channels: &[Vec<f32>], threshold_dbfs: f64) -> Option<(usize, usize)> {
    let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
    let level = 10f64.powf(threshold_dbfs / 20.0) as f32;
    let loud = |i: usize| channels.iter().any(|c| c[i].abs() > level);
    let first = (0..frames).find(|&i| loud(i))?;
    let last = (first..frames).rev().find(|&i| loud(i))?;
    Some((first, last + 1))
}

/// The end of a file sounding louder than this over its last 10 ms is a tail cut short, dBFS RMS.
pub const CUT_TAIL_DBFS: f64 = -45.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Failure,
    Warning,
}

/// One thing the check found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable key for scripts: `clipping`, `true-peak`, `dc`, `headroom`, `cut-tail`, `limiter`.
    pub code: &'static str,
    pub message: String,
}

/// The figures of a file, and what they mean for its delivery.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub file: String,
    pub sample_rate: u32,
    /// Bits per sample as stored (32 for float).
    pub bits: u32,
    pub float: bool,
    pub channels: usize,
    pub seconds: f64,
    pub integrated_lufs: Option<f64>,
    pub loudness_range_lu: Option<f64>,
    pub max_true_peak_dbtp: Option<f64>,
    pub plr_lu: Option<f64>,
    pub sample_peak_dbfs: Option<f64>,
    /// 0 dBTP less the maximum true peak, dB.
    pub headroom_db: Option<f64>,
    /// Runs of [`CLIP_RUN`] or more full-scale samples, and the samples in them.
    pub clipped_runs: usize,
    pub clipped_samples: usize,
    /// Each channel's DC offset (its mean), dBFS; none for a channel with none at all.
    pub dc_offset_dbfs: Vec<Option<f64>>,
    pub silence_at_head_s: f64,
    pub silence_at_tail_s: f64,
    /// Whether the master has a limiter on (known when checking a session's render).
    pub limiter_on_master: Option<bool>,
    pub rules: Rules,
    pub findings: Vec<Finding>,
}

fn dbfs(linear: f64) -> Option<f64> {
    (linear > 0.0 && linear.is_finite()).then(|| 20.0 * linear.log10())
}

impl Report {
    /// Whether any finding is a failure (what `mixroom check` exits non-zero for).
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Failure)
    }

    /// The report as Markdown, for people.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write;
        let figure = |v: Option<f64>, unit: &str| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1} {unit}"));
        let mut out = String::new();
        let _ = writeln!(out, "## {}\n", self.file);
        let verdict = if self.failed() { "**FAILED**" } else if self.findings.is_empty() { "passed" } else { "passed, with warnings" };
        let _ = writeln!(out, "Hand-off check: {verdict}\n");
        let _ = writeln!(out, "| | |\n| --- | --- |");
        let depth = if self.float { "32-bit float".to_owned() } else { format!("{}-bit", self.bits) };
        let rows = [
            ("Format", format!("{} Hz, {depth}, {} channel{}", self.sample_rate, self.channels, if self.channels == 1 { "" } else { "s" })),
            ("Length", format!("{:.3} s", self.seconds)),
            ("Integrated loudness", figure(self.integrated_lufs, "LUFS")),
            ("Loudness range", figure(self.loudness_range_lu, "LU")),
            ("Maximum true peak", figure(self.max_true_peak_dbtp, "dBTP")),
            ("Peak-to-loudness ratio", figure(self.plr_lu, "LU")),
            ("Sample peak", figure(self.sample_peak_dbfs, "dBFS")),
            ("Headroom (true peak)", figure(self.headroom_db, "dB")),
            ("Clipping", format!("{} runs, {} samples", self.clipped_runs, self.clipped_samples)),
            ("DC offset", self.dc_offset_dbfs.iter().map(|d| figure(*d, "dBFS")).collect::<Vec<_>>().join(", ")),
            ("Silence at head / tail", format!("{:.3} s / {:.3} s", self.silence_at_head_s, self.silence_at_tail_s)),
            ("Limiter on the master", self.limiter_on_master.map_or("not known (a file)".to_owned(), |on| if on { "yes".into() } else { "no".into() })),
        ];
        for (k, v) in rows {
            let _ = writeln!(out, "| {k} | {v} |");
        }
        if !self.findings.is_empty() {
            let _ = writeln!(out);
            for f in &self.findings {
                let mark = if f.severity == Severity::Failure { "FAIL" } else { "warning" };
                let _ = writeln!(out, "- {mark} ({}): {}", f.code, f.message);
            }
        }
        out
    }
}

/// A file's audio as the check reads it: its samples (full scale ±1, one list per channel), rate,
/// and depth as stored.
#[derive(Clone, Copy, Debug)]
pub struct Audio<'a> {
    pub channels: &'a [Vec<f32>],
    pub rate: u32,
    /// Bits per sample as stored (32 for float).
    pub bits: u32,
    pub float: bool,
}

/// What is known of where a file comes from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    /// Whether its master has a limiter on: known when the file is a session's render.
    pub limiter_on_master: Option<bool>,
    /// The mix goes to a mastering engineer (a limiter on it is then worth a word).
    pub for_mastering: bool,
}

/// Checks a file (`file` names it in the report).
pub fn check(file: &str, audio: Audio, context: Context, rules: Rules) -> Report {
    let refs: Vec<&[f32]> = audio.channels.iter().map(Vec::as_slice).collect();
    check_measured(file, audio, measure(&refs, audio.rate).ok(), context, rules)
}

/// [`check`] of a file whose loudness is measured already (a delivery measures it once, for its
/// `bext` chunk and for the check).
pub fn check_measured(file: &str, audio: Audio, loudness: Option<LoudnessReport>, context: Context, rules: Rules) -> Report {
    let Audio { channels, rate, bits, float } = audio;
    let Context { limiter_on_master, for_mastering } = context;
    let frames = channels.first().map_or(0, Vec::len);
    let peak = channels.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs())) as f64;
    // Full scale as stored: an integer file's largest positive code is one LSB under 1.0.
    let full_scale = if float { 1.0 } else { 1.0 - 1.0 / (1u64 << (bits.clamp(8, 32) - 1)) as f64 };
    let (mut runs, mut clipped) = (0, 0);
    for c in channels {
        let mut run = 0;
        for (i, &x) in c.iter().enumerate() {
            let at_full = x.abs() as f64 >= full_scale;
            if at_full {
                run += 1;
            }
            if !at_full || i + 1 == c.len() {
                if run >= CLIP_RUN {
                    runs += 1;
                    clipped += run;
                }
                if !at_full {
                    run = 0;
                }
            }
        }
    }
    let dc: Vec<Option<f64>> = channels.iter().map(|c| dbfs((c.iter().map(|&x| x as f64).sum::<f64>() / c.len().max(1) as f64).abs())).collect();
    let (head, tail) = match sounding(channels, SILENCE_DBFS) {
        Some((first, end)) => (first, frames - end),
        None => (frames, frames),
    };
    let last = (rate as usize / 100).min(frames);
    // (What sounds: the last 10 ms less their mean — a DC offset is the DC finding, not a tail.)
    let end_rms = if last == 0 {
        0.0
    } else {
        let sounding_energy = |c: &Vec<f32>| {
            let end = &c[frames - last..];
            let mean = end.iter().map(|&x| x as f64).sum::<f64>() / last as f64;
            end.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>()
        };
        (channels.iter().map(sounding_energy).sum::<f64>() / (last * channels.len()) as f64).sqrt()
    };
    let true_peak = loudness.as_ref().and_then(|l| l.true_peak);
    let mut findings = Vec::new();
    let mut say = |severity, code, message: String| findings.push(Finding { severity, code, message });
    if runs > 0 {
        say(Severity::Failure, "clipping", format!("{runs} run{} of {CLIP_RUN} or more full-scale samples ({clipped} samples): the waveform is flattened against the ceiling", if runs == 1 { "" } else { "s" }));
    }
    if let Some(tp) = true_peak.filter(|&tp| tp > rules.max_true_peak_dbtp) {
        say(Severity::Failure, "true-peak", format!("the true peak reaches {tp:.2} dBTP, above the {:.1} dBTP allowed", rules.max_true_peak_dbtp));
    } else if let Some(tp) = true_peak.filter(|&tp| -tp < rules.headroom_db) {
        say(Severity::Warning, "headroom", format!("{:.1} dB of true-peak headroom, less than the {:.1} dB asked for", -tp, rules.headroom_db));
    }
    for (c, d) in dc.iter().enumerate() {
        if let Some(d) = d.filter(|&d| d > rules.max_dc_dbfs) {
            say(Severity::Failure, "dc", format!("channel {} has a DC offset of {d:.1} dBFS, above {:.0} dBFS", c + 1, rules.max_dc_dbfs));
        }
    }
    if let Some(level) = dbfs(end_rms).filter(|&l| l > CUT_TAIL_DBFS) {
        say(Severity::Warning, "cut-tail", format!("the file ends while still sounding ({level:.1} dBFS over its last 10 ms): a tail cut short?"));
    }
    if for_mastering && limiter_on_master == Some(true) {
        say(Severity::Warning, "limiter", "a limiter is on the master of a mix meant for mastering: the mastering engineer will want it off".into());
    }
    Report {
        file: file.to_owned(),
        sample_rate: rate,
        bits,
        float,
        channels: channels.len(),
        seconds: frames as f64 / rate.max(1) as f64,
        integrated_lufs: loudness.as_ref().and_then(|l| l.integrated),
        loudness_range_lu: loudness.as_ref().and_then(|l| l.range),
        max_true_peak_dbtp: true_peak,
        plr_lu: loudness.as_ref().and_then(|l| l.plr),
        sample_peak_dbfs: dbfs(peak),
        headroom_db: true_peak.map(|tp| -tp),
        clipped_runs: runs,
        clipped_samples: clipped,
        dc_offset_dbfs: dc,
        silence_at_head_s: head as f64 / rate.max(1) as f64,
        silence_at_tail_s: tail as f64 / rate.max(1) as f64,
        limiter_on_master,
        rules,
        findings,
    }
}
