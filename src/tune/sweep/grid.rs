//! The grid of a sweep: which settings vary ([`SweepParam`]), the values
//! to try ([`SweepGrid`]) and every combination of them, checked
//! ([`SweepPoint`]s from [`SweepGrid::expand`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::tree_grid::refuse_others;
use super::{MAX_SWEEP_POINTS, SweepError};
use crate::data::table::format_number;
use crate::model::spec::{NetworkSpec, SpecError, TrainSettings};
use crate::model::{Family, ModelSpec, TreeSettings};
use crate::tune::history::layers_label;

/// A setting a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepParam {
    LearningRate,
    /// An explicit hidden-layer layout.
    Hidden,
    /// Neurons in every hidden layer.
    Width,
    /// Number of hidden layers.
    Depth,
    BatchSize,
    Dropout,
    /// Boosted trees: boosting rounds.
    Trees,
    /// Boosted trees: the depth of each tree.
    TreeDepth,
}

impl SweepParam {
    /// Human name for tables and axes.
    pub fn label(self) -> &'static str {
        match self {
            SweepParam::LearningRate => "learning rate",
            SweepParam::Hidden => "hidden layers",
            SweepParam::Width => "width",
            SweepParam::Depth => "depth",
            SweepParam::BatchSize => "batch size",
            SweepParam::Dropout => "dropout",
            SweepParam::Trees => "trees",
            SweepParam::TreeDepth => "tree depth",
        }
    }

    /// Short machine name (JSON output, CSV headers).
    pub fn key(self) -> &'static str {
        match self {
            SweepParam::LearningRate => "lr",
            SweepParam::Hidden => "hidden",
            SweepParam::Width => "width",
            SweepParam::Depth => "depth",
            SweepParam::BatchSize => "batch",
            SweepParam::Dropout => "dropout",
            SweepParam::Trees => "trees",
            SweepParam::TreeDepth => "max_depth",
        }
    }
}

/// A swept setting and its value.
pub(super) type Swept = (SweepParam, ParamValue);

/// The value a [`SweepPoint`] takes for one swept setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Number(f64),
    Layers(Vec<usize>),
}

impl ParamValue {
    /// The number, for numeric settings (not for a layer layout).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Number(x) => Some(*x),
            ParamValue::Layers(_) => None,
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Number(x) => f.write_str(&format_number(*x)),
            ParamValue::Layers(layers) => f.write_str(&layers_label(layers)),
        }
    }
}

/// Values to try for each setting; an empty list keeps the base value.
///
/// Hidden layouts come either from `hidden` (explicit layouts, e.g. `[16]`,
/// `[64, 32]`) or from `widths` × `depths` (`vec![width; depth]`, depth 0 =
/// no hidden layer), not both. With only `widths`, the base depth is kept
/// (at least 1); with only `depths`, the base's first layer width (or 32).
///
/// Boosted trees sweep `learning_rates`, `tree_depths` and `trees`
/// ([`expand_trees`](Self::expand_trees)); each family refuses the other's
/// lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SweepGrid {
    pub learning_rates: Vec<f64>,
    pub hidden: Vec<Vec<usize>>,
    pub widths: Vec<usize>,
    pub depths: Vec<usize>,
    pub batch_sizes: Vec<usize>,
    pub dropouts: Vec<f64>,
    /// Boosted trees: numbers of rounds to try.
    pub trees: Vec<usize>,
    /// Boosted trees: tree depths to try.
    pub tree_depths: Vec<usize>,
}

/// One set of settings in a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The network's settings (unused defaults for a tree point).
    pub spec: NetworkSpec,
    pub train: TrainSettings,
    /// A boosted-trees point's settings; `None` for a network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trees: Option<TreeSettings>,
    /// The swept settings and their values here, in grid order.
    pub params: Vec<(SweepParam, ParamValue)>,
}

impl SweepPoint {
    /// What this point trains: its family and settings.
    pub fn model_spec(&self) -> ModelSpec {
        ModelSpec::from_parts(&self.spec, &self.train, self.trees.as_ref())
    }

    /// The same point with early stopping at `patience` (`None`: off).
    pub fn with_patience(&self, patience: Option<usize>) -> SweepPoint {
        let mut point = self.clone();
        point.train.early_stopping = patience;
        if let Some(trees) = &mut point.trees {
            trees.early_stopping = patience;
        }
        point
    }

