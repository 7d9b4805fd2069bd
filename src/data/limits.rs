//! How large a CSV file may be before it is refused unread.
//!
//! A table in memory takes several times the size of its text (one `f64`
//! per numeric cell, a code per text cell, then `f32` matrices for training),
//! so a file near the size of RAM would exhaust memory long before it was
//! read. The default limit is a quarter of physical memory (`MemTotal` in
//! `/proc/meminfo` on Linux), or 2 GiB where that is unknown; environment
//! variable [`MAX_CSV_BYTES_ENV`] or [`CsvLimits::max_file_bytes`] overrides
//! it.

use std::fmt;

/// Environment variable that sets the largest CSV file that is read, in
/// bytes, optionally with a `K`, `M`, `G` or `T` suffix (powers of 1024).
pub const MAX_CSV_BYTES_ENV: &str = "PURCHASE_LAB_MAX_CSV_BYTES";

/// The limit used when the amount of memory cannot be found out.
pub const FALLBACK_MAX_CSV_BYTES: u64 = 2 << 30;

/// The longest single row (from one line break outside quotes to the next)
/// that is read. A file with no line breaks at all, or binary data that
/// happens to pass the other checks, is refused here rather than read into
/// one ever-growing record.
pub const DEFAULT_MAX_ROW_BYTES: u64 = 8 << 20;

/// Where the file-size limit came from; the refusal message says so, so
/// the user knows what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitSource {
    /// A quarter of this computer's memory.
    QuarterOfMemory,
    /// Memory size unknown: the fixed fallback.
    Fallback,
    /// The environment variable.
    Environment,
    /// Set by the program (tests, a caller with its own policy).
    Explicit,
}

impl fmt::Display for LimitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitSource::QuarterOfMemory => "a quarter of this computer's memory",
            LimitSource::Fallback => "the default when the memory size is unknown",
            LimitSource::Environment => "set by PURCHASE_LAB_MAX_CSV_BYTES",
            LimitSource::Explicit => "set by the program",
        })
    }
}

/// Size limits that keep a hostile or mistaken file from exhausting memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLimits {
    /// Files larger than this are refused before any byte is read.
    pub max_file_bytes: u64,
    pub source: LimitSource,
    /// Rows longer than this are refused while reading.
    pub max_row_bytes: u64,
}

/// [`MAX_CSV_BYTES_ENV`] holds something that is not a size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{MAX_CSV_BYTES_ENV} is `{value}`, which is not a size in bytes; use a whole number, optionally with K, M, G or T (e.g. 8G)"
)]
pub struct BadLimit {
    pub value: String,
}

impl CsvLimits {
    /// The limits for this computer: the environment variable if set, else a
    /// quarter of memory, else the 2 GiB fallback.
    pub fn from_env() -> Result<CsvLimits, BadLimit> {
        match std::env::var(MAX_CSV_BYTES_ENV) {
            Ok(value) if !value.trim().is_empty() => {
                let bytes = parse_byte_size(&value).ok_or(BadLimit { value })?;
                Ok(CsvLimits {
                    max_file_bytes: bytes,
                    source: LimitSource::Environment,
                    max_row_bytes: DEFAULT_MAX_ROW_BYTES,
                })
            }
            _ => Ok(CsvLimits::for_memory(memory_total_bytes())),
        }
    }

    /// A quarter of `memory` bytes, or the fallback when it is unknown.
    pub fn for_memory(memory: Option<u64>) -> CsvLimits {
        let (max_file_bytes, source) = match memory {
            Some(total) if total > 0 => (total / 4, LimitSource::QuarterOfMemory),
            _ => (FALLBACK_MAX_CSV_BYTES, LimitSource::Fallback),
        };
        CsvLimits {
            max_file_bytes,
            source,
            max_row_bytes: DEFAULT_MAX_ROW_BYTES,
        }
    }

    /// An explicit file-size limit (the row limit stays the default).
    pub fn with_max_file_bytes(max_file_bytes: u64) -> CsvLimits {
        CsvLimits {
            max_file_bytes,
            source: LimitSource::Explicit,
            max_row_bytes: DEFAULT_MAX_ROW_BYTES,
        }
    }

    /// No file-size limit: for text that is already in memory.
    pub fn unlimited_file() -> CsvLimits {
        CsvLimits {
            max_file_bytes: u64::MAX,
            source: LimitSource::Explicit,
            max_row_bytes: DEFAULT_MAX_ROW_BYTES,
        }
    }
}

/// Physical memory in bytes, where the system says (Linux `/proc/meminfo`).
pub fn memory_total_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

/// `MemTotal:  16318480 kB` → bytes.
fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let number: u64 = words.next()?.parse().ok()?;
    let unit = match words.next().map(str::to_ascii_lowercase).as_deref() {
        Some("kb") => 1024,
        Some("mb") => 1 << 20,
        Some("gb") => 1 << 30,
        None | Some("b") => 1,
        Some(_) => return None,
    };
    number.checked_mul(unit)
}

/// `123`, `64K`, `512MiB`, `8G`, `1 TB` (all powers of 1024) → bytes.
pub fn parse_byte_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let unit = text[digits..].trim().to_ascii_lowercase();
    let shift = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return None,
    };
    number.checked_mul(1u64 << shift)
}

/// `1.5 GiB`, `300 KiB`, `17 bytes`: sizes for messages.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_byte_size("123"), Some(123));
        assert_eq!(parse_byte_size(" 64k "), Some(64 << 10));
        assert_eq!(parse_byte_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_byte_size("8G"), Some(8 << 30));
        assert_eq!(parse_byte_size("1 TB"), Some(1 << 40));
        assert_eq!(parse_byte_size("lots"), None);
        assert_eq!(parse_byte_size("-5"), None);
        assert_eq!(parse_byte_size("1.5G"), None);
        assert_eq!(parse_byte_size("99999999999999999999"), None);
        assert_eq!(parse_byte_size("99999999999T"), None, "overflow");
    }

    #[test]
    fn meminfo_and_the_quarter_rule() {
        let text = "MemTotal:       16318480 kB\nMemFree:         1000 kB\n";
        assert_eq!(parse_meminfo(text), Some(16_318_480 * 1024));
        assert_eq!(parse_meminfo("nothing here"), None);
        let limits = CsvLimits::for_memory(Some(16 << 30));
        assert_eq!(limits.max_file_bytes, 4 << 30);
        assert_eq!(limits.source, LimitSource::QuarterOfMemory);
        let limits = CsvLimits::for_memory(None);
        assert_eq!(limits.max_file_bytes, FALLBACK_MAX_CSV_BYTES);
        assert_eq!(limits.source, LimitSource::Fallback);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_bytes(17), "17 bytes");
        assert_eq!(format_bytes(300 * 1024), "300.0 KiB");
        assert_eq!(format_bytes(3 << 29), "1.5 GiB");
    }
}
