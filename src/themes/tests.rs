//! Unit tests of the rule language: each rule feature on tiny themes, so a
//! failure names the feature that broke.

use super::*;

fn themes(toml_text: &str) -> Themes {
    #[derive(Deserialize)]
    struct W {
        themes: Vec<ThemeConfig>,
    }
    let w: W = toml::from_str(toml_text).unwrap();
    Themes::compile(&w.themes).unwrap()
}

fn article(title: &str, body: &str) -> Article {
    Article {
        title: title.into(),
        body_text: body.into(),
        ..Article::default()
    }
}

fn ids(t: &Themes, a: &Article) -> Vec<String> {
    t.theme_ids(&ArticleText::from(a))
}

fn score(t: &Themes, a: &Article, id: &str) -> f64 {
    t.explain(&ArticleText::from(a))
        .themes
        .iter()
        .find(|x| x.id == id)
        .unwrap()
        .score
}

const CINEMA: &str = r#"
[[themes]]
id = "cc"
name = "Caucasus cinema"
threshold = 4
[[themes.groups]]
name = "place"
min = 1.5
terms = ["Nalchik", "Нальчик", "Tbilisi", "Chechen*", "Kabardino-Balkaria"]
[[themes.groups]]
name = "cinema"
min = 1.5
terms = ["film", "films", "feature film", { term = "Parajanov", weight = 3 }]
"#;

#[test]
fn groups_must_co_occur() {
    let t = themes(CINEMA);
    assert!(ids(&t, &article("Nalchik in the spring", "Nalchik. Nalchik.")).is_empty());
    assert!(ids(&t, &article("A film and more films", "Film, film.")).is_empty());
    assert_eq!(
        ids(&t, &article("A film from Nalchik", "Nalchik film.")),
        ["cc"]
    );
}

#[test]
fn title_counts_more_than_body_and_repeats_have_diminishing_returns() {
    let t = themes(CINEMA);
    let in_title = score(&t, &article("Nalchik film", ""), "cc");
    let in_body = score(&t, &article("x", "Nalchik film"), "cc");
    assert_eq!(in_title, 6.0, "title weight 3 × two terms");
    assert_eq!(in_body, 3.0, "lead weight 1.5 × two terms");
    let once = score(&t, &article("x", "film"), "cc");
    let four = score(&t, &article("x", "film film film film"), "cc");
    assert!(four > once && four < 4.0 * once, "{once} {four}");
}

#[test]
fn a_passing_mention_deep_in_a_long_body_is_not_enough() {
    let t = themes(CINEMA);
    let filler = "Words about the harvest and the weather and roads. ".repeat(40);
    let body = format!(
        "A film about a river.\n\nAnother film paragraph.\n\n{filler}\n\n{filler}\n\nOnce in Nalchik."
    );
    let a = article("A film", &body);
    let e = t.explain(&ArticleText::from(&a));
    let place = &e.themes[0].groups[0];
    assert!(place.score < 1.0, "damped: {}", place.score);
    assert!(ids(&t, &a).is_empty());
    // The same mention in the lead puts it in.
    let a = article("A film", &format!("A film made in Nalchik.\n\n{filler}"));
    assert_eq!(ids(&t, &a), ["cc"]);
}

#[test]
fn term_weights_multiply() {
    let t = themes(CINEMA);
    let plain = score(&t, &article("Tbilisi film", ""), "cc");
    let heavy = score(&t, &article("Tbilisi Parajanov", ""), "cc");
    assert_eq!(heavy - plain, 6.0, "weight 3 instead of 1, × title 3");
}

#[test]
fn exclusion_terms_veto_wherever_they_match() {
    let t = themes(&CINEMA.replace(
        "threshold = 4\n",
        "threshold = 4\nexclude = [\"Atlanta\"]\n",
    ));
    let a = article(
        "A film from Tbilisi",
        "Shot in Tbilisi. Later shown in Atlanta.",
    );
    assert!(ids(&t, &a).is_empty());
    let e = t.explain(&ArticleText::from(&a));
    assert_eq!(e.themes[0].excluded_by.as_ref().unwrap().term, "Atlanta");
    assert!(
        e.render().contains("excluded: \"Atlanta\" matched in lead"),
        "{}",
        e.render()
    );
}

