//! What the user chose, as plain serde values: persisted between launches
//! (eframe storage) and turned into a `Recipe` and a `Job` on demand.

use serde::{Deserialize, Serialize};

use crate::data::prep::{Cross, Impute, Problem, Recipe, Scale};
use crate::data::synth::SynthSettings;
use crate::data::table::{ColumnKind, Table};
use crate::model::{BackendChoice, Family, ModelSpec, NetworkSpec, TrainSettings, TreeSettings};

// Lives in the data layer now (history and session files record it too);
// re-exported so the app's paths keep working.
pub use crate::data::source::Source;

/// The problem as the data panel edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemChoice {
    pub target: String,
    pub regression: bool,
    pub positive: String,
    /// Feature columns ticked (in table order when applied).
    pub features: Vec<String>,
    pub impute: Impute,
    pub scale: Scale,
    pub test_fraction: f64,
    /// Share of the remaining rows used for validation.
    #[serde(default = "default_valid_fraction")]
    pub valid_fraction: f64,
    pub split_seed: u64,
    /// Count target labels that differ from the positive label only in
    /// case or spaces as positive (on by default; the data notes say so).
    #[serde(default = "merge_by_default")]
    pub merge_label_variants: bool,
    /// Leave out exact copies of rows before the split.
    #[serde(default)]
    pub drop_duplicates: bool,
    /// Regression: keep predictions at or above 0.
    #[serde(default)]
    pub non_negative_target: bool,
    /// Multi-class: each of the target's 3 to 20 labels is a class (not
    /// regression, no positive label).
    #[serde(default)]
    pub multiclass: bool,
    /// Feature crosses ticked (x², x1·x2, sin x of chosen numeric features).
    #[serde(default)]
    pub crosses: Vec<Cross>,
}

fn merge_by_default() -> bool {
    true
}

fn default_valid_fraction() -> f64 {
    crate::data::prep::DEFAULT_VALID_FRACTION
}

impl ProblemChoice {
    /// The data panel's choices that produce `recipe`.
    pub fn from_recipe(recipe: &crate::data::prep::Recipe) -> ProblemChoice {
        let (regression, positive) = match &recipe.problem {
            crate::data::prep::Problem::Regression => (true, String::new()),
            crate::data::prep::Problem::Classification { positive } => (false, positive.clone()),
            crate::data::prep::Problem::Multiclass => (false, String::new()),
        };
        ProblemChoice {
            target: recipe.target.clone(),
            regression,
            positive,
            features: recipe.features.clone(),
            impute: recipe.impute,
            scale: recipe.scale,
            test_fraction: recipe.test_fraction,
            valid_fraction: recipe.valid_fraction,
            split_seed: recipe.seed,
            merge_label_variants: recipe.merge_label_variants,
            drop_duplicates: recipe.drop_duplicates,
            non_negative_target: recipe.non_negative_target,
            multiclass: recipe.problem == crate::data::prep::Problem::Multiclass,
            crosses: recipe.crosses.clone(),
        }
    }

    /// A sensible default for a freshly loaded table: the preferred target
    /// (or the last categorical column with two values, else the last
    /// column), its least frequent label as positive, all others as features.
    pub fn for_table(table: &Table, preferred: Option<(&str, &str)>) -> ProblemChoice {
        let (target, positive) = match preferred.filter(|(t, _)| table.column(t).is_some()) {
            Some((t, p)) => (t.to_owned(), p.to_owned()),
            None => {
                let target = guess_target(table);
                let positive = default_positive(table, &target);
                (target, positive)
            }
        };
        let regression = regression_by_default(table, &target);
        let multiclass = !regression && multiclass_by_default(table, &target);
        ProblemChoice {
            // Identifiers, constants and nearly empty columns unticked (the
            // data notes say why).
            features: crate::data::screen::default_features(table, &target).0,
            target,
            regression,
            positive,
            impute: Impute::Median,
            scale: Scale::MinMax,
            test_fraction: 0.2,
            valid_fraction: default_valid_fraction(),
            split_seed: 42,
            merge_label_variants: true,
            drop_duplicates: false,
            non_negative_target: false,
            multiclass,
            crosses: Vec::new(),
        }
    }

