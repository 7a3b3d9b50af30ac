//! `newsdesk subscribers add|remove|list|import`: manage who gets digests.
//!
//! Addresses are validated and normalized (domain lowercased); adding an
//! existing address updates its name/themes instead of duplicating it.
//! `remove` unsubscribes (the row stays, so the address is not re-imported).
//!
//! CSV import: a header row naming `email` (required), `name` and `themes`
//! (optional, any order, case-insensitive; other columns ignored; Mailchimp's
//! `Email Address`, `First Name`, `Last Name` are understood too), fields
//! separated by `,`, or by `;` or tabs when the header row uses those (as
//! spreadsheets do in many European locales). Themes in
//! one field are separated by `;`, `,` or spaces (quote the field for `,`).
//! An empty themes field means "every theme" for a new subscriber and "keep
//! the current choice" for an existing one. Rows for the same address are
//! merged (themes united, the last name wins). Bad rows are reported with
//! their line number and skipped; the rest are imported (exit 65). Imports
//! never re-subscribe an address that unsubscribed; `add` does.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use super::{Globals, report_file_error};
use crate::config::Config;
use crate::digest::{normalize_email, parse_theme_list};
use crate::error::{Error, Exit};
use crate::store::{NewSubscriber, UpsertOutcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Add a subscriber, or update an existing one's name and themes
    /// (re-subscribes an address that had unsubscribed).
    Add {
        email: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Theme ids to receive, comma-separated (default: every theme).
        #[arg(long, value_name = "a,b")]
        themes: Option<String>,
    },
    /// Unsubscribe an address (kept as unsubscribed, never mailed again).
    Remove { email: String },
    /// List subscribers.
    List {
        /// One JSON object per subscriber, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Import subscribers from a CSV file with header `email,name,themes`.
    Import { file: PathBuf },
    /// Unsubscribe the holder of an unsubscribe-link token (for publishers
    /// who handle the link with their own web server).
    Unsubscribe {
        #[arg(long, value_name = "T")]
        token: String,
    },
    /// Unsubscribe the senders of the emails in a Maildir (the
    /// `[digest] unsubscribe_mailto` inbox); processed mail moves to cur/.
    ProcessUnsubscribes { maildir: PathBuf },
}

/// The `list --json` shape (documented; keep it stable).
#[derive(Debug, Serialize)]
struct Listed<'a> {
    email: &'a str,
    name: Option<&'a str>,
    themes: &'a [String],
    status: &'static str,
    source: &'a str,
    created_at: String,
    status_changed_at: String,
    token: &'a str,
    /// Every state change: `{at, event, source[, detail]}`, oldest first.
    history: Vec<crate::store::SubscriberEvent>,
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    let config = g.load_config()?;
    let mut store = g.open_store(&config)?;
    match &args.action {
        Action::Add {
            email,
            name,
            themes,
        } => {
            let row = match validate_row(&config, email, name.as_deref(), themes.as_deref()) {
                Ok(r) => r,
                Err(msg) => {
                    eprintln!("newsdesk: {msg}");
                    return Ok(Exit::DataErr);
                }
            };
            let new = NewSubscriber {
                email: row.email.clone(),
                name: row.name,
                themes: row.themes,
                source: "cli".into(),
                resubscribe: true,
            };
            let outcome = store.upsert_subscriber(&new, g.now)?;
            let verb = match outcome {
                UpsertOutcome::Added => "added",
                UpsertOutcome::Updated => "updated",
                UpsertOutcome::Resubscribed => "re-subscribed",
                UpsertOutcome::Unchanged | UpsertOutcome::KeptUnsubscribed => "unchanged",
            };
            // Print the stored spelling (an existing row keeps its own).
            let stored = store
                .subscriber_by_email(&row.email)?
                .map_or(row.email, |s| s.email);
            if !g.quiet || outcome != UpsertOutcome::Unchanged {
                println!("{verb} {stored}");
            }
            Ok(Exit::Ok)
        }
        Action::Remove { email } => {
            let email = match normalize_email(email) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("newsdesk: {e}");
                    return Ok(Exit::DataErr);
                }
            };
            let email = store
                .subscriber_by_email(&email)?
                .map_or(email, |s| s.email);
            if store.unsubscribe_email(&email, "cli", g.now)? {
                println!("unsubscribed {email}");
                Ok(Exit::Ok)
            } else if store.subscriber_by_email(&email)?.is_some() {
                if !g.quiet {
                    println!("{email} was already unsubscribed");
                }
                Ok(Exit::Ok)
            } else {
                eprintln!("newsdesk: no subscriber {email}");
                Ok(Exit::DataErr)
            }
        }
        Action::List { json } => {
            for s in store.subscribers()? {
                if *json {
                    let l = Listed {
                        email: &s.email,
                        name: s.name.as_deref(),
                        themes: &s.themes,
                        status: s.status.as_str(),
                        source: &s.source,
                        created_at: crate::store::ts(s.created_at),
                        status_changed_at: crate::store::ts(s.status_changed_at),
                        token: &s.token,
                        history: store.subscriber_events(s.id)?,
                    };
                    println!("{}", serde_json::to_string(&l)?);
                } else {
                    println!(
                        "{}\t{}\t{}\t{}",
                        s.email,
                        s.name.as_deref().unwrap_or("-"),
                        if s.themes.is_empty() {
                            "(all themes)".to_string()
                        } else {
                            s.themes.join(",")
                        },
                        s.status.as_str()
                    );
                }
            }
            Ok(Exit::Ok)
        }
        Action::Import { file } => import(&config, &mut store, g, file),
        Action::Unsubscribe { token } => {
            let token = token.trim();
            match store.subscriber_by_token(token)? {
                Some(s) if s.status == crate::store::SubscriberStatus::Active => {
                    store.unsubscribe_token(token, "cli", g.now)?;
                    println!("unsubscribed {}", s.email);
                    Ok(Exit::Ok)
                }
                Some(s) => {
                    if !g.quiet {
                        println!("{} was already unsubscribed", s.email);
                    }
                    Ok(Exit::Ok)
                }
                None => {
                    eprintln!("newsdesk: no subscriber has that token");
                    Ok(Exit::DataErr)
                }
            }
        }
        Action::ProcessUnsubscribes { maildir } => {
            crate::serve::mailto::process_maildir(&store, maildir, g.now, g.quiet)
        }
    }
}

