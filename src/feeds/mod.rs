//! The feeds stage: stored articles → RSS 2.0, Atom 1.0 and JSON Feed 1.1
//! documents for all articles and for each theme, Atom archive pages
//! (RFC 5005), `feeds.opml` and a readable `index.html`.
//!
//! Layout under `[feeds] dir`:
//!
//! ```text
//! rss.xml atom.xml feed.json            all articles, newest archived first
//! archive/atom-<n>.xml                  immutable Atom archive pages, 1 = oldest
//! themes/<id>/{rss.xml,atom.xml,feed.json,archive/atom-<n>.xml}
//! feeds.opml index.html
//! ```
//!
//! Output is a pure function of the store and the config: feed-level dates
//! are the newest entry's, never the build time, and unchanged bytes are
//! never rewritten. A run whose inputs (article revision, theme
//! classification, config) are unchanged is skipped outright.

pub mod atom;
pub mod clean;
pub mod content;
pub mod doc;
pub mod index;
pub mod json;
pub mod opml;
pub mod rss;
pub mod write;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rayon::prelude::*;
use serde::Serialize;
use url::Url;

use crate::config::Config;
use crate::store::{ArchivePage, FeedKey, RawArticle, Store};
use content::{Entry, Site, tag_uri};
use doc::FeedDoc;
use opml::Listed;
use write::Outcome;

/// Meta key holding the tagging entity fixed at the first feeds run.
const META_AUTHORITY: &str = "feeds_tag_authority";
/// Meta key holding the fingerprint of the inputs of the last complete run.
const META_FINGERPRINT: &str = "feeds_fingerprint";
/// Latest titles shown per feed on the index page.
const INDEX_TITLES: usize = 10;
/// Article rows read per chunk while cutting archive pages (bounds memory).
const READ_CHUNK: usize = 512;

/// What a feeds run did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FeedsReport {
    /// The feeds directory.
    pub dir: PathBuf,
    /// True when nothing that feeds depend on changed, so nothing was built.
    pub skipped: bool,
    /// Feeds built (all articles + one per theme).
    pub feeds: usize,
    /// Files whose bytes changed (or that were missing) and were replaced.
    pub written: usize,
    /// Files rebuilt with identical bytes, left untouched.
    pub unchanged: usize,
    /// Files of feeds that no longer exist (deleted themes), removed.
    pub removed: usize,
    /// Atom archive pages cut this run.
    pub new_archive_pages: usize,
    /// The RFC 4151 tagging entity entry ids use.
    pub tag_authority: String,
}

impl FeedsReport {
    pub fn changed(&self) -> bool {
        self.written > 0 || self.removed > 0
    }

    pub fn summary(&self) -> String {
        if self.skipped {
            return format!("feeds: unchanged, nothing to do ({})", self.dir.display());
        }
        format!(
            "feeds: {} feeds, {} files written, {} unchanged, {} removed, {} new archive pages ({})",
            self.feeds,
            self.written,
            self.unchanged,
            self.removed,
            self.new_archive_pages,
            self.dir.display()
        )
    }
}

/// One feed to build: all articles, or one theme's.
struct Spec {
    /// `all` or `theme:<id>` (archive bookkeeping key).
    key: String,
    theme: Option<String>,
    /// Path prefix under the feeds dir: `` or `themes/<id>/`.
    prefix: String,
    title: String,
    description: String,
}

/// The public URL of the feeds directory.
pub fn feeds_base_url(config: &Config) -> Url {
    config.feeds.base_url.clone().unwrap_or_else(|| {
        config
            .site
            .base_url
            .join("feeds/")
            .expect("a validated base URL joins a relative path")
    })
}

/// The tagging entity for entry ids: the config's, else the one fixed at the
/// first run (site host, that day), recorded in the store.
pub fn tag_authority(config: &Config, store: &Store, now: DateTime<Utc>) -> Result<String> {
    if let Some(t) = &config.feeds.tag_authority {
        return Ok(t.clone());
    }
    if let Some(t) = store.meta_get(META_AUTHORITY)? {
        return Ok(t);
    }
    let host = config
        .site
        .base_url
        .host_str()
        .unwrap_or("localhost")
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let t = format!("{host},{}", now.format("%Y-%m-%d"));
    store.meta_set(META_AUTHORITY, &t)?;
    Ok(t)
}

