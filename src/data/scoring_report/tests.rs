use super::report::{lines_text, missing_line, percent};
use super::*;
use crate::data::prep::{Problem, Recipe, prepare};

mod columns;
mod scan;

const FEATURES: [&str; 4] = ["age", "income", "region", "member"];

/// Ten training customers: age 18–75, income 20–150, four regions,
/// member `True`/`False`, spend 0–300 (never negative).
fn training() -> Table {
    let regions = ["east", "north", "south", "west"];
    Table::new(vec![
        Column::numeric(
            "age",
            vec![18.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 60.0, 70.0, 75.0],
        ),
        Column::numeric(
            "income",
            vec![
                20.0, 40.0, 60.0, 80.0, 100.0, 110.0, 120.0, 130.0, 140.0, 150.0,
            ],
        ),
        Column::categorical(
            "region",
            &(0..10).map(|i| Some(regions[i % 4])).collect::<Vec<_>>(),
        ),
        Column::categorical(
            "member",
            &(0..10)
                .map(|i| Some(if i % 2 == 0 { "True" } else { "False" }))
                .collect::<Vec<_>>(),
        ),
        Column::categorical(
            "bought",
            &(0..10)
                .map(|i| Some(if i % 3 == 0 { "yes" } else { "no" }))
                .collect::<Vec<_>>(),
        ),
        Column::numeric(
            "spend",
            vec![0.0, 10.0, 50.0, 0.0, 300.0, 20.0, 0.0, 80.0, 120.0, 5.0],
        ),
    ])
    .unwrap()
}

fn profile() -> TrainingProfile {
    let rows: Vec<usize> = (0..10).collect();
    TrainingProfile::fit(&training(), &FEATURES, &rows, Some("spend")).unwrap()
}

fn fills() -> Vec<Fill> {
    vec![
        Fill {
            column: "age".into(),
            value: FillValue::Number(42.5),
        },
        Fill {
            column: "income".into(),
            value: FillValue::Number(105.0),
        },
        Fill {
            column: "region".into(),
            value: FillValue::Level("east".into()),
        },
    ]
}

fn cat(name: &str, values: &[&str]) -> Column {
    let labels: Vec<Option<&str>> = values
        .iter()
        .map(|v| (!v.is_empty()).then_some(*v))
        .collect();
    Column::categorical(name, &labels)
}

/// A scoring table of `n` rows from the given columns.
fn scoring(columns: Vec<Column>) -> (Table, Vec<u64>) {
    let t = Table::new(columns).unwrap();
    // Data starts on line 2, after the header.
    let lines = (2..2 + t.n_rows() as u64).collect();
    (t, lines)
}

/// Four ordinary customers, nothing to report.
fn clean() -> (Table, Vec<u64>) {
    scoring(vec![
        Column::numeric("age", vec![20.0, 33.0, 48.0, 70.0]),
        Column::numeric("income", vec![25.0, 90.0, 120.0, 149.0]),
        cat("region", &["east", "west", "north", "south"]),
        cat("member", &["True", "False", "False", "True"]),
    ])
}

fn check(table: Table, lines: &[u64], options: &ScoringOptions) -> Result<Checked, ScoringError> {
    check_table(table, lines, &profile(), &fills(), options)
}

fn defaults() -> ScoringOptions {
    ScoringOptions::default()
}

/// Case 06: `income` empty in every row.
fn income_missing() -> (Table, Vec<u64>) {
    scoring(vec![
        Column::numeric("age", vec![30.0, 40.0, 50.0]),
        Column::numeric("income", vec![f64::NAN; 3]),
        cat("region", &["east", "west", "north"]),
        cat("member", &["True", "False", "True"]),
    ])
}

/// Case 15: placeholder incomes of 9999999 and ages of -1.
fn sentinels() -> (Table, Vec<u64>) {
    scoring(vec![
        Column::numeric("age", vec![52.0, -1.0, 33.0, 80.0, -1.0]),
        Column::numeric("income", vec![89.0, 9_999_999.0, 21.0, 9_999_999.0, 155.0]),
        cat("region", &["north", "south", "north", "east", "online"]),
        cat("member", &["False"; 5]),
    ])
}

#[test]
fn a_clean_table_passes_unchanged_with_nothing_to_say() {
    let (t, lines) = clean();
    let c = check(t.clone(), &lines, &defaults()).unwrap();
    assert_eq!(c.table, t);
    assert!(!c.report.has_warnings());
    assert!(c.report.summary_lines().is_empty());
    assert_eq!(c.report.flagged_rows, 0);
    assert_eq!(c.flags.texts(), ["", "", "", ""]);
    assert_eq!(c.report.rows, 4);
}

#[test]
fn flags_become_an_output_column() {
    let (t, lines) = sentinels();
    let c = check(t, &lines, &defaults()).unwrap();
    let column = c.flags.to_column("flags");
    assert_eq!(column.name, "flags");
    assert_eq!(column.len(), 5);
    assert_eq!(column.text(3).as_deref(), Some("out_of_range:income"));
    assert_eq!(column.text(0).as_deref(), Some(""));
    assert!(c.flags.is_flagged(1) && !c.flags.is_flagged(0) && !c.flags.is_flagged(99));
    assert_eq!(
        c.flags.flags(4),
        [
            (FlagKind::Unseen, Some("region")),
            (FlagKind::OutOfRange, Some("age"))
        ]
    );
    assert_eq!(c.flags.text(99), "");
}

