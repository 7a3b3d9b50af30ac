//! Explanations: per theme, the score, the threshold, each group against its
//! `min`, and every term that matched, where, how often and for how many
//! points. This is what `newsdesk themes --explain` prints.

use std::fmt::Write as _;

use serde::Serialize;

use super::compile::{FIELDS, Field, Hit, Prepared};
use super::{Assignment, Eval, Explicit, Themes, round_score};

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The primary theme's id, if the article is in any theme.
    pub primary: Option<String>,
    /// The themes the article is in, primary first (as stored).
    pub assigned: Vec<String>,
    /// Words in the body after the lead, and the damping applied to matches there.
    pub body_words: usize,
    pub body_factor: f64,
    /// Every theme, in config order.
    pub themes: Vec<ThemeExplanation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThemeExplanation {
    pub id: String,
    pub name: String,
    pub member: bool,
    pub primary: bool,
    pub score: f64,
    pub threshold: f64,
    /// Whether the rules alone put the article in the theme.
    pub by_rules: bool,
    pub explicit: Explicit,
    pub excluded_by: Option<Matched>,
    pub groups: Vec<GroupExplanation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Matched {
    pub term: String,
    pub field: Field,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupExplanation {
    pub name: String,
    pub min: f64,
    pub score: f64,
    pub met: bool,
    pub terms: Vec<TermExplanation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TermExplanation {
    pub term: String,
    pub weight: f64,
    pub points: f64,
    pub hits: Vec<FieldHit>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldHit {
    pub field: Field,
    pub count: u32,
    pub points: f64,
}

pub(super) fn build(
    themes: &Themes,
    doc: &Prepared,
    hits: &[Hit],
    evals: &[Eval],
    ranked: &[Assignment],
) -> Explanation {
    let targets = &themes.matcher().targets;
    let mut out = Vec::new();
    for (t, cfg) in themes.configs().iter().enumerate() {
        let e = &evals[t];
        let mut groups: Vec<GroupExplanation> = cfg
            .groups
            .iter()
            .enumerate()
            .map(|(g, gc)| GroupExplanation {
                name: if gc.name.is_empty() {
                    format!("group {}", g + 1)
                } else {
                    gc.name.clone()
                },
                min: gc.min,
                score: round_score(e.group_scores[g]),
                met: e.group_scores[g] >= gc.min,
                terms: Vec::new(),
            })
            .collect();
        // Hits are sorted by target, then field: one term's hits are adjacent.
        for h in hits {
            let target = &targets[h.target as usize];
            if target.theme != t {
                continue;
            }
            let Some(g) = target.group else { continue };
            let points = themes.points(t, h.field, target.weight, h.count, doc);
            let terms = &mut groups[g].terms;
            let fh = FieldHit {
                field: h.field,
                count: h.count,
                points: round_score(points),
            };
            match terms.last_mut() {
                Some(te) if te.term == target.term && te.weight == target.weight => {
                    te.points += points;
                    te.hits.push(fh);
                }
                _ => terms.push(TermExplanation {
                    term: target.term.clone(),
                    weight: target.weight,
                    points,
                    hits: vec![fh],
                }),
            }
        }
        for g in &mut groups {
            for te in &mut g.terms {
                te.points = round_score(te.points);
                te.hits
                    .sort_by_key(|h| FIELDS.iter().position(|f| *f == h.field));
            }
            g.terms.sort_by(|a, b| {
                b.points
                    .total_cmp(&a.points)
                    .then_with(|| a.term.cmp(&b.term))
            });
        }
        let assigned = ranked.iter().find(|a| a.theme == t);
        out.push(ThemeExplanation {
            id: cfg.id.clone(),
            name: cfg.name.clone(),
            member: e.member,
            primary: assigned.is_some_and(|a| a.primary),
            score: round_score(e.score),
            threshold: cfg.threshold,
            by_rules: e.by_rules,
            explicit: e.explicit.clone(),
            excluded_by: e.excluded.map(|(target, field)| Matched {
                term: targets[target as usize].term.clone(),
                field,
            }),
            groups,
        });
    }
    Explanation {
        primary: ranked
            .iter()
            .find(|a| a.primary)
            .map(|a| themes.configs()[a.theme].id.clone()),
        assigned: ranked
            .iter()
            .map(|a| themes.configs()[a.theme].id.clone())
            .collect(),
        body_words: doc.body_words,
        body_factor: round_score(doc.body_factor()),
        themes: out,
    }
}

impl Explanation {
    /// Theme ids the article is in, primary first.
    pub fn theme_ids(&self) -> Vec<&str> {
        self.assigned.iter().map(String::as_str).collect()
    }

    /// The human-readable form printed by `newsdesk themes --explain`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for t in &self.themes {
            let verdict = match (t.member, t.primary) {
                (true, true) => "IN (primary)",
                (true, false) => "IN",
                _ => "OUT",
            };
            let why = match &t.explicit {
                Explicit::None => match &t.excluded_by {
                    Some(m) => format!("excluded: {:?} matched in {}", m.term, m.field.as_str()),
                    None if t.by_rules => "rules".to_string(),
                    None => {
                        let failed: Vec<&str> = t
                            .groups
                            .iter()
                            .filter(|g| !g.met)
                            .map(|g| g.name.as_str())
                            .collect();
                        if failed.is_empty() {
                            "rules: score below threshold".to_string()
                        } else {
                            format!("rules: group {} below its min", failed.join(", "))
                        }
                    }
                },
                Explicit::FrontMatter(_) => "front matter lists it".to_string(),
                Explicit::FrontMatterRemoved => "front matter removes it".to_string(),
                Explicit::Tag(tag) => format!("tag {tag:?}"),
            };
            let _ = writeln!(s, "{} ({}): {verdict} by {why}", t.id, t.name);
            let _ = writeln!(s, "  score {:.3} / threshold {:.3}", t.score, t.threshold);
            for g in &t.groups {
                let _ = writeln!(
                    s,
                    "  group {}: {:.3} (min {:.3}){}",
                    g.name,
                    g.score,
                    g.min,
                    if g.met { "" } else { "  NOT MET" }
                );
                if g.terms.is_empty() {
                    let _ = writeln!(s, "    (no term matched)");
                }
                for te in &g.terms {
                    let wherein: Vec<String> = te
                        .hits
                        .iter()
                        .map(|h| format!("{}×{} {:+.3}", h.field.as_str(), h.count, h.points))
                        .collect();
                    let weight = if te.weight == 1.0 {
                        String::new()
                    } else {
                        format!(" (weight {})", te.weight)
                    };
                    let _ = writeln!(
                        s,
                        "    {:+8.3}  {:?}{weight}: {}",
                        te.points,
                        te.term,
                        wherein.join(", ")
                    );
                }
            }
        }
        let _ = writeln!(
            s,
            "(body after the lead: {} words, matches there ×{:.3})",
            self.body_words, self.body_factor
        );
        s
    }
}
