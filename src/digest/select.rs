//! Which section each article goes in, for one subscriber.
//!
//! Rule: an article appears once per email, under the first of its themes (in
//! the article's own order: primary first, then by score, then config order)
//! that the subscriber chose. Sections follow the config's theme order; an
//! article with no (known) theme goes to "More from the archive", which only
//! subscribers without theme choices get: a reader who picked themes asked
//! for those and nothing else.

use std::collections::HashMap;

use crate::config::ThemeConfig;
use crate::store::ArticleTheme;

/// Themes of each article of an edition, as indices into the config's theme
/// list, best first. Built once per edition.
#[derive(Debug, Clone)]
pub struct ThemeIndex {
    /// Config theme ids, in config order.
    pub theme_ids: Vec<String>,
    /// Per article (edition order): theme indices, best first.
    pub article_themes: Vec<Vec<usize>>,
}

impl ThemeIndex {
    pub fn new(
        themes: &[ThemeConfig],
        article_ids: &[String],
        rows: &HashMap<String, Vec<ArticleTheme>>,
    ) -> ThemeIndex {
        let pos: HashMap<&str, usize> = themes
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let article_themes = article_ids
            .iter()
            .map(|id| {
                let mut ts: Vec<(&ArticleTheme, usize)> = rows
                    .get(id)
                    .map(|v| v.as_slice())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|r| pos.get(r.theme_id.as_str()).map(|&i| (r, i)))
                    .collect();
                // Primary first, then higher score, then config order: a
                // total order, so output is deterministic.
                ts.sort_by(|(a, ai), (b, bi)| {
                    b.is_primary
                        .cmp(&a.is_primary)
                        .then(b.score.total_cmp(&a.score))
                        .then(ai.cmp(bi))
                });
                let mut out: Vec<usize> = Vec::with_capacity(ts.len());
                for (_, i) in ts {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
                out
            })
            .collect();
        ThemeIndex {
            theme_ids: themes.iter().map(|t| t.id.clone()).collect(),
            article_themes,
        }
    }

    /// Sections for a subscriber who chose `chosen` theme ids (empty: all).
    /// Returns `(section, article indices)` in display order, where section
    /// `Some(i)` is config theme `i` and `None` is "More from the archive".
    /// Empty sections are left out; unknown chosen ids are ignored.
    pub fn sections(&self, chosen: &[String]) -> Vec<(Option<usize>, Vec<usize>)> {
        let n = self.theme_ids.len();
        let everything = chosen.is_empty();
        let mut allowed = vec![everything; n];
        for c in chosen {
            if let Some(i) = self.theme_ids.iter().position(|t| t == c) {
                allowed[i] = true;
            }
        }
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut more = Vec::new();
        for (a, themes) in self.article_themes.iter().enumerate() {
            if themes.is_empty() {
                if everything {
                    more.push(a);
                }
            } else if let Some(&t) = themes.iter().find(|&&t| allowed[t]) {
                buckets[t].push(a);
            }
        }
        let mut out: Vec<(Option<usize>, Vec<usize>)> = buckets
            .into_iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(i, v)| (Some(i), v))
            .collect();
        if !more.is_empty() {
            out.push((None, more));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(id: &str) -> ThemeConfig {
        toml::from_str(&format!("id = \"{id}\"\nname = \"{id}\"")).unwrap()
    }

    fn row(t: &str, score: f64, primary: bool) -> ArticleTheme {
        ArticleTheme {
            theme_id: t.into(),
            score,
            is_primary: primary,
        }
    }

    fn index() -> ThemeIndex {
        let themes = [theme("cinema"), theme("festivals")];
        let ids: Vec<String> = ["both", "fest", "none", "gone"].map(String::from).to_vec();
        let rows = HashMap::from([
            (
                "both".to_string(),
                vec![row("festivals", 2.0, false), row("cinema", 1.0, true)],
            ),
            ("fest".to_string(), vec![row("festivals", 1.0, true)]),
            // A theme no longer in the config counts as no theme.
            ("gone".to_string(), vec![row("removed", 9.0, true)]),
        ]);
        ThemeIndex::new(&themes, &ids, &rows)
    }

    #[test]
    fn article_goes_under_its_primary_theme_once() {
        let s = index().sections(&[]);
        assert_eq!(
            s,
            vec![(Some(0), vec![0]), (Some(1), vec![1]), (None, vec![2, 3])]
        );
    }

    #[test]
    fn festivals_only_subscriber_gets_the_both_theme_article_under_festivals() {
        let s = index().sections(&["festivals".to_string()]);
        assert_eq!(s, vec![(Some(1), vec![0, 1])]);
    }

    #[test]
    fn subscriber_with_choices_gets_no_more_section() {
        let s = index().sections(&["cinema".to_string()]);
        assert_eq!(s, vec![(Some(0), vec![0])]);
    }
}
