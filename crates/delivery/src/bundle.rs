//! A delivery as one zip: the master, stems and alternate versions as files, and the delivery
//! report (the hand-off check of each, in Markdown and JSON) beside them.

use std::io::Write;

use crate::check::Report;
use crate::DeliveryError;

/// The report's file names inside a delivery.
pub const REPORT_MD: &str = "Delivery report.md";
pub const REPORT_JSON: &str = "delivery-report.json";

/// The delivery report: each file's hand-off check, and the stems' sum check (the largest
/// difference, linear, and its verdict) when made — as Markdown and as JSON.
pub fn report(song: &str, reports: &[Report], sum_check: Option<(f64, String)>) -> (String, String) {
    let failed = reports.iter().filter(|r| r.failed()).count();
    let mut md = format!("# Delivery: {song}\n\n{} file{}", reports.len(), if reports.len() == 1 { "" } else { "s" });
    md.push_str(&if failed == 0 { ", every one passing the hand-off check.\n\n".to_owned() } else { format!(", {failed} failing the hand-off check.\n\n") });
    if let Some((_, verdict)) = &sum_check {
        md.push_str(&format!("Sum check: {verdict}.\n\n"));
    }
    for r in reports {
        md.push_str(&r.to_markdown());
        md.push('\n');
    }
    let sum = sum_check.map(|(residual, verdict)| serde_json::json!({ "residual_dbfs": (residual > 0.0).then(|| 20.0 * residual.log10()), "verdict": verdict }));
    let json = serde_json::to_string_pretty(&serde_json::json!({ "song": song, "failed": failed, "files": reports, "sum_check": sum })).expect("a report is plain data");
    (md, json)
}

/// One zip of `files` (name, bytes: stored as they are — FLAC and WAV do not deflate) and the
/// report (deflated).
pub fn zip(files: &[(String, Vec<u8>)], report_md: &str, report_json: &str) -> Result<Vec<u8>, DeliveryError> {
    let mut zip = Zip::new(Vec::new());
    for (name, bytes) in files {
        zip.add(name, bytes)?;
    }
    zip.finish(report_md, report_json)
}

/// A delivery's zip streamed into `W` as its files are made (each entry's sizes in a data
/// descriptor after it, nothing written over): a batch of many long files is never held whole
/// where it is made — the CLI streams it into the file, the browser's worker hands it on in parts.
pub struct Zip<W: Write> {
    writer: zip::ZipWriter<zip::write::StreamWriter<W>>,
}

fn failed(e: zip::result::ZipError) -> DeliveryError {
    DeliveryError::Encoder(format!("the zip could not be written ({e})"))
}

fn io(e: std::io::Error) -> DeliveryError {
    DeliveryError::Encoder(format!("the zip could not be written ({e})"))
}

impl<W: Write> Zip<W> {
    pub fn new(sink: W) -> Zip<W> {
        Zip { writer: zip::ZipWriter::new_stream(sink) }
    }

    /// A file, stored as it is (FLAC and WAV do not deflate).
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), DeliveryError> {
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true);
        self.writer.start_file(name, stored).map_err(failed)?;
        self.writer.write_all(bytes).map_err(io)
    }

    /// Writes the report (deflated) after the files and the zip's directory, flushes the sink and
    /// gives it back.
    pub fn finish(mut self, report_md: &str, report_json: &str) -> Result<W, DeliveryError> {
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in [(REPORT_MD, report_md), (REPORT_JSON, report_json)] {
            self.writer.start_file(name, deflated).map_err(failed)?;
            self.writer.write_all(text.as_bytes()).map_err(io)?;
        }
        let mut sink = self.writer.finish().map_err(failed)?.into_inner();
        sink.flush().map_err(io)?;
        Ok(sink)
    }
}