fn authority_date(authority: &str) -> DateTime<Utc> {
    let date = authority.rsplit(',').next().unwrap_or("");
    let full = match date.len() {
        4 => format!("{date}-01-01"),
        7 => format!("{date}-01"),
        _ => date.to_string(),
    };
    NaiveDate::parse_from_str(&full, "%Y-%m-%d")
        .unwrap_or_default()
        .and_time(NaiveTime::MIN)
        .and_utc()
}

fn specs(config: &Config) -> Vec<Spec> {
    let site = &config.site;
    let mut v = vec![Spec {
        key: "all".into(),
        theme: None,
        prefix: String::new(),
        title: content::plain(&site.title),
        description: content::plain(&site.description),
    }];
    for t in &config.themes {
        // Ids are validated at config load; re-checked here because they
        // become directory names.
        if t.id.is_empty()
            || !t
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            continue;
        }
        let description = if t.description.trim().is_empty() {
            format!("{} articles from {}", t.name, site.title)
        } else {
            t.description.clone()
        };
        v.push(Spec {
            key: format!("theme:{}", t.id),
            theme: Some(t.id.clone()),
            prefix: format!("themes/{}/", t.id),
            title: content::plain(&format!("{} — {}", site.title, t.name)),
            description: content::plain(&description),
        });
    }
    v
}

/// Everything that, if unchanged, makes a run a no-op.
fn fingerprint(config: &Config, store: &Store, authority: &str) -> Result<String> {
    let themes: Vec<_> = config
        .themes
        .iter()
        .map(|t| (&t.id, &t.name, &t.description))
        .collect();
    let input = format!(
        "{}\n{}\n{}\n{:?}\n{:?}\n{:?}\n{}\n{}",
        env!("CARGO_PKG_VERSION"),
        store.articles_rev()?,
        store.feed_themes_fingerprint()?,
        config.site,
        config.feeds,
        themes,
        authority,
        config.resolve(&config.feeds.dir).display(),
    );
    Ok(crate::util::sha256_hex(input.as_bytes()))
}

/// Builds and writes every feed. See [`write_all_with`].
pub fn write_all(config: &Config, store: &Store, now: DateTime<Utc>) -> Result<FeedsReport> {
    write_all_with(config, store, now, false)
}

