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
    write_parts_if_changed(root, rel, &[bytes])
}

/// [`write_if_changed`] for the concatenation of `parts`, written with
/// vectored writes: a large document assembled from pieces (an archive page:
/// its skeleton and each entry's escaped content) is never copied into one
/// buffer first.
pub fn write_parts_if_changed(root: &Path, rel: &str, parts: &[&[u8]]) -> Result<Outcome, Error> {
    let path = inside(root, rel)?;
    if let Ok(old) = std::fs::read(&path)
        && same_bytes(&old, parts)
    {
        return Ok(Outcome::Unchanged);
    }
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).map_err(|e| out_err(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".newsdesk-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| out_err(dir, e))?;
    write_all_parts(tmp.as_file_mut(), parts).map_err(|e| out_err(&path, e))?;
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

/// True if `old` is exactly the concatenation of `parts`.
fn same_bytes(old: &[u8], parts: &[&[u8]]) -> bool {
    let mut rest = old;
    for p in parts {
        match rest.split_at_checked(p.len()) {
            Some((head, tail)) if head == *p => rest = tail,
            _ => return false,
        }
    }
    rest.is_empty()
}

/// Writes all of `parts`, in order (`Write::write_all_vectored` is unstable).
fn write_all_parts(w: &mut impl Write, parts: &[&[u8]]) -> std::io::Result<()> {
    let mut slices: Vec<std::io::IoSlice<'_>> = parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| std::io::IoSlice::new(p))
        .collect();
    let mut bufs = &mut slices[..];
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => std::io::IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
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

    /// Accepts at most `max` bytes per call, so every partial-write path runs.
    struct Trickle {
        out: Vec<u8>,
        max: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let n = b.len().min(self.max);
            self.out.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(self.max - n);
                self.out.extend_from_slice(&b[..take]);
                n += take;
                if n == self.max {
                    break;
                }
            }
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn parts_are_written_whole_and_in_order_through_partial_writes() {
        let parts: [&[u8]; 5] = [b"<feed>", b"", b"abc", b"0123456789", b"</feed>\n"];
        let whole = parts.concat();
        for max in [1, 2, 3, 7, 100] {
            let mut w = Trickle {
                out: Vec::new(),
                max,
            };
            write_all_parts(&mut w, &parts).unwrap();
            assert_eq!(w.out, whole, "max {max}");
        }
        assert!(same_bytes(&whole, &parts));
        assert!(!same_bytes(&whole[1..], &parts));
        assert!(!same_bytes(&[&whole[..], b"x"].concat(), &parts));
        assert!(same_bytes(b"", &[]));
    }

    #[test]
    fn written_parts_equal_their_concatenation_and_are_not_rewritten() {
        let d = tempfile::tempdir().unwrap();
        let parts: [&[u8]; 3] = [b"one ", b"two ", b"three"];
        assert_eq!(
            write_parts_if_changed(d.path(), "p.xml", &parts).unwrap(),
            Outcome::Written
        );
        assert_eq!(
            std::fs::read(d.path().join("p.xml")).unwrap(),
            b"one two three"
        );
        // Same bytes, cut differently: unchanged.
        assert_eq!(
            write_if_changed(d.path(), "p.xml", b"one two three").unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(
            write_parts_if_changed(d.path(), "p.xml", &[b"one two", b" thre"]).unwrap(),
            Outcome::Written
        );
        assert_eq!(
            std::fs::read(d.path().join("p.xml")).unwrap(),
            b"one two thre"
        );
    }
}
