//! `newsdesk run`: the whole job, for cron — ingest → classify → feeds →
//! digest (when due) → send (when configured).
//!
//! Each step's failure is reported and the later steps still run when they
//! can; the worst exit code wins. The run holds the site lock throughout, so
//! overlapping cron invocations never interleave.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use super::{Globals, report_file_error};
use crate::config::Config;
use crate::error::{Exit, exit_for};
use crate::ingest::{self, IngestOptions};
use crate::lock::RunLock;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object with per-step counts and timings.
    #[arg(long)]
    pub json: bool,
    /// If another run holds the lock, wait up to SECS for it instead of exiting 75.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub wait: u64,
    /// Re-read every archive file and rebuild everything, even if unchanged.
    #[arg(long)]
    pub force: bool,
}

/// What one step did, for the summary line and `--json`.
#[derive(Debug, Serialize)]
pub struct StepReport {
    pub step: &'static str,
    /// Whether the step changed anything (decides `-q` output).
    pub changed: bool,
    pub summary: String,
    pub counts: serde_json::Value,
    pub elapsed_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub exit: u8,
}

#[derive(Debug, Serialize)]
struct RunReport<'a> {
    exit: u8,
    elapsed_ms: f64,
    steps: &'a [StepReport],
}

/// Runs the steps in order and collects their reports.
pub struct Runner<'a> {
    pub config: &'a Config,
    pub store: Store,
    pub g: &'a Globals,
    pub force: bool,
    pub steps: Vec<StepReport>,
    pub exit: Exit,
}

/// A step's successful outcome: whether it changed anything, its summary line,
/// its counts, and the exit code it implies (e.g. 65 for rejected files).
pub struct StepOutcome {
    pub changed: bool,
    pub summary: String,
    pub counts: serde_json::Value,
    pub exit: Exit,
}

impl Runner<'_> {
    fn step(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> Result<StepOutcome>) {
        tracing::debug!("{name}: starting");
        let start = Instant::now();
        let result = f(self);
        let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(o) => tracing::debug!(
                "{name}: done in {elapsed_ms:.1} ms, changed={}: {}",
                o.changed,
                o.summary
            ),
            Err(e) => tracing::debug!("{name}: failed in {elapsed_ms:.1} ms: {e:#}"),
        }
        let report = match result {
            Ok(o) => StepReport {
                step: name,
                changed: o.changed,
                summary: o.summary,
                counts: o.counts,
                elapsed_ms,
                error: None,
                exit: o.exit.code(),
            },
            Err(e) => {
                let code = exit_for(&e);
                eprintln!("newsdesk: {name}: error: {e:#}");
                StepReport {
                    step: name,
                    changed: false,
                    summary: format!("{name} failed: {e:#}"),
                    counts: serde_json::Value::Null,
                    elapsed_ms,
                    error: Some(format!("{e:#}")),
                    exit: code.code(),
                }
            }
        };
        self.exit.add(exit_from_code(report.exit));
        self.steps.push(report);
    }
}

