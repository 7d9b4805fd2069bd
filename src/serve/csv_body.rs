//! A `text/csv` request body cut into customers' cells: lines (with
//! their 1-based numbers) split outside quotes, each read by one reused
//! `csv_core` state machine into one flat buffer of cells ([`Cells`]).
//!
//! Flat because a 1,000-line request allocated a `csv::ByteRecord` (two
//! zeroed buffers) per line, the largest item of its profile after the
//! forward pass.

use super::request::{BodyFormat, Place, RequestError};

/// The cells of a body's records, row-major in one buffer: `width` cells
/// per record.
#[derive(Debug, Default)]
pub(crate) struct Cells {
    bytes: Vec<u8>,
    /// Where each cell ends in `bytes`, in record order.
    ends: Vec<usize>,
    width: usize,
}

impl Cells {
    /// No records yet, `width` cells each.
    pub(crate) fn new(width: usize) -> Cells {
        Cells {
            width,
            ..Cells::default()
        }
    }

    /// Appends one cell; a record is complete after `width` of them.
    pub(crate) fn push_cell(&mut self, cell: &[u8]) {
        self.bytes.extend_from_slice(cell);
        self.ends.push(self.bytes.len());
    }

    /// The number of complete records.
    pub(crate) fn len(&self) -> usize {
        self.ends.len().checked_div(self.width).unwrap_or(0)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cell `column` of `record` (empty past the end).
    pub(crate) fn get(&self, record: usize, column: usize) -> &[u8] {
        let at = record * self.width + column;
        let start = if at == 0 {
            0
        } else {
            self.ends.get(at - 1).copied().unwrap_or(0)
        };
        let end = self.ends.get(at).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// Column `column`'s cells, one per record, in order.
    pub(crate) fn column(&self, column: usize) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(move |record| self.get(record, column))
    }
}

/// The CSV body's records, each of exactly `names.len()` fields, with
/// their lines. The body is cut into records at line ends outside quotes
/// (the csv crate skips empty lines and counts lines lazily, so it cannot
/// say which line a record came from); each is then read as CSV. An empty
/// line between customers is refused: for a one-column model it is a
/// customer with a missing value, and guessing either way could shift
/// every answer after it.
pub(crate) fn csv_records(
    body: &[u8],
    names: &[String],
) -> Result<(Cells, Vec<u64>), RequestError> {
    let mut cells = Cells::new(names.len());
    let mut lines = Vec::new();
    let pieces = split_records(body);
    let last = pieces.len().saturating_sub(1);
    // One CSV state machine for the whole body: building one costs more
    // than reading a customer's line (it was 80% of a 1,000-line request).
    let mut pieces_reader = PieceReader::new(pieces.iter().map(|(_, p)| p.len()).max());
    for (index, (line, piece)) in pieces.into_iter().enumerate() {
        let place = Place {
            format: BodyFormat::Csv,
            record: line,
            column: None,
        };
        let refuse = |message: String| RequestError::Record {
            place: place.clone(),
            message,
        };
        if piece.is_empty() {
            if index == last {
                break;
            }
            return Err(refuse(
                "the line is empty; send one customer per line (an empty cell is a missing value)"
                    .to_owned(),
            ));
        }
        let fields = match pieces_reader.read(piece) {
            PieceRead::One(fields) => fields,
            PieceRead::None => return Err(refuse("no values".to_owned())),
            PieceRead::Several => {
                return Err(refuse(
                    "more than one customer in one line (check the quotes)".to_owned(),
                ));
            }
        };
        if fields != names.len() {
            return Err(refuse(format!(
                "{fields} value{} but the model takes {}, in this order: {}",
                if fields == 1 { "" } else { "s" },
                names.len(),
                names.join(", ")
            )));
        }
        pieces_reader.append_to(fields, &mut cells);
        lines.push(line);
    }
    Ok((cells, lines))
}

/// Whether the first record of `cells` holds the model's column names (trimmed, any case)
/// in training order: a header the contract does not take.
pub(crate) fn looks_like_header(cells: &Cells, names: &[String]) -> bool {
    !cells.is_empty()
        && names.iter().enumerate().all(|(column, name)| {
            String::from_utf8_lossy(cells.get(0, column))
                .trim()
                .eq_ignore_ascii_case(name)
        })
}

/// Reads the records of one piece of the body at a time with one
/// `csv_core` state machine (RFC 4180 quoting, `,` delimiter, as
/// `csv::Reader` reads a file), reset between pieces.
struct PieceReader {
    core: csv_core::Reader,
    /// Unquoted field bytes of the record being read; a record's fields
    /// never take more bytes than its input, so `longest + 1` suffices.
    output: Vec<u8>,
    /// Where each field ends in `output`; at most one per input byte, plus one.
    ends: Vec<usize>,
}

impl PieceReader {
    fn new(longest: Option<usize>) -> PieceReader {
        let longest = longest.unwrap_or(0);
        PieceReader {
            core: csv_core::ReaderBuilder::new().build(),
            output: vec![0; longest + 1],
            ends: vec![0; longest + 2],
        }
    }

