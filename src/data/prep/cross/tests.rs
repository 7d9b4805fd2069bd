use super::*;
use crate::data::csv::parse_csv;
use crate::data::prep::{Problem, Scale, prepare};

fn table(text: &str) -> Table {
    parse_csv(text.as_bytes()).unwrap()
}

/// Ten rows; `x1` misses one value (the median of the others fills it).
const DATA: &str = "\
x1,x2,c,y
1,2,a,yes
2,-1,b,no
3,0.5,a,yes
,4,b,no
-2,3,a,yes
0.5,1,b,no
4,-3,a,yes
1.5,2.5,b,no
-1,0,a,yes
2.5,1.5,b,no
";

fn recipe(t: &Table, crosses: &[&str]) -> Recipe {
    let mut r = Recipe::new(
        t,
        "y",
        Problem::Classification {
            positive: "yes".into(),
        },
    );
    r.features = vec!["x1".into(), "x2".into()];
    r.crosses = crosses.iter().map(|c| c.parse().unwrap()).collect();
    r
}

fn sq(c: &str) -> Cross {
    Cross::Square { column: c.into() }
}

#[test]
fn crosses_parse_from_the_command_line_spelling_and_print_back() {
    let product = Cross::Product {
        left: "x1".into(),
        right: "x2".into(),
    };
    assert_eq!("x1*x2".parse(), Ok(product.clone()));
    assert_eq!(" x1 · x2 ".parse(), Ok(product.clone()));
    assert_eq!("sq:age".parse(), Ok(sq("age")));
    assert_eq!("age^2".parse(), Ok(sq("age")));
    assert_eq!("age²".parse(), Ok(sq("age")));
    assert_eq!("age*age".parse(), Ok(sq("age")));
    assert_eq!(
        "SIN:x1".parse(),
        Ok(Cross::Sin {
            column: "x1".into()
        })
    );
    assert_eq!(
        "sin(x1)".parse(),
        Ok(Cross::Sin {
            column: "x1".into()
        })
    );
    for c in [
        product.clone(),
        sq("age"),
        Cross::Sin { column: "x".into() },
    ] {
        assert_eq!(c.to_string().parse(), Ok(c));
    }
    assert_eq!(product.name(), "x1·x2");
    assert_eq!(sq("age").name(), "age²");
    assert_eq!(
        Cross::Sin {
            column: "x1".into()
        }
        .name(),
        "sin(x1)"
    );
    for bad in ["age", "sq:", "x1*", "*x2", ""] {
        assert_eq!(
            bad.parse::<Cross>(),
            Err(CrossError::Syntax(bad.into())),
            "{bad}"
        );
    }
    assert_eq!(
        CrossError::Syntax("age".into()).to_string(),
        "`age` is not a cross; write `a*b` for a product, `sq:a` for a square or `sin:a` for a sine"
    );
}

#[test]
fn crossed_values_are_computed_on_the_imputed_raw_values_before_scaling() {
    let t = table(DATA);
    let mut r = recipe(&t, &["sq:x1", "x1*x2", "sin:x1"]);
    r.scale = Scale::None;
    let p = prepare(&t, &r).unwrap();
    assert_eq!(
        p.pipeline.feature_names(),
        ["x1", "x2", "x1²", "x1·x2", "sin(x1)"]
    );
    let fill = match p.pipeline.step("x1") {
        Some(FeatureStep::Numeric { fill, .. }) => *fill,
        other => panic!("{other:?}"),
    };
    let x1 = [1.0, 2.0, 3.0, f64::NAN, -2.0, 0.5, 4.0, 1.5, -1.0, 2.5];
    let x2 = [2.0, -1.0, 0.5, 4.0, 3.0, 1.0, -3.0, 2.5, 0.0, 1.5];
    for side in [&p.train, &p.valid, &p.test] {
        for (i, &row) in side.source_rows.iter().enumerate() {
            let a = if x1[row].is_nan() { fill } else { x1[row] };
            let want = [a, x2[row], a * a, a * x2[row], a.sin()].map(|v| v as f32);
            assert_eq!(side.x.row(i), want, "row {row}");
        }
    }
}

#[test]
fn a_cross_is_scaled_like_a_feature_on_the_training_rows() {
    let t = table(DATA);
    let r = recipe(&t, &["x1*x2"]);
    let p = prepare(&t, &r).unwrap();
    let step = &p.pipeline.crosses[0];
    let products: Vec<f64> = p
        .train
        .source_rows
        .iter()
        .map(|&row| {
            let x1 = t.column("x1").unwrap();
            let x2 = t.column("x2").unwrap();
            let a = match (&x1.data, &x2.data) {
                (ColumnData::Numeric(a), ColumnData::Numeric(b)) => (a[row], b[row]),
                _ => unreachable!(),
            };
            let fill = match p.pipeline.step("x1") {
                Some(FeatureStep::Numeric { fill, .. }) => *fill,
                _ => unreachable!(),
            };
            (if a.0.is_nan() { fill } else { a.0 }) * a.1
        })
        .collect();
    let lo = products.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = products.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(step.scale.offset, lo);
    assert!((step.scale.factor - 1.0 / (hi - lo)).abs() < 1e-12);
    let column: Vec<f32> = (0..p.train.x.rows).map(|i| p.train.x.row(i)[2]).collect();
    let min = column.iter().copied().fold(f32::INFINITY, f32::min);
    let max = column.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    assert_eq!((min, max), (0.0, 1.0));
}

