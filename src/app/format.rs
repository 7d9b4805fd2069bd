//! Numbers as the window shows them: a few significant digits, never the
//! float's full expansion (`132.7482452392578` reads as `132.7`). Data
//! written back to files keeps full precision (`data::table::format_number`);
//! this is for reading only.

/// Significant digits shown for a model's output or a data range.
const SIGNIFICANT: i32 = 4;

/// `x` rounded to four significant digits, without trailing zeros and
/// without an exponent for everyday magnitudes: `132.7`, `0.003142`,
/// `12346`, `-0.5`. Large numbers keep every integer digit (`1234568`);
/// NaN reads `n/a`, infinities `inf` / `-inf`.
pub fn short(x: f64) -> String {
    if x.is_nan() {
        return "n/a".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let magnitude = x.abs().log10().floor() as i32;
    // Decimals so that SIGNIFICANT digits show; none for numbers past them.
    let decimals = (SIGNIFICANT - 1 - magnitude).clamp(0, 12) as usize;
    let text = format!("{x:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if text == "-0" { "0".to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn four_significant_digits_without_trailing_zeros() {
        assert_eq!(short(132.748_245_239_257_8), "132.7");
        assert_eq!(short(0.003_141_59), "0.003142");
        assert_eq!(short(12_345.6), "12346");
        assert_eq!(short(1_234_567.8), "1234568");
        assert_eq!(short(-0.5), "-0.5");
        assert_eq!(short(2.0), "2");
        assert_eq!(short(99.999_99), "100");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(-0.000_000_1), "-0.0000001");
        assert_eq!(short(f64::NAN), "n/a");
        assert_eq!(short(f64::NEG_INFINITY), "-inf");
    }
}
