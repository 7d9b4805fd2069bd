//! A multi-class model's answer to `POST /invocations`: every class's
//! probability and the most probable class per customer, as `predict`
//! writes them (six decimals, the first class on a tie).
//!
//! - CSV: one line per customer, the probabilities in the model's class
//!   order (sorted labels, as `predict`'s `p_<class>` columns) then the
//!   predicted class, quoted when it holds a comma or quote.
//! - JSON: one object per customer, `{"probabilities": {class: p, …},
//!   "label": class}`; the map's keys are in class order.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::answer::Answer;
use super::request::BodyFormat;
use crate::model::metrics::multiclass::argmax;

#[derive(Debug, Serialize)]
struct ClassAnswer<'a> {
    probabilities: BTreeMap<&'a str, f64>,
    label: &'a str,
}

/// The answer for `scores` (row-major `customers × classes`).
pub(super) fn answer(scores: &[f32], classes: &[String], format: BodyFormat) -> Answer {
    let k = classes.len().max(1);
    // Six decimals, read back as the number a client parses.
    let rounded = |p: f32| format!("{:.6}", f64::from(p));
    match format {
        BodyFormat::Csv => {
            let mut body = String::with_capacity(scores.len() * 9);
            for row in scores.chunks_exact(k) {
                for &p in row {
                    body.push_str(&rounded(p));
                    body.push(',');
                }
                let label = &classes[argmax(row)];
                if label.contains([',', '"', '\n', '\r']) {
                    let _ = write!(body, "\"{}\"", label.replace('"', "\"\""));
                } else {
                    body.push_str(label);
                }
                body.push('\n');
            }
            Answer {
                status: 200,
                content_type: "text/csv",
                body: body.into_bytes(),
            }
        }
        BodyFormat::Json => {
            let rows: Vec<ClassAnswer<'_>> = scores
                .chunks_exact(k)
                .map(|row| ClassAnswer {
                    probabilities: classes
                        .iter()
                        .zip(row)
                        .map(|(c, &p)| (c.as_str(), rounded(p).parse().unwrap_or(f64::NAN)))
                        .collect(),
                    label: &classes[argmax(row)],
                })
                .collect();
            super::answer::json_answer_of(&rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_carry_every_class_and_the_most_probable() {
        let classes: Vec<String> = ["basic", "plus, annual", "premium"]
            .map(String::from)
            .to_vec();
        let scores = [0.2, 0.5, 0.3, 0.6, 0.1, 0.3];
        let csv = answer(&scores, &classes, BodyFormat::Csv);
        assert_eq!(
            String::from_utf8(csv.body).unwrap(),
            "0.200000,0.500000,0.300000,\"plus, annual\"\n0.600000,0.100000,0.300000,basic\n"
        );
        let json = answer(&scores, &classes, BodyFormat::Json);
        let value: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
        assert_eq!(value[1]["label"], "basic");
        assert_eq!(value[0]["probabilities"]["premium"], 0.3);
        let total: f64 = value[0]["probabilities"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-9);
    }
}
