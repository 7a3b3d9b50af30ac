//! Shared test harness: temporary sites, the binary runner, fixture paths.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A fixed "now" so runs are reproducible.
pub const NOW: &str = "2026-11-20T08:00:00Z";

/// The seed article (original source document, outside the repo): next to
/// the checkout (`../shared/seed/`), or two levels up from a worktree.
pub fn seed_path() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ["../shared/seed", "../../shared/seed"]
        .iter()
        .map(|d| root.join(d).join("balagov-closeness.txt"))
        .find(|p| p.exists())
        .unwrap_or_else(|| root.join("../shared/seed/balagov-closeness.txt"))
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A throwaway site: a config file, an archive dir and a store, in a temp dir.
pub struct Site {
    pub dir: tempfile::TempDir,
}

pub const BASE_CONFIG: &str = r#"[site]
title = "Test Desk"
base_url = "https://news.example.org/"
language = "en"
description = "A test publication"
author = "Test Desk"
"#;

impl Site {
    /// A site with the base config and an empty archive.
    pub fn new() -> Site {
        Site::with_config(BASE_CONFIG)
    }

    pub fn with_config(config: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("newsdesk.toml"), config).unwrap();
        std::fs::create_dir_all(dir.path().join("archive")).unwrap();
        Site { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("newsdesk.toml")
    }

    /// Appends TOML to the config.
    pub fn append_config(&self, extra: &str) {
        let p = self.config_path();
        let mut s = std::fs::read_to_string(&p).unwrap();
        s.push('\n');
        s.push_str(extra);
        std::fs::write(p, s).unwrap();
    }

    /// Writes an archive file (path relative to `archive/`).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join("archive").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    /// The binary, pointed at this site's config, with a fixed clock.
    pub fn cmd(&self) -> Command {
        let mut c = newsdesk();
        c.current_dir(self.path())
            .env("NEWSDESK_CONFIG", self.config_path())
            .env("NEWSDESK_NOW", NOW);
        c
    }

    pub fn store(&self) -> newsdesk::store::Store {
        newsdesk::store::Store::open(&self.path().join("newsdesk.db")).unwrap()
    }
}

/// The binary with a clean environment (no inherited NEWSDESK_* settings).
pub fn newsdesk() -> Command {
    let mut c = Command::cargo_bin("newsdesk").unwrap();
    c.env_remove("NEWSDESK_CONFIG")
        .env_remove("NEWSDESK_LOG")
        .env_remove("NEWSDESK_NOW");
    c
}

/// Runs the binary and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses each stdout line as JSON.
pub fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Stores an article directly (no parser involved), as if ingested at `at`
/// from `archive/<id>.md`. For stages downstream of parsing.
pub fn store_article(
    store: &mut newsdesk::store::Store,
    id: &str,
    article: newsdesk::model::Article,
    at: &str,
) {
    use newsdesk::store::{IngestBatch, NewFileVersion, ParsedFile};
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let key = format!("archive/{id}.md");
    let batch = IngestBatch {
        versions: vec![NewFileVersion {
            key: key.clone(),
            size: 1,
            mtime_ns: 1,
            hash: newsdesk::util::sha256_hex(key.as_bytes()),
            parsed: Ok(ParsedFile::new(
                format!("{id}.md"),
                id.to_string(),
                newsdesk::model::Format::Markdown,
                article,
            )),
        }],
        ..Default::default()
    };
    let out = store.apply_ingest(&batch, at).unwrap();
    assert_eq!(out.new, 1, "article {id} was not stored as new: {out:?}");
}