#[test]
fn matching_is_on_word_boundaries_with_prefixes_and_phrases() {
    let t = themes(
        r#"
[[themes]]
id = "o"
name = "O"
threshold = 1
[[themes.groups]]
terms = ["Oscar", "Chechen*", "feature film"]
"#,
    );
    assert!(ids(&t, &article("Oscarsson wins", "")).is_empty());
    assert!(ids(&t, &article("The Oscars", "")).is_empty());
    assert_eq!(ids(&t, &article("An Oscar!", "")), ["o"]);
    assert_eq!(ids(&t, &article("Chechens and Chechnya", "")), ["o"]);
    assert!(ids(&t, &article("Antichechen", "")).is_empty());
    assert_eq!(ids(&t, &article("her feature-film debut", "")), ["o"]);
    assert!(ids(&t, &article("feature", "")).is_empty());
}

#[test]
fn phrases_do_not_match_across_fields() {
    let t = themes(
        r#"
[[themes]]
id = "p"
name = "P"
threshold = 0.1
[[themes.groups]]
min = 0.1
terms = ["golden apricot"]
"#,
    );
    let mut a = article("Golden", "Apricot harvest.");
    assert!(ids(&t, &a).is_empty());
    a.title = "Golden Apricot".into();
    assert_eq!(ids(&t, &a), ["p"]);
}

#[test]
fn cyrillic_georgian_armenian_and_diacritics_match_their_spellings() {
    let t = themes(
        r#"
[[themes]]
id = "x"
name = "X"
threshold = 1
[[themes.groups]]
terms = ["Нальчик", "Tbilisi", "თბილისი", "Երևան", "Kinó", "Ёлки"]
"#,
    );
    for title in [
        "НАЛЬЧИК сегодня",
        "в Нальчике",
        "T'bilisi nights",
        "Tʻbilisi",
        "TBILISI",
        "თბილისი",
        "Երեւան",
        "Kino week",
        "ёлки",
        "Елки",
    ] {
        let want: &[&str] = if title == "в Нальчике" {
            &[]
        } else {
            &["x"]
        };
        assert_eq!(ids(&t, &article(title, "")), want, "{title}");
    }
}

#[test]
fn tags_listed_by_a_theme_put_an_article_in_it() {
    let t = themes(&CINEMA.replace(
        "threshold = 4\n",
        "threshold = 4\ntags = [\"Georgian cinema\"]\n",
    ));
    let mut a = article("An interview", "No matching words.");
    assert!(ids(&t, &a).is_empty());
    a.tags = vec!["GEORGIAN CINEMA".into()];
    assert_eq!(ids(&t, &a), ["cc"]);
    let e = t.explain(&ArticleText::from(&a));
    assert!(e.themes[0].member && !e.themes[0].by_rules);
    assert_eq!(
        e.themes[0].score, 4.0,
        "explicit members score at least the threshold"
    );
    assert!(
        e.render().contains("by tag \"GEORGIAN CINEMA\""),
        "{}",
        e.render()
    );
}

#[test]
fn tags_are_also_matched_as_text() {
    let t = themes(CINEMA);
    let mut a = article("An interview", "");
    a.tags = vec!["Nalchik".into(), "film".into()];
    assert_eq!(score(&t, &a, "cc"), 4.0, "tags weight 2 × two terms");
}

const TWO: &str = r#"
[[themes]]
id = "a"
name = "A"
threshold = 2
[[themes.groups]]
terms = ["alpha"]
[[themes]]
id = "b"
name = "B"
threshold = 2
[[themes.groups]]
terms = ["beta"]
"#;

#[test]
fn multi_label_with_the_highest_relative_score_primary() {
    let t = themes(TWO);
    assert_eq!(ids(&t, &article("alpha beta", "beta beta")), ["b", "a"]);
    assert_eq!(ids(&t, &article("alpha beta", "alpha")), ["a", "b"]);
    let a = article("alpha beta", "beta beta");
    assert_eq!(t.explain(&ArticleText::from(&a)).theme_ids(), ["b", "a"]);
    // Equal scores: the theme listed first wins.
    assert_eq!(ids(&t, &article("beta alpha", "")), ["a", "b"]);
}

#[test]
fn front_matter_themes_add_remove_and_choose_the_primary() {
    let t = themes(TWO);
    let mut a = article("alpha alpha", "alpha beta beta");
    assert_eq!(ids(&t, &a), ["a", "b"]);
    a.themes = vec!["b".into()];
    assert_eq!(
        ids(&t, &a),
        ["b", "a"],
        "first front-matter theme is primary"
    );
    a.themes = vec!["-a".into()];
    assert_eq!(ids(&t, &a), ["b"], "-id removes a rule match");
    a.themes = vec!["unknown-theme".into()];
    assert_eq!(ids(&t, &a), ["a", "b"], "unknown ids are ignored");
    let mut plain = article("nothing", "");
    plain.themes = vec!["b".into()];
    assert_eq!(ids(&t, &plain), ["b"]);
}

