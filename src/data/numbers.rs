//! How a cell of a customer file reads as a number.
//!
//! Spreadsheets and data tools write numbers the local way: `1,234.50` in
//! the US and UK, `1.234,50` in much of Europe, `1 234,5` in France, with a
//! currency sign (`$2,310.75`, `12,50 €`), a trailing `%`, or an accounting
//! negative `(45.00)`. A cell alone is sometimes ambiguous (`1,234` is 1234
//! in one convention and 1.234 in the other), so the format is decided per
//! **column** from all its cells (`NumberColumn`), never cell by cell: a
//! column never mixes two readings.
//!
//! The value kept is the number as written: `15%` reads as 15 (percent
//! points) and `$45` as 45; what was stripped is recorded in the column's
//! [`NumberFormat`] so the user is told.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The character that separates a number's integer part from its decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalMark {
    /// `1,234.5` (thousands grouped by `,`, a space or `'`).
    #[default]
    Point,
    /// `1.234,5` (thousands grouped by `.` or a space).
    Comma,
}

impl DecimalMark {
    pub fn symbol(self) -> char {
        match self {
            DecimalMark::Point => '.',
            DecimalMark::Comma => ',',
        }
    }
}

/// What a numeric column's cells were written with, as recognised by the
/// reader; saved with a model so scored files are read the same way.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NumberFormat {
    pub decimal: DecimalMark,
    /// Whether some cells group thousands (`1,234`).
    #[serde(default)]
    pub grouped: bool,
    /// Currency signs stripped, e.g. `["$"]`.
    #[serde(default)]
    pub currency: Vec<String>,
    /// Whether some cells end in `%` (the value is kept in percent points).
    #[serde(default)]
    pub percent: bool,
    /// Whether some cells are accounting negatives such as `(45.00)`.
    #[serde(default)]
    pub parentheses: bool,
    /// Whether some cells showed the decimal mark (`3,5`, or `1.234` read
    /// one way): a column of whole numbers takes the file's mark without
    /// showing it, and the summary does not claim it.
    #[serde(default)]
    pub decimal_shown: bool,
}

impl NumberFormat {
    /// Whether the column needs nothing beyond plain `1234.5` numbers to
    /// be read again (a whole-number column of a decimal-comma file is not
    /// plain: a scored `1.234` there is 1234).
    pub fn is_plain(&self) -> bool {
        NumberFormat {
            decimal_shown: false,
            ..self.clone()
        } == NumberFormat::default()
    }

    /// What was recognised, for the column summary: `currency $ stripped,
    /// thousands separators`, `decimal comma`, `percent`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.decimal == DecimalMark::Comma && self.decimal_shown {
            parts.push("decimal comma".to_owned());
        }
        if self.grouped {
            parts.push("thousands separators".to_owned());
        }
        if !self.currency.is_empty() {
            parts.push(format!("currency {} stripped", self.currency.join(" ")));
        }
        if self.percent {
            parts.push("percent sign stripped (15% is 15)".to_owned());
        }
        if self.parentheses {
            parts.push("(x) read as -x".to_owned());
        }
        parts.join(", ")
    }

    /// Reads one trimmed, non-missing cell in this format; `None` when it is
    /// not a number here (`12.5` in a decimal-comma column).
    pub fn parse(&self, cell: &str) -> Option<f64> {
        let reading = read_cell_as(
            cell,
            self.decimal == DecimalMark::Point,
            self.decimal == DecimalMark::Comma,
        )?;
        match self.decimal {
            DecimalMark::Point => reading.point,
            DecimalMark::Comma => reading.comma,
        }
    }
}

/// A cell's value under each decimal mark, and the decorations around it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CellReading {
    pub point: Option<f64>,
    pub comma: Option<f64>,
    pub currency: Option<&'static str>,
    pub percent: bool,
    pub parentheses: bool,
    pub grouped: bool,
}

/// Currency signs recognised before or after a number.
const CURRENCY_SIGNS: [&str; 10] = ["$", "€", "£", "¥", "₹", "₩", "₽", "₺", "₪", "¢"];

/// Characters that group thousands besides `,` and `.`: a space, a
/// no-break space (Excel in French) and a narrow no-break space.
const SPACE_GROUPS: [char; 3] = [' ', '\u{a0}', '\u{202f}'];

/// Reads a trimmed cell as a number under both decimal marks; `None` when
/// it is no number under either (a word, a date, `1-2`).
#[cfg(test)]
pub(crate) fn read_cell(cell: &str) -> Option<CellReading> {
    read_cell_as(cell, true, true)
}

