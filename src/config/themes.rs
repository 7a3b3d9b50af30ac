//! `[[themes]]`: the editors' theme definitions. The rule language itself is
//! compiled and scored by `crate::themes` (see `docs/themes.md`); this file
//! only reads and checks it.
//!
//! ```toml
//! [[themes]]
//! id = "caucasus-cinema"           # kebab-case, used in feed paths
//! name = "Caucasus cinema"
//! description = "Film from the North and South Caucasus"
//! threshold = 8.0                  # total score an article needs
//! tags = ["caucasus cinema"]       # article tags that put an article in the theme
//! exclude = ["Atlanta"]            # any match anywhere keeps the article out
//! fields = { title = 3.0, body = 1.0 }   # optional: where a match counts how much
//!
//! [[themes.groups]]                # every group must reach its `min`
//! name = "place"
//! min = 2.0
//! terms = ["Chechnya", "Chechen*", "Грозный", "North Caucasus", { term = "Nalchik", weight = 2.0 }]
//!
//! [[themes.groups]]
//! name = "cinema"
//! terms = ["film", "films", "director", "cinema"]
//! ```

use serde::{Deserialize, Serialize};

/// One theme: identity, and the rules that decide which articles belong to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    /// kebab-case id; used in feed paths, so it is validated strictly.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The score an article needs (sum of its groups' scores) to be in the theme.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Article tags (compared case- and diacritic-insensitively) that put an
    /// article in this theme whatever its text says.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Terms that keep an article out of this theme wherever they match
    /// (unless the article names the theme itself).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// How much a match counts in each part of the article.
    #[serde(default)]
    pub fields: FieldWeights,
    /// Term groups that must all match (each group: any of its terms).
    #[serde(default)]
    pub groups: Vec<GroupConfig>,
}

/// A set of alternative terms. A theme's groups must co-occur: each group's
/// score must reach its `min`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// Shown in explanations.
    #[serde(default)]
    pub name: String,
    /// The score this group needs on its own.
    #[serde(default = "default_min")]
    pub min: f64,
    pub terms: Vec<TermConfig>,
}

/// A term: a word, a phrase (`"film school"`), a prefix (`"Chechen*"`), with
/// an optional weight (default 1; negative weights count against the group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TermConfig {
    Plain(String),
    Weighted {
        term: String,
        #[serde(default = "default_weight")]
        weight: f64,
    },
}

impl TermConfig {
    pub fn text(&self) -> &str {
        match self {
            TermConfig::Plain(s) => s,
            TermConfig::Weighted { term, .. } => term,
        }
    }

    pub fn weight(&self) -> f64 {
        match self {
            TermConfig::Plain(_) => 1.0,
            TermConfig::Weighted { weight, .. } => *weight,
        }
    }
}

/// Multipliers for a match by where it is. `lead` is the start of the body
/// (its first two paragraphs, at most 150 words); `body` is the rest of the
/// body, whose score is also damped for long articles so that a passing
/// mention deep in a long text counts for little.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldWeights {
    pub title: f64,
    pub standfirst: f64,
    pub caption: f64,
    pub tags: f64,
    pub lead: f64,
    pub body: f64,
}

impl Default for FieldWeights {
    fn default() -> Self {
        FieldWeights {
            title: 3.0,
            standfirst: 2.0,
            caption: 1.0,
            tags: 2.0,
            lead: 1.5,
            body: 1.0,
        }
    }
}

fn default_threshold() -> f64 {
    5.0
}

fn default_min() -> f64 {
    1.0
}

fn default_weight() -> f64 {
    1.0
}

/// A theme id is used as a directory name under `feeds/themes/`, so only
/// lowercase ASCII letters, digits and single inner hyphens are allowed.
pub fn is_valid_theme_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

