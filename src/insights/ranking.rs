//! Customers ranked by score, highest first, with tied scores pooled.

use super::{InsightError, check_scores, is_positive};

/// Customers sharing one score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TieGroup {
    pub score: f32,
    pub customers: usize,
    pub positives: usize,
}

/// The distinct scores from highest to lowest, each with how many customers
/// have it and how many of them are positive.
pub(crate) fn tie_groups(scores: &[f32], labels: &[f32]) -> Result<Vec<TieGroup>, InsightError> {
    check_scores(scores, labels)?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut groups: Vec<TieGroup> = Vec::new();
    for i in order {
        let positive = usize::from(is_positive(labels[i]));
        match groups.last_mut() {
            Some(g) if g.score == scores[i] => {
                g.customers += 1;
                g.positives += positive;
            }
            _ => groups.push(TieGroup {
                score: scores[i],
                customers: 1,
                positives: positive,
            }),
        }
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_are_pooled_highest_first() {
        let g = tie_groups(&[0.2, 0.9, 0.2, 0.5], &[1.0, 0.0, 0.0, 1.0]).unwrap();
        let as_tuples: Vec<(f32, usize, usize)> = g
            .iter()
            .map(|g| (g.score, g.customers, g.positives))
            .collect();
        assert_eq!(as_tuples, vec![(0.9, 1, 0), (0.5, 1, 1), (0.2, 2, 1)]);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(tie_groups(&[], &[]), Err(InsightError::Empty));
        assert!(matches!(
            tie_groups(&[0.1, f32::NAN], &[0.0, 1.0]),
            Err(InsightError::NonFiniteScore { row: 1, .. })
        ));
        assert!(matches!(
            tie_groups(&[0.1], &[0.0, 1.0]),
            Err(InsightError::LengthMismatch { .. })
        ));
    }
}