#[test]
fn front_matter_overrides_tags_and_exclusions() {
    let t = themes(
        r#"
[[themes]]
id = "a"
name = "A"
threshold = 2
tags = ["a-tag"]
exclude = ["veto"]
[[themes.groups]]
terms = ["alpha"]
"#,
    );
    let mut a = article("alpha veto", "");
    assert!(ids(&t, &a).is_empty());
    a.tags = vec!["a-tag".into()];
    assert_eq!(ids(&t, &a), ["a"], "a mapped tag beats an exclusion");
    a.themes = vec!["-a".into()];
    assert!(ids(&t, &a).is_empty(), "front matter beats tags");
}

#[test]
fn explanation_lists_score_threshold_and_where_terms_matched() {
    let t = themes(CINEMA);
    let a = Article {
        title: "A Nalchik film".into(),
        standfirst: Some("Films from Kabardino-Balkaria".into()),
        body_text: "The film was shot in Nalchik.".into(),
        ..Article::default()
    };
    let e = t.explain(&ArticleText::from(&a));
    let r = e.render();
    assert!(
        r.starts_with("cc (Caucasus cinema): IN (primary) by rules\n"),
        "{r}"
    );
    assert!(r.contains("score 13.000 / threshold 4.000"), "{r}");
    assert!(r.contains("group place: 6.500 (min 1.500)"), "{r}");
    assert!(
        r.contains("\"Nalchik\": title×1 +3.000, lead×1 +1.500"),
        "{r}"
    );
    assert!(
        r.contains("\"Kabardino-Balkaria\": standfirst×1 +2.000"),
        "{r}"
    );
    assert!(r.contains("\"films\": standfirst×1 +2.000"), "{r}");
    assert_eq!(e.primary.as_deref(), Some("cc"));
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json["themes"][0]["groups"][0]["terms"][0]["hits"][0]["field"],
        "title"
    );
}

#[test]
fn explanation_names_a_group_below_its_min() {
    let t = themes(CINEMA);
    let e = t.explain(&ArticleText::from(&article("film film", "")));
    let r = e.render();
    assert!(r.contains("OUT by rules: group place below its min"), "{r}");
    assert!(r.contains("group place: 0.000 (min 1.500)  NOT MET"), "{r}");
    assert!(r.contains("(no term matched)"), "{r}");
}

#[test]
fn one_term_in_several_themes_counts_for_each() {
    let t = themes(&TWO.replace("terms = [\"beta\"]", "terms = [\"beta\", \"alpha\"]"));
    assert_eq!(ids(&t, &article("alpha", "")), ["a", "b"]);
}

#[test]
fn rules_hash_changes_with_the_rules() {
    let a = themes(TWO);
    let b = themes(&TWO.replace(
        "threshold = 2\n[[themes.groups]]\nterms = [\"beta\"]",
        "threshold = 3\n[[themes.groups]]\nterms = [\"beta\"]",
    ));
    assert_ne!(a.rules_hash(), b.rules_hash());
    assert_eq!(a.rules_hash(), themes(TWO).rules_hash());
}

#[test]
fn default_themes_are_valid_and_cover_both_headline_themes() {
    let d = Themes::defaults();
    let ids: Vec<&str> = d.configs().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["caucasus-cinema", "festivals"]);
}

#[test]
fn default_caucasus_cinema_needs_both_place_and_cinema() {
    let d = Themes::defaults();
    let georgian_food = article(
        "Khachapuri, Georgia's national dish",
        "In Tbilisi every bakery has its own khachapuri. Georgian cooks in Kutaisi and Batumi argue about cheese.",
    );
    assert!(ids(&d, &georgian_food).is_empty());
    let russian_film = article(
        "A Moscow director's new film",
        "The film, shot in Moscow, is the director's third feature film. Critics praised the cinematography of the film.",
    );
    assert!(ids(&d, &russian_film).is_empty());
    let chechen_film = article(
        "A Chechen film-maker's debut feature",
        "Shot in Grozny, the film follows a Chechen family. It is the first feature film made in Chechnya in decades.",
    );
    assert_eq!(ids(&d, &chechen_film), ["caucasus-cinema"]);
    let cyrillic = article(
        "Фильм о Нальчике",
        "Режиссер снял фильм в Нальчике, в Кабардино-Балкарии.",
    );
    assert_eq!(ids(&d, &cyrillic), ["caucasus-cinema"]);
}

