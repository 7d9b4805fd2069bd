//! Reading a sweep's outcomes: ranked by a metric, the best one, and a
//! heatmap of a metric over two swept settings.

use std::collections::BTreeSet;

use super::{SweepOutcome, SweepParam, SweepPoint};
use crate::tune::names::Metric;

/// The outcomes best first by `metric` (in its natural direction, see
/// [`Metric::higher_is_better`]); runs without the metric, then failed runs,
/// last. Ties keep grid order.
pub fn rank(outcomes: &[SweepOutcome], metric: Metric) -> Vec<&SweepOutcome> {
    let higher = metric.higher_is_better();
    let mut ranked: Vec<&SweepOutcome> = outcomes.iter().collect();
    ranked.sort_by(|a, b| {
        let key = |o: &SweepOutcome| match (o.metric(metric), o.result.is_ok()) {
            (Some(_), _) => 0,
            (None, true) => 1,
            (None, false) => 2,
        };
        key(a).cmp(&key(b)).then_with(|| {
            match (a.metric(metric), b.metric(metric)) {
                (Some(x), Some(y)) if higher => y.total_cmp(&x),
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => std::cmp::Ordering::Equal,
            }
            .then(a.index.cmp(&b.index))
        })
    });
    ranked
}

/// The best outcome by `metric` (for "Apply best": use its `point.spec` and
/// `point.train`); `None` when no run has the metric.
pub fn best(outcomes: &[SweepOutcome], metric: Metric) -> Option<&SweepOutcome> {
    rank(outcomes, metric)
        .into_iter()
        .next()
        .filter(|o| o.metric(metric).is_some())
}

/// The swept settings that take more than one value among `points`, in the
/// order they appear in a point's params.
pub fn varying_params(points: &[&SweepPoint]) -> Vec<SweepParam> {
    let mut order = Vec::new();
    for point in points {
        for (param, _) in &point.params {
            if !order.contains(param) {
                order.push(*param);
            }
        }
    }
    order
        .into_iter()
        .filter(|&param| {
            let values: BTreeSet<String> = points
                .iter()
                .filter_map(|p| p.param(param).map(ToString::to_string))
                .collect();
            values.len() > 1
        })
        .collect()
}

/// A metric over two swept settings: `values[row][col]`, `None` where no
/// run (or only failed runs) had that combination. When other settings
/// vary too, a cell holds the best value over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub metric: Metric,
    pub higher_is_better: bool,
    pub rows: SweepParam,
    pub cols: SweepParam,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
}

/// The heatmap of `metric` when exactly two settings vary in the sweep
/// (rows: the first in grid order, e.g. learning rate; columns: the
/// second); `None` otherwise (use [`heatmap_for`] to choose).
pub fn heatmap(outcomes: &[SweepOutcome], metric: Metric) -> Option<Heatmap> {
    let points: Vec<&SweepPoint> = outcomes.iter().map(|o| &o.point).collect();
    match varying_params(&points)[..] {
        [rows, cols] => Some(heatmap_for(outcomes, rows, cols, metric)),
        _ => None,
    }
}

/// The heatmap of `metric` over any two swept settings; labels in the order
/// values first appear (grid order).
pub fn heatmap_for(
    outcomes: &[SweepOutcome],
    rows: SweepParam,
    cols: SweepParam,
    metric: Metric,
) -> Heatmap {
    let mut row_labels: Vec<String> = Vec::new();
    let mut col_labels: Vec<String> = Vec::new();
    let label_of = |o: &SweepOutcome, p: SweepParam| o.point.param(p).map(ToString::to_string);
    for o in outcomes {
        if let Some(r) = label_of(o, rows)
            && !row_labels.contains(&r)
        {
            row_labels.push(r);
        }
        if let Some(c) = label_of(o, cols)
            && !col_labels.contains(&c)
        {
            col_labels.push(c);
        }
    }
    let higher = metric.higher_is_better();
    let mut values = vec![vec![None; col_labels.len()]; row_labels.len()];
    for o in outcomes {
        let (Some(r), Some(c), Some(v)) = (label_of(o, rows), label_of(o, cols), o.metric(metric))
        else {
            continue;
        };
        let (Some(ri), Some(ci)) = (
            row_labels.iter().position(|l| *l == r),
            col_labels.iter().position(|l| *l == c),
        ) else {
            continue;
        };
        let cell: &mut Option<f64> = &mut values[ri][ci];
        let better = cell.is_none_or(|old| if higher { v > old } else { v < old });
        if better {
            *cell = Some(v);
        }
    }
    Heatmap {
        metric,
        higher_is_better: higher,
        rows,
        cols,
        row_labels,
        col_labels,
        values,
    }
}