    pub fn recipe(&self) -> Recipe {
        Recipe {
            target: self.target.clone(),
            problem: if self.regression {
                Problem::Regression
            } else if self.multiclass {
                Problem::Multiclass
            } else {
                Problem::Classification {
                    positive: self.positive.clone(),
                }
            },
            features: self.features.clone(),
            impute: self.impute,
            scale: self.scale,
            test_fraction: self.test_fraction,
            valid_fraction: self.valid_fraction,
            seed: self.split_seed,
            merge_label_variants: self.merge_label_variants,
            drop_duplicates: self.drop_duplicates,
            non_negative_target: self.regression && self.non_negative_target,
            // Only crosses of features still chosen: unticking a feature
            // leaves its crosses out rather than refusing the recipe.
            crosses: self
                .crosses
                .iter()
                .filter(|c| {
                    c.columns()
                        .iter()
                        .all(|col| self.features.iter().any(|f| f == col))
                })
                .cloned()
                .collect(),
        }
    }
}

/// Distinct values above which a numeric target is taken for a quantity
/// (spend, visits) rather than a handful of class codes (0/1, ratings 1-5).
const MAX_CLASS_CODES: usize = 10;

/// Whether `target` is predicted as a number by default: a numeric column
/// with more than `MAX_CLASS_CODES` (10) distinct values. A text or few-valued
/// column is a classification; the data panel lets the user override it.
pub fn regression_by_default(table: &Table, target: &str) -> bool {
    table.column(target).is_some_and(|c| {
        c.kind() == ColumnKind::Numeric && labels(table, target).len() > MAX_CLASS_CODES
    })
}

/// Whether a target that is not a regression is multi-class by default:
/// 3 to [`MAX_CLASSES`](crate::data::prep::MAX_CLASSES) distinct labels
/// (which plan, which channel). Two labels are a yes/no question with a
/// positive label; more than 20 are no classes to learn one by one.
/// Labels are counted as the default recipe merges them (case and
/// surrounding spaces aside), so `Yes`, `yes` and ` YES` are one yes/no
/// label. The data panel lets the user override it.
pub fn multiclass_by_default(table: &Table, target: &str) -> bool {
    let mut merged: Vec<String> = labels(table, target)
        .iter()
        .map(|l| l.trim().to_lowercase())
        .collect();
    merged.sort_unstable();
    merged.dedup();
    (3..=crate::data::prep::MAX_CLASSES).contains(&merged.len())
}

