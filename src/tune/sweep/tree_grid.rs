//! The boosted trees' side of a sweep grid: learning rate × tree depth ×
//! rounds, each value checked on its own against the base settings, the
//! network's lists refused.

use super::grid::{ParamValue, SweepGrid, SweepParam, SweepPoint, Swept, no_duplicates};
use super::{MAX_SWEEP_POINTS, SweepError};
use crate::data::table::format_number;
use crate::model::spec::{NetworkSpec, TrainSettings};
use crate::model::{Family, TreeSettings};

/// The values to try for one setting, each with the param naming it, or
/// the base value alone (unnamed) when none are listed.
fn choices<T: Copy>(
    values: &[T],
    base: T,
    param: SweepParam,
    number: impl Fn(T) -> f64,
) -> Vec<(Option<Swept>, T)> {
    if values.is_empty() {
        return vec![(None, base)];
    }
    values
        .iter()
        .map(|&v| (Some((param, ParamValue::Number(number(v)))), v))
        .collect()
}

/// The first of the other family's lists that is not empty, refused:
/// `lists` holds each one's name and whether it is empty.
pub(super) fn refuse_others(
    lists: &[(&'static str, bool)],
    family: Family,
) -> Result<(), SweepError> {
    match lists.iter().find(|(_, empty)| !empty) {
        Some((param, _)) => Err(SweepError::NotForFamily {
            param,
            family: family.label(),
        }),
        None => Ok(()),
    }
}

impl SweepGrid {
    /// Every combination for boosted trees, learning rate outermost, then
    /// depth, then rounds; other settings from `base`. Each value is
    /// checked on its own first, so the error names it (`tree depth 0: …`).
    /// Errors: a network-only list, too many points, a duplicate or
    /// invalid value.
    pub fn expand_trees(&self, base: &TreeSettings) -> Result<Vec<SweepPoint>, SweepError> {
        refuse_others(
            &[
                ("hidden layers", self.hidden.is_empty()),
                ("width", self.widths.is_empty()),
                ("depths (hidden layers)", self.depths.is_empty()),
                ("batch size", self.batch_sizes.is_empty()),
                ("dropout", self.dropouts.is_empty()),
            ],
            Family::Trees,
        )?;
        let total = self.len();
        if total > MAX_SWEEP_POINTS {
            return Err(SweepError::TooLarge { points: total });
        }
        self.check_tree_values(base)?;
        let rates = choices(
            &self.learning_rates,
            base.learning_rate,
            SweepParam::LearningRate,
            |v| v,
        );
        let depths = choices(
            &self.tree_depths,
            base.max_depth,
            SweepParam::TreeDepth,
            |v| v as f64,
        );
        let rounds = choices(&self.trees, base.trees, SweepParam::Trees, |v| v as f64);
        let mut points = Vec::with_capacity(total);
        for (rate_param, learning_rate) in &rates {
            for (depth_param, max_depth) in &depths {
                for (trees_param, trees) in &rounds {
                    points.push(SweepPoint {
                        spec: NetworkSpec::default(),
                        train: TrainSettings::default(),
                        trees: Some(TreeSettings {
                            learning_rate: *learning_rate,
                            max_depth: *max_depth,
                            trees: *trees,
                            ..base.clone()
                        }),
                        params: rate_param
                            .iter()
                            .chain(depth_param)
                            .chain(trees_param)
                            .cloned()
                            .collect(),
                    });
                }
            }
        }
        Ok(points)
    }

    /// Each listed tree value on its own against `base`, then `base`.
    fn check_tree_values(&self, base: &TreeSettings) -> Result<(), SweepError> {
        no_duplicates("learning rate", &self.learning_rates, |x| format_number(*x))?;
        no_duplicates("tree depth", &self.tree_depths, ToString::to_string)?;
        no_duplicates("trees", &self.trees, ToString::to_string)?;
        let check = |param: &'static str, value: String, settings: TreeSettings| {
            settings
                .validate()
                .map_err(|source| SweepError::InvalidTrees {
                    param,
                    value,
                    source,
                })
        };
        for &learning_rate in &self.learning_rates {
            let settings = TreeSettings {
                learning_rate,
                ..base.clone()
            };
            check("learning rate", format_number(learning_rate), settings)?;
        }
        for &max_depth in &self.tree_depths {
            let settings = TreeSettings {
                max_depth,
                ..base.clone()
            };
            check("tree depth", max_depth.to_string(), settings)?;
        }
        for &trees in &self.trees {
            let settings = TreeSettings {
                trees,
                ..base.clone()
            };
            check("trees", trees.to_string(), settings)?;
        }
        check("base trees", "settings".to_owned(), base.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_grid_crosses_rate_depth_and_rounds_and_refuses_network_lists() {
        let grid = SweepGrid {
            learning_rates: vec![0.05, 0.3],
            tree_depths: vec![2, 4, 6],
            trees: vec![50],
            ..SweepGrid::default()
        };
        let points = grid.expand_trees(&TreeSettings::default()).unwrap();
        assert_eq!(points.len(), 6);
        let last = points[5].trees.as_ref().unwrap();
        assert_eq!(
            (last.learning_rate, last.max_depth, last.trees),
            (0.3, 6, 50)
        );
        assert_eq!(points[5].label(), "lr 0.3 · max_depth 6 · trees 50");
        assert_eq!(points[5].model_spec().family(), Family::Trees);

        let bad = SweepGrid {
            tree_depths: vec![3, 0],
            ..SweepGrid::default()
        };
        let e = bad.expand_trees(&TreeSettings::default()).unwrap_err();
        assert!(e.to_string().starts_with("tree depth 0:"), "{e}");
        let mixed = SweepGrid {
            dropouts: vec![0.1],
            ..SweepGrid::default()
        };
        let e = mixed.expand_trees(&TreeSettings::default()).unwrap_err();
        assert!(e.to_string().contains("dropout"), "{e}");
        let e = grid
            .expand(&NetworkSpec::default(), &TrainSettings::default())
            .unwrap_err();
        assert!(e.to_string().contains("network"), "{e}");
    }
}
