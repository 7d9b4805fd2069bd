//! Date and date-time columns: recognising them and turning cells into numbers.
//!
//! Read as text, a date column would become one category per distinct day:
//! thousands of one-hot inputs that say nothing about order or season, and
//! unseen levels for every later day. Recognised here, it becomes three
//! numeric features instead ([`DATE_PARTS`]): days since the earliest
//! training date, the month and the weekday.
//!
//! [`detect`] looks at a text column's cells once and names the single
//! [`DateFormat`] they are written in; [`DateFormat::parse`] turns one cell
//! into a day number (days since 1970-01-01, the time of day as a fraction);
//! [`date_features`] turns a day number into the feature values. Everything
//! is pure: no I/O, no global state.
//!
//! Cells are split by hand (digits and separators) before `chrono` is asked
//! whether the day exists, because a column may have a million cells and
//! most text columns are refused at their first byte that is not a digit.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The numeric features a date column becomes, in this order; a feature's
/// name is the column name, `:` and the part (`signup:days`).
///
/// - `days`: days since the earliest training date (the origin), with the
///   time of day as a fraction;
/// - `month`: 1 (January) to 12 (December);
/// - `weekday`: 0 (Monday) to 6 (Sunday).
pub const DATE_PARTS: [&str; 3] = ["days", "month", "weekday"];

/// `chrono`'s day number (days from the common era, 0001-01-01 being 1) of
/// 1970-01-01, the day the numbers here count from.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// Shortest cell that can be a date: `1/1/2024`, `2024-1-1`.
const MIN_CELL_LEN: usize = 8;

/// Longest cell that can be a date; the longest accepted form,
/// `2024-03-15T10:22:00.123456789+01:00`, has 35 bytes. Longer text is
/// refused before any byte is looked at.
const MAX_CELL_LEN: usize = 40;

/// How a column's dates are written. Saved in a model file, so that cells
/// read at prediction time are parsed the way the training column was.
///
/// Every format has a four-digit year (two-digit years are refused: `03/04/05`
/// has no safe reading) and may be followed by a time of day, after a space
/// or a `T`: `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` (up to nine fraction
/// digits, `.` or `,`), the hour with one or two digits, then optionally
/// `AM`/`PM` (with or without a space before it; the hour is then 1 to 12)
/// or a UTC offset (`Z`, `+01:00`, `-0500`, `+01`). An offset is checked
/// and then ignored: the time is kept as written, local to the customer,
/// because the features (day, month, weekday) are about the customer's own
/// calendar, and shifting to UTC would move late-evening events to another
/// day.
///
/// Month and day may be written with one or two digits in every format
/// (`2024-3-5`, `5/3/2024`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// `2024-03-15`: year, month, day with `-`. [`detect`] names this when no
    /// cell has a time of day.
    IsoDate,
    /// `2024-03-15 10:22`, `2024-03-15T10:22:00.5+01:00`: the same dates as
    /// [`DateFormat::IsoDate`]; [`detect`] names this when some cell has a
    /// time of day. Cells without a time still parse (as midnight).
    IsoDateTime,
    /// `15/03/2024`, `15.03.2024`, `15-03-2024`: day, month, year.
    DayMonthYear {
        /// The separator between the parts: `/`, `.` or `-`.
        sep: char,
    },
    /// `03/15/2024`: month, day, year (United States).
    MonthDayYear {
        /// The separator between the parts: `/`, `.` or `-`.
        sep: char,
    },
    /// `2024/03/15`, `2024.03.15`: year, month, day with another separator
    /// than ISO's `-` ([`detect`] names `-` year-first dates
    /// [`DateFormat::IsoDate`], though `YearMonthDay { sep: '-' }` parses
    /// them too, only without the ISO name).
    YearMonthDay {
        /// The separator between the parts: `/` or `.`.
        sep: char,
    },
}