/// [`read_cell`] under the marks still in question only (a column that
/// has ruled one out skips its reading: most cells of a long column).
pub(crate) fn read_cell_as(cell: &str, point: bool, comma: bool) -> Option<CellReading> {
    let (want_point, want_comma) = (point, comma);
    // The common case first: a plain number (`12`, `-3.5`, `1e6`), the
    // same under both marks unless it has a point (then the comma reading
    // must treat the point as a thousands separator: `1.234` is 1234).
    if let Ok(x) = cell.parse::<f64>() {
        if !plausible_exponent(cell) {
            // `00e12345`, `7e000400`: customer references that only look
            // like scientific notation.
            return None;
        }
        let comma = if !want_comma {
            None
        } else if cell.contains('.') {
            parse_body(strip_sign(cell).1, DecimalMark::Comma).map(|v| signed(cell, v))
        } else {
            Some(x)
        };
        if !want_point && comma.is_none() {
            return None;
        }
        return Some(CellReading {
            point: want_point.then_some(x),
            comma,
            currency: None,
            percent: false,
            parentheses: false,
            grouped: false,
        });
    }
    // Rust's own parser also takes `inf`, `nan`, `infinity`: anything else
    // must start with a digit, sign, point, comma, parenthesis or currency.
    let mut rest = cell;
    let mut negative = false;
    let mut parentheses = false;
    if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        parentheses = true;
        negative = true;
        rest = inner.trim();
    }
    let mut percent = false;
    if let Some(r) = rest.strip_suffix('%') {
        percent = true;
        rest = r.trim_end();
    }
    let (sign_negative, r) = strip_sign(rest);
    negative ^= sign_negative;
    rest = r;
    let mut currency = None;
    for sign in CURRENCY_SIGNS {
        if let Some(r) = rest.strip_prefix(sign) {
            currency = Some(sign);
            rest = r.trim_start();
            break;
        }
        if let Some(r) = rest.strip_suffix(sign) {
            currency = Some(sign);
            rest = r.trim_end();
            break;
        }
    }
    if currency.is_some() {
        // `$-5`: the sign after the currency.
        let (n, r) = strip_sign(rest);
        if n && sign_negative {
            return None;
        }
        negative ^= n;
        rest = r;
    }
    if rest.is_empty()
        || !rest
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let point = if want_point {
        parse_body(rest, DecimalMark::Point)
    } else {
        None
    };
    let comma = if want_comma {
        parse_body(rest, DecimalMark::Comma)
    } else {
        None
    };
    if point.is_none() && comma.is_none() {
        return None;
    }
    let apply = |v: f64| if negative { -v } else { v };
    let grouped = has_grouping(rest);
    Some(CellReading {
        point: point.map(apply),
        comma: comma.map(apply),
        currency,
        percent,
        parentheses,
        grouped,
    })
}

/// Whether a number written with an exponent looks like one a program
/// wrote (`1.5E+03`, `2e-7`): the mantissa does not start with `00` and
/// the exponent has at most three digits.
fn plausible_exponent(cell: &str) -> bool {
    let Some(at) = cell.bytes().position(|b| b == b'e' || b == b'E') else {
        return true;
    };
    let (mantissa, exponent) = (&cell[..at], &cell[at + 1..]);
    let mantissa = mantissa.trim_start_matches(['-', '+']);
    let digits = exponent.trim_start_matches(['-', '+']);
    // `inf`, `infinity`: no exponent, Rust's own words.
    if mantissa.is_empty()
        || !mantissa
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
    {
        return true;
    }
    !mantissa.starts_with("00") && digits.len() <= 3
}

fn strip_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, text[1..].trim_start()),
        Some(b'+') => (false, text[1..].trim_start()),
        _ => (false, text),
    }
}

fn signed(cell: &str, v: f64) -> f64 {
    if cell.starts_with('-') { -v } else { v }
}

/// Whether the digits surely use a thousands separator: more than one
/// separator, or a space or `'` (never a decimal mark). A single `,` or `.`
/// before three digits is decided with the column's mark
/// ([`NumberColumn::finish`]).
fn has_grouping(body: &str) -> bool {
    let separators = body
        .chars()
        .filter(|c| matches!(c, ',' | '.' | '\'') || SPACE_GROUPS.contains(c))
        .count();
    separators > 1 || body.chars().any(|c| c == '\'' || SPACE_GROUPS.contains(&c))
}

