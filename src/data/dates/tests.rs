use super::*;

const ISO: DateFormat = DateFormat::IsoDate;
const ISO_TIME: DateFormat = DateFormat::IsoDateTime;

fn dmy(sep: char) -> DateFormat {
    DateFormat::DayMonthYear { sep }
}

fn mdy(sep: char) -> DateFormat {
    DateFormat::MonthDayYear { sep }
}

fn ymd(sep: char) -> DateFormat {
    DateFormat::YearMonthDay { sep }
}

/// 2024-03-15 (a Friday) as days since 1970-01-01: 2024-01-01 is day
/// 19723, then 31 + 29 + 14 days.
const MARCH_15_2024: f64 = 19_797.0;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

// ---- parse: each format ----

#[test]
fn iso_date_counts_days_from_1970() {
    assert_eq!(ISO.parse("1970-01-01"), Some(0.0));
    assert_eq!(ISO.parse("1970-01-02"), Some(1.0));
    assert_eq!(ISO.parse("1969-12-31"), Some(-1.0));
    assert_eq!(ISO.parse("2000-01-01"), Some(10_957.0));
    assert_eq!(ISO.parse("2024-03-15"), Some(MARCH_15_2024));
    assert_eq!(ISO.parse("  2024-03-15\t"), Some(MARCH_15_2024));
    // One-digit month and day are read too.
    assert_eq!(ISO.parse("2024-3-5"), ISO.parse("2024-03-05"));
    assert_eq!(ISO_TIME.parse("2024-03-15"), Some(MARCH_15_2024));
}

#[test]
fn day_month_year_with_each_separator() {
    for sep in ['/', '.', '-'] {
        let cell = format!("15{sep}03{sep}2024");
        assert_eq!(dmy(sep).parse(&cell), Some(MARCH_15_2024), "{cell}");
        assert_eq!(mdy(sep).parse(&cell), None, "{cell}: no month 15");
        let short = format!("5{sep}3{sep}2024");
        assert_eq!(dmy(sep).parse(&short), ISO.parse("2024-03-05"));
    }
    // The separator is part of the format.
    assert_eq!(dmy('.').parse("15/03/2024"), None);
    assert_eq!(dmy('/').parse("15.03.2024"), None);
}

#[test]
fn month_day_year_with_each_separator() {
    for sep in ['/', '.', '-'] {
        let cell = format!("03{sep}15{sep}2024");
        assert_eq!(mdy(sep).parse(&cell), Some(MARCH_15_2024), "{cell}");
        assert_eq!(dmy(sep).parse(&cell), None, "{cell}: no month 15");
    }
    // Both orders read an ambiguous cell, as different days.
    assert_eq!(mdy('/').parse("03/04/2024"), ISO.parse("2024-03-04"));
    assert_eq!(dmy('/').parse("03/04/2024"), ISO.parse("2024-04-03"));
}

#[test]
fn year_month_day_with_other_separators() {
    assert_eq!(ymd('/').parse("2024/03/15"), Some(MARCH_15_2024));
    assert_eq!(ymd('.').parse("2024.03.15"), Some(MARCH_15_2024));
    assert_eq!(ymd('-').parse("2024-03-15"), Some(MARCH_15_2024));
    assert_eq!(ymd('/').parse("2024.03.15"), None);
    // ISO is `-` only.
    assert_eq!(ISO.parse("2024/03/15"), None);
    // Year-first is never read as day- or month-first, nor the reverse.
    assert_eq!(dmy('/').parse("2024/03/15"), None);
    assert_eq!(ymd('/').parse("15/03/2024"), None);
    assert_eq!(ISO.parse("15-03-2024"), None);
}

// ---- parse: calendar checks ----

