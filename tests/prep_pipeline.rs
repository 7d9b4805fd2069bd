//! Preparation end to end on generated customers: the fitted pipeline gives
//! later tables the exact same feature layout, and matrices hold no NaN.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use purchase_lab::data::{
    Impute, Preset, Problem, Recipe, Scale, SynthSettings, Table, generate, parse_csv, prepare,
    write::write_table,
};

fn customers(rows: usize, seed: u64) -> Table {
    generate(&SynthSettings {
        preset: Preset::Customers,
        rows,
        seed,
        missing: 0.1,
        ..SynthSettings::default()
    })
    .unwrap()
}

fn purchase_recipe(table: &Table) -> Recipe {
    let mut recipe = Recipe::new(
        table,
        "purchased",
        Problem::Classification {
            positive: "yes".into(),
        },
    );
    recipe.features.retain(|f| f != "spend");
    recipe
}

#[test]
fn every_strategy_yields_finite_matrices_of_the_encoded_width() {
    let table = customers(1500, 1);
    for impute in [
        Impute::DropRows,
        Impute::Mean,
        Impute::Median,
        Impute::MostFrequent,
    ] {
        for scale in [Scale::MinMax, Scale::Standardize, Scale::None] {
            let recipe = Recipe {
                impute,
                scale,
                ..purchase_recipe(&table)
            };
            let p = prepare(&table, &recipe).unwrap();
            // 5 numeric + gender (3 levels) + region (4 levels).
            assert_eq!(p.pipeline.n_features(), 12, "{impute:?} {scale:?}");
            for side in [&p.train, &p.valid, &p.test] {
                assert_eq!(side.x.cols, 12);
                assert_eq!(side.x.data.len(), side.x.rows * 12);
                assert_eq!(side.y.len(), side.x.rows);
                assert!(
                    side.x.data.iter().all(|v| v.is_finite()),
                    "{impute:?} {scale:?}"
                );
            }
            let kept = p.train.x.rows + p.valid.x.rows + p.test.x.rows;
            assert_eq!(kept + p.dropped_rows, 1500);
            if impute == Impute::DropRows {
                assert!(
                    p.dropped_rows > 500,
                    "10% holes in 7 features drop many rows"
                );
            } else {
                assert_eq!(p.dropped_rows, 0);
            }
        }
    }
}

#[test]
fn split_is_stratified_and_seeded() {
    let table = customers(2000, 2);
    let recipe = purchase_recipe(&table);
    let a = prepare(&table, &recipe).unwrap();
    let b = prepare(&table, &recipe).unwrap();
    assert_eq!(a.train.source_rows, b.train.source_rows);
    assert_eq!(a.train.x, b.train.x);
    let share = |y: &[f32]| y.iter().sum::<f32>() / y.len() as f32;
    assert!((share(&a.train.y) - share(&a.test.y)).abs() < 0.01);
    assert_eq!(a.test.x.rows, 400);
    let other = prepare(&table, &Recipe { seed: 9, ..recipe }).unwrap();
    assert_ne!(a.test.source_rows, other.test.source_rows);
}

#[test]
fn pipeline_applied_to_a_later_file_gives_the_same_columns() {
    let train_table = customers(1000, 3);
    let prepared = prepare(&train_table, &purchase_recipe(&train_table)).unwrap();
    let pipeline = &prepared.pipeline;

    // New customers arrive as a CSV with columns in another order, an unseen
    // region, missing cells and no target.
    let later = parse_csv(
        b"region,age,gender,income,visit_minutes,pages_visited,previous_purchases\n\
          atlantis,30,female,50000,5,4,1\n\
          ,,,,,,\n\
          north,NA,male,?,12.5,9,0\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let m = pipeline.transform(&later).unwrap();
    assert_eq!(m.cols, pipeline.n_features());
    assert_eq!(m.rows, 2, "the all-empty row is skipped when reading");
    assert!(m.data.iter().all(|v| v.is_finite()));
    let names = pipeline.feature_names();
    let region_cols: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.starts_with("region="))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(region_cols.len(), 4);
    assert!(
        region_cols.iter().all(|&c| m.row(0)[c] == 0.0),
        "unseen region is all zero"
    );
    let north = names.iter().position(|n| n == "region=north").unwrap();
    assert_eq!(m.row(1)[north], 1.0);

    // The training table written out and read back transforms identically.
    let mut csv = Vec::new();
    write_table(&train_table, &mut csv).unwrap();
    let reread = parse_csv(&csv).unwrap();
    assert_eq!(
        pipeline.transform(&reread).unwrap(),
        pipeline.transform(&train_table).unwrap()
    );
}

#[test]
fn regression_on_spend() {
    let table = customers(800, 4);
    let mut recipe = Recipe::new(&table, "spend", Problem::Regression);
    recipe.features.retain(|f| f != "purchased");
    let p = prepare(&table, &recipe).unwrap();
    assert!(p.train.y.iter().all(|v| v.is_finite() && *v >= 0.0));
    assert_eq!(p.train.x.rows + p.valid.x.rows + p.test.x.rows, 800);
}
