//! What both training engines share for an epoch, so they see the same
//! batches and drop the same units: the seeded shuffle, how the shuffled
//! rows are cut into chunks (one upload and one set of dropout masks each)
//! and batches, and the dropout draws themselves.

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::spec::NetworkSpec;

/// Floats uploaded per transfer during an epoch (16 MiB). Typical data fits in
/// one chunk; huge data is cut into chunks of whole batches, which leaves the
/// batch boundaries, and so the results, unchanged.
const CHUNK_FLOATS: usize = 1 << 22;

/// What one epoch trains on: the data, the shuffled row order and how it is
/// cut into chunks (for dropout masks) and batches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EpochPlan<'a> {
    /// Row-major `rows × n_features`.
    pub x: &'a [f32],
    pub y: &'a [f32],
    pub order: &'a [usize],
    pub batch: usize,
    pub chunk_rows: usize,
    /// The learning rate of each batch in order
    /// ([`LrSchedule::epoch_rates`](crate::model::schedule::LrSchedule::epoch_rates)),
    /// `order.len().div_ceil(batch)` of them: both engines step with these.
    pub rates: &'a [f64],
}

impl EpochPlan<'_> {
    /// The rate of batch `index` (0-based) of the epoch; the last rate for
    /// an index past the end (never reached: chunks hold whole batches, so
    /// the epoch has exactly `order.len().div_ceil(batch)` batches).
    pub fn rate(&self, index: usize) -> f64 {
        self.rates
            .get(index)
            .or(self.rates.last())
            .copied()
            .unwrap_or(0.0)
    }
}

/// The random stream of epoch `epoch` (1-based) and its shuffled row order
/// for `n_rows` rows. The stream goes on to draw the epoch's dropout masks.
pub(super) fn shuffled_epoch(seed: u64, epoch: usize, n_rows: usize) -> (ChaCha8Rng, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(epoch_seed(seed, epoch));
    let mut order: Vec<usize> = (0..n_rows).collect();
    order.shuffle(&mut rng);
    (rng, order)
}

/// A different, reproducible stream per epoch, so epoch `n` shuffles the same
/// way whether or not earlier epochs ran in this process.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Fills `mask` with inverted-dropout factors (`1 / keep` with probability
/// `keep`, else 0, so activations keep their expected value), one draw each
/// in order; both engines draw through here, so they drop the same units.
pub(super) fn fill_dropout_mask(rng: &mut ChaCha8Rng, dropout: f64, mask: &mut [f32]) {
    let keep = 1.0 - dropout;
    let scale = (1.0 / keep) as f32;
    for value in mask {
        *value = if rng.random::<f64>() < keep {
            scale
        } else {
            0.0
        };
    }
}

/// Rows per upload (and per set of dropout masks): all of them when the
/// epoch's floats fit in [`CHUNK_FLOATS`], else a whole number of batches.
/// Both engines cut the same way, so they draw the same masks.
pub(super) fn chunk_rows(
    n_rows: usize,
    batch: usize,
    n_features: usize,
    spec: &NetworkSpec,
) -> usize {
    let mask_floats = if spec.dropout > 0.0 {
        spec.hidden.iter().sum()
    } else {
        0
    };
    let per_row = n_features + 1 + mask_floats;
    let max_rows = (CHUNK_FLOATS / per_row).max(1);
    if max_rows >= n_rows {
        n_rows
    } else {
        (max_rows / batch).max(1) * batch
    }
}