#[test]
fn leap_days_exist_only_in_leap_years() {
    assert_eq!(ISO.parse("2024-02-29"), Some(MARCH_15_2024 - 15.0));
    assert!(ISO.parse("2000-02-29").is_some(), "divisible by 400");
    assert_eq!(ISO.parse("1900-02-29"), None, "divisible by 100");
    assert_eq!(ISO.parse("2023-02-29"), None);
    assert_eq!(dmy('/').parse("29/02/2023"), None);
    assert_eq!(mdy('/').parse("02/29/2024"), Some(MARCH_15_2024 - 15.0));
}

#[test]
fn impossible_days_are_refused() {
    for cell in [
        "2023-02-30",
        "2024-04-31",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "2024-01-32",
    ] {
        assert_eq!(ISO.parse(cell), None, "{cell}");
    }
    assert_eq!(dmy('/').parse("31/06/2024"), None);
    assert_eq!(mdy('/').parse("06/31/2024"), None);
}

#[test]
fn shapes_that_are_not_dates_are_refused() {
    for cell in [
        "",
        "2024",
        "20240315",
        "3.5",
        "1e5",
        "-2024-03-15",
        "+2024-03-15",
        "24-03-15",   // two-digit year
        "15/03/24",   // two-digit year
        "15/3/24",    // two-digit year
        "024-03-15",  // three-digit year
        "2024-03",    // no day
        "03/2024",    // no day
        "2024-03/15", // two separators
        "2024-003-15",
        "2024-03-150",
        "2024 03 15",
        "2024_03_15",
        "2024-03-15x",
        "2024-03-15T",
        "2024-03-15  10:22",
        "15/03/2024/",
        "123/03/2024",
        "2024-03-15 10",
        "March 15, 2024",
        "15 Mar 2024",
        "2024-03-15 10:22:00 +01:00 and some words to be long",
    ] {
        for format in CANDIDATES.iter().chain([&ISO_TIME]) {
            assert_eq!(format.parse(cell), None, "{cell:?} in {format:?}");
        }
    }
    // Surrounding whitespace is trimmed, not refused.
    assert_eq!(ISO.parse("2024-03-15 "), Some(MARCH_15_2024));
}

// ---- parse: time of day ----

#[test]
fn times_add_a_fraction_of_a_day() {
    let cases = [
        ("2024-03-15 12:00", 0.5),
        ("2024-03-15T06:00", 0.25),
        ("2024-03-15 6:00", 0.25),
        ("2024-03-15 18:00:00", 0.75),
        ("2024-03-15T00:00:36", 36.0 / 86_400.0),
        ("2024-03-15 00:00:00.5", 0.5 / 86_400.0),
        ("2024-03-15 00:00:00,25", 0.25 / 86_400.0),
        ("2024-03-15T00:00:00.123456789", 0.123_456_789 / 86_400.0),
        ("2024-03-15 23:59:59", 86_399.0 / 86_400.0),
    ];
    for (cell, fraction) in cases {
        let Some(days) = ISO_TIME.parse(cell) else {
            panic!("{cell} did not parse");
        };
        assert!(close(days, MARCH_15_2024 + fraction), "{cell}: {days}");
    }
    assert_eq!(
        dmy('/').parse("15/03/2024 18:00"),
        Some(MARCH_15_2024 + 0.75)
    );
    assert_eq!(
        mdy('-').parse("03-15-2024 18:00:00"),
        Some(MARCH_15_2024 + 0.75)
    );
    assert_eq!(
        ymd('.').parse("2024.03.15 12:00"),
        Some(MARCH_15_2024 + 0.5)
    );
    // The date-only ISO format reads times too (rows added later may
    // have them).
    assert_eq!(ISO.parse("2024-03-15 12:00"), Some(MARCH_15_2024 + 0.5));
}

