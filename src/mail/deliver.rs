//! The ledger-driven delivery engine.
//!
//! Exactly-once, crash-safe: the ledger is seeded with one `pending` row per
//! recipient before anything is sent; a message counts as sent only once the
//! server answered 250 *and* the row was committed, and a session sends its
//! next message only after that commit. Killed at any moment, a rerun reads
//! the ledger and sends what is not recorded; the only possible duplicates
//! are the (at most one per session) messages whose 250 arrived but whose
//! commit did not happen.
//!
//! SIGINT/SIGTERM (Ctrl-C, `systemctl stop`, a cron timeout) stop it
//! cleanly instead: no new message is started, the ones in flight finish
//! and are recorded, and the run ends as interrupted (exit 75), so even
//! those duplicates cannot happen. A second signal kills at once.
//!
//! Threads: `concurrency` worker threads each own one SMTP session and pull
//! jobs from a shared queue; the calling thread owns the store and writes
//! the ledger, acknowledging each write back to the worker that waits for it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use lettre::Address;
use lettre::message::dkim::DkimConfig;

use super::message::MessageSettings;
use super::transport::{ConnectError, Connector, Delivery, Session};
use super::{Composer, Recipient, Sender};
use crate::config::Config;
use crate::error::{Error, Exit};
use crate::store::{DueRecipient, Store};

/// Messages a dry run builds in parallel before writing them in order.
const DRY_RUN_CHUNK: usize = 512;

/// How temporary failures are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per message within one run (the first one included).
    pub attempts_per_run: u32,
    /// Wait before the first in-run retry; doubles each time.
    pub base: Duration,
    /// Earliest next run for a message still deferred at the end of a run;
    /// doubles with every recorded attempt, capped at a day.
    pub next_run_after: chrono::Duration,
    /// Connection attempts before the server counts as unavailable.
    pub connect_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts_per_run: 3,
            base: Duration::from_secs(2),
            next_run_after: chrono::Duration::minutes(15),
            connect_attempts: 3,
        }
    }
}

/// What to send.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    /// Only this edition (default: the newest one, plus any older edition
    /// whose ledger still has pending or deferred rows).
    pub edition: Option<i64>,
    /// Retry deferred rows now even if their next try has not come.
    pub retry_deferred_now: bool,
    /// Show an indicatif progress bar (callers pass "stderr is a TTY").
    pub progress: bool,
    pub retry: RetryPolicy,
}

/// Outcome of a send run (`--json` prints it).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SendReport {
    pub editions: Vec<i64>,
    pub sent: usize,
    pub deferred: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Messages written by `--dry-run`.
    pub written: usize,
    pub elapsed_secs: f64,
    pub messages_per_sec: f64,
    /// Editions whose every recipient is now sent, failed or skipped.
    pub complete: Vec<i64>,
    /// Stopped by SIGINT/SIGTERM before every message was tried; the rest
    /// stay pending for the next run.
    pub interrupted: bool,
}

impl SendReport {
    /// 75 (try again later) while messages remain deferred or the run was
    /// interrupted, else 0.
    pub fn exit(&self) -> Exit {
        if self.deferred > 0 || self.interrupted {
            Exit::TempFail
        } else {
            Exit::Ok
        }
    }
}

/// Ready-to-use delivery settings for one publication.
pub struct Mailer {
    pub settings: MessageSettings,
    connector: Option<Connector>,
    dkim: Option<DkimConfig>,
    envelope_from: Address,
    concurrency: usize,
    rate_limit: Option<f64>,
    max_per_connection: usize,
    config_path: PathBuf,
}

impl Mailer {
    /// Builds a mailer from `[site]`, `[smtp]` and the sender identity
    /// (from `[digest]`). Without `[smtp]` only dry runs are possible.
    pub fn from_config(config: &Config, sender: &Sender) -> Result<Mailer> {
        let config_err = |e: anyhow::Error| Error::Config {
            path: config.path.clone(),
            message: format!("{e:#}"),
        };
        let smtp = config.smtp.as_ref();
        let settings = MessageSettings::new(
            &config.site.title,
            &config.site.base_url,
            sender.from,
            sender.reply_to,
            sender.unsubscribe_mailto,
        )
        .map_err(config_err)?;
        let connector = smtp
            .map(|s| Connector::from_config(s, &config.root))
            .transpose()
            .map_err(config_err)?;
        let dkim = smtp
            .and_then(|s| s.dkim.as_ref())
            .map(|d| super::dkim::load(d, &config.root))
            .transpose()
            .map_err(config_err)?;
        let envelope_from = settings.from.email.clone();
        Ok(Mailer {
            settings,
            connector,
            dkim,
            envelope_from,
            concurrency: smtp.map_or(4, |s| s.concurrency),
            rate_limit: smtp.and_then(|s| s.rate_limit),
            max_per_connection: smtp.map_or(1000, |s| s.max_messages_per_connection),
            config_path: config.path.clone(),
        })
    }

