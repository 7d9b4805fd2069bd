//! Building an ONNX graph: unique value names, constants as initializers,
//! nodes with attributes, and the pipeline's steps as the operators
//! scikit-learn's ONNX converter (skl2onnx) uses for the same steps.

use super::proto::{
    AttributeProto, Dimension, NodeProto, TensorProto, TensorShapeProto, TensorTypeProto,
    TypeProto, ValueInfoProto, attribute_type, data_type,
};
use crate::data::prep::{Cross, CrossStep, FeatureStep, Impute, Pipeline};

/// The domain of ONNX's machine-learning operators (`Imputer`,
/// `LabelEncoder`, `OneHotEncoder`).
pub const ML: &str = "ai.onnx.ml";

/// Nodes and constants in the order they are added (topological: every
/// node's inputs exist before it).
#[derive(Debug, Default)]
pub struct Builder {
    pub nodes: Vec<NodeProto>,
    pub initializers: Vec<TensorProto>,
    count: usize,
}

impl Builder {
    /// A name no column can have taken by accident (`_plab_3_scaled`).
    fn fresh(&mut self, hint: &str) -> String {
        self.count += 1;
        format!("_plab_{}_{hint}", self.count)
    }

    /// Adds `op_type` (in `domain`, empty for the default one) on `inputs`;
    /// returns its one output's name, or `output` when given.
    pub fn node(
        &mut self,
        (domain, op_type): (&str, &str),
        inputs: &[&str],
        attribute: Vec<AttributeProto>,
        output: Option<&str>,
    ) -> String {
        let out = output.map_or_else(|| self.fresh(&op_type.to_lowercase()), str::to_owned);
        let name = self.fresh(op_type);
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|&s| s.to_owned()).collect(),
            output: vec![out.clone()],
            name,
            op_type: op_type.to_owned(),
            attribute,
            domain: domain.to_owned(),
        });
        out
    }

    /// A float constant of shape `dims` (row-major `data`).
    pub fn floats(&mut self, dims: &[usize], data: Vec<f32>) -> String {
        let name = self.fresh("const");
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: data_type::FLOAT,
            float_data: data,
            name: name.clone(),
            ..TensorProto::default()
        });
        name
    }

    /// A string constant of shape `[1]`.
    pub fn string(&mut self, text: &str) -> String {
        let name = self.fresh("const");
        self.initializers.push(TensorProto {
            dims: vec![1],
            data_type: data_type::STRING,
            string_data: vec![text.as_bytes().to_vec()],
            name: name.clone(),
            ..TensorProto::default()
        });
        name
    }

    /// One pipeline step on its input column: `[N, 1]` in, `[N, width]`
    /// float out, as [`Pipeline::transform`] computes it.
    ///
    /// - Numeric: `Imputer` (NaN → the fill), then `Sub` the offset and
    ///   `Mul` the factor (the step's `(x - offset) * factor`).
    /// - Categorical: `LabelEncoder` maps the empty string (missing) to the
    ///   fill level, known levels to themselves and anything else to a
    ///   text no level is, which `OneHotEncoder` (`zeros = 1`) encodes as
    ///   all zeros, as the pipeline does an unseen level; `Flatten` drops
    ///   the encoder's middle axis.
    pub fn step(&mut self, step: &FeatureStep, input: &str, keep_missing: bool) -> String {
        match step {
            FeatureStep::Numeric { fill, scale, .. } => {
                let imputed = self.imputed(input, *fill, keep_missing);
                self.scaled(&imputed, *scale)
            }
            FeatureStep::Categorical { levels, fill, .. } => {
                let unseen = unused_text(levels);
                let mut keys: Vec<&str> = levels.iter().map(String::as_str).collect();
                let mut values = keys.clone();
                // Kept missing, "" stays unseen here (all zeros) and turns
                // into NaN below; otherwise it becomes the fill level.
                if !keep_missing {
                    keys.push("");
                    values.push(fill);
                }
                let mapped = self.node(
                    (ML, "LabelEncoder"),
                    &[input],
                    vec![
                        strings_attr("keys_strings", &keys),
                        strings_attr("values_strings", &values),
                        string_attr("default_string", &unseen),
                    ],
                    None,
                );
                let encoded = self.node(
                    (ML, "OneHotEncoder"),
                    &[&mapped],
                    vec![
                        strings_attr(
                            "cats_strings",
                            &levels.iter().map(String::as_str).collect::<Vec<_>>(),
                        ),
                        int_attr("zeros", 1),
                    ],
                    None,
                );
                let flat = self.node(
                    ("", "Flatten"),
                    &[&encoded],
                    vec![int_attr("axis", 1)],
                    None,
                );
                if !keep_missing {
                    return flat;
                }
                // A missing category (the empty string) is NaN in every
                // one-hot column, as the pipeline writes it: a `[N, 1]`
                // NaN-or-0 column (string Equal needs opset 19) added
                // across the row.
                let missing = self.node(
                    (ML, "LabelEncoder"),
                    &[input],
                    vec![
                        strings_attr("keys_strings", &[""]),
                        floats_attr("values_floats", vec![f32::NAN]),
                        float_attr("default_float", 0.0),
                    ],
                    None,
                );
                self.node(("", "Add"), &[&flat, &missing], vec![], None)
            }
        }
    }

    /// A numeric column with its missing values (NaN) filled by `fill`:
    /// `Imputer`; kept missing (trees), NaN goes on as NaN.
    fn imputed(&mut self, input: &str, fill: f64, keep_missing: bool) -> String {
        if keep_missing {
            return input.to_owned();
        }
        self.node(
            (ML, "Imputer"),
            &[input],
            vec![
                floats_attr("imputed_value_floats", vec![fill as f32]),
                float_attr("replaced_value_float", f32::NAN),
            ],
            None,
        )
    }

    /// `(x - offset) * factor`: `Sub`, then `Mul`.
    fn scaled(&mut self, input: &str, scale: crate::data::prep::Affine) -> String {
        let offset = self.floats(&[1], vec![scale.offset as f32]);
        let factor = self.floats(&[1], vec![scale.factor as f32]);
        let shifted = self.node(("", "Sub"), &[input, &offset], vec![], None);
        self.node(("", "Mul"), &[&shifted, &factor], vec![], None)
    }

    /// One feature cross, `[N, 1]`, as the pipeline computes it: its
    /// columns imputed (not scaled), crossed (`Mul` of the two, or of the
    /// column with itself; `Sin`), then scaled by the cross's own `Sub`
    /// and `Mul`. `None` when a column is not a numeric step (a model file
    /// the pipeline itself would refuse).
    pub fn cross(&mut self, pipeline: &Pipeline, step: &CrossStep) -> Option<String> {
        let keep_missing = pipeline.impute == Impute::KeepMissing;
        let mut inputs = Vec::new();
        for column in step.cross.columns() {
            let Some(FeatureStep::Numeric { fill, .. }) = pipeline.step(column) else {
                return None;
            };
            inputs.push(self.imputed(column, *fill, keep_missing));
        }
        let crossed = match (&step.cross, inputs.as_slice()) {
            (Cross::Square { .. }, [x]) => self.node(("", "Mul"), &[x, x], vec![], None),
            (Cross::Product { .. }, [a, b]) => self.node(("", "Mul"), &[a, b], vec![], None),
            (Cross::Sin { .. }, [x]) => self.node(("", "Sin"), &[x], vec![], None),
            _ => return None,
        };
        Some(self.scaled(&crossed, step.scale))
    }

    /// Every step on its column, then every feature cross, concatenated:
    /// the `[N, n_features]` matrix the model reads; `None` for a cross
    /// the pipeline cannot compute ([`Builder::cross`]).
    pub fn features(&mut self, pipeline: &Pipeline) -> Option<String> {
        let keep_missing = pipeline.impute == Impute::KeepMissing;
        let mut pieces: Vec<String> = pipeline
            .steps
            .iter()
            .map(|step| self.step(step, step.column(), keep_missing))
            .collect();
        for step in &pipeline.crosses {
            pieces.push(self.cross(pipeline, step)?);
        }
        let inputs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        Some(self.node(("", "Concat"), &inputs, vec![int_attr("axis", 1)], None))
    }
}

