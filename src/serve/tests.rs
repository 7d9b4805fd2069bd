use super::*;
use crate::data::parse_csv;
use crate::data::prep::{Pipeline, Problem, Recipe, prepare};
use crate::data::table::ColumnData;

/// A pipeline over `age` (number), `region` (category) and `joined` (a
/// date), trained to predict `bought`.
fn pipeline() -> Pipeline {
    let table = parse_csv(
        b"age,region,joined,bought\n\
          20,north,2024-01-05,yes\n30,south,2024-02-05,no\n40,north,2024-03-05,yes\n\
          50,east,2024-04-05,no\n60,south,2024-05-05,yes\n70,east,2024-06-05,no\n",
    )
    .unwrap();
    let recipe = Recipe::new(
        &table,
        "bought",
        Problem::Classification {
            positive: "yes".into(),
        },
    );
    prepare(&table, &recipe).unwrap().pipeline
}

fn numbers(customers: &Customers, column: &str) -> Vec<f64> {
    match &customers.table.column(column).unwrap().data {
        ColumnData::Numeric(values) => values.clone(),
        other => panic!("{column} is not numeric: {other:?}"),
    }
}

fn error(body: &str, format: BodyFormat) -> String {
    parse_body(body.as_bytes(), format, &pipeline())
        .unwrap_err()
        .to_string()
}

#[test]
fn csv_lines_are_read_in_training_order_with_missing_cells() {
    let p = pipeline();
    assert_eq!(
        p.input_columns().collect::<Vec<_>>(),
        ["age", "region", "joined"]
    );
    let body = b"34, north ,2024-02-01\n,\"south\",\r\n45,NA,2024-03-01";
    let customers = parse_body(body, BodyFormat::Csv, &p).unwrap();
    assert_eq!(customers.lines, [1, 2, 3]);
    let ages = numbers(&customers, "age");
    assert_eq!(ages[0], 34.0);
    assert!(ages[1].is_nan());
    let region = customers.table.column("region").unwrap();
    assert_eq!(region.text(0).as_deref(), Some("north"));
    assert_eq!(region.text(1).as_deref(), Some("south"));
    assert_eq!(region.text(2), None);
    assert!(numbers(&customers, "joined")[1].is_nan());
}

#[test]
fn the_first_bad_csv_record_is_named_by_line_and_column() {
    assert_eq!(
        error(
            "34,north,2024-02-01\nabc,north,2024-02-01\n",
            BodyFormat::Csv
        ),
        "line 2, column 1 (`age`): `abc` is not a number in the model's format"
    );
    assert_eq!(
        error("34,north,2024-02-01\n35,north,yesterday\n", BodyFormat::Csv),
        "line 2, column 3 (`joined`): `yesterday` is not a date in the model's format"
    );
    assert_eq!(
        error("34,north,2024-02-01\n35,north\n", BodyFormat::Csv),
        "line 2: 2 values but the model takes 3, in this order: age, region, joined"
    );
    assert_eq!(
        error("1e300,north,2024-02-01\n", BodyFormat::Csv),
        "line 1, column 1 (`age`): `1e300` is too far outside the training range to be scaled"
    );
    assert!(
        error("34,north,2024-02-01\n\"35,north\n", BodyFormat::Csv).starts_with("line 2"),
        "an unclosed quote names its line"
    );
}

/// Columns are read one at a time, but the answer names the cell a
/// row-by-row reading meets first: the earliest line, then the leftmost
/// column on it.
#[test]
fn the_first_bad_cell_is_the_earliest_line_then_the_leftmost_column() {
    assert_eq!(
        error(
            "34,north,2024-02-01\n35,north,yesterday\nabc,north,2024-02-01\n",
            BodyFormat::Csv
        ),
        "line 2, column 3 (`joined`): `yesterday` is not a date in the model's format"
    );
    assert_eq!(
        error(
            "34,north,2024-02-01\nabc,north,yesterday\n",
            BodyFormat::Csv
        ),
        "line 2, column 1 (`age`): `abc` is not a number in the model's format"
    );
    assert_eq!(
        error(
            r#"[{"age": 30, "region": "north", "joined": "soon"}, {"age": "old", "region": "north", "joined": "2024-02-01"}]"#,
            BodyFormat::Json
        ),
        "record 1, column 3 (`joined`): `soon` is not a date in the model's format"
    );
}

