//! Cumulative gains and lift: contacting customers from the highest score
//! down, what share of the buyers is reached, and how many times better
//! than contacting at random (Berry & Linoff, *Data Mining Techniques*,
//! ch. 5; the decile table is the "lift table" of campaign reports).

use serde::Serialize;

use super::InsightError;
use super::ranking::tie_groups;

/// One point of the cumulative gains curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GainsPoint {
    /// Share of all customers contacted, 0 to 1.
    pub contacted: f64,
    /// Share of all buyers among them, 0 to 1.
    pub reached: f64,
    /// The lowest score contacted (customers with a score `>=` this);
    /// `None` at the origin, where nobody is contacted.
    pub threshold: Option<f32>,
}

/// One tenth of the customers, ranked by score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecileRow {
    /// 1 for the highest-scored tenth, 10 for the lowest.
    pub decile: usize,
    pub customers: usize,
    /// Buyers in the decile. Fractional where tied scores straddle a decile
    /// boundary: the tie's buyers are shared in proportion, the expected
    /// count whatever order the tied customers were taken in.
    pub buyers: f64,
    /// Buyers / customers in this decile.
    pub response_rate: f64,
    /// Response rate over the overall buyer rate (1 = no better than random).
    pub lift: f64,
    pub cumulative_customers: usize,
    pub cumulative_buyers: f64,
    /// Share of all buyers reached by contacting deciles 1 to this one.
    pub cumulative_gain: f64,
    /// Cumulative response rate over the overall buyer rate.
    pub cumulative_lift: f64,
    pub max_score: f32,
    pub min_score: f32,
}

/// Gains and lift of one ranking of customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gains {
    pub customers: usize,
    pub buyers: usize,
    /// From (0, 0) to (1, 1), one point per distinct score.
    pub curve: Vec<GainsPoint>,
    /// Ten rows (fewer with fewer than ten customers: empty deciles are
    /// left out).
    pub deciles: Vec<DecileRow>,
}

impl Gains {
    /// Gains of `scores` (any ranking score, higher = more likely to buy)
    /// against `labels` (a label `>= 0.5` is a buyer).
    ///
    /// # Errors
    /// [`InsightError`] when lengths differ, there are no customers, a score
    /// is not finite, or there is no buyer.
    pub fn compute(scores: &[f32], labels: &[f32]) -> Result<Gains, InsightError> {
        let groups = tie_groups(scores, labels)?;
        let customers = scores.len();
        let buyers: usize = groups.iter().map(|g| g.positives).sum();
        if buyers == 0 {
            return Err(InsightError::NoPositives);
        }
        let (n, p) = (customers as f64, buyers as f64);
        let mut curve = vec![GainsPoint {
            contacted: 0.0,
            reached: 0.0,
            threshold: None,
        }];
        let (mut contacted, mut reached) = (0usize, 0usize);
        for g in &groups {
            contacted += g.customers;
            reached += g.positives;
            curve.push(GainsPoint {
                contacted: contacted as f64 / n,
                reached: reached as f64 / p,
                threshold: Some(g.score),
            });
        }
        let deciles = decile_rows(&groups, customers, buyers);
        Ok(Gains {
            customers,
            buyers,
            curve,
            deciles,
        })
    }

    /// The perfect model's curve: every buyer first, then everyone else.
    pub fn perfect_curve(&self) -> [(f64, f64); 3] {
        let share = self.buyers as f64 / self.customers as f64;
        [(0.0, 0.0), (share, 1.0), (1.0, 1.0)]
    }

    /// Share of buyers reached when `contacted` (0 to 1) of the customers
    /// are contacted, read off the curve (linear between its points, as a
    /// tie is contacted in random order).
    pub fn reached_at(&self, contacted: f64) -> f64 {
        let c = contacted.clamp(0.0, 1.0);
        for w in self.curve.windows(2) {
            let (a, b) = (w[0], w[1]);
            if c <= b.contacted {
                let span = b.contacted - a.contacted;
                let t = if span > 0.0 {
                    (c - a.contacted) / span
                } else {
                    1.0
                };
                return a.reached + t * (b.reached - a.reached);
            }
        }
        1.0
    }
}

