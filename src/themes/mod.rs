//! Themes: an explainable multi-label classifier driven by the editors'
//! `[[themes]]` rules (documented in `docs/themes.md`).
//!
//! * Every term of every theme is folded ([`normalize`]) and compiled once
//!   into a single Aho–Corasick automaton ([`compile`]); an article is folded
//!   once and scanned once, whatever the number of themes and terms.
//! * A match scores `field weight × term weight × (1 + ln count)`, per term
//!   and field; matches in the body after the lead are also damped for long
//!   bodies (`× sqrt(400 / words)` beyond 400 words). A group's score is the
//!   sum over its terms; an article is in a theme when no exclusion term
//!   matched, every group reached its `min`, and the groups' total reached the
//!   theme's `threshold`.
//! * Explicit themes win over rules, in this order: front matter `-id`
//!   (never in the theme) > front matter `id` (always in it; the first one
//!   listed is the primary theme) > an article tag listed in the theme's
//!   `tags` (always in it) > exclusion terms > scores.
//! * The primary theme is the one whose score is furthest above its
//!   threshold (`score / threshold`), ties going to the theme listed first.
//!
//! [`classify_store`] is the pipeline stage: it re-classifies every stored
//! article from the store (no file is re-read) when articles or rules have
//! changed since the last time, and does nothing otherwise.

pub mod compile;
pub mod explain;
pub mod metrics;
pub mod normalize;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use rayon::prelude::*;
use serde::Deserialize;

use crate::config::{Config, ThemeConfig, validate_themes};
use crate::model::Article;
use crate::store::{ArticleThemes, Store, StoredData, ThemeAssignment, unreadable_data};
use compile::{Field, Matcher, Prepared};
pub use explain::Explanation;

/// Bumped whenever scoring changes, so stored classifications made by an
/// older newsdesk are redone even if the rules did not change.
const ENGINE_VERSION: &str = "themes-engine-1";

/// The rules shipped with newsdesk: used by the sample config, written by
/// `newsdesk init`, and used when a config defines no `[[themes]]`.
pub const DEFAULT_THEMES_TOML: &str = include_str!("default_themes.toml");

/// The parts of an article the classifier reads, borrowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArticleText<'a> {
    pub title: &'a str,
    pub standfirst: Option<&'a str>,
    pub caption: Option<&'a str>,
    pub tags: &'a [String],
    /// Front-matter themes: `id` adds the theme, `-id` removes it.
    pub themes: &'a [String],
    pub body_text: &'a str,
}

impl<'a> From<&'a Article> for ArticleText<'a> {
    fn from(a: &'a Article) -> Self {
        ArticleText {
            title: &a.title,
            standfirst: a.standfirst.as_deref(),
            caption: a.caption.as_deref(),
            tags: &a.tags,
            themes: &a.themes,
            body_text: &a.body_text,
        }
    }
}

/// The classifier's fields of a stored article, read straight from the
/// store's article JSON (the HTML body and the rest are skipped).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StoredText {
    pub title: String,
    pub standfirst: Option<String>,
    pub caption: Option<String>,
    pub tags: Vec<String>,
    pub themes: Vec<String>,
    pub body_text: String,
}

impl StoredText {
    pub fn view(&self) -> ArticleText<'_> {
        ArticleText {
            title: &self.title,
            standfirst: self.standfirst.as_deref(),
            caption: self.caption.as_deref(),
            tags: &self.tags,
            themes: &self.themes,
            body_text: &self.body_text,
        }
    }
}

/// One theme an article is in.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Index into [`Themes::configs`].
    pub theme: usize,
    pub score: f64,
    pub primary: bool,
}

/// Why an article is (or is not) in a theme, beyond its score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Explicit {
    /// Nothing explicit: the rules decide.
    None,
    /// Listed in the front matter `themes` (position in that list).
    FrontMatter(usize),
    /// Removed with `-id` in the front matter `themes`.
    FrontMatterRemoved,
    /// The article has this tag, which the theme lists in `tags`.
    Tag(String),
}

/// The evaluation of one theme for one article.
#[derive(Debug, Clone)]
pub(crate) struct Eval {
    pub group_scores: Vec<f64>,
    /// The first exclusion term that matched: (target index, field).
    pub excluded: Option<(u32, Field)>,
    pub score: f64,
    /// The rules alone would put the article in the theme.
    pub by_rules: bool,
    pub explicit: Explicit,
    pub member: bool,
}