/// A text none of `levels` is, for "unseen" (`\u{0}unseen`, longer if
/// taken).
fn unused_text(levels: &[String]) -> String {
    let mut text = "\u{0}unseen".to_owned();
    while levels.contains(&text) {
        text.push('\u{0}');
    }
    text
}

/// A graph input or output `[N, 1]` of `elem_type` (N: any number of rows).
pub fn column_value(name: &str, elem_type: i32) -> ValueInfoProto {
    matrix_value(name, elem_type, 1)
}

/// A graph input or output of shape `[N, width]`.
pub fn matrix_value(name: &str, elem_type: i32, width: usize) -> ValueInfoProto {
    ValueInfoProto {
        name: name.to_owned(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type,
                shape: Some(TensorShapeProto {
                    dim: vec![
                        Dimension {
                            dim_value: None,
                            dim_param: Some("N".to_owned()),
                        },
                        Dimension {
                            dim_value: Some(width as i64),
                            dim_param: None,
                        },
                    ],
                }),
            }),
        }),
    }
}

pub fn float_attr(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        f,
        r#type: attribute_type::FLOAT,
        ..AttributeProto::default()
    }
}

pub fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        i,
        r#type: attribute_type::INT,
        ..AttributeProto::default()
    }
}

pub fn string_attr(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        s: s.as_bytes().to_vec(),
        r#type: attribute_type::STRING,
        ..AttributeProto::default()
    }
}

pub fn floats_attr(name: &str, floats: Vec<f32>) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        floats,
        r#type: attribute_type::FLOATS,
        ..AttributeProto::default()
    }
}

pub fn strings_attr(name: &str, strings: &[&str]) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        strings: strings.iter().map(|s| s.as_bytes().to_vec()).collect(),
        r#type: attribute_type::STRINGS,
        ..AttributeProto::default()
    }
}

pub fn ints_attr(name: &str, ints: Vec<i64>) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        ints,
        r#type: attribute_type::INTS,
        ..AttributeProto::default()
    }
}
