//! Seeded synthetic customers and classroom shapes: [`Preset`]; the plan
//! choice of the `segments` preset lives in `segments.rs`.
//!
//! Every generator returns a [`Table`], so generated data takes exactly the
//! path a loaded CSV takes. The random stream is ChaCha8 seeded from the
//! user's seed: its output is fixed by its specification, so the same seed
//! gives the same data on every machine and every version of this app.

use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::table::{Column, Table};

mod segments;
pub use segments::PLANS;

/// Label of the positive class in the customer presets.
pub const YES: &str = "yes";
pub const NO: &str = "no";
/// Labels of the classroom shapes (the colours the app draws them in).
pub const ORANGE: &str = "orange";
pub const BLUE: &str = "blue";
/// The third class of `blobs3`.
pub const GREEN: &str = "green";

pub const MIN_ROWS: usize = 10;
pub const MAX_ROWS: usize = 10_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Visit minutes and pages visited; `purchased` from a curved rule.
    Visits,
    /// A full customer profile with missing cells; `purchased` and `spend`.
    Customers,
    Circle,
    Xor,
    Spiral,
    Gaussians,
    /// Customers choosing one of four plans; a categorical target `plan`.
    Segments,
    /// Three gaussian clouds in `x1`, `x2`; a `class` of three labels.
    Blobs3,
}

impl Preset {
    pub const ALL: [Preset; 8] = [
        Preset::Visits,
        Preset::Customers,
        Preset::Circle,
        Preset::Xor,
        Preset::Spiral,
        Preset::Gaussians,
        Preset::Segments,
        Preset::Blobs3,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Visits => "visits",
            Preset::Customers => "customers",
            Preset::Circle => "circle",
            Preset::Xor => "xor",
            Preset::Spiral => "spiral",
            Preset::Gaussians => "gaussians",
            Preset::Segments => "segments",
            Preset::Blobs3 => "blobs3",
        }
    }

    /// The column to predict and its positive label (for a target of
    /// more than two labels, the one a one-versus-rest model predicts).
    pub fn target(self) -> (&'static str, &'static str) {
        match self {
            Preset::Visits | Preset::Customers => ("purchased", YES),
            Preset::Segments => ("plan", "premium"),
            _ => ("class", ORANGE),
        }
    }

    /// Whether [`SynthSettings::balance`] sets the positive label's share:
    /// every preset but `segments`, whose plan shares follow from its
    /// customers (about a quarter each).
    pub fn uses_balance(self) -> bool {
        self != Preset::Segments
    }

    /// One line for a tooltip or `--help`.
    pub fn description(self) -> &'static str {
        match self {
            Preset::Visits => {
                "website visits: minutes on site and pages viewed; buyers lie beyond a curved boundary"
            }
            Preset::Customers => {
                "customer profiles: age, income, gender, region, visits, past purchases; some cells missing; targets purchased and spend"
            }
            Preset::Circle => "a blob of one class inside a ring of the other",
            Preset::Xor => "opposite quadrants share a class: no straight line separates them",
            Preset::Spiral => "two interleaved spiral arms: needs a deep, wide network",
            Preset::Gaussians => "two overlapping clouds: a straight line nearly separates them",
            Preset::Segments => {
                "customers choosing a plan (basic, plus, premium, family) from age, income, household size, usage and devices; target plan"
            }
            Preset::Blobs3 => {
                "three clouds, orange, blue and green: three classes, each a straight line apart"
            }
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SynthError::UnknownPreset(s.to_owned()))
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum SynthError {
    #[error(
        "unknown preset `{0}`; choose one of visits, customers, circle, xor, spiral, gaussians, segments, blobs3"
    )]
    UnknownPreset(String),
    #[error("rows must be between {MIN_ROWS} and {MAX_ROWS}, not {0}")]
    Rows(usize),
    #[error("noise must be between 0 and 1, not {0}")]
    Noise(f64),
    #[error("class balance (share of positives) must be between 0.05 and 0.95, not {0}")]
    Balance(f64),
    #[error("the share of missing cells must be between 0 and 0.9, not {0}")]
    Missing(f64),
}

