//! A trained model as one file, for every family: its parameters, fitted
//! pipeline, what was trained ([`ModelSpec`]: family and settings) and
//! final metrics, so it can score new customers without the data it was
//! trained on.
//!
//! Layout (little-endian):
//!
//! ```text
//! "PLABMODL"            8 bytes  magic
//! format version        u32
//! metadata length       u64, then that many bytes of JSON (BundleMeta)
//! weights length        u64, then that many bytes (the family's own:
//!                            Burn's burnpack, or the trees as JSON)
//! checksum              u64  FNV-1a of every byte before it
//! ```
//!
//! The lengths make truncation detectable and the checksum catches a file
//! that was altered; the version lets a later app refuse or migrate.
//! Version 3 adds the calibration map (written only for a calibrated
//! model; an uncalibrated one is still written as version 2).
//! Version 2 holds the serialized [`ModelSpec`] (`"model": {"family": …}`);
//! version 1 (networks only, `family`, `spec` and `settings` side by side)
//! still opens.

use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::device::SelectedDevice;
use super::error::TrainError;
use super::family::{Family, ModelSpec, Scorer};
use super::run::{Metrics, RunError, TrainingRun, to_target_units};
use super::spec::{NetworkSpec, Task, TrainSettings};
use crate::data::prep::{Pipeline, PrepError, Recipe};
use crate::data::table::Table;
use crate::model::calibration::Calibrator;

const MAGIC: &[u8; 8] = b"PLABMODL";
pub const FORMAT_VERSION: u32 = 3;
/// The layout of version 3 without a calibration map: what an
/// uncalibrated model is still written as, so older readers open it.
const FORMAT_VERSION_2: u32 = 2;
/// The first format, read but no longer written.
const FORMAT_VERSION_1: u32 = 1;
/// Refuse absurd length fields before allocating for them.
const MAX_SECTION: u64 = 1 << 32;

#[derive(Debug, Error)]
pub enum BundleError {
    #[error("cannot read `{path}`: {message}")]
    Read { path: String, message: String },
    #[error("cannot write `{path}`: {message}")]
    Write { path: String, message: String },
    #[error("the model file is empty; it was probably not saved or copied completely")]
    Empty,
    #[error("this is not a Purchase Lab model file (it does not start with the model header)")]
    NotAModel,
    #[error(
        "this model file has format version {found}, but this Purchase Lab reads versions 1 to {FORMAT_VERSION}; open it with the version that saved it"
    )]
    Version { found: u32 },
    #[error("the model file is truncated: {0}")]
    Truncated(String),
    #[error("the model file is damaged (its checksum does not match)")]
    Corrupt,
    #[error("the model file's description cannot be read: {0}")]
    Meta(String),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Prep(#[from] PrepError),
}

/// Everything about a model except its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleMeta {
    /// Version of the app that wrote the file.
    pub app_version: String,
    /// What was trained: the family and its settings.
    pub model: ModelSpec,
    pub task: Task,
    pub recipe: Recipe,
    pub pipeline: Pipeline,
    /// Units trained: epochs of a network, rounds of trees.
    pub epochs_trained: usize,
    /// `(mean, std)` that map regression outputs back to target units.
    pub target_scale: Option<(f64, f64)>,
    /// Test metrics of the finished run at `threshold`; `None` for a model
    /// saved before its run finished (the test rows were not looked at).
    pub metrics: Option<Metrics>,
    /// Classification: the threshold chosen on the validation rows (best
    /// F1) when the run finished; scoring uses it unless told otherwise.
    /// Absent in files written before it existed and for unfinished runs.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// The device it was trained on, as shown to the user.
    pub device: String,
    /// What the training rows looked like, for the scoring report (absent
    /// in files written before it existed).
    #[serde(default)]
    pub profile: Option<crate::data::profile::TrainingProfile>,
    /// Classification: the calibration map fitted on the validation rows,
    /// applied to every score ([`LoadedModel::predict_table`]); absent in
    /// files written before it existed and for uncalibrated models.
    #[serde(default)]
    pub calibration: Option<Calibrator>,
}

/// The description as format version 1 wrote it: a network's spec and
/// settings beside a family tag (absent in the earliest files).
#[derive(Debug, Deserialize)]
struct BundleMetaV1 {
    app_version: String,
    #[serde(default)]
    family: Family,
    task: Task,
    recipe: Recipe,
    pipeline: Pipeline,
    spec: NetworkSpec,
    settings: TrainSettings,
    epochs_trained: usize,
    target_scale: Option<(f64, f64)>,
    metrics: Option<Metrics>,
    /// Written by version 1 files once the three-way split came (issue 14).
    #[serde(default)]
    threshold: Option<f64>,
    device: String,
    #[serde(default)]
    profile: Option<crate::data::profile::TrainingProfile>,
}