impl DateFormat {
    /// A short description for the user, naming the order of the parts and
    /// the separator: `"ISO date (YYYY-MM-DD)"`, `"day/month/year
    /// (DD/MM/YYYY)"`.
    pub fn describe(&self) -> String {
        match *self {
            DateFormat::IsoDate => "ISO date (YYYY-MM-DD)".to_owned(),
            DateFormat::IsoDateTime => "ISO date and time (YYYY-MM-DD HH:MM:SS)".to_owned(),
            DateFormat::DayMonthYear { sep } => {
                format!("day{sep}month{sep}year (DD{sep}MM{sep}YYYY)")
            }
            DateFormat::MonthDayYear { sep } => {
                format!("month{sep}day{sep}year (MM{sep}DD{sep}YYYY)")
            }
            DateFormat::YearMonthDay { sep } => {
                format!("year{sep}month{sep}day (YYYY{sep}MM{sep}DD)")
            }
        }
    }

    /// The day number of one cell in this format: days since 1970-01-01
    /// (negative before it), plus the time of day as a fraction of a day
    /// (`2024-03-15 18:00` is `19797.75`). Leading and trailing whitespace
    /// is ignored.
    ///
    /// `None` when the cell is not written in this format (another order or
    /// separator, a two-digit year, text around the date, a malformed time)
    /// or names a day or time that does not exist (`2023-02-29`,
    /// `2024-04-31`, `25:00`, `13:00 PM`).
    pub fn parse(&self, cell: &str) -> Option<f64> {
        self.day_number(&lex(cell)?)
    }

    /// The day number of an already split cell, or `None` when its shape
    /// is not this format's or the day does not exist. [`detect`] calls
    /// this too, so a cell it counts as parsed is one [`DateFormat::parse`]
    /// accepts.
    fn day_number(&self, cell: &Lexed) -> Option<f64> {
        let [first, second, third] = cell.parts;
        let year_first = cell.lens[0] == 4;
        let (year, month, day) = match *self {
            DateFormat::IsoDate | DateFormat::IsoDateTime if year_first && cell.sep == b'-' => {
                (first, second, third)
            }
            DateFormat::YearMonthDay { sep } if year_first && char::from(cell.sep) == sep => {
                (first, second, third)
            }
            DateFormat::DayMonthYear { sep } if !year_first && char::from(cell.sep) == sep => {
                (third, second, first)
            }
            DateFormat::MonthDayYear { sep } if !year_first && char::from(cell.sep) == sep => {
                (third, first, second)
            }
            _ => return None,
        };
        let days = days_since_epoch(year, month, day)?;
        Some(f64::from(days) + cell.seconds / SECONDS_PER_DAY)
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// What [`detect`] found in a date column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateDetection {
    /// The one format the column is read in.
    pub format: DateFormat,
    /// True when the cells did not decide between day-first and month-first
    /// (every cell fits both, as `03/04/2024` does, or as many cells fit only
    /// one order as fit only the other) and day-first was chosen by default.
    /// The user should be told, since month-first would give other dates.
    pub ambiguous_order: bool,
    /// Indices into the given cells of those that do not parse in `format`,
    /// ascending; at most a tenth of the cells. The caller treats them as
    /// missing (and may tell the user about them).
    pub unparsed: Vec<usize>,
}

/// The candidate formats [`detect`] counts, by slot. Day-first comes before
/// month-first with the same separator, so a tie between them goes to
/// day-first.
const CANDIDATES: [DateFormat; 9] = [
    DateFormat::IsoDate,
    DateFormat::YearMonthDay { sep: '/' },
    DateFormat::YearMonthDay { sep: '.' },
    DateFormat::DayMonthYear { sep: '/' },
    DateFormat::DayMonthYear { sep: '.' },
    DateFormat::DayMonthYear { sep: '-' },
    DateFormat::MonthDayYear { sep: '/' },
    DateFormat::MonthDayYear { sep: '.' },
    DateFormat::MonthDayYear { sep: '-' },
];

/// Slot of [`DateFormat::IsoDate`] in [`CANDIDATES`].
const ISO_SLOT: usize = 0;

/// Slots of day-first formats; the month-first format with the same
/// separator is `MONTH_FIRST_OFFSET` slots later.
const DAY_FIRST_SLOTS: std::ops::RangeInclusive<usize> = 3..=5;
const MONTH_FIRST_OFFSET: usize = 3;

/// The slots in [`CANDIDATES`] a split cell could parse in: its leading
/// year (or not) and its separator leave one format, or two when only the
/// order of day and month is open. This is the cheap shape check that keeps
/// [`detect`] from trying all nine formats on every cell.
fn candidate_slots(cell: &Lexed) -> &'static [usize] {
    match (cell.lens[0] == 4, cell.sep) {
        (true, b'-') => &[0],
        (true, b'/') => &[1],
        (true, b'.') => &[2],
        (false, b'/') => &[3, 6],
        (false, b'.') => &[4, 7],
        (false, b'-') => &[5, 8],
        // `lex` only accepts the three separators above.
        _ => &[],
    }
}