/// Builds and writes every feed; `force` rebuilds even when the inputs are
/// unchanged (the bytes still decide what is rewritten).
pub fn write_all_with(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
    force: bool,
) -> Result<FeedsReport> {
    let dir = config.resolve(&config.feeds.dir);
    let authority = tag_authority(config, store, now)?;
    let mut report = FeedsReport {
        dir: dir.clone(),
        tag_authority: authority.clone(),
        ..FeedsReport::default()
    };
    let fp = fingerprint(config, store, &authority)?;
    let files = store.feed_files()?;
    let mut on_disk = OnDisk::new(&dir);
    if !force
        && store.meta_get(META_FINGERPRINT)?.as_deref() == Some(fp.as_str())
        && !files.is_empty()
        && files.iter().all(|p| on_disk.has(p))
    {
        report.skipped = true;
        report.feeds = 1 + config.themes.len();
        return Ok(report);
    }
    store.feed_tune_for_bulk_reads()?;
    std::fs::create_dir_all(&dir).map_err(|e| crate::error::Error::Output {
        path: dir.clone(),
        message: e.to_string(),
    })?;

    let site = Site {
        title: content::plain(&config.site.title),
        base_url: config.site.base_url.clone(),
        language: content::plain(&config.site.language),
        author: if config.site.author.trim().is_empty() {
            content::plain(&config.site.title)
        } else {
            content::plain(&config.site.author)
        },
        authority: authority.clone(),
        article_url: config.feeds.article_url.clone(),
    };
    let base = feeds_base_url(config);
    let url = |rel: &str| -> String {
        base.join(&content::encode_id(rel))
            .map(|u| u.to_string())
            .unwrap_or_default()
    };
    let empty_date = authority_date(&authority);
    let mut b = Builder {
        dir: &dir,
        report: &mut report,
        expected: BTreeSet::new(),
        recorded: Vec::new(),
    };
    let mut listed = Vec::new();
    let specs = specs(config);
    let page_size = config.feeds.max_items;

    // 1. Archive pages first, so a latest feed's prev-archive link never
    //    points at a page that is not there yet.
    // Per feed, its newest archive page (where the next one starts).
    let mut last_page: Vec<Option<ArchivePage>> = Vec::with_capacity(specs.len());
    let mut jobs = Vec::new();
    // One read transaction for all the planning (one lock, one snapshot).
    store.feed_reading(|| {
        for (si, spec) in specs.iter().enumerate() {
            // Listing the archive directory once is what keeps a run's cost
            // from growing with the number of pages (a stat per page would not).
            for n in store.feed_archive_page_numbers(&spec.key)? {
                let rel = page_rel(spec, n);
                if !on_disk.has(&rel) {
                    // Lost from disk: rebuilt with the entries it was cut
                    // with, alongside the new pages (a deleted feeds
                    // directory is thousands of them).
                    jobs.push(PageJob {
                        spec: si,
                        n,
                        members: store.feed_archive_page_members(&spec.key, n)?,
                        lost: true,
                    });
                }
                b.expected.insert(rel);
            }
            let last = store.feed_last_archive_page(&spec.key)?;
            // A page is cut only when more than a page of entries is not yet
            // archived: what stays behind always fits in the latest feed.
            let pending =
                store.feed_pending(spec.theme.as_deref(), last.as_ref().map(|p| &p.last))?;
            let mut n = last.as_ref().map_or(1, |p| p.page + 1);
            let mut rest = &pending[..];
            while rest.len() > page_size {
                let (members, tail) = rest.split_at(page_size);
                jobs.push(PageJob {
                    spec: si,
                    n,
                    members: members.to_vec(),
                    lost: false,
                });
                rest = tail;
                n += 1;
            }
            last_page.push(last);
        }
        Ok(())
    })?;
    let mut new_pages = Vec::new();
    for c in cut_pages(store, &specs, &site, &url, &authority, &dir, jobs)? {
        // No content hash for an archive page: it is never rewritten (its
        // entries are fixed in feed_archive_pages), so there is nothing to
        // compare it with, and hashing 1.1 GB of pages was a tenth of a first
        // run's CPU at 100,000 articles.
        b.count(&c.rel, c.outcome, String::new());
        if c.page.lost {
            continue;
        }
        let si = c.page.spec;
        let page = ArchivePage {
            feed: specs[si].key.clone(),
            page: c.page.n,
            last: c.page.members[c.page.members.len() - 1].0.clone(),
            article_ids: c.ids,
        };
        new_pages.push(page.clone());
        last_page[si] = Some(page);
        b.report.new_archive_pages += 1;
    }
    store.feed_record_archive_pages(&new_pages, now)?;

    // 2. The latest feeds. An article in several of them is built once.
    let mut built: HashMap<String, Entry> = HashMap::new();
    for (spec, last) in specs.iter().zip(&last_page) {
        let atom_rel = format!("{}atom.xml", spec.prefix);
        let atom_url = url(&atom_rel);
        let latest = store.feed_latest(spec.theme.as_deref(), config.feeds.max_items)?;
        for a in &latest {
            if !built.contains_key(&a.id) {
                built.insert(a.id.clone(), site.entry(a));
            }
        }
        let entries: Vec<&Entry> = latest.iter().map(|a| &built[&a.id]).collect();
        let updated = FeedDoc::newest(&entries, empty_date);
        let (rss_rel, json_rel) = (
            format!("{}rss.xml", spec.prefix),
            format!("{}feed.json", spec.prefix),
        );
        let mut d = FeedDoc {
            title: spec.title.clone(),
            description: spec.description.clone(),
            home_url: site.base_url.to_string(),
            id: feed_tag(&authority, spec),
            language: site.language.clone(),
            author: site.author.clone(),
            self_url: atom_url.clone(),
            updated,
            entries: &entries,
            prev_archive: last.as_ref().map(|p| url(&page_rel(spec, p.page))),
            archive_of: None,
        };
        b.put(&atom_rel, atom::render(&d)?)?;
        d.self_url = url(&rss_rel);
        b.put(&rss_rel, rss::render(&d)?)?;
        d.self_url = url(&json_rel);
        b.put(&json_rel, json::render(&d)?)?;
        b.report.feeds += 1;
        listed.push(Listed {
            title: spec.title.clone(),
            description: spec.description.clone(),
            rss: url(&rss_rel),
            atom: atom_url,
            json: url(&json_rel),
            home: site.base_url.to_string(),
            latest: entries
                .iter()
                .take(INDEX_TITLES)
                .map(|e| (e.title.clone(), e.link.clone()))
                .collect(),
        });
    }
    b.put("feeds.opml", opml::render(&site.title, &listed))?;
    b.put(
        "index.html",
        index::render(&site.title, &site.language, site.base_url.as_str(), &listed),
    )?;

    // 3. Remove what newsdesk wrote for feeds that no longer exist.
    let mut gone = Vec::new();
    for path in &files {
        if !b.expected.contains(path) {
            if write::remove_owned(&dir, path)? {
                b.report.removed += 1;
            }
            gone.push(path.clone());
        }
    }
    let keys: BTreeSet<&str> = specs.iter().map(|s| s.key.as_str()).collect();
    for feed in store.feed_archived_feeds()? {
        if !keys.contains(feed.as_str()) {
            store.feed_forget_archive(&feed)?;
        }
    }
    store.feed_record_files(&b.recorded, &gone, now)?;
    store
        .meta_set(META_FINGERPRINT, &fp)
        .context("cannot record the feeds fingerprint")?;
    Ok(report)
}

