//! Atomic, change-aware file writing inside the feeds directory.
//!
//! A file is replaced by writing a temp file in the same directory and
//! renaming it over the old one, so a reader (web server, CDN pull) sees the
//! old or the new bytes, never half a file. Identical bytes are not rewritten
//! at all, so mtimes (and with them conditional GETs and CDN caches) stay put.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Unchanged,
}

/// `rel` joined to `root`, refusing anything but plain relative components,
/// so no computed path can leave the feeds directory.
pub fn inside(root: &Path, rel: &str) -> Result<PathBuf, Error> {
    let p = Path::new(rel);
    let ok = !rel.is_empty()
        && !rel.contains('\\')
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    if !ok {
        return Err(Error::Output {
            path: root.join(rel),
            message: "refusing a feed path outside the feeds directory".into(),
        });
    }
    Ok(root.join(p))
}

fn out_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes `bytes` to `root/rel` unless the file already holds exactly them.
pub fn write_if_changed(root: &Path, rel: &str, bytes: &[u8]) -> Result<Outcome, Error> {
    let path = inside(root, rel)?;
    match std::fs::read(&path) {
        Ok(old) if old == bytes => return Ok(Outcome::Unchanged),
        _ => {}
    }
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).map_err(|e| out_err(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".newsdesk-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| out_err(dir, e))?;
    tmp.write_all(bytes).map_err(|e| out_err(&path, e))?;
    // tempfile creates 0600; feeds are public files a web server must read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| out_err(&path, e))?;
    }
    tmp.persist(&path).map_err(|e| out_err(&path, e.error))?;
    Ok(Outcome::Written)
}

/// Removes `root/rel` (a file newsdesk wrote) and any directories that this
/// leaves empty, up to but not including `root`. A file already gone is fine.
pub fn remove_owned(root: &Path, rel: &str) -> Result<bool, Error> {
    let path = inside(root, rel)?;
    let removed = match std::fs::remove_file(&path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(out_err(&path, e)),
    };
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_root_are_refused() {
        let root = Path::new("/tmp/feeds");
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a\\b", "./a"] {
            assert!(inside(root, bad).is_err(), "{bad} accepted");
        }
        assert!(inside(root, "themes/a/rss.xml").is_ok());
    }

    #[test]
    fn identical_bytes_are_not_rewritten_and_changes_are_atomic() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(
            write_if_changed(d.path(), "a/b.xml", b"one").unwrap(),
            Outcome::Written
        );
        let p = d.path().join("a/b.xml");
        let m1 = std::fs::metadata(&p).unwrap().modified().unwrap();
        assert_eq!(
            write_if_changed(d.path(), "a/b.xml", b"one").unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), m1);
        assert_eq!(
            write_if_changed(d.path(), "a/b.xml", b"two").unwrap(),
            Outcome::Written
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // No temp files left behind.
        assert_eq!(std::fs::read_dir(d.path().join("a")).unwrap().count(), 1);
        assert!(remove_owned(d.path(), "a/b.xml").unwrap());
        assert!(!d.path().join("a").exists());
        assert!(d.path().exists());
    }
}