/// Compiled themes, ready to classify.
pub struct Themes {
    configs: Vec<ThemeConfig>,
    matcher: Matcher,
    /// Folded tag → themes listing it.
    tag_index: HashMap<String, Vec<usize>>,
    hash: String,
}

impl Themes {
    /// Validates and compiles theme definitions.
    pub fn compile(configs: &[ThemeConfig]) -> Result<Themes> {
        validate_themes(configs).map_err(anyhow::Error::msg)?;
        let matcher = Matcher::compile(configs)?;
        let mut tag_index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, t) in configs.iter().enumerate() {
            for tag in &t.tags {
                let v = tag_index.entry(normalize::fold(tag)).or_default();
                if !v.contains(&i) {
                    v.push(i);
                }
            }
        }
        let hash = rules_hash_of(configs)?;
        Ok(Themes {
            configs: configs.to_vec(),
            matcher,
            tag_index,
            hash,
        })
    }

    /// The built-in default themes, compiled.
    pub fn defaults() -> Themes {
        Themes::compile(&default_themes()).expect("the built-in themes are valid")
    }

    /// The themes a site uses: its config's `[[themes]]`, or the defaults
    /// when there is no config or it defines none.
    pub fn for_config(config: Option<&Config>) -> Result<Themes> {
        match config {
            Some(c) if !c.themes.is_empty() => Themes::compile(&c.themes)
                .with_context(|| format!("themes in {}", c.path.display())),
            _ => Ok(Themes::defaults()),
        }
    }

    pub fn configs(&self) -> &[ThemeConfig] {
        &self.configs
    }

    /// Identifies the rules (and the scoring engine): when it changes,
    /// every article must be classified again.
    pub fn rules_hash(&self) -> &str {
        &self.hash
    }

    /// The themes an article is in, primary first, then by how far each
    /// score is above its threshold.
    pub fn classify(&self, a: &ArticleText<'_>) -> Vec<Assignment> {
        let doc = Prepared::new(a);
        let hits = self.matcher.hits(&doc);
        let evals = self.evaluate(a, &doc, &hits);
        rank(&self.configs, &evals)
    }

    /// Theme ids of an article, primary first.
    pub fn theme_ids(&self, a: &ArticleText<'_>) -> Vec<String> {
        self.classify(a)
            .into_iter()
            .map(|x| self.configs[x.theme].id.clone())
            .collect()
    }

    /// Scores every theme and says which terms matched where.
    pub fn explain(&self, a: &ArticleText<'_>) -> Explanation {
        let doc = Prepared::new(a);
        let hits = self.matcher.hits(&doc);
        let evals = self.evaluate(a, &doc, &hits);
        let ranked = rank(&self.configs, &evals);
        explain::build(self, &doc, &hits, &evals, &ranked)
    }

    pub(crate) fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Points for `count` matches of a term of `weight` in `field`.
    pub(crate) fn points(
        &self,
        theme: usize,
        field: Field,
        weight: f64,
        count: u32,
        doc: &Prepared,
    ) -> f64 {
        let fw = field.weight(&self.configs[theme].fields);
        let damp = if field == Field::Body {
            doc.body_factor()
        } else {
            1.0
        };
        fw * weight * (1.0 + f64::from(count).ln()) * damp
    }

    fn evaluate(&self, a: &ArticleText<'_>, doc: &Prepared, hits: &[compile::Hit]) -> Vec<Eval> {
        let mut evals: Vec<Eval> = self
            .configs
            .iter()
            .map(|t| Eval {
                group_scores: vec![0.0; t.groups.len()],
                excluded: None,
                score: 0.0,
                by_rules: false,
                explicit: Explicit::None,
                member: false,
            })
            .collect();
        for h in hits {
            let target = &self.matcher.targets[h.target as usize];
            let e = &mut evals[target.theme];
            match target.group {
                Some(g) => {
                    e.group_scores[g] +=
                        self.points(target.theme, h.field, target.weight, h.count, doc)
                }
                None => {
                    if e.excluded.is_none() {
                        e.excluded = Some((h.target, h.field));
                    }
                }
            }
        }
        // Explicit themes: tags first, then the front matter, which wins.
        for tag in a.tags {
            if let Some(themes) = self.tag_index.get(&normalize::fold(tag)) {
                for &t in themes {
                    if evals[t].explicit == Explicit::None {
                        evals[t].explicit = Explicit::Tag(tag.clone());
                    }
                }
            }
        }
        let mut position = 0;
        for entry in a.themes {
            let entry = entry.trim().to_lowercase();
            let (id, removed) = match entry.strip_prefix('-') {
                Some(id) => (id.trim(), true),
                None => (entry.as_str(), false),
            };
            if let Some(t) = self.configs.iter().position(|c| c.id == id) {
                if removed {
                    evals[t].explicit = Explicit::FrontMatterRemoved;
                } else if !matches!(
                    evals[t].explicit,
                    Explicit::FrontMatter(_) | Explicit::FrontMatterRemoved
                ) {
                    evals[t].explicit = Explicit::FrontMatter(position);
                    position += 1;
                }
            }
        }
        for (t, e) in evals.iter_mut().enumerate() {
            let cfg = &self.configs[t];
            let total: f64 = e.group_scores.iter().sum();
            let groups_met = !cfg.groups.is_empty()
                && cfg
                    .groups
                    .iter()
                    .zip(&e.group_scores)
                    .all(|(g, s)| *s >= g.min);
            e.by_rules = e.excluded.is_none() && groups_met && total >= cfg.threshold;
            e.member = match e.explicit {
                Explicit::None => e.by_rules,
                Explicit::FrontMatterRemoved => false,
                Explicit::FrontMatter(_) | Explicit::Tag(_) => true,
            };
            // An explicit member scores at least its threshold, so ranking
            // by score stays meaningful for feeds and digests.
            e.score = if e.member && !e.by_rules {
                total.max(cfg.threshold)
            } else {
                total
            };
        }
        evals
    }
}

