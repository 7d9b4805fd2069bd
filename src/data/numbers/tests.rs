use super::*;

fn point(cell: &str) -> Option<f64> {
    read_cell(cell).and_then(|r| r.point)
}

fn comma(cell: &str) -> Option<f64> {
    read_cell(cell).and_then(|r| r.comma)
}

#[test]
fn plain_numbers_read_the_same_under_both_marks_unless_they_have_a_point() {
    assert_eq!(point("12"), Some(12.0));
    assert_eq!(comma("12"), Some(12.0));
    assert_eq!(point("-3.5"), Some(-3.5));
    assert_eq!(comma("-3.5"), None, "3.5 is no thousands group");
    assert_eq!(point("1.234"), Some(1.234));
    assert_eq!(comma("1.234"), Some(1234.0));
    assert_eq!(comma("-1.234"), Some(-1234.0));
    assert_eq!(comma("0.125"), None, "a group never starts with 0");
    assert_eq!(point("1e6"), Some(1e6));
}

#[test]
fn grouping_and_decimal_marks() {
    assert_eq!(point("1,234.50"), Some(1234.5));
    assert_eq!(comma("1,234.50"), None);
    assert_eq!(comma("1.234,50"), Some(1234.5));
    assert_eq!(point("1.234,50"), None);
    assert_eq!(comma("1 234,5"), Some(1234.5));
    assert_eq!(comma("1\u{a0}234,5"), Some(1234.5));
    assert_eq!(point("1'234.5"), Some(1234.5));
    assert_eq!(point("1,250,000"), Some(1_250_000.0));
    assert_eq!(comma("1,250,000"), None);
    assert_eq!(point("48,000"), Some(48000.0));
    assert_eq!(comma("48,000"), Some(48.0));
    assert_eq!(comma("3,5"), Some(3.5));
    assert_eq!(point("3,5"), None);
    assert_eq!(point("1,23,456"), None);
    assert_eq!(point(",123"), None);
    assert_eq!(read_cell("1-2"), None);
    assert_eq!(read_cell("abc"), None);
    assert_eq!(read_cell("2024-03-15"), None);
}

#[test]
fn currency_percent_and_accounting_negatives() {
    let r = read_cell("$2,310.75").unwrap();
    assert_eq!((r.point, r.currency), (Some(2310.75), Some("$")));
    assert_eq!(point("-$5.00"), Some(-5.0));
    assert_eq!(point("$-5.00"), Some(-5.0));
    assert_eq!(comma("12,50 €"), Some(12.5));
    assert_eq!(point("£45"), Some(45.0));
    let r = read_cell("7.5%").unwrap();
    assert_eq!((r.point, r.percent), (Some(7.5), true));
    assert_eq!(point("15 %"), Some(15.0));
    let r = read_cell("($45.00)").unwrap();
    assert_eq!((r.point, r.parentheses), (Some(-45.0), true));
    assert_eq!(read_cell("$"), None);
    assert_eq!(read_cell("%"), None);
    assert_eq!(read_cell("--5"), None);
}

fn column(cells: &[&str]) -> NumberColumn {
    let mut c = NumberColumn::new();
    for (i, cell) in cells.iter().enumerate() {
        c.push(cell, i as u64 + 2);
    }
    c
}

#[test]
fn a_column_decides_its_mark_from_its_unambiguous_cells() {
    let c = column(&["48,000", "1,250,000", "980"]);
    assert_eq!(c.evidence(), Some(DecimalMark::Point));
    let (values, format) = c.finish(DecimalMark::Point);
    assert_eq!(values, vec![48000.0, 1_250_000.0, 980.0]);
    assert!(format.grouped);
    let c = column(&["12.500", "3.000,50"]);
    assert_eq!(c.evidence(), Some(DecimalMark::Comma));
    let (values, _) = c.finish(DecimalMark::Comma);
    assert_eq!(values, vec![12500.0, 3000.5]);
}

#[test]
fn an_ambiguous_column_takes_the_mark_it_is_given() {
    let c = column(&["1.234", "2.500"]);
    assert_eq!(c.evidence(), None);
    let (values, _) = c.finish(DecimalMark::Point);
    assert_eq!(values, vec![1.234, 2.5]);
    let (values, format) = column(&["1.234", "2.500"]).finish(DecimalMark::Comma);
    assert_eq!(values, vec![1234.0, 2500.0]);
    assert!(format.grouped);
}

#[test]
fn a_cell_against_the_columns_mark_is_a_stray_not_a_second_reading() {
    let c = column(&["3,5", "4,25", "12.5"]);
    assert_eq!(c.strays, 1);
    assert_eq!(c.stray_samples[0].line, 4);
}

#[test]
fn a_few_words_among_many_numbers_stay_numeric() {
    let mut cells: Vec<String> = (0..59).map(|i| i.to_string()).collect();
    cells.insert(45, "unknown".to_owned());
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let c = column(&refs);
    assert!(!c.is_text() && !c.is_text_at_end());
    assert_eq!(c.stray_samples[0].line, 47);
    let c = column(&["north", "south", "east", "west", "3"]);
    assert!(c.is_text());
    let c = column(&["007", "0100", "AB12"]);
    assert!(c.is_text_at_end() && !c.can_become_text_losslessly());
    let c = column(&["yes", "no", "yes"]);
    assert!(c.is_text_at_end() && c.can_become_text_losslessly());
}

#[test]
fn references_that_look_like_scientific_notation_are_not_numbers() {
    assert_eq!(read_cell("00e12345"), None);
    assert_eq!(read_cell("7e000400"), None);
    assert_eq!(point("1.5E+03"), Some(1500.0));
    assert_eq!(point("2e-7"), Some(2e-7));
    assert_eq!(point("inf"), Some(f64::INFINITY));
}

#[test]
fn digit_codes_with_leading_zeros_stay_text() {
    assert!(column(&["01933", "10001", "02134"]).is_text_at_end());
    assert!(!column(&["0", "10", "5"]).is_text_at_end());
    assert!(
        !column(&["01", "1.5", "2"]).is_text_at_end(),
        "a number with a point is a number"
    );
}

#[test]
fn format_parse_uses_the_saved_mark() {
    let f = NumberFormat {
        decimal: DecimalMark::Comma,
        ..NumberFormat::default()
    };
    assert_eq!(f.parse("1.234,5"), Some(1234.5));
    assert_eq!(f.parse("12.5"), None);
    assert_eq!(NumberFormat::default().parse("$1,234.5"), Some(1234.5));
    assert!(NumberFormat::default().is_plain());
}
