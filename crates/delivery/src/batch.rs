//! A delivery batch: the versions of one song (the mix, stems, alternates) delivered alike — one
//! format, rate, dither and set of tags — each measured once, checked, encoded and named, then
//! handed over as files or one zip with the delivery report. The CLI and the browser's delivery
//! worker both deliver through it, so a version rendered alike is delivered byte for byte alike.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::check::{self, Report, Rules};
use crate::{bundle, file_name, DeliveryError, Dither, Format, Tags};

/// What the engineer asked for, as the export dialog and the CLI's options say it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// `wav` or `flac`.
    pub container: String,
    /// 16 or 24, or 32 (float WAV).
    pub bits: u32,
    /// The rate delivered at (the caller converts the render to it).
    pub rate: u32,
    /// `tpdf`, `shaped` or `off`.
    pub dither: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub artist: String,
    #[serde(default)]
    pub date: String,
    /// Whether the master's limiter is in, for the check's warning.
    #[serde(default)]
    pub limiter_on_master: bool,
    /// No tags at all (not even the session's name): the render as it is, as the app's quick
    /// "Export mix" writes it.
    #[serde(default)]
    pub untagged: bool,
    /// Silence at the head and tail trimmed: where the first version (the mix) is silent below
    /// [`TRIM_DBFS`], every version is cut alike, so stems still line up with the mix.
    #[serde(default)]
    pub trim: bool,
}

/// Below this a head or tail is silence to trim, dBFS (sample peak): under a 16-bit file's
/// dither, so that nothing a listener could hear is cut.
pub const TRIM_DBFS: f64 = -90.0;

/// The rates a delivery converts to (besides the session's own).
pub const RATES: [u32; 4] = [44_100, 48_000, 88_200, 96_000];

/// Whether stems add back up to their mix — their tracks rendered together, which is the mix when
/// they cover every track: that and every stem rendered with the master's processing bypassed
/// (where the mix stops being a sum), the stems summed in f64 as they arrive.
#[derive(Clone, Debug, Default)]
pub struct SumCheck {
    mix: Vec<Vec<f32>>,
    sum: Vec<Vec<f64>>,
    stems: usize,
}

impl SumCheck {
    pub fn mix(&mut self, channels: Vec<Vec<f32>>) {
        self.mix = channels;
    }

    pub fn stem(&mut self, channels: &[Vec<f32>]) {
        self.sum.resize_with(channels.len().max(self.sum.len()), Vec::new);
        for (sum, c) in self.sum.iter_mut().zip(channels) {
            if sum.len() < c.len() {
                sum.resize(c.len(), 0.0);
            }
            sum.iter_mut().zip(c).for_each(|(a, b)| *a += *b as f64);
        }
        self.stems += 1;
    }

    /// The largest difference between the stems' sum and the mix, linear (0: exact); none before
    /// the mix and a stem have arrived.
    pub fn residual(&self) -> Option<f64> {
        if self.mix.is_empty() || self.stems == 0 {
            return None;
        }
        let mut worst = 0.0f64;
        for (c, mix) in self.mix.iter().enumerate() {
            let sum = self.sum.get(c).map_or(&[][..], Vec::as_slice);
            for i in 0..mix.len().max(sum.len()) {
                let (m, s) = (mix.get(i).copied().unwrap_or(0.0) as f64, sum.get(i).copied().unwrap_or(0.0));
                worst = worst.max((s - m).abs());
            }
        }
        Some(worst)
    }

    /// What the check found, in words (for the report and the CLI).
    pub fn verdict(&self) -> Option<String> {
        self.residual().map(|r| if r == 0.0 {
            "the stems add up to their mix exactly (master processing bypassed)".to_owned()
        } else {
            format!("the stems add up to their mix within {:.1} dBFS (master processing bypassed; what processes tracks together, such as a bus compressor, makes a stem differ from its share)", 20.0 * r.log10())
        })
    }
}

