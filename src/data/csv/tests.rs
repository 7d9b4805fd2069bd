use super::*;
use crate::data::table::{CellFormat, ColumnData, ColumnKind, MISSING_CODE};

fn numeric(t: &Table, name: &str) -> Vec<f64> {
    match &t.column(name).map(|c| &c.data) {
        Some(ColumnData::Numeric(v)) => v.clone(),
        other => panic!("`{name}` is not numeric: {other:?}"),
    }
}

#[test]
fn infers_numeric_and_categorical_columns() {
    let t = parse_csv(b"age,region,spend\n34,north,12.5\n51,south,-3\n").unwrap();
    assert_eq!(t.n_rows(), 2);
    let kinds: Vec<_> = t.columns().iter().map(|c| c.kind()).collect();
    assert_eq!(
        kinds,
        [
            ColumnKind::Numeric,
            ColumnKind::Categorical,
            ColumnKind::Numeric
        ]
    );
    assert_eq!(numeric(&t, "spend"), vec![12.5, -3.0]);
}

#[test]
fn missing_markers_are_case_insensitive_and_kept_in_place() {
    let t = parse_csv(b"x,c\n1,a\nNA,n/a\n ,NULL\nnan,?\n5,b\n").unwrap();
    let x = numeric(&t, "x");
    assert_eq!(x[0], 1.0);
    assert!(x[1].is_nan() && x[2].is_nan() && x[3].is_nan());
    assert_eq!(x[4], 5.0);
    let c = t.column("c").unwrap();
    assert_eq!(c.kind(), ColumnKind::Categorical);
    assert_eq!(c.missing_count(), 3);
    assert!(c.is_missing(1) && c.is_missing(2) && c.is_missing(3));
}

#[test]
fn a_column_that_is_all_missing_then_text_is_categorical() {
    let t = parse_csv(b"x,c\n1,\n2,NA\n3,yes\n").unwrap();
    let c = t.column("c").unwrap();
    assert_eq!(c.kind(), ColumnKind::Categorical);
    if let ColumnData::Categorical { codes, levels } = &c.data {
        assert_eq!(codes, &vec![MISSING_CODE, MISSING_CODE, 0]);
        assert_eq!(levels, &vec!["yes".to_string()]);
    }
}

#[test]
fn numbers_then_text_rereads_the_column_keeping_the_original_spelling() {
    let t = parse_csv(b"zip,n\n007,1\n0100,2\nAB12,3\n").unwrap();
    let zip = t.column("zip").unwrap();
    assert_eq!(zip.kind(), ColumnKind::Categorical);
    let texts: Vec<_> = (0..3).map(|r| zip.text(r).unwrap().into_owned()).collect();
    assert_eq!(texts, ["007", "0100", "AB12"]);
    assert_eq!(numeric(&t, "n"), vec![1.0, 2.0, 3.0]);
}

#[test]
fn detects_semicolon_and_tab_delimiters() {
    // In a `;` file a comma is a decimal comma.
    let t = parse_csv(b"a;b;c\n1,5;2;x\n").unwrap();
    assert_eq!(t.n_cols(), 3);
    assert_eq!(numeric(&t, "a"), vec![1.5]);
    let t = parse_csv(b"a|b\n1|2\n").unwrap();
    assert_eq!(numeric(&t, "b"), vec![2.0]);
    let t = parse_csv(b"a\tb\n1\t2\n").unwrap();
    assert_eq!(numeric(&t, "b"), vec![2.0]);
    // Empty lines before the header do not hide its delimiter (found by
    // fuzzing: the file read as one column named `a;b;c`).
    let t = parse_csv(b"\r\n\na;b;c\n1,5;2;x\n").unwrap();
    assert_eq!(t.n_cols(), 3);
    assert_eq!(numeric(&t, "a"), vec![1.5]);
}

#[test]
fn handles_bom_crlf_quotes_and_trailing_blank_lines() {
    let text = b"\xEF\xBB\xBFname,note,v\r\n\"Smith, J\",\"two\r\nlines\",1\r\n\"x\",\"say \"\"hi\"\"\",\"2.5\"\r\n\r\n\r\n,,\r\n";
    let t = parse_csv(text).unwrap();
    assert_eq!(t.n_rows(), 2);
    assert_eq!(t.column_names().next(), Some("name"));
    let name = t.column("name").unwrap();
    assert_eq!(name.text(0).as_deref(), Some("Smith, J"));
    let note = t.column("note").unwrap();
    assert_eq!(note.text(0).as_deref(), Some("two\r\nlines"));
    assert_eq!(note.text(1).as_deref(), Some("say \"hi\""));
    assert_eq!(numeric(&t, "v"), vec![1.0, 2.5]);
}

