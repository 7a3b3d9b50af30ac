//! The per-edition × recipient send ledger (owned by the mail stage): the
//! truth about what was delivered, committed after every accepted message.
//!
//! States: `pending` (to send) → `sent` (server said 250; reply, time and
//! Message-ID kept) | `deferred` (4xx; attempts and next try kept) |
//! `failed` (5xx; never retried) | `skipped` (the subscriber left before
//! their copy went out). An edition is complete when no row is `pending`
//! or `deferred`.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, parse_ts, ts};

pub(super) const MIGRATION: &str = r#"
CREATE TABLE send_ledger (
    edition       INTEGER NOT NULL REFERENCES editions(number),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    email         TEXT NOT NULL,
    state         TEXT NOT NULL
                  CHECK (state IN ('pending', 'sent', 'deferred', 'failed', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    reply         TEXT,
    message_id    TEXT,
    next_try      TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (edition, subscriber_id)
);
CREATE INDEX send_ledger_state ON send_ledger(edition, state);
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LedgerState {
    Pending,
    Sent,
    Deferred,
    Failed,
    Skipped,
}

impl LedgerState {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerState::Pending => "pending",
            LedgerState::Sent => "sent",
            LedgerState::Deferred => "deferred",
            LedgerState::Failed => "failed",
            LedgerState::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> LedgerState {
        match s {
            "sent" => LedgerState::Sent,
            "deferred" => LedgerState::Deferred,
            "failed" => LedgerState::Failed,
            "skipped" => LedgerState::Skipped,
            _ => LedgerState::Pending,
        }
    }
}

/// A ledger row still to be delivered, with what composing the message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRecipient {
    pub edition: i64,
    pub subscriber_id: i64,
    pub email: String,
    pub name: Option<String>,
    pub token: String,
    pub attempts: u32,
}

/// One ledger row as `--status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerRow {
    pub edition: i64,
    pub subscriber_id: i64,
    pub email: String,
    pub state: LedgerState,
    pub attempts: u32,
    pub reply: Option<String>,
    pub message_id: Option<String>,
    pub next_try: Option<String>,
    pub updated_at: String,
}

/// Row counts per state for one edition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LedgerCounts {
    pub pending: usize,
    pub sent: usize,
    pub deferred: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl LedgerCounts {
    pub fn total(&self) -> usize {
        self.pending + self.sent + self.deferred + self.failed + self.skipped
    }

    /// Every recipient was either delivered or definitively refused.
    pub fn complete(&self) -> bool {
        self.pending == 0 && self.deferred == 0
    }
}

impl Store {
    /// When the edition was created, if it exists.
    pub fn ledger_edition_created(&self, edition: i64) -> Result<Option<DateTime<Utc>>> {
        let s: Option<String> = self
            .conn()
            .query_row(
                "SELECT created_at FROM editions WHERE number = ?1",
                [edition],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match s {
            Some(s) => Some(parse_ts(&s)?),
            None => None,
        })
    }