/// Digits with an optional decimal part and optional thousands groups,
/// without sign or decorations, under `mark`. Grouping must be well formed
/// (`1,234,567`: one to three digits, then groups of exactly three, the
/// first group not starting with `0`) so that `3,5` is never 35.
fn parse_body(body: &str, mark: DecimalMark) -> Option<f64> {
    let decimal = mark.symbol();
    let (int, frac) = match body.rfind(decimal) {
        Some(i) => (&body[..i], Some(&body[i + decimal.len_utf8()..])),
        None => (body, None),
    };
    if let Some(frac) = frac
        && !(frac.bytes().all(|b| b.is_ascii_digit()) && (!frac.is_empty() || !int.is_empty()))
    {
        return None;
    }
    if int.is_empty() && frac.is_none_or(str::is_empty) {
        return None;
    }
    let digits: String = if int.bytes().all(|b| b.is_ascii_digit()) {
        int.to_owned()
    } else {
        let group = int.chars().find(|c| !c.is_ascii_digit())?;
        let allowed = match mark {
            DecimalMark::Point => group == ',' || group == '\'' || SPACE_GROUPS.contains(&group),
            DecimalMark::Comma => group == '.' || SPACE_GROUPS.contains(&group),
        };
        if !allowed || !well_grouped(int, group) {
            return None;
        }
        int.chars().filter(char::is_ascii_digit).collect()
    };
    let mut plain = if digits.is_empty() {
        "0".to_owned()
    } else {
        digits
    };
    if let Some(frac) = frac
        && !frac.is_empty()
    {
        plain.push('.');
        plain.push_str(frac);
    }
    plain.parse().ok()
}

/// `1,234,567` with `group` = `,`: one to three digits (not a lone `0`
/// leading), then groups of exactly three.
fn well_grouped(int: &str, group: char) -> bool {
    let mut parts = int.split(group);
    let first_ok = parts.next().is_some_and(|g| {
        !g.is_empty()
            && g.len() <= 3
            && g.bytes().all(|b| b.is_ascii_digit())
            && !g.starts_with('0')
    });
    let mut rest = 0;
    for part in parts {
        if !(part.len() == 3 && part.bytes().all(|b| b.is_ascii_digit())) {
            return false;
        }
        rest += 1;
    }
    first_ok && rest > 0
}

/// How many stray cells are kept with their place, for the note and for
/// turning the column into text without reading the file again.
pub(crate) const STRAY_KEEP: usize = 32;
/// More distinct non-number words than this: the column is text.
pub(crate) const MAX_STRAY_WORDS: usize = 3;

/// A cell that is not a number in a column that otherwise is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stray {
    pub row: usize,
    pub line: u64,
    pub text: String,
}

/// What happened to a pushed cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    Number,
    Stray,
}

/// One column's cells while the file streams by, kept as numbers with the
/// evidence for the column's format.
#[derive(Debug, Default)]
pub(crate) struct NumberColumn {
    /// One value per row; `NaN` for missing, stray and (until the end)
    /// ambiguous cells.
    pub values: Vec<f64>,
    pub point_ok: bool,
    pub comma_ok: bool,
    /// Cells that read differently under the two marks while both were
    /// possible: `(row, point reading, comma reading, text)`.
    pub ambiguous: Vec<(usize, f64, f64)>,
    /// The first ambiguous cell's text, for the note.
    pub ambiguous_example: Option<String>,
    pub numbers: usize,
    pub strays: usize,
    pub stray_samples: Vec<Stray>,
    pub stray_words: Vec<String>,
    pub currency: BTreeMap<&'static str, usize>,
    pub percent: usize,
    pub parentheses: usize,
    pub grouped: usize,
    /// The first number that is not finite (`1e400`), with its line.
    pub first_non_finite: Option<(u64, String)>,
    /// Cells of digits only that start with `0` (`01933`, `0011`): codes,
    /// whose zeros a number would lose.
    pub leading_zeros: usize,
    /// Numbers written with anything but digits (`-3`, `1.5`, `$4`).
    pub other_numbers: bool,
}

impl NumberColumn {
    pub fn new() -> NumberColumn {
        NumberColumn {
            point_ok: true,
            comma_ok: true,
            ..NumberColumn::default()
        }
    }