/// One song's versions, delivered alike.
pub struct Batch {
    song: String,
    format: Format,
    dither: Dither,
    rate: u32,
    order: Order,
    /// The files' names, in order.
    names: Vec<String>,
    /// The files, or the zip they are streamed into as they are made.
    files: Vec<(String, Vec<u8>)>,
    zip: Option<bundle::Zip<Box<dyn Write>>>,
    reports: Vec<Report>,
    /// With trimming, the frames kept: found in the first version, kept for all.
    kept: Option<(usize, usize)>,
    /// The stems' sum check, when made.
    sum_check: Option<SumCheck>,
}

impl Batch {
    /// A batch for `song` (the session's name) as `order` asks; a clear error for a format, dither
    /// or rate that does not exist.
    pub fn new(song: &str, order: Order) -> Result<Batch, DeliveryError> {
        let format = Format::parse(&order.container, order.bits)?;
        let dither = Dither::parse(&order.dither).ok_or_else(|| DeliveryError::Unsupported(format!("“{}” is not a dither: tpdf, shaped or off", order.dither)))?;
        if !(8_000..=384_000).contains(&order.rate) {
            return Err(DeliveryError::Unsupported(format!("{} Hz is not a rate a file is delivered at", order.rate)));
        }
        Ok(Batch { song: song.to_owned(), format, dither, rate: order.rate, order, names: Vec::new(), files: Vec::new(), zip: None, reports: Vec::new(), kept: None, sum_check: None })
    }

    /// A batch delivered as one zip streamed into `sink`, each file written into it as it is
    /// made: a batch of many long files is never held whole ([`Batch::finish`] ends it).
    pub fn zipped(song: &str, order: Order, sink: Box<dyn Write>) -> Result<Batch, DeliveryError> {
        Ok(Batch { zip: Some(bundle::Zip::new(sink)), ..Batch::new(song, order)? })
    }

    /// The rate the versions are delivered at.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The name a zip of the batch is saved under: `<Song> - Delivery.zip`.
    pub fn zip_name(&self) -> String {
        let name = file_name(&self.song, "Delivery", self.format);
        format!("{}zip", name.strip_suffix(self.format.extension()).unwrap_or(&name))
    }

    /// Delivers `version` (`Mix`, a stem's or an alternate's name): `channels` at the batch's rate,
    /// measured once (for the `bext` chunk and the check), checked, encoded. Two versions of one
    /// name (two tracks called "Gtr") become two files, the second numbered. Returns its check.
    pub fn add(&mut self, version: &str, channels: &[Vec<f32>]) -> Result<&Report, DeliveryError> {
        let trimmed: Vec<Vec<f32>>;
        let channels = if self.order.trim {
            let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
            // (A mix silent throughout keeps its length: there is nothing to line up with.)
            let (first, end) = *self.kept.get_or_insert_with(|| check::sounding(channels, TRIM_DBFS).unwrap_or((0, frames)));
            let (first, end) = (first.min(frames), end.min(frames));
            trimmed = channels.iter().map(|c| c[first..end.max(first)].to_vec()).collect();
            &trimmed
        } else {
            channels
        };
        let refs: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
        let loudness = mixroom_analysis::loudness::measure(&refs, self.rate).ok();
        let o = &self.order;
        let tags = if o.untagged { Tags::default() } else { Tags { title: o.title.clone(), artist: o.artist.clone(), date: o.date.clone(), session: format!("{} ({version})", self.song), loudness } };
        let mut name = file_name(&self.song, version, self.format);
        for n in 2.. {
            if !self.names.contains(&name) {
                break;
            }
            name = file_name(&self.song, &format!("{version} ({n})"), self.format);
        }
        let audio = check::Audio { channels, rate: self.rate, bits: self.format.bits, float: self.format.is_float() };
        let context = check::Context { limiter_on_master: Some(o.limiter_on_master), for_mastering: false };
        let report = check::check_measured(&name, audio, loudness, context, Rules::default());
        let bytes = crate::encode(channels, self.rate, self.format, self.dither, &tags)?;
        match &mut self.zip {
            Some(zip) => zip.add(&name, &bytes)?,
            None => self.files.push((name.clone(), bytes)),
        }
        self.names.push(name);
        self.reports.push(report);
        Ok(self.reports.last().expect("just pushed"))
    }