/// Decides whether a text column holds dates, and in which format.
///
/// `cells` are the column's non-missing cells (trimmed). Returns `Some`
/// when the column is a date column:
///
/// - it has at least 3 cells;
/// - at least 90% of them parse in one single [`DateFormat`] (formats are
///   never mixed: the cells of other formats, and impossible days such as
///   `2023-02-30`, are listed in [`DateDetection::unparsed`]);
/// - every parsed cell really has a date's shape: three numbers with one
///   kind of separator and a four-digit year, so plain numbers (`20240315`,
///   `2024`, `3.5`) are never dates.
///
/// Day-first and month-first are told apart by the cells whose first or
/// second part is above 12; when both kinds occur the order that parses
/// more cells wins. When nothing decides (every cell fits both, or a tie),
/// day-first is chosen and [`DateDetection::ambiguous_order`] is set. A
/// year-first column with `-` is [`DateFormat::IsoDateTime`] when any of its
/// parsed cells has a time of day, [`DateFormat::IsoDate`] otherwise.
///
/// Each cell is split once; a column with more than a tenth of cells that
/// fit no format is refused as soon as that is certain, so an ordinary text
/// column costs little. Memory: two bytes per cell while it runs.
pub fn detect(cells: &[&str]) -> Option<DateDetection> {
    let total = cells.len();
    if total < 3 {
        return None;
    }
    // At least 90% must parse: 10 * parsed >= 9 * total, so at most this
    // many cells may fit no format before the column is certainly refused.
    let needed = needed_parsed(total);
    let allowed_failures = total - needed;

    let mut counts = [0_usize; CANDIDATES.len()];
    // Parsed ISO cells that have a time of day: they make the column
    // `IsoDateTime`.
    let mut iso_with_time = 0_usize;
    let mut failures = 0_usize;
    // Per cell, a bit per slot it parses in: the unparsed list for the
    // chosen format is then read off without splitting any cell again.
    let mut fits: Vec<u16> = Vec::with_capacity(total);

    for cell in cells {
        let mut mask = 0_u16;
        if let Some(lexed) = lex(cell) {
            for &slot in candidate_slots(&lexed) {
                if CANDIDATES[slot].day_number(&lexed).is_some() {
                    mask |= 1 << slot;
                    counts[slot] += 1;
                    if slot == ISO_SLOT && lexed.has_time {
                        iso_with_time += 1;
                    }
                }
            }
        }
        if mask == 0 {
            failures += 1;
            if failures > allowed_failures {
                return None;
            }
        }
        fits.push(mask);
    }

    // The first slot with the highest count: strict `>` keeps day-first on
    // a tie with month-first.
    let mut best = 0;
    for (slot, &count) in counts.iter().enumerate() {
        if count > counts[best] {
            best = slot;
        }
    }
    if counts[best] < needed {
        return None;
    }

    let format = if best == ISO_SLOT && iso_with_time > 0 {
        DateFormat::IsoDateTime
    } else {
        CANDIDATES[best]
    };
    let ambiguous_order =
        DAY_FIRST_SLOTS.contains(&best) && counts[best] == counts[best + MONTH_FIRST_OFFSET];
    let bit = 1_u16 << best;
    let unparsed = fits
        .iter()
        .enumerate()
        .filter(|&(_, &mask)| mask & bit == 0)
        .map(|(index, _)| index)
        .collect();
    Some(DateDetection {
        format,
        ambiguous_order,
        unparsed,
    })
}