impl BundleMetaV1 {
    /// Version 1 knew networks only.
    fn upgrade(self) -> Result<BundleMeta, BundleError> {
        if self.family != Family::Network {
            return Err(BundleError::Meta(format!(
                "a version 1 file cannot hold a {} model",
                self.family.label()
            )));
        }
        Ok(BundleMeta {
            app_version: self.app_version,
            model: ModelSpec::Network {
                spec: self.spec,
                settings: self.settings,
            },
            task: self.task,
            recipe: self.recipe,
            pipeline: self.pipeline,
            epochs_trained: self.epochs_trained,
            target_scale: self.target_scale,
            metrics: self.metrics,
            threshold: self.threshold,
            device: self.device,
            profile: self.profile,
            calibration: None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub meta: BundleMeta,
    pub weights: Vec<u8>,
}

impl Bundle {
    /// Captures a run's current model and what it was trained with.
    pub fn from_run(run: &TrainingRun, recipe: &Recipe) -> Result<Bundle, BundleError> {
        let learner = run.learner();
        Ok(Bundle {
            meta: BundleMeta {
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
                model: learner.model_spec(),
                task: learner.task(),
                recipe: recipe.clone(),
                pipeline: run.prepared().pipeline.clone(),
                epochs_trained: learner.completed(),
                target_scale: run.target_scale(),
                metrics: run.outcome().map(|o| o.test_metrics.clone()),
                threshold: run.outcome().and_then(|o| o.threshold),
                device: run.device_description().to_owned(),
                profile: run.prepared().profile.clone(),
                calibration: run.calibrator().cloned(),
            },
            weights: learner.save()?,
        })
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, BundleError> {
        let meta = serde_json::to_vec(&self.meta).map_err(|e| BundleError::Meta(e.to_string()))?;
        let mut out = Vec::with_capacity(40 + meta.len() + self.weights.len());
        out.extend_from_slice(MAGIC);
        // A calibrated model is version 3: a reader that knows nothing of
        // calibration refuses it rather than scoring it uncalibrated.
        let version = if self.meta.calibration.is_some() {
            FORMAT_VERSION
        } else {
            FORMAT_VERSION_2
        };
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        out.extend_from_slice(&meta);
        out.extend_from_slice(&(self.weights.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.weights);
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        Ok(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle, BundleError> {
        let mut r = Reader { bytes, pos: 0 };
        if bytes.is_empty() {
            return Err(BundleError::Empty);
        }
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(BundleError::NotAModel);
        }
        r.pos = MAGIC.len();
        let version = u32::from_le_bytes(r.array::<4>("the version")?);
        if !(FORMAT_VERSION_1..=FORMAT_VERSION).contains(&version) {
            return Err(BundleError::Version { found: version });
        }
        let meta_len = r.length("the description length")?;
        let meta_bytes = r.take(meta_len, "the description")?;
        let weights_len = r.length("the weights length")?;
        let weights = r.take(weights_len, "the weights")?.to_vec();
        let body_end = r.pos;
        let sum = u64::from_le_bytes(r.array::<8>("the checksum")?);
        if r.pos != bytes.len() {
            return Err(BundleError::Corrupt);
        }
        if fnv1a(&bytes[..body_end]) != sum {
            return Err(BundleError::Corrupt);
        }
        let unreadable = |e: serde_json::Error| BundleError::Meta(e.to_string());
        let meta = if version == FORMAT_VERSION_1 {
            serde_json::from_slice::<BundleMetaV1>(meta_bytes)
                .map_err(unreadable)?
                .upgrade()?
        } else {
            serde_json::from_slice(meta_bytes).map_err(unreadable)?
        };
        Ok(Bundle { meta, weights })
    }

    pub fn save(&self, path: &Path) -> Result<(), BundleError> {
        let bytes = self.to_bytes()?;
        // A failed save never leaves half a model where a good one was.
        crate::save::save(path, &bytes).map_err(|e| BundleError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    pub fn load(path: &Path) -> Result<Bundle, BundleError> {
        let bytes = std::fs::read(path).map_err(|e| BundleError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Bundle::from_bytes(&bytes)
    }
}

impl BundleMeta {
    /// What the model file's weights are a model of.
    pub fn model_spec(&self) -> ModelSpec {
        self.model.clone()
    }

    /// The model's family.
    pub fn family(&self) -> Family {
        self.model.family()
    }
}

/// A loaded model, ready to score tables: inference-only (no optimizer, no
/// autodiff), whatever its family.
#[derive(Debug)]
pub struct LoadedModel {
    pub meta: BundleMeta,
    scorer: Box<dyn Scorer>,
    /// The family's own bytes, as in the file (the ONNX export reads the
    /// trees from them).
    weights: Vec<u8>,
}

impl LoadedModel {
    /// Opens `bundle`'s model on `device` for scoring. Errors: weights that
    /// do not fit the description (damaged or hand-edited files).
    pub fn new(bundle: Bundle, device: &SelectedDevice) -> Result<LoadedModel, BundleError> {
        let meta = bundle.meta;
        let scorer = meta.model_spec().open(
            meta.task,
            meta.pipeline.n_features(),
            &bundle.weights,
            &device.device,
        )?;
        Ok(LoadedModel {
            meta,
            scorer,
            weights: bundle.weights,
        })
    }

    /// Scores every row of `table`: probabilities of the positive class
    /// (through the saved calibration map, if any), or values in the
    /// target's units. Missing columns are named in the error.
    pub fn predict_table(&self, table: &Table) -> Result<Vec<f32>, BundleError> {
        let x = self.meta.pipeline.transform(table)?;
        let mut out = self.scorer.predict(&x)?;
        to_target_units(&mut out, self.meta.target_scale);
        self.meta.pipeline.constrain_predictions(&mut out);
        Ok(match &self.meta.calibration {
            Some(c) => c.apply_all(&out),
            None => out,
        })
    }

    /// The boosted trees, for the ONNX export; `None` for another family.
    ///
    /// # Errors
    /// Bytes that are not a tree model of this pipeline's width (checked
    /// when the file was opened, so only a changed file).
    pub fn tree_ensemble(&self) -> Option<Result<crate::model::gbm::Ensemble, TrainError>> {
        matches!(self.meta.model, ModelSpec::Trees { .. }).then(|| {
            crate::model::gbm::Ensemble::from_bytes(&self.weights, self.meta.pipeline.n_features())
        })
    }

    /// Every layer's weights (hidden layers, then the output), for the
    /// ONNX export; `None` for a family without layers.
    ///
    /// # Errors
    /// Weights that cannot be read back from the device.
    pub fn layer_weights(&self) -> Result<Option<Vec<super::family::LayerWeights>>, TrainError> {
        // The diagram carries the weights; one row of zeros is the
        // cheapest input it accepts.
        let n = self.meta.pipeline.n_features();
        let x = crate::data::prep::Matrix {
            data: vec![0.0; n],
            rows: 1,
            cols: n,
        };
        Ok(self.scorer.diagram(&x)?.map(|d| d.weights))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], BundleError> {
        let left = (self.bytes.len() - self.pos) as u64;
        if n > left {
            return Err(BundleError::Truncated(format!(
                "{what} should take {n} bytes but only {left} remain; it was probably not saved or copied completely"
            )));
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.bytes[start..self.pos])
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], BundleError> {
        let slice = self.take(N as u64, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn length(&mut self, what: &str) -> Result<u64, BundleError> {
        let n = u64::from_le_bytes(self.array::<8>(what)?);
        if n > MAX_SECTION {
            return Err(BundleError::Corrupt);
        }
        Ok(n)
    }
}

/// 64-bit FNV-1a: tiny, dependency-free, enough to notice accidental damage.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv1a::default();
    hasher.write(bytes);
    hasher.finish()
}

/// Streaming 64-bit FNV-1a, so large inputs (a whole table for the run
/// history's data fingerprint) are hashed without first being copied into
/// one buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        self.0 = bytes.iter().fold(self.0, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    }

    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_meta() -> BundleMeta {
        let table = crate::data::parse_csv(b"x,y\n1,a\n2,b\n3,a\n4,b\n5,a\n6,b\n").unwrap();
        let recipe = Recipe::new(
            &table,
            "y",
            crate::data::Problem::Classification {
                positive: "a".into(),
            },
        );
        let prepared = crate::data::prepare(&table, &recipe).unwrap();
        BundleMeta {
            app_version: "0.1.0".into(),
            model: ModelSpec::Network {
                spec: NetworkSpec::default(),
                settings: TrainSettings::default(),
            },
            task: Task::Classification,
            recipe,
            pipeline: prepared.pipeline,
            epochs_trained: 3,
            target_scale: None,
            metrics: None,
            threshold: Some(0.37),
            device: "CPU".into(),
            profile: prepared.profile,
            calibration: None,
        }
    }

    fn sample() -> Bundle {
        Bundle {
            meta: sample_meta(),
            weights: vec![1, 2, 3, 4, 5],
        }
    }

    #[test]
    fn bytes_round_trip() {
        let b = sample();
        assert_eq!(Bundle::from_bytes(&b.to_bytes().unwrap()).unwrap(), b);
    }

    /// A version 1 file's bytes for `meta`, laid out as that version wrote
    /// them (family, spec and settings side by side; `family` optional).
    fn version_1_bytes(meta: &BundleMeta, with_family: bool, weights: &[u8]) -> Vec<u8> {
        let mut json = serde_json::to_value(meta).unwrap();
        let fields = json.as_object_mut().unwrap();
        let ModelSpec::Network { spec, settings } = &meta.model else {
            panic!("version 1 holds networks")
        };
        fields.remove("model");
        fields.insert("spec".into(), serde_json::to_value(spec).unwrap());
        fields.insert("settings".into(), serde_json::to_value(settings).unwrap());
        if with_family {
            fields.insert("family".into(), "network".into());
        }
        let meta = serde_json::to_vec(&json).unwrap();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        out.extend_from_slice(&meta);
        out.extend_from_slice(&(weights.len() as u64).to_le_bytes());
        out.extend_from_slice(weights);
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    #[test]
    fn version_1_files_open_as_networks() {
        for with_family in [true, false] {
            let bytes = version_1_bytes(&sample_meta(), with_family, &[1, 2, 3, 4, 5]);
            let opened = Bundle::from_bytes(&bytes).unwrap();
            assert_eq!(opened, sample(), "family tag written: {with_family}");
            assert_eq!(opened.meta.family(), Family::Network);
        }
        // Written again, it is a version 2 file with the model spec inside.
        let bytes = sample().to_bytes().unwrap();
        assert_eq!(
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            2
        );
        let json = serde_json::to_value(sample_meta()).unwrap();
        assert_eq!(json["model"]["family"], "network");
    }

    #[test]
    fn tree_models_keep_their_settings() {
        let mut meta = sample_meta();
        meta.model = ModelSpec::Trees {
            settings: crate::model::TreeSettings {
                max_depth: 2,
                ..crate::model::TreeSettings::default()
            },
        };
        let bundle = Bundle {
            meta,
            weights: b"{}".to_vec(),
        };
        let opened = Bundle::from_bytes(&bundle.to_bytes().unwrap()).unwrap();
        assert_eq!(opened, bundle);
        assert_eq!(opened.meta.family(), Family::Trees);
    }

    #[test]
    fn a_calibration_map_is_saved_as_version_3_and_files_without_one_still_open() {
        // A version 2 file written before calibration existed.
        let mut json = serde_json::to_value(sample_meta()).unwrap();
        json.as_object_mut().unwrap().remove("calibration");
        let meta: BundleMeta = serde_json::from_value(json).unwrap();
        assert_eq!(meta, sample_meta());
        assert_eq!(meta.calibration, None);

        let mut calibrated = sample();
        calibrated.meta.calibration = Some(Calibrator::Platt { a: -1.5, b: 0.25 });
        let bytes = calibrated.to_bytes().unwrap();
        assert_eq!(
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            3
        );
        assert_eq!(Bundle::from_bytes(&bytes).unwrap(), calibrated);
    }

    #[test]
    fn every_truncation_is_reported_never_a_panic() {
        let bytes = sample().to_bytes().unwrap();
        for cut in 0..bytes.len() {
            let err = Bundle::from_bytes(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(
                    err,
                    BundleError::Empty | BundleError::NotAModel | BundleError::Truncated(_)
                ),
                "cut at {cut}: {err}"
            );
        }
    }

    #[test]
    fn other_files_and_versions_are_refused_clearly() {
        assert_eq!(
            Bundle::from_bytes(b"age,income\n1,2\n")
                .unwrap_err()
                .to_string(),
            "this is not a Purchase Lab model file (it does not start with the model header)"
        );
        let mut bytes = sample().to_bytes().unwrap();
        bytes[8] = 9;
        assert_eq!(
            Bundle::from_bytes(&bytes).unwrap_err().to_string(),
            "this model file has format version 9, but this Purchase Lab reads versions 1 to 3; open it with the version that saved it"
        );
        let mut bytes = sample().to_bytes().unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x55;
        assert!(matches!(
            Bundle::from_bytes(&bytes),
            Err(BundleError::Corrupt | BundleError::Truncated(_))
        ));
    }
}
