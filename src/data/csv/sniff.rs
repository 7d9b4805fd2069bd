//! What the first bytes of a file say about its layout: encoding, BOM,
//! Excel's `sep=` line, old-Mac line ends, the delimiter.

use super::CsvError;

/// How much of the file is inspected up front.
pub(super) const SNIFF_BYTES: usize = 64 * 1024;

/// The layout of a file, decided from its first [`SNIFF_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// Where the text starts (after a UTF-8 BOM).
    pub body_start: usize,
    pub delimiter: u8,
    /// The first line is Excel's `sep=;` hint: it set the delimiter and is
    /// skipped as a record (so line numbers still count it).
    pub sep_line: bool,
    /// Line ends are a lone `\r` (classic Mac OS).
    pub cr_only: bool,
    /// Line ends are `\r\n` (Windows).
    pub crlf: bool,
    /// The file starts with a UTF-8 byte-order mark.
    pub bom: bool,
}

/// Reads the layout from the start of the file; errors for UTF-16, binary
/// and empty files.
pub(super) fn sniff_layout(sniff: &[u8]) -> Result<Layout, CsvError> {
    check_encoding(sniff)?;
    let body_start = if sniff.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let body = &sniff[body_start..];
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CsvError::Empty);
    }
    let cr_only = body.contains(&b'\r') && !body.contains(&b'\n');
    let (delimiter, sep_line) = match sep_hint(body) {
        Some(d) => (d, true),
        None => (detect_delimiter(body), false),
    };
    Ok(Layout {
        body_start,
        delimiter,
        sep_line,
        cr_only,
        crlf: body.windows(2).any(|w| w == b"\r\n"),
        bom: body_start > 0,
    })
}

/// Excel's delimiter hint: a first line `sep=;` (any one-byte delimiter,
/// tab and space included; `sep` in any case; trailing spaces allowed).
fn sep_hint(body: &[u8]) -> Option<u8> {
    let end = body
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(body.len());
    let mut line = &body[..end];
    // A tool that quotes every field writes `"sep=;"`.
    if line.len() >= 2 && line[0] == b'"' && line[line.len() - 1] == b'"' {
        line = &line[1..line.len() - 1];
    }
    if line.len() < 5 || !line[..4].eq_ignore_ascii_case(b"sep=") {
        return None;
    }
    let d = line[4];
    let rest_blank = line[5..].iter().all(|&b| b == b' ' || b == b'\t');
    (rest_blank && d != b'"' && !d.is_ascii_alphanumeric()).then_some(d)
}

/// Rejects UTF-16 text and binary files before the CSV parser sees them.
pub(super) fn check_encoding(sniff: &[u8]) -> Result<(), CsvError> {
    if sniff.starts_with(b"\xFF\xFE") || sniff.starts_with(b"\xFE\xFF") {
        return Err(CsvError::Utf16);
    }
    if let Some(pos) = sniff.iter().position(|&b| b == 0) {
        // UTF-16 without a BOM: ASCII text with a NUL after (or before)
        // every character.
        let pairs = sniff.len() / 2;
        let odd_nuls = sniff.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let even_nuls = sniff.iter().step_by(2).filter(|&&b| b == 0).count();
        if pairs >= 2 && (odd_nuls * 10 >= pairs * 9 || even_nuls * 10 >= pairs * 9) {
            return Err(CsvError::Utf16);
        }
        let line = 1 + sniff[..pos].iter().filter(|&&b| b == b'\n').count() as u64;
        return Err(CsvError::Binary { line });
    }
    Ok(())
}

/// Picks `,`, `;`, tab or `|`: whichever occurs most often, outside
/// quotes, in the header line. A single-column file has none and reads as `,`.
/// Empty lines before the header are skipped, as the CSV parser skips them.
pub(super) fn detect_delimiter(text: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut in_quotes = false;
    let start = text
        .iter()
        .position(|&b| b != b'\n' && b != b'\r')
        .unwrap_or(text.len());
    for &b in &text[start..] {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(c) = counts.iter_mut().find(|c| c.0 == b) {
                    c.1 += 1;
                }
            }
            _ => {}
        }
    }
    // On a tie the earlier entry (`,`) wins.
    counts
        .iter()
        .fold((b',', 0), |best, c| if c.1 > best.1 { *c } else { best })
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_inside_quotes_does_not_count() {
        assert_eq!(detect_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(detect_delimiter(b"a;b,c;d\n"), b';');
    }

    #[test]
    fn excel_sep_line_sets_the_delimiter() {
        let l = sniff_layout(b"sep=;\r\na;b\r\n1;2\r\n").unwrap();
        assert_eq!((l.delimiter, l.sep_line), (b';', true));
        let l = sniff_layout(b"\xEF\xBB\xBFSEP=|\na|b\n").unwrap();
        assert_eq!((l.delimiter, l.sep_line, l.body_start), (b'|', true, 3));
        let l = sniff_layout(b"sep=\t\na\tb\n").unwrap();
        assert_eq!(l.delimiter, b'\t');
        let l = sniff_layout(b"separator,b\n1,2\n").unwrap();
        assert!(!l.sep_line);
    }

    #[test]
    fn cr_only_files_are_recognised() {
        assert!(sniff_layout(b"a,b\r1,2\r").unwrap().cr_only);
        assert!(!sniff_layout(b"a,b\r\n1,2\r\n").unwrap().cr_only);
    }
}
