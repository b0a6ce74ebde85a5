//! Lanes: the numeric type the lane processors compute with.
//!
//! A lane processor runs the same arithmetic on [`Lanes::WIDTH`] independent channels at once: one
//! `f32` (scalar), or four packed in a SIMD register ([`F32x4`], `simd128` in the browser, SSE natively).
//! The engine packs the channels of several tracks into the lanes of one group and runs each insert
//! once for all of them.
//!
//! Every operation here is an IEEE-754 operation on each lane (add, sub, mul, div, compare, bit
//! manipulation); there is no fused multiply-add and no platform math library. Hence the scalar and the
//! SIMD instantiations of a processor produce bit-identical results, natively and in WebAssembly; the
//! tests compare them lane by lane. The logarithm and exponential are polynomial approximations built
//! from those operations ([`Lanes::log2`], [`Lanes::exp2`]), accurate to about 1e-6.

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

use wide::{f32x4, i32x4};

/// The four-lane SIMD type.
pub type F32x4 = f32x4;

/// `1.5 · 2^23`: adding and subtracting it rounds an `f32` below 2^22 in magnitude to the nearest
/// integer (ties to even), using nothing but two IEEE additions.
const ROUNDER: f32 = 12_582_912.0;
/// The bit pattern of [`ROUNDER`]; `bits(x + ROUNDER) − ROUNDER_BITS` is `round(x)` as an integer.
const ROUNDER_BITS: i32 = 0x4B40_0000;

/// The coefficients of the polynomials of [`Lanes::log2`] and [`Lanes::exp2`], every lane alike.
///
/// A processor that takes a logarithm or an exponential on every sample keeps these in its struct
/// and hands them to `log2_by`, `exp2_by`, … Written as constants in the loop, they are rebuilt
/// by Chromium's WebAssembly compiler (V8 of Chromium 156) at every use — each vector constant
/// three instructions (an immediate, a move, a shuffle), twelve of them per compressor sample;
/// read from memory, each is one load. Measured: S16 2.7 % faster in Chromium (interleaved A/B).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogExpCoefs<L> {
    log2: [L; 7],
    exp2: [L; 5],
}

impl<L: Lanes> LogExpCoefs<L> {
    #[inline]
    pub fn new() -> Self {
        // log2(1 + t), t ∈ [0, 1); 2^f − 1, f ∈ [−½, ½]: see the two functions.
        const LOG2: [f32; 7] = [1.442_664, -0.720_515_5, 0.473_113_36, -0.324_616_37, 0.192_385_05, -0.078_158_21, 0.015_127_916];
        const EXP2: [f32; 5] = [0.693_147, 0.240_222_42, 0.055_507_336, 0.009_671_513, 0.001_326_472_5];
        LogExpCoefs { log2: LOG2.map(L::splat), exp2: EXP2.map(L::splat) }
    }
}

