//! The run lock: one `newsdesk` writing a site at a time.
//!
//! An OS advisory lock on a file next to the store, so it is released by the
//! kernel when the process dies (even by SIGKILL) and never goes stale the way
//! a PID file does. The file itself stays; its contents (the holder's PID) are
//! only for the error message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::Error;

/// Held for as long as the value lives.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// The lock file that guards the store at `store_path`.
    pub fn path_for(store_path: &Path) -> PathBuf {
        let mut name = store_path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        store_path.with_file_name(name)
    }

    /// Takes the lock, waiting up to `wait` for another run to finish.
    /// Fails with [`Error::TempFail`] (exit 75) if it stays held.
    pub fn acquire(path: &Path, wait: Duration) -> Result<RunLock, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::Output {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::Output {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    let who = if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {holder})")
                    };
                    return Err(Error::TempFail(format!(
                        "another newsdesk run holds the lock {}{who}; try again later or pass --wait SECS",
                        path.display()
                    )));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(Error::Output {
                        path: path.to_path_buf(),
                        message: format!("cannot lock: {e}"),
                    });
                }
            }
        }
        // Record who holds it; failures here are cosmetic.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(RunLock {
            _file: file,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let p = RunLock::path_for(&dir.path().join("newsdesk.db"));
        assert!(p.ends_with("newsdesk.db.lock"));
        let first = RunLock::acquire(&p, Duration::ZERO).unwrap();
        let err = RunLock::acquire(&p, Duration::from_millis(200)).unwrap_err();
        assert_eq!(err.exit().code(), 75);
        assert!(
            err.to_string().contains(&std::process::id().to_string()),
            "{err}"
        );
        drop(first);
        RunLock::acquire(&p, Duration::ZERO).unwrap();
    }
}
