//! Themes: the labelled corpus (precision and recall per theme), the seed
//! article, `newsdesk themes` and `newsdesk themes --explain`.

use std::collections::BTreeMap;

use newsdesk::model::{Article, Format};
use newsdesk::parse::{self, Context};
use newsdesk::store::{IngestBatch, NewFileVersion, ParsedFile};
use newsdesk::themes::metrics::precision_recall;
use newsdesk::themes::{ArticleText, Themes};

use crate::util::*;

fn corpus_dir() -> std::path::PathBuf {
    fixtures().join("themes")
}

/// The corpus labels: file name → theme ids.
fn labels() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(corpus_dir().join("labels.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

#[test]
fn every_corpus_file_is_labelled_and_every_label_has_a_file() {
    let labels = labels();
    let mut files: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "labels.toml")
        .collect();
    files.sort();
    let labelled: Vec<String> = labels.keys().cloned().collect();
    assert_eq!(files, labelled);
    assert!(files.len() >= 40, "{} articles", files.len());
    for ext in ["txt", "md", "html"] {
        assert!(
            files.iter().filter(|f| f.ends_with(ext)).count() >= 10,
            "too few .{ext}"
        );
    }
    let themes = Themes::defaults();
    for (file, ids) in &labels {
        for id in ids {
            assert!(
                themes.configs().iter().any(|t| &t.id == id),
                "{file}: unknown theme {id}"
            );
        }
    }
}

#[test]
fn default_themes_reach_0_9_precision_and_recall_on_the_labelled_corpus() {
    let themes = Themes::defaults();
    let ctx = Context { base_url: None };
    let mut results = Vec::new();
    let mut wrong = Vec::new();
    for (file, expected) in labels() {
        let path = corpus_dir().join(&file);
        let bytes = std::fs::read(&path).unwrap();
        let ext = path.extension().unwrap().to_string_lossy().into_owned();
        let (_, article) =
            parse::parse_bytes(&bytes, Some(&ext), &ctx).unwrap_or_else(|e| panic!("{file}: {e}"));
        let predicted = themes.theme_ids(&ArticleText::from(&article));
        let (mut e, mut p) = (expected.clone(), predicted.clone());
        e.sort();
        p.sort();
        if e != p {
            wrong.push(format!(
                "{file}: labelled {expected:?}, classified {predicted:?}"
            ));
        }
        results.push((expected, predicted));
    }
    let ids: Vec<&str> = themes.configs().iter().map(|t| t.id.as_str()).collect();
    let metrics = precision_recall(&ids, &results);
    println!("theme corpus: {} articles", results.len());
    for m in &metrics {
        println!(
            "  {:<16} precision {:.3}  recall {:.3}  (tp {}, fp {}, fn {})",
            m.theme, m.precision, m.recall, m.true_positives, m.false_positives, m.false_negatives
        );
    }
    for w in &wrong {
        println!("  misclassified: {w}");
    }
    for m in &metrics {
        assert!(
            m.precision >= 0.9 && m.recall >= 0.9,
            "{m:?}\n{}",
            wrong.join("\n")
        );
    }
}

#[test]
fn seed_article_is_caucasus_cinema_primary_and_festivals() {
    let (code, out, err) = run(newsdesk().args(["themes", "--explain"]).arg(seed_path()));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines()
            .any(|l| l == "themes: caucasus-cinema, festivals"),
        "{out}"
    );
    assert!(
        out.contains("caucasus-cinema (Caucasus cinema): IN (primary) by rules"),
        "{out}"
    );
    assert!(out.contains("festivals (Festivals): IN by rules"), "{out}");
    assert!(out.contains("\"Cannes\" (weight 2): title×1"), "{out}");
}

#[test]
fn inspect_json_lists_the_seed_themes_primary_first() {
    let (code, out, err) = run(newsdesk().args(["inspect", "--json"]).arg(seed_path()));
    assert_eq!(code, 0, "{err}");
    let v = json_lines(&out);
    assert_eq!(
        v[0]["themes"],
        serde_json::json!(["caucasus-cinema", "festivals"])
    );
}

/// Puts articles straight into a site's store (as ingest would), so the
/// themes stage can be tested on its own.
fn store_articles(site: &Site, articles: &[(&str, Article)]) {
    let mut store = site.store();
    let versions = articles
        .iter()
        .map(|(id, a)| NewFileVersion {
            key: format!("archive/{id}.md"),
            size: 1,
            mtime_ns: 1,
            hash: format!("{id}-{}", a.title),
            parsed: Ok(ParsedFile::new(
                format!("{id}.md"),
                id.to_string(),
                Format::Markdown,
                a.clone(),
            )),
        })
        .collect();
    let batch = IngestBatch {
        versions,
        ..Default::default()
    };
    store
        .apply_ingest(
            &batch,
            chrono::DateTime::parse_from_rfc3339(NOW).unwrap().into(),
        )
        .unwrap();
}

