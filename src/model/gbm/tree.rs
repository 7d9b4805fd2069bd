//! One regression tree of a boosted ensemble: grown depth-wise on binned
//! features from per-row gradients and hessians, the split gain and leaf
//! weight of XGBoost (Chen & Guestrin 2016, eqs. 5–7):
//!
//! - leaf weight `w = −G / (H + λ)`, shrunk by the learning rate;
//! - split gain `½ [G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)]`, a split kept
//!   only with positive gain and at least `min_child_weight` hessian on
//!   each side;
//! - missing values (NaN) go the way that gains more (XGBoost's "default
//!   direction"), or to the heavier side when the node saw none.

use serde::{Deserialize, Serialize};

use super::bins::{Cuts, MAX_BINS, MISSING_BIN};

/// A node: a split on one feature, or a leaf with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    Split {
        feature: usize,
        /// Values below go left.
        threshold: f32,
        /// Where a missing value goes.
        missing_left: bool,
        left: usize,
        right: usize,
        /// The loss reduction this split brought (for importance).
        gain: f64,
    },
    Leaf {
        value: f64,
    },
}

/// A tree: `nodes[0]` is the root; children always come after their parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

/// How trees grow (from [`super::TreeSettings`]).
#[derive(Debug, Clone, Copy)]
pub struct GrowParams {
    pub max_depth: usize,
    pub min_child_weight: f64,
    pub l2: f64,
    pub learning_rate: f64,
}

/// The training rows as the grower reads them.
pub struct Binned<'a> {
    /// Column-major bin codes ([`Cuts::codes`]).
    pub codes: &'a [u16],
    pub rows: usize,
    pub cuts: &'a Cuts,
}

/// A candidate split of one node.
#[derive(Debug, Clone, Copy)]
struct Split {
    feature: usize,
    /// Bins below this go left.
    bin: usize,
    missing_left: bool,
    gain: f64,
}

impl Tree {
    /// The tree's score for one row of prepared features.
    pub fn predict_row(&self, row: &[f32]) -> f64 {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                Node::Leaf { value } => return *value,
                Node::Split {
                    feature,
                    threshold,
                    missing_left,
                    left,
                    right,
                    ..
                } => {
                    let v = row[*feature];
                    let go_left = if v.is_nan() {
                        *missing_left
                    } else {
                        v < *threshold
                    };
                    i = if go_left { *left } else { *right };
                }
            }
        }
    }

    /// Whether the tree is safe to walk for `n_features` features: every
    /// child after its parent and inside the tree (so a walk ends), every
    /// split on an existing feature. Checked when a file is opened.
    pub fn is_well_formed(&self, n_features: usize) -> bool {
        !self.nodes.is_empty()
            && self.nodes.iter().enumerate().all(|(i, node)| match node {
                Node::Leaf { value } => value.is_finite(),
                Node::Split {
                    feature,
                    left,
                    right,
                    threshold,
                    ..
                } => {
                    *feature < n_features
                        && !threshold.is_nan()
                        && (i + 1..self.nodes.len()).contains(left)
                        && (i + 1..self.nodes.len()).contains(right)
                }
            })
    }

    /// Grows a tree on the rows `sample` of `data` with gradients `grad`
    /// and hessians `hess` (one per training row).
    pub fn grow(
        data: &Binned<'_>,
        grad: &[f64],
        hess: &[f64],
        sample: Vec<usize>,
        params: &GrowParams,
    ) -> Tree {
        let mut tree = Tree { nodes: Vec::new() };
        // (node index, its rows, depth); the node is a placeholder leaf
        // until decided.
        let mut pending = vec![(0, sample, 0)];
        tree.nodes.push(Node::Leaf { value: 0.0 });
        while let Some((at, rows, depth)) = pending.pop() {
            let (g, h) = sums(&rows, grad, hess);
            let split = (depth < params.max_depth)
                .then(|| best_split(data, &rows, grad, hess, (g, h), params))
                .flatten();
            let Some(split) = split else {
                tree.nodes[at] = Node::Leaf {
                    value: -g / (h + params.l2) * params.learning_rate,
                };
                continue;
            };
            let column = &data.codes[split.feature * data.rows..(split.feature + 1) * data.rows];
            let (left_rows, right_rows): (Vec<usize>, Vec<usize>) =
                rows.into_iter().partition(|&r| {
                    let b = column[r];
                    if b == MISSING_BIN {
                        split.missing_left
                    } else {
                        usize::from(b) < split.bin
                    }
                });
            let (left, right) = (tree.nodes.len(), tree.nodes.len() + 1);
            tree.nodes.push(Node::Leaf { value: 0.0 });
            tree.nodes.push(Node::Leaf { value: 0.0 });
            tree.nodes[at] = Node::Split {
                feature: split.feature,
                threshold: data.cuts.per_feature[split.feature][split.bin - 1],
                missing_left: split.missing_left,
                left,
                right,
                gain: split.gain,
            };
            pending.push((right, right_rows, depth + 1));
            pending.push((left, left_rows, depth + 1));
        }
        tree
    }
}

