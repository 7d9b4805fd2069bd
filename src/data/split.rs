//! Seeded train/test split, stratified by class for classification.

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
    let groups: Vec<Vec<usize>> = match classes {
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
    let mut split = Split {
        train: Vec::with_capacity(rows.len()),
        test: Vec::with_capacity(rows.len()),
    };
    for mut group in groups.into_iter().filter(|g| !g.is_empty()) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
