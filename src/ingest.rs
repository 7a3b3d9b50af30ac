//! Scanning archive dirs, change detection, calling parsers, upserts.
//!
//! A file is re-read only when its size or mtime changed, and re-parsed only
//! when its bytes changed too, so a no-op pass costs one `stat` per file and
//! one indexed read of the `files` table. Parsing runs on all cores in chunks,
//! so a 100,000-file archive never sits in memory at once.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::parse::{self, Context};
use crate::store::{FileState, IngestBatch, IngestOutcome, NewFileVersion, ParsedFile, Store};

/// Files parsed per transaction; bounds memory on a cold ingest.
const CHUNK: usize = 256;
/// No article is this big; a file that is must be something else (a video, a
/// database dump) and is rejected without being read into memory.
const MAX_FILE_BYTES: i64 = 16 * 1024 * 1024;
/// Parsing fewer files than this is quick enough not to need a progress bar.
const PROGRESS_MIN: usize = 200;

/// One archive file found on disk.
#[derive(Debug, Clone)]
pub struct FoundFile {
    /// Stable key: the path relative to the config dir, `/`-separated.
    pub key: String,
    /// Path relative to its archive dir (source of derived ids).
    pub relative: String,
    pub path: PathBuf,
    pub size: i64,
    pub mtime_ns: i64,
}

#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Re-read every file even if its size and mtime are unchanged.
    pub force: bool,
    /// Show a progress bar on stderr when many files need parsing (the caller
    /// decides: only for an interactive terminal, never with `-q`).
    pub progress: bool,
}

/// What one ingest pass did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct IngestReport {
    pub scanned: usize,
    /// Files whose bytes were read and parsed this pass.
    pub parsed: usize,
    #[serde(flatten)]
    pub outcome: IngestOutcome,
}

impl IngestReport {
    pub fn changed(&self) -> bool {
        let o = &self.outcome;
        o.new + o.updated + o.removed > 0 || !o.rejected.is_empty()
    }

    pub fn summary(&self) -> String {
        let o = &self.outcome;
        let mut s = format!(
            "ingested {} new, {} updated, {} rejected",
            o.new,
            o.updated,
            o.rejected.len()
        );
        if o.removed > 0 {
            s.push_str(&format!(", {} removed", o.removed));
        }
        if o.drafts > 0 {
            let noun = if o.drafts == 1 { "draft" } else { "drafts" };
            s.push_str(&format!(", {} {noun} skipped", o.drafts));
        }
        s
    }
}

/// Finds every archive file the config selects, sorted by key.
///
/// Directories are read level by level, in parallel, and files are
/// `stat`ed relative to their open directory (`DirEntry::metadata`), which
/// keeps a no-op pass over a 100,000-file archive to a fraction of a second.
pub fn scan(config: &Config) -> Result<Vec<FoundFile>> {
    let include = globs(&config.archive.include)?;
    let exclude = globs(&config.archive.exclude)?;
    let mut found = Vec::new();
    for dir in config.archive_dirs() {
        if !dir.is_dir() {
            return Err(Error::MissingInput(dir).into());
        }
        let key_prefix = match dir.strip_prefix(&config.root) {
            Ok(p) => slash_path(p),
            Err(_) => dir.to_string_lossy().into_owned(),
        };
        found.extend(scan_dir(&dir, &key_prefix, &include, &exclude)?);
    }
    // One archive dir: keys share its prefix, so the shorter relative paths
    // sort the same way (cheaper on 100,000 files).
    if config.archive.dirs.len() == 1 {
        found.sort_unstable_by(|a, b| a.relative.cmp(&b.relative));
    } else {
        found.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        found.dedup_by(|a, b| a.key == b.key);
    }
    Ok(found)
}