    fn connector(&self) -> Result<&Connector> {
        self.connector.as_ref().ok_or_else(|| {
            Error::Config {
                path: self.config_path.clone(),
                message: "no [smtp] section: configure a server to send digests".into(),
            }
            .into()
        })
    }

    /// Builds (and signs) the message for one recipient; returns it with
    /// its Message-ID.
    fn build(
        &self,
        composer: &dyn Composer,
        edition: i64,
        r: &Recipient,
        date: DateTime<Utc>,
    ) -> Result<(lettre::Message, String), BuildError> {
        let email = composer
            .compose(edition, r)
            .map_err(|e| BuildError::Compose(format!("{e:#}")))?
            .ok_or(BuildError::Nothing)?;
        let id = self.settings.message_id(edition, r.subscriber_id);
        let mut msg = self
            .settings
            .build(r, &email, &id, date)
            .map_err(|e| BuildError::Recipient(format!("{e:#}")))?;
        if let Some(d) = &self.dkim {
            msg.sign(d);
        }
        Ok((msg, id))
    }

    /// Writes every message a real send would deliver as `.eml` files
    /// (`<edition>-<subscriber id>.eml`) and records nothing.
    pub fn dry_run(
        &self,
        store: &Store,
        composer: &dyn Composer,
        now: DateTime<Utc>,
        opts: &SendOptions,
        dir: &Path,
    ) -> Result<SendReport> {
        let started = Instant::now();
        std::fs::create_dir_all(dir).map_err(|e| Error::Output {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut report = SendReport::default();
        for edition in editions(store, opts)? {
            report.editions.push(edition);
            let dues = store.ledger_preview(edition)?;
            // Messages are built on every core, a chunk at a time (bounded
            // memory), and written and reported in recipient order.
            for chunk in dues.chunks(DRY_RUN_CHUNK) {
                let built: Vec<_> = {
                    use rayon::prelude::*;
                    chunk
                        .par_iter()
                        .map(|due| {
                            self.build(composer, edition, &recipient(due), now)
                                .map(|(msg, _)| msg.formatted())
                        })
                        .collect()
                };
                for (due, b) in chunk.iter().zip(built) {
                    Self::dry_run_one(edition, due, b, dir, &mut report)?;
                }
            }
        }
        let n = report.written;
        finish_timing(&mut report, started, n);
        Ok(report)
    }

    /// Writes or reports one recipient's dry-run result.
    fn dry_run_one(
        edition: i64,
        due: &DueRecipient,
        built: std::result::Result<Vec<u8>, BuildError>,
        dir: &Path,
        report: &mut SendReport,
    ) -> Result<()> {
        match built {
            Ok(bytes) => {
                let path = dir.join(format!("{edition}-{}.eml", due.subscriber_id));
                std::fs::write(&path, bytes).map_err(|e| Error::Output {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                report.written += 1;
            }
            Err(BuildError::Recipient(e)) => {
                eprintln!("newsdesk: {}: {e}", due.email);
                report.failed += 1;
            }
            Err(BuildError::Nothing) => report.skipped += 1,
            Err(BuildError::Compose(e)) => anyhow::bail!("rendering edition {edition}: {e}"),
        }
        Ok(())
    }

    /// Sends one proof copy of `edition` to `to`; nothing is recorded.
    /// Returns the server's reply.
    pub fn send_proof(
        &self,
        composer: &dyn Composer,
        edition: i64,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let r = Recipient {
            subscriber_id: 0,
            email: to.to_string(),
            name: None,
            token: "proof".into(),
        };
        let (msg, _) = self
            .build(composer, edition, &r, now)
            .map_err(|e| match e {
                BuildError::Compose(s) | BuildError::Recipient(s) => anyhow::anyhow!(s),
                BuildError::Nothing => anyhow::anyhow!("edition {edition} has nothing to show"),
            })?;
        let rcpt: Address = to
            .parse()
            .with_context(|| format!("--to: {to:?} is not an address"))?;
        let mut session = self.connector()?.connect().map_err(connect_error(self))?;
        let d = session.deliver(&self.envelope_from, &rcpt, &msg.formatted());
        session.quit();
        match d {
            Delivery::Accepted(reply) => Ok(reply),
            Delivery::Transient(r) | Delivery::SessionLost(r) => {
                Err(Error::TempFail(format!("proof to {to} deferred: {r}")).into())
            }
            Delivery::Permanent(r) | Delivery::SenderRefused(r) => {
                Err(Error::Unavailable(format!("proof to {to} refused: {r}")).into())
            }
        }
    }

    /// Delivers every due ledger row of the selected editions (seeding the
    /// ledger first). Returns the counts; `report.exit()` is `TempFail` when
    /// messages remain deferred. Connection or authentication failures end
    /// the run with an error, leaving undelivered rows pending.
    pub fn send(
        &self,
        store: &Store,
        composer: &dyn Composer,
        now: DateTime<Utc>,
        opts: &SendOptions,
    ) -> Result<SendReport> {
        let started = Instant::now();
        let connector = self.connector()?;
        let mut report = SendReport::default();
        let mut jobs = VecDeque::new();
        for edition in editions(store, opts)? {
            report.editions.push(edition);
            let (_, skipped) = store.ledger_seed(edition, now)?;
            report.skipped += skipped;
            for due in store.ledger_due(edition, now, opts.retry_deferred_now)? {
                jobs.push_back(Job {
                    due,
                    run_attempts: 0,
                    lost: 0,
                });
            }
        }
        let total = jobs.len();
        tracing::info!(
            "sending {total} message(s) for edition(s) {:?} via {}",
            report.editions,
            connector.server()
        );
        if total > 0 {
            self.run_workers(
                store,
                composer,
                now,
                started,
                opts,
                connector,
                jobs,
                &mut report,
            )?;
        }
        for &e in &report.editions {
            let c = store.ledger_counts(e)?;
            if c.complete() {
                report.complete.push(e);
            }
        }
        let n = report.sent;
        finish_timing(&mut report, started, n);
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_workers(
        &self,
        store: &Store,
        composer: &dyn Composer,
        now: DateTime<Utc>,
        started: Instant,
        opts: &SendOptions,
        connector: &Connector,
        jobs: VecDeque<Job>,
        report: &mut SendReport,
    ) -> Result<()> {
        let total = jobs.len();
        let workers = self.concurrency.min(total).max(1);
        let stop = StopOnSignal::install()?;
        let queue = Queue::new(jobs, Arc::clone(&stop.flag));
        let limiter = self.rate_limit.map(RateLimiter::new);
        let clock =
            |at: Instant| now + chrono::Duration::from_std(at - started).unwrap_or_default();
        let bar = if opts.progress {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} sent  {per_sec}  eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        } else {
            indicatif::ProgressBar::hidden()
        };
        // One session first, alone: a wrong password or unreachable server
        // is found once, not by every worker in parallel.
        let first = Mutex::new(Some(connect_with_retry(self, connector, &opts.retry)?));
        let (tx, rx) = mpsc::channel::<Event>();
        let mut fatal: Option<anyhow::Error> = None;
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let first = &first;
                let tx = tx.clone();
                let queue = &queue;
                let limiter = limiter.as_ref();
                let policy = &opts.retry;
                scope.spawn(move || {
                    let w = Worker {
                        mailer: self,
                        connector,
                        composer,
                        queue,
                        limiter,
                        policy,
                        clock: &clock,
                        tx,
                    };
                    let session = first.lock().unwrap_or_else(|p| p.into_inner()).take();
                    w.run(session);
                });
            }
            drop(tx);
            // The ledger writer: one commit per event, then let the worker go on.
            for ev in rx {
                let at = clock(Instant::now());
                let result = match &ev.kind {
                    EventKind::Sent { reply, message_id } => {
                        report.sent += 1;
                        bar.inc(1);
                        store.ledger_mark_sent(ev.edition, ev.subscriber_id, reply, message_id, at)
                    }
                    EventKind::Deferred {
                        reply,
                        next_try,
                        last,
                    } => {
                        if *last {
                            report.deferred += 1;
                            bar.inc(1);
                        }
                        store.ledger_mark_deferred(
                            ev.edition,
                            ev.subscriber_id,
                            reply,
                            *next_try,
                            at,
                        )
                    }
                    EventKind::Failed { reply } => {
                        report.failed += 1;
                        bar.inc(1);
                        store.ledger_mark_failed(ev.edition, ev.subscriber_id, reply, at)
                    }
                    EventKind::Skipped => {
                        report.skipped += 1;
                        bar.inc(1);
                        store.ledger_mark_skipped(
                            ev.edition,
                            ev.subscriber_id,
                            "nothing in the subscriber's themes",
                            at,
                        )
                    }
                    EventKind::Fatal(_) => Ok(()),
                };
                if let EventKind::Fatal(e) = ev.kind {
                    queue.abort();
                    fatal.get_or_insert(e);
                }
                if let Err(e) = result {
                    queue.abort();
                    fatal.get_or_insert(e.context("cannot record delivery in the ledger"));
                }
                if let Some(ack) = ev.ack {
                    let _ = ack.send(());
                }
            }
        });
        bar.finish_and_clear();
        report.interrupted = stop.flag.load(Ordering::SeqCst) && queue.has_work();
        match fatal {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn connect_error(m: &Mailer) -> impl Fn(ConnectError) -> anyhow::Error + '_ {
    move |e| match e {
        ConnectError::Auth { .. } => Error::Config {
            path: m.config_path.clone(),
            message: format!("{e} (check smtp.username and the password source)"),
        }
        .into(),
        ConnectError::Unavailable(s) => Error::Unavailable(s).into(),
    }
}

fn editions(store: &Store, opts: &SendOptions) -> Result<Vec<i64>> {
    match opts.edition {
        Some(n) => {
            if store.ledger_edition_created(n)?.is_none() {
                return Err(Error::MissingInput(PathBuf::from(format!("edition {n}"))).into());
            }
            Ok(vec![n])
        }
        None => store.ledger_editions_to_send(),
    }
}

fn recipient(d: &DueRecipient) -> Recipient {
    Recipient {
        subscriber_id: d.subscriber_id,
        email: d.email.clone(),
        name: d.name.clone(),
        token: d.token.clone(),
    }
}

fn finish_timing(report: &mut SendReport, started: Instant, count: usize) {
    let secs = started.elapsed().as_secs_f64();
    report.elapsed_secs = (secs * 1000.0).round() / 1000.0;
    report.messages_per_sec = if secs > 0.0 {
        ((count as f64 / secs) * 10.0).round() / 10.0
    } else {
        0.0
    };
}

enum BuildError {
    /// The renderer failed: a bug or broken data, stop the run.
    Compose(String),
    /// This recipient cannot be mailed (bad address): record it as failed.
    Recipient(String),
    /// The edition has nothing for this recipient: record it as skipped.
    Nothing,
}

struct Job {
    due: DueRecipient,
    /// Attempts made in this run that got a 4xx.
    run_attempts: u32,
    /// Times the session died while this message was in flight.
    lost: u32,
}

struct Event {
    edition: i64,
    subscriber_id: i64,
    kind: EventKind,
    ack: Option<mpsc::SyncSender<()>>,
}

enum EventKind {
    Sent {
        reply: String,
        message_id: String,
    },
    Deferred {
        reply: String,
        next_try: DateTime<Utc>,
        /// No retry left in this run.
        last: bool,
    },
    Failed {
        reply: String,
    },
    Skipped,
    Fatal(anyhow::Error),
}

/// Work shared by the sessions: ready jobs, and 4xx retries waiting for
/// their backoff to pass.
struct Queue {
    state: Mutex<QueueState>,
    cv: Condvar,
    /// Set by SIGINT/SIGTERM: hand out no more jobs.
    stop: Arc<AtomicBool>,
}

/// SIGINT/SIGTERM handlers for the length of a send: the first signal sets
/// `flag` (the queue then hands out no more jobs); a second one, while it is
/// set, exits at once with 130 as an unhandled Ctrl-C would.
struct StopOnSignal {
    flag: Arc<AtomicBool>,
    ids: Vec<signal_hook::SigId>,
}

impl StopOnSignal {
    fn install() -> Result<StopOnSignal> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let flag = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag as the previous signal left it.
            ids.push(signal_hook::flag::register_conditional_shutdown(
                sig,
                130,
                Arc::clone(&flag),
            )?);
            ids.push(signal_hook::flag::register(sig, Arc::clone(&flag))?);
        }
        Ok(StopOnSignal { flag, ids })
    }
}

impl Drop for StopOnSignal {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

struct QueueState {
    ready: VecDeque<Job>,
    delayed: Vec<(Instant, Job)>,
    busy: usize,
    aborted: bool,
}

impl Queue {
    fn new(jobs: VecDeque<Job>, stop: Arc<AtomicBool>) -> Queue {
        Queue {
            stop,
            state: Mutex::new(QueueState {
                ready: jobs,
                delayed: Vec::new(),
                busy: 0,
                aborted: false,
            }),
            cv: Condvar::new(),
        }
    }