/// The fewest parsed cells out of `total` that make a date column: 90%,
/// rounded up (`10 * parsed >= 9 * total`).
fn needed_parsed(total: usize) -> usize {
    // 9 * total / 10 rounded up, without overflowing for huge totals.
    total - total / 10
}

/// The feature values ([`DATE_PARTS`]) of one day number.
///
/// `days` is a day number from [`DateFormat::parse`] (days since
/// 1970-01-01, fraction allowed); `origin` is the earliest training date in
/// the same unit. Returns `[days - origin, month (1 to 12), weekday (0 =
/// Monday to 6 = Sunday)]`; month and weekday are those of the day the
/// fraction falls in (`floor(days)`).
///
/// A missing cell (`NaN`) gives `NaN` in all three, so imputation treats it
/// like any other missing value; a day number outside the calendar `chrono`
/// knows (about ±262,000 years) gives `NaN` month and weekday.
pub fn date_features(days: f64, origin: f64) -> [f64; 3] {
    let offset = days - origin;
    match date_of(days) {
        Some(date) => [
            offset,
            f64::from(date.month()),
            f64::from(date.weekday().num_days_from_monday()),
        ],
        None => [offset, f64::NAN, f64::NAN],
    }
}

/// A day number (days since 1970-01-01) as `YYYY-MM-DD`, for summaries;
/// the number itself when it is outside the calendar.
pub fn format_day(days: f64) -> String {
    date_of(days).map_or_else(|| format!("{days}"), |d| d.format("%Y-%m-%d").to_string())
}

/// The calendar day a day number falls in, or `None` when it is not finite
/// or outside `chrono`'s range.
fn date_of(days: f64) -> Option<NaiveDate> {
    if !days.is_finite() {
        return None;
    }
    let whole = days.floor();
    if whole < f64::from(i32::MIN) || whole > f64::from(i32::MAX) {
        return None;
    }
    // In range (checked above) and whole, so the cast is exact.
    let whole = whole as i32;
    NaiveDate::from_num_days_from_ce_opt(whole.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?)
}

/// Days from 1970-01-01 to a calendar day, or `None` when the day does not
/// exist (month 13, 31 April, 29 February outside leap years, day 0).
fn days_since_epoch(year: u32, month: u32, day: u32) -> Option<i32> {
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE)
}

/// A cell split into its parts, before any format or calendar check.
#[derive(Clone, Copy, Debug)]
struct Lexed {
    /// The date's three numbers in the order written.
    parts: [u32; 3],
    /// How many digits each had: either `[4, 1..=2, 1..=2]` (year first) or
    /// `[1..=2, 1..=2, 4]` (year last).
    lens: [usize; 3],
    /// The separator between them (both are the same): `-`, `/` or `.`.
    sep: u8,
    /// Seconds since midnight, 0 when there is no time.
    seconds: f64,
    /// Whether a time of day followed the date.
    has_time: bool,
}

