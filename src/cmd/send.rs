//! The delivery side of `newsdesk digest`: `--send`, `--dry-run DIR`,
//! `--to EMAIL` and `--status`. The digest command flattens [`SendArgs`]
//! into its own arguments and hands over here; the composer (rendering) is
//! passed in so this file knows nothing of templates.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use serde_json::json;

use super::Globals;
use crate::config::Config;
use crate::error::Exit;
use crate::mail::compose::DigestComposer;
use crate::mail::{Mailer, SendOptions, SendReport};
use crate::store::{LedgerState, Store};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct SendArgs {
    /// Deliver the newest edition (and any unfinished older one) over SMTP.
    #[arg(long)]
    pub send: bool,
    /// With --send: write every message as an .eml file into DIR instead of
    /// sending; nothing is recorded.
    #[arg(long, value_name = "DIR", requires = "send")]
    pub dry_run: Option<PathBuf>,
    /// With --send: send one proof copy to EMAIL only; nothing is recorded.
    #[arg(
        long,
        value_name = "EMAIL",
        requires = "send",
        conflicts_with = "dry_run"
    )]
    pub to: Option<String>,
    /// With --send: retry deferred messages now instead of at their next try.
    #[arg(long, requires = "send")]
    pub retry_deferred: bool,
    /// Show delivery counts per state and the failed recipients.
    #[arg(long, conflicts_with = "send")]
    pub status: bool,
}

/// Runs `--send` (with `--dry-run` / `--to`) for the edition selected.
pub fn send(
    args: &SendArgs,
    edition: Option<i64>,
    json_out: bool,
    g: &Globals,
    config: &Config,
    store: &Store,
) -> Result<Exit> {
    let sender = crate::mail::sender_of(config)?;
    let mailer = Mailer::from_config(config, &sender)?;
    let quiet = g.quiet;
    let now = g.now;
    let opts = SendOptions {
        edition,
        retry_deferred_now: args.retry_deferred,
        progress: !json_out && !quiet && std::io::stderr().is_terminal(),
        ..SendOptions::default()
    };
    let editions = match edition {
        Some(n) => vec![n],
        None => store.ledger_editions_to_send()?,
    };
    let composer = DigestComposer::new(config, store, &editions)?;
    if let Some(to) = &args.to {
        let edition = *editions
            .last()
            .ok_or_else(|| anyhow::anyhow!("there is no edition yet"))?;
        let reply = mailer.send_proof(&composer, edition, to, now)?;
        if json_out {
            println!(
                "{}",
                json!({"proof": to, "edition": edition, "reply": reply})
            );
        } else if !quiet {
            println!("proof of edition {edition} sent to {to}: {reply}");
        }
        return Ok(Exit::Ok);
    }
    let report = match &args.dry_run {
        Some(dir) => mailer.dry_run(store, &composer, now, &opts, dir)?,
        None => {
            // Sending must not interleave with `run` or another send.
            let _lock = crate::lock::RunLock::acquire(
                &crate::lock::RunLock::path_for(&config.store_path()),
                std::time::Duration::ZERO,
            )?;
            mailer.send(store, &composer, now, &opts)?
        }
    };
    print_report(&report, args.dry_run.is_some(), json_out, quiet);
    Ok(report.exit())
}

pub fn print_report(report: &SendReport, dry_run: bool, json_out: bool, quiet: bool) {
    if report.interrupted {
        eprintln!(
            "newsdesk: interrupted: messages in flight were finished and recorded; \
             the rest stay pending for the next send"
        );
    }
    if json_out {
        println!(
            "{}",
            serde_json::to_string(report).expect("a report serializes")
        );
        return;
    }
    if dry_run {
        if quiet && report.written + report.failed == 0 {
            return;
        }
        println!(
            "dry run: {} message(s) written, {} skipped, {} unmailable",
            report.written, report.skipped, report.failed
        );
        return;
    }
    let nothing = report.sent + report.deferred + report.failed == 0;
    if quiet && nothing {
        return;
    }
    println!(
        "editions {:?}: {} sent, {} deferred, {} failed, {} skipped in {:.1} s ({:.0} messages/s)",
        report.editions,
        report.sent,
        report.deferred,
        report.failed,
        report.skipped,
        report.elapsed_secs,
        report.messages_per_sec
    );
    if report.deferred > 0 {
        println!("deferred messages will be retried by the next run");
    }
}

/// `--status [--edition N]`: counts per state and every failure.
pub fn status(store: &Store, edition: Option<i64>, json_out: bool) -> Result<Exit> {
    let editions = match edition {
        Some(n) => vec![n],
        None => store.ledger_editions()?,
    };
    let mut out = Vec::new();
    for e in editions {
        let counts = store.ledger_counts(e)?;
        let failures = store.ledger_rows(e, &[LedgerState::Failed, LedgerState::Deferred])?;
        if json_out {
            out.push(json!({
                "edition": e,
                "complete": counts.complete() && counts.total() > 0,
                "counts": counts,
                "problems": failures,
            }));
            continue;
        }
        let state = if counts.total() == 0 {
            "not sent"
        } else if counts.complete() {
            "complete"
        } else {
            "incomplete"
        };
        println!(
            "edition {e}: {state}: {} sent, {} pending, {} deferred, {} failed, {} skipped",
            counts.sent, counts.pending, counts.deferred, counts.failed, counts.skipped
        );
        for f in failures {
            let when = match (&f.state, &f.next_try) {
                (LedgerState::Deferred, Some(t)) => format!(" (next try {t})"),
                _ => String::new(),
            };
            println!(
                "  {} {}: {}{when}",
                f.state.as_str(),
                f.email,
                f.reply.as_deref().unwrap_or("")
            );
        }
    }
    if json_out {
        println!("{}", serde_json::Value::Array(out));
    }
    Ok(Exit::Ok)
}
