//! Buses, sends, returns, solo propagation, side-chains, delay compensation and routing errors.

mod common;
use common::*;
use mixroom_engine::*;

fn strip(name: &str, kind: StripKind, output: Option<StripId>) -> StripSpec {
    StripSpec::new(name, kind, output)
}

fn mixer(strips: Vec<StripSpec>) -> MixerSpec {
    MixerSpec { sample_rate: FS, tempo_bpm: 120.0, strips }
}

fn send(target: StripId, level_db: f32, pre_fader: bool) -> SendSpec {
    SendSpec { target, level_db, pre_fader, muted: false }
}

fn error(spec: &MixerSpec) -> String {
    match Engine::new(spec) {
        Ok(_) => panic!("the routing should have been refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn impossible_routings_are_refused_with_names() {
    let track = StripKind::Track { channels: 1 };
    assert!(error(&mixer(vec![strip("Kick", track, Some(0))])).contains("no master"));
    assert!(error(&mixer(vec![strip("M1", StripKind::Master, None), strip("M2", StripKind::Master, None)])).contains("more than one master"));
    let e = error(&mixer(vec![strip("Kick", track, Some(1)), strip("Snare", track, Some(2)), strip("Master", StripKind::Master, None)]));
    assert!(e.contains("\"Kick\"") && e.contains("bus or the master"), "{e}");
    let mut bad_send = vec![strip("Kick", track, Some(1)), strip("Master", StripKind::Master, None)];
    bad_send[0].sends.push(send(1, 0.0, false));
    assert!(error(&mixer(bad_send)).contains("return or a bus"));
    // Drums → Group A → Group B → Group A: a cycle, named in order.
    let e = error(&mixer(vec![
        strip("Drums", track, Some(1)),
        strip("Group A", StripKind::Bus, Some(2)),
        strip("Group B", StripKind::Bus, Some(1)),
        strip("Master", StripKind::Master, None),
    ]));
    assert!(e.contains("Group A → Group B → Group A") || e.contains("Group B → Group A → Group B"), "{e}");
    // A send from a return back into itself through a bus.
    let mut looped = vec![strip("Verb", StripKind::Return, Some(1)), strip("FX bus", StripKind::Bus, Some(2)), strip("Master", StripKind::Master, None)];
    looped[1].sends.push(send(0, 0.0, false));
    assert!(error(&mixer(looped)).contains("feed a signal back into itself"));
    // A side-chain key on a gate, and a key from the strip's own bus (a cycle).
    let mut keyed = vec![strip("Bass", track, Some(1)), strip("Master", StripKind::Master, None)];
    keyed[0].inserts.push(InsertSpec { key: Some(0), ..InsertSpec::new(InsertKind::Compressor) });
    assert!(error(&mixer(keyed)).contains("cannot key itself"));
    let mut keyed = vec![strip("Bass", track, Some(1)), strip("Bus", StripKind::Bus, Some(2)), strip("Master", StripKind::Master, None)];
    keyed[0].inserts.push(InsertSpec { key: Some(1), ..InsertSpec::new(InsertKind::Compressor) });
    assert!(error(&mixer(keyed)).contains("feed a signal back"));
}

/// Two tracks into a bus, the bus and a return into the master; levels add up exactly.
#[test]
fn buses_sum_and_sends_tap_before_or_after_the_fader() {
    let stereo = StripKind::Track { channels: 2 };
    let mut strips = vec![
        strip("A", stereo, Some(2)),
        strip("B", stereo, Some(2)),
        strip("Bus", StripKind::Bus, Some(4)),
        strip("Return", StripKind::Return, Some(4)),
        strip("Master", StripKind::Master, None),
    ];
    strips[2].settings.fader_db = -6.0;
    strips[0].sends.push(send(3, -6.0, false));
    strips[1].sends.push(send(3, -12.0, true));
    strips[1].settings.fader_db = f32::NEG_INFINITY;
    let spec = mixer(strips);
    let mut e = engine(&spec, 48_000, |s, _, _| if s == 0 { 0.1 } else { 0.2 });
    start(&mut e);
    let (l, _) = run(&mut e, 256);
    let g = |db: f64| 10f64.powf(db / 20.0);
    // A through the bus at −6 dB; B's fader is closed, but its pre-fader send still reaches the return.
    let expected = 0.1 * g(-6.0) + 0.1 * g(-6.0) + 0.2 * g(-12.0);
    assert!((l[255] as f64 - expected).abs() < 1e-6, "{} vs {expected}", l[255]);
}

#[test]
fn soloing_a_track_keeps_its_bus_and_soloing_a_bus_keeps_its_tracks() {
    let mono = StripKind::Track { channels: 2 };
    let mut strips = vec![
        strip("Kick", mono, Some(2)),
        strip("Snare", mono, Some(2)),
        strip("Drums", StripKind::Bus, Some(5)),
        strip("Bass", mono, Some(5)),
        strip("Verb", StripKind::Return, Some(5)),
        strip("Master", StripKind::Master, None),
    ];
    strips[3].sends.push(send(4, 0.0, false));
    let spec = mixer(strips);
    let levels = [0.01, 0.02, 0.0, 0.04, 0.0];
    let mut e = engine(&spec, 96_000, |s, _, _| levels[s]);
    start(&mut e);
    let last = |e: &mut Engine| run(e, 9_600).0[9_599] as f64;
    // All: kick + snare + bass + bass via the return.
    assert!((last(&mut e) - 0.11).abs() < 1e-6);
    ParamChange::Strip(0, StripParam::Solo, 1.0).apply(&mut e);
    // Kick soloed: its bus stays open, snare and bass go; the return is solo-safe but bass no longer
    // sends to it (bass is muted by the solo, its post-fader send with it).
    assert!((last(&mut e) - 0.01).abs() < 1e-6, "{}", last(&mut e));
    ParamChange::Strip(0, StripParam::Solo, 0.0).apply(&mut e);
    ParamChange::Strip(2, StripParam::Solo, 1.0).apply(&mut e);
    // Drums bus soloed: kick and snare heard.
    assert!((last(&mut e) - 0.03).abs() < 1e-6, "{}", last(&mut e));
}

/// A limiter (with lookahead latency) on one bus: every other path to the master is delayed to
/// match, and the offline render removes the total latency.
#[test]
fn delay_compensation_keeps_every_path_aligned() {
    let stereo = StripKind::Track { channels: 2 };
    let mut strips = vec![
        strip("Through limiter", stereo, Some(2)),
        strip("Direct", stereo, Some(4)),
        strip("Limited bus", StripKind::Bus, Some(4)),
        strip("Verb", StripKind::Return, Some(4)),
        strip("Master", StripKind::Master, None),
    ];
    strips[2].inserts.push(InsertSpec::new(InsertKind::Limiter));
    strips[1].sends.push(send(3, 0.0, false));
    let spec = mixer(strips);
    let mut e = engine(&spec, 8_000, |s, _, i| if i == 1_000 && s < 2 { 0.1 } else { 0.0 });
    let latency = e.latency();
    assert!(latency > 0);
    e.play();
    let (l, _) = run(&mut e, 8_000);
    let hits: Vec<usize> = l.iter().enumerate().filter(|(_, x)| x.abs() > 1e-4).map(|(i, _)| i).collect();
    // Three copies of the impulse (limited bus, direct, return) land on the same frame.
    assert_eq!(hits, vec![1_000 + latency], "{hits:?}");
    assert!((l[1_000 + latency] - 0.3).abs() < 1e-5, "{}", l[1_000 + latency]);
    let [bounce, _] = engine(&spec, 8_000, |s, _, i| if i == 1_000 && s < 2 { 0.1 } else { 0.0 }).render_all();
    assert_eq!(bounce.len(), 8_000);
    assert!((bounce[1_000] - 0.3).abs() < 1e-5);
}

#[test]
fn an_external_side_chain_ducks_by_the_key() {
    let mono = StripKind::Track { channels: 1 };
    let mut strips = vec![strip("Bass", mono, Some(2)), strip("Kick", mono, Some(2)), strip("Master", StripKind::Master, None)];
    strips[0].inserts.push(InsertSpec { key: Some(1), ..InsertSpec::new(InsertKind::Compressor).with("threshold", -30.0).with("ratio", 4.0).with("knee", 0.0).with("external", 1.0) });
    strips[1].settings.mute = true;
    let spec = mixer(strips);
    // Bass steady at −40 dBFS; the kick (muted in the mix) at 0 dBFS in the second half.
    let bass = 10f32.powf(-40.0 / 20.0);
    let mut e = engine(&spec, 96_000, |s, _, i| if s == 0 { bass } else if i >= 48_000 { 1.0 } else { 0.0 });
    e.play();
    let (l, _) = run(&mut e, 96_000);
    let centre = std::f32::consts::FRAC_1_SQRT_2;
    let db = |x: f32| 20.0 * (x / (bass * centre)).log10();
    assert!(db(l[40_000]).abs() < 0.01, "before the kick: {}", db(l[40_000]));
    // 30 dB over a −30 dB threshold at 4:1: 22.5 dB of ducking.
    assert!((db(l[95_000]) + 22.5).abs() < 0.1, "under the kick: {}", db(l[95_000]));
    assert!(e.take_gain_reduction(0) > 22.0);
}

#[test]
fn a_swapped_plan_takes_over_at_once() {
    let stereo = StripKind::Track { channels: 2 };
    let mut spec = mixer(vec![
        strip("A", stereo, Some(1)),
        strip("Bus", StripKind::Bus, Some(3)),
        strip("Other bus", StripKind::Bus, Some(3)),
        strip("Master", StripKind::Master, None),
    ]);
    spec.strips[2].settings.fader_db = -6.0206;
    let mut e = engine(&spec, 96_000, |_, _, _| 0.5);
    start(&mut e);
    assert!((run(&mut e, 256).0[255] - 0.5).abs() < 1e-6);
    // Re-route A to the other bus (−6 dB): a new plan, swapped in between two blocks.
    spec.strips[0].output = Some(2);
    let old = e.swap_plan(Box::new(Plan::compile(&spec).unwrap()));
    drop(old);
    let (l, _) = run(&mut e, 256);
    assert!((l[255] - 0.25).abs() < 1e-5, "{}", l[255]);
}