/// The decision threshold a fresh data set or target starts from: 0.5,
/// the midpoint of the predicted probability. (One place, so a threshold
/// chosen on validation rows can replace it.)
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// Distinct labels of a column, most frequent first (at most 50).
pub fn labels(table: &Table, column: &str) -> Vec<String> {
    let Some(c) = table.column(column) else {
        return Vec::new();
    };
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for r in 0..c.len() {
        if let Some(t) = c.text(r) {
            if counts.len() > 5000 && !counts.contains_key(t.as_ref()) {
                continue;
            }
            *counts.entry(t.into_owned()).or_default() += 1;
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(50);
    ranked.into_iter().map(|(l, _)| l).collect()
}

/// The column most likely meant as the target: a two-valued column whose
/// name says so (purchase, churn, buy, target, label, class…), else the
/// first two-valued categorical column, else the last column.
fn guess_target(table: &Table) -> String {
    const HINTS: [&str; 9] = [
        "purchase",
        "purchased",
        "churn",
        "buy",
        "bought",
        "target",
        "label",
        "class",
        "outcome",
    ];
    let binary: Vec<&str> = table
        .columns()
        .iter()
        .filter(|c| {
            c.kind() == ColumnKind::Categorical
                && matches!(
                    c.summary().stats,
                    crate::data::table::SummaryStats::Categorical { distinct: 2, .. }
                )
        })
        .map(|c| c.name.as_str())
        .collect();
    binary
        .iter()
        .find(|n| HINTS.iter().any(|h| n.to_ascii_lowercase().contains(h)))
        .or_else(|| binary.first())
        .map(|n| (*n).to_owned())
        .or_else(|| table.columns().last().map(|c| c.name.clone()))
        .unwrap_or_default()
}

/// The rarer of the labels: usually the interesting one (buyers, churners).
fn default_positive(table: &Table, target: &str) -> String {
    let ranked = labels(table, target);
    for yes in ["yes", "Yes", "YES", "1", "true", "True"] {
        if ranked.iter().any(|l| l == yes) {
            return yes.to_owned();
        }
    }
    ranked.last().cloned().unwrap_or_default()
}

/// Everything that survives a restart of the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub source: Source,
    /// The generator settings being edited (applied by Regenerate).
    pub synth: SynthSettings,
    pub problem: Option<ProblemChoice>,
    /// Which model family trains: the network (`spec`, `train`) or
    /// boosted trees (`trees`).
    pub family: Family,
    pub spec: NetworkSpec,
    pub train: TrainSettings,
    /// The boosted trees' settings, kept while the network is chosen.
    pub trees: TreeSettings,
    /// Train until paused instead of for `train.epochs` (`trees.trees`).
    pub until_paused: bool,
    pub backend: BackendChoice,
    pub x_feature: String,
    pub y_feature: String,
    pub show_test_points: bool,
    pub discretize: bool,
    pub log_loss: bool,
    pub threshold: f64,
    /// At most this many epochs per second while playing (`None`: flat out).
    pub pace: Option<f64>,
    /// Evaluate on the test rows every epoch (labelled so) instead of the
    /// validation rows; off by default, so the test rows stay unseen until
    /// a run ends.
    pub watch_test_rows: bool,
    /// Presentation mode: everything drawn larger (zoom
    /// [`super::layout::PRESENTATION_ZOOM`]) for a projector.
    pub presentation: bool,
    /// How the surface draws its customers: dots (fainter past a few
    /// thousand) or a density layer.
    pub points: super::crowd::PointStyle,
}

impl Default for Settings {
    /// The classroom default: the curved `visits` data and a small network
    /// at a lively learning rate, so a boundary forms within seconds.
    fn default() -> Self {
        Settings {
            source: Source::Generated(SynthSettings::default()),
            synth: SynthSettings::default(),
            problem: None,
            family: Family::Network,
            spec: NetworkSpec {
                hidden: vec![8, 8],
                dropout: 0.0,
                ..NetworkSpec::default()
            },
            train: TrainSettings {
                learning_rate: 0.01,
                l2: 0.0,
                epochs: 200,
                ..TrainSettings::default()
            },
            trees: TreeSettings::default(),
            until_paused: false,
            backend: BackendChoice::Auto,
            x_feature: String::new(),
            y_feature: String::new(),
            show_test_points: true,
            pace: DEFAULT_PACE,
            discretize: false,
            log_loss: false,
            threshold: DEFAULT_THRESHOLD,
            watch_test_rows: false,
            presentation: false,
            points: super::crowd::PointStyle::Auto,
        }
    }
}

impl Settings {
    /// What the chosen family trains, with its settings.
    pub fn model_spec(&self) -> ModelSpec {
        match self.family {
            Family::Network => ModelSpec::Network {
                spec: self.spec.clone(),
                settings: self.train.clone(),
            },
            Family::Trees => ModelSpec::Trees {
                settings: self.trees.clone(),
            },
        }
    }

    /// The units (epochs, rounds) a run trains up to; `None` until paused.
    pub fn unit_target(&self) -> Option<usize> {
        (!self.until_paused).then(|| self.model_spec().epoch_cap())
    }

    /// The chosen family's learning rate (the one setting sent live).
    pub fn learning_rate(&self) -> f64 {
        match self.family {
            Family::Network => self.train.learning_rate,
            Family::Trees => self.trees.learning_rate,
        }
    }

    /// Puts a recorded model's family and settings into the controls.
    pub fn set_model(&mut self, model: ModelSpec) {
        self.family = model.family();
        match model {
            ModelSpec::Network { spec, settings } => {
                self.spec = spec;
                self.train = settings;
            }
            ModelSpec::Trees { settings } => self.trees = settings,
        }
    }
}

/// The pace a fresh window plays at: the default 200 epochs take about
/// seven seconds, so a class sees the boundary form stage by stage
/// (issue 21); "full speed" in the training bar is one click away.
pub const DEFAULT_PACE: Option<f64> = Some(30.0);

/// The paces offered in the training bar: (epochs per second, label).
pub const PACES: [(Option<f64>, &str); 5] = [
    (None, "full speed"),
    (Some(30.0), "30 epochs/s"),
    (Some(10.0), "10 epochs/s"),
    (Some(3.0), "3 epochs/s"),
    (Some(1.0), "1 epoch/s"),
];

/// The label of a pace (one from a settings file may be any number).
pub fn pace_label(pace: Option<f64>) -> String {
    PACES.iter().find(|(p, _)| *p == pace).map_or_else(
        || format!("{} epochs/s", pace.unwrap_or_default()),
        |(_, label)| (*label).to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::parse_csv;

    #[test]
    fn guesses_the_target_a_user_means() {
        let oj = parse_csv(b"Purchase,Price,Store7\nCH,1,No\nMM,2,Yes\nCH,3,No\n").unwrap();
        let p = ProblemChoice::for_table(&oj, None);
        assert_eq!((p.target.as_str(), p.positive.as_str()), ("Purchase", "MM"));
        assert_eq!(p.features, ["Price", "Store7"]);
        let t = parse_csv(b"gender,tenure,Churn\nf,1,Yes\nm,2,No\nm,3,No\n").unwrap();
        let p = ProblemChoice::for_table(&t, None);
        assert_eq!((p.target.as_str(), p.positive.as_str()), ("Churn", "Yes"));
        let numeric = parse_csv(b"a,b\n1,2\n3,4\n").unwrap();
        assert_eq!(ProblemChoice::for_table(&numeric, None).target, "b");
    }

    #[test]
    fn three_to_twenty_labels_are_multi_class_by_default() {
        let plans = parse_csv(b"age,plan\n30,basic\n40,plus\n50,premium\n35,basic\n").unwrap();
        let p = ProblemChoice::for_table(&plans, None);
        assert_eq!(p.target, "plan");
        assert!(p.multiclass && !p.regression);
        assert_eq!(p.recipe().problem, Problem::Multiclass);
        // The generator's preferred target too (segments names `plan`).
        assert!(ProblemChoice::for_table(&plans, Some(("plan", "premium"))).multiclass);
        // Two labels stay a yes/no question, however they are spelled; a
        // quantity stays a regression.
        let churn = parse_csv(b"tenure,Churn\n1,Yes\n2,No\n3,no\n4, YES\n5,yes\n").unwrap();
        assert!(!ProblemChoice::for_table(&churn, None).multiclass);
        let mut spend = String::from("x,spend\n");
        for i in 0..30 {
            spend.push_str(&format!("{i},{}\n", i * 7));
        }
        let spend = parse_csv(spend.as_bytes()).unwrap();
        let p = ProblemChoice::for_table(&spend, None);
        assert!(p.regression && !p.multiclass);
        // More than 20 labels are no classes to learn one by one.
        let mut many = String::from("x,city\n");
        for i in 0..25 {
            many.push_str(&format!("{i},c{i}\n"));
        }
        assert!(!ProblemChoice::for_table(&parse_csv(many.as_bytes()).unwrap(), None).multiclass);
    }
}
