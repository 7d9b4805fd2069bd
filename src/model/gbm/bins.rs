//! Histogram bins: each feature's training values cut into at most
//! [`MAX_BINS`] ranges, so a split search sums gradients per bin instead of
//! sorting rows (XGBoost's `hist` method: Chen & Guestrin 2016, §3.3; Ke et
//! al. 2017, LightGBM).
//!
//! With few distinct values the cuts lie halfway between neighbours, which
//! finds every split an exact search would; with many, at quantiles of the
//! training values.

/// Most bins per feature (XGBoost's default `max_bin`); one more code marks
/// a missing value.
pub const MAX_BINS: usize = 256;

/// Bin code of a missing (NaN) value.
pub const MISSING_BIN: u16 = MAX_BINS as u16;

/// Each feature's cut points, ascending: a value `v` falls in bin
/// `#{cuts ≤ v}` (0 ..= cuts.len()).
#[derive(Debug, Clone, PartialEq)]
pub struct Cuts {
    pub per_feature: Vec<Vec<f32>>,
}

impl Cuts {
    /// Cuts from row-major `rows × cols` training values (NaN ignored).
    pub fn fit(data: &[f32], rows: usize, cols: usize) -> Cuts {
        let per_feature = (0..cols)
            .map(|c| {
                let mut values: Vec<f32> = (0..rows)
                    .map(|r| data[r * cols + c])
                    .filter(|v| !v.is_nan())
                    .collect();
                values.sort_by(f32::total_cmp);
                feature_cuts(&values)
            })
            .collect();
        Cuts { per_feature }
    }

    /// The bin of value `v` of feature `feature`.
    pub fn bin(&self, feature: usize, v: f32) -> u16 {
        if v.is_nan() {
            return MISSING_BIN;
        }
        // At most MAX_BINS - 1 cuts, so the count fits below MISSING_BIN.
        self.per_feature[feature].partition_point(|&c| c <= v) as u16
    }

    /// Column-major bin codes of row-major `rows × cols` values: column `c`
    /// is `codes[c * rows .. (c + 1) * rows]`, so one feature's codes are
    /// read together.
    pub fn codes(&self, data: &[f32], rows: usize, cols: usize) -> Vec<u16> {
        let mut codes = vec![0; rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                codes[c * rows + r] = self.bin(c, data[r * cols + c]);
            }
        }
        codes
    }
}

/// Cut points for one feature's sorted values.
fn feature_cuts(sorted: &[f32]) -> Vec<f32> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    let midpoint = |a: f32, b: f32| {
        let m = a + (b - a) / 2.0;
        // A midpoint that rounds onto `a` would put `a` right of the cut.
        if m > a { m } else { b }
    };
    if distinct.len() <= MAX_BINS {
        return distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect();
    }
    // Quantiles: the value at each of MAX_BINS - 1 evenly spaced ranks, cut
    // just above it, without repeats.
    let n = sorted.len();
    let mut cuts: Vec<f32> = Vec::with_capacity(MAX_BINS - 1);
    for k in 1..MAX_BINS {
        let i = (k * n / MAX_BINS).min(n - 1);
        let above = sorted[i..].iter().find(|&&v| v > sorted[i]);
        if let Some(&next) = above {
            let cut = midpoint(sorted[i], next);
            if cuts.last().is_none_or(|&last| cut > last) {
                cuts.push(cut);
            }
        }
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_values_cut_halfway_and_missing_has_its_own_code() {
        let data = [3.0, 1.0, 2.0, 1.0, f32::NAN];
        let cuts = Cuts::fit(&data, 5, 1);
        assert_eq!(cuts.per_feature[0], vec![1.5, 2.5]);
        assert_eq!(cuts.codes(&data, 5, 1), vec![2, 0, 1, 0, MISSING_BIN]);
    }

    #[test]
    fn many_values_get_at_most_max_bins() {
        let data: Vec<f32> = (0..10_000).map(|i| (i as f32).sqrt()).collect();
        let cuts = Cuts::fit(&data, 10_000, 1);
        let c = &cuts.per_feature[0];
        assert!(c.len() < MAX_BINS && c.len() > 200, "{}", c.len());
        assert!(c.windows(2).all(|w| w[0] < w[1]));
        let codes = cuts.codes(&data, 10_000, 1);
        assert!(codes.iter().all(|&b| usize::from(b) < MAX_BINS));
    }
}