/// A category that is not UTF-8 is read with replacement characters (an
/// unknown level), as `predict` reads it, not refused or dropped.
#[test]
fn a_category_that_is_not_utf8_is_an_unknown_level() {
    let customers = parse_body(b"34,nor\xffth,2024-02-01\n", BodyFormat::Csv, &pipeline()).unwrap();
    let region = customers.table.column("region").unwrap();
    assert_eq!(region.text(0).as_deref(), Some("nor\u{fffd}th"));
}

/// Line ends as `predict` reads a file: `\r` alone (old Mac files) ends a
/// line too, and a quote in the middle of a value is part of it (only a
/// field's first character opens quoting), so neither merges customers.
#[test]
fn lone_carriage_returns_end_lines_and_a_quote_inside_a_value_is_text() {
    let p = pipeline();
    let customers = parse_body(
        b"34,north,\r35,so\"uth,\r\n36,\"ea\rst\",",
        BodyFormat::Csv,
        &p,
    )
    .unwrap();
    assert_eq!(customers.lines, [1, 2, 3]);
    assert_eq!(numbers(&customers, "age"), [34.0, 35.0, 36.0]);
    let region = customers.table.column("region").unwrap();
    assert_eq!(region.text(1).as_deref(), Some("so\"uth"));
    // A quoted field keeps its line end; the next line is counted after it.
    assert_eq!(region.text(2).as_deref(), Some("ea\rst"));
    assert_eq!(
        error(
            "34,north,\r35,north,,x\r\n36,\"ea\nst\",\n37,north,yesterday",
            BodyFormat::Csv
        ),
        "line 2: 4 values but the model takes 3, in this order: age, region, joined"
    );
    assert!(
        error("34,\"ea\nst\",\n37,north,yesterday", BodyFormat::Csv)
            .starts_with("line 3, column 3"),
        "the quoted line end counts as a line"
    );
}

#[test]
fn a_header_line_is_named_as_one() {
    assert_eq!(
        error("age,Region,joined\n34,north,2024-02-01\n", BodyFormat::Csv),
        "line 1: this is a header line (the model's column names); send customers only, one per line, without a header"
    );
}

#[test]
fn an_empty_line_between_customers_is_refused_not_skipped() {
    assert_eq!(
        error(
            "34,north,2024-02-01\n\n35,south,2024-02-01\n",
            BodyFormat::Csv
        ),
        "line 2: the line is empty; send one customer per line (an empty cell is a missing value)"
    );
    // A final line end is not an empty customer.
    let customers = parse_body(b"34,north,2024-02-01\n", BodyFormat::Csv, &pipeline()).unwrap();
    assert_eq!(customers.table.n_rows(), 1);
    assert_eq!(error("", BodyFormat::Csv), "the body holds no customers");
    assert_eq!(error("[]", BodyFormat::Json), "the body holds no customers");
}

#[test]
fn json_records_are_keyed_by_column_name() {
    let p = pipeline();
    let body = br#"[{"age": 34, "region": "north", "joined": "2024-02-01", "id": 7},
                    {" AGE ": null, "Region": "south", "joined": null}]"#;
    let customers = parse_body(body, BodyFormat::Json, &p).unwrap();
    assert_eq!(customers.lines, [1, 2]);
    let ages = numbers(&customers, "age");
    assert_eq!(ages[0], 34.0);
    assert!(ages[1].is_nan());
    let instances = br#"{"instances": [{"age": "34", "region": "north", "joined": "2024-02-01"}]}"#;
    let same = parse_body(instances, BodyFormat::Json, &p).unwrap();
    assert_eq!(numbers(&same, "age"), [34.0]);
}