fn page_rel(spec: &Spec, n: i64) -> String {
    format!("{}archive/atom-{n}.xml", spec.prefix)
}

/// Archive page `n` of `spec`'s feed, holding `entries` (newest first).
#[allow(clippy::too_many_arguments)]
fn page_doc<'e>(
    spec: &Spec,
    site: &Site,
    n: i64,
    entries: &'e [&'e Entry],
    url: &(dyn Fn(&str) -> String + Sync),
    atom_url: &str,
    feed_tag: &str,
) -> FeedDoc<'e> {
    FeedDoc {
        title: format!("{} (archive {n})", spec.title),
        description: spec.description.clone(),
        home_url: site.base_url.to_string(),
        id: format!("{feed_tag}/archive/{n}"),
        language: site.language.clone(),
        author: site.author.clone(),
        self_url: url(&page_rel(spec, n)),
        updated: FeedDoc::newest(entries, authority_date(&site.authority)),
        entries,
        prev_archive: (n > 1).then(|| url(&page_rel(spec, n - 1))),
        archive_of: Some(atom_url.to_string()),
    }
}

/// Which files exist under the feeds dir, one directory listing per
/// directory asked about (instead of a `stat` per file).
struct OnDisk<'a> {
    root: &'a std::path::Path,
    dirs: HashMap<String, std::collections::HashSet<std::ffi::OsString>>,
}

impl<'a> OnDisk<'a> {
    fn new(root: &'a std::path::Path) -> Self {
        OnDisk {
            root,
            dirs: HashMap::new(),
        }
    }

    /// True if `rel` (a path relative to the root) is a regular file.
    fn has(&mut self, rel: &str) -> bool {
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let root = self.root;
        let files = self.dirs.entry(parent.to_string()).or_insert_with(|| {
            std::fs::read_dir(root.join(parent))
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                        .map(|e| e.file_name())
                        .collect()
                })
                .unwrap_or_default()
        });
        files.contains(std::ffi::OsStr::new(name))
    }
}