/// Orders an article's themes: the first front-matter theme, else the
/// highest score relative to its threshold, is primary.
fn rank(configs: &[ThemeConfig], evals: &[Eval]) -> Vec<Assignment> {
    let mut members: Vec<usize> = (0..evals.len()).filter(|&t| evals[t].member).collect();
    let ratio = |t: usize| evals[t].score / configs[t].threshold;
    let front = |t: usize| match evals[t].explicit {
        Explicit::FrontMatter(p) => p,
        _ => usize::MAX,
    };
    members.sort_by(|&a, &b| {
        front(a)
            .cmp(&front(b))
            .then(ratio(b).total_cmp(&ratio(a)))
            .then(a.cmp(&b))
    });
    members
        .iter()
        .enumerate()
        .map(|(i, &t)| Assignment {
            theme: t,
            score: round_score(evals[t].score),
            primary: i == 0,
        })
        .collect()
}

/// Scores are stored and printed with 3 decimals, so output does not depend
/// on floating-point noise.
fn round_score(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// The built-in default themes (parsed from the embedded TOML).
pub fn default_themes() -> Vec<ThemeConfig> {
    #[derive(Deserialize)]
    struct File {
        themes: Vec<ThemeConfig>,
    }
    let f: File = toml::from_str(DEFAULT_THEMES_TOML).expect("default_themes.toml parses");
    f.themes
}

/// Theme ids (primary first) of a parsed article, with the config's themes
/// when there is a config and the defaults otherwise. Compiled themes are
/// cached, so calling this per file is cheap.
pub fn theme_ids_for(config: Option<&Config>, article: &Article) -> Result<Vec<String>> {
    static CACHE: Mutex<Option<(Vec<ThemeConfig>, Arc<Themes>)>> = Mutex::new(None);
    let configs = match config {
        Some(c) if !c.themes.is_empty() => c.themes.clone(),
        _ => default_themes(),
    };
    let themes = {
        let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        match &*cache {
            Some((c, t)) if *c == configs => Arc::clone(t),
            _ => {
                let t = Arc::new(Themes::compile(&configs)?);
                *cache = Some((configs, Arc::clone(&t)));
                t
            }
        }
    };
    Ok(themes.theme_ids(&ArticleText::from(article)))
}

/// What a classification pass did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ClassifyReport {
    /// Nothing changed since the last pass, so nothing was done.
    pub skipped: bool,
    /// Articles classified.
    pub articles: usize,
    /// Articles per theme (config order), after this pass.
    pub per_theme: Vec<(String, usize)>,
}

impl ClassifyReport {
    pub fn summary(&self) -> String {
        if self.skipped {
            return "themes: up to date".into();
        }
        let per: Vec<String> = self
            .per_theme
            .iter()
            .map(|(id, n)| format!("{id} {n}"))
            .collect();
        format!(
            "classified {} articles ({})",
            self.articles,
            if per.is_empty() {
                "no themes".to_string()
            } else {
                per.join(", ")
            }
        )
    }
}

