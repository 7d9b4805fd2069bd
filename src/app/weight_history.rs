//! What the network's weights did over the last epochs, kept from the
//! layer weights the worker already sends with each surface (plain `f32`s,
//! never a tensor): the last few snapshots in full, for the diagram's link
//! hover, and per layer the weights' quantiles for every epoch seen, for
//! the weights plot. Both are bounded whatever the run's length.

use std::collections::VecDeque;

use crate::model::LayerWeights;

/// Snapshots kept in full, at most: a link's hover shows this many epochs.
pub const RECENT_EPOCHS: usize = 12;
/// Weights kept over all full snapshots, at most (16 MiB of `f32`): a very
/// wide network keeps fewer epochs, never fewer than two.
const RECENT_FLOATS: usize = 4 << 20;
/// Epochs of quantiles kept; past it every other one is dropped, so the
/// plot still spans the whole run, at half the density.
pub const BAND_EPOCHS: usize = 512;
/// The quantiles of each layer's weights the plot shows, in percent.
pub const QUANTILES: [f64; 5] = [5.0, 25.0, 50.0, 75.0, 95.0];

/// One epoch's quantiles: per layer (hidden layers, then the output), the
/// [`QUANTILES`] of its weights (biases left out).
#[derive(Debug, Clone, PartialEq)]
pub struct BandRow {
    pub epoch: usize,
    pub layers: Vec<[f32; 5]>,
}

/// One epoch's weights in full, per layer as [`LayerWeights::weights`]
/// (one row per unit).
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    epoch: usize,
    layers: Vec<Vec<f32>>,
}

/// The bounded history of one network's weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightHistory {
    /// Each layer's `(n_in, n_out)`; weights of another shape start afresh.
    shapes: Vec<(usize, usize)>,
    recent: VecDeque<Snapshot>,
    bands: Vec<BandRow>,
}

impl WeightHistory {
    /// Forget everything (a new network).
    pub fn clear(&mut self) {
        *self = WeightHistory::default();
    }

    /// Keeps the weights after `epoch`. A second snapshot of the same epoch
    /// replaces the first; a network of another shape starts the history
    /// again; no layers (a family without weights) records nothing.
    pub fn record(&mut self, epoch: usize, layers: &[LayerWeights]) {
        if layers.is_empty() {
            return;
        }
        let shapes: Vec<(usize, usize)> = layers.iter().map(|l| (l.n_in, l.n_out)).collect();
        if shapes != self.shapes {
            self.clear();
            self.shapes = shapes;
        }
        let snapshot = Snapshot {
            epoch,
            layers: layers.iter().map(|l| l.weights.clone()).collect(),
        };
        let band = BandRow {
            epoch,
            layers: layers.iter().map(|l| quantiles(&l.weights)).collect(),
        };
        if self.recent.back().is_some_and(|s| s.epoch == epoch) {
            self.recent.pop_back();
        }
        if self.bands.last().is_some_and(|b| b.epoch == epoch) {
            self.bands.pop();
        }
        self.recent.push_back(snapshot);
        while self.recent.len() > self.recent_capacity() {
            self.recent.pop_front();
        }
        self.bands.push(band);
        if self.bands.len() > BAND_EPOCHS {
            let mut index = 0;
            self.bands.retain(|_| {
                index += 1;
                index % 2 == 1
            });
        }
    }

    /// How many full snapshots fit [`RECENT_FLOATS`], within 2..=[`RECENT_EPOCHS`].
    fn recent_capacity(&self) -> usize {
        let per_snapshot: usize = self.shapes.iter().map(|(i, o)| i * o).sum();
        (RECENT_FLOATS / per_snapshot.max(1)).clamp(2, RECENT_EPOCHS)
    }

    /// The link from unit `from` of the layer below into unit `to` of
    /// layer `layer` (0: the first hidden layer; the last: the output) in
    /// each kept snapshot, oldest first, as `(epoch, weight)`.
    pub fn link(&self, layer: usize, from: usize, to: usize) -> Vec<(usize, f32)> {
        let Some(&(n_in, _)) = self.shapes.get(layer) else {
            return Vec::new();
        };
        self.recent
            .iter()
            .filter_map(|s| {
                let w = s.layers.get(layer)?.get(to * n_in + from)?;
                Some((s.epoch, *w))
            })
            .collect()
    }

    /// Per epoch, each layer's weight quantiles, oldest first.
    pub fn bands(&self) -> &[BandRow] {
        &self.bands
    }

    /// Layers the history is for (0 before the first record).
    pub fn n_layers(&self) -> usize {
        self.shapes.len()
    }
}

/// The [`QUANTILES`] of `values`, interpolating linearly between order
/// statistics (Hyndman & Fan 1996, definition 7; numpy's default); NaN
/// values are left out; all NaN (or none) gives NaN.
pub fn quantiles(values: &[f32]) -> [f32; 5] {
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f32::total_cmp);
    QUANTILES.map(|q| {
        let Some(last) = sorted.len().checked_sub(1) else {
            return f32::NAN;
        };
        let h = last as f64 * q / 100.0;
        let below = h.floor() as usize;
        let above = (below + 1).min(last);
        let t = (h - below as f64) as f32;
        sorted[below] + (sorted[above] - sorted[below]) * t
    })
}

#[cfg(test)]
mod tests;
