//! The benchmark workloads' data: seeded, written by the benchmark itself so
//! every run (and the scikit-learn script) sees the same files.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::table::{Column, Table, TableError};

/// Categorical columns of the telco churn export (name, levels), so W2 one-hot
/// encodes to the same width as the real file: 3 numeric + 43 one-hot = 46
/// features. The `customers` preset has only 12 encoded features, too few to
/// stand in for the telco file.
const TELCO_CATEGORIES: [(&str, &[&str]); 16] = [
    ("gender", &["female", "male"]),
    ("senior_citizen", &["no", "yes"]),
    ("partner", &["no", "yes"]),
    ("dependents", &["no", "yes"]),
    ("phone_service", &["no", "yes"]),
    ("multiple_lines", &["no", "no phone service", "yes"]),
    ("internet_service", &["dsl", "fiber optic", "no"]),
    ("online_security", &["no", "no internet service", "yes"]),
    ("online_backup", &["no", "no internet service", "yes"]),
    ("device_protection", &["no", "no internet service", "yes"]),
    ("tech_support", &["no", "no internet service", "yes"]),
    ("streaming_tv", &["no", "no internet service", "yes"]),
    ("streaming_movies", &["no", "no internet service", "yes"]),
    ("contract", &["month-to-month", "one year", "two year"]),
    ("paperless_billing", &["no", "yes"]),
    (
        "payment_method",
        &[
            "bank transfer",
            "credit card",
            "electronic check",
            "mailed check",
        ],
    ),
];

/// A telco-churn-shaped table: `tenure`, `monthly_charges`, `total_charges`,
/// the sixteen categorical service columns and the target `churn` (yes/no),
/// churn more likely for short tenure, month-to-month contracts, fiber and
/// high charges, as in the real data.
pub fn telco_table(rows: usize, seed: u64) -> Result<Table, TableError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tenure = Vec::with_capacity(rows);
    let mut monthly = Vec::with_capacity(rows);
    let mut total = Vec::with_capacity(rows);
    let mut categories: Vec<Vec<Option<&str>>> = (0..TELCO_CATEGORIES.len())
        .map(|_| Vec::with_capacity(rows))
        .collect();
    let mut churn = Vec::with_capacity(rows);
    for _ in 0..rows {
        let t = rng.random_range(0..73) as f64;
        let mut score = 1.0 - t / 24.0;
        let mut m = 20.0;
        for (c, (name, levels)) in TELCO_CATEGORIES.iter().enumerate() {
            let level = rng.random_range(0..levels.len());
            categories[c].push(Some(levels[level]));
            match (*name, level) {
                ("contract", 0) => score += 1.0,
                ("contract", 2) => score -= 1.0,
                ("internet_service", 1) => {
                    score += 0.5;
                    m += 40.0;
                }
                ("internet_service", 0) => m += 25.0,
                ("tech_support", 2) => score -= 0.4,
                ("payment_method", 2) => score += 0.4,
                (_, 2) if name.starts_with("streaming") => m += 10.0,
                _ => {}
            }
        }
        m += rng.random_range(-5.0..5.0);
        score += (m - 65.0) / 60.0 + rng.random_range(-1.0..1.0);
        tenure.push(t);
        monthly.push((m * 100.0f64).round() / 100.0);
        total.push((m * t.max(1.0) * 100.0).round() / 100.0);
        churn.push(Some(if score > 0.3 { "yes" } else { "no" }));
    }
    let mut columns = vec![
        Column::numeric("tenure", tenure),
        Column::numeric("monthly_charges", monthly),
        Column::numeric("total_charges", total),
    ];
    for ((name, _), values) in TELCO_CATEGORIES.iter().zip(&categories) {
        columns.push(Column::categorical(*name, values));
    }
    columns.push(Column::categorical("churn", &churn));
    Table::new(columns)
}

/// Writes the W3 file: `cols - 1` numeric columns `x01…` with four decimals
/// and a `label` column (yes/no) that depends on the first two, streamed
/// row by row so writing it costs no memory.
pub fn write_scale_csv(path: &Path, rows: usize, cols: usize, seed: u64) -> io::Result<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let features = cols.saturating_sub(1).max(1);
    let file = std::fs::File::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    for f in 1..=features {
        write!(out, "x{f:02},")?;
    }
    writeln!(out, "label")?;
    // Values are drawn as whole ten-thousandths and written with integer
    // formatting: `{:.4}` on an f64 takes Rust's exact (slow) float path and
    // made writing the file slower than reading it.
    let mut row = Vec::with_capacity(features);
    for _ in 0..rows {
        row.clear();
        for _ in 0..features {
            row.push(rng.random_range(-1_000_000i64..1_000_000));
        }
        for &v in &row {
            let sign = if v < 0 { "-" } else { "" };
            let v = v.unsigned_abs();
            write!(out, "{sign}{}.{:04},", v / 10_000, v % 10_000)?;
        }
        let label = if row[0] + row.get(1).copied().unwrap_or(0) / 2 > 0 {
            "yes"
        } else {
            "no"
        };
        writeln!(out, "{label}")?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::prep::{Problem, Recipe, prepare};

    #[test]
    fn telco_shape_encodes_to_46_features_with_both_classes() {
        let table = telco_table(500, 1).unwrap();
        assert_eq!(table.n_cols(), 20);
        let recipe = Recipe::new(
            &table,
            "churn",
            Problem::Classification {
                positive: "yes".into(),
            },
        );
        let prepared = prepare(&table, &recipe).unwrap();
        assert_eq!(prepared.pipeline.n_features(), 46);
        let positives = prepared.train.y.iter().filter(|&&y| y == 1.0).count();
        let share = positives as f64 / prepared.train.y.len() as f64;
        assert!((0.15..0.85).contains(&share), "churn share {share}");
    }

    #[test]
    fn scale_csv_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w3.csv");
        let bytes = write_scale_csv(&path, 50, 5, 3).unwrap();
        assert!(bytes > 0);
        let table = crate::data::load_csv(&path).unwrap();
        assert_eq!((table.n_rows(), table.n_cols()), (50, 5));
        assert_eq!(
            table.column_names().collect::<Vec<_>>(),
            ["x01", "x02", "x03", "x04", "label"]
        );
    }
}