#[test]
fn offsets_are_checked_and_ignored() {
    let local = Some(MARCH_15_2024 + 0.5);
    for cell in [
        "2024-03-15T12:00:00Z",
        "2024-03-15T12:00Z",
        "2024-03-15T12:00:00+01:00",
        "2024-03-15 12:00:00-05:00",
        "2024-03-15T12:00:00+0100",
        "2024-03-15T12:00:00+01",
        "2024-03-15T12:00:00.000+14:00",
    ] {
        assert_eq!(ISO_TIME.parse(cell), local, "{cell}");
    }
    for cell in [
        "2024-03-15T12:00:00+1:00",
        "2024-03-15T12:00:00+24:00",
        "2024-03-15T12:00:00+01:60",
        "2024-03-15T12:00:00+01:0",
        "2024-03-15T12:00:00+",
        "2024-03-15T12:00:00z+01:00",
        "2024-03-15T12:00:00+01:00Z",
    ] {
        assert_eq!(ISO_TIME.parse(cell), None, "{cell}");
    }
}

#[test]
fn twelve_hour_clock() {
    let at = |hour: f64| Some(MARCH_15_2024 + hour / 24.0);
    assert_eq!(mdy('/').parse("03/15/2024 12:00 AM"), at(0.0));
    assert_eq!(mdy('/').parse("03/15/2024 1:00 am"), at(1.0));
    assert_eq!(mdy('/').parse("03/15/2024 12:00 PM"), at(12.0));
    assert_eq!(mdy('/').parse("03/15/2024 6:00:00 PM"), at(18.0));
    assert_eq!(mdy('/').parse("03/15/2024 6:00pm"), at(18.0));
    for cell in [
        "03/15/2024 13:00 PM",
        "03/15/2024 0:30 AM",
        "03/15/2024 6:00 XM",
        "03/15/2024 6:00 P",
        "03/15/2024 6:00 PMX",
        "03/15/2024 6:00  PM",
    ] {
        assert_eq!(mdy('/').parse(cell), None, "{cell}");
    }
}

#[test]
fn impossible_or_malformed_times_are_refused() {
    for cell in [
        "2024-03-15 24:00",
        "2024-03-15 10:60",
        "2024-03-15 10:22:60",
        "2024-03-15 10:22:61",
        "2024-03-15 100:22",
        "2024-03-15 10:2",
        "2024-03-15 10:22:3",
        "2024-03-15 10:22:30.",
        "2024-03-15 10:22.5",
        "2024-03-15 10:22:30.1234567890",
        "2024-03-15 10",
        "2024-03-15 :22",
        "2024-03-15 10-22",
        "2024-03-15X10:22",
    ] {
        assert_eq!(ISO_TIME.parse(cell), None, "{cell}");
    }
}

// ---- detect ----

#[test]
fn detects_iso_dates_and_date_times() {
    let Some(found) = detect(&["2024-03-15", "2023-12-01", "2024-01-31"]) else {
        panic!("not detected");
    };
    assert_eq!(found.format, ISO);
    assert!(!found.ambiguous_order);
    assert!(found.unparsed.is_empty());

    // One cell with a time makes it a date-time column; cells without
    // one still parse.
    let cells = ["2024-03-15", "2023-12-01 10:22", "2024-01-31T23:59:59Z"];
    let Some(found) = detect(&cells) else {
        panic!("not detected");
    };
    assert_eq!(found.format, ISO_TIME);
    assert!(found.unparsed.is_empty());
}

#[test]
fn detects_each_separator_and_order() {
    let cases: [(&[&str], DateFormat); 7] = [
        (&["15/03/2024", "01/02/2024", "28/12/2023"], dmy('/')),
        (&["15.03.2024", "1.2.2024", "28.12.2023"], dmy('.')),
        (&["15-03-2024", "01-02-2024", "28-12-2023"], dmy('-')),
        (&["03/15/2024", "01/02/2024", "12/28/2023"], mdy('/')),
        (&["03-15-2024", "01-02-2024", "12-28-2023"], mdy('-')),
        (&["2024/03/15", "2024/1/2", "2023/12/28"], ymd('/')),
        (&["2024.03.15", "2024.01.02", "2023.12.28"], ymd('.')),
    ];
    for (cells, format) in cases {
        let Some(found) = detect(cells) else {
            panic!("{cells:?} not detected");
        };
        assert_eq!(found.format, format, "{cells:?}");
        assert!(!found.ambiguous_order, "{cells:?}");
        assert!(found.unparsed.is_empty(), "{cells:?}");
    }
}