fn article(title: &str, standfirst: &str, body: &str) -> Article {
    Article {
        title: title.into(),
        standfirst: Some(standfirst.into()),
        body_text: body.into(),
        ..Article::default()
    }
}

fn sample_articles() -> Vec<(&'static str, Article)> {
    vec![
        (
            "chechen-debut",
            article(
                "A Chechen director's debut feature",
                "Shot in Grozny, a first film about a Chechen family",
                "The film follows a family in Grozny.\n\nThe director cast her neighbours as actors.",
            ),
        ),
        (
            "sziget",
            article(
                "Sziget festival turns twenty",
                "Budapest's island festival",
                "The festival's main stage.\n\nFestival crowds.",
            ),
        ),
        (
            "khachapuri",
            article(
                "Khachapuri in Tbilisi",
                "Georgian cheese bread",
                "Every bakery in Tbilisi has its own.",
            ),
        ),
    ]
}

#[test]
fn themes_classifies_the_store_and_lists_counts() {
    let site = Site::new();
    store_articles(&site, &sample_articles());
    let (code, out, err) = run(site.cmd().arg("themes"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "classified 3 articles (caucasus-cinema 1, festivals 1)\n\
         caucasus-cinema  Caucasus cinema       1 article\n\
         festivals        Festivals             1 article\n"
    );
    let store = site.store();
    assert_eq!(
        store.article_theme_ids("chechen-debut").unwrap(),
        ["caucasus-cinema"]
    );
    assert!(store.article_theme_ids("khachapuri").unwrap().is_empty());

    // Nothing changed: no classification, same counts.
    let (_, out, _) = run(site.cmd().args(["themes", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["classified"]["skipped"], true);
    assert_eq!(v["themes"][1]["articles"], 1);
}

#[test]
fn changed_rules_reclassify_every_article_from_the_store() {
    let site = Site::new();
    store_articles(&site, &sample_articles());
    assert_eq!(run(site.cmd().arg("themes")).0, 0);
    // A new theme in the config: no archive file exists, so the articles can
    // only come from the store.
    site.append_config(
        r#"
[[themes]]
id = "food"
name = "Food"
threshold = 2
[[themes.groups]]
terms = ["khachapuri", "bread", "bakery"]
"#,
    );
    let (code, out, err) = run(site.cmd().args(["themes", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["classified"]["skipped"], false);
    assert_eq!(v["classified"]["articles"], 3);
    assert_eq!(v["themes"][0]["id"], "food");
    assert_eq!(v["themes"][0]["articles"], 1);
    assert_eq!(
        site.store().article_theme_ids("khachapuri").unwrap(),
        ["food"]
    );
    // A config's own themes replace the defaults.
    assert!(site.store().article_theme_ids("sziget").unwrap().is_empty());
}

#[test]
fn explain_by_id_shows_scores_thresholds_and_where_terms_matched() {
    let site = Site::new();
    store_articles(&site, &sample_articles());
    let (code, out, err) = run(site.cmd().args(["themes", "--explain", "chechen-debut"]));
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn explain_json_has_every_theme_with_groups_and_hits() {
    let site = Site::new();
    store_articles(&site, &sample_articles());
    let (code, out, err) = run(site
        .cmd()
        .args(["themes", "--json", "--explain", "khachapuri"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let t = &v["explanation"]["themes"][0];
    assert_eq!(t["id"], "caucasus-cinema");
    assert_eq!(t["member"], false);
    assert_eq!(t["threshold"], 8.0);
    assert_eq!(t["groups"][0]["name"], "caucasus");
    assert_eq!(t["groups"][0]["terms"][0]["term"], "Tbilisi");
    assert_eq!(t["groups"][0]["terms"][0]["hits"][0]["field"], "title");
    assert_eq!(t["groups"][1]["met"], false);
    assert_eq!(v["explanation"]["primary"], serde_json::Value::Null);
}

#[test]
fn explain_of_an_unknown_file_or_id_exits_66() {
    let site = Site::new();
    let (code, _, err) = run(site.cmd().args(["themes", "--explain", "no-such-thing"]));
    assert_eq!(code, 66);
    assert!(err.contains("no-such-thing"), "{err}");
}

#[test]
fn invalid_theme_rules_are_a_config_error() {
    let site = Site::new();
    site.append_config("[[themes]]\nid = \"x\"\nname = \"X\"\nthreshold = -1\n[[themes.groups]]\nterms = [\"a\"]\n");
    let (code, _, err) = run(site.cmd().arg("themes"));
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("threshold"), "{err}");
}
