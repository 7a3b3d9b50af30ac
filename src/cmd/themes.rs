//! `newsdesk themes`: classify stored articles if anything changed, then list
//! the themes with their article counts. `newsdesk themes --explain
//! FILE_OR_ID` shows how one article scores against every theme: the score,
//! the threshold, and which terms matched where.

use std::path::Path;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{Globals, report_file_error};
use crate::error::{Error, Exit};
use crate::parse::{self, Context};
use crate::themes::{self, ArticleText, Themes};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Explain how an article scores against every theme: an archive file,
    /// or the id of a stored article.
    #[arg(long, value_name = "FILE_OR_ID")]
    pub explain: Option<String>,
    /// Classify every stored article again, even if nothing changed.
    #[arg(long, conflicts_with = "explain")]
    pub force: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Listed<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    threshold: f64,
    articles: usize,
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    match &args.explain {
        Some(target) => explain(target, args.json, g),
        None => list(args, g),
    }
}

fn list(args: &Args, g: &Globals) -> Result<Exit> {
    let config = g.load_config()?;
    let themes = Themes::for_config(Some(&config)).map_err(|e| Error::Config {
        path: config.path.clone(),
        message: format!("{e:#}"),
    })?;
    let mut store = g.open_store(&config)?;
    let report = themes::classify_store(&mut store, &themes, args.force)?;
    let counts = store.theme_counts()?;
    let listed: Vec<Listed<'_>> = themes
        .configs()
        .iter()
        .map(|t| Listed {
            id: &t.id,
            name: &t.name,
            description: &t.description,
            threshold: t.threshold,
            articles: counts.get(&t.id).copied().unwrap_or(0),
        })
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "classified": report, "themes": listed })
        );
        return Ok(Exit::Ok);
    }
    // Like ingest: a change is reported even with --quiet.
    if !report.skipped {
        println!("{}", report.summary());
    }
    if g.quiet {
        return Ok(Exit::Ok);
    }
    let w = listed.iter().map(|t| t.id.len()).max().unwrap_or(0);
    let wn = listed
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    for t in &listed {
        println!(
            "{:<w$}  {:<wn$}  {:>6} article{}",
            t.id,
            t.name,
            t.articles,
            if t.articles == 1 { "" } else { "s" }
        );
    }
    Ok(Exit::Ok)
}

fn explain(target: &str, json: bool, g: &Globals) -> Result<Exit> {
    let config = g.load_config_if_present()?;
    let themes = Themes::for_config(config.as_ref())?;
    let path = Path::new(target);
    let (source, article) = if path.is_file() {
        let bytes = std::fs::read(path)?;
        let ctx = Context {
            base_url: config.as_ref().map(|c| &c.site.base_url),
        };
        match parse::parse_file(&bytes, path, &ctx) {
            Ok((_, a)) => (target.to_string(), a),
            Err(e) => {
                report_file_error(target, &e.to_string());
                return Ok(Exit::DataErr);
            }
        }
    } else {
        let Some(config) = &config else {
            report_file_error(
                target,
                "no such file (and no config, so no store to look the id up in)",
            );
            return Ok(Exit::NoInput);
        };
        let store = g.open_store(config)?;
        match store.article(target)? {
            Some(a) => (format!("article {}", a.id), a.article),
            None => {
                if path.exists() {
                    bail!("{target}: not a regular file");
                }
                report_file_error(target, "no such file, and no stored article with that id");
                return Ok(Exit::NoInput);
            }
        }
    };
    let e = themes.explain(&ArticleText::from(&article));
    if json {
        println!(
            "{}",
            serde_json::json!({ "source": source, "title": article.title, "explanation": e })
        );
    } else {
        println!("{source}: {}", article.title);
        let ids = e.theme_ids();
        println!(
            "themes: {}",
            if ids.is_empty() {
                "(none)".to_string()
            } else {
                ids.join(", ")
            }
        );
        print!("{}", e.render());
    }
    Ok(Exit::Ok)
}