/// A vector of `WIDTH` independent `f32` lanes.
pub trait Lanes:
    Copy
    + Debug
    + Default
    + PartialEq
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    /// Number of lanes.
    const WIDTH: usize;

    /// Every lane set to `x`.
    fn splat(x: f32) -> Self;
    /// The value of lane `i` (`i < WIDTH`; out-of-range lanes read as 0).
    fn lane(self, i: usize) -> f32;
    /// Sets lane `i` to `x` (out-of-range lanes are ignored).
    fn set_lane(&mut self, i: usize, x: f32);
    fn abs(self) -> Self;
    /// Square root: an IEEE-754 operation, correctly rounded on every target.
    fn sqrt(self) -> Self;
    fn max(self, other: Self) -> Self;
    fn min(self, other: Self) -> Self;
    /// Per lane: `a` where `self > other`, else `b`.
    fn select_gt(self, other: Self, a: Self, b: Self) -> Self;
    /// Per lane: the unbiased binary exponent `e` (as a float) and the mantissa `m ∈ [1, 2)` with
    /// `self = m · 2^e`, for positive normal lanes.
    fn split_exponent(self) -> (Self, Self);
    /// Per lane: `2^n` for integer-valued lanes `n` in −126 … 127.
    fn pow2_int(self) -> Self;
    /// Zeroes lanes that are denormal, infinite or NaN.
    fn flush(self) -> Self;
    /// Swaps neighbouring lanes (0↔1, 2↔3): the other side of a stereo pair. A scalar is its own pair.
    fn swap_pairs(self) -> Self;

    /// Per lane: `x` rounded to the nearest integer (ties to even), for |x| < 2^22.
    #[inline]
    fn round(self) -> Self {
        (self + Self::splat(ROUNDER)) - Self::splat(ROUNDER)
    }

    /// Per lane: log2(x) for positive lanes; lanes ≤ 0 give a large negative number (−150).
    ///
    /// log2(m·2^e) = e + log2(m) with m ∈ [1, 2); log2(1 + t) for t ∈ [0, 1) is a degree-7
    /// polynomial fitted by least squares on Chebyshev nodes, exact at t = 0, within 4e-7 of the true
    /// value in f32 (2e-6 dB) — and, unlike the usual atanh series, without a division.
    ///
    /// The polynomial is evaluated in Estrin's scheme (pairs of terms, then pairs of pairs with
    /// t², t⁴), not Horner's: the same accuracy (the tests hold), but a chain of six dependent
    /// operations instead of fourteen. The compressor takes a logarithm per sample (measured in
    /// Chromium: S16 2 % faster).
    #[inline]
    fn log2(self) -> Self {
        self.log2_by(&LogExpCoefs::new())
    }

    /// [`Lanes::log2`] with its polynomial's coefficients read from `coefs` (see [`LogExpCoefs`]).
    #[inline]
    fn log2_by(self, coefs: &LogExpCoefs<Self>) -> Self {
        let tiny = Self::splat(f32::MIN_POSITIVE);
        let x = self.max(tiny);
        let (e, m) = x.split_exponent();
        let t = m - Self::splat(1.0);
        let c = |k: usize| coefs.log2[k];
        let t2 = t * t;
        let t4 = t2 * t2;
        let q = ((c(0) + c(1) * t) + t2 * (c(2) + c(3) * t)) + t4 * ((c(4) + c(5) * t) + t2 * c(6));
        let p = t * q;
        let log = e + p;
        self.select_gt(Self::splat(0.0), log, Self::splat(-150.0))
    }

    /// Per lane: 2^x, for x in −126 … 127 (clamped to that range).
    ///
    /// 2^x = 2^n · 2^f with n = round(x), f ∈ [−½, ½]; 2^f − 1 is a degree-5 polynomial in f
    /// fitted for the least largest relative error (iterated weighted least squares on Chebyshev
    /// nodes), within 2e-7 of 2^f in f32 — as close as a degree-6 Taylor series of e^(f·ln 2),
    /// with one multiplication and one addition fewer. Evaluated in Estrin's scheme, as
    /// [`Lanes::log2`] is, for the shorter chain.
    #[inline]
    fn exp2(self) -> Self {
        self.exp2_by(&LogExpCoefs::new())
    }

    /// [`Lanes::exp2`] with its polynomial's coefficients read from `coefs` (see [`LogExpCoefs`]).
    #[inline]
    fn exp2_by(self, coefs: &LogExpCoefs<Self>) -> Self {
        let x = self.max(Self::splat(-126.0)).min(Self::splat(127.0));
        let n = x.round();
        let f = x - n;
        let c = |k: usize| coefs.exp2[k];
        let f2 = f * f;
        let p = Self::splat(1.0) + f * ((c(0) + c(1) * f) + f2 * ((c(2) + c(3) * f) + f2 * c(4)));
        p * n.pow2_int()
    }

    /// Per lane: decibels to amplitude, 10^(dB/20).
    #[inline]
    fn db_to_gain(self) -> Self {
        self.db_to_gain_by(&LogExpCoefs::new())
    }

    /// Per lane: amplitude to decibels, 20·log10(x); lanes ≤ 0 give about −903 dB.
    #[inline]
    fn gain_to_db(self) -> Self {
        self.gain_to_db_by(&LogExpCoefs::new())
    }

    /// [`Lanes::db_to_gain`] by [`Lanes::exp2_by`].
    #[inline]
    fn db_to_gain_by(self, coefs: &LogExpCoefs<Self>) -> Self {
        (self * Self::splat(core::f32::consts::LOG2_10 / 20.0)).exp2_by(coefs)
    }

    /// [`Lanes::gain_to_db`] by [`Lanes::log2_by`].
    #[inline]
    fn gain_to_db_by(self, coefs: &LogExpCoefs<Self>) -> Self {
        self.log2_by(coefs) * Self::splat(20.0 / core::f32::consts::LOG2_10)
    }
}

impl Lanes for f32 {
    const WIDTH: usize = 1;