#[test]
fn all_ambiguous_cells_choose_day_first_and_say_so() {
    let cells = ["01/02/2024", "03/04/2024", "12/11/2023", "05/06/2024 10:00"];
    let Some(found) = detect(&cells) else {
        panic!("not detected");
    };
    assert_eq!(found.format, dmy('/'));
    assert!(found.ambiguous_order);
    assert!(found.unparsed.is_empty());

    // One cell with a day above 12 settles it, either way.
    let Some(found) = detect(&["01/02/2024", "03/04/2024", "12/11/2023", "13/06/2024"]) else {
        panic!("not detected");
    };
    assert_eq!(found.format, dmy('/'));
    assert!(!found.ambiguous_order);
    let Some(found) = detect(&["01/02/2024", "03/04/2024", "12/11/2023", "06/13/2024"]) else {
        panic!("not detected");
    };
    assert_eq!(found.format, mdy('/'));
    assert!(!found.ambiguous_order);
}

#[test]
fn mixed_order_column_takes_the_order_that_parses_more() {
    // 12 ambiguous cells, 17 only day-first, 1 only month-first (index
    // 29): day-first parses 29 of 30 cells, month-first 13.
    let mut cells: Vec<String> = (1..=19).map(|d| format!("{d:02}/01/2024")).collect();
    cells.extend((13..=22).map(|d| format!("{d}/02/2024")));
    cells.push("02/20/2024".to_owned());
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let Some(found) = detect(&refs) else {
        panic!("not detected");
    };
    assert_eq!(found.format, dmy('/'));
    assert!(!found.ambiguous_order);
    assert_eq!(found.unparsed, vec![29]);

    // The mirror image goes month-first.
    let mut cells: Vec<String> = (1..=19).map(|d| format!("01/{d:02}/2024")).collect();
    cells.extend((13..=22).map(|d| format!("02/{d}/2024")));
    cells.insert(4, "20/02/2024".to_owned());
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let Some(found) = detect(&refs) else {
        panic!("not detected");
    };
    assert_eq!(found.format, mdy('/'));
    assert!(!found.ambiguous_order);
    assert_eq!(found.unparsed, vec![4]);
}

#[test]
fn tie_between_orders_goes_day_first_and_is_ambiguous() {
    // 18 ambiguous, 1 only day-first, 1 only month-first: each order
    // parses 19 of 20 (95%).
    let mut cells: Vec<String> = (0..18)
        .map(|i| format!("{:02}/{:02}/2024", 1 + i % 12, 1 + i / 12))
        .collect();
    cells.push("20/02/2024".to_owned());
    cells.push("02/20/2024".to_owned());
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let Some(found) = detect(&refs) else {
        panic!("not detected");
    };
    assert_eq!(found.format, dmy('/'));
    assert!(found.ambiguous_order);
    assert_eq!(found.unparsed, vec![19]);
}

#[test]
fn formats_are_never_mixed() {
    // 9 ISO cells and one day-first cell: ISO, the other one unparsed.
    let mut cells: Vec<String> = (1..=9).map(|d| format!("2024-05-{d:02}")).collect();
    cells.insert(3, "15/05/2024".to_owned());
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let Some(found) = detect(&refs) else {
        panic!("not detected");
    };
    assert_eq!(found.format, ISO);
    assert_eq!(found.unparsed, vec![3]);

    // Half and half is no format at all.
    let cells = ["2024-05-01", "2024-05-02", "15/05/2024", "16/05/2024"];
    assert_eq!(detect(&cells), None);
    // Nor are two separators of one order.
    let cells = ["15/05/2024", "16/05/2024", "15.05.2024", "16.05.2024"];
    assert_eq!(detect(&cells), None);
}

