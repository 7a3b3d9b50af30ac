//! `newsdesk digest`: create the next edition from articles not yet in one,
//! and refresh the web copies; or `--preview` an edition for one subscriber
//! without creating or sending anything.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::Globals;
use crate::digest::{
    self, EditionOptions, PreparedEdition, WebCopyReport, load_edition, next_edition,
    normalize_email, write_if_changed, write_web_copies,
};
use crate::error::Exit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only take articles archived on or after DATE (YYYY-MM-DD or RFC 3339);
    /// later editions keep this lower bound.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// At most N articles in the edition (default: [digest] max_articles);
    /// the rest go into the next edition.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_articles: Option<u32>,
    /// Write the next edition (or --edition N) as one subscriber would get it
    /// to FILE.html (and the text part to FILE.txt); creates and sends nothing.
    #[arg(long, value_name = "FILE.html")]
    pub preview: Option<PathBuf>,
    /// Preview for this subscriber's theme choices and links (default: a
    /// sample subscriber with every theme).
    #[arg(long, value_name = "EMAIL", requires = "preview")]
    pub subscriber: Option<String>,
    /// Preview an existing edition instead of the next one.
    #[arg(long, value_name = "N")]
    pub edition: Option<i64>,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub delivery: super::send::SendArgs,
}

fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD or RFC 3339)"))
}

/// The `--json` shape of a run that may create an edition.
#[derive(Debug, Serialize)]
struct Outcome {
    edition: Option<i64>,
    created_at: Option<String>,
    articles: Vec<String>,
    web_url: Option<String>,
    web_copies_written: Vec<String>,
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    let config = g.load_config()?;
    let mut store = g.open_store(&config)?;
    let opts = EditionOptions {
        since: args.since,
        max_articles: args.max_articles.map(|n| n as usize),
    };
    if args.delivery.status {
        return super::send::status(&store, args.edition, args.json);
    }
    // Sections follow the stored themes: after a bare `ingest` they are not
    // classified yet, and a subscriber with theme choices would get nothing
    // (and be recorded as skipped for good). A no-op when nothing changed.
    crate::themes::classify_configured(&mut store, &config.themes, false)?;
    if let Some(file) = &args.preview {
        return preview(args, g, &config, &store, &opts, file);
    }
    if args.delivery.send {
        return super::send::send(&args.delivery, args.edition, args.json, g, &config, &store);
    }
    // Creating an edition must not interleave with `run` doing the same
    // (a held lock exits 75: try again later).
    let _lock = crate::lock::RunLock::acquire(
        &crate::lock::RunLock::path_for(&config.store_path()),
        std::time::Duration::ZERO,
    )?;
    let created = digest::create_edition(&mut store, &config, g.now, &opts)?;
    let web = write_web_copies(&config, &store)?;
    let out = Outcome {
        edition: created.as_ref().map(|e| e.number),
        created_at: created.as_ref().map(|e| crate::store::ts(e.created_at)),
        articles: created
            .as_ref()
            .map(|e| e.article_ids())
            .unwrap_or_default(),
        web_url: created
            .as_ref()
            .map(|e| digest::web_copy_url(&config, e.number).to_string()),
        web_copies_written: web
            .written
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&out)?);
    } else if let Some(e) = &created {
        println!(
            "edition {}: {} {} (web copy {})",
            e.number,
            e.articles.len(),
            if e.articles.len() == 1 {
                "article"
            } else {
                "articles"
            },
            config
                .resolve(&config.digest.dir)
                .join(e.number.to_string())
                .join("index.html")
                .display()
        );
    } else if !g.quiet {
        println!("no new articles since the last edition; nothing created");
    }
    Ok(Exit::Ok)
}

fn preview(
    args: &Args,
    g: &Globals,
    config: &crate::config::Config,
    store: &crate::store::Store,
    opts: &EditionOptions,
    file: &std::path::Path,
) -> Result<Exit> {
    let edition = match args.edition {
        Some(n) => load_edition(store, n)?
            .ok_or_else(|| anyhow!("there is no edition {n} (see `newsdesk digest --json`)"))?,
        None => match next_edition(store, config, g.now, opts)? {
            Some((e, _)) => e,
            None => {
                if !g.quiet {
                    println!("no new articles: the next edition would be empty; nothing written");
                }
                return Ok(Exit::Ok);
            }
        },
    };
    let (who, themes, token) = match &args.subscriber {
        Some(raw) => {
            let email = normalize_email(raw)?;
            let s = store.subscriber_by_email(&email)?.ok_or_else(|| {
                anyhow!("no subscriber {email} (see `newsdesk subscribers list`)")
            })?;
            (email, s.themes, Some(s.token))
        }
        None => (
            "a sample subscriber (all themes)".to_string(),
            Vec::new(),
            None,
        ),
    };
    let prepared = PreparedEdition::new(config, store, &edition)?;
    let Some(email) = prepared.render(&themes, token.as_deref()) else {
        if !g.quiet {
            println!(
                "{who} gets nothing from edition {}: none of its articles is in their themes",
                edition.number
            );
        }
        return Ok(Exit::Ok);
    };
    if file.extension().is_some_and(|e| e == "txt") {
        bail!("--preview takes the HTML file name; the text part goes next to it as .txt");
    }
    let text_file = file.with_extension("txt");
    let mut report = WebCopyReport::default();
    for (path, bytes) in [
        (file, email.html.as_bytes()),
        (&text_file, email.text.as_bytes()),
    ] {
        write_if_changed(path, bytes, &mut report)?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "edition": edition.number,
                "subscriber": args.subscriber.as_ref().map(|_| &who),
                "subject": email.subject,
                "html": file.display().to_string(),
                "text": text_file.display().to_string(),
                "html_bytes": email.html.len(),
            })
        );
    } else if !g.quiet {
        println!(
            "preview of edition {} for {who}: {} and {}\nsubject: {}",
            edition.number,
            file.display(),
            text_file.display(),
            email.subject
        );
    }
    Ok(Exit::Ok)
}