/// Collects what a run wrote.
struct Builder<'a> {
    dir: &'a std::path::Path,
    report: &'a mut FeedsReport,
    expected: BTreeSet<String>,
    recorded: Vec<(String, String)>,
}

impl Builder<'_> {
    fn put(&mut self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        let outcome = write::write_if_changed(self.dir, rel, &bytes)?;
        self.count(rel, outcome, crate::util::sha256_hex(&bytes));
        Ok(())
    }

    /// Accounts for a file written elsewhere (an archive page).
    fn count(&mut self, rel: &str, outcome: Outcome, hash: String) {
        match outcome {
            Outcome::Written => self.report.written += 1,
            Outcome::Unchanged => self.report.unchanged += 1,
        }
        self.expected.insert(rel.to_string());
        self.recorded.push((rel.to_string(), hash));
    }
}

fn feed_tag(authority: &str, spec: &Spec) -> String {
    tag_uri(authority, &format!("feeds/{}", spec.key.replace(':', "/")))
}

/// A new archive page to cut.
struct PageJob {
    spec: usize,
    n: i64,
    /// Its entries, oldest first: (feed key, article rowid).
    members: Vec<(FeedKey, i64)>,
    /// A recorded page lost from disk, rebuilt (not a new page).
    lost: bool,
}

/// A page that was cut and written.
struct CutPage {
    page: PageJob,
    rel: String,
    outcome: Outcome,
    /// The article ids it holds, oldest first.
    ids: Vec<String>,
}

/// A page rendered and written by the worker: (job, outcome, ids).
type Done = (usize, Outcome, Vec<String>);

