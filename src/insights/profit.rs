//! The campaign's expected profit at each threshold: contact every customer
//! scored at or above it, earn a value for each buyer reached, pay for each
//! contact and for each buyer missed (the cost-sensitive view of the
//! confusion matrix: Elkan, "The foundations of cost-sensitive learning",
//! IJCAI 2001).

use serde::{Deserialize, Serialize};

use super::InsightError;
use super::ranking::tie_groups;

/// What a campaign's outcomes are worth, in the user's currency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CampaignEconomics {
    /// Earned for each buyer contacted (e.g. a retained customer's margin).
    pub value_per_buyer: f64,
    /// Paid for each customer contacted, buyer or not.
    pub cost_per_contact: f64,
    /// Lost for each buyer not contacted (0 when a missed buyer costs
    /// nothing beyond the value not earned).
    pub cost_per_missed_buyer: f64,
}

impl Default for CampaignEconomics {
    fn default() -> Self {
        CampaignEconomics {
            value_per_buyer: 100.0,
            cost_per_contact: 10.0,
            cost_per_missed_buyer: 0.0,
        }
    }
}

impl CampaignEconomics {
    /// Profit of contacting `contacted` customers of whom `reached` buy,
    /// with `buyers` buyers in all:
    /// `reached * value - contacted * cost - (buyers - reached) * missed`.
    pub fn profit(&self, contacted: usize, reached: usize, buyers: usize) -> f64 {
        reached as f64 * self.value_per_buyer
            - contacted as f64 * self.cost_per_contact
            - (buyers - reached) as f64 * self.cost_per_missed_buyer
    }
}

/// One threshold of the profit curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProfitPoint {
    /// Customers with a score `>=` this are contacted; `None`: nobody.
    pub threshold: Option<f32>,
    pub contacted: usize,
    /// Buyers among those contacted (true positives).
    pub reached: usize,
    pub profit: f64,
}

/// Expected profit over every threshold that changes who is contacted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfitCurve {
    pub economics: CampaignEconomics,
    pub customers: usize,
    pub buyers: usize,
    /// From contacting nobody to contacting everyone, one point per
    /// distinct score (thresholds descending).
    pub points: Vec<ProfitPoint>,
    /// Index into `points` of the highest profit (the highest threshold
    /// among equal profits: fewer contacts for the same money).
    pub best: usize,
}

impl ProfitCurve {
    /// The profit curve of `scores` against `labels` (a label `>= 0.5` is a
    /// buyer).
    ///
    /// # Errors
    /// [`InsightError`] when lengths differ, there are no customers, or a
    /// score is not finite.
    pub fn compute(
        scores: &[f32],
        labels: &[f32],
        economics: CampaignEconomics,
    ) -> Result<ProfitCurve, InsightError> {
        let groups = tie_groups(scores, labels)?;
        let buyers: usize = groups.iter().map(|g| g.positives).sum();
        let mut points = vec![ProfitPoint {
            threshold: None,
            contacted: 0,
            reached: 0,
            profit: economics.profit(0, 0, buyers),
        }];
        let (mut contacted, mut reached) = (0, 0);
        for g in &groups {
            contacted += g.customers;
            reached += g.positives;
            points.push(ProfitPoint {
                threshold: Some(g.score),
                contacted,
                reached,
                profit: economics.profit(contacted, reached, buyers),
            });
        }
        // Strictly greater: the first (highest-threshold) maximum wins.
        let mut best = 0;
        for (i, p) in points.iter().enumerate() {
            if p.profit > points[best].profit {
                best = i;
            }
        }
        Ok(ProfitCurve {
            economics,
            customers: scores.len(),
            buyers,
            points,
            best,
        })
    }

    /// The most profitable point.
    pub fn best_point(&self) -> ProfitPoint {
        self.points[self.best]
    }

    /// A threshold for the window's slider (0 to 1) that contacts exactly
    /// the best point's customers: its score, or just above the highest
    /// score when contacting nobody pays best.
    pub fn best_threshold(&self) -> f64 {
        match self.best_point().threshold {
            Some(t) => f64::from(t),
            None => {
                let top = self
                    .points
                    .get(1)
                    .and_then(|p| p.threshold)
                    .map_or(1.0, f64::from);
                (top + 1e-6).min(1.0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn economics(value: f64, contact: f64, missed: f64) -> CampaignEconomics {
        CampaignEconomics {
            value_per_buyer: value,
            cost_per_contact: contact,
            cost_per_missed_buyer: missed,
        }
    }

    #[test]
    fn the_profit_maximising_threshold_by_hand() {
        // Ranked: 0.9 buyer, 0.8 buyer, 0.7 no, 0.6 buyer, 0.4 no, 0.2 no.
        let scores = [0.4, 0.9, 0.6, 0.2, 0.8, 0.7];
        let labels = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
        // value 10, contact 4, missed 0: profit at each cut
        //   nobody 0 | 0.9: 10-4=6 | 0.8: 20-8=12 | 0.7: 20-12=8 |
        //   0.6: 30-16=14 | 0.4: 30-20=10 | 0.2: 30-24=6
        let c = ProfitCurve::compute(&scores, &labels, economics(10.0, 4.0, 0.0)).unwrap();
        let profits: Vec<f64> = c.points.iter().map(|p| p.profit).collect();
        assert_eq!(profits, vec![0.0, 6.0, 12.0, 8.0, 14.0, 10.0, 6.0]);
        assert_eq!(c.best_point().threshold, Some(0.6));
        assert_eq!((c.best_point().contacted, c.best_point().reached), (4, 3));
        assert!((c.best_threshold() - 0.6).abs() < 1e-6);

        // A missed buyer now costs 20: contacting everyone who might buy
        // pays; profits shift by -20 per buyer missed.
        let c = ProfitCurve::compute(&scores, &labels, economics(10.0, 4.0, 20.0)).unwrap();
        assert_eq!(c.points[0].profit, -60.0);
        assert_eq!(c.best_point().threshold, Some(0.6));
    }

    #[test]
    fn when_no_contact_pays_the_best_is_to_contact_nobody() {
        let c = ProfitCurve::compute(&[0.9, 0.1], &[1.0, 0.0], economics(1.0, 5.0, 0.0)).unwrap();
        assert_eq!(c.best, 0);
        assert_eq!(c.best_point().threshold, None);
        assert!(c.best_threshold() > 0.9);
    }

    #[test]
    fn equal_profits_keep_the_higher_threshold() {
        // Contacting the non-buyer at 0.5 costs nothing: same profit, fewer
        // contacts wins.
        let c = ProfitCurve::compute(&[0.9, 0.5], &[1.0, 0.0], economics(10.0, 0.0, 0.0)).unwrap();
        assert_eq!(c.best_point().threshold, Some(0.9));
    }
}