/// The files under `dir` that the globs select, unsorted.
fn scan_dir(
    dir: &Path,
    key_prefix: &str,
    include: &globset::GlobSet,
    exclude: &globset::GlobSet,
) -> Result<Vec<FoundFile>> {
    let mut found = Vec::new();
    let mut level = vec![String::new()];
    while !level.is_empty() {
        let listed: Vec<Listing> = level
            .par_iter()
            .map(|sub| list_dir(dir, sub, key_prefix, include, exclude))
            .collect::<Result<_>>()?;
        level = Vec::new();
        for l in listed {
            found.extend(l.files);
            level.extend(l.dirs);
        }
    }
    Ok(found)
}

/// The archive files under `dir` as ingest would select them (the config's
/// `include`/`exclude` globs, or the default ones; hidden files and editor
/// leftovers skipped), sorted: what `inspect DIR` reads.
pub fn files_under(dir: &Path, config: Option<&Config>) -> Result<Vec<PathBuf>> {
    let default = crate::config::ArchiveConfig::default();
    let archive = config.map_or(&default, |c| &c.archive);
    let include = globs(&archive.include)?;
    let exclude = globs(&archive.exclude)?;
    let mut found = scan_dir(dir, "", &include, &exclude)?;
    found.sort_unstable_by(|a, b| a.relative.cmp(&b.relative));
    Ok(found.into_iter().map(|f| f.path).collect())
}

/// The selected files and the subdirectories of one directory.
struct Listing {
    files: Vec<FoundFile>,
    dirs: Vec<String>,
}