/// Reads bytes left to right; every method consumes only on success of the
/// byte it looks at, so a failed `eat` leaves the position unchanged.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn next_byte(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// One to `max` ASCII digits (at most 9, so the value fits a `u32`):
    /// their value and count, or `None` when there is no digit. Stops after
    /// `max` digits; a further digit is then left for the caller, whose next
    /// expected byte fails, so `20240315` is never read as a year.
    fn digits(&mut self, max: usize) -> Option<(u32, usize)> {
        let start = self.pos;
        let mut value = 0_u32;
        while self.pos - start < max {
            match self.peek() {
                Some(byte @ b'0'..=b'9') => {
                    value = value * 10 + u32::from(byte - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        let count = self.pos - start;
        (count > 0).then_some((value, count))
    }

    /// Exactly `count` digits.
    fn exact_digits(&mut self, count: usize) -> Option<u32> {
        match self.digits(count)? {
            (value, read) if read == count => Some(value),
            _ => None,
        }
    }
}

/// Splits a cell into date parts and time, checking only the shape (and
/// that the time of day exists); whether the day exists depends on the
/// order, which is the format's business.
fn lex(cell: &str) -> Option<Lexed> {
    let bytes = cell.trim().as_bytes();
    if !(MIN_CELL_LEN..=MAX_CELL_LEN).contains(&bytes.len()) {
        return None;
    }
    let mut cursor = Cursor { bytes, pos: 0 };
    let (first, first_len) = cursor.digits(4)?;
    let sep = cursor.next_byte()?;
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    let (second, second_len) = cursor.digits(2)?;
    if !cursor.eat(sep) {
        return None;
    }
    let (third, third_len) = cursor.digits(4)?;
    let year_first = first_len == 4 && third_len <= 2;
    let year_last = first_len <= 2 && third_len == 4;
    if !(year_first || year_last) {
        return None;
    }
    let (seconds, has_time) = if cursor.at_end() {
        (0.0, false)
    } else {
        match cursor.next_byte()? {
            b' ' | b'T' => (time_of_day(&mut cursor)?, true),
            _ => return None,
        }
    };
    if !cursor.at_end() {
        return None;
    }
    Some(Lexed {
        parts: [first, second, third],
        lens: [first_len, second_len, third_len],
        sep,
        seconds,
        has_time,
    })
}

/// `H:MM`, `HH:MM:SS`, `HH:MM:SS.fff`, then optionally `AM`/`PM` or a UTC
/// offset: the seconds since midnight, or `None` for a malformed or
/// impossible time (hour 24, minute 60, second 60: leap seconds are too
/// rare in customer data to be worth a special case).
fn time_of_day(cursor: &mut Cursor<'_>) -> Option<f64> {
    let (hour, _) = cursor.digits(2)?;
    if !cursor.eat(b':') {
        return None;
    }
    let minute = cursor.exact_digits(2)?;
    let mut second = 0.0;
    if cursor.eat(b':') {
        let whole = cursor.exact_digits(2)?;
        if whole > 59 {
            return None;
        }
        second = f64::from(whole);
        if cursor.eat(b'.') || cursor.eat(b',') {
            let (fraction, len) = cursor.digits(9)?;
            // `len` is at most 9, so the exponent is exact.
            second += f64::from(fraction) / 10_f64.powi(len as i32);
        }
    }
    if minute > 59 {
        return None;
    }
    let hour = match cursor.peek() {
        Some(b'Z') => {
            cursor.pos += 1;
            hour
        }
        Some(b'+' | b'-') => {
            cursor.pos += 1;
            utc_offset(cursor)?;
            hour
        }
        Some(b' ' | b'A' | b'a' | b'P' | b'p') => twelve_hour(cursor, hour)?,
        _ => hour,
    };
    if hour > 23 {
        return None;
    }
    Some(f64::from(hour * 3600 + minute * 60) + second)
}

/// The `HH`, `HH:MM` or `HHMM` of an offset after its sign. It is only
/// checked, not applied (see [`DateFormat`]).
fn utc_offset(cursor: &mut Cursor<'_>) -> Option<()> {
    let hours = cursor.exact_digits(2)?;
    let minutes = if cursor.eat(b':') || cursor.peek().is_some_and(|b| b.is_ascii_digit()) {
        cursor.exact_digits(2)?
    } else {
        0
    };
    (hours <= 23 && minutes <= 59).then_some(())
}

/// ` AM`/` PM` (any case, the space optional) after an hour of 1 to 12: the
/// hour on the 24-hour clock (12 AM is 0, 12 PM is 12).
fn twelve_hour(cursor: &mut Cursor<'_>, hour: u32) -> Option<u32> {
    cursor.eat(b' ');
    let afternoon = match cursor.next_byte()?.to_ascii_uppercase() {
        b'A' => false,
        b'P' => true,
        _ => return None,
    };
    if !cursor.next_byte()?.eq_ignore_ascii_case(&b'M') || !(1..=12).contains(&hour) {
        return None;
    }
    Some(hour % 12 + if afternoon { 12 } else { 0 })
}

#[cfg(test)]
mod tests {
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
}