    /// Adds one trimmed, non-missing cell.
    pub fn push(&mut self, cell: &str, line: u64) -> Pushed {
        let row = self.values.len();
        let Some(reading) = read_cell_as(cell, self.point_ok, self.comma_ok) else {
            return self.push_stray(cell, line);
        };
        let value = match (self.point_ok, self.comma_ok, reading.point, reading.comma) {
            (true, true, Some(p), Some(c)) if p == c || (p.is_nan() && c.is_nan()) => p,
            (true, true, Some(p), Some(c)) => {
                self.ambiguous.push((row, p, c));
                if self.ambiguous_example.is_none() {
                    self.ambiguous_example = Some(cell.to_owned());
                }
                f64::NAN
            }
            (true, true, Some(p), None) => {
                self.comma_ok = false;
                p
            }
            (true, true, None, Some(c)) => {
                self.point_ok = false;
                c
            }
            (true, false, Some(p), _) => p,
            (false, true, _, Some(c)) => c,
            // Only readable under the mark the column has ruled out: the
            // column would mix two readings, so this cell is not a number.
            _ => return self.push_stray(cell, line),
        };
        if !value.is_finite() && !value.is_nan() && self.first_non_finite.is_none() {
            self.first_non_finite = Some((line, cell.to_owned()));
        }
        if let Some(sign) = reading.currency {
            *self.currency.entry(sign).or_default() += 1;
        }
        // Once a number with a point or sign is seen, leading zeros no
        // longer decide anything: skip the scan.
        if !self.other_numbers {
            if cell.bytes().all(|b| b.is_ascii_digit()) {
                self.leading_zeros += usize::from(cell.len() > 1 && cell.starts_with('0'));
            } else {
                self.other_numbers = true;
            }
        }
        self.percent += usize::from(reading.percent);
        self.parentheses += usize::from(reading.parentheses);
        self.grouped += usize::from(reading.grouped);
        self.values.push(value);
        self.numbers += 1;
        Pushed::Number
    }

    pub fn push_missing(&mut self) {
        self.values.push(f64::NAN);
    }

    fn push_stray(&mut self, cell: &str, line: u64) -> Pushed {
        let row = self.values.len();
        self.values.push(f64::NAN);
        self.strays += 1;
        if self.stray_samples.len() < STRAY_KEEP {
            self.stray_samples.push(Stray {
                row,
                line,
                text: cell.to_owned(),
            });
        }
        if !self.stray_words.iter().any(|w| w == cell) && self.stray_words.len() <= MAX_STRAY_WORDS
        {
            self.stray_words.push(cell.to_owned());
        }
        Pushed::Stray
    }

    /// Whether the column has shown itself to be text: too many different
    /// words, or more words than a tenth of its numbers (checked once a few
    /// dozen words are in, so a short run of words at the top does not
    /// decide a long file).
    pub fn is_text(&self) -> bool {
        self.stray_words.len() > MAX_STRAY_WORDS
            || (self.strays >= STRAY_KEEP && self.strays * 10 > self.numbers)
    }

    /// The same at the end of the file, when every cell is in; also a
    /// column of digit codes with leading zeros (zip codes, account
    /// numbers), kept as written rather than as numbers.
    pub fn is_text_at_end(&self) -> bool {
        let words = self.strays > 0
            && (self.numbers == 0
                || self.stray_words.len() > MAX_STRAY_WORDS
                || self.strays * 10 > self.numbers);
        words || (self.leading_zeros > 0 && !self.other_numbers)
    }

    /// Whether turning it into text now loses nothing: no number was kept
    /// and every word is still at hand.
    pub fn can_become_text_losslessly(&self) -> bool {
        self.numbers == 0 && self.strays <= STRAY_KEEP
    }

    /// The evidence this column gives for a decimal mark: `Some(mark)` when
    /// a cell ruled the other one out.
    pub fn evidence(&self) -> Option<DecimalMark> {
        match (self.point_ok, self.comma_ok) {
            (true, false) => Some(DecimalMark::Point),
            (false, true) => Some(DecimalMark::Comma),
            _ => None,
        }
    }

    /// Fills the ambiguous cells with `mark`'s reading and gives the
    /// column's values and format.
    pub fn finish(mut self, mark: DecimalMark) -> (Vec<f64>, NumberFormat) {
        for &(row, p, c) in &self.ambiguous {
            self.values[row] = match mark {
                DecimalMark::Point => p,
                DecimalMark::Comma => c,
            };
        }
        // A single separator followed by three digits is a thousands group
        // exactly when the mark is the other one.
        let grouped_by_ambiguity = !self.ambiguous.is_empty();
        let format = NumberFormat {
            decimal: mark,
            grouped: self.grouped > 0
                || (grouped_by_ambiguity
                    && match mark {
                        DecimalMark::Point => self
                            .ambiguous_example
                            .as_deref()
                            .is_some_and(|e| e.contains(',')),
                        DecimalMark::Comma => self
                            .ambiguous_example
                            .as_deref()
                            .is_some_and(|e| e.contains('.')),
                    }),
            currency: self.currency.keys().map(|s| (*s).to_owned()).collect(),
            percent: self.percent > 0,
            parentheses: self.parentheses > 0,
            decimal_shown: self.evidence().is_some() || grouped_by_ambiguity,
        };
        (self.values, format)
    }
}

#[cfg(test)]
mod tests;