    /// The next job, waiting for delayed retries; `None` when all work is done.
    fn next(&self) -> Option<Job> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if s.aborted || self.stop.load(Ordering::SeqCst) {
                return None;
            }
            let now = Instant::now();
            let mut i = 0;
            while i < s.delayed.len() {
                if s.delayed[i].0 <= now {
                    let (_, j) = s.delayed.swap_remove(i);
                    s.ready.push_back(j);
                } else {
                    i += 1;
                }
            }
            if let Some(j) = s.ready.pop_front() {
                s.busy += 1;
                return Some(j);
            }
            if s.delayed.is_empty() && s.busy == 0 {
                return None;
            }
            let wait = s
                .delayed
                .iter()
                .map(|(t, _)| t.saturating_duration_since(now))
                .min()
                .unwrap_or(Duration::from_millis(200))
                // Wake up now and then to notice a stop signal.
                .min(Duration::from_millis(200));
            s = self
                .cv
                .wait_timeout(s, wait.max(Duration::from_millis(1)))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Marks a job handled, optionally putting it back (now or later).
    fn done(&self, again: Option<(Option<Instant>, Job)>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.busy -= 1;
        match again {
            Some((None, j)) => s.ready.push_front(j),
            Some((Some(t), j)) => s.delayed.push((t, j)),
            None => {}
        }
        drop(s);
        self.cv.notify_all();
    }