#[test]
fn a_header_only_table_gives_an_empty_report() {
    let (t, lines) = scoring(vec![
        Column::numeric("age", vec![]),
        Column::numeric("income", vec![]),
        cat("region", &[]),
        cat("member", &[]),
    ]);
    let mut c = check(t, &lines, &defaults()).unwrap();
    c.check_predictions(&[], &profile()).unwrap();
    assert_eq!(c.report.rows, 0);
    assert!(!c.report.has_warnings());
    assert!(c.report.summary_lines().is_empty());
    assert!(c.flags.is_empty());
}

#[test]
fn caller_mistakes_are_errors() {
    let (t, _) = clean();
    assert_eq!(
        check(t.clone(), &[2, 3], &defaults()).unwrap_err(),
        ScoringError::LineCount { lines: 2, rows: 4 }
    );
    let (_, lines) = clean();
    for bad in [
        ScoringOptions {
            range_margin: -0.1,
            ..defaults()
        },
        ScoringOptions {
            range_margin: f64::NAN,
            ..defaults()
        },
        ScoringOptions {
            mostly_missing_share: 0.0,
            ..defaults()
        },
        ScoringOptions {
            mostly_missing_share: 1.5,
            ..defaults()
        },
    ] {
        assert!(matches!(
            check(t.clone(), &lines, &bad),
            Err(ScoringError::BadOption(_))
        ));
    }
}

#[test]
fn the_report_has_a_stable_json_shape() {
    let (t, lines) = sentinels();
    let mut c = check(t, &lines, &defaults()).unwrap();
    c.check_predictions(&[10.0; 5], &profile()).unwrap();
    let json = serde_json::to_value(&c.report).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "rows",
        "range_margin",
        "mostly_missing_share",
        "out_of_range_policy",
        "renamed_columns",
        "spelling_matches",
        "unseen_categories",
        "missing_features",
        "out_of_range",
        "predictions",
        "flagged_rows",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(json["out_of_range_policy"], "report");
    assert_eq!(
        json["out_of_range"][1],
        serde_json::json!({
            "column": "income", "training_min": 20.0, "training_max": 150.0,
            "allowed_min": 7.0, "allowed_max": 163.0, "rows": 2, "rows_below": 0,
            "rows_above": 2, "lines": [3, 5], "lowest": null, "highest": 9999999.0,
            "clipped": false
        })
    );
    assert_eq!(
        json["unseen_categories"][0],
        serde_json::json!({
            "column": "region", "rows": 1,
            "values": [{"value": "online", "rows": 1, "lines": [6]}],
            "values_not_listed": 0
        })
    );
    let prediction_keys = json["predictions"].as_object().unwrap().len();
    assert_eq!(prediction_keys, 14);
    let back: ScoringReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, c.report);
}

#[test]
fn fill_values_serialize_as_number_or_text() {
    let (t, lines) = income_missing();
    let c = check(t, &lines, &defaults()).unwrap();
    let json = serde_json::to_value(&c.report.missing_features).unwrap();
    assert_eq!(json[0]["filled_with"], 105.0);
    let level = serde_json::to_value(FillValue::Level("east".into())).unwrap();
    assert_eq!(level, "east");
}

#[test]
fn fills_come_from_the_pipeline_steps() {
    let recipe = Recipe {
        features: FEATURES.iter().map(|s| (*s).to_owned()).collect(),
        ..Recipe::new(&training(), "spend", Problem::Regression)
    };
    let pipeline = prepare(&training(), &recipe).unwrap().pipeline;
    let fills = fills_from_pipeline(&pipeline);
    let columns: Vec<&str> = fills.iter().map(|f| f.column.as_str()).collect();
    assert_eq!(columns, FEATURES);
    assert!(matches!(fills[0].value, FillValue::Number(x) if (18.0..=75.0).contains(&x)));
    assert!(matches!(&fills[3].value, FillValue::Level(l) if l == "True" || l == "False"));
}

#[test]
fn policies_parse_and_print() {
    assert_eq!("Clip".parse(), Ok(OutOfRangePolicy::Clip));
    assert_eq!(" refuse ".parse(), Ok(OutOfRangePolicy::Refuse));
    assert_eq!(OutOfRangePolicy::default().to_string(), "report");
    assert!(
        "ignore"
            .parse::<OutOfRangePolicy>()
            .unwrap_err()
            .contains("report, refuse, clip")
    );
}

#[test]
fn message_numbers_are_short() {
    assert_eq!(short(9_999_999.0), "9999999");
    assert_eq!(short(-1.0), "-1");
    assert_eq!(short(57.522605895996094), "57.5226");
    assert_eq!(short(0.001234), "0.001234");
    assert_eq!(short(163.20000000000002), "163.2");
    assert_eq!(short(1e300), "1e300");
    assert_eq!(short(f64::INFINITY), "inf");
    assert_eq!(lines_text(&[4], 1), "line 4");
    assert_eq!(lines_text(&[4, 9], 3), "lines 4, 9, …");
    assert_eq!(percent(0.004), "<1%");
    assert_eq!(percent(0.0), "0%");
}

#[test]
fn bounds_never_become_nan() {
    assert_eq!(allowed_bounds(0.0, 10.0, 0.1), (-1.0, 11.0));
    let (lo, hi) = allowed_bounds(-f64::MAX, f64::MAX, 0.0);
    assert_eq!((lo, hi), (-f64::MAX, f64::MAX));
    let (lo, hi) = allowed_bounds(-f64::MAX, f64::MAX, 0.1);
    assert!(lo == f64::NEG_INFINITY && hi == f64::INFINITY);
}
