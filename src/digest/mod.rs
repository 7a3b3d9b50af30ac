//! Digest editions: creating them (frozen article lists), choosing each
//! subscriber's sections, and rendering HTML + plain-text emails and web
//! copies with askama.
//!
//! The API the mail stage uses:
//!
//! ```no_run
//! # fn f(config: &newsdesk::config::Config, store: &mut newsdesk::store::Store,
//! #      now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
//! use newsdesk::digest::{self, EditionOptions, PreparedEdition};
//! if let Some(edition) = digest::create_edition(store, config, now, &EditionOptions::default())? {
//!     let prepared = PreparedEdition::new(config, store, &edition)?;
//!     for s in store.active_subscribers()? {
//!         if let Some(email) = prepared.render_for(&s) {
//!             // email.subject / email.html / email.text; List-Unsubscribe:
//!             let _ = digest::unsubscribe_url(config, &s.token);
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```

mod edition;
mod render;
mod select;
mod subscribers;
mod webcopy;

pub use edition::{Edition, EditionOptions, create_edition, load_edition, next_edition};
pub use render::{MORE_SECTION, PreparedEdition, TEXT_WIDTH};
pub use select::ThemeIndex;
pub use subscribers::{AddressError, normalize_email, parse_theme_list};
pub use webcopy::{WebCopyReport, write_if_changed, write_web_copies};

use crate::config::Config;

/// One subscriber's email for one edition. `subject` is plain text (may hold
/// non-ASCII; encode it as the header requires); `html` is a complete,
/// CSS-inlined document; `text` is the plain-text part, wrapped at 72 columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The subscriber's unsubscribe link (`[digest] unsubscribe_url` with
/// `{token}` replaced), for the body and the `List-Unsubscribe` header.
/// `None` when no template is configured.
pub fn unsubscribe_url(config: &Config, token: &str) -> Option<String> {
    render::unsubscribe_for(config, token)
}

/// The themes sections are made of, in display order: the same list the
/// classifier uses, so every stored theme id has a section.
pub fn themes_of(config: &Config) -> anyhow::Result<Vec<crate::config::ThemeConfig>> {
    // Same rule as `Themes::for_config`, without compiling the rules.
    Ok(if config.themes.is_empty() {
        crate::themes::default_themes()
    } else {
        config.themes.clone()
    })
}

/// The public URL of an edition's web copy: `[digest] web_url` + `<number>/`.
pub fn web_copy_url(config: &Config, number: i64) -> url::Url {
    config
        .digest
        .web_url()
        .join(&format!("{number}/"))
        .expect("a number is a valid relative URL")
}