fn list_dir(
    root: &Path,
    sub: &str,
    key_prefix: &str,
    include: &globset::GlobSet,
    exclude: &globset::GlobSet,
) -> Result<Listing> {
    let path = if sub.is_empty() {
        root.to_path_buf()
    } else {
        root.join(sub)
    };
    let mut out = Listing {
        files: Vec::new(),
        dirs: Vec::new(),
    };
    let entries =
        std::fs::read_dir(&path).with_context(|| format!("cannot scan {}", path.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot scan {}", path.display()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Hidden files and folders and editor leftovers are never articles.
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let relative = if sub.is_empty() {
            name.into_owned()
        } else {
            format!("{sub}/{name}")
        };
        // `file_type` comes from the directory listing: no extra syscall.
        // Symlinks are not followed, so the scan cannot leave the archive.
        let ft = entry
            .file_type()
            .with_context(|| format!("cannot stat {}", entry.path().display()))?;
        if ft.is_dir() {
            out.dirs.push(relative);
            continue;
        }
        if !ft.is_file() || !include.is_match(&relative) || exclude.is_match(&relative) {
            continue;
        }
        let meta = entry
            .metadata()
            .with_context(|| format!("cannot stat {}", entry.path().display()))?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        let key = if key_prefix.is_empty() {
            relative.clone()
        } else {
            format!("{key_prefix}/{relative}")
        };
        out.files.push(FoundFile {
            key,
            relative,
            path: entry.path(),
            size: meta.len() as i64,
            mtime_ns,
        });
    }
    Ok(out)
}

/// Reads a whole file whose size the scan already knows: `fs::read` would
/// `stat` it again to size its buffer (100,000 syscalls in a cold ingest).
/// One read fills it and a second sees the end; a file that changed size
/// since the scan still reads whole.
fn read_sized(path: &Path, size: i64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    // One spare byte, so the read that finds the end needs no regrowth.
    let mut bytes = vec![0; usize::try_from(size).unwrap_or(0).saturating_add(1)];
    let mut len = 0;
    loop {
        if len == bytes.len() {
            bytes.resize(len * 2, 0);
        }
        match file.read(&mut bytes[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(len);
    Ok(bytes)
}

fn globs(patterns: &[String]) -> Result<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        b.add(
            globset::GlobBuilder::new(p)
                .literal_separator(false)
                .build()?,
        );
    }
    Ok(b.build()?)
}

fn slash_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Scans, parses what changed and stores it. Rejected files are reported in
/// the outcome; an unreadable archive dir is an error.
pub fn ingest(
    config: &Config,
    store: &mut Store,
    now: DateTime<Utc>,
    opts: &IngestOptions,
) -> Result<IngestReport> {
    let found = scan(config)?;
    let known = store.file_stats()?;

    // Merge the two key-sorted lists: which files on disk changed (or are
    // new), and which known files are gone.
    // Changed files, and whether the store knows them (only those have a
    // hash to look up: a cold ingest asks nothing per file).
    let mut changed: Vec<(&FoundFile, bool)> = Vec::new();
    let mut gone_keys: Vec<&str> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < found.len() || j < known.len() {
        match (found.get(i), known.get(j)) {
            (Some(f), Some((k, size, mtime))) => match f.key.as_str().cmp(k.as_str()) {
                std::cmp::Ordering::Less => {
                    changed.push((f, false));
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    gone_keys.push(k);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    if opts.force || f.size != *size || f.mtime_ns != *mtime {
                        changed.push((f, true));
                    }
                    i += 1;
                    j += 1;
                }
            },
            (Some(f), None) => {
                changed.push((f, false));
                i += 1;
            }
            (None, Some((k, _, _))) => {
                gone_keys.push(k);
                j += 1;
            }
            (None, None) => break,
        }
    }
    let mut moved_from: HashMap<String, String> = HashMap::new();
    for k in &gone_keys {
        if let Some(FileState {
            hash,
            article_id: Some(id),
            ..
        }) = store.file_state(k)?
        {
            moved_from.insert(hash, id);
        }
    }
    // A vanished file hashed by an older newsdesk (SHA-256): a new file is
    // "the same file, moved" if its SHA-256 matches, which is only worth
    // computing while such files are around.
    let legacy_moves: HashMap<String, String> = moved_from
        .iter()
        .filter(|(hash, _)| crate::util::is_legacy_hash(hash))
        .map(|(hash, id)| (hash.clone(), id.clone()))
        .collect();
    let gone: HashSet<String> = gone_keys.iter().map(|k| k.to_string()).collect();
    let candidates: Vec<(&FoundFile, Option<String>)> = changed
        .into_iter()
        .map(|(f, known)| {
            let hash = if known {
                store.file_state(&f.key)?.map(|s| s.hash)
            } else {
                None
            };
            Ok((f, hash))
        })
        .collect::<Result<_>>()?;

    let base_url = config.site.base_url.clone();
    let mut report = IngestReport {
        scanned: found.len(),
        ..Default::default()
    };
    let mut removed: Vec<String> = gone_keys.iter().map(|k| k.to_string()).collect();
    if candidates.is_empty() && removed.is_empty() {
        return Ok(report);
    }
    if candidates.len() > CHUNK {
        store.tune_for_bulk_writes()?;
    }
    let mut chunks: Vec<&[(&FoundFile, Option<String>)]> = candidates.chunks(CHUNK).collect();
    if chunks.is_empty() {
        // Nothing to read, but vanished files still need forgetting.
        chunks.push(&[]);
    }
    let last = chunks.len() - 1;
    let bar = (opts.progress && candidates.len() >= PROGRESS_MIN).then(|| {
        let bar = indicatif::ProgressBar::new(candidates.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    // Parsing (all cores) and storing (one SQLite writer) overlap: chunk n+1
    // is parsed while chunk n is written. The channel holds four chunks (a
    // few MB), enough to keep the parsers busy while a WAL checkpoint makes
    // the writer wait for the disk.
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Read>>(4);
        let chunks = &chunks;
        let base_url = &base_url;
        let legacy_moves = &legacy_moves;
        scope.spawn(move || {
            for chunk in chunks {
                let results: Vec<Read> = chunk
                    .par_iter()
                    .map(|(f, known_hash)| {
                        read_one(f, known_hash.as_deref(), opts.force, base_url, legacy_moves)
                    })
                    .collect();
                if tx.send(results).is_err() {
                    // The writer failed and stopped listening.
                    return;
                }
            }
        });
        for (i, (results, chunk)) in rx.iter().zip(chunks.iter()).enumerate() {
            let mut batch = IngestBatch {
                gone: gone.clone(),
                moved_from: moved_from.clone(),
                ..Default::default()
            };
            for r in results {
                match r {
                    Read::Touched(key, size, mtime) => batch.touched.push((key, size, mtime)),
                    Read::Draft(v) => batch.drafts.push(*v),
                    Read::Version(v, moved_id) => {
                        report.parsed += 1;
                        if let Some(id) = moved_id {
                            batch.moved_from.insert(v.hash.clone(), id);
                        }
                        batch.versions.push(*v)
                    }
                }
            }
            if i == last {
                batch.removed = std::mem::take(&mut removed);
            }
            let out = store.apply_ingest(&batch, now)?;
            merge(&mut report.outcome, out);
            if let Some(bar) = &bar {
                bar.inc(chunk.len() as u64);
            }
        }
        Ok(())
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(report)
}

enum Read {
    Touched(String, i64, i64),
    /// A file that says it is a draft: recorded, not published.
    Draft(Box<NewFileVersion>),
    /// A version to store, and the id of the vanished file it is a move of
    /// when only the old kind of hash could tell (see `legacy_moves`).
    Version(Box<NewFileVersion>, Option<String>),
}

fn read_one(
    f: &FoundFile,
    known_hash: Option<&str>,
    force: bool,
    base_url: &url::Url,
    legacy_moves: &HashMap<String, String>,
) -> Read {
    let version = |hash: String, parsed, moved_id| {
        Read::Version(
            Box::new(NewFileVersion {
                key: f.key.clone(),
                size: f.size,
                mtime_ns: f.mtime_ns,
                hash,
                parsed,
            }),
            moved_id,
        )
    };
    if f.size > MAX_FILE_BYTES {
        return version(
            format!("size:{}:{}", f.size, f.mtime_ns),
            Err(format!(
                "file is {} MB, too large for an article (limit {} MB)",
                f.size / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            )),
            None,
        );
    }
    let bytes = match read_sized(&f.path, f.size) {
        Ok(b) => b,
        Err(e) => return version(String::new(), Err(format!("cannot read: {e}")), None),
    };
    let hash = crate::util::content_hash(&bytes);
    if !force && known_hash.is_some_and(|known| crate::util::same_hash(known, &hash, || &bytes)) {
        return Read::Touched(f.key.clone(), f.size, f.mtime_ns);
    }
    let moved_id = if legacy_moves.is_empty() {
        None
    } else {
        legacy_moves.get(&crate::util::sha256_hex(&bytes)).cloned()
    };
    let ctx = Context {
        base_url: Some(base_url),
    };
    // A parser bug must cost one file, not the run.
    let parsed = std::panic::catch_unwind(|| parse::parse_file(&bytes, &f.path, &ctx))
        .unwrap_or_else(|_| {
            Err(parse::ParseError::new(
                "internal error while parsing (please report this file)",
            ))
        });
    if let Err(e) = &parsed
        && e.draft
    {
        return Read::Draft(Box::new(NewFileVersion {
            key: f.key.clone(),
            size: f.size,
            mtime_ns: f.mtime_ns,
            hash,
            parsed: Err(e.to_string()),
        }));
    }
    let parsed = parsed
        .map(|(format, article)| {
            ParsedFile::new(
                f.relative.clone(),
                parse::derive_id(&f.relative),
                format,
                article,
            )
        })
        .map_err(|e| e.to_string());
    version(hash, parsed, moved_id)
}

fn merge(into: &mut IngestOutcome, out: IngestOutcome) {
    into.new += out.new;
    into.updated += out.updated;
    into.unchanged += out.unchanged;
    into.removed += out.removed;
    into.rejected.extend(out.rejected);
    into.drafts += out.drafts;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_sized_reads_the_whole_file_whatever_size_the_scan_saw() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        let body: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &body).unwrap();
        // Exact, stale small, stale large (the file changed after the scan).
        for size in [70_000, 0, 10, 1_000_000, -1] {
            assert_eq!(read_sized(&p, size).unwrap(), body, "size {size}");
        }
        assert!(read_sized(&dir.path().join("gone.txt"), 5).is_err());
    }
}