#[test]
fn theme_ids_for_uses_defaults_without_a_config() {
    let a = article(
        "Kinotavr festival opens",
        "The Kinotavr festival in Sochi opened with a gala.",
    );
    assert_eq!(theme_ids_for(None, &a).unwrap(), ["festivals"]);
}

#[test]
fn classify_store_skips_when_nothing_changed_and_redoes_when_rules_change() {
    use crate::store::{IngestBatch, NewFileVersion, ParsedFile};
    let mut store = Store::open_in_memory().unwrap();
    let put = |store: &mut Store, hash: &str, title: &str| {
        let b = IngestBatch {
            versions: vec![NewFileVersion {
                key: "x.md".into(),
                size: 1,
                mtime_ns: 1,
                hash: hash.into(),
                parsed: Ok(ParsedFile::new(
                    "x.md".into(),
                    "x".into(),
                    crate::model::Format::Markdown,
                    article(title, ""),
                )),
            }],
            ..Default::default()
        };
        store.apply_ingest(&b, chrono::Utc::now()).unwrap();
    };
    put(&mut store, "h1", "alpha");
    let t = themes(TWO);
    let r = classify_store(&mut store, &t, false).unwrap();
    assert!(!r.skipped);
    assert_eq!(r.articles, 1);
    assert_eq!(
        r.per_theme,
        vec![("a".to_string(), 1), ("b".to_string(), 0)]
    );
    assert_eq!(store.article_theme_ids("x").unwrap(), ["a"]);

    assert!(classify_store(&mut store, &t, false).unwrap().skipped);
    assert!(
        !classify_store(&mut store, &t, true).unwrap().skipped,
        "force"
    );

    // Changed article: re-classified.
    put(&mut store, "h2", "beta");
    assert!(!classify_store(&mut store, &t, false).unwrap().skipped);
    assert_eq!(store.article_theme_ids("x").unwrap(), ["b"]);

    // Changed rules, same articles: re-classified from the store.
    let t2 = themes(&TWO.replace("terms = [\"beta\"]", "terms = [\"gamma\"]"));
    let r = classify_store(&mut store, &t2, false).unwrap();
    assert!(!r.skipped);
    assert!(store.article_theme_ids("x").unwrap().is_empty());
    assert!(classify_store(&mut store, &t2, false).unwrap().skipped);
}

#[test]
fn sample_config_ships_exactly_the_default_themes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("newsdesk.toml");
    let config = Config::load(&path).unwrap();
    assert_eq!(config.themes, default_themes());
}

#[test]
fn classify_store_reads_many_chunks_in_order_and_names_an_unreadable_article() {
    use crate::store::{IngestBatch, NewFileVersion, ParsedFile};
    let mut store = Store::open_in_memory().unwrap();
    // More than two read chunks, so reading runs ahead of classifying.
    let n = 2 * super::CHUNK + 7;
    let versions = (0..n)
        .map(|i| NewFileVersion {
            key: format!("{i:05}.md"),
            size: 1,
            mtime_ns: 1,
            hash: format!("h{i}"),
            parsed: Ok(ParsedFile::new(
                format!("{i:05}.md"),
                format!("a{i:05}"),
                crate::model::Format::Markdown,
                article(if i % 3 == 0 { "alpha" } else { "beta" }, ""),
            )),
        })
        .collect();
    let b = IngestBatch {
        versions,
        ..Default::default()
    };
    store.apply_ingest(&b, chrono::Utc::now()).unwrap();
    let t = themes(TWO);
    let r = classify_store(&mut store, &t, true).unwrap();
    assert_eq!(r.articles, n);
    let alpha = n.div_ceil(3);
    assert_eq!(
        r.per_theme,
        vec![("a".to_string(), alpha), ("b".to_string(), n - alpha)]
    );
    assert_eq!(store.article_theme_ids("a00003").unwrap(), ["a"]);
    assert_eq!(store.article_theme_ids("a02050").unwrap(), ["b"]);

    // A damaged row in the last chunk: an error naming it, and the themes
    // stored before are left as they were (one transaction, not reached).
    store
        .conn()
        .execute(
            "UPDATE articles SET data = x'0500000001' WHERE id = 'a02052'",
            [],
        )
        .unwrap();
    let err = classify_store(&mut store, &t, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("a02052"), "{err}");
    assert_eq!(store.article_theme_ids("a00003").unwrap(), ["a"]);
}