    #[inline]
    fn splat(x: f32) -> Self {
        x
    }
    #[inline]
    fn lane(self, i: usize) -> f32 {
        if i == 0 {
            self
        } else {
            0.0
        }
    }
    #[inline]
    fn set_lane(&mut self, i: usize, x: f32) {
        if i == 0 {
            *self = x;
        }
    }
    #[inline]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline]
    fn max(self, other: Self) -> Self {
        // Written out rather than f32::max so that the scalar and SIMD paths agree on every input.
        if self > other {
            self
        } else {
            other
        }
    }
    #[inline]
    fn min(self, other: Self) -> Self {
        if self < other {
            self
        } else {
            other
        }
    }
    #[inline]
    fn select_gt(self, other: Self, a: Self, b: Self) -> Self {
        if self > other {
            a
        } else {
            b
        }
    }
    #[inline]
    fn split_exponent(self) -> (Self, Self) {
        let bits = self.to_bits() as i32;
        let e = ((bits >> 23) & 0xff) - 127;
        let m = f32::from_bits(((bits & 0x007f_ffff) | 0x3f80_0000) as u32);
        (f32::from_bits((e + ROUNDER_BITS) as u32) - ROUNDER, m)
    }
    #[inline]
    fn pow2_int(self) -> Self {
        let n = ((self + ROUNDER).to_bits() as i32) - ROUNDER_BITS;
        f32::from_bits(((n + 127) << 23) as u32)
    }
    #[inline]
    fn flush(self) -> Self {
        crate::flush(self)
    }
    #[inline]
    fn swap_pairs(self) -> Self {
        self
    }
}

impl Lanes for F32x4 {
    const WIDTH: usize = 4;

