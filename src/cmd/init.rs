//! `newsdesk init [DIR]`: creates a working site — a fully commented
//! `newsdesk.toml` with the default themes, and an `archive/` with one example
//! article — and says what to do next. Existing files are never overwritten
//! without `--force`.
//!
//! Templates are compiled into the binary (askama), so there is nothing to
//! copy: the digest's look is set in `[digest]` (title, intro, accent colour,
//! logo, footer).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Globals;
use crate::error::{Error, Exit};

const CONFIG: &str = include_str!("init/newsdesk.toml");
const EXAMPLE: &str = include_str!("init/example.md");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to create the site in (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

/// The commented config `init` writes: the options, then the default themes.
pub fn config_template() -> String {
    let themes = crate::themes::DEFAULT_THEMES_TOML
        .lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    format!("{CONFIG}\n{themes}\n")
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    let dir = &args.dir;
    let files: [(PathBuf, String); 2] = [
        (dir.join("newsdesk.toml"), config_template()),
        (dir.join("archive").join("welcome.md"), EXAMPLE.to_string()),
    ];
    if !args.force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(p, _)| p.exists())
            .map(|(p, _)| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(Error::Output {
                path: dir.clone(),
                message: format!(
                    "{} already exist(s); pass --force to overwrite",
                    existing.join(", ")
                ),
            }
            .into());
        }
    }
    for (path, text) in &files {
        write(path, text)?;
    }
    if !g.quiet {
        let shown = if dir == Path::new(".") {
            String::new()
        } else {
            format!("cd {} && ", dir.display())
        };
        println!(
            "created {} and {}\n\nnext steps:\n  1. edit newsdesk.toml: set [site] title and base_url\n  2. put articles in archive/ (text exports, Markdown, archived HTML)\n  3. {shown}newsdesk run        # writes feeds/ and digests/preview.html\n  4. add it to cron: */10 * * * * cd {} && newsdesk run -q",
            files[0].0.display(),
            files[1].0.display(),
            std::path::absolute(dir)
                .unwrap_or_else(|_| dir.clone())
                .display()
        );
    }
    Ok(Exit::Ok)
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::Output {
                path: parent.to_path_buf(),
                message: e.to_string(),
            })
            .with_context(|| "init")?;
    }
    std::fs::write(path, text).map_err(|e| Error::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(())
}