#[test]
fn single_column_file_reads() {
    let t = parse_csv(b"only\n3\n4\n").unwrap();
    assert_eq!(numeric(&t, "only"), vec![3.0, 4.0]);
}

#[test]
fn infinite_values_in_numeric_columns_are_rejected_with_their_place() {
    let err = parse_csv(b"a,b\n1,2\n3,1e400\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3, column 2 (`b`): `1e400` is not a finite number; replace it with a number or leave the cell empty"
    );
}

#[test]
fn utf16_without_bom_is_recognised() {
    let text: Vec<u8> = "a,b\n1,2\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(matches!(parse_csv(&text), Err(CsvError::Utf16)));
}

fn note_texts(t: &Table) -> Vec<String> {
    t.notes().iter().map(|n| n.text.clone()).collect()
}

#[test]
fn number_formats_are_decided_per_column_from_all_cells() {
    // Tab file, US grouping: `48,000` alone fits both readings; the
    // other column's `1,250,000` decides, and the note says so.
    let t = parse_csv(b"id\tincome\tvalue\nu1\t48,000\t3,400\nu2\t125,500\t1,250,000\n").unwrap();
    assert_eq!(numeric(&t, "income"), vec![48000.0, 125500.0]);
    assert_eq!(numeric(&t, "value"), vec![3400.0, 1_250_000.0]);
    assert!(
        note_texts(&t)
            .iter()
            .any(|n| n.contains("`income`") && n.contains("`value`"))
    );
    // `;` file: `12.500` next to `3.000,50` is twelve thousand five hundred.
    let t = parse_csv(b"a;b\n12.500;3.000,50\n7.250;12,5\n").unwrap();
    assert_eq!(numeric(&t, "a"), vec![12500.0, 7250.0]);
    assert_eq!(numeric(&t, "b"), vec![3000.5, 12.5]);
    // Nothing decides: the delimiter's convention, said in a note.
    let t = parse_csv(b"a,b\n\"1,234\",x\n\"2,500\",y\n").unwrap();
    assert_eq!(numeric(&t, "a"), vec![1234.0, 2500.0]);
    assert!(
        note_texts(&t)
            .iter()
            .any(|n| n.contains("`a`") && n.contains("usual"))
    );
    // Spaces and no-break spaces group thousands with a decimal comma.
    let t = parse_csv("a;b\n1 234,5;x\n2\u{a0}000,25;y\n".as_bytes()).unwrap();
    assert_eq!(numeric(&t, "a"), vec![1234.5, 2000.25]);
}

#[test]
fn currency_and_percent_are_stripped_with_a_note() {
    let t = parse_csv(
        "avg,rate,eur\n\"$2,310.75\",15%,\"12,50 €\"\n$45.00,7.5%,\"3,00 €\"\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(numeric(&t, "avg"), vec![2310.75, 45.0]);
    assert_eq!(numeric(&t, "rate"), vec![15.0, 7.5]);
    assert_eq!(numeric(&t, "eur"), vec![12.5, 3.0]);
    let notes = note_texts(&t);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`avg`") && n.contains("currency $"))
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`rate`") && n.contains("percent"))
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`eur`") && n.contains("decimal comma"))
    );
    assert!(matches!(t.cell_format("avg"), CellFormat::Number(f) if f.currency == ["$"]));
}

#[test]
fn spreadsheet_missing_tokens_are_missing_and_counted() {
    let t =
        parse_csv(b"income,spend,c\n#N/A,1,a\n5,#DIV/0!,None\nNone,<NA>,b\n7,-,NULL\n").unwrap();
    let income = numeric(&t, "income");
    assert!(income[0].is_nan() && income[2].is_nan());
    assert_eq!(t.column("income").unwrap().missing_count(), 2);
    assert_eq!(t.column("spend").unwrap().missing_count(), 3);
    assert_eq!(t.column("c").unwrap().missing_count(), 2);
    assert!(
        note_texts(&t)
            .iter()
            .any(|n| n.contains("`income`: 2 cells read as missing: `#N/A` (1), `None` (1)"))
    );
}

