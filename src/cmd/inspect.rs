//! `newsdesk inspect [--json] PATH...`: parse files (or every archive file
//! under a directory) and show what newsdesk reads from them, without
//! touching the store.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::{Globals, report_file_error};
use crate::config::Config;
use crate::error::Exit;
use crate::model::Article;
use crate::parse::{self, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object per file, one per line.
    #[arg(long)]
    pub json: bool,
    /// Archive files to read; a directory stands for the archive files under
    /// it, selected as ingest selects them (the archive include/exclude globs).
    #[arg(required = true, value_name = "PATHS")]
    pub files: Vec<PathBuf>,
}

/// The `--json` shape (documented in the README; keep it stable).
#[derive(Debug, Serialize)]
pub struct Inspected<'a> {
    pub source: String,
    pub format: &'static str,
    pub id: String,
    pub title: &'a str,
    pub date: Option<String>,
    pub standfirst: Option<&'a str>,
    pub caption: Option<&'a str>,
    pub image_url: Option<&'a str>,
    pub authors: &'a [String],
    pub tags: &'a [String],
    pub pull_quotes: &'a [String],
    pub related: &'a [String],
    pub body_html: &'a str,
    pub body_text: &'a str,
    pub themes: Vec<String>,
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    let config = g.load_config_if_present()?;
    let mut exit = Exit::Ok;
    let mut files = Vec::new();
    for path in &args.files {
        if path.is_dir() {
            match crate::ingest::files_under(path, config.as_ref()) {
                Ok(found) => files.extend(found),
                Err(e) => {
                    fail(args.json, &path.display().to_string(), &format!("{e:#}"));
                    exit.add(Exit::NoInput);
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    for file in &files {
        let source = file.display().to_string();
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                let (code, msg) = if e.kind() == std::io::ErrorKind::NotFound {
                    (Exit::NoInput, "no such file".to_string())
                } else {
                    (Exit::NoInput, format!("cannot read: {e}"))
                };
                fail(args.json, &source, &msg);
                exit.add(code);
                continue;
            }
        };
        let ctx = Context {
            base_url: config.as_ref().map(|c| &c.site.base_url),
        };
        match parse::parse_file(&bytes, file, &ctx) {
            Ok((format, article)) => {
                let id = article.explicit_id.clone().unwrap_or_else(|| {
                    parse::derive_id(&relative_to_archive(file, config.as_ref()))
                });
                let themes = crate::themes::theme_ids_for(config.as_ref(), &article)?;
                let out = inspected(source, format.as_str(), id, &article, themes);
                if args.json {
                    println!("{}", serde_json::to_string(&out)?);
                } else {
                    print_summary(&out);
                }
            }
            // A draft is no error: ingest skips it until it is published.
            Err(e) if e.draft => {
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({ "source": source, "skipped": e.to_string() })
                    );
                } else {
                    println!("{source}: skipped: {e}");
                }
            }
            Err(e) => {
                fail(args.json, &source, &e.to_string());
                exit.add(Exit::DataErr);
            }
        }
    }
    Ok(exit)
}

fn inspected<'a>(
    source: String,
    format: &'static str,
    id: String,
    a: &'a Article,
    themes: Vec<String>,
) -> Inspected<'a> {
    Inspected {
        source,
        format,
        id,
        title: &a.title,
        date: a.date.map(|d| d.to_string()),
        standfirst: a.standfirst.as_deref(),
        caption: a.caption.as_deref(),
        image_url: a.image_url.as_deref(),
        authors: &a.authors,
        tags: &a.tags,
        pull_quotes: &a.pull_quotes,
        related: &a.related,
        body_html: &a.body_html,
        body_text: &a.body_text,
        themes,
    }
}

fn fail(json: bool, source: &str, message: &str) {
    if json {
        println!(
            "{}",
            serde_json::json!({ "source": source, "error": message })
        );
    }
    report_file_error(source, message);
}

/// The path ingest would derive the id from: relative to the archive dir the
/// file is in, else just its file name.
fn relative_to_archive(file: &Path, config: Option<&Config>) -> String {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    if let Some(c) = config {
        for dir in c.archive_dirs() {
            if let Ok(rel) = abs.strip_prefix(&dir) {
                return rel.to_string_lossy().into_owned();
            }
        }
    }
    file.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn print_summary(a: &Inspected<'_>) {
    println!("{} ({})", a.source, a.format);
    println!("  id:          {}", a.id);
    println!("  title:       {}", a.title);
    let opt = |v: Option<&str>| v.unwrap_or("-").to_string();
    println!("  date:        {}", opt(a.date.as_deref()));
    println!("  standfirst:  {}", opt(a.standfirst));
    println!("  caption:     {}", opt(a.caption));
    println!("  image:       {}", opt(a.image_url));
    if !a.authors.is_empty() {
        println!("  authors:     {}", a.authors.join(", "));
    }
    if !a.tags.is_empty() {
        println!("  tags:        {}", a.tags.join(", "));
    }
    let paragraphs = a
        .body_text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .count();
    let words = a.body_text.split_whitespace().count();
    println!("  body:        {paragraphs} paragraphs, {words} words");
    for q in a.pull_quotes {
        println!("  pull quote:  {q}");
    }
    for r in a.related {
        println!("  related:     {r}");
    }
    if !a.themes.is_empty() {
        println!("  themes:      {}", a.themes.join(", "));
    }
}
