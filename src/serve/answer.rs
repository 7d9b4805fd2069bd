//! One `POST /invocations`: a body, its content type and the `Accept`
//! header in, a status, content type and body out. No HTTP library here,
//! so every answer the endpoint can give is testable without a socket.
//!
//! The customers are scored as `predict` scores a file: read by the model
//! ([`parse_body`]), compared with the training profile and respelled
//! ([`check_table`] with the default options: nothing refused, nothing
//! clipped), then [`LoadedModel::predict_table`]. Answers are written as
//! `predict` writes its columns: a probability with six decimals and the
//! label at the threshold, or the predicted value in target units.

use serde::Serialize;

use super::request::{BodyFormat, parse_body};
use crate::data::scoring_report::{ScoringOptions, check_table, fills_from_pipeline};
use crate::model::bundle::LoadedModel;

/// An HTTP answer, before any HTTP library sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Answer {
    /// A plain-text error: 400 bad request, 404, 405, 406, 413, 415, 500.
    pub fn error(status: u16, message: impl Into<String>) -> Answer {
        let mut body = message.into().into_bytes();
        body.push(b'\n');
        Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            body,
        }
    }
}

/// One customer's answer in a JSON response.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum JsonAnswer<'a> {
    Class { probability: f64, label: &'a str },
    Value { value: f64 },
}

/// The answer's format, from the `Accept` header: CSV when absent, `*/*`,
/// `text/*` or `text/csv`; JSON for `application/json`; `None` (406) for
/// anything else. The first listed type that fits wins.
pub fn answer_format(accept: Option<&str>) -> Option<BodyFormat> {
    let Some(accept) = accept else {
        return Some(BodyFormat::Csv);
    };
    for item in accept.split(',') {
        let media = item.split(';').next().unwrap_or_default().trim();
        if media.is_empty() {
            continue;
        }
        if let Some(format) = BodyFormat::from_media_type(media) {
            return Some(format);
        }
        if media == "*/*" || media.eq_ignore_ascii_case("text/*") {
            return Some(BodyFormat::Csv);
        }
        if media.eq_ignore_ascii_case("application/*") {
            return Some(BodyFormat::Json);
        }
    }
    None
}

/// Scores the customers in `body`. `content_type` and `accept` are the
/// request's headers; `threshold` labels a probability positive at or
/// above it. Never panics on a body; a model failure is a 500.
pub fn invocations(
    model: &LoadedModel,
    content_type: Option<&str>,
    accept: Option<&str>,
    body: &[u8],
    threshold: f64,
) -> Answer {
    let Some(format) = content_type.and_then(BodyFormat::from_media_type) else {
        return Answer::error(
            415,
            format!(
                "Content-Type {} is not taken: send text/csv (one customer per line, no header) or application/json",
                content_type.map_or_else(|| "(none)".to_owned(), |c| format!("`{c}`"))
            ),
        );
    };
    let Some(answer_as) = answer_format(accept) else {
        return Answer::error(
            406,
            "the answer is text/csv or application/json; Accept allows neither",
        );
    };
    let pipeline = &model.meta.pipeline;
    let customers = match parse_body(body, format, pipeline) {
        Ok(customers) => customers,
        Err(e) => return Answer::error(400, e.to_string()),
    };
    let table = match &model.meta.profile {
        Some(profile) => {
            let fills = fills_from_pipeline(pipeline);
            let options = ScoringOptions::default();
            match check_table(customers.table, &customers.lines, profile, &fills, &options) {
                Ok(checked) => checked.table,
                Err(e) => return Answer::error(400, e.to_string()),
            }
        }
        None => customers.table,
    };
    let scores = match model.predict_table(&table) {
        Ok(scores) => scores,
        Err(e) => return Answer::error(500, format!("the model could not score: {e}")),
    };
    if let Some(names) = pipeline.encoding.classes() {
        return super::multiclass::answer(&scores, names, answer_as);
    }
    let classes = pipeline.encoding.class_names();
    match answer_as {
        BodyFormat::Csv => Answer {
            status: 200,
            content_type: "text/csv",
            body: csv_lines(&scores, classes.is_some()).into_bytes(),
        },
        BodyFormat::Json => json_answer(&scores, classes, threshold),
    }
}

/// A score as `predict` writes it: six decimals for a probability (more
/// would show only f32 noise), the shortest f32 text for a value.
fn score_text(score: f32, classification: bool) -> String {
    let mut text = String::new();
    write_score(&mut text, score, classification);
    text
}

/// Appends [`score_text`]'s text to `out` without a new allocation (one
/// per customer showed in a 1,000-line request's profile).
fn write_score(out: &mut String, score: f32, classification: bool) {
    use std::fmt::Write as _;
    // Writing to a `String` cannot fail.
    let _ = if classification {
        write!(out, "{:.6}", f64::from(score))
    } else {
        write!(out, "{score}")
    };
}

/// One line per customer: its score.
fn csv_lines(scores: &[f32], classification: bool) -> String {
    let mut out = String::with_capacity(scores.len() * 9);
    for &score in scores {
        write_score(&mut out, score, classification);
        out.push('\n');
    }
    out
}

/// `[{"probability": 0.731058, "label": "yes"}, ...]`, or `[{"value": 12.5}]`
/// for regression; the numbers are the CSV answer's, read back.
fn json_answer(scores: &[f32], classes: Option<(&str, String)>, threshold: f64) -> Answer {
    let classification = classes.is_some();
    let rows: Vec<JsonAnswer<'_>> = scores
        .iter()
        .map(|&score| {
            let number = score_text(score, classification)
                .parse::<f64>()
                .unwrap_or(f64::NAN);
            match &classes {
                Some((positive, negative)) => JsonAnswer::Class {
                    probability: number,
                    label: if f64::from(score) >= threshold {
                        positive
                    } else {
                        negative.as_str()
                    },
                },
                None => JsonAnswer::Value { value: number },
            }
        })
        .collect();
    json_answer_of(&rows)
}

/// `rows` as a 200 JSON answer (a 500 in the unlikely case it cannot be
/// written).
pub(super) fn json_answer_of(rows: &impl Serialize) -> Answer {
    match serde_json::to_vec(rows) {
        Ok(body) => Answer {
            status: 200,
            content_type: "application/json",
            body,
        },
        Err(e) => Answer::error(500, format!("the answer could not be written: {e}")),
    }
}