/// What to generate. `noise` runs from 0 (clean) to 1 (very noisy): for the
/// customer presets it flips that half-share of labels (1 = coin toss); for
/// the shapes it jitters the points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthSettings {
    pub preset: Preset,
    pub rows: usize,
    pub seed: u64,
    pub noise: f64,
    /// Share of rows in the positive class (with three classes, the
    /// others share the rest equally; `segments` ignores it:
    /// [`Preset::uses_balance`]).
    pub balance: f64,
    /// Share of feature cells left empty (the `customers` preset only).
    pub missing: f64,
}

impl Default for SynthSettings {
    fn default() -> Self {
        SynthSettings {
            preset: Preset::Visits,
            rows: 1000,
            seed: 42,
            noise: 0.1,
            balance: 0.5,
            missing: 0.05,
        }
    }
}

impl SynthSettings {
    pub fn validate(&self) -> Result<(), SynthError> {
        if !(MIN_ROWS..=MAX_ROWS).contains(&self.rows) {
            return Err(SynthError::Rows(self.rows));
        }
        if !(0.0..=1.0).contains(&self.noise) {
            return Err(SynthError::Noise(self.noise));
        }
        if !(0.05..=0.95).contains(&self.balance) {
            return Err(SynthError::Balance(self.balance));
        }
        if !(0.0..=0.9).contains(&self.missing) {
            return Err(SynthError::Missing(self.missing));
        }
        Ok(())
    }
}

pub fn generate(settings: &SynthSettings) -> Result<Table, SynthError> {
    settings.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let columns = match settings.preset {
        Preset::Visits => visits(settings, &mut rng),
        Preset::Customers => customers(settings, &mut rng),
        Preset::Segments => segments::segments(settings, &mut rng),
        Preset::Blobs3 => blobs3(settings, &mut rng),
        shape => shapes(shape, settings, &mut rng),
    };
    // Table::new only fails on ragged or duplicate columns, which the
    // generators above never build.
    Ok(Table::new(columns).unwrap_or_else(|e| unreachable!("generator built a bad table: {e}")))
}

fn normal(mean: f64, std: f64) -> Normal<f64> {
    // Every call site passes a finite mean and a positive std.
    Normal::new(mean, std).unwrap_or_else(|_| unreachable!("invalid normal({mean}, {std})"))
}

/// Rounds to a multiple of `step`. Steps below 1 divide by the exact
/// integer `1 / step`, so 7.3 prints as `7.3`, not `7.300000000000001`.
fn round_to(x: f64, step: f64) -> f64 {
    if step < 1.0 {
        let per_unit = (1.0 / step).round();
        (x * per_unit).round() / per_unit
    } else {
        (x / step).round() * step
    }
}

/// Labels the `balance` share of highest scores positive, then flips
/// `noise / 2` of all labels at random.
fn labels_from_scores(scores: &[f64], s: &SynthSettings, rng: &mut ChaCha8Rng) -> Vec<bool> {
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n_pos = ((scores.len() as f64) * s.balance).round() as usize;
    let cut = sorted[scores.len() - n_pos.clamp(1, scores.len() - 1)];
    scores
        .iter()
        .map(|&x| (x >= cut) != rng.random_bool(s.noise / 2.0))
        .collect()
}

fn yes_no(labels: &[bool]) -> Vec<Option<&'static str>> {
    labels
        .iter()
        .map(|&b| Some(if b { YES } else { NO }))
        .collect()
}

/// Minutes on the site and pages viewed, both right-skewed as real visits are.
fn visit_behaviour(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let minutes = normal(6f64.ln(), 0.7).sample(rng).exp().clamp(0.2, 60.0);
    let pages = normal(5f64.ln(), 0.6).sample(rng).exp().clamp(1.0, 60.0);
    (round_to(minutes, 0.1), pages.round())
}

/// Engagement (minutes × pages) drives buying, but very long visits mean a
/// lost visitor: the boundary bends back up, visibly curved.
fn visit_score(minutes: f64, pages: f64) -> f64 {
    minutes.ln() + pages.ln() - (minutes / 22.0).powi(2)
}

