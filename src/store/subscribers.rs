//! Subscribers and their theme choices (owned by the digest stage).
//!
//! Rows are never deleted: unsubscribing flips `status` and records when and
//! through what (`cli`, `import`, `link`, …), so the send ledger keeps its
//! references and a later import cannot silently re-subscribe someone.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, parse_ts, ts};

pub(super) const MIGRATION: &str = r#"
CREATE TABLE subscribers (
    id                INTEGER PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name              TEXT,
    themes            TEXT NOT NULL DEFAULT '',
    token             TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL DEFAULT 'active',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    status_changed_at TEXT NOT NULL,
    source            TEXT NOT NULL DEFAULT 'cli'
);
-- Every state change, append-only: what happened, when and through what
-- (`cli`, `import`, `one-click`, `page`, `mailto`).
CREATE TABLE subscriber_events (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    at            TEXT NOT NULL,
    event         TEXT NOT NULL,
    source        TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX subscriber_events_by_subscriber ON subscriber_events(subscriber_id, id);
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberStatus {
    Active,
    Unsubscribed,
}

impl SubscriberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberStatus::Active => "active",
            SubscriberStatus::Unsubscribed => "unsubscribed",
        }
    }
}

/// One subscriber as stored. `email` is normalized (domain lowercased).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    /// Chosen theme ids in config order of choice; empty means "everything".
    pub themes: Vec<String>,
    /// Random, URL-safe unsubscribe token (≥128 bits).
    pub token: String,
    pub status: SubscriberStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When `status` last changed (subscribe or unsubscribe).
    pub status_changed_at: DateTime<Utc>,
    /// What last changed the status: `cli`, `import`, `link`, …
    pub source: String,
}

/// A subscriber to add or update (already validated and normalized).
#[derive(Debug, Clone, Default)]
pub struct NewSubscriber {
    pub email: String,
    pub name: Option<String>,
    /// `None`: keep existing choices (new subscribers get everything).
    pub themes: Option<Vec<String>>,
    pub source: String,
    /// Re-activate an unsubscribed address (an explicit `add`, not an import).
    pub resubscribe: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpsertOutcome {
    Added,
    Updated,
    Unchanged,
    Resubscribed,
    /// The address had unsubscribed and the change did not re-subscribe it.
    KeptUnsubscribed,
}

/// One recorded state change of a subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriberEvent {
    pub at: String,
    /// `subscribed`, `unsubscribed`, `resubscribed` or `themes`.
    pub event: String,
    pub source: String,
    /// For `themes`: the new comma-separated choice (empty: every theme).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

fn record_event(
    conn: &rusqlite::Connection,
    id: i64,
    at: &str,
    event: &str,
    source: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO subscriber_events (subscriber_id, at, event, source, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, at, event, source, detail],
    )?;
    Ok(())
}

const COLUMNS: &str =
    "id, email, name, themes, token, status, created_at, updated_at, status_changed_at, source";

fn row_to_subscriber(r: &rusqlite::Row<'_>) -> rusqlite::Result<Subscriber> {
    let themes: String = r.get(3)?;
    let status: String = r.get(5)?;
    Ok(Subscriber {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        themes: themes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        token: r.get(4)?,
        status: if status == "active" {
            SubscriberStatus::Active
        } else {
            SubscriberStatus::Unsubscribed
        },
        created_at: parse_ts(&r.get::<_, String>(6)?)?,
        updated_at: parse_ts(&r.get::<_, String>(7)?)?,
        status_changed_at: parse_ts(&r.get::<_, String>(8)?)?,
        source: r.get(9)?,
    })
}

/// 192 random bits as lowercase hex: URL-safe without escaping, and far
/// beyond guessing.
fn new_token() -> String {
    let bytes: [u8; 24] = rand::random();
    hex::encode(bytes)
}