fn sums(rows: &[usize], grad: &[f64], hess: &[f64]) -> (f64, f64) {
    rows.iter()
        .fold((0.0, 0.0), |(g, h), &r| (g + grad[r], h + hess[r]))
}

/// The split of `rows` with the largest positive gain over every feature
/// and bin boundary, if any passes `min_child_weight`.
fn best_split(
    data: &Binned<'_>,
    rows: &[usize],
    grad: &[f64],
    hess: &[f64],
    (g, h): (f64, f64),
    params: &GrowParams,
) -> Option<Split> {
    let score = |g: f64, h: f64| g * g / (h + params.l2);
    let parent = score(g, h);
    let mut best: Option<Split> = None;
    let mut hist = vec![(0.0f64, 0.0f64); MAX_BINS + 1];
    for (feature, cuts) in data.cuts.per_feature.iter().enumerate() {
        if cuts.is_empty() {
            continue;
        }
        hist.iter_mut().for_each(|b| *b = (0.0, 0.0));
        let column = &data.codes[feature * data.rows..(feature + 1) * data.rows];
        for &r in rows {
            let b = &mut hist[usize::from(column[r])];
            b.0 += grad[r];
            b.1 += hess[r];
        }
        let (gm, hm) = hist[usize::from(MISSING_BIN)];
        let (mut gl, mut hl) = (0.0, 0.0);
        for bin in 1..=cuts.len() {
            gl += hist[bin - 1].0;
            hl += hist[bin - 1].1;
            let (gr, hr) = (g - gm - gl, h - hm - hl);
            // Missing to the right, then to the left (right first, so a
            // node without missing values keeps them on the heavier side
            // via the tie-break below).
            for missing_left in [false, true] {
                let (gl, hl, gr, hr) = if missing_left {
                    (gl + gm, hl + hm, gr, hr)
                } else {
                    (gl, hl, gr + gm, hr + hm)
                };
                if hl < params.min_child_weight || hr < params.min_child_weight {
                    continue;
                }
                let gain = 0.5 * (score(gl, hl) + score(gr, hr) - parent);
                let better = best.is_none_or(|b| gain > b.gain);
                if gain > 1e-12 && better {
                    best = Some(Split {
                        feature,
                        bin,
                        missing_left: if hm > 0.0 { missing_left } else { hl > hr },
                        gain,
                    });
                }
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_depth_one_tree_splits_where_the_gradient_changes_sign() {
        // One feature 0..10; rows below 4 want +1, the others −1.
        let data: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let cuts = Cuts::fit(&data, 10, 1);
        let codes = cuts.codes(&data, 10, 1);
        let grad: Vec<f64> = (0..10).map(|i| if i < 4 { -1.0 } else { 1.0 }).collect();
        let hess = vec![1.0; 10];
        let params = GrowParams {
            max_depth: 1,
            min_child_weight: 1.0,
            l2: 0.0,
            learning_rate: 1.0,
        };
        let binned = Binned {
            codes: &codes,
            rows: 10,
            cuts: &cuts,
        };
        let tree = Tree::grow(&binned, &grad, &hess, (0..10).collect(), &params);
        assert_eq!(tree.nodes.len(), 3);
        let Node::Split { threshold, .. } = tree.nodes[0] else {
            panic!("a split at the root")
        };
        assert_eq!(threshold, 3.5);
        assert_eq!(tree.predict_row(&[0.0]), 1.0);
        assert_eq!(tree.predict_row(&[9.0]), -1.0);
        assert!(tree.is_well_formed(1));
        assert!(!tree.is_well_formed(0));
    }
}
