//! Reference tracks: finished records the engineer compares the mix with, at matched loudness.
//!
//! The session keeps them (`mixroom_session::reference`): imported like tracks, stored and shared
//! with the session, never mixed. This module owns what the listener does with them — which one is
//! on the monitor, A/B, loudness matching and the spectrum overlay — none of it saved with the
//! session and none of it reaching an export: the engine plays a reference on the monitor path only.

use leptos::prelude::*;
use mixroom_dsp::spectrum::{Spectrum, FLOOR_DB};
use mixroom_session::{Reference, ReferenceLoop, ReferenceSync, Session};

use crate::desk::{desk, Desk};
use crate::meters::{analyse, fold, SPECTRUM_POINTS};

/// How the reference's level is matched to the mix's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Matching {
    /// Over what has played of both since matching began: the looped section, the verse heard.
    #[default]
    Section,
    /// The mix's integrated loudness so far against the whole reference's.
    Integrated,
    /// As recorded.
    Off,
}

impl Matching {
    pub const ALL: [Matching; 3] = [Matching::Section, Matching::Integrated, Matching::Off];

    pub fn key(self) -> &'static str {
        match self {
            Matching::Section => "section",
            Matching::Integrated => "integrated",
            Matching::Off => "off",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Matching::Section => "Match loudness over what plays",
            Matching::Integrated => "Match integrated loudness",
            Matching::Off => "Do not match loudness",
        }
    }
}

/// The most a reference is turned up or down to match, dB (beyond, something is not music).
pub const MATCH_RANGE_DB: f32 = 30.0;

/// The gain that plays a reference measuring `reference` LUFS at the mix's `mix` LUFS, to a tenth
/// of a dB (the engine is told only when that changes); none until both are measured.
pub fn matching_gain(mix: Option<f32>, reference: Option<f32>) -> Option<f32> {
    let (m, r) = (mix?, reference?);
    Some(((m - r) * 10.0).round().clamp(-MATCH_RANGE_DB * 10.0, MATCH_RANGE_DB * 10.0) / 10.0)
}

/// Octave bands of the per-band difference, centre frequencies (Hz).
pub const BANDS_HZ: [f32; 9] = [63.0, 125.0, 250.0, 500.0, 1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0];

/// The reference's level less the mix's in each octave band of [`BANDS_HZ`], dB: the energy mean of
/// the display points within the band (from `f/√2` to `f·√2`), each spectrum at `points` frequencies.
/// None for a band where either is silent.
pub fn band_differences(points: &[f32], mix: &[f32], reference: &[f32]) -> Vec<Option<f32>> {
    let band = |levels: &[f32], centre: f32| -> Option<f32> {
        let (low, high) = (centre / std::f32::consts::SQRT_2, centre * std::f32::consts::SQRT_2);
        let (mut energy, mut count) = (0.0f64, 0usize);
        for (&f, &db) in points.iter().zip(levels) {
            if f >= low && f < high {
                energy += 10f64.powf(db as f64 / 10.0);
                count += 1;
            }
        }
        let mean = energy / count.max(1) as f64;
        (count > 0 && mean > 10f64.powf(FLOOR_DB as f64 / 10.0) * 1.01).then(|| (10.0 * mean.log10()) as f32)
    };
    BANDS_HZ.iter().map(|&c| Some(band(reference, c)? - band(mix, c)?)).collect()
}

/// The listener's side of the references. `Copy`: every field is a handle.
#[derive(Clone, Copy)]
pub struct References {
    /// The reference on the monitor path (its id), if any.
    pub selected: RwSignal<Option<String>>,
    /// A/B: listening to the reference (B) rather than the mix (A).
    pub listening: RwSignal<bool>,
    pub matching: RwSignal<Matching>,
    /// The reference's spectrum as heard (matched), at the display points (while the spectrum is
    /// on screen).
    pub spectrum: RwSignal<Vec<f32>>,
    analyser: StoredValue<Option<Spectrum>, LocalStorage>,
}

impl References {
    pub fn new() -> References {
        References { selected: RwSignal::new(None), listening: RwSignal::new(false), matching: RwSignal::new(Matching::default()), spectrum: RwSignal::new(vec![FLOOR_DB; SPECTRUM_POINTS]), analyser: StoredValue::new_local(None) }
    }

    /// The selected reference, as the session has it now.
    pub fn current(self, desk: Desk) -> Option<Reference> {
        let id = self.selected.get()?;
        desk.session.with(|s| s.references.iter().find(|r| r.id == id).cloned())
    }

