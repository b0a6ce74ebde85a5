//! How control positions map to values: the fader law, pan and meter scales, and their labels.

pub use mixroom_engine::plan::FADER_MAX_DB;

/// Fader position (0 … 1) to dB: the amplitude follows the cube of the travel, so the top half of the
/// fader covers −20 … +12 dB with fine resolution around 0 dB (0 dB sits at 63 % of the travel) and the
/// bottom closes to −∞, as on a console.
pub fn position_to_db(position: f32) -> f32 {
    law_db(position, FADER_MAX_DB)
}

/// dB to fader position (0 … 1); the inverse of [`position_to_db`].
pub fn db_to_position(db: f32) -> f32 {
    law_position(db, FADER_MAX_DB)
}

/// The fader law for a control whose travel tops out at `top_db` (send knobs stop at +6 dB).
pub fn law_db(position: f32, top_db: f32) -> f32 {
    let p = position.clamp(0.0, 1.0);
    if p <= 0.0 {
        return f32::NEG_INFINITY;
    }
    top_db + 60.0 * p.log10()
}

/// The inverse of [`law_db`].
pub fn law_position(db: f32, top_db: f32) -> f32 {
    if db.is_nan() || db == f32::NEG_INFINITY {
        return 0.0;
    }
    10f32.powf((db.min(top_db) - top_db) / 60.0).clamp(0.0, 1.0)
}

/// A level as an engineer reads it: "−6.0 dB", "+2.5 dB", "−∞ dB".
pub fn db_label(db: f32) -> String {
    if db == f32::NEG_INFINITY || db < -144.0 {
        "−∞ dB".to_owned()
    } else if db.abs() < 0.05 {
        "0.0 dB".to_owned()
    } else if db > 0.0 {
        format!("+{db:.1} dB")
    } else {
        format!("−{:.1} dB", -db)
    }
}

/// A pan position as a console shows it: "C", "L30", "R100".
pub fn pan_label(pan: f32) -> String {
    let percent = (pan * 100.0).round() as i32;
    match percent {
        0 => "C".to_owned(),
        p if p < 0 => format!("L{}", -p),
        p => format!("R{p}"),
    }
}

/// Lowest level a meter shows, dBFS.
pub const METER_FLOOR_DB: f32 = -60.0;
/// Highest level a meter shows, dBFS.
pub const METER_CEILING_DB: f32 = 6.0;

/// A linear peak as dBFS, floored at the bottom of the meter.
pub fn peak_db(peak: f32) -> f32 {
    if peak > 0.0 {
        (20.0 * peak.log10()).max(METER_FLOOR_DB)
    } else {
        METER_FLOOR_DB
    }
}

/// Share of a meter's height a level fills, 0 … 1.
pub fn meter_fill(db: f32) -> f32 {
    ((db - METER_FLOOR_DB) / (METER_CEILING_DB - METER_FLOOR_DB)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn fader_law_points() {
        assert_eq!(position_to_db(1.0), 12.0);
        assert_eq!(position_to_db(0.0), f32::NEG_INFINITY);
        // 0 dB at 10^(−12/60) of the travel.
        assert!((db_to_position(0.0) - 0.630_957).abs() < 1e-5);
        for i in 1..=1000 {
            let p = i as f32 / 1000.0;
            assert!((db_to_position(position_to_db(p)) - p).abs() < 1e-5, "{p}");
            assert!((law_position(law_db(p, 6.0), 6.0) - p).abs() < 1e-5, "{p}");
        }
        // A send knob: +6 dB at the top, 0 dB at 10^(−6/60) of the travel.
        assert_eq!(law_db(1.0, 6.0), 6.0);
        assert!((law_position(0.0, 6.0) - 0.794_328).abs() < 1e-5);
    }

    #[wasm_bindgen_test]
    fn labels() {
        assert_eq!(db_label(-6.0), "−6.0 dB");
        assert_eq!(db_label(2.46), "+2.5 dB");
        assert_eq!(db_label(f32::NEG_INFINITY), "−∞ dB");
        assert_eq!(db_label(-0.01), "0.0 dB");
        assert_eq!(pan_label(-0.3), "L30");
        assert_eq!(pan_label(0.0), "C");
        assert_eq!(pan_label(1.0), "R100");
    }

    #[wasm_bindgen_test]
    fn meter_scale() {
        assert_eq!(peak_db(0.0), METER_FLOOR_DB);
        assert!((peak_db(0.5) + 6.0206).abs() < 1e-3);
        assert_eq!(meter_fill(METER_CEILING_DB + 3.0), 1.0);
        assert_eq!(meter_fill(METER_FLOOR_DB), 0.0);
    }
}

/// Reads a level typed by the engineer: "-12", "−12 dB", "+3.5db", "-inf", "−∞", "off".
pub fn parse_db(text: &str) -> Option<f32> {
    let t = text.trim().replace('−', "-").to_ascii_lowercase();
    let t = t.trim_end_matches("db").trim();
    if matches!(t, "-inf" | "-∞" | "inf" | "∞" | "off" | "-infinity") {
        return Some(f32::NEG_INFINITY);
    }
    t.parse::<f32>().ok().filter(|v| v.is_finite())
}

/// Reads a pan position typed as a console shows it: "L30", "R100", "C", or a number from −100
/// (left) to 100 (right). Returns −1 … +1.
pub fn parse_pan(text: &str) -> Option<f32> {
    let t = text.trim().replace('−', "-").to_ascii_uppercase();
    let v = if t == "C" || t == "CENTER" || t == "CENTRE" {
        0.0
    } else if let Some(n) = t.strip_prefix('L') {
        -n.trim().parse::<f32>().ok()?
    } else if let Some(n) = t.strip_prefix('R') {
        n.trim().parse::<f32>().ok()?
    } else {
        t.parse::<f32>().ok()?
    };
    v.is_finite().then(|| (v / 100.0).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod parse_tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn typed_levels_and_pans() {
        assert_eq!(parse_db("-12"), Some(-12.0));
        assert_eq!(parse_db(" −6.5 dB "), Some(-6.5));
        assert_eq!(parse_db("+3dB"), Some(3.0));
        assert_eq!(parse_db("−∞"), Some(f32::NEG_INFINITY));
        assert_eq!(parse_db("loud"), None);
        assert_eq!(parse_pan("L30"), Some(-0.3));
        assert_eq!(parse_pan("r 100"), Some(1.0));
        assert_eq!(parse_pan("C"), Some(0.0));
        assert_eq!(parse_pan("-250"), Some(-1.0));
        assert_eq!(parse_pan("left"), None);
    }
}