    /// The delivered files, in the order they were added (none for a zipped batch: they are in
    /// its zip).
    pub fn files(&self) -> &[(String, Vec<u8>)] {
        &self.files
    }

    /// The delivered files' names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn reports(&self) -> &[Report] {
        &self.reports
    }

    /// How many files fail the hand-off check.
    pub fn failed(&self) -> usize {
        self.reports.iter().filter(|r| r.failed()).count()
    }

    /// Adds the stems' sum check to the delivery report.
    pub fn set_sum_check(&mut self, check: SumCheck) {
        self.sum_check = Some(check);
    }

    /// The delivery report: Markdown and JSON.
    pub fn report(&self) -> (String, String) {
        let sum = self.sum_check.as_ref().and_then(|c| c.residual().map(|r| (r, c.verdict().unwrap_or_default())));
        bundle::report(&self.song, &self.reports, sum)
    }

    /// The whole delivery as one zip: the files and the report (a batch of files kept).
    pub fn zip(self) -> Result<Vec<u8>, DeliveryError> {
        let (md, json) = self.report();
        bundle::zip(&self.files, &md, &json)
    }

    /// Ends a zipped batch: the report and the zip's directory written, the sink flushed.
    pub fn finish(mut self) -> Result<(), DeliveryError> {
        let (md, json) = self.report();
        match self.zip.take() {
            Some(zip) => zip.finish(&md, &json).map(drop),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink the test keeps a hold of.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn order(container: &str, bits: u32) -> Order {
        Order { container: container.into(), bits, rate: 48_000, dither: "tpdf".into(), title: String::new(), artist: String::new(), date: String::new(), limiter_on_master: false, trim: false, untagged: false }
    }

    #[test]
    fn a_batch_names_checks_and_zips_its_versions() {
        let tone: Vec<f32> = (0..48_000).map(|i| 0.25 * (i as f32 * 0.05).sin()).collect();
        let clipped: Vec<f32> = tone.iter().map(|x| (x * 8.0).clamp(-1.0, 1.0)).collect();
        let fill = |batch: &mut Batch| {
            assert!(!batch.add("Mix", &[tone.clone(), tone.clone()]).unwrap().failed());
            batch.add("Gtr", &[tone.clone(), tone.clone()]).unwrap();
            // Clipped: a failure, reported, and still delivered (the engineer decides).
            assert!(batch.add("Gtr", &[clipped.clone(), clipped.clone()]).unwrap().failed());
        };
        let mut batch = Batch::new("Song", order("flac", 24)).unwrap();
        fill(&mut batch);
        assert_eq!(batch.names(), ["Song - Mix.flac", "Song - Gtr.flac", "Song - Gtr (2).flac"]);
        assert_eq!(batch.files().len(), 3);
        assert_eq!(batch.failed(), 1);
        assert_eq!(batch.zip_name(), "Song - Delivery.zip");
        let (md, json) = batch.report();
        assert!(md.contains("1 failing"), "{md}");
        assert!(json.contains("\"failed\": 1"), "{json}");
        let zip = batch.zip().unwrap();
        assert_eq!(&zip[..4], b"PK\x03\x04");
        // Streamed into its sink as the files are made: the same zip, no file held beside it.
        let sink = Shared::default();
        let mut zipped = Batch::zipped("Song", order("flac", 24), Box::new(sink.clone())).unwrap();
        fill(&mut zipped);
        assert!(zipped.files().is_empty());
        assert_eq!(zipped.names().len(), 3);
        let before = sink.0.borrow().len();
        assert!(before + 10_000 > zip.len(), "the files are in the sink already ({before} of {} bytes)", zip.len());
        zipped.finish().unwrap();
        assert!(*sink.0.borrow() == zip, "the same bytes either way");
    }

    #[test]
    fn trimming_cuts_every_version_where_the_mix_is_silent() {
        // The mix: 0.5 s of silence, a tone, 0.25 s of a tail fading under −90 dBFS, then zeros.
        let rate = 48_000;
        let mut mix = vec![0.0f32; rate];
        for (i, x) in mix.iter_mut().enumerate().skip(rate / 2).take(rate / 4) {
            *x = 0.5 * (i as f32 * 0.1).sin();
        }
        mix[rate / 2 + rate / 4 + 10] = 1e-5; // −100 dBFS: silence
        // A stem that starts later than the mix and sounds where the mix's tail is silent (as no
        // stem of a real mix would): cut alike all the same, so that it lines up.
        let mut stem = vec![0.0f32; rate];
        stem[rate / 2 + 100] = 0.25;
        let mut batch = Batch::new("Song", Order { trim: true, bits: 32, ..order("wav", 32) }).unwrap();
        let mix_report = batch.add("Mix", &[mix.clone(), mix.clone()]).unwrap().clone();
        let stem_report = batch.add("Stem", &[stem.clone(), stem]).unwrap().clone();
        let first = mix.iter().position(|x| x.abs() > 3.2e-5).unwrap();
        let last = mix.iter().rposition(|x| x.abs() > 3.2e-5).unwrap();
        let seconds = (last + 1 - first) as f64 / rate as f64;
        assert_eq!(mix_report.seconds, seconds);
        assert_eq!(stem_report.seconds, seconds, "every version the same length");
        assert_eq!(mix_report.silence_at_head_s, 0.0);
        assert_eq!(stem_report.silence_at_head_s, (rate / 2 + 100 - first) as f64 / rate as f64, "and the same start");
        // Untrimmed, the files keep the render's length.
        let mut plain = Batch::new("Song", order("wav", 32)).unwrap();
        assert_eq!(plain.add("Mix", &[mix.clone(), mix]).unwrap().seconds, 1.0);
    }

    #[test]
    fn the_sum_check_measures_how_far_the_stems_are_from_the_mix() {
        let mut check = SumCheck::default();
        assert_eq!(check.residual(), None);
        check.mix(vec![vec![0.5, 0.25, -0.5], vec![0.0, 0.0, 0.0]]);
        check.stem(&[vec![0.25, 0.25, -0.25], vec![0.0, 0.0, 0.0]]);
        assert_eq!(check.residual(), Some(0.25), "one stem of two: half missing");
        check.stem(&[vec![0.25, 0.0, -0.25], vec![0.0, 0.0, 0.0]]);
        assert_eq!(check.residual(), Some(0.0));
        assert!(check.verdict().unwrap().contains("exactly"));
        check.stem(&[vec![0.001, 0.0, 0.0], vec![0.0, 0.0, 0.0]]);
        assert!(check.verdict().unwrap().contains("within -60.0 dBFS"), "{:?}", check.verdict());
        let mut batch = Batch::new("Song", order("wav", 32)).unwrap();
        batch.add("Mix", &[vec![0.1; 480], vec![0.1; 480]]).unwrap();
        batch.set_sum_check(check);
        let (md, json) = batch.report();
        assert!(md.contains("Sum check: the stems add up to their mix within -60.0 dBFS"), "{md}");
        assert!(json.contains("\"sum_check\""), "{json}");
    }

    #[test]
    fn what_does_not_exist_is_refused_clearly() {
        assert!(Batch::new("S", order("flac", 32)).is_err());
        assert!(Batch::new("S", order("mp3", 16)).is_err());
        assert!(Batch::new("S", Order { dither: "loud".into(), ..order("wav", 16) }).err().is_some_and(|e| e.to_string().contains("not a dither")));
        assert!(Batch::new("S", Order { rate: 0, ..order("wav", 16) }).is_err());
    }
}
