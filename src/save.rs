//! Saving a file the user named: model files, predictions, exports,
//! sessions, the run history, the device-choice cache.
//!
//! A regular file (or none yet) is written to a temporary file beside it,
//! flushed to disk and renamed over it, so a failed or interrupted save
//! (a full disk, a killed process) leaves the old file whole and never half
//! of a new one; the old file's permissions are kept. A symbolic link is
//! followed: the file it points to is replaced, the link stays. Anything
//! else at the path (`/dev/null`, `/dev/stdout`, a named pipe, bash's
//! `>(gzip > out.gz)`) is written to directly: renaming over it would put a
//! plain file in the device's place (run as root, `-o /dev/null` replaced
//! the system's `/dev/null`).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary files of one process get distinct names even when two
/// threads save the same path at once (the last rename wins, whole).
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Saves `bytes` at `path` (see the module documentation). Errors: the
/// folder cannot be created, the file cannot be written, or `path` is a
/// folder.
pub fn save(path: &Path, bytes: &[u8]) -> io::Result<()> {
    save_with(path, |w| w.write_all(bytes))
}

/// Saves what `write` writes at `path` (see the module documentation): the
/// writer is buffered and flushed here. Errors: as [`save`]'s, or `write`'s
/// own.
pub fn save_with(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let target = resolve(path)?;
    match std::fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            format!("`{}` is a folder", path.display()),
        )),
        Ok(meta) if !meta.is_file() => {
            // A device or a pipe: no temporary file, no rename.
            let file = OpenOptions::new().write(true).open(&target)?;
            let mut writer = BufWriter::new(file);
            write(&mut writer)?;
            writer.flush()
        }
        Ok(meta) => replace(&target, Some(meta.permissions()), write),
        Err(e) if e.kind() == io::ErrorKind::NotFound => replace(&target, None, write),
        Err(e) => Err(e),
    }
}

/// `path` with a symbolic link at its end followed (links to links too);
/// `path` itself where nothing is there yet or the link points nowhere.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(path.to_path_buf()),
        Err(e) => Err(e),
    }
}

/// Writes a temporary file beside `target`, flushes it to disk and renames
/// it over `target`, giving it `permissions` (the old file's) first.
fn replace(
    target: &Path,
    permissions: Option<std::fs::Permissions>,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let written = File::create(&temp).and_then(|file| {
        let mut writer = BufWriter::new(file);
        write(&mut writer)?;
        let file = writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()
    });
    let result = written.and_then(|()| std::fs::rename(&temp, target));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_written_and_an_old_one_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("model.plab");
        save(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        save(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["model.plab"], "no temporary file left behind");
    }

    #[test]
    fn a_failed_save_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scores.csv");
        save(&path, b"old").unwrap();
        let failed = save_with(&path, |w| {
            w.write_all(b"half of a new")?;
            Err(io::Error::other("disk full"))
        });
        assert_eq!(failed.unwrap_err().to_string(), "disk full");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = save(dir.path(), b"x").unwrap_err();
        assert!(err.to_string().contains("is a folder"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_kept_and_links_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("v3.plab");
        save(&real, b"v3").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("current.plab");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        save(&link, b"v4").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"v4");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_to_not_replaced() {
        let null = Path::new("/dev/null");
        if !std::fs::metadata(null).is_ok_and(|m| !m.is_file()) {
            return; // no device there to check against
        }
        save(null, b"into the void").unwrap();
        let meta = std::fs::metadata(null).unwrap();
        assert!(!meta.is_file(), "/dev/null is still a device");
    }

    #[test]
    fn two_threads_saving_one_path_leave_one_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device-choice.json");
        let a = vec![b'a'; 100_000];
        let b = vec![b'b'; 100_000];
        std::thread::scope(|s| {
            for bytes in [&a, &b] {
                let path = &path;
                std::thread::Builder::new()
                    .name("save-test".into())
                    .spawn_scoped(s, move || {
                        for _ in 0..20 {
                            save(path, bytes).unwrap();
                        }
                    })
                    .unwrap();
            }
        });
        let got = std::fs::read(&path).unwrap();
        assert!(got == a || got == b, "a whole file, not a mix");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