#[test]
fn bad_json_records_are_named_by_number_and_column() {
    assert_eq!(
        error(
            r#"[{"age": 1, "region": "north", "joined": null}, {"age": 2, "joined": null}]"#,
            BodyFormat::Json
        ),
        "record 2, column 2 (`region`): no `region` in the record (send null for a missing value)"
    );
    assert_eq!(
        error(
            r#"[{"age": [1], "region": "north", "joined": null}]"#,
            BodyFormat::Json
        ),
        "record 1, column 1 (`age`): a list or object where one value belongs"
    );
    assert_eq!(
        error(
            r#"[{"age": "old", "region": "north", "joined": null}]"#,
            BodyFormat::Json
        ),
        "record 1, column 1 (`age`): `old` is not a number in the model's format"
    );
    assert_eq!(
        error(r#"[{"age": 1}, 5]"#, BodyFormat::Json),
        "record 1, column 2 (`region`): no `region` in the record (send null for a missing value)"
    );
    assert_eq!(
        error(
            r#"[{"age": 1, "region": "north", "joined": null}, 5]"#,
            BodyFormat::Json
        ),
        "record 2: not an object keyed by column name"
    );
    assert_eq!(
        error(r#"{"rows": []}"#, BodyFormat::Json),
        "a JSON body is an array of objects keyed by column name, or {\"instances\": [...]}"
    );
    assert!(error("[{", BodyFormat::Json).starts_with("the body is not valid JSON"));
}

#[test]
fn media_types_choose_the_body_and_answer_formats() {
    assert_eq!(
        BodyFormat::from_media_type("text/csv"),
        Some(BodyFormat::Csv)
    );
    assert_eq!(
        BodyFormat::from_media_type("Text/CSV; charset=utf-8"),
        Some(BodyFormat::Csv)
    );
    assert_eq!(
        BodyFormat::from_media_type("application/json"),
        Some(BodyFormat::Json)
    );
    assert_eq!(BodyFormat::from_media_type("application/x-npy"), None);
    assert_eq!(answer_format(None), Some(BodyFormat::Csv));
    assert_eq!(answer_format(Some("*/*")), Some(BodyFormat::Csv));
    assert_eq!(
        answer_format(Some("application/json")),
        Some(BodyFormat::Json)
    );
    assert_eq!(
        answer_format(Some("image/png, application/json;q=0.5")),
        Some(BodyFormat::Json)
    );
    assert_eq!(answer_format(Some("image/png")), None);
}

/// The request reader reads every accepted cell exactly as `predict`
/// reads a file with the model (`RawTable::typed`): same numbers, dates,
/// missing cells and category levels (in order of first appearance), for
/// bodies with spaces, quotes, missing markers, unknown levels, signs,
/// exponents, CRLF and text that is not UTF-8.
#[test]
fn accepted_bodies_are_typed_as_predict_types_a_file() {
    use crate::data::csv::RawTable;
    let p = pipeline();
    let bodies: [&[u8]; 5] = [
        b"34,north,2024-02-01\n,south,\n45,NA,2024-03-01\n",
        b" 1e1 ,\"we,st\" ,2024-01-31\r\n-3.5,north,N/A\r\n+7,, 2023-12-31 \r\n",
        b"0.25,\"say \"\"hi\"\"\",2024-02-29\n?,?,?\n60,nor\xffth,2024-06-05\n",
        b"20,east,2024-01-05\n20,east,2024-01-05\n21,EAST,2024-01-06",
        b"NaN,null,NULL\n.5,-,2024-05-05\n",
    ];
    for body in bodies {
        let customers = parse_body(body, BodyFormat::Csv, &p)
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(body)));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(body);
        let records: Vec<csv::ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
        let names: Vec<String> = p.input_columns().map(str::to_owned).collect();
        let lines = (1..=records.len() as u64).collect();
        let expected = RawTable::from_cells(names, records, lines)
            .typed(&p.schema())
            .table;
        assert_eq!(
            customers.table.columns(),
            expected.columns(),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}