    /// Editions delivery should look at: the newest one, plus every older one
    /// whose ledger still has work (pending or deferred rows), oldest first.
    pub fn ledger_editions_to_send(&self) -> Result<Vec<i64>> {
        let mut out: Vec<i64> = self
            .conn()
            .prepare(
                "SELECT DISTINCT edition FROM send_ledger
                 WHERE state IN ('pending', 'deferred') ORDER BY edition",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let latest: Option<i64> =
            self.conn()
                .query_row("SELECT MAX(number) FROM editions", [], |r| r.get(0))?;
        if let Some(l) = latest
            && !out.contains(&l)
        {
            out.push(l);
        }
        Ok(out)
    }

    /// Adds a `pending` row for every active subscriber who existed when the
    /// edition was created (later subscribers never get old editions), and
    /// marks `skipped` the undelivered rows of subscribers who have left since.
    /// Idempotent. Returns (rows added, rows newly skipped).
    pub fn ledger_seed(&self, edition: i64, now: DateTime<Utc>) -> Result<(usize, usize)> {
        let tx = self.conn().unchecked_transaction()?;
        let added = tx.execute(
            "INSERT OR IGNORE INTO send_ledger
                 (edition, subscriber_id, email, state, attempts, updated_at)
             SELECT e.number, s.id, s.email, 'pending', 0, ?2
             FROM editions e JOIN subscribers s
               ON s.status = 'active' AND s.created_at <= e.created_at
             WHERE e.number = ?1",
            params![edition, ts(now)],
        )?;
        let skipped = tx.execute(
            "UPDATE send_ledger SET state = 'skipped', updated_at = ?2,
                 reply = 'subscriber no longer active'
             WHERE edition = ?1 AND state IN ('pending', 'deferred')
               AND NOT EXISTS (SELECT 1 FROM subscribers s
                               WHERE s.id = send_ledger.subscriber_id AND s.status = 'active')",
            params![edition, ts(now)],
        )?;
        tx.commit()?;
        Ok((added, skipped))
    }

    /// Rows to deliver now: pending ones, and deferred ones whose next try
    /// has come (all deferred ones when `include_deferred_early`).
    pub fn ledger_due(
        &self,
        edition: i64,
        now: DateTime<Utc>,
        include_deferred_early: bool,
    ) -> Result<Vec<DueRecipient>> {
        let mut stmt = self.conn().prepare(
            "SELECT l.subscriber_id, s.email, s.name, s.token, l.attempts
             FROM send_ledger l JOIN subscribers s ON s.id = l.subscriber_id
             WHERE l.edition = ?1 AND s.status = 'active'
               AND (l.state = 'pending'
                    OR (l.state = 'deferred' AND (?3 OR l.next_try IS NULL OR l.next_try <= ?2)))
             ORDER BY l.subscriber_id",
        )?;
        let rows = stmt
            .query_map(params![edition, ts(now), include_deferred_early], |r| {
                Ok(DueRecipient {
                    edition,
                    subscriber_id: r.get(0)?,
                    email: r.get(1)?,
                    name: r.get(2)?,
                    token: r.get(3)?,
                    attempts: r.get::<_, i64>(4)? as u32,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// What a send would deliver now, without writing anything (dry runs):
    /// the due rows plus the subscribers the ledger would be seeded with.
    pub fn ledger_preview(&self, edition: i64) -> Result<Vec<DueRecipient>> {
        let mut stmt = self.conn().prepare(
            "SELECT s.id, s.email, s.name, s.token, COALESCE(l.attempts, 0)
             FROM editions e
             JOIN subscribers s ON s.status = 'active'
             LEFT JOIN send_ledger l ON l.edition = e.number AND l.subscriber_id = s.id
             WHERE e.number = ?1
               AND ((l.state IS NULL AND s.created_at <= e.created_at)
                    OR l.state IN ('pending', 'deferred'))
             ORDER BY s.id",
        )?;
        let rows = stmt
            .query_map([edition], |r| {
                Ok(DueRecipient {
                    edition,
                    subscriber_id: r.get(0)?,
                    email: r.get(1)?,
                    name: r.get(2)?,
                    token: r.get(3)?,
                    attempts: r.get::<_, i64>(4)? as u32,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Records the server's acceptance. Committed on return (autocommit).
    pub fn ledger_mark_sent(
        &self,
        edition: i64,
        subscriber_id: i64,
        reply: &str,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE send_ledger SET state = 'sent', attempts = attempts + 1, reply = ?3,
                 message_id = ?4, next_try = NULL, updated_at = ?5
             WHERE edition = ?1 AND subscriber_id = ?2",
            )?
            .execute(params![edition, subscriber_id, reply, message_id, ts(at)])?;
        Ok(())
    }

    /// Records a temporary refusal (4xx) and when to try again.
    pub fn ledger_mark_deferred(
        &self,
        edition: i64,
        subscriber_id: i64,
        reply: &str,
        next_try: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE send_ledger SET state = 'deferred', attempts = attempts + 1, reply = ?3,
                 next_try = ?4, updated_at = ?5
             WHERE edition = ?1 AND subscriber_id = ?2 AND state IN ('pending', 'deferred')",
            )?
            .execute(params![edition, subscriber_id, reply, ts(next_try), ts(at)])?;
        Ok(())
    }

    /// Records a permanent refusal (5xx); the row is never retried.
    pub fn ledger_mark_failed(
        &self,
        edition: i64,
        subscriber_id: i64,
        reply: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE send_ledger SET state = 'failed', attempts = attempts + 1, reply = ?3,
                 next_try = NULL, updated_at = ?4
             WHERE edition = ?1 AND subscriber_id = ?2 AND state IN ('pending', 'deferred')",
            )?
            .execute(params![edition, subscriber_id, reply, ts(at)])?;
        Ok(())
    }

    /// Records that this recipient gets nothing from the edition.
    pub fn ledger_mark_skipped(
        &self,
        edition: i64,
        subscriber_id: i64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn().prepare_cached(
            "UPDATE send_ledger SET state = 'skipped', reply = ?3, next_try = NULL, updated_at = ?4
             WHERE edition = ?1 AND subscriber_id = ?2 AND state IN ('pending', 'deferred')")?
        .execute(
            params![edition, subscriber_id, reason, ts(at)],
        )?;
        Ok(())
    }

    pub fn ledger_counts(&self, edition: i64) -> Result<LedgerCounts> {
        let mut c = LedgerCounts::default();
        let mut stmt = self
            .conn()
            .prepare("SELECT state, COUNT(*) FROM send_ledger WHERE edition = ?1 GROUP BY state")?;
        let rows = stmt.query_map([edition], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
        })?;
        for row in rows {
            let (state, n) = row?;
            match LedgerState::parse(&state) {
                LedgerState::Pending => c.pending = n,
                LedgerState::Sent => c.sent = n,
                LedgerState::Deferred => c.deferred = n,
                LedgerState::Failed => c.failed = n,
                LedgerState::Skipped => c.skipped = n,
            }
        }
        Ok(c)
    }

    /// Editions that have ledger rows, oldest first.
    pub fn ledger_editions(&self) -> Result<Vec<i64>> {
        Ok(self
            .conn()
            .prepare("SELECT DISTINCT edition FROM send_ledger ORDER BY edition")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Rows of an edition, optionally only those in `states`, by subscriber id.
    pub fn ledger_rows(&self, edition: i64, states: &[LedgerState]) -> Result<Vec<LedgerRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT subscriber_id, email, state, attempts, reply, message_id, next_try, updated_at
             FROM send_ledger WHERE edition = ?1 ORDER BY subscriber_id",
        )?;
        let rows = stmt
            .query_map([edition], |r| {
                Ok(LedgerRow {
                    edition,
                    subscriber_id: r.get(0)?,
                    email: r.get(1)?,
                    state: LedgerState::parse(&r.get::<_, String>(2)?),
                    attempts: r.get::<_, i64>(3)? as u32,
                    reply: r.get(4)?,
                    message_id: r.get(5)?,
                    next_try: r.get(6)?,
                    updated_at: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter(|r| states.is_empty() || states.contains(&r.state))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(subs: &[(i64, &str, &str, &str)], edition_at: &str) -> Store {
        let s = Store::open_in_memory().unwrap();
        s.conn()
            .execute(
                "INSERT INTO editions(number, created_at) VALUES (1, ?1)",
                [edition_at],
            )
            .unwrap();
        for (id, email, status, created) in subs {
            s.conn()
                .execute(
                    "INSERT INTO subscribers(id, email, token, status, created_at, updated_at,
                                             status_changed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
                    params![id, email, format!("tok{id}"), status, created],
                )
                .unwrap();
        }
        s
    }

    fn now() -> DateTime<Utc> {
        "2026-11-20T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn seeding_takes_active_subscribers_who_existed_at_edition_time() {
        let s = store_with(
            &[
                (1, "a@e.org", "active", "2026-01-01T00:00:00Z"),
                (2, "b@e.org", "unsubscribed", "2026-01-01T00:00:00Z"),
                (3, "c@e.org", "active", "2026-12-01T00:00:00Z"),
            ],
            "2026-11-01T00:00:00Z",
        );
        assert_eq!(s.ledger_seed(1, now()).unwrap(), (1, 0));
        assert_eq!(s.ledger_seed(1, now()).unwrap(), (0, 0), "idempotent");
        let due = s.ledger_due(1, now(), false).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].email, "a@e.org");
        assert_eq!(due[0].token, "tok1");
    }

    #[test]
    fn leaving_before_delivery_skips_the_row_and_sent_rows_stay_sent() {
        let s = store_with(
            &[
                (1, "a@e.org", "active", "2026-01-01T00:00:00Z"),
                (2, "b@e.org", "active", "2026-01-01T00:00:00Z"),
            ],
            "2026-11-01T00:00:00Z",
        );
        s.ledger_seed(1, now()).unwrap();
        s.ledger_mark_sent(1, 1, "250 ok", "<m@e.org>", now())
            .unwrap();
        s.conn()
            .execute("UPDATE subscribers SET status = 'unsubscribed'", [])
            .unwrap();
        assert_eq!(s.ledger_seed(1, now()).unwrap(), (0, 1));
        let c = s.ledger_counts(1).unwrap();
        assert_eq!((c.sent, c.skipped, c.pending), (1, 1, 0));
        assert!(c.complete());
    }

    #[test]
    fn failed_rows_are_never_due_and_deferred_rows_wait_for_next_try() {
        let s = store_with(
            &[
                (1, "a@e.org", "active", "2026-01-01T00:00:00Z"),
                (2, "b@e.org", "active", "2026-01-01T00:00:00Z"),
            ],
            "2026-11-01T00:00:00Z",
        );
        s.ledger_seed(1, now()).unwrap();
        s.ledger_mark_failed(1, 1, "550 no such user", now())
            .unwrap();
        let later = now() + chrono::Duration::minutes(10);
        s.ledger_mark_deferred(1, 2, "450 busy", later, now())
            .unwrap();
        assert!(s.ledger_due(1, now(), false).unwrap().is_empty());
        assert_eq!(s.ledger_due(1, later, false).unwrap().len(), 1);
        assert_eq!(s.ledger_due(1, now(), true).unwrap()[0].attempts, 1);
        // A failed row cannot be turned back into a deferred one.
        s.ledger_mark_deferred(1, 1, "450", later, now()).unwrap();
        let failed = s.ledger_rows(1, &[LedgerState::Failed]).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].reply.as_deref(), Some("550 no such user"));
        assert!(!s.ledger_counts(1).unwrap().complete());
    }
}