/// The hash `Themes::rules_hash` gives these definitions, without compiling
/// them (compiling the automaton is most of a no-op run's themes step).
pub fn rules_hash_of(configs: &[ThemeConfig]) -> Result<String> {
    let json = serde_json::to_string(configs)?;
    Ok(crate::util::sha256_hex(
        format!("{ENGINE_VERSION}\n{json}").as_bytes(),
    ))
}

/// The themes stage as `run` uses it: returns at once, without compiling
/// the rules, when neither the articles nor the rules changed.
pub fn classify_configured(
    store: &mut Store,
    configs: &[ThemeConfig],
    force: bool,
) -> Result<ClassifyReport> {
    let (done_rev, done_hash) = store.themes_state()?;
    if !force
        && done_rev == Some(store.articles_rev()?)
        && done_hash.as_deref() == Some(rules_hash_of(configs)?.as_str())
    {
        return Ok(ClassifyReport {
            skipped: true,
            ..ClassifyReport::default()
        });
    }
    let themes = Themes::compile(configs)?;
    classify_store(store, &themes, force)
}

/// Articles read from the store per parallel batch.
const CHUNK: usize = 1024;

/// The themes stage: classifies every live stored article and replaces its
/// stored themes, in one transaction. Skips all work when neither the
/// articles (`Store::articles_rev`) nor the rules changed since the last
/// pass, unless `force`.
pub fn classify_store(store: &mut Store, themes: &Themes, force: bool) -> Result<ClassifyReport> {
    let rev = store.articles_rev()?;
    let (done_rev, done_hash) = store.themes_state()?;
    if !force && done_rev == Some(rev) && done_hash.as_deref() == Some(themes.rules_hash()) {
        return Ok(ClassifyReport {
            skipped: true,
            ..ClassifyReport::default()
        });
    }
    // Same rules as last time: only articles that changed since need work
    // (a cron run that archived ten articles classifies ten, not 100,000).
    let since = match (&done_hash, done_rev) {
        (Some(h), Some(r)) if !force && h == themes.rules_hash() => Some(r),
        _ => None,
    };
    // Reading rows is sequential (one connection); decoding and classifying
    // them is not. The two overlap: this thread reads the next chunk while
    // the pool decodes and classifies the last one.
    let classify_chunk = |chunk: Vec<(String, StoredData)>| -> Result<Vec<ArticleThemes>> {
        chunk
            .into_par_iter()
            .map(|(id, data)| {
                let text: StoredText = data.decode().map_err(|e| unreadable_data(&id, e))?;
                let assigned = themes.classify(&text.view());
                Ok(ArticleThemes {
                    article_id: id,
                    themes: assigned
                        .into_iter()
                        .map(|a| ThemeAssignment {
                            theme_id: themes.configs[a.theme].id.clone(),
                            score: a.score,
                            primary: a.primary,
                        })
                        .collect(),
                })
            })
            .collect()
    };
    let rows: Vec<ArticleThemes> = std::thread::scope(|scope| -> Result<_> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(String, StoredData)>>(1);
        let classifier = scope.spawn(move || -> Result<Vec<ArticleThemes>> {
            let mut rows = Vec::new();
            for chunk in rx {
                rows.extend(classify_chunk(chunk)?);
            }
            Ok(rows)
        });
        // A closed channel means the classifier failed: stop reading; its
        // error is the one reported, below.
        let read = store.for_each_changed_article_raw_chunk(since, CHUNK, &mut |chunk| {
            tx.send(chunk)
                .map_err(|_| anyhow::anyhow!("the classifier stopped"))
        });
        drop(tx);
        let rows = classifier
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        read?;
        Ok(rows)
    })?;
    store.replace_changed_article_themes(since, &rows, rev, themes.rules_hash())?;
    let counts = store.theme_counts()?;
    let per_theme: Vec<usize> = themes
        .configs
        .iter()
        .map(|c| counts.get(&c.id).copied().unwrap_or(0))
        .collect();
    Ok(ClassifyReport {
        skipped: false,
        articles: rows.len(),
        per_theme: themes
            .configs
            .iter()
            .map(|c| c.id.clone())
            .zip(per_theme)
            .collect(),
    })
}

#[cfg(test)]
mod tests;
