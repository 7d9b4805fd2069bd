//! The boosted trees against Python's xgboost on exactly the same rows:
//! prepares a CSV file with our recipe (no scaling) and split, writes the
//! matrices as `train.csv` and `test.csv` (columns `f1…fn,y`) for
//! `scripts/xgboost_compare.py`, then fits Purchase Lab's trees with the
//! given settings and prints their test ROC AUC and best fit time of 3.
//! `scripts/compare_xgboost.sh` runs both (docs/PERFORMANCE.md).
//!
//! Usage: `compare_trees FILE.csv TARGET POSITIVE OUT_DIR TREES DEPTH LEARNING_RATE`

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use purchase_lab::data::prep::{Dataset, Problem, Recipe, Scale, prepare};
use purchase_lab::data::{load_csv, screen};
use purchase_lab::model::gbm::TreeLearner;
use purchase_lab::model::{ClassificationMetrics, Learner, Scorer, Task, TreeSettings};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, target, positive, out, trees, depth, rate] = args.as_slice() else {
        anyhow::bail!("usage: compare_trees FILE.csv TARGET POSITIVE OUT_DIR TREES DEPTH LR");
    };
    let table = load_csv(Path::new(file)).with_context(|| format!("reading {file}"))?;
    let mut recipe = Recipe::new(
        &table,
        target,
        Problem::Classification {
            positive: positive.clone(),
        },
    );
    recipe.features = screen::default_features(&table, target).0;
    recipe.scale = Scale::None;
    let prepared = prepare(&table, &recipe)?;
    let out = Path::new(out);
    std::fs::create_dir_all(out)?;
    write(&out.join("train.csv"), &prepared.train)?;
    write(&out.join("test.csv"), &prepared.test)?;
    let settings = TreeSettings {
        trees: trees.parse()?,
        max_depth: depth.parse()?,
        learning_rate: rate.parse()?,
        ..TreeSettings::default()
    };
    let (train, test) = (&prepared.train, &prepared.test);
    let mut best = f64::INFINITY;
    let mut auc = None;
    for _ in 0..3 {
        let mut model = TreeLearner::new(&settings, Task::Classification, train.x.cols)?;
        let start = Instant::now();
        for _ in 0..settings.trees {
            model.train_unit(&train.x, &train.y)?;
        }
        best = best.min(start.elapsed().as_secs_f64());
        let p = model.predict(&test.x)?;
        auc = ClassificationMetrics::compute(&p, &test.y, 0.5)?.auc;
    }
    println!(
        "purchase-lab {} trees={trees} depth={depth} lr={rate}: auc {:.4} fit {best:.3}s ({} training rows, {} features)",
        out.display(),
        auc.unwrap_or(f64::NAN),
        train.y.len(),
        train.x.cols,
    );
    Ok(())
}

fn write(path: &Path, set: &Dataset) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let header: Vec<String> = (1..=set.x.cols).map(|c| format!("f{c}")).collect();
    writeln!(out, "{},y", header.join(","))?;
    for (r, y) in set.y.iter().enumerate() {
        for v in set.x.row(r) {
            write!(out, "{v},")?;
        }
        writeln!(out, "{y}")?;
    }
    out.flush()?;
    Ok(())
}
