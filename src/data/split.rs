//! Seeded train/test splits and k-fold partitions, stratified by class for
//! classification.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Row indices of the two sides of a split, each in ascending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Splits `rows` so that about `test_fraction` of them land in the test side.
///
/// With `classes` (one class id per entry of `rows`), each class is split on
/// its own so both sides keep the class shares of the whole. Every class
/// keeps at least one row on the training side; a class of two or more rows
/// also gets at least one test row, so test metrics see every class.
pub fn split_rows(
    rows: &[usize],
    classes: Option<&[usize]>,
    test_fraction: f64,
    seed: u64,
) -> Split {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut split = Split {
        train: Vec::with_capacity(rows.len()),
        test: Vec::with_capacity(rows.len()),
    };
    for mut group in class_groups(rows, classes) {
        group.shuffle(&mut rng);
        let n = group.len();
        let min_test = usize::from(n >= 2);
        let n_test = ((n as f64) * test_fraction).round() as usize;
        let n_test = n_test.clamp(min_test, n - 1);
        split.test.extend_from_slice(&group[..n_test]);
        split.train.extend_from_slice(&group[n_test..]);
    }
    split.train.sort_unstable();
    split.test.sort_unstable();
    split
}

/// Partitions `rows` into `k` folds for k-fold cross-validation.
///
/// With `classes` (one class id per entry of `rows`), each class is shuffled
/// and dealt round-robin over the folds, continuing where the previous class
/// stopped, so every fold keeps the class shares of the whole and fold sizes
/// differ by at most one row. The folds are disjoint, cover `rows`, and each
/// is in ascending order. Seeded: the same seed gives the same folds.
/// `k` is clamped to `1..=rows.len()` (at least one fold).
pub fn stratified_folds(
    rows: &[usize],
    classes: Option<&[usize]>,
    k: usize,
    seed: u64,
) -> Vec<Vec<usize>> {
    let k = k.clamp(1, rows.len().max(1));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut folds = vec![Vec::with_capacity(rows.len() / k + 1); k];
    let mut next = 0;
    for mut group in class_groups(rows, classes) {
        group.shuffle(&mut rng);
        for row in group {
            folds[next].push(row);
            next = (next + 1) % k;
        }
    }
    for fold in &mut folds {
        fold.sort_unstable();
    }
    folds
}

/// `rows` grouped by class (one group without `classes`), empty classes
/// left out, in class order.
fn class_groups(rows: &[usize], classes: Option<&[usize]>) -> Vec<Vec<usize>> {
    let groups = match classes {
        None => vec![rows.to_vec()],
        Some(classes) => {
            let n_classes = classes.iter().copied().max().map_or(0, |m| m + 1);
            let mut groups = vec![Vec::new(); n_classes];
            for (&row, &class) in rows.iter().zip(classes) {
                groups[class].push(row);
            }
            groups
        }
    };
    groups.into_iter().filter(|g| !g.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_disjoint_cover_every_row_and_keep_class_shares() {
        let rows: Vec<usize> = (100..1100).collect();
        let classes: Vec<usize> = rows.iter().map(|r| usize::from(r % 10 == 0)).collect();
        let folds = stratified_folds(&rows, Some(&classes), 5, 7);
        assert_eq!(folds.len(), 5);
        let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, rows, "disjoint and covering");
        for fold in &folds {
            assert_eq!(fold.len(), 200);
            assert_eq!(fold.iter().filter(|&&r| r % 10 == 0).count(), 20);
            assert!(fold.windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(folds, stratified_folds(&rows, Some(&classes), 5, 7));
        assert_ne!(folds, stratified_folds(&rows, Some(&classes), 5, 8));
    }

    #[test]
    fn uneven_folds_differ_by_at_most_one_row_and_k_is_clamped() {
        let rows: Vec<usize> = (0..23).collect();
        let sizes: Vec<usize> = stratified_folds(&rows, None, 5, 1)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 23);
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        assert_eq!(stratified_folds(&rows[..3], None, 10, 1).len(), 3);
        assert_eq!(stratified_folds(&[], None, 5, 1), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn same_seed_same_split_and_other_seed_differs() {
        let rows: Vec<usize> = (0..100).collect();
        let a = split_rows(&rows, None, 0.2, 1);
        assert_eq!(a, split_rows(&rows, None, 0.2, 1));
        assert_ne!(a, split_rows(&rows, None, 0.2, 2));
        assert_eq!(a.test.len(), 20);
        assert_eq!(a.train.len(), 80);
    }

    #[test]
    fn sides_are_disjoint_and_cover_all_rows() {
        let rows: Vec<usize> = (10..60).collect();
        let s = split_rows(&rows, None, 0.3, 9);
        let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, rows);
    }

    #[test]
    fn stratified_split_keeps_class_shares() {
        let rows: Vec<usize> = (0..1000).collect();
        // 10% positives.
        let classes: Vec<usize> = rows.iter().map(|r| usize::from(r % 10 == 0)).collect();
        let s = split_rows(&rows, Some(&classes), 0.2, 3);
        let test_pos = s.test.iter().filter(|&&r| r % 10 == 0).count();
        let train_pos = s.train.iter().filter(|&&r| r % 10 == 0).count();
        assert_eq!((test_pos, train_pos), (20, 80));
        assert_eq!(s.test.len(), 200);
    }

    #[test]
    fn a_rare_class_lands_on_both_sides() {
        let rows: Vec<usize> = (0..50).collect();
        let classes: Vec<usize> = rows.iter().map(|&r| usize::from(r < 2)).collect();
        let s = split_rows(&rows, Some(&classes), 0.1, 5);
        assert_eq!(s.test.iter().filter(|&&r| r < 2).count(), 1);
        assert_eq!(s.train.iter().filter(|&&r| r < 2).count(), 1);
    }
}