#[test]
fn a_stray_word_in_a_numeric_column_is_missing_with_its_line() {
    let mut text = String::from("tenure,plan\n");
    for i in 0..60 {
        if i == 45 {
            text.push_str("unknown,a\n");
        } else {
            text.push_str(&format!("{i},b\n"));
        }
    }
    let t = parse_csv(text.as_bytes()).unwrap();
    let tenure = numeric(&t, "tenure");
    assert!(tenure[45].is_nan());
    assert_eq!(t.column("tenure").unwrap().missing_count(), 1);
    let warning = t
        .notes()
        .iter()
        .find(|n| n.column.as_deref() == Some("tenure"))
        .unwrap();
    assert_eq!(warning.severity, crate::data::notes::Severity::Warning);
    assert!(
        warning.text.contains("line 47") && warning.text.contains("`unknown`"),
        "{}",
        warning.text
    );
    // A column that is really text stays text, spelled as written.
    let t = parse_csv(b"code\n1\n2\nA7\nB9\nC1\nD4\n").unwrap();
    assert_eq!(t.column("code").unwrap().kind(), ColumnKind::Categorical);
    assert_eq!(t.column("code").unwrap().text(0).as_deref(), Some("1"));
}

#[test]
fn long_text_columns_are_read_in_one_pass_without_loss() {
    let mut text = String::from("answer,n\n");
    for i in 0..200 {
        text.push_str(if i % 3 == 0 { "yes," } else { "no," });
        text.push_str(&format!("{i}\n"));
    }
    let t = parse_csv(text.as_bytes()).unwrap();
    let c = t.column("answer").unwrap();
    assert_eq!(c.kind(), ColumnKind::Categorical);
    assert_eq!(c.missing_count(), 0);
    assert_eq!(c.text(3).as_deref(), Some("yes"));
}

#[test]
fn excel_sep_line_and_crlf() {
    let t = parse_csv(b"sep=;\r\nname;spend\r\nk001;29,71\r\nk002;3\r\n").unwrap();
    assert_eq!(t.column_names().collect::<Vec<_>>(), ["name", "spend"]);
    assert_eq!(numeric(&t, "spend"), vec![29.71, 3.0]);
    assert_eq!(t.line_of_row(0), 3);
    let err = parse_csv(b"sep=;\r\na;b\r\n1;2\r\n1;2;3\r\n").unwrap_err();
    assert_eq!(err.line(), Some(4), "{err}");
}

#[test]
fn trailing_delimiters_drop_an_empty_unnamed_column() {
    let t = parse_csv(b"a,b,\n1,x,\n2,y,\n").unwrap();
    assert_eq!(t.n_cols(), 2);
    assert!(
        note_texts(&t)
            .iter()
            .any(|n| n.contains("ends with a delimiter"))
    );
    // Only the data rows end with one.
    let t = parse_csv(b"a,b\n1,x,\n2,y,\n").unwrap();
    assert_eq!(t.n_cols(), 2);
    assert!(note_texts(&t).iter().any(|n| n.contains("2 data rows")));
    // A value under no name is refused with its place.
    let err = parse_csv(b"a,b,\n1,x,\n2,y,oops\n").unwrap_err();
    assert!(
        matches!(
            err,
            CsvError::UnnamedValue {
                line: 3,
                column: 3,
                ..
            }
        ),
        "{err}"
    );
    let err = parse_csv(b"a,b\n1,x\n2,y,oops\n").unwrap_err();
    assert!(matches!(err, CsvError::FieldCount { line: 3, .. }), "{err}");
}

#[test]
fn cr_only_line_ends_read_and_errors_name_the_right_line() {
    let t = parse_csv(b"a,b\r1,x\r2,y\r").unwrap();
    assert_eq!(t.n_rows(), 2);
    assert!(note_texts(&t).iter().any(|n| n.contains("CR")));
    let err = parse_csv(b"a,b\r1,x\r2,y\r3\r4,z\r").unwrap_err();
    assert_eq!(err.line(), Some(4), "{err}");
}

#[test]
fn date_columns_become_days_since_1970() {
    let t = parse_csv(b"signup,n\n2024-03-15,1\n2024-03-16,2\n2023-12-31,3\n").unwrap();
    assert_eq!(numeric(&t, "signup"), vec![19797.0, 19798.0, 19722.0]);
    assert!(matches!(t.cell_format("signup"), CellFormat::Date(_)));
    assert!(note_texts(&t).iter().any(|n| n.contains("`signup`: dates")));
}

#[test]
fn spaces_around_text_are_removed_with_a_note() {
    let t = parse_csv(b"a,n\n Yes ,1\nYes,2\nno,3\n").unwrap();
    assert_eq!(t.column("a").unwrap().text(0).as_deref(), Some("Yes"));
    assert!(note_texts(&t).iter().any(|n| n.contains("` Yes `")));
}