fn exit_from_code(code: u8) -> Exit {
    match code {
        0 => Exit::Ok,
        65 => Exit::DataErr,
        66 => Exit::NoInput,
        69 => Exit::Unavailable,
        73 => Exit::CantCreate,
        75 => Exit::TempFail,
        78 => Exit::Config,
        _ => Exit::Other,
    }
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    let started = Instant::now();
    // Configuration errors stop before any work.
    let config = g.load_config()?;
    let _lock = RunLock::acquire(
        &RunLock::path_for(&config.store_path()),
        Duration::from_secs(args.wait),
    )?;
    let store = g.open_store(&config)?;
    let mut r = Runner {
        config: &config,
        store,
        g,
        force: args.force,
        steps: Vec::new(),
        exit: Exit::Ok,
    };

    r.step("ingest", ingest_step);
    r.step("themes", themes_step);
    r.step("feeds", feeds_step);
    r.step("digest", digest_step);
    if config.digest.send && config.smtp.is_some() {
        r.step("send", send_step);
    }

    if args.json {
        let report = RunReport {
            exit: r.exit.code(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            steps: &r.steps,
        };
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for s in &r.steps {
            if !g.quiet || s.changed || s.error.is_some() {
                println!("{}", s.summary);
            }
        }
    }
    Ok(r.exit)
}

fn ingest_step(r: &mut Runner<'_>) -> Result<StepOutcome> {
    let report = ingest::ingest(
        r.config,
        &mut r.store,
        r.g.now,
        &IngestOptions {
            force: r.force,
            ..Default::default()
        },
    )?;
    for (file, msg) in &report.outcome.rejected {
        report_file_error(file, msg);
    }
    Ok(StepOutcome {
        changed: report.changed(),
        summary: report.summary(),
        counts: serde_json::to_value(&report)?,
        exit: if report.outcome.rejected.is_empty() {
            Exit::Ok
        } else {
            Exit::DataErr
        },
    })
}

fn themes_step(r: &mut Runner<'_>) -> Result<StepOutcome> {
    // `load_config` already put the default themes in a config without any.
    let report = crate::themes::classify_configured(&mut r.store, &r.config.themes, r.force)?;
    Ok(StepOutcome {
        changed: !report.skipped && report.articles > 0,
        summary: report.summary(),
        counts: serde_json::json!({
            "skipped": report.skipped,
            "articles": report.articles,
            "per_theme": report.per_theme.iter().map(|(id, n)| (id.clone(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        }),
        exit: Exit::Ok,
    })
}

/// Makes an edition when the schedule says one is due, refreshes the web
/// copies, and writes a preview of what the next edition looks like. All of
/// it is skipped when nothing it depends on changed, so a no-op run stays
/// cheap however large the archive is.
fn digest_step(r: &mut Runner<'_>) -> Result<StepOutcome> {
    use crate::digest::{self, EditionOptions, PreparedEdition};

    let cfg = &r.config.digest;
    let schedule = cfg
        .schedule_spec()
        .map_err(|m| crate::error::Error::Config {
            path: r.config.path.clone(),
            message: m,
        })?;
    let mut made = None;
    let mut skipped_slot = None;
    let mut waiting = None;
    let last_slot = r
        .store
        .meta_get(META_DIGEST_SLOT)?
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    if let Some(slot) = schedule.due(r.g.now, last_slot) {
        let opts = EditionOptions::default();
        let pending = digest::next_edition(&r.store, r.config, r.g.now, &opts)?
            .map_or(0, |(e, _)| e.articles.len());
        if pending >= cfg.min_articles.max(1) {
            made = digest::create_edition(&mut r.store, r.config, r.g.now, &opts)?;
            r.store
                .meta_set(META_DIGEST_SLOT, &crate::store::ts(slot))?;
        } else if pending == 0 {
            // Nothing new: the slot passes without an edition (an empty
            // edition is never made), and is not retried every few minutes.
            skipped_slot = Some(pending);
            r.store
                .meta_set(META_DIGEST_SLOT, &crate::store::ts(slot))?;
        } else {
            // Fewer than `min_articles`: the slot stays open and the edition
            // goes out on the first run that has enough.
            waiting = Some(pending);
        }
    }

    // Web copies and the preview depend on the articles, their themes, the
    // editions and the config; rebuild them only when one of those changed.
    let config_text = std::fs::read(&r.config.path).unwrap_or_default();
    let inputs = format!(
        "{}:{}:{}:{}",
        r.store.articles_rev()?,
        r.store.themes_state()?.0.unwrap_or(-1),
        r.store.last_edition()?.map_or(0, |e| e.number),
        crate::util::sha256_hex(&config_text),
    );
    let mut written = Vec::new();
    let mut preview = None;
    if r.force || r.store.meta_get(META_DIGEST_INPUTS)?.as_deref() != Some(inputs.as_str()) {
        let web = digest::write_web_copies(r.config, &r.store)?;
        written.extend(web.written.iter().map(|p| p.display().to_string()));
        // The preview shows the next edition, or the latest one when
        // everything is already in an edition.
        let edition =
            match digest::next_edition(&r.store, r.config, r.g.now, &EditionOptions::default())? {
                Some((e, _)) => Some(e),
                None => match r.store.last_edition()? {
                    Some(rec) => digest::load_edition(&r.store, rec.number)?,
                    None => None,
                },
            };
        if let Some(edition) = edition {
            let prepared = PreparedEdition::new(r.config, &r.store, &edition)?;
            if let Some(email) = prepared.render(&[], None) {
                let dir = r.config.resolve(&cfg.dir);
                let html = dir.join("preview.html");
                let mut rep = crate::digest::WebCopyReport::default();
                crate::digest::write_if_changed(&html, email.html.as_bytes(), &mut rep)?;
                crate::digest::write_if_changed(
                    &html.with_extension("txt"),
                    email.text.as_bytes(),
                    &mut rep,
                )?;
                written.extend(rep.written.iter().map(|p| p.display().to_string()));
                preview = Some(html);
            }
        }
        r.store.meta_set(META_DIGEST_INPUTS, &inputs)?;
    }

    let mut parts = Vec::new();
    match (&made, skipped_slot) {
        (Some(e), _) => parts.push(format!(
            "digest: edition {} with {} articles ({})",
            e.number,
            e.articles.len(),
            digest::web_copy_url(r.config, e.number)
        )),
        (None, Some(_)) => parts
            .push("digest: due, but nothing new since the last edition; slot skipped".to_string()),
        (None, None) if waiting.is_some() => parts.push(format!(
            "digest: due, waiting for {} new articles (have {})",
            cfg.min_articles,
            waiting.unwrap_or(0)
        )),
        (None, None) => parts.push(match schedule.frequency {
            crate::schedule::Frequency::Manual => {
                "digest: schedule is manual (make one with `newsdesk digest`)".to_string()
            }
            _ => "digest: not due".to_string(),
        }),
    }
    if let Some(p) = &preview {
        parts.push(format!("preview {}", p.display()));
    }
    Ok(StepOutcome {
        changed: made.is_some() || skipped_slot.is_some() || !written.is_empty(),
        summary: parts.join("; "),
        counts: serde_json::json!({
            "edition": made.as_ref().map(|e| e.number),
            "articles": made.as_ref().map_or(0, |e| e.articles.len()),
            "slot_skipped": skipped_slot.is_some(),
            "preview": preview.as_ref().map(|p| p.display().to_string()),
            "written": written,
        }),
        exit: Exit::Ok,
    })
}

/// Meta key: the schedule slot the last edition (or skipped slot) was for.
const META_DIGEST_SLOT: &str = "digest_last_slot";
/// Meta key: what the web copies and preview were last built from.
const META_DIGEST_INPUTS: &str = "digest_inputs";

fn feeds_step(r: &mut Runner<'_>) -> Result<StepOutcome> {
    let report = crate::feeds::write_all_with(r.config, &r.store, r.g.now, r.force)?;
    Ok(StepOutcome {
        changed: report.changed(),
        summary: report.summary(),
        counts: serde_json::to_value(&report)?,
        exit: Exit::Ok,
    })
}

/// Delivers every edition with pending or due-deferred recipients. A new
/// edition made by the digest step above is sent in the same run.
fn send_step(r: &mut Runner<'_>) -> Result<StepOutcome> {
    use std::io::IsTerminal;
    let opts = crate::mail::SendOptions {
        progress: !r.g.quiet && std::io::stderr().is_terminal(),
        ..Default::default()
    };
    let report = crate::mail::send_pending(r.config, &r.store, r.g.now, &opts)?;
    let attempted = report.sent + report.deferred + report.failed;
    Ok(StepOutcome {
        changed: attempted > 0,
        summary: if report.editions.is_empty() {
            "send: nothing to send".to_string()
        } else {
            format!(
                "send: edition(s) {}: {} sent, {} deferred, {} failed, {} skipped{}",
                report
                    .editions
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                report.sent,
                report.deferred,
                report.failed,
                report.skipped,
                if report.interrupted {
                    " (interrupted; the rest stay pending)"
                } else {
                    ""
                }
            )
        },
        counts: serde_json::to_value(&report)?,
        exit: report.exit(),
    })
}
