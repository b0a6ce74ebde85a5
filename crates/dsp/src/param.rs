//! Parameter descriptions: what every processor exposes to the session, the UI and the engine.
//!
//! A processor lists its parameters as a static table of [`ParamInfo`]; the position in the table is
//! the parameter's stable id within that processor. The UI builds its generic controls from the table,
//! the session stores values by the parameter's `key`, and the engine clamps every incoming value to
//! the declared range before the processor sees it.

/// The unit a parameter is shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Decibels,
    Hertz,
    Milliseconds,
    /// Shown as a percentage; stored 0 … 1 (or −1 … 1).
    Percent,
    /// A ratio such as 4:1.
    Ratio,
    /// Q factor.
    Q,
    /// On/off: 0 or 1.
    Toggle,
    /// One of `choices`, stored as its index.
    Choice(&'static [&'static str]),
    /// Seconds (reverb decay).
    Seconds,
    /// A plain number.
    Plain,
}

/// How a control travels between `min` and `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taper {
    Linear,
    /// Logarithmic travel: frequencies, times, ratios.
    Log,
}

/// One parameter of a processor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamInfo {
    /// Stable key stored in session files, e.g. `"band2_gain"`.
    pub key: &'static str,
    /// Label shown to the engineer, e.g. `"Band 2 gain"`.
    pub name: &'static str,
    pub unit: Unit,
    pub min: f32,
    pub max: f32,
    pub default: f32,
    pub taper: Taper,
}

impl ParamInfo {
    /// A continuous parameter.
    pub const fn new(key: &'static str, name: &'static str, unit: Unit, min: f32, max: f32, default: f32, taper: Taper) -> Self {
        ParamInfo { key, name, unit, min, max, default, taper }
    }

    /// An on/off parameter.
    pub const fn toggle(key: &'static str, name: &'static str, default: bool) -> Self {
        ParamInfo { key, name, unit: Unit::Toggle, min: 0.0, max: 1.0, default: if default { 1.0 } else { 0.0 }, taper: Taper::Linear }
    }

    /// A choice among named options.
    pub const fn choice(key: &'static str, name: &'static str, choices: &'static [&'static str], default: usize) -> Self {
        ParamInfo {
            key,
            name,
            unit: Unit::Choice(choices),
            min: 0.0,
            max: (choices.len() - 1) as f32,
            default: default as f32,
            taper: Taper::Linear,
        }
    }

    /// `value` clamped to the range (NaN becomes the default); toggles and choices are rounded.
    pub fn clamp(&self, value: f32) -> f32 {
        if value.is_nan() {
            return self.default;
        }
        let v = value.clamp(self.min, self.max);
        match self.unit {
            Unit::Toggle | Unit::Choice(_) => libm::roundf(v),
            _ => v,
        }
    }
}

/// Looks a parameter up by key in a table; returns its id (index).
pub fn find(table: &[ParamInfo], key: &str) -> Option<usize> {
    table.iter().position(|p| p.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamping() {
        let p = ParamInfo::new("f", "Freq", Unit::Hertz, 20.0, 20_000.0, 1_000.0, Taper::Log);
        assert_eq!(p.clamp(5.0), 20.0);
        assert_eq!(p.clamp(1e9), 20_000.0);
        assert_eq!(p.clamp(f32::NAN), 1_000.0);
        let c = ParamInfo::choice("s", "Slope", &["12", "24", "48"], 0);
        assert_eq!(c.clamp(1.4), 1.0);
        assert_eq!(c.clamp(7.0), 2.0);
        assert_eq!(ParamInfo::toggle("on", "On", true).clamp(0.2), 0.0);
    }
}