    #[inline]
    fn splat(x: f32) -> Self {
        f32x4::splat(x)
    }
    #[inline]
    fn lane(self, i: usize) -> f32 {
        self.to_array().get(i).copied().unwrap_or(0.0)
    }
    #[inline]
    fn set_lane(&mut self, i: usize, x: f32) {
        let mut a = self.to_array();
        if let Some(v) = a.get_mut(i) {
            *v = x;
        }
        *self = f32x4::from(a);
    }
    #[inline]
    fn abs(self) -> Self {
        f32x4::abs(self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        f32x4::sqrt(self)
    }
    // `max` and `min` are one instruction where the platform's has exactly their meaning — SSE's
    // `maxps a, b` is `a > b ? a : b`, WebAssembly's `pmax a, b` is `a < b ? b : a` — and a
    // compare and a select elsewhere. (The IEEE `max` of WebAssembly, NaN-propagating, costs a
    // dozen instructions in V8.)
    #[inline]
    fn max(self, other: Self) -> Self {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        return self.fast_max(other);
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        return other.fast_max(self);
        #[allow(unreachable_code)]
        self.select_gt(other, self, other)
    }
    #[inline]
    fn min(self, other: Self) -> Self {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        return self.fast_min(other);
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        return other.fast_min(self);
        #[allow(unreachable_code)]
        other.select_gt(self, self, other)
    }
    #[inline]
    fn select_gt(self, other: Self, a: Self, b: Self) -> Self {
        self.simd_gt(other).select(a, b)
    }
    #[inline]
    fn split_exponent(self) -> (Self, Self) {
        let bits: i32x4 = bytemuck_cast(self);
        let e = ((bits >> 23) & i32x4::splat(0xff)) - i32x4::splat(127);
        let m: f32x4 = bytemuck_cast((bits & i32x4::splat(0x007f_ffff)) | i32x4::splat(0x3f80_0000));
        let e: f32x4 = bytemuck_cast(e + i32x4::splat(ROUNDER_BITS));
        (e - f32x4::splat(ROUNDER), m)
    }
    #[inline]
    fn pow2_int(self) -> Self {
        let n: i32x4 = bytemuck_cast(self + f32x4::splat(ROUNDER));
        let n = n - i32x4::splat(ROUNDER_BITS);
        bytemuck_cast((n + i32x4::splat(127)) << 23)
    }
    #[inline]
    fn flush(self) -> Self {
        // Keep lanes with |x| ≥ the smallest normal and finite (|x| ≤ f32::MAX); zero the rest.
        let a = self.abs();
        let normal = a.simd_ge(f32x4::splat(f32::MIN_POSITIVE)) & a.simd_le(f32x4::splat(f32::MAX));
        normal.select(self, f32x4::ZERO)
    }
    #[inline]
    fn swap_pairs(self) -> Self {
        let [a, b, c, d] = self.to_array();
        f32x4::from([b, a, d, c])
    }
}

#[inline]
fn bytemuck_cast<A: wide::bytemuck::Pod, B: wide::bytemuck::Pod>(a: A) -> B {
    wide::bytemuck::cast(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Vec<f32> {
        let mut v = vec![1e-30, 1e-12, 1e-6, 0.001, 0.1, 0.5, 0.999, 1.0, 1.0001, 2.0, 3.7, 100.0, 12345.0, 1e20];
        let mut x = 1.0e-8f32;
        while x < 1.0e8 {
            v.push(x);
            x *= 1.37;
        }
        v
    }

    #[test]
    fn log2_matches_f64_reference() {
        for x in inputs() {
            let got = Lanes::log2(x) as f64;
            let want = (x as f64).log2();
            assert!((got - want).abs() < 1e-6 * want.abs().max(1.0), "log2({x}) = {got}, want {want}");
        }
        assert_eq!(Lanes::log2(0.0f32), -150.0);
        assert_eq!(Lanes::log2(-1.0f32), -150.0);
    }

    #[test]
    fn exp2_matches_f64_reference() {
        let mut x = -120.0f32;
        while x < 120.0 {
            let got = Lanes::exp2(x) as f64;
            let want = (x as f64).exp2();
            assert!(((got - want) / want).abs() < 1e-6, "exp2({x}) = {got}, want {want}");
            x += 0.173;
        }
        // Across the fraction finely, where the polynomial does the work: within 3e-7.
        for k in -5000..=5000 {
            let x = k as f32 / 10_000.0 + 0.25;
            let got = Lanes::exp2(x) as f64;
            let want = (x as f64).exp2();
            assert!(((got - want) / want).abs() < 3e-7, "exp2({x}) = {got}, want {want}");
        }
        assert_eq!(Lanes::exp2(0.0f32), 1.0);
        assert_eq!(Lanes::exp2(3.0f32), 8.0);
    }

    #[test]
    fn decibel_round_trip() {
        for db in [-120.0f32, -60.0, -18.0, -6.0, 0.0, 0.1, 6.0, 24.0] {
            let g = Lanes::db_to_gain(db);
            assert!(((g as f64) - 10f64.powf(db as f64 / 20.0)).abs() < 1e-6 * (g as f64).max(1.0));
            assert!((Lanes::gain_to_db(g) - db).abs() < 1e-4, "{db}");
        }
    }

    /// The SIMD type computes exactly what the scalar type computes, lane by lane.
    #[test]
    fn simd_lanes_are_bit_identical_to_scalar() {
        let xs = inputs();
        for chunk in xs.chunks(4) {
            let mut v = F32x4::splat(0.0);
            for (i, &x) in chunk.iter().enumerate() {
                v.set_lane(i, x);
            }
            // Trait calls spelled out: f32x4 has inherent methods of the same names (wide's own).
            let (e4, m4) = v.split_exponent();
            for (i, &x) in chunk.iter().enumerate() {
                assert_eq!(Lanes::log2(v).lane(i).to_bits(), Lanes::log2(x).to_bits(), "log2 {x}");
                let y = x.min(100.0);
                let mut w = F32x4::splat(0.0);
                w.set_lane(i, y);
                assert_eq!(Lanes::exp2(w).lane(i).to_bits(), Lanes::exp2(y).to_bits(), "exp2 {y}");
                let (e, m) = x.split_exponent();
                assert_eq!((e4.lane(i), m4.lane(i)), (e, m));
                assert_eq!(Lanes::flush(v).lane(i), x.flush());
            }
        }
    }

    #[test]
    fn flush_and_select() {
        let v = F32x4::from([1e-40, f32::NAN, -0.5, f32::INFINITY]);
        assert_eq!(Lanes::flush(v).to_array(), [0.0, 0.0, -0.5, 0.0]);
        let a = F32x4::from([1.0, 2.0, 3.0, 4.0]);
        let b = F32x4::splat(2.5);
        assert_eq!(Lanes::max(a, b).to_array(), [2.5, 2.5, 3.0, 4.0]);
        assert_eq!(Lanes::min(a, b).to_array(), [1.0, 2.0, 2.5, 2.5]);
        // Where NaN and signed zeros meet, max and min answer lane by lane what the scalar
        // `self > other ? self : other` (and `<`) answers: the same bits on every target.
        let odd = [f32::NAN, 1.0, -0.0, 0.0, f32::INFINITY, -1.0];
        for &x in &odd {
            for &y in &odd {
                let (vx, vy) = (F32x4::splat(x), F32x4::splat(y));
                assert_eq!(Lanes::max(vx, vy).lane(0).to_bits(), Lanes::max(x, y).to_bits(), "max({x}, {y})");
                assert_eq!(Lanes::min(vx, vy).lane(0).to_bits(), Lanes::min(x, y).to_bits(), "min({x}, {y})");
            }
        }
        assert_eq!(Lanes::round(F32x4::from([0.5, 1.5, -2.5, 2.4])).to_array(), [0.0, 2.0, -2.0, 2.0]);
    }
}