    /// `lr 0.01 · width 32`: the swept values, or `base settings`.
    pub fn label(&self) -> String {
        if self.params.is_empty() {
            return "base settings".to_owned();
        }
        self.params
            .iter()
            .map(|(p, v)| format!("{} {v}", p.key()))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The value of a swept setting here.
    pub fn param(&self, param: SweepParam) -> Option<&ParamValue> {
        self.params
            .iter()
            .find(|(p, _)| *p == param)
            .map(|(_, v)| v)
    }
}

impl SweepGrid {
    /// How many runs [`expand`](Self::expand) makes (saturating).
    pub fn len(&self) -> usize {
        let n = |len: usize| len.max(1);
        let layouts = if self.hidden.is_empty() {
            n(self.widths.len()).saturating_mul(n(self.depths.len()))
        } else {
            self.hidden.len()
        };
        n(self.learning_rates.len())
            .saturating_mul(layouts)
            .saturating_mul(n(self.batch_sizes.len()))
            .saturating_mul(n(self.dropouts.len()))
            .saturating_mul(n(self.trees.len()))
            .saturating_mul(n(self.tree_depths.len()))
    }

    /// Whether every list is empty (the sweep would be the base alone).
    pub fn is_empty(&self) -> bool {
        self.learning_rates.is_empty()
            && self.hidden.is_empty()
            && self.widths.is_empty()
            && self.depths.is_empty()
            && self.batch_sizes.is_empty()
            && self.dropouts.is_empty()
            && self.trees.is_empty()
            && self.tree_depths.is_empty()
    }

    /// Every combination, learning rate outermost, then layout, batch size
    /// and dropout. Each value is checked on its own first, so the error
    /// names the bad value (`learning rate 50: …`).
    pub fn expand(
        &self,
        base_spec: &NetworkSpec,
        base_train: &TrainSettings,
    ) -> Result<Vec<SweepPoint>, SweepError> {
        let by_width_and_depth = !self.widths.is_empty() || !self.depths.is_empty();
        if !self.hidden.is_empty() && by_width_and_depth {
            return Err(SweepError::HiddenAndWidths);
        }
        refuse_others(
            &[
                ("trees", self.trees.is_empty()),
                ("tree depth", self.tree_depths.is_empty()),
            ],
            Family::Network,
        )?;
        let total = self.len();
        if total > MAX_SWEEP_POINTS {
            return Err(SweepError::TooLarge { points: total });
        }
        // Per-layer activations name the base's layers; a grid that varies
        // the layers gives every point the quick activation instead.
        let varied_layers;
        let base_spec = if (!self.hidden.is_empty() || by_width_and_depth)
            && !base_spec.layer_activations.is_empty()
        {
            varied_layers = NetworkSpec {
                layer_activations: Vec::new(),
                ..base_spec.clone()
            };
            &varied_layers
        } else {
            base_spec
        };
        self.check_values(base_spec, base_train)?;

        let learning_rates: Vec<(Option<Swept>, f64)> = if self.learning_rates.is_empty() {
            vec![(None, base_train.learning_rate)]
        } else {
            self.learning_rates
                .iter()
                .map(|&lr| (Some((SweepParam::LearningRate, ParamValue::Number(lr))), lr))
                .collect()
        };
        let batches: Vec<(Option<Swept>, usize)> = if self.batch_sizes.is_empty() {
            vec![(None, base_train.batch_size)]
        } else {
            self.batch_sizes
                .iter()
                .map(|&b| {
                    (
                        Some((SweepParam::BatchSize, ParamValue::Number(b as f64))),
                        b,
                    )
                })
                .collect()
        };
        let dropouts: Vec<(Option<Swept>, f64)> = if self.dropouts.is_empty() {
            vec![(None, base_spec.dropout)]
        } else {
            self.dropouts
                .iter()
                .map(|&d| (Some((SweepParam::Dropout, ParamValue::Number(d))), d))
                .collect()
        };
        let layouts = self.layouts(base_spec);

        let mut points = Vec::with_capacity(total);
        for (lr_param, lr) in &learning_rates {
            for (layout_params, hidden) in &layouts {
                for (batch_param, batch) in &batches {
                    for (dropout_param, dropout) in &dropouts {
                        let params = lr_param
                            .iter()
                            .chain(layout_params)
                            .chain(batch_param)
                            .chain(dropout_param)
                            .cloned()
                            .collect();
                        points.push(SweepPoint {
                            spec: NetworkSpec {
                                hidden: hidden.clone(),
                                dropout: *dropout,
                                ..base_spec.clone()
                            },
                            train: TrainSettings {
                                learning_rate: *lr,
                                batch_size: *batch,
                                ..base_train.clone()
                            },
                            trees: None,
                            params,
                        });
                    }
                }
            }
        }
        Ok(points)
    }

