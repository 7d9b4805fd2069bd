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
mod tests;