#[test]
fn plain_numbers_and_text_are_not_dates() {
    for cells in [
        ["20240315", "20240316", "20240317"],
        ["2024", "2023", "2022"],
        ["1.5", "2.25", "3.125"],
        ["12.05", "11.30", "01.01"],
        ["alice", "bob", "carol"],
        ["15/03/24", "16/03/24", "17/03/24"],
        ["2024-03", "2024-04", "2024-05"],
    ] {
        assert_eq!(detect(&cells), None, "{cells:?}");
    }
}

#[test]
fn at_least_ninety_percent_must_parse() {
    let dates: Vec<String> = (1..=20).map(|d| format!("2024-06-{d:02}")).collect();
    let with_junk = |good: usize, bad: usize| -> Vec<String> {
        let mut cells: Vec<String> = dates[..good].to_vec();
        cells.extend((0..bad).map(|i| format!("junk {i}")));
        cells
    };

    // 9 of 10.
    let cells = with_junk(9, 1);
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let Some(found) = detect(&refs) else {
        panic!("9 of 10 not detected");
    };
    assert_eq!(found.unparsed, vec![9]);

    // 18 of 20, exactly 90%.
    let cells = with_junk(18, 2);
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let Some(found) = detect(&refs) else {
        panic!("18 of 20 not detected");
    };
    assert_eq!(found.unparsed, vec![18, 19]);

    // 8 of 10 and 17 of 20 fall short.
    for (good, bad) in [(8, 2), (17, 3)] {
        let cells = with_junk(good, bad);
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        assert_eq!(detect(&refs), None, "{good} of {}", good + bad);
    }

    // Impossible days count against the 90% like any other failure.
    let mut cells: Vec<String> = dates[..8].to_vec();
    cells.push("2023-02-29".to_owned());
    cells.push("2024-04-31".to_owned());
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    assert_eq!(detect(&refs), None);
    cells.truncate(9);
    cells.push("2024-06-30".to_owned());
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let Some(found) = detect(&refs) else {
        panic!("9 of 10 not detected");
    };
    assert_eq!(found.unparsed, vec![8]);
}

#[test]
fn needs_three_cells() {
    assert_eq!(detect(&[]), None);
    assert_eq!(detect(&["2024-03-15"]), None);
    assert_eq!(detect(&["2024-03-15", "2024-03-16"]), None);
    assert!(detect(&["2024-03-15", "2024-03-16", "2024-03-17"]).is_some());
    // With three cells one failure is a third: refused.
    assert_eq!(detect(&["2024-03-15", "2024-03-16", "x"]), None);
    assert_eq!(needed_parsed(3), 3);
    assert_eq!(needed_parsed(10), 9);
    assert_eq!(needed_parsed(11), 10);
    assert_eq!(needed_parsed(20), 18);
    assert_eq!(needed_parsed(usize::MAX), usize::MAX - usize::MAX / 10);
}

#[test]
fn unparsed_agrees_with_parse() {
    // Every kind of cell, repeated so the column passes the 90% rule.
    let odd = [
        "2024-02-30",
        "02/30/2024",
        "2024/03/15",
        "15.03.2024",
        "nope",
        "2024-03-15 25:00",
    ];
    let mut cells: Vec<String> = Vec::new();
    for day in 0..200 {
        let month = 1 + day % 12;
        let dom = 1 + day % 28;
        cells.push(format!("{dom:02}/{month:02}/2024 {:02}:30", day % 24));
    }
    cells.extend(odd.iter().map(|s| (*s).to_owned()));
    cells.push("31/12/2024".to_owned());
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let Some(found) = detect(&refs) else {
        panic!("not detected");
    };
    assert_eq!(found.format, dmy('/'));
    for (index, cell) in refs.iter().enumerate() {
        assert_eq!(
            found.format.parse(cell).is_none(),
            found.unparsed.contains(&index),
            "{cell}"
        );
    }
    assert_eq!(found.unparsed.len(), odd.len());
}