    /// Hidden layouts with the params that name them.
    fn layouts(&self, base: &NetworkSpec) -> Vec<(Vec<Swept>, Vec<usize>)> {
        if !self.hidden.is_empty() {
            return self
                .hidden
                .iter()
                .map(|h| {
                    (
                        vec![(SweepParam::Hidden, ParamValue::Layers(h.clone()))],
                        h.clone(),
                    )
                })
                .collect();
        }
        if self.widths.is_empty() && self.depths.is_empty() {
            return vec![(Vec::new(), base.hidden.clone())];
        }
        let widths: Vec<(bool, usize)> = if self.widths.is_empty() {
            vec![(false, base.hidden.first().copied().unwrap_or(32))]
        } else {
            self.widths.iter().map(|&w| (true, w)).collect()
        };
        let depths: Vec<(bool, usize)> = if self.depths.is_empty() {
            vec![(false, base.hidden.len().max(1))]
        } else {
            self.depths.iter().map(|&d| (true, d)).collect()
        };
        let mut layouts = Vec::with_capacity(widths.len() * depths.len());
        for &(swept_w, width) in &widths {
            for &(swept_d, depth) in &depths {
                let mut params = Vec::new();
                if swept_w {
                    params.push((SweepParam::Width, ParamValue::Number(width as f64)));
                }
                if swept_d {
                    params.push((SweepParam::Depth, ParamValue::Number(depth as f64)));
                }
                layouts.push((params, vec![width; depth]));
            }
        }
        layouts
    }

    /// Each listed value on its own against the base settings.
    fn check_values(&self, spec: &NetworkSpec, train: &TrainSettings) -> Result<(), SweepError> {
        let invalid = |param: &'static str, value: String| {
            move |source: SpecError| SweepError::Invalid {
                param,
                value,
                source,
            }
        };
        no_duplicates("learning rate", &self.learning_rates, |x| format_number(*x))?;
        no_duplicates("hidden layers", &self.hidden, |h| layers_label(h))?;
        no_duplicates("width", &self.widths, ToString::to_string)?;
        no_duplicates("depth", &self.depths, ToString::to_string)?;
        no_duplicates("batch size", &self.batch_sizes, ToString::to_string)?;
        no_duplicates("dropout", &self.dropouts, |x| format_number(*x))?;
        for &lr in &self.learning_rates {
            let t = TrainSettings {
                learning_rate: lr,
                ..train.clone()
            };
            t.validate()
                .map_err(invalid("learning rate", format_number(lr)))?;
        }
        for &batch_size in &self.batch_sizes {
            let t = TrainSettings {
                batch_size,
                ..train.clone()
            };
            t.validate()
                .map_err(invalid("batch size", batch_size.to_string()))?;
        }
        for &dropout in &self.dropouts {
            let s = NetworkSpec {
                dropout,
                ..spec.clone()
            };
            s.validate()
                .map_err(invalid("dropout", format_number(dropout)))?;
        }
        for hidden in &self.hidden {
            let s = NetworkSpec {
                hidden: hidden.clone(),
                ..spec.clone()
            };
            s.validate()
                .map_err(invalid("hidden layers", layers_label(hidden)))?;
        }
        for &width in &self.widths {
            let s = NetworkSpec {
                hidden: vec![width],
                ..spec.clone()
            };
            s.validate().map_err(invalid("width", width.to_string()))?;
        }
        for &depth in &self.depths {
            let s = NetworkSpec {
                hidden: vec![1; depth],
                ..spec.clone()
            };
            s.validate().map_err(invalid("depth", depth.to_string()))?;
        }
        // The base itself (epochs, L2, momentum…) must be valid too.
        spec.validate()
            .map_err(invalid("base network", layers_label(&spec.hidden)))?;
        train
            .validate()
            .map_err(invalid("base training", "settings".to_owned()))?;
        Ok(())
    }
}

pub(super) fn no_duplicates<T>(
    param: &'static str,
    values: &[T],
    label: impl Fn(&T) -> String,
) -> Result<(), SweepError> {
    let mut seen = BTreeSet::new();
    for v in values {
        let text = label(v);
        if !seen.insert(text.clone()) {
            return Err(SweepError::Duplicate { param, value: text });
        }
    }
    Ok(())
}
