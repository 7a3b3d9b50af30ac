//! Read-only files for `serve --preview`: the feeds and digest web-copy
//! directories, with feed content types, ETag / If-None-Match and
//! Last-Modified / If-Modified-Since.
//!
//! A request path can only name a file under its root: every segment is
//! checked (no `..`, `.`, backslashes, NULs or empty segments), and the
//! canonical path must still lie under the canonical root, so a symlink
//! cannot lead out either.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

/// A file found under a root, ready to send.
#[derive(Debug)]
pub struct Found {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub etag: String,
    pub modified: Option<DateTime<Utc>>,
}

/// What a path under a root names.
#[derive(Debug)]
pub enum Lookup {
    File(Found),
    /// A directory without an index.html: its visible entries, sorted.
    Dir(Vec<String>),
    NotFound,
}

/// Resolves the (percent-decoded) `rel` path under `root`.
pub fn lookup(root: &Path, rel: &str) -> Lookup {
    let Some(path) = safe_join(root, rel) else {
        return Lookup::NotFound;
    };
    let (Ok(root), Ok(real)) = (root.canonicalize(), path.canonicalize()) else {
        return Lookup::NotFound;
    };
    if !real.starts_with(&root) {
        return Lookup::NotFound;
    }
    let real = if real.is_dir() {
        let index = real.join("index.html");
        if index.is_file() {
            match index.canonicalize() {
                Ok(i) if i.starts_with(&root) => i,
                _ => return Lookup::NotFound,
            }
        } else {
            return match std::fs::read_dir(&real) {
                Ok(rd) => {
                    let mut names: Vec<String> = rd
                        .filter_map(|e| e.ok())
                        .filter_map(|e| {
                            let name = e.file_name().into_string().ok()?;
                            if name.starts_with('.') {
                                return None;
                            }
                            let dir = e.file_type().ok()?.is_dir();
                            Some(if dir { format!("{name}/") } else { name })
                        })
                        .collect();
                    names.sort();
                    Lookup::Dir(names)
                }
                Err(_) => Lookup::NotFound,
            };
        }
    } else {
        real
    };
    let Ok(bytes) = std::fs::read(&real) else {
        return Lookup::NotFound;
    };
    let modified = std::fs::metadata(&real)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from);
    let etag = format!("\"{}\"", &crate::util::sha256_hex(&bytes)[..32]);
    Lookup::File(Found {
        content_type: content_type(&real, &bytes),
        bytes,
        etag,
        modified,
    })
}

/// `root` + `rel`, or `None` if any segment could step outside or is odd.
fn safe_join(root: &Path, rel: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    let rel = rel.strip_suffix('/').unwrap_or(rel);
    if rel.is_empty() {
        return Some(path);
    }
    for seg in rel.split('/') {
        if seg.is_empty()
            || seg == "."
            || seg == ".."
            || seg.starts_with('.')
            || seg.contains(['\\', '\0', ':'])
        {
            return None;
        }
        path.push(seg);
    }
    Some(path)
}

/// The content type by extension, looking inside `.xml` and `.json` to tell
/// RSS from Atom and JSON Feed from other JSON.
pub fn content_type(path: &Path, bytes: &[u8]) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    match ext.as_str() {
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "xml" if head.contains("<rss") => "application/rss+xml",
        "xml" if head.contains("<feed") => "application/atom+xml",
        "xml" => "application/xml",
        "json" if head.contains("jsonfeed.org/version") => "application/feed+json",
        "json" => "application/json",
        "opml" => "text/x-opml",
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// An HTTP date (`Last-Modified`), always GMT.
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether an `If-None-Match` header value matches `etag` (weak comparison,
/// as RFC 9110 prescribes for this header).
pub fn etag_matches(header: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    header
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// Whether `If-Modified-Since` says the client's copy is current.
pub fn not_modified_since(header: &str, modified: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc2822(header.trim())
        .map(|since| modified.timestamp() <= since.timestamp())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_odd_segments_are_refused() {
        let root = Path::new("/srv/feeds");
        for bad in [
            "../x",
            "a/../../x",
            "./x",
            "a//b",
            ".git/config",
            "a\\b",
            "c:x",
        ] {
            assert!(safe_join(root, bad).is_none(), "{bad}");
        }
        assert_eq!(
            safe_join(root, "themes/festivals/rss.xml").unwrap(),
            Path::new("/srv/feeds/themes/festivals/rss.xml")
        );
    }

    #[test]
    fn symlink_out_of_the_root_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("feeds");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        std::fs::write(root.join("ok.txt"), "ok").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("leak.txt")).unwrap();
        assert!(matches!(lookup(&root, "ok.txt"), Lookup::File(_)));
        assert!(matches!(lookup(&root, "leak.txt"), Lookup::NotFound));
    }

    #[test]
    fn feed_types_are_told_apart_by_content() {
        let p = |n: &str| PathBuf::from(n);
        assert_eq!(
            content_type(&p("a.xml"), b"<?xml?><rss version=\"2.0\">"),
            "application/rss+xml"
        );
        assert_eq!(
            content_type(&p("a.xml"), b"<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
            "application/atom+xml"
        );
        assert_eq!(
            content_type(
                &p("f.json"),
                br#"{"version":"https://jsonfeed.org/version/1.1"}"#
            ),
            "application/feed+json"
        );
        assert_eq!(content_type(&p("x.opml"), b""), "text/x-opml");
    }

    #[test]
    fn etags_and_dates_compare_as_http_says() {
        assert!(etag_matches("\"a\", W/\"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"a\"", "\"b\""));
        let t = DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(http_date(t), "Fri, 20 Nov 2026 08:00:00 GMT");
        assert!(not_modified_since(&http_date(t), t));
        assert!(!not_modified_since("Thu, 19 Nov 2026 08:00:00 GMT", t));
    }
}
