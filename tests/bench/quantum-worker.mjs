// Times the engine one 128-frame quantum at a time: the same WebAssembly the AudioWorklet runs,
// here in a Worker because the worklet's scope has no clock (no `performance`).
import init, { WorkletEngine, device_design } from '/mixroom-worklet.js';

onmessage = async (e) => {
  try {
    const { module, session, tracks, quanta, checks } = e.data;
    const wasm = await init({ module_or_path: module });
    const engine = new WorkletEngine(48000);
    engine.load(session);
    tracks.forEach((channels, t) => channels.forEach((samples, c) => {
      const ptr = engine.track_audio_ptr(t, c, samples.length);
      new Float32Array(wasm.memory.buffer, ptr, samples.length).set(samples);
    }));
    engine.start(true);
    // The final check on, as a mastering engineer would have it: the master's loudness and
    // correlation meters (read every 12 quanta, as the processor reads them), the earbuds
    // simulation (the device with the most sections), the monitor in mono and dimmed, a reference
    // track listened to (B) at a matching gain with both matching meters running (its audio: the
    // first track's), and the first track's loudness metered.
    if (checks) {
      engine.enable_analysis();
      engine.set_device(device_design(2, 48000));
      engine.set_monitor(1, -20, false);
      const reference = tracks[0];
      reference.forEach((samples, c) => {
        const ptr = engine.reference_audio_ptr(c, reference.length, samples.length);
        new Float32Array(wasm.memory.buffer, ptr, samples.length).set(samples);
      });
      engine.set_reference(true, false, 0, 0, 0);
      engine.set_reference_gain(-3);
      engine.listen_to_reference(true);
      engine.meter_strip(0);
    }
    const quantum = (i) => {
      engine.process(128);
      if (checks && i % 12 === 0) engine.collect_analysis();
    };
    // Warm up (first touches of memory, JIT tiers), then measure.
    for (let i = 0; i < 200; i++) quantum(i);
    const us = new Float64Array(quanta);
    // The output's peak (read outside the timing, through views made once: nothing is allocated
    // that a collection would have to sweep inside a timed quantum): a count of tracks is only
    // timed if it sounds.
    const outputs = [0, 1].map((c) => new Float32Array(wasm.memory.buffer, engine.output_ptr(c), 128));
    let peak = 0;
    for (let i = 0; i < quanta; i++) {
      const t0 = performance.now();
      quantum(i);
      us[i] = (performance.now() - t0) * 1000;
      for (const out of outputs) {
        for (let j = 0; j < 128; j++) peak = Math.max(peak, Math.abs(out[j]));
      }
    }
    us.sort();
    const at = (q) => us[Math.min(us.length - 1, Math.floor(q * us.length))];
    const mean = us.reduce((a, b) => a + b, 0) / us.length;
    postMessage({ quanta, peak, budget_us: 128 / 48000 * 1e6, mean_us: mean, p50_us: at(0.5), p99_us: at(0.99), max_us: us[us.length - 1] });
  } catch (err) {
    postMessage({ error: String(err && err.message || err) });
  }
};