#[test]
fn a_later_table_is_crossed_identically_and_encode_crosses_agrees() {
    let t = table(DATA);
    let p = prepare(&t, &recipe(&t, &["sq:x1", "x2*x1", "sin:x2"])).unwrap();
    let again = p.pipeline.transform_rows(&t, &p.test.source_rows).unwrap();
    assert_eq!(again, p.test.x);
    let later = table("x2,x1,extra\n2,3,z\n0.5,,z\n");
    let m = p.pipeline.transform(&later).unwrap();
    for (row, (x1, x2)) in [(3.0, 2.0), (f64::NAN, 0.5)].into_iter().enumerate() {
        let mut out = [0.0f32; 3];
        p.pipeline.encode_crosses(
            |c| match c {
                "x1" => x1,
                _ => x2,
            },
            &mut out,
        );
        assert_eq!(&m.row(row)[2..], out, "row {row}");
    }
}

#[test]
fn kept_missing_inputs_give_a_missing_cross() {
    let t = table(DATA);
    let mut r = recipe(&t, &["sq:x1", "sq:x2"]);
    r.impute = crate::data::prep::Impute::KeepMissing;
    r.scale = Scale::None;
    let p = prepare(&t, &r).unwrap();
    let m = p.pipeline.transform(&t).unwrap();
    assert!(m.row(3)[2].is_nan());
    assert_eq!(m.row(3)[3], 16.0);
    assert_eq!(m.row(0)[2], 1.0);
}

#[test]
fn bad_crosses_are_refused_naming_the_column() {
    let t = table(DATA);
    let err = |crosses: &[&str]| prepare(&t, &recipe(&t, crosses)).unwrap_err().to_string();
    assert_eq!(
        err(&["X1*x9"]),
        "cross `X1*x9` uses `X1`, which is not a column of the data; did you mean `x1`?"
    );
    assert_eq!(
        err(&["sq:x1", "x1*x9"]),
        "cross `x1*x9` uses `x9`, which is not a column of the data"
    );
    assert_eq!(
        err(&["sin:c"]),
        "cross `sin:c` uses `c`, which is categorical; crosses are built from numeric features"
    );
    let mut only_x1 = recipe(&t, &["x1*x2"]);
    only_x1.features = vec!["x1".into()];
    assert_eq!(
        prepare(&t, &only_x1).unwrap_err().to_string(),
        "cross `x1*x2` uses `x2`, which is not among the chosen features; choose it as a feature or drop the cross"
    );
    assert_eq!(err(&["x1*x2", "x2*x1"]), "cross `x2*x1` is asked for twice");
}

#[test]
fn an_overflowing_cross_names_its_row() {
    // Every x fits (scaled, too); its square does not fit a double.
    let t = table(
        "x,y\n1e160,yes\n2e160,no\n3e160,yes\n4e160,no\n5e160,yes\n6e160,no\n7e160,yes\n8e160,no\n",
    );
    let mut r = Recipe::new(
        &t,
        "y",
        Problem::Classification {
            positive: "yes".into(),
        },
    );
    r.crosses = vec![sq("x")];
    match prepare(&t, &r) {
        Err(PrepError::NotFinite { feature, row, .. }) => {
            assert_eq!(feature, "x²");
            assert!((1..=8).contains(&row), "{row}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn recipes_and_pipelines_saved_before_crosses_read_without_them() {
    let t = table(DATA);
    let r = recipe(&t, &[]);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("crosses"), "{json}");
    assert_eq!(serde_json::from_str::<Recipe>(&json).unwrap(), r);
    let p = prepare(&t, &r).unwrap().pipeline;
    let json = serde_json::to_string(&p).unwrap();
    assert!(!json.contains("crosses"));
    assert_eq!(serde_json::from_str::<Pipeline>(&json).unwrap(), p);

    let crossed = prepare(&t, &recipe(&t, &["x1*x2", "sin:x1"]))
        .unwrap()
        .pipeline;
    let json = serde_json::to_string(&crossed).unwrap();
    let back: Pipeline = serde_json::from_str(&json).unwrap();
    assert_eq!(back, crossed);
    assert_eq!(back.transform(&t).unwrap(), crossed.transform(&t).unwrap());
}

#[test]
fn a_pipeline_whose_cross_reads_a_missing_step_is_refused_not_a_panic() {
    let t = table(DATA);
    let mut p = prepare(&t, &recipe(&t, &["sq:x1"])).unwrap().pipeline;
    p.crosses[0].cross = sq("nowhere");
    assert!(matches!(
        p.transform(&t),
        Err(PrepError::Cross(CrossError::NotAFeature { .. }))
    ));
    p.crosses[0].cross = sq("c");
    assert!(p.transform(&t).is_err());
}