    /// The gain the reference plays at now (dB), as the matching says; none before it is measured.
    pub fn gain_db(self, desk: Desk) -> Option<f32> {
        let m = desk.meters.master.get();
        match self.matching.get() {
            Matching::Off => Some(0.0),
            Matching::Section => matching_gain(m.matched_mix, m.matched_reference),
            Matching::Integrated => matching_gain(m.integrated, self.current(desk).and_then(|r| r.loudness_lufs).map(|l| l as f32)),
        }
    }

    /// A/B: switches between the mix and the selected reference (the B key).
    pub fn toggle(self, desk: Desk) {
        if untrack(|| self.current(desk)).is_some() {
            self.listening.update(|l| *l = !*l);
        } else {
            desk.notice("Import a reference track (in References) to compare the mix with.");
        }
    }

    /// Keeps the engine's monitor path as the references say: the selected reference's audio and
    /// how it plays, the A/B switch, the matching gain, and its samples for the spectrum overlay.
    pub fn follow(self, desk: Desk) {
        // A reference that is no longer in the session (removed, or undone) is deselected.
        Effect::new(move |_| {
            let gone = self.selected.get().is_some_and(|id| desk.session.with(|s| !s.references.iter().any(|r| r.id == id)));
            if gone {
                self.selected.set(None);
                self.listening.set(false);
            }
        });
        // Its audio, again when the engine restarts (a reference's audio is held whole here: see
        // `Sources::prepare`).
        let source = Memo::new(move |_| self.current(desk).map(|r| r.source));
        Effect::new(move |_| {
            // (Offline audio relinked: the same source, its samples here now.)
            let (_ready, _offline) = (desk.ready.get(), desk.sources.offline.track());
            let source = source.get();
            let how = untrack(|| self.current(desk)).map(|r| how_it_plays(&r));
            desk.with_engine(|e| match source.as_ref().and_then(|s| desk.sources.audio_of(s)) {
                Some(audio) => e.set_reference(Some(&audio), how.flatten()),
                None => e.clear_reference(),
            });
            untrack(|| self.spectrum.set(vec![FLOOR_DB; SPECTRUM_POINTS]));
            desk.with_engine(|e| e.reset_matching());
        });
        // Its cue and loop section.
        let how = Memo::new(move |_| self.current(desk).map(|r| how_it_plays(&r)));
        Effect::new(move |was: Option<()>| {
            let how = how.get();
            if was.is_some() {
                if let Some(how) = how {
                    desk.with_engine(|e| {
                        e.set_reference(None, how);
                        e.reset_matching();
                    });
                }
            }
        });
        // The mix's loop moved: the section matched is another one.
        let song_loop = Memo::new(move |_| desk.session.with(|s| s.loop_region));
        Effect::new(move |was: Option<()>| {
            song_loop.track();
            if was.is_some() {
                desk.with_engine(|e| e.reset_matching());
            }
        });
        Effect::new(move |_| {
            let (_ready, on) = (desk.ready.get(), self.listening.get() && source.with(Option::is_some));
            desk.with_engine(|e| e.listen_to_reference(on));
        });
        let gain = Memo::new(move |_| self.gain_db(desk).unwrap_or(0.0));
        Effect::new(move |_| {
            let (_ready, _source, gain) = (desk.ready.get(), source.get(), gain.get());
            desk.with_engine(|e| e.set_reference_gain(gain));
        });
        // Its samples as heard while the master's spectrum is on screen.
        Effect::new(move |_| {
            let on = desk.ready.get() && desk.meters.master_views.get() > 0 && source.with(Option::is_some);
            desk.with_engine(|e| {
                e.set_reference_tap(on, move |samples| {
                    let rate = desk.session.with_untracked(|s| s.sample_rate) as f32;
                    let smoothing = desk.meters.smoothing.get_untracked();
                    let fresh = self.analyser.try_update_value(|a| analyse(a, &samples, rate, smoothing)).unwrap_or_default();
                    self.spectrum.update(|shown| fold(shown, &fresh));
                })
            });
        });
    }

