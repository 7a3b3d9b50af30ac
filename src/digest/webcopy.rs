//! Web copies of editions: `<dir>/<number>/index.html` (the whole edition,
//! no personal links) and `<dir>/index.html` listing every edition, so the
//! emails' "view in browser" links work once `dir` is published.
//!
//! Files are written atomically (temp file in the same directory, then
//! rename) and only when their bytes change, so a sync to a web server or a
//! CDN sees no churn.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::edition::load_edition;
use super::render::{PreparedEdition, render_index};
use crate::config::Config;
use crate::error::Error;
use crate::store::Store;

/// What a web-copy pass did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct WebCopyReport {
    /// Files whose bytes changed (written).
    pub written: Vec<PathBuf>,
    /// Files already up to date.
    pub unchanged: usize,
}

/// Writes (or refreshes) the web copy of every edition and the index page.
pub fn write_web_copies(config: &Config, store: &Store) -> Result<WebCopyReport> {
    let dir = config.resolve(&config.digest.dir);
    let mut report = WebCopyReport::default();
    let mut listing = Vec::new();
    for n in store.edition_numbers()? {
        let Some(edition) = load_edition(store, n)? else {
            continue;
        };
        let prepared = PreparedEdition::new(config, store, &edition)?;
        // The number is an integer: no path traversal through the file name.
        let path = dir.join(n.to_string()).join("index.html");
        write_if_changed(&path, prepared.web_copy_html().as_bytes(), &mut report)?;
        listing.push((n, edition.created_at, edition.articles.len()));
    }
    if !listing.is_empty() {
        let index = render_index(config, &listing)?;
        write_if_changed(&dir.join("index.html"), index.as_bytes(), &mut report)?;
    }
    Ok(report)
}

/// Atomically replaces `path` with `bytes` unless it already holds them.
pub fn write_if_changed(path: &Path, bytes: &[u8], report: &mut WebCopyReport) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        report.unchanged += 1;
        return Ok(());
    }
    let out_err = |e: &dyn std::fmt::Display| Error::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| out_err(&e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| out_err(&e))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| out_err(&e))?;
    // Temp files are created 0600; a web copy must be readable by the web server.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| out_err(&e))?;
    }
    tmp.as_file().sync_all().map_err(|e| out_err(&e))?;
    tmp.persist(path).map_err(|e| out_err(&e.error))?;
    report.written.push(path.to_path_buf());
    Ok(())
}
