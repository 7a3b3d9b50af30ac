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
                if reactivate {
                    tx.execute(
                        "UPDATE subscribers SET status = 'active', status_changed_at = ?2, source = ?3
                         WHERE id = ?1",
                        params![old.id, now_s, new.source],
                    )?;
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
        let n = self.conn().execute(
            "UPDATE subscribers SET status = 'unsubscribed', status_changed_at = ?2,
                 updated_at = ?2, source = ?3
             WHERE email = ?1 AND status = 'active'",
            params![email, ts(now), source],
        )?;
        Ok(n > 0)
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
        self.conn().execute(
            "UPDATE subscribers SET status = 'unsubscribed', status_changed_at = ?2,
                 updated_at = ?2, source = ?3
             WHERE token = ?1 AND status = 'active'",
            params![token, ts(now), source],
        )?;
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
    }
}