    /// Imports `file` as a reference track: decoded and resampled as an import is, its loudness
    /// measured (as it plays: a mono file on both sides), kept with the session as one undoable
    /// step, and put on the monitor path.
    pub fn import(self, desk: Desk, imports: crate::import::Imports, file: web_sys::File) {
        let name = file.name();
        let name = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem).to_owned();
        leptos::task::spawn_local(async move {
            let opened = desk.opened();
            let prepared = match imports.decode_one(desk, file).await {
                Ok(p) => p,
                Err(None) => return,
                Err(Some(why)) => return desk.notice(format!("The reference was not imported: {why}")),
            };
            if desk.opened() != opened {
                return desk.notice("Another session was opened before the reference was read; import it there again.");
            }
            let channels: Vec<Vec<f32>> = prepared.audio.iter().map(js_sys::Float32Array::to_vec).collect();
            if channels.is_empty() {
                return desk.notice("The reference was not imported: it holds no audio.");
            }
            let rate = desk.session.with_untracked(|s| s.sample_rate);
            let heard: Vec<&[f32]> = (0..2).map(|c| channels[c.min(channels.len() - 1)].as_slice()).collect();
            let loudness = mixroom_analysis::loudness::measure(&heard, rate).ok().and_then(|r| r.integrated);
            let source = prepared.source.clone();
            let added = desk.sources.add(vec![prepared]);
            match desk.edit_session(move |s| s.add_reference(&name, source, loudness)) {
                Some(index) => self.selected.set(desk.session.with_untracked(|s| s.references.get(index).map(|r| r.id.clone()))),
                None => desk.sources.forget(&added),
            }
        });
    }
}

impl Default for References {
    fn default() -> Self {
        References::new()
    }
}

/// How a reference plays, as the engine takes it: `None` at the song position, else its cue and
/// loop section.
fn how_it_plays(r: &Reference) -> Option<(u64, Option<(u64, u64)>)> {
    (r.sync == ReferenceSync::Cue).then(|| (r.cue, r.engine_loop()))
}

/// Seconds as the reference panel shows them.
fn seconds(frames: u64, rate: u32) -> String {
    format!("{:.2}", frames as f64 / rate.max(1) as f64)
}

/// Frames from seconds typed in the panel; none for what is not a time.
fn frames(text: &str, rate: u32) -> Option<u64> {
    let s: f64 = text.trim().parse().ok()?;
    (s.is_finite() && s >= 0.0).then(|| (s * rate as f64).round() as u64)
}

/// The session's references, edited as one undoable step each.
fn edit_reference(desk: Desk, id: String, f: impl FnOnce(&mut Reference) + 'static) {
    desk.edit_session(move |s: &mut Session| {
        if let Some(r) = s.references.iter_mut().find(|r| r.id == id) {
            f(r);
        }
        Ok(())
    });
}

/// The A/B switch, always in view: which of the mix and the selected reference is heard, with the
/// gain the reference plays at.
#[component]
pub fn AbSwitch() -> impl IntoView {
    let desk = desk();
    let refs = expect_context::<References>();
    let label = move || match refs.current(desk) {
        Some(r) if refs.listening.get() => format!("B: {}", r.name),
        _ => "A: Mix".to_owned(),
    };
    let gain = move || {
        refs.current(desk).map(|_| match refs.gain_db(desk) {
            Some(g) => format!("ref {g:+.1} dB"),
            None => "ref matching…".to_owned(),
        })
    };
    view! {
        <span class="ab-switch">
            <button class="ab" aria-pressed=move || refs.listening.get().to_string()
                disabled=move || refs.current(desk).is_none()
                title="Switch between the mix (A) and the selected reference track (B) — key B"
                on:click=move |_| refs.toggle(desk)>{label}</button>
            <output class="ab-gain" aria-label="Reference gain" title="The gain the reference plays at to match the mix's loudness">{gain}</output>
        </span>
    }
}