fn visits(s: &SynthSettings, rng: &mut ChaCha8Rng) -> Vec<Column> {
    let (minutes, pages): (Vec<f64>, Vec<f64>) = (0..s.rows).map(|_| visit_behaviour(rng)).unzip();
    let scores: Vec<f64> = minutes
        .iter()
        .zip(&pages)
        .map(|(&m, &p)| visit_score(m, p))
        .collect();
    let labels = labels_from_scores(&scores, s, rng);
    vec![
        Column::numeric("visit_minutes", minutes),
        Column::numeric("pages_visited", pages),
        Column::categorical("purchased", &yes_no(&labels)),
    ]
}

const GENDERS: [&str; 3] = ["female", "male", "non-binary"];
const GENDER_WEIGHTS: [f64; 3] = [0.49, 0.48, 0.03];
const REGIONS: [&str; 4] = ["north", "south", "east", "west"];
const REGION_WEIGHTS: [f64; 4] = [0.3, 0.25, 0.25, 0.2];
/// How each region shifts the wish to buy and the spend.
const REGION_EFFECT: [f64; 4] = [0.0, 0.35, 0.1, -0.25];

fn pick(weights: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let mut u: f64 = rng.random();
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

fn customers(s: &SynthSettings, rng: &mut ChaCha8Rng) -> Vec<Column> {
    let n = s.rows;
    let mut age = Vec::with_capacity(n);
    let mut income = Vec::with_capacity(n);
    let mut gender = Vec::with_capacity(n);
    let mut region = Vec::with_capacity(n);
    let mut minutes = Vec::with_capacity(n);
    let mut pages = Vec::with_capacity(n);
    let mut previous = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    let mut spend = Vec::with_capacity(n);
    let spend_noise = normal(0.0, 15.0 + 40.0 * s.noise);
    for _ in 0..n {
        let a = normal(42.0, 13.0).sample(rng).clamp(18.0, 85.0).round();
        // Income peaks in mid-career.
        let log_income = 45_000f64.ln() + 0.35 - ((a - 50.0) / 30.0).powi(2);
        let inc = round_to(normal(log_income, 0.45).sample(rng).exp(), 100.0);
        let g = pick(&GENDER_WEIGHTS, rng);
        let r = pick(&REGION_WEIGHTS, rng);
        let (m, p) = visit_behaviour(rng);
        let lambda = 0.3 + inc / 40_000.0;
        let prev = Poisson::new(lambda)
            .map_or(0.0, |d| d.sample(rng))
            .min(30.0);
        let score = 0.9 * m.ln() + 0.7 * p.ln() + 0.5 * prev.sqrt() + 0.6 * (inc / 45_000.0).ln()
            - ((a - 38.0) / 22.0).powi(2)
            + REGION_EFFECT[r]
            + if g == 0 { 0.15 } else { 0.0 };
        let sp = 20.0
            + 0.0015 * inc
            + 12.0 * prev
            + 3.0 * m
            + 0.5 * p * (m + 1.0).ln()
            + 40.0 * REGION_EFFECT[r]
            + spend_noise.sample(rng);
        age.push(a);
        income.push(inc);
        gender.push(g);
        region.push(r);
        minutes.push(m);
        pages.push(p);
        previous.push(prev);
        scores.push(score);
        spend.push(round_to(sp.max(0.0), 0.01));
    }
    let labels = labels_from_scores(&scores, s, rng);

    // Blank out feature cells (never the targets) at the requested rate.
    let mut holes = |values: &mut Vec<f64>| {
        for v in values.iter_mut() {
            if rng.random_bool(s.missing) {
                *v = f64::NAN;
            }
        }
    };
    holes(&mut age);
    holes(&mut income);
    holes(&mut minutes);
    holes(&mut pages);
    holes(&mut previous);
    let mut label_holes = |codes: &[usize], names: &[&'static str]| -> Vec<Option<&'static str>> {
        codes
            .iter()
            .map(|&c| (!rng.random_bool(s.missing)).then_some(names[c]))
            .collect()
    };
    let gender = label_holes(&gender, &GENDERS);
    let region = label_holes(&region, &REGIONS);

    vec![
        Column::numeric("age", age),
        Column::numeric("income", income),
        Column::categorical("gender", &gender),
        Column::categorical("region", &region),
        Column::numeric("visit_minutes", minutes),
        Column::numeric("pages_visited", pages),
        Column::numeric("previous_purchases", previous),
        Column::categorical("purchased", &yes_no(&labels)),
        Column::numeric("spend", spend),
    ]
}

/// Two numeric features `x1`, `x2` and a `class` of orange or blue, drawn
/// class by class so the balance is exact, then shuffled.
fn shapes(shape: Preset, s: &SynthSettings, rng: &mut ChaCha8Rng) -> Vec<Column> {
    let n_pos = ((s.rows as f64) * s.balance).round() as usize;
    let n_pos = n_pos.clamp(1, s.rows - 1);
    let jitter = normal(0.0, 1.0);
    let mut points: Vec<(f64, f64, bool)> = Vec::with_capacity(s.rows);
    for i in 0..s.rows {
        let positive = i < n_pos;
        let (x, y, spread) = match shape {
            Preset::Circle => {
                // Positives inside radius 2, negatives in a ring 3.5..5.
                let (lo, hi) = if positive { (0.0, 2.0) } else { (3.5, 5.0) };
                let r = rng.random_range(lo..hi);
                let angle = rng.random_range(0.0..std::f64::consts::TAU);
                (r * angle.cos(), r * angle.sin(), 1.0)
            }
            Preset::Xor => {
                let sx: f64 = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                let sy = if positive { sx } else { -sx };
                let x = sx * rng.random_range(0.3..5.0);
                let y = sy * rng.random_range(0.3..5.0);
                (x, y, 1.0)
            }
            Preset::Spiral => {
                let t: f64 = rng.random_range(0.0..1.0);
                let r = 5.0 * t;
                let angle = 1.75 * t * std::f64::consts::TAU
                    + if positive { 0.0 } else { std::f64::consts::PI };
                (r * angle.sin(), r * angle.cos(), 0.6)
            }
            _ => {
                let c = if positive { 2.0 } else { -2.0 };
                let spread = 1.0 + s.noise;
                (
                    c + jitter.sample(rng) * spread,
                    c + jitter.sample(rng) * spread,
                    0.0,
                )
            }
        };
        let x = x + jitter.sample(rng) * s.noise * spread;
        let y = y + jitter.sample(rng) * s.noise * spread;
        points.push((round_to(x, 0.001), round_to(y, 0.001), positive));
    }
    points.shuffle(rng);
    let class: Vec<Option<&str>> = points
        .iter()
        .map(|p| Some(if p.2 { ORANGE } else { BLUE }))
        .collect();
    vec![
        Column::numeric("x1", points.iter().map(|p| p.0).collect()),
        Column::numeric("x2", points.iter().map(|p| p.1).collect()),
        Column::categorical("class", &class),
    ]
}

/// Three gaussian clouds around points 3 apart from the origin (at 90°,
/// 210° and 330°), spread 0.9 × (1 + `noise`): `orange` the `balance`
/// share of rows, `blue` and `green` half the rest each; shuffled.
fn blobs3(s: &SynthSettings, rng: &mut ChaCha8Rng) -> Vec<Column> {
    let n_orange = (((s.rows as f64) * s.balance).round() as usize).clamp(1, s.rows - 2);
    let n_blue = (s.rows - n_orange).div_ceil(2);
    let spread = normal(0.0, 0.9 * (1.0 + s.noise));
    let mut points: Vec<(f64, f64, &'static str)> = (0..s.rows)
        .map(|i| {
            let (class, degrees) = if i < n_orange {
                (ORANGE, 90.0f64)
            } else if i < n_orange + n_blue {
                (BLUE, 210.0)
            } else {
                (GREEN, 330.0)
            };
            let (sin, cos) = degrees.to_radians().sin_cos();
            let x = 3.0 * cos + spread.sample(rng);
            let y = 3.0 * sin + spread.sample(rng);
            (round_to(x, 0.001), round_to(y, 0.001), class)
        })
        .collect();
    points.shuffle(rng);
    let class: Vec<Option<&str>> = points.iter().map(|p| Some(p.2)).collect();
    vec![
        Column::numeric("x1", points.iter().map(|p| p.0).collect()),
        Column::numeric("x2", points.iter().map(|p| p.1).collect()),
        Column::categorical("class", &class),
    ]
}

#[cfg(test)]
mod tests;
