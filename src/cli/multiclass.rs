//! A multi-class model's figures for the command line: the per-class table
//! with macro and weighted averages, the N×N confusion matrix (counts and
//! row shares), and their JSON form (`train --json`, `evaluate --json`).

use anyhow::Result;
use serde::Serialize;

use super::output::{print_notes, write_json_line};
use crate::data::notes::DataNote;
use crate::model::MulticlassMetrics;

/// One class's row of the JSON summary.
#[derive(Debug, Serialize)]
pub struct ClassRow {
    pub class: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
    /// One-vs-rest ROC AUC; `null` when the rows hold none of the class.
    pub auc: Option<f64>,
}

/// A multi-class model's figures as JSON: per class, macro and weighted
/// averages, accuracy, log loss, macro AUC, confusion `[actual][predicted]`
/// (ROC points left out: `evaluate --out-dir` writes curves).
#[derive(Debug, Serialize)]
pub struct MulticlassSummary {
    pub accuracy: f64,
    pub log_loss: f64,
    pub macro_auc: Option<f64>,
    pub macro_precision: f64,
    pub macro_recall: f64,
    pub macro_f1: f64,
    pub weighted_precision: f64,
    pub weighted_recall: f64,
    pub weighted_f1: f64,
    pub classes: Vec<ClassRow>,
    pub confusion: Vec<Vec<u64>>,
}

impl From<&MulticlassMetrics> for MulticlassSummary {
    fn from(m: &MulticlassMetrics) -> Self {
        MulticlassSummary {
            accuracy: m.accuracy,
            log_loss: m.log_loss,
            macro_auc: m.macro_auc,
            macro_precision: m.macro_avg.precision,
            macro_recall: m.macro_avg.recall,
            macro_f1: m.macro_avg.f1,
            weighted_precision: m.weighted_avg.precision,
            weighted_recall: m.weighted_avg.recall,
            weighted_f1: m.weighted_avg.f1,
            classes: m
                .classes
                .iter()
                .zip(&m.per_class)
                .map(|(class, f)| ClassRow {
                    class: class.clone(),
                    precision: f.precision,
                    recall: f.recall,
                    f1: f.f1,
                    support: f.support,
                    auc: f.auc,
                })
                .collect(),
            confusion: m.confusion.clone(),
        }
    }
}

/// The figures on the named part of the split as readable lines: the
/// headline, the per-class table with its macro and weighted rows, and the
/// confusion matrix with each row's shares.
pub fn format_multiclass(part: &str, m: &MulticlassMetrics) -> String {
    let auc = |a: Option<f64>| a.map_or_else(|| "n/a".to_owned(), |a| format!("{a:.3}"));
    let mut text = format!(
        "{part} accuracy {:.3}  log loss {:.4}  macro F1 {:.3}  macro ROC AUC (one-vs-rest) {}\n",
        m.accuracy,
        m.log_loss,
        m.macro_avg.f1,
        auc(m.macro_auc),
    );
    let width = m
        .classes
        .iter()
        .map(|c| c.chars().count())
        .chain(["weighted avg".len()])
        .max()
        .unwrap_or(0);
    text.push_str(&format!(
        "{:<width$}  precision  recall     F1  support  ROC AUC\n",
        "class"
    ));
    for (class, f) in m.classes.iter().zip(&m.per_class) {
        text.push_str(&format!(
            "{class:<width$}  {:>9.3}  {:>6.3}  {:>5.3}  {:>7}  {:>7}\n",
            f.precision,
            f.recall,
            f.f1,
            f.support,
            auc(f.auc)
        ));
    }
    let support: u64 = m.per_class.iter().map(|f| f.support).sum();
    for (name, avg, shown_auc) in [
        ("macro avg", m.macro_avg, auc(m.macro_auc)),
        ("weighted avg", m.weighted_avg, String::new()),
    ] {
        text.push_str(&format!(
            "{name:<width$}  {:>9.3}  {:>6.3}  {:>5.3}  {support:>7}  {shown_auc:>7}\n",
            avg.precision, avg.recall, avg.f1
        ));
    }
    text.push_str("confusion (rows actual, columns predicted; share of the row in brackets):\n");
    let cell = m
        .confusion
        .iter()
        .flatten()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1)
        + 7;
    text.push_str(&format!("{:<width$}", ""));
    for class in &m.classes {
        text.push_str(&format!("  {class:>cell$}"));
    }
    text.push('\n');
    for ((class, row), shares) in m.classes.iter().zip(&m.confusion).zip(m.row_shares()) {
        text.push_str(&format!("{class:<width$}"));
        for (count, share) in row.iter().zip(shares) {
            let shown = format!("{count} ({:.0}%)", 100.0 * share);
            text.push_str(&format!("  {shown:>cell$}"));
        }
        text.push('\n');
    }
    text
}

/// `evaluate`'s answer for a multi-class model: the figures as text (after
/// the notes), or with `json` one object of the summary and the notes.
pub fn print_evaluation(metrics: &MulticlassMetrics, notes: &[DataNote], json: bool) -> Result<()> {
    #[derive(Serialize)]
    struct Evaluation<'a> {
        rows: u64,
        #[serde(flatten)]
        metrics: MulticlassSummary,
        notes: &'a [DataNote],
    }
    let rows = metrics.confusion.iter().flatten().sum();
    if json {
        let evaluation = Evaluation {
            rows,
            metrics: metrics.into(),
            notes,
        };
        return write_json_line(&mut std::io::stdout().lock(), &evaluation);
    }
    print_notes(notes);
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{rows} customers")?;
    write!(out, "{}", format_multiclass("evaluation", metrics))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_class_the_averages_and_the_confusion_rows() {
        let classes: Vec<String> = ["basic", "plus", "premium"].map(String::from).to_vec();
        let p = [
            0.8, 0.1, 0.1, //
            0.2, 0.7, 0.1, //
            0.1, 0.6, 0.3, //
            0.1, 0.1, 0.8,
        ];
        let m = MulticlassMetrics::compute(&p, &[0.0, 1.0, 2.0, 2.0], &classes).unwrap();
        let text = format_multiclass("test", &m);
        assert!(text.starts_with("test accuracy 0.750"), "{text}");
        for needle in [
            "basic",
            "plus",
            "premium",
            "macro avg",
            "weighted avg",
            "1 (50%)",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
        // The premium row: one predicted plus, one premium.
        let premium_row = text.lines().last().unwrap();
        assert!(premium_row.starts_with("premium"), "{text}");
        assert_eq!(premium_row.matches("(50%)").count(), 2, "{text}");
        let json = serde_json::to_value(MulticlassSummary::from(&m)).unwrap();
        assert_eq!(json["classes"][2]["support"], 2);
        assert_eq!(json["confusion"][2], serde_json::json!([0, 1, 1]));
    }
}
