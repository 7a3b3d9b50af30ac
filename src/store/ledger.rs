//! The per-edition × recipient send ledger (owned by the mail stage): the
//! truth about what was delivered, committed after every accepted message.

pub(super) const MIGRATION: &str = r#"
CREATE TABLE send_ledger (
    edition       INTEGER NOT NULL REFERENCES editions(number),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    email         TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    reply         TEXT,
    message_id    TEXT,
    next_try      TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (edition, subscriber_id)
);
"#;
