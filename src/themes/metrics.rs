//! Precision and recall of a classifier against hand labels, per theme:
//! what the corpus test checks, and what an editor tuning rules wants to see.

use serde::Serialize;

/// Counts and rates for one theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeMetrics {
    pub theme: String,
    /// Labelled in the theme and classified in it.
    pub true_positives: usize,
    /// Classified in the theme but not labelled in it.
    pub false_positives: usize,
    /// Labelled in the theme but not classified in it.
    pub false_negatives: usize,
    /// tp / (tp + fp); 1.0 when nothing was classified in the theme.
    pub precision: f64,
    /// tp / (tp + fn); 1.0 when nothing is labelled in the theme.
    pub recall: f64,
}

/// Computes per-theme metrics from (label, prediction) pairs of theme-id
/// lists, one pair per article, for each of `themes`.
pub fn precision_recall<S: AsRef<str>>(
    themes: &[S],
    results: &[(Vec<String>, Vec<String>)],
) -> Vec<ThemeMetrics> {
    themes
        .iter()
        .map(|theme| {
            let theme = theme.as_ref();
            let (mut tp, mut fp, mut fneg) = (0, 0, 0);
            for (expected, predicted) in results {
                let e = expected.iter().any(|x| x == theme);
                let p = predicted.iter().any(|x| x == theme);
                match (e, p) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fneg += 1,
                    (false, false) => {}
                }
            }
            let rate = |num: usize, den: usize| {
                if den == 0 {
                    1.0
                } else {
                    num as f64 / den as f64
                }
            };
            ThemeMetrics {
                theme: theme.to_string(),
                true_positives: tp,
                false_positives: fp,
                false_negatives: fneg,
                precision: rate(tp, tp + fp),
                recall: rate(tp, tp + fneg),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Article;
    use crate::themes::{ArticleText, Themes};

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn counts_hits_misses_and_false_alarms_per_theme() {
        let results = vec![
            (v(&["a"]), v(&["a"])),
            (v(&["a", "b"]), v(&["b"])),
            (v(&[]), v(&["a"])),
            (v(&[]), v(&[])),
        ];
        let m = precision_recall(&["a", "b", "c"], &results);
        assert_eq!(
            (
                m[0].true_positives,
                m[0].false_positives,
                m[0].false_negatives
            ),
            (1, 1, 1)
        );
        assert_eq!((m[0].precision, m[0].recall), (0.5, 0.5));
        assert_eq!((m[1].precision, m[1].recall), (1.0, 1.0));
        assert_eq!(
            (m[2].precision, m[2].recall),
            (1.0, 1.0),
            "no labels, no predictions"
        );
    }

    #[test]
    fn works_on_in_memory_articles_with_the_default_themes() {
        let themes = Themes::defaults();
        let art = |title: &str, body: &str| Article {
            title: title.into(),
            body_text: body.into(),
            ..Article::default()
        };
        let corpus = [
            (
                art(
                    "A Georgian director's film about Tbilisi",
                    "The film was shot in Tbilisi by a Georgian director.",
                ),
                v(&["caucasus-cinema"]),
            ),
            (
                art(
                    "Sziget festival opens in Budapest",
                    "The festival has three stages and a festival camp.",
                ),
                v(&["festivals"]),
            ),
            (
                art("Khachapuri in Tbilisi", "Georgian cheese bread."),
                v(&[]),
            ),
        ];
        let results: Vec<_> = corpus
            .iter()
            .map(|(a, labels)| (labels.clone(), themes.theme_ids(&ArticleText::from(a))))
            .collect();
        let m = precision_recall(&["caucasus-cinema", "festivals"], &results);
        for t in &m {
            assert_eq!((t.precision, t.recall), (1.0, 1.0), "{t:?}");
        }
    }
}