/// Cuts and writes the new archive pages of every feed, reading each article
/// row once however many pages (all + its themes) hold it, and building its
/// entry once.
///
/// This thread reads the rows in feed order, in chunks (the store connection
/// is not shared), while a second thread decodes them and builds their
/// entries on the rayon pool, then renders and writes every page whose
/// entries are all there, also in parallel. An entry is dropped as soon as the
/// last page holding it is written and the channel between the threads is
/// bounded, so memory stays bounded (a few chunks, one open page per feed)
/// whatever the size of the archive.
fn cut_pages(
    store: &Store,
    specs: &[Spec],
    site: &Site,
    url: &(dyn Fn(&str) -> String + Sync),
    authority: &str,
    dir: &std::path::Path,
    jobs: Vec<PageJob>,
) -> Result<Vec<CutPage>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    // For every article, the pages that hold it; and the articles in feed order.
    let mut holders: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut order: Vec<(&FeedKey, i64)> = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        for (k, rowid) in &job.members {
            let h = holders.entry(*rowid).or_default();
            if h.is_empty() {
                order.push((k, *rowid));
            }
            h.push(j);
        }
    }
    order.sort_unstable();
    let feed_tags: Vec<String> = specs.iter().map(|s| feed_tag(authority, s)).collect();
    let atom_urls: Vec<String> = specs
        .iter()
        .map(|s| url(&format!("{}atom.xml", s.prefix)))
        .collect();

    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(i64, RawArticle)>>(1);
    let done = std::thread::scope(|scope| -> Result<Vec<Done>> {
        let worker = scope.spawn(|| -> Result<Vec<Done>> {
            let mut waiting: Vec<usize> = jobs.iter().map(|j| j.members.len()).collect();
            let mut uses: HashMap<i64, usize> =
                holders.iter().map(|(r, h)| (*r, h.len())).collect();
            // Per article: its id, its entry and the entry's escaped Atom
            // content (escaped once for every page that holds it).
            type Built = (String, Entry, Option<Vec<u8>>);
            let mut built: HashMap<i64, Built> = HashMap::new();
            let mut done = Vec::new();
            // Renders and writes the pages whose entries are all built, then
            // drops the entries no page still waiting needs.
            let mut write_ready =
                |ready: Vec<usize>, built: &mut HashMap<i64, Built>| -> Result<()> {
                    let written: Vec<(usize, Outcome)> = ready
                        .par_iter()
                        .map(|&j| {
                            let job = &jobs[j];
                            let spec = &specs[job.spec];
                            let entries: Vec<&Entry> =
                                job.members.iter().rev().map(|(_, r)| &built[r].1).collect();
                            let escaped: Option<Vec<&[u8]>> = job
                                .members
                                .iter()
                                .rev()
                                .map(|(_, r)| built[r].2.as_deref())
                                .collect();
                            let d = page_doc(
                                spec,
                                site,
                                job.n,
                                &entries,
                                url,
                                &atom_urls[job.spec],
                                &feed_tags[job.spec],
                            );
                            let rel = page_rel(spec, job.n);
                            // Written from its pieces when every content was
                            // escaped beforehand (no copy into one buffer).
                            let pieces = match &escaped {
                                Some(escaped) => atom::pieces(&d, escaped)?,
                                None => None,
                            };
                            let outcome = match (pieces, &escaped) {
                                (Some(p), Some(escaped)) => {
                                    write::write_parts_if_changed(dir, &rel, &p.with(escaped))?
                                }
                                _ => write::write_if_changed(dir, &rel, &atom::render(&d)?)?,
                            };
                            Ok((j, outcome))
                        })
                        .collect::<Result<_>>()?;
                    for (j, outcome) in written {
                        let ids = jobs[j]
                            .members
                            .iter()
                            .map(|(_, r)| built[r].0.clone())
                            .collect();
                        for (_, r) in &jobs[j].members {
                            let left = uses.get_mut(r).expect("every member is counted");
                            *left -= 1;
                            if *left == 0 {
                                built.remove(r);
                            }
                        }
                        done.push((j, outcome, ids));
                    }
                    Ok(())
                };
            // A page whose articles are all gone waits for nothing.
            let empty = (0..jobs.len()).filter(|&j| waiting[j] == 0).collect();
            write_ready(empty, &mut built)?;
            for chunk in rx {
                let entries: Vec<(i64, Built)> = chunk
                    .into_par_iter()
                    .map(|(rowid, raw)| {
                        let a = raw.decode_with(content::needs_body_text)?;
                        let e = site.entry(&a);
                        let escaped = atom::escaped_content(&e.content_html);
                        Ok((rowid, (a.id, e, escaped)))
                    })
                    .collect::<Result<_>>()?;
                let mut ready = Vec::new();
                for (rowid, b) in entries {
                    for &j in &holders[&rowid] {
                        waiting[j] -= 1;
                        if waiting[j] == 0 {
                            ready.push(j);
                        }
                    }
                    built.insert(rowid, b);
                }
                write_ready(ready, &mut built)?;
            }
            Ok(done)
        });
        let read = store.feed_reading(|| {
            for chunk in order.chunks(READ_CHUNK) {
                // In table order within the chunk: neighbouring rows share
                // b-tree pages.
                let mut rowids: Vec<i64> = chunk.iter().map(|(_, r)| *r).collect();
                rowids.sort_unstable();
                let mut raws = Vec::with_capacity(chunk.len());
                for rowid in &rowids {
                    let raw = store
                        .feed_raw_article(*rowid)?
                        .context("an article vanished while its archive pages were cut")?;
                    raws.push((*rowid, raw));
                }
                if tx.send(raws).is_err() {
                    break; // the worker stopped; its error is returned below
                }
            }
            Ok(())
        });
        drop(tx);
        let done = worker.join().expect("the feeds worker does not panic")?;
        read?;
        Ok(done)
    })?;
    // In the order they were planned: per feed, oldest first.
    let mut done = done;
    done.sort_unstable_by_key(|d| d.0);
    let mut jobs: Vec<Option<PageJob>> = jobs.into_iter().map(Some).collect();
    Ok(done
        .into_iter()
        .map(|(j, outcome, ids)| {
            let page = jobs[j].take().expect("each page is cut once");
            let rel = page_rel(&specs[page.spec], page.n);
            CutPage {
                page,
                rel,
                outcome,
                ids,
            }
        })
        .collect())
}