/// The field separator of a CSV export, read from its header row: `,`
/// unless the header has more `;` (spreadsheets in locales whose decimal
/// mark is a comma write semicolons) or tabs (a TSV export), outside quotes.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let seps = [b',', b';', b'\t'];
    // Ties (including none at all) keep the comma.
    let best = (1..3).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    seps[best]
}

/// The 1-based lines records start on. The csv crate's own line count is
/// one short after every CRLF line end (Windows exports), and its record
/// offset may point at the LF of the previous CRLF, so lines are counted
/// from the bytes: from where the last asked-for record started, since
/// records come in order (counting from the top for each one made a large
/// import quadratic).
struct Lines<'a> {
    bytes: &'a [u8],
    /// Byte offset and line of the last record asked for.
    at: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            at: 0,
            line: 1,
        }
    }

    fn of(&mut self, pos: &csv::Position) -> u64 {
        let bytes = self.bytes;
        let mut start = usize::try_from(pos.byte()).map_or(bytes.len(), |b| b.min(bytes.len()));
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start < self.at {
            (self.at, self.line) = (0, 1);
        }
        self.line += memchr::memchr_iter(b'\n', &bytes[self.at..start]).count() as u64;
        self.at = start;
        self.line
    }
}

struct Row {
    email: String,
    name: Option<String>,
    themes: Option<Vec<String>>,
}

fn validate_row(
    config: &Config,
    email: &str,
    name: Option<&str>,
    themes: Option<&str>,
) -> Result<Row, String> {
    let email = normalize_email(email).map_err(|e| e.to_string())?;
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if n.chars().any(char::is_control) => {
            return Err(format!(
                "name {n:?} contains a line break or control character"
            ));
        }
        Some(n) if n.chars().count() > 200 => {
            return Err("name is longer than 200 characters".into());
        }
        other => other.map(str::to_string),
    };
    let themes = match themes.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(parse_theme_list(t, config)?),
        None => None,
    };
    Ok(Row {
        email,
        name,
        themes,
    })
}

