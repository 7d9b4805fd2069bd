//! Every kind of unreadable CSV gets its own message, with the line (and
//! column) where it applies, read from a real file on disk as a user's would be.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::path::PathBuf;

use purchase_lab::data::{CsvError, load_csv};

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write test file");
        path
    }

    fn error(&self, bytes: &[u8]) -> CsvError {
        let path = self.file("input.csv", bytes);
        match load_csv(&path) {
            Ok(t) => panic!("expected an error, got a table with {} rows", t.n_rows()),
            Err(e) => e,
        }
    }
}

#[test]
fn empty_file() {
    let s = Scratch::new();
    let e = s.error(b"");
    assert_eq!(e.to_string(), "the file is empty");
    assert_eq!(s.error(b"\n\n  \r\n").to_string(), "the file is empty");
    assert_eq!(s.error(b"\xEF\xBB\xBF").to_string(), "the file is empty");
}

#[test]
fn header_only() {
    let s = Scratch::new();
    let e = s.error(b"age,income,purchased\n");
    assert_eq!(
        e.to_string(),
        "line 1 holds the column names, but there are no data rows"
    );
    assert_eq!(e.line(), Some(1));
}

#[test]
fn duplicate_column_name() {
    let e = Scratch::new().error(b"age,income,age\n1,2,3\n");
    assert_eq!(
        e.to_string(),
        "line 1, column 3: the column name `age` is used twice (first in column 1)"
    );
}

#[test]
fn empty_column_name_is_named_after_its_place() {
    // pandas writes its row index under an empty name: read, not refused.
    let scratch = Scratch::new();
    let path = scratch.file("input.csv", b"age,,income\n1,2,3\n");
    let t = load_csv(&path).unwrap();
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        ["age", "unnamed_2", "income"]
    );
    assert!(
        t.notes()
            .iter()
            .any(|n| n.text.contains("column 2 has no name"))
    );
}

#[test]
fn row_with_too_many_fields() {
    let e = Scratch::new().error(b"a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n");
    assert_eq!(
        e.to_string(),
        "line 4: 4 fields, but the header has 3 columns"
    );
    assert_eq!(e.line(), Some(4));
}

#[test]
fn row_with_too_few_fields_after_a_multiline_quoted_field() {
    // The quoted note spans lines 2-3, so the short row is on line 4.
    let e = Scratch::new().error(b"a,note,c\n1,\"two\nlines\",3\n4,5\n");
    assert_eq!(
        e.to_string(),
        "line 4: 2 fields, but the header has 3 columns"
    );
}

#[test]
fn invalid_utf8_names_line_and_column() {
    // Latin-1 "é" is not UTF-8.
    let e = Scratch::new().error(b"name,city\nann,paris\nbob,s\xe9te\n");
    assert_eq!(
        e.to_string(),
        "line 3, column 2: the text is not valid UTF-8 (perhaps Latin-1 or Windows-1252); save the file as UTF-8"
    );
}

#[test]
fn binary_file() {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 1, 0]);
    let e = Scratch::new().error(&bytes);
    assert_eq!(
        e.to_string(),
        "this is not a CSV text file: it contains a NUL byte (line 3)"
    );
}

#[test]
fn nul_byte_late_in_a_large_file() {
    // Past the first 64 KiB that are sniffed up front.
    let mut text = b"a,b\n".to_vec();
    for i in 0..20_000 {
        text.extend_from_slice(format!("{i},{i}\n").as_bytes());
    }
    text.extend_from_slice(b"1,\0\n");
    let e = Scratch::new().error(&text);
    assert_eq!(
        e.to_string(),
        "this is not a CSV text file: it contains a NUL byte (line 20002)"
    );
}

#[test]
fn utf16_file() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("a,b\n1,2\n".encode_utf16().flat_map(u16::to_le_bytes));
    let e = Scratch::new().error(&bytes);
    assert_eq!(
        e.to_string(),
        "the file is UTF-16 encoded; save it as UTF-8 and open it again"
    );
}

#[test]
fn file_that_does_not_exist() {
    let s = Scratch::new();
    let path = s.dir.path().join("nope.csv");
    let e = load_csv(&path).unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("cannot read `"), "{text}");
    assert!(text.contains("nope.csv"), "{text}");
    assert!(matches!(e, CsvError::Io { .. }));
}

#[test]
fn a_folder_is_not_a_file() {
    let s = Scratch::new();
    let e = load_csv(s.dir.path()).unwrap_err();
    assert!(e.to_string().ends_with("it is a folder, not a file"), "{e}");
}

#[cfg(unix)]
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let s = Scratch::new();
    let path = s.file("locked.csv", b"a\n1\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root ignores permission bits; then the file simply reads.
    match load_csv(&path) {
        Err(e) => assert!(e.to_string().contains("cannot read"), "{e}"),
        Ok(t) => assert_eq!(t.n_rows(), 1),
    }
}

#[test]
fn windows_line_ends_count_lines_as_an_editor_does() {
    // The CSV parser marks a row after `\r\n` as starting on the line
    // before; the reader takes lines from its own byte scan instead.
    let e = Scratch::new().error(b"a,b,c\r\n1,2,3\r\n4,5\r\n");
    assert_eq!(
        e.to_string(),
        "line 3: 2 fields, but the header has 3 columns"
    );
    let e = Scratch::new().error(b"a,b,c\r\n\"x\r\ny\",2,3\r\n4,5\r\n");
    assert_eq!(e.line(), Some(4), "{e}");
}