#[test]
fn large_text_column_is_refused_early() {
    let cells = vec!["not a date"; 1_000_000];
    assert_eq!(detect(&cells), None);
    let mut cells = vec!["2024-03-15"; 1_000_000];
    cells[999_999] = "x";
    let Some(found) = detect(&cells) else {
        panic!("not detected");
    };
    assert_eq!(found.unparsed, vec![999_999]);
}

// ---- features ----

#[test]
fn features_are_offset_month_and_weekday() {
    assert_eq!(DATE_PARTS, ["days", "month", "weekday"]);
    // 2024-03-15 was a Friday.
    assert_eq!(
        date_features(MARCH_15_2024, MARCH_15_2024 - 10.0),
        [10.0, 3.0, 4.0]
    );
    // 1970-01-01 was a Thursday; 1969-12-31 a Wednesday.
    assert_eq!(date_features(0.0, 0.0), [0.0, 1.0, 3.0]);
    assert_eq!(date_features(-1.0, 0.0), [-1.0, 12.0, 2.0]);
    // A Sunday and the Monday after it.
    let Some(sunday) = ISO.parse("2024-03-17") else {
        panic!("no parse");
    };
    assert_eq!(date_features(sunday, 0.0)[2], 6.0);
    assert_eq!(date_features(sunday + 1.0, 0.0)[2], 0.0);
    // The time of day stays in the offset and not in month or weekday,
    // also before 1970, where the fraction is added to a negative day.
    assert_eq!(
        date_features(MARCH_15_2024 + 0.75, MARCH_15_2024),
        [0.75, 3.0, 4.0]
    );
    assert_eq!(date_features(-0.25, 0.0), [-0.25, 12.0, 2.0]);
    // A leap day.
    let Some(leap) = ISO.parse("2024-02-29") else {
        panic!("no parse");
    };
    assert_eq!(date_features(leap, leap), [0.0, 2.0, 3.0]);
}

#[test]
fn missing_or_huge_day_numbers_give_nan() {
    for days in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e12, -1e12] {
        let [offset, month, weekday] = date_features(days, 0.0);
        assert!(month.is_nan() && weekday.is_nan(), "{days}");
        assert_eq!(offset.is_nan(), days.is_nan(), "{days}");
    }
    assert!(date_features(0.0, f64::NAN)[0].is_nan());
}

// ---- description and saving ----

#[test]
fn descriptions_name_order_and_separator() {
    assert_eq!(ISO.describe(), "ISO date (YYYY-MM-DD)");
    assert_eq!(
        ISO_TIME.describe(),
        "ISO date and time (YYYY-MM-DD HH:MM:SS)"
    );
    assert_eq!(dmy('/').describe(), "day/month/year (DD/MM/YYYY)");
    assert_eq!(dmy('.').to_string(), "day.month.year (DD.MM.YYYY)");
    assert_eq!(mdy('-').describe(), "month-day-year (MM-DD-YYYY)");
    assert_eq!(ymd('/').describe(), "year/month/day (YYYY/MM/DD)");
}

#[test]
fn formats_round_trip_through_serde() {
    for format in CANDIDATES.iter().chain([&ISO_TIME]) {
        let Ok(text) = serde_json::to_string(format) else {
            panic!("{format:?} did not serialize");
        };
        let back: Result<DateFormat, _> = serde_json::from_str(&text);
        assert_eq!(back.ok().as_ref(), Some(format), "{text}");
    }
    // The saved form a model file holds.
    assert_eq!(
        serde_json::to_string(&dmy('/')).ok().as_deref(),
        Some(r#"{"DayMonthYear":{"sep":"/"}}"#)
    );
    assert_eq!(
        serde_json::to_string(&ISO).ok().as_deref(),
        Some(r#""IsoDate""#)
    );
}