    /// Reads `piece`: its first record stays in the reader (for
    /// [`PieceReader::append_to`]) and the answer says how many fields it
    /// has, or that the piece held no record or more than one.
    fn read(&mut self, piece: &[u8]) -> PieceRead {
        use csv_core::ReadRecordResult;
        self.core.reset();
        if self.output.len() <= piece.len() {
            self.output.resize(piece.len() + 1, 0);
            self.ends.resize(piece.len() + 2, 0);
        }
        let mut input = piece;
        let (mut out, mut end) = (0, 0);
        let mut first: Option<usize> = None;
        loop {
            let (result, n_in, n_out, n_end) =
                self.core
                    .read_record(input, &mut self.output[out..], &mut self.ends[end..]);
            input = &input[n_in..];
            out += n_out;
            end += n_end;
            match result {
                // An empty `input` on the next call tells the reader the
                // piece has ended, which completes its last record.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::Record => {
                    if first.is_some() {
                        return PieceRead::Several;
                    }
                    first = Some(end);
                    // Later records (if any) are only counted: write them
                    // after the first one's fields.
                }
                // Cannot happen with buffers as long as the input; stop
                // rather than loop if it ever did.
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => break,
                ReadRecordResult::End => break,
            }
        }
        match first {
            Some(fields) => PieceRead::One(fields),
            None => PieceRead::None,
        }
    }

    /// Appends the last [`PieceReader::read`]'s first record, of `fields`
    /// fields (what `read` answered), to `cells`.
    fn append_to(&self, fields: usize, cells: &mut Cells) {
        let mut start = 0;
        for &field_end in &self.ends[..fields] {
            cells.push_cell(&self.output[start..field_end]);
            start = field_end;
        }
    }
}

/// What one piece of the body held.
enum PieceRead {
    /// One record of this many fields.
    One(usize),
    None,
    Several,
}

/// The body cut at line ends outside quoted fields: `\n`, `\r\n`, or a
/// `\r` alone (old Mac files, which `predict` reads too), as
/// `(1-based line of its start, bytes)`. A quote opens a quoted field only
/// at the start of a field, as RFC 4180 and the csv crate read it (`D"SL`
/// is a plain value); inside one a doubled quote is a quote, and its line
/// ends stay in the record.
fn split_records(body: &[u8]) -> Vec<(u64, &[u8])> {
    /// Where the scan is within a record.
    #[derive(Clone, Copy, PartialEq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        /// A quote inside a quoted field: its end, or the first of `""`.
        QuoteInQuoted,
    }
    let mut pieces = Vec::new();
    let mut at = At::FieldStart;
    let mut start = 0;
    let mut start_line = 1u64;
    let mut line = 1u64;
    let mut i = 0;
    while i < body.len() {
        let byte = body[i];
        // `\r\n` is one line end, inside quotes too.
        let width = if byte == b'\r' && body.get(i + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        if byte == b'\n' || byte == b'\r' {
            line += 1;
        }
        at = match (at, byte) {
            (At::Quoted, b'"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted | At::FieldStart, b'"') => At::Quoted,
            (_, b',') => At::FieldStart,
            (_, b'\n' | b'\r') => {
                pieces.push((start_line, &body[start..i]));
                start = i + width;
                start_line = line;
                At::FieldStart
            }
            _ => At::Unquoted,
        };
        i += width;
    }
    pieces.push((start_line, &body[start..]));
    pieces
}