    /// Whether jobs are left (ready or waiting for a retry).
    fn has_work(&self) -> bool {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        !s.ready.is_empty() || !s.delayed.is_empty()
    }

    fn abort(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).aborted = true;
        self.cv.notify_all();
    }
}

/// Spaces message starts evenly over all sessions.
struct RateLimiter {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimiter {
    fn new(per_sec: f64) -> RateLimiter {
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / per_sec),
            next: Mutex::new(Instant::now()),
        }
    }

    fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

struct Worker<'a> {
    mailer: &'a Mailer,
    connector: &'a Connector,
    composer: &'a dyn Composer,
    queue: &'a Queue,
    limiter: Option<&'a RateLimiter>,
    policy: &'a RetryPolicy,
    clock: &'a (dyn Fn(Instant) -> DateTime<Utc> + Sync),
    tx: mpsc::Sender<Event>,
}

impl Worker<'_> {
    fn run(&self, mut session: Option<Session>) {
        let (ack_tx, ack_rx) = mpsc::sync_channel::<()>(1);
        // A `Sent` whose ledger commit is not yet acknowledged. The next
        // message is built meanwhile, but nothing more goes to the server,
        // and no other event to the ledger, before the acknowledgement
        // (`settle`): so at most one 250 per session can lack its commit.
        let pending = std::cell::Cell::new(false);
        let settle = || !pending.replace(false) || ack_rx.recv().is_ok();
        while let Some(mut job) = self.queue.next() {
            let edition = job.due.edition;
            let sid = job.due.subscriber_id;
            let send = |kind: EventKind, wait: bool| -> bool {
                if !settle() {
                    return false;
                }
                let sent = matches!(kind, EventKind::Sent { .. });
                let ack = wait.then(|| ack_tx.clone());
                if self
                    .tx
                    .send(Event {
                        edition,
                        subscriber_id: sid,
                        kind,
                        ack,
                    })
                    .is_err()
                {
                    return false;
                }
                if wait && sent {
                    pending.set(true);
                    return true;
                }
                !wait || ack_rx.recv().is_ok()
            };
            let r = recipient(&job.due);
            let date = (self.clock)(Instant::now());
            let (msg, message_id) = match self.mailer.build(self.composer, edition, &r, date) {
                Ok(m) => m,
                Err(BuildError::Recipient(reply)) => {
                    send(EventKind::Failed { reply }, true);
                    self.queue.done(None);
                    continue;
                }
                Err(BuildError::Nothing) => {
                    send(EventKind::Skipped, true);
                    self.queue.done(None);
                    continue;
                }
                Err(BuildError::Compose(e)) => {
                    send(
                        EventKind::Fatal(anyhow::anyhow!(
                            "rendering edition {edition} for subscriber {sid}: {e}"
                        )),
                        false,
                    );
                    self.queue.done(Some((None, job)));
                    break;
                }
            };
            let to: Address = match r.email.trim().parse() {
                Ok(a) => a,
                Err(e) => {
                    send(
                        EventKind::Failed {
                            reply: format!("invalid address: {e}"),
                        },
                        true,
                    );
                    self.queue.done(None);
                    continue;
                }
            };
            // A fresh session when there is none, it broke, or it is used up.
            if session
                .as_ref()
                .is_some_and(|s| s.is_broken() || s.messages >= self.mailer.max_per_connection)
                && let Some(s) = session.take()
            {
                s.quit();
            }
            if session.is_none() {
                match connect_with_retry(self.mailer, self.connector, self.policy) {
                    Ok(s) => session = Some(s),
                    Err(e) => {
                        send(EventKind::Fatal(e), false);
                        self.queue.done(Some((None, job)));
                        break;
                    }
                }
            }
            let raw = msg.formatted();
            // The last message's commit before this one goes out.
            if !settle() {
                self.queue.done(Some((None, job)));
                break;
            }
            let s = session.as_mut().expect("session just opened");
            if let Some(l) = self.limiter {
                l.wait();
            }
            let outcome = s.deliver(&self.mailer.envelope_from, &to, &raw);
            tracing::debug!("{} (edition {edition}): {:?}", r.email, outcome);
            let again = match outcome {
                Delivery::Accepted(reply) => {
                    if !send(EventKind::Sent { reply, message_id }, true) {
                        self.queue.done(None);
                        break;
                    }
                    None
                }
                Delivery::Permanent(reply) => {
                    send(EventKind::Failed { reply }, true);
                    None
                }
                Delivery::Transient(reply) => self.defer(job, reply, &send),
                Delivery::SessionLost(reply) => {
                    if let Some(s) = session.take() {
                        s.quit();
                    }
                    job.lost += 1;
                    if job.lost >= 3 {
                        // The server drops the connection on this message
                        // every time: stop hammering it, try next run.
                        self.defer(job, reply, &send)
                    } else {
                        Some((None, job))
                    }
                }
                Delivery::SenderRefused(reply) => {
                    send(
                        EventKind::Fatal(
                            Error::Unavailable(format!(
                                "the SMTP server refuses the sender {}: {reply}",
                                self.mailer.envelope_from
                            ))
                            .into(),
                        ),
                        false,
                    );
                    self.queue.done(Some((None, job)));
                    break;
                }
            };
            self.queue.done(again);
        }
        // The ledger has every message this session sent before it ends.
        settle();
        if let Some(s) = session {
            s.quit();
        }
    }

    /// Records a 4xx; returns the job with its retry time if this run retries it.
    fn defer(
        &self,
        mut job: Job,
        reply: String,
        send: &dyn Fn(EventKind, bool) -> bool,
    ) -> Option<(Option<Instant>, Job)> {
        job.run_attempts += 1;
        let total_attempts = job.due.attempts + job.run_attempts;
        let last = job.run_attempts >= self.policy.attempts_per_run;
        let now = Instant::now();
        let (next_try, retry_at) = if last {
            let factor = 1i32 << total_attempts.saturating_sub(1).min(10);
            let wait = (self.policy.next_run_after * factor).min(chrono::Duration::days(1));
            ((self.clock)(now) + wait, None)
        } else {
            let wait = self.policy.base * (1u32 << (job.run_attempts - 1).min(10));
            ((self.clock)(now + wait), Some(now + wait))
        };
        send(
            EventKind::Deferred {
                reply,
                next_try,
                last,
            },
            true,
        );
        retry_at.map(|t| (Some(t), job))
    }
}

/// Connects with a short backoff; an authentication failure is final.
fn connect_with_retry(
    mailer: &Mailer,
    connector: &Connector,
    policy: &RetryPolicy,
) -> Result<Session> {
    let mut delay = Duration::from_millis(200);
    let mut last = None;
    for attempt in 0..policy.connect_attempts.max(1) {
        if attempt > 0 {
            std::thread::sleep(delay);
            delay *= 2;
        }
        match connector.connect() {
            Ok(s) => return Ok(s),
            Err(e @ ConnectError::Auth { .. }) => return Err(connect_error(mailer)(e)),
            Err(e) => {
                tracing::warn!("{e}");
                last = Some(e);
            }
        }
    }
    Err(connect_error(mailer)(last.expect("at least one attempt")))
}