/// Deals the ranked tie groups into ten deciles of (nearly) equal size.
fn decile_rows(
    groups: &[super::ranking::TieGroup],
    customers: usize,
    buyers: usize,
) -> Vec<DecileRow> {
    let rate = buyers as f64 / customers as f64;
    // Decile k holds ranks [bound(k), bound(k + 1)).
    let bound = |k: usize| customers * k / 10;
    let mut rows: Vec<DecileRow> = Vec::with_capacity(10);
    let mut group = 0;
    // Customers of the current group not yet dealt.
    let mut left_in_group = groups.first().map_or(0, |g| g.customers);
    let (mut cumulative_customers, mut cumulative_buyers) = (0usize, 0.0f64);
    for k in 0..10 {
        let size = bound(k + 1) - bound(k);
        if size == 0 {
            continue;
        }
        let (mut taken, mut decile_buyers) = (0usize, 0.0f64);
        let mut max_score = f32::NEG_INFINITY;
        let mut min_score = f32::INFINITY;
        while taken < size && group < groups.len() {
            let g = groups[group];
            let take = left_in_group.min(size - taken);
            decile_buyers += g.positives as f64 * take as f64 / g.customers as f64;
            max_score = max_score.max(g.score);
            min_score = min_score.min(g.score);
            taken += take;
            left_in_group -= take;
            if left_in_group == 0 {
                group += 1;
                left_in_group = groups.get(group).map_or(0, |g| g.customers);
            }
        }
        cumulative_customers += taken;
        cumulative_buyers += decile_buyers;
        let response_rate = decile_buyers / taken as f64;
        let cumulative_rate = cumulative_buyers / cumulative_customers as f64;
        rows.push(DecileRow {
            decile: k + 1,
            customers: taken,
            buyers: decile_buyers,
            response_rate,
            lift: response_rate / rate,
            cumulative_customers,
            cumulative_buyers,
            cumulative_gain: cumulative_buyers / buyers as f64,
            cumulative_lift: cumulative_rate / rate,
            max_score,
            min_score,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// 100 customers, 10 buyers.
    fn labels() -> Vec<f32> {
        (0..100)
            .map(|i| if i % 10 == 3 { 1.0 } else { 0.0 })
            .collect()
    }

    #[test]
    fn a_perfect_ranking_reaches_every_buyer_in_the_first_decile() {
        let y = labels();
        let scores: Vec<f32> = y
            .iter()
            .enumerate()
            .map(|(i, &l)| l + i as f32 / 1000.0)
            .collect();
        let g = Gains::compute(&scores, &y).unwrap();
        let first = &g.deciles[0];
        assert_eq!((first.customers, first.buyers), (10, 10.0));
        assert!(close(first.response_rate, 1.0));
        assert!(close(first.lift, 10.0));
        assert!(close(first.cumulative_gain, 1.0));
        for row in &g.deciles[1..] {
            assert_eq!(row.buyers, 0.0);
            assert!(close(row.cumulative_gain, 1.0));
        }
        assert!(close(g.deciles[9].cumulative_lift, 1.0));
        assert!(close(g.reached_at(0.1), 1.0));
        assert!(close(g.reached_at(0.05), 0.5));
        assert_eq!(g.perfect_curve(), [(0.0, 0.0), (0.1, 1.0), (1.0, 1.0)]);
    }

    #[test]
    fn a_random_ranking_follows_the_diagonal() {
        // Every customer has the same score: contacting any share reaches
        // that share of the buyers, each decile a tenth of them.
        let y = labels();
        let g = Gains::compute(&vec![0.5; 100], &y).unwrap();
        assert_eq!(g.curve.len(), 2);
        for (k, row) in g.deciles.iter().enumerate() {
            assert!(close(row.buyers, 1.0), "decile {}: {}", k + 1, row.buyers);
            assert!(close(row.lift, 1.0));
            assert!(close(row.cumulative_gain, (k + 1) as f64 / 10.0));
        }
        assert!(close(g.reached_at(0.3), 0.3));
    }

    #[test]
    fn hand_computed_small_ranking() {
        // scores 0.9 0.8 0.7 0.6 0.5 (5 customers), buyers at 0.9 and 0.6.
        let g = Gains::compute(&[0.6, 0.9, 0.5, 0.8, 0.7], &[1.0, 1.0, 0.0, 0.0, 0.0]).unwrap();
        let points: Vec<(f64, f64)> = g.curve.iter().map(|p| (p.contacted, p.reached)).collect();
        assert_eq!(
            points,
            vec![
                (0.0, 0.0),
                (0.2, 0.5),
                (0.4, 0.5),
                (0.6, 0.5),
                (0.8, 1.0),
                (1.0, 1.0)
            ]
        );
        // Five customers: deciles 2, 4, 6, 8, 10 hold one each.
        let per: Vec<(usize, f64)> = g.deciles.iter().map(|d| (d.decile, d.buyers)).collect();
        assert_eq!(per, vec![(2, 1.0), (4, 0.0), (6, 0.0), (8, 1.0), (10, 0.0)]);
        assert!(close(g.deciles[0].lift, 2.5));
    }

    #[test]
    fn without_buyers_gains_are_undefined() {
        assert_eq!(
            Gains::compute(&[0.2, 0.4], &[0.0, 0.0]),
            Err(InsightError::NoPositives)
        );
    }
}