impl Store {
    /// Adds a subscriber or merges into the existing one with the same email:
    /// a given name or theme list replaces the stored one.
    pub fn upsert_subscriber(
        &mut self,
        new: &NewSubscriber,
        now: DateTime<Utc>,
    ) -> Result<UpsertOutcome> {
        let tx = self.conn.transaction()?;
        let existing = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM subscribers WHERE email = ?1"),
                [&new.email],
                row_to_subscriber,
            )
            .optional()?;
        let now_s = ts(now);
        let themes_of = |t: &[String]| t.join(",");
        let outcome = match existing {
            None => {
                tx.execute(
                    "INSERT INTO subscribers (email, name, themes, token, status, created_at,
                         updated_at, status_changed_at, source)
                     VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?5, ?5, ?6)",
                    params![
                        new.email,
                        new.name,
                        themes_of(new.themes.as_deref().unwrap_or_default()),
                        new_token(),
                        now_s,
                        new.source
                    ],
                )?;
                record_event(
                    &tx,
                    tx.last_insert_rowid(),
                    &now_s,
                    "subscribed",
                    &new.source,
                    "",
                )?;
                UpsertOutcome::Added
            }
            Some(old) => {
                let name = new.name.clone().or(old.name.clone());
                let themes = new.themes.clone().unwrap_or(old.themes.clone());
                let reactivate = old.status == SubscriberStatus::Unsubscribed && new.resubscribe;
                let changed = name != old.name || themes != old.themes || reactivate;
                if changed {
                    tx.execute(
                        "UPDATE subscribers SET name = ?2, themes = ?3, updated_at = ?4 WHERE id = ?1",
                        params![old.id, name, themes_of(&themes), now_s],
                    )?;
                }
                if themes != old.themes {
                    record_event(
                        &tx,
                        old.id,
                        &now_s,
                        "themes",
                        &new.source,
                        &themes_of(&themes),
                    )?;
                }
                if reactivate {
                    tx.execute(
                        "UPDATE subscribers SET status = 'active', status_changed_at = ?2, source = ?3
                         WHERE id = ?1",
                        params![old.id, now_s, new.source],
                    )?;
                    record_event(&tx, old.id, &now_s, "resubscribed", &new.source, "")?;
                }
                if reactivate {
                    UpsertOutcome::Resubscribed
                } else if old.status == SubscriberStatus::Unsubscribed {
                    UpsertOutcome::KeptUnsubscribed
                } else if changed {
                    UpsertOutcome::Updated
                } else {
                    UpsertOutcome::Unchanged
                }
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// Marks a subscriber unsubscribed. `false` if there is no such email or
    /// it was already unsubscribed.
    pub fn unsubscribe_email(&self, email: &str, source: &str, now: DateTime<Utc>) -> Result<bool> {
        match self.subscriber_by_email(email)? {
            Some(s) => self.unsubscribe_id(s.id, source, now),
            None => Ok(false),
        }
    }

    /// Flips one subscriber to unsubscribed and records the change; `false`
    /// if they already were.
    fn unsubscribe_id(&self, id: i64, source: &str, now: DateTime<Utc>) -> Result<bool> {
        let now_s = ts(now);
        let n = self.conn().execute(
            "UPDATE subscribers SET status = 'unsubscribed', status_changed_at = ?2,
                 updated_at = ?2, source = ?3
             WHERE id = ?1 AND status = 'active'",
            params![id, now_s, source],
        )?;
        if n > 0 {
            record_event(self.conn(), id, &now_s, "unsubscribed", source, "")?;
        }
        Ok(n > 0)
    }

    /// Replaces a subscriber's theme choice (empty: every theme) from a
    /// self-service page; re-subscribes them when `resubscribe` is set and
    /// they had left. Records each change. `true` if anything changed.
    pub fn set_subscriber_themes(
        &self,
        id: i64,
        themes: &[String],
        resubscribe: bool,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let now_s = ts(now);
        let joined = themes.join(",");
        let mut changed = false;
        let n = self.conn().execute(
            "UPDATE subscribers SET themes = ?2, updated_at = ?3 WHERE id = ?1 AND themes <> ?2",
            params![id, joined, now_s],
        )?;
        if n > 0 {
            record_event(self.conn(), id, &now_s, "themes", source, &joined)?;
            changed = true;
        }
        if resubscribe {
            let n = self.conn().execute(
                "UPDATE subscribers SET status = 'active', status_changed_at = ?2,
                     updated_at = ?2, source = ?3
                 WHERE id = ?1 AND status = 'unsubscribed'",
                params![id, now_s, source],
            )?;
            if n > 0 {
                record_event(self.conn(), id, &now_s, "resubscribed", source, "")?;
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Every recorded state change of one subscriber, oldest first.
    pub fn subscriber_events(&self, id: i64) -> Result<Vec<SubscriberEvent>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT at, event, source, detail FROM subscriber_events
             WHERE subscriber_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(SubscriberEvent {
                at: r.get(0)?,
                event: r.get(1)?,
                source: r.get(2)?,
                detail: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Unsubscribes the holder of a token (the unsubscribe link). Returns the
    /// subscriber whether or not they were still active; `None` for an
    /// unknown token.
    pub fn unsubscribe_token(
        &self,
        token: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Subscriber>> {
        let Some(s) = self.subscriber_by_token(token)? else {
            return Ok(None);
        };
        self.unsubscribe_id(s.id, source, now)?;
        self.subscriber_by_token(token)
    }

    pub fn subscriber_by_email(&self, email: &str) -> Result<Option<Subscriber>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM subscribers WHERE email = ?1"),
                [email],
                row_to_subscriber,
            )
            .optional()?)
    }

    pub fn subscriber_by_token(&self, token: &str) -> Result<Option<Subscriber>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM subscribers WHERE token = ?1"),
                [token],
                row_to_subscriber,
            )
            .optional()?)
    }

    /// Every subscriber (active or not), by email.
    pub fn subscribers(&self) -> Result<Vec<Subscriber>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM subscribers ORDER BY email, id"
        ))?;
        let rows = stmt.query_map([], row_to_subscriber)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Active subscribers in a stable order (by id: oldest first).
    pub fn active_subscribers(&self) -> Result<Vec<Subscriber>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM subscribers WHERE status = 'active' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], row_to_subscriber)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sub(email: &str, themes: Option<&[&str]>) -> NewSubscriber {
        NewSubscriber {
            email: email.into(),
            themes: themes.map(|t| t.iter().map(|s| s.to_string()).collect()),
            source: "cli".into(),
            ..Default::default()
        }
    }

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let mut s = Store::open_in_memory().unwrap();
        let now = t("2026-01-01T00:00:00Z");
        s.upsert_subscriber(&sub("a@e.org", None), now).unwrap();
        s.upsert_subscriber(&sub("b@e.org", None), now).unwrap();
        let all = s.subscribers().unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].token.len() >= 32);
        assert!(all[0].token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(all[0].token, all[1].token);
    }

    #[test]
    fn unsubscribed_address_stays_unsubscribed_on_import_but_add_resubscribes() {
        let mut s = Store::open_in_memory().unwrap();
        let now = t("2026-01-01T00:00:00Z");
        s.upsert_subscriber(&sub("a@e.org", Some(&["x"])), now)
            .unwrap();
        let tok = s.subscriber_by_email("a@e.org").unwrap().unwrap().token;
        let u = s.unsubscribe_token(&tok, "link", now).unwrap().unwrap();
        assert_eq!(u.status, SubscriberStatus::Unsubscribed);
        assert_eq!(u.source, "link");
        let mut import = sub("a@e.org", None);
        import.source = "import".into();
        assert_eq!(
            s.upsert_subscriber(&import, now).unwrap(),
            UpsertOutcome::KeptUnsubscribed
        );
        let mut add = sub("a@e.org", None);
        add.resubscribe = true;
        assert_eq!(
            s.upsert_subscriber(&add, now).unwrap(),
            UpsertOutcome::Resubscribed
        );
        let a = s.subscriber_by_email("a@e.org").unwrap().unwrap();
        assert_eq!(a.status, SubscriberStatus::Active);
        assert_eq!(a.themes, vec!["x"]);
        assert_eq!(a.token, tok, "the token survives re-subscription");
        let events: Vec<(String, String)> = s
            .subscriber_events(a.id)
            .unwrap()
            .into_iter()
            .map(|e| (e.event, e.source))
            .collect();
        let pairs: Vec<(&str, &str)> = events
            .iter()
            .map(|(e, s)| (e.as_str(), s.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("subscribed", "cli"),
                ("unsubscribed", "link"),
                ("resubscribed", "cli")
            ]
        );
    }

    #[test]
    fn theme_changes_and_resubscription_from_a_page_are_recorded() {
        let mut s = Store::open_in_memory().unwrap();
        let now = t("2026-01-01T00:00:00Z");
        s.upsert_subscriber(&sub("a@e.org", None), now).unwrap();
        let a = s.subscriber_by_email("a@e.org").unwrap().unwrap();
        assert!(s.unsubscribe_email("a@e.org", "mailto", now).unwrap());
        assert!(!s.unsubscribe_email("a@e.org", "mailto", now).unwrap());
        let later = t("2026-01-02T00:00:00Z");
        assert!(
            s.set_subscriber_themes(a.id, &["x".into()], true, "page", later)
                .unwrap()
        );
        assert!(
            !s.set_subscriber_themes(a.id, &["x".into()], true, "page", later)
                .unwrap()
        );
        let a = s.subscriber_by_email("a@e.org").unwrap().unwrap();
        assert_eq!(a.status, SubscriberStatus::Active);
        assert_eq!(a.themes, vec!["x"]);
        let ev = s.subscriber_events(a.id).unwrap();
        assert_eq!(ev.len(), 4, "{ev:?}");
        assert_eq!(ev[1].source, "mailto");
        assert_eq!(
            (ev[2].event.as_str(), ev[2].detail.as_str()),
            ("themes", "x")
        );
        assert_eq!(ev[3].event, "resubscribed");
        assert_eq!(ev[3].at, "2026-01-02T00:00:00Z");
    }
}