fn import(
    config: &Config,
    store: &mut crate::store::Store,
    g: &Globals,
    file: &std::path::Path,
) -> Result<Exit> {
    let shown = file.display().to_string();
    let mut bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::MissingInput(file.to_path_buf()).into());
        }
        Err(e) => {
            report_file_error(&shown, &format!("cannot read: {e}"));
            return Ok(Exit::NoInput);
        }
    };
    // Spreadsheet exports often start with a UTF-8 byte-order mark.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(&bytes))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            report_file_error(&shown, &format!("cannot read the header row: {e}"));
            return Ok(Exit::DataErr);
        }
    };
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let any_col = |names: &[&str]| names.iter().find_map(|n| col(n));
    // Other tools' exports: Mailchimp writes "Email Address", "First Name"
    // and "Last Name"; others "E-mail" or "Full Name".
    let Some(email_col) = any_col(&["email", "email address", "e-mail", "e-mail address"]) else {
        report_file_error(
            &shown,
            "line 1: the header row must name an `email` column (optionally `name`, `themes`)",
        );
        return Ok(Exit::DataErr);
    };
    let (name_col, themes_col) = (any_col(&["name", "full name"]), col("themes"));
    let (first_col, last_col) = (col("first name"), col("last name"));

    let mut bad = 0usize;
    let mut order: Vec<String> = Vec::new();
    let mut merged: HashMap<String, Row> = HashMap::new();
    let mut lines = Lines::new(&bytes);
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.of(p));
                report_file_error(&format!("{shown}:{line}"), &format!("unreadable row: {e}"));
                bad += 1;
                continue;
            }
        };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let field = |c: Option<usize>| c.and_then(|c| rec.get(c));
        let joined;
        let name = match name_col {
            Some(_) => field(name_col),
            None => {
                joined = [field(first_col), field(last_col)]
                    .into_iter()
                    .flatten()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(joined.as_str())
            }
        };
        let row = match validate_row(
            config,
            rec.get(email_col).unwrap_or(""),
            name,
            field(themes_col),
        ) {
            Ok(r) => r,
            Err(msg) => {
                let line = rec.position().map_or(0, |p| lines.of(p));
                report_file_error(&format!("{shown}:{line}"), &msg);
                bad += 1;
                continue;
            }
        };
        // Addresses differing only in case are one subscriber (as in the store).
        let key = row.email.to_lowercase();
        match merged.get_mut(&key) {
            Some(prev) => {
                if row.name.is_some() {
                    prev.name = row.name;
                }
                if let Some(t) = row.themes {
                    let mut all = prev.themes.take().unwrap_or_default();
                    all.extend(t);
                    prev.themes =
                        Some(parse_theme_list(&all.join(","), config).map_err(anyhow::Error::msg)?);
                }
            }
            None => {
                order.push(key.clone());
                merged.insert(key, row);
            }
        }
    }

    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for email in &order {
        let row = merged.remove(email).expect("every ordered email is merged");
        let new = NewSubscriber {
            email: row.email,
            name: row.name,
            themes: row.themes,
            source: "import".into(),
            resubscribe: false,
        };
        let key = match store.upsert_subscriber(&new, g.now)? {
            UpsertOutcome::Added | UpsertOutcome::Resubscribed => "added",
            UpsertOutcome::Updated => "updated",
            UpsertOutcome::Unchanged => "unchanged",
            UpsertOutcome::KeptUnsubscribed => "kept unsubscribed",
        };
        *counts.entry(key).or_default() += 1;
    }
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    let changed = n("added") + n("updated") > 0;
    if !g.quiet || changed || bad > 0 {
        println!(
            "imported {shown}: {} added, {} updated, {} unchanged, {} kept unsubscribed, {bad} bad {}",
            n("added"),
            n("updated"),
            n("unchanged"),
            n("kept unsubscribed"),
            if bad == 1 { "row" } else { "rows" }
        );
    }
    Ok(if bad > 0 { Exit::DataErr } else { Exit::Ok })
}
