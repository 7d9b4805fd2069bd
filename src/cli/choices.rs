//! Every choice a flag offers, as a clap [`ValueEnum`]: the value names
//! the command line has always used (with their old aliases), matched
//! without regard to case, and listed by `--help` and by clap's error for
//! a value it does not know.
//!
//! The library's enums (in `data`, `model`, `tune`) stay free of clap;
//! each choice here converts into its library type with `From`.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::data::prep::{Impute, Scale};
use crate::data::scoring_report::OutOfRangePolicy;
use crate::data::synth::Preset;
use crate::model::calibration::CalibrationMethod;
use crate::model::{Activation, BackendChoice, Family, OptimizerKind, TrainingEngine};
use crate::tune::Metric;

/// A command-line choice mirroring a library enum: the variants, each with
/// its value name, aliases and library variant, and the `From` conversion.
macro_rules! choice {
    (
        $(#[$meta:meta])*
        $name:ident => $target:ty {
            $( $variant:ident = $value:literal $(| $alias:literal)* => $to:expr ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum $name {
            $( #[value(name = $value $(, alias = $alias)*)] $variant ),+
        }

        impl From<$name> for $target {
            fn from(choice: $name) -> $target {
                match choice { $( $name::$variant => $to ),+ }
            }
        }
    };
}

choice! {
    /// `train --calibrate`: the calibration map fitted on the validation
    /// rows when the run finishes, saved with the model.
    CalibrateArg => Option<CalibrationMethod> {
        None = "none" => None,
        Platt = "platt" => Some(CalibrationMethod::Platt),
        Isotonic = "isotonic" => Some(CalibrationMethod::Isotonic),
    }
}

choice! {
    /// `--activation`: of every hidden layer.
    ActivationArg => Activation {
        Relu = "relu" => Activation::Relu,
        Tanh = "tanh" => Activation::Tanh,
        Sigmoid = "sigmoid" => Activation::Sigmoid,
        LeakyRelu = "leaky_relu" | "leaky-relu" => Activation::LeakyRelu,
    }
}

/// `export --format`: the file format written (one for now; a format
/// for another runtime is one more variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    /// ONNX: the pipeline and model as one graph (onnxruntime, Spark).
    #[value(name = "onnx")]
    Onnx,
}

choice! {
    /// `--model`: the model family (`gbm`: gradient-boosted trees).
    ModelArg => Family {
        Network = "network" | "mlp" => Family::Network,
        Gbm = "gbm" | "trees" => Family::Trees,
    }
}

choice! {
    /// `--optimizer`.
    OptimizerArg => OptimizerKind {
        Adam = "adam" => OptimizerKind::Adam,
        Sgd = "sgd" => OptimizerKind::Sgd,
    }
}

choice! {
    /// `--backend`: `wgpu` and `flex` are the backends' own names.
    BackendArg => BackendChoice {
        Auto = "auto" => BackendChoice::Auto,
        Gpu = "gpu" | "wgpu" => BackendChoice::Gpu,
        Cpu = "cpu" | "flex" => BackendChoice::Cpu,
    }
}

choice! {
    /// `bench --engine`.
    EngineArg => TrainingEngine {
        Auto = "auto" => TrainingEngine::Auto,
        Burn = "burn" => TrainingEngine::Burn,
    }
}

choice! {
    /// `--impute`: what to do with missing values.
    ImputeArg => Impute {
        DropRows = "drop_rows" | "drop-rows" => Impute::DropRows,
        Mean = "mean" => Impute::Mean,
        Median = "median" => Impute::Median,
        MostFrequent = "most_frequent" | "most-frequent" => Impute::MostFrequent,
    }
}

choice! {
    /// `--scale`: numeric scaling.
    ScaleArg => Scale {
        MinMax = "minmax" => Scale::MinMax,
        Standardize = "standardize" => Scale::Standardize,
        None = "none" => Scale::None,
    }
}

choice! {
    /// `generate --preset`.
    PresetArg => Preset {
        Visits = "visits" => Preset::Visits,
        Customers = "customers" => Preset::Customers,
        Circle = "circle" => Preset::Circle,
        Xor = "xor" => Preset::Xor,
        Spiral = "spiral" => Preset::Spiral,
        Gaussians = "gaussians" => Preset::Gaussians,
        Segments = "segments" => Preset::Segments,
        Blobs3 = "blobs3" => Preset::Blobs3,
    }
}

choice! {
    /// `predict --out-of-range`.
    OutOfRangeArg => OutOfRangePolicy {
        Report = "report" => OutOfRangePolicy::Report,
        Refuse = "refuse" => OutOfRangePolicy::Refuse,
        Clip = "clip" => OutOfRangePolicy::Clip,
    }
}

/// `sweep --metric`: any [`Metric`], by its [`name`](Metric::name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricArg(pub Metric);

/// [`Metric::ALL`] as [`MetricArg`]s, for [`ValueEnum::value_variants`].
const METRIC_ARGS: [MetricArg; Metric::ALL.len()] = {
    let mut all = [MetricArg(Metric::Auc); Metric::ALL.len()];
    let mut i = 0;
    while i < all.len() {
        all[i] = MetricArg(Metric::ALL[i]);
        i += 1;
    }
    all
};

impl ValueEnum for MetricArg {
    fn value_variants<'a>() -> &'a [Self] {
        &METRIC_ARGS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value of a library enum is reachable from the command line.
    fn covers<C: ValueEnum + Into<T> + Clone, T: PartialEq + std::fmt::Debug>(all: &[T]) {
        for value in all {
            assert!(
                C::value_variants()
                    .iter()
                    .any(|c| c.clone().into() == *value),
                "{value:?} has no command-line name"
            );
        }
    }

    #[test]
    fn every_library_variant_has_a_name() {
        covers::<ActivationArg, _>(&Activation::ALL);
        covers::<PresetArg, _>(&Preset::ALL);
        covers::<EngineArg, _>(&TrainingEngine::ALL);
        assert_eq!(MetricArg::value_variants().len(), Metric::ALL.len());
    }
}