/// The references panel: import, choose, remove; where each plays (the song position, or its cue
/// and loop section); how loudness is matched.
#[component]
pub fn ReferencePanel() -> impl IntoView {
    let desk = desk();
    let refs = expect_context::<References>();
    let imports = crate::import::imports();
    let input = NodeRef::<leptos::html::Input>::new();
    let rate = move || desk.session.with_untracked(|s| s.sample_rate);
    // (A memo: the list is drawn again when the references change, not at every fader move.)
    let list = Memo::new(move |_| desk.session.with(|s| s.references.clone()));
    let row = move |r: Reference| {
        let id = r.id.clone();
        let selected = {
            let id = id.clone();
            move || refs.selected.get().as_deref() == Some(id.as_str())
        };
        let loudness = r.loudness_lufs.map_or_else(|| "—".to_owned(), |l| format!("{l:.1} LUFS"));
        let cue_mode = r.sync == ReferenceSync::Cue;
        let section = r.loop_region.unwrap_or(ReferenceLoop { start: 0, end: r.frames(), enabled: false });
        let total = r.frames();
        let (i1, i2, i3, i4, i5, i6) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
        // Audio this browser does not have (a shared session's): said, and relinked with a file.
        let audio_id = match &r.source {
            mixroom_session::Source::Audio { id, .. } => id.clone(),
            mixroom_session::Source::DemoStem { .. } => String::new(),
        };
        let offline = {
            let audio_id = audio_id.clone();
            move || desk.sources.offline.with(|o| o.contains(&audio_id))
        };
        let relink = NodeRef::<leptos::html::Input>::new();
        view! {
            <li class="reference" class:selected=selected.clone()>
                <label class="reference-name">
                    <input type="radio" name="reference" prop:checked=selected.clone()
                        on:change=move |_| refs.selected.set(Some(i1.clone())) />
                    // Text from the file, never markup.
                    <span>{r.name.clone()}</span>
                </label>
                <span class="reference-loudness" title="Integrated loudness of the whole reference">{loudness}</span>
                <span class="offline" hidden={ let offline = offline.clone(); move || !offline() }>"audio not in this browser"
                    <button aria-label=format!("Relink {} with a file", r.name) on:click=move |_| { if let Some(i) = relink.get() { i.click(); } }>"Relink…"</button>
                    <input node_ref=relink type="file" hidden accept="audio/*,.wav,.wave,.flac,.mp3,.ogg,.oga,.m4a,.aac,.aif,.aiff,.caf"
                        on:change=move |ev| {
                            let el: web_sys::HtmlInputElement = event_target(&ev);
                            if let Some(file) = el.files().and_then(|f| f.get(0)) {
                                let old = audio_id.clone();
                                leptos::task::spawn_local(async move {
                                    if let Ok(prepared) = imports.decode_one(desk, file).await {
                                        desk.relink(&old, prepared);
                                    }
                                });
                            }
                            el.set_value("");
                        } />
                </span>
                <select aria-label=format!("Where {} plays", r.name) on:change=move |ev| {
                    let cue = event_target_value(&ev) == "cue";
                    edit_reference(desk, i2.clone(), move |r| r.sync = if cue { ReferenceSync::Cue } else { ReferenceSync::Song });
                }>
                    <option value="song" selected=!cue_mode>"At the song position"</option>
                    <option value="cue" selected=cue_mode>"From its cue"</option>
                </select>
                <label title="Where it starts playing, seconds into the reference">"Cue "
                    <input type="number" min="0" step="0.01" class="seconds" aria-label=format!("Cue of {}", r.name)
                        value=seconds(r.cue, rate()) on:change=move |ev| {
                            if let Some(at) = frames(&event_target_value(&ev), rate()) {
                                edit_reference(desk, i3.clone(), move |r| r.cue = at.min(r.frames().saturating_sub(1)));
                            }
                        } />
                </label>
                <label title="Loop this section of the reference (from its cue)">
                    <input type="checkbox" aria-label=format!("Loop a section of {}", r.name) prop:checked=section.enabled
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            edit_reference(desk, i4.clone(), move |r| {
                                let total = r.frames();
                                let l = r.loop_region.get_or_insert(ReferenceLoop { start: r.cue, end: total, enabled: on });
                                l.enabled = on;
                                if l.end <= l.start {
                                    r.loop_region = None;
                                }
                            });
                        } />
                    "Loop "
                </label>
                <input type="number" min="0" step="0.01" class="seconds" aria-label=format!("Loop start of {}", r.name)
                    value=seconds(section.start, rate()) on:change=move |ev| {
                        if let Some(at) = frames(&event_target_value(&ev), rate()) {
                            edit_reference(desk, i5.clone(), move |r| {
                                let end = r.loop_region.map_or(total, |l| l.end);
                                let enabled = r.loop_region.is_some_and(|l| l.enabled);
                                r.loop_region = (at < end).then_some(ReferenceLoop { start: at, end, enabled });
                            });
                        }
                    } />
                "–"
                <input type="number" min="0" step="0.01" class="seconds" aria-label=format!("Loop end of {}", r.name)
                    value=seconds(section.end, rate()) on:change=move |ev| {
                        if let Some(at) = frames(&event_target_value(&ev), rate()) {
                            edit_reference(desk, i6.clone(), move |r| {
                                let start = r.loop_region.map_or(0, |l| l.start);
                                let enabled = r.loop_region.is_some_and(|l| l.enabled);
                                let end = at.min(r.frames());
                                r.loop_region = (start < end).then_some(ReferenceLoop { start, end, enabled });
                            });
                        }
                    } />
                <button class="remove" title="Remove this reference from the session" aria-label=format!("Remove {}", r.name)
                    on:click=move |_| { let id = id.clone(); desk.edit_session(move |s: &mut Session| { s.references.retain(|r| r.id != id); Ok(()) }); }>"✕"</button>
            </li>
        }
    };
    view! {
        <details class="references" name="final-check-panel">
            <summary>"References"</summary>
            <div class="popover">
                <ul class="reference-list" aria-label="Reference tracks">
                    {move || list.get().into_iter().map(row).collect_view()}
                </ul>
                <p class="hint" hidden=move || list.with(|l| !l.is_empty())>
                    "Reference tracks are finished records to compare the mix with. They are kept with the session but never mixed or exported."
                </p>
                <div class="reference-options">
                    <button on:click=move |_| { if let Some(i) = input.get() { i.click(); } }>"Import reference…"</button>
                    <input node_ref=input type="file" hidden aria-label="Import a reference track"
                        accept="audio/*,.wav,.wave,.flac,.mp3,.ogg,.oga,.m4a,.aac,.aif,.aiff,.caf"
                        on:change=move |ev| {
                            let el: web_sys::HtmlInputElement = event_target(&ev);
                            if let Some(file) = el.files().and_then(|f| f.get(0)) {
                                refs.import(desk, imports, file);
                            }
                            el.set_value("");
                        } />
                    <select aria-label="Loudness matching" on:change=move |ev| {
                        let key = event_target_value(&ev);
                        if let Some(m) = Matching::ALL.into_iter().find(|m| m.key() == key) {
                            refs.matching.set(m);
                        }
                    }>
                        {Matching::ALL.into_iter().map(|m| view! { <option value=m.key() selected=move || refs.matching.get() == m>{m.label()}</option> }).collect_view()}
                    </select>
                    <button title="Measure both afresh from now (after moving to another section)" on:click=move |_| desk.with_engine(|e| e.reset_matching())>"Match again"</button>
                </div>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_matching_gain_turns_the_reference_to_the_mixs_loudness() {
        assert_eq!(matching_gain(Some(-14.0), Some(-8.26)), Some(-5.7));
        assert_eq!(matching_gain(Some(-23.0), Some(-30.0)), Some(7.0));
        assert_eq!(matching_gain(None, Some(-9.0)), None);
        assert_eq!(matching_gain(Some(-9.0), None), None);
        assert_eq!(matching_gain(Some(-70.0), Some(5.0)), Some(-MATCH_RANGE_DB));
    }

    #[wasm_bindgen_test]
    fn the_band_differences_read_a_tilt_band_by_band() {
        let points = mixroom_dsp::spectrum::log_points(crate::meters::SPECTRUM_LOW_HZ, crate::meters::SPECTRUM_HIGH_HZ, SPECTRUM_POINTS);
        // The mix flat at −40 dB, the reference 3 dB up per octave above 1 kHz and 2 dB down below.
        let mix = vec![-40.0f32; points.len()];
        let reference: Vec<f32> = points.iter().map(|&f| -40.0 + if f >= 1_000.0 { 3.0 * (f / 1_000.0).log2() } else { -2.0 }).collect();
        let d = band_differences(&points, &mix, &reference);
        assert_eq!(d.len(), BANDS_HZ.len());
        for (k, &centre) in BANDS_HZ.iter().enumerate() {
            let expected = if centre < 700.0 { -2.0 } else if centre > 1_500.0 { 3.0 * (centre / 1_000.0).log2() } else { 0.0 };
            let got = d[k].unwrap();
            // Within a band the tilt spreads over an octave: the energy mean sits near its centre.
            assert!((got - expected).abs() < 1.2, "{centre} Hz: {got} against {expected}");
        }
        // A silent reference has no difference to show.
        let silent = vec![FLOOR_DB; points.len()];
        assert!(band_differences(&points, &mix, &silent).iter().all(Option::is_none));
    }
}
