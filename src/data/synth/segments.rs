//! The `segments` preset: customers choosing one of four plans (basic,
//! plus, premium, family) from their age, income, household size, monthly
//! usage and connected devices.
//!
//! The choice is a multinomial logit, the textbook model of discrete
//! choice (McFadden 1974; Train, *Discrete Choice Methods with
//! Simulation*, ch. 3): each plan has a utility from the customer's
//! features, Gumbel noise is added and the customer takes the plan of
//! highest utility. Heavy users with a high income take premium, large
//! households family, moderate users plus, the rest basic; the noise's
//! scale (0.35 + 1.2 × `noise`) keeps the rule learnable but not trivial
//! (about 70 % of customers take their most likely plan at noise 0.1).
//! The four plans come out in roughly equal shares.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

use super::{SynthSettings, normal, pick, round_to};
use crate::data::table::Column;

/// The plans, in the order of their utilities; `premium` is the preset's
/// positive label while the target is trained one-versus-rest.
pub const PLANS: [&str; 4] = ["basic", "plus", "premium", "family"];

/// Household sizes 1 to 6: customers aged 28 to 55 more often live with
/// children.
const HOUSEHOLD_MID_LIFE: [f64; 6] = [0.18, 0.27, 0.2, 0.2, 0.1, 0.05];
const HOUSEHOLD_OTHERS: [f64; 6] = [0.38, 0.4, 0.1, 0.08, 0.03, 0.01];

/// One customer's features.
struct Customer {
    age: f64,
    income: f64,
    household: f64,
    usage_hours: f64,
    devices: f64,
}

fn customer(rng: &mut ChaCha8Rng) -> Customer {
    let age = normal(41.0, 14.0).sample(rng).clamp(18.0, 85.0).round();
    let weights = if (28.0..=55.0).contains(&age) {
        &HOUSEHOLD_MID_LIFE
    } else {
        &HOUSEHOLD_OTHERS
    };
    let household = (pick(weights, rng) + 1) as f64;
    // Income peaks in mid-career, as in the customers preset.
    let log_income = 45_000f64.ln() + 0.35 - ((age - 50.0) / 30.0).powi(2);
    let income = round_to(normal(log_income, 0.45).sample(rng).exp(), 100.0);
    // Bigger households stream more; older customers less.
    let log_usage = 18f64.ln() + 0.15 * (household - 2.0) - 0.012 * (age - 40.0);
    let usage_hours = round_to(
        normal(log_usage, 0.55).sample(rng).exp().clamp(1.0, 300.0),
        0.1,
    );
    let lambda = 0.8 * household + income / 50_000.0;
    let devices = 1.0
        + Poisson::new(lambda)
            .map_or(0.0, |d| d.sample(rng))
            .min(25.0);
    Customer {
        age,
        income,
        household,
        usage_hours,
        devices,
    }
}

/// Each plan's utility for `c`, in [`PLANS`] order (basic is the
/// reference at 0).
fn utilities(c: &Customer) -> [f64; 4] {
    let income = (c.income / 45_000.0).ln();
    let usage = (c.usage_hours / 18.0).ln();
    [
        0.0,
        1.6 * usage + 0.6 * income,
        -0.5 + 2.4 * income + 1.4 * usage + 0.15 * (c.devices - 3.0),
        -2.2 + 1.1 * (c.household - 1.0) + 0.6 * income + 0.3 * usage,
    ]
}

/// The plan of highest utility plus Gumbel noise of scale `scale`.
fn choose(c: &Customer, scale: f64, rng: &mut ChaCha8Rng) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (k, u) in utilities(c).into_iter().enumerate() {
        let uniform: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        let gumbel = -(-uniform.ln()).ln();
        let v = u + scale * gumbel;
        if v > best.1 {
            best = (k, v);
        }
    }
    best.0
}

pub(super) fn segments(s: &SynthSettings, rng: &mut ChaCha8Rng) -> Vec<Column> {
    let scale = 0.35 + 1.2 * s.noise;
    let mut columns: [Vec<f64>; 5] = Default::default();
    let mut plans = Vec::with_capacity(s.rows);
    for _ in 0..s.rows {
        let c = customer(rng);
        plans.push(Some(PLANS[choose(&c, scale, rng)]));
        for (column, value) in
            columns
                .iter_mut()
                .zip([c.age, c.income, c.household, c.usage_hours, c.devices])
        {
            column.push(value);
        }
    }
    let [age, income, household, usage, devices] = columns;
    vec![
        Column::numeric("age", age),
        Column::numeric("income", income),
        Column::numeric("household_size", household),
        Column::numeric("monthly_usage_hours", usage),
        Column::numeric("devices", devices),
        Column::categorical("plan", &plans),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_plan_wins_for_the_customers_it_is_made_for() {
        let base = Customer {
            age: 40.0,
            income: 45_000.0,
            household: 1.0,
            usage_hours: 18.0,
            devices: 3.0,
        };
        let top = |c: &Customer| {
            let u = utilities(c);
            (0..4).max_by(|&a, &b| u[a].total_cmp(&u[b])).unwrap()
        };
        let light = Customer {
            usage_hours: 4.0,
            income: 25_000.0,
            ..base
        };
        assert_eq!(PLANS[top(&light)], "basic");
        let moderate = Customer {
            usage_hours: 40.0,
            ..base
        };
        assert_eq!(PLANS[top(&moderate)], "plus");
        let wealthy = Customer {
            income: 150_000.0,
            usage_hours: 40.0,
            ..base
        };
        assert_eq!(PLANS[top(&wealthy)], "premium");
        let family = Customer {
            household: 5.0,
            ..base
        };
        assert_eq!(PLANS[top(&family)], "family");
    }
}