/// Checks ids, names and the rules of every theme. Public so the built-in
/// default themes go through the same checks as an editor's.
pub fn validate_themes(themes: &[ThemeConfig]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for (i, t) in themes.iter().enumerate() {
        if !is_valid_theme_id(&t.id) {
            return Err(format!(
                "themes[{i}].id: {:?} is not a kebab-case id (a-z, 0-9 and single hyphens)",
                t.id
            ));
        }
        if !seen.insert(t.id.as_str()) {
            return Err(format!("themes[{i}].id: {:?} is defined twice", t.id));
        }
        let at = format!("themes[{i}] ({})", t.id);
        if t.name.trim().is_empty() {
            return Err(format!("{at}.name: must not be empty"));
        }
        super::check_single_line(&format!("{at}.name"), &t.name)?;
        if !(t.threshold.is_finite() && t.threshold > 0.0) {
            return Err(format!(
                "{at}.threshold: must be a positive number, got {}",
                t.threshold
            ));
        }
        let f = &t.fields;
        for (k, v) in [
            ("title", f.title),
            ("standfirst", f.standfirst),
            ("caption", f.caption),
            ("tags", f.tags),
            ("lead", f.lead),
            ("body", f.body),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!(
                    "{at}.fields.{k}: must be zero or a positive number"
                ));
            }
        }
        if t.groups.is_empty() && t.tags.is_empty() {
            return Err(format!(
                "{at}: give at least one [[themes.groups]] (or `tags`), or no article can match"
            ));
        }
        for (j, g) in t.groups.iter().enumerate() {
            let gat = format!("{at}.groups[{j}]");
            super::check_single_line(&format!("{gat}.name"), &g.name)?;
            if !g.min.is_finite() {
                return Err(format!("{gat}.min: must be a number"));
            }
            if g.terms.is_empty() {
                return Err(format!("{gat}.terms: list at least one term"));
            }
            for term in &g.terms {
                check_term(&gat, term.text())?;
                if !term.weight().is_finite() {
                    return Err(format!(
                        "{gat}: weight of {:?} must be a number",
                        term.text()
                    ));
                }
            }
        }
        for term in &t.exclude {
            check_term(&format!("{at}.exclude"), term)?;
        }
        for tag in &t.tags {
            check_term(&format!("{at}.tags"), tag)?;
        }
    }
    Ok(())
}

/// A term must contain at least one letter or digit, or it could never match
/// (matching ignores punctuation); a `*` is only allowed at the end.
fn check_term(at: &str, term: &str) -> Result<(), String> {
    let body = term.strip_suffix('*').unwrap_or(term);
    if !body.chars().any(char::is_alphanumeric) {
        return Err(format!(
            "{at}: term {term:?} has no letters or digits, so it can never match"
        ));
    }
    if body.contains('*') {
        return Err(format!(
            "{at}: term {term:?}: `*` is only allowed at the end (a prefix match)"
        ));
    }
    super::check_single_line(at, term)
}

pub(super) fn validate(themes: &[ThemeConfig]) -> Result<(), String> {
    validate_themes(themes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_ids_cannot_escape_the_feeds_dir() {
        for bad in [
            "../etc",
            "a/b",
            "",
            "A",
            "x--y",
            "-x",
            "caucasus cinema",
            "..",
        ] {
            assert!(!is_valid_theme_id(bad), "{bad:?} accepted");
        }
        assert!(is_valid_theme_id("caucasus-cinema"));
    }

    fn parse(toml_text: &str) -> Result<Vec<ThemeConfig>, String> {
        #[derive(Deserialize)]
        struct W {
            themes: Vec<ThemeConfig>,
        }
        let w: W = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        validate_themes(&w.themes)?;
        Ok(w.themes)
    }

    #[test]
    fn rule_language_parses_plain_and_weighted_terms() {
        let t = parse(
            r#"
[[themes]]
id = "x"
name = "X"
threshold = 4
fields = { title = 5 }
[[themes.groups]]
name = "g"
min = 2
terms = ["film", { term = "Parajanov", weight = 3 }, "Chechen*"]
"#,
        )
        .unwrap();
        let g = &t[0].groups[0];
        assert_eq!(g.terms[0].weight(), 1.0);
        assert_eq!(g.terms[1].text(), "Parajanov");
        assert_eq!(g.terms[1].weight(), 3.0);
        assert_eq!(t[0].fields.title, 5.0);
        assert_eq!(t[0].fields.body, 1.0, "unset field weights keep defaults");
        assert_eq!(t[0].threshold, 4.0);
    }

    #[test]
    fn bad_rules_are_named() {
        let base = "[[themes]]\nid = \"x\"\nname = \"X\"\n";
        for (extra, needle) in [
            (
                "threshold = 0\n[[themes.groups]]\nterms=[\"a\"]\n",
                "threshold",
            ),
            ("", "at least one"),
            ("[[themes.groups]]\nterms = []\n", "terms"),
            ("[[themes.groups]]\nterms = [\"--\"]\n", "no letters"),
            (
                "[[themes.groups]]\nterms = [\"a*b\"]\n",
                "only allowed at the end",
            ),
            ("[[themes.groups]]\nterms = [\"a\"]\nmnn = 1\n", "mnn"),
        ] {
            let e = parse(&format!("{base}{extra}")).unwrap_err();
            assert!(e.contains(needle), "{extra:?}: {e}");
        }
    }
}
