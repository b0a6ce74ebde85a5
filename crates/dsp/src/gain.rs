//! Decibels and linear gain.

/// The level below which a fader is treated as fully closed (−∞ dB).
pub const SILENCE_DB: f32 = -144.0;

/// Converts decibels to a linear amplitude factor: `10^(db/20)`.
///
/// Anything at or below [`SILENCE_DB`] (and NaN) maps to exactly 0, so a closed fader is silent.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    if db.is_nan() || db <= SILENCE_DB {
        0.0
    } else {
        libm::powf(10.0, db / 20.0)
    }
}

/// Converts a linear amplitude factor to decibels; 0 (and anything smaller) gives −∞.
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    if gain > 0.0 {
        20.0 * libm::log10f(gain)
    } else {
        f32::NEG_INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_points() {
        // Reference values: 10^(dB/20) computed in f64.
        for (db, reference) in [(0.0f64, 1.0f64), (-6.0, 0.501_187_233_6), (6.0, 1.995_262_315), (-20.0, 0.1), (-60.0, 0.001)] {
            let g = db_to_gain(db as f32) as f64;
            assert!((g - reference).abs() < 1e-6 * reference.max(1.0), "{db} dB -> {g}, want {reference}");
        }
        assert_eq!(db_to_gain(SILENCE_DB), 0.0);
        assert_eq!(db_to_gain(f32::NEG_INFINITY), 0.0);
        assert_eq!(db_to_gain(f32::NAN), 0.0);
    }

    #[test]
    fn round_trip() {
        for i in -120..=24 {
            let db = i as f32;
            assert!((gain_to_db(db_to_gain(db)) - db).abs() < 1e-4, "{db}");
        }
        assert_eq!(gain_to_db(0.0), f32::NEG_INFINITY);
    }
}
