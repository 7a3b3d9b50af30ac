//! Rendering one 30-article edition for 10,000 subscribers with theme
//! choices (issue #6: under 2 s). Shared parts are rendered once by
//! `PreparedEdition::with_themes`; per subscriber only sections are chosen
//! and strings joined.
//!
//! Run: `cargo bench --bench digest`.

use std::collections::HashMap;
use std::hint::black_box;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use newsdesk::config::Config;
use newsdesk::digest::{Edition, PreparedEdition};
use newsdesk::model::{Article, Format, StoredArticle};
use newsdesk::store::ArticleTheme;

const THEMES: [&str; 4] = ["caucasus-cinema", "festivals", "central-asia", "media"];

fn config() -> Config {
    let mut text = String::from(
        "[site]\ntitle = \"Bench\"\nbase_url = \"https://bench.example.org/\"\n\
         [digest]\nfooter_address = \"1 Main St\"\n\
         unsubscribe_url = \"https://bench.example.org/u?t={token}\"\n",
    );
    for t in THEMES {
        text.push_str(&format!(
            "[[themes]]\nid = \"{t}\"\nname = \"Theme {t}\"\ntags = [\"{t}\"]\n"
        ));
    }
    Config::from_toml(&text, std::path::Path::new("/tmp/bench/newsdesk.toml")).unwrap()
}

fn edition() -> (Edition, HashMap<String, Vec<ArticleTheme>>) {
    let at: DateTime<Utc> = "2026-11-20T08:00:00Z".parse().unwrap();
    let mut rows = HashMap::new();
    let articles = (0..30)
        .map(|i| {
            let id = format!("article-{i}");
            rows.insert(
                id.clone(),
                vec![
                    ArticleTheme {
                        theme_id: THEMES[i % 4].into(),
                        score: 3.0,
                        is_primary: true,
                    },
                    ArticleTheme {
                        theme_id: THEMES[(i + 1) % 4].into(),
                        score: 1.0,
                        is_primary: false,
                    },
                ],
            );
            StoredArticle {
                id: id.clone(),
                source_path: format!("{id}.md"),
                format: Format::Markdown,
                archived_at: at,
                updated_at: at,
                seq: i as i64,
                article: Article {
                    title: format!("A fairly long article title number {i} about the region"),
                    url: Some(format!("https://bench.example.org/articles/{id}/")),
                    date: NaiveDate::from_ymd_opt(2025, 1, 1),
                    standfirst: Some("A standfirst of a couple of sentences. ".repeat(6)),
                    image_url: Some(format!("https://bench.example.org/img/{id}.jpg")),
                    ..Article::default()
                },
            }
        })
        .collect();
    (
        Edition {
            number: 1,
            created_at: at,
            articles,
        },
        rows,
    )
}

fn bench(c: &mut Criterion) {
    let config = config();
    let (edition, rows) = edition();
    // 10,000 subscribers, each with a choice of one to three themes.
    let subscribers: Vec<(Vec<String>, String)> = (0..10_000)
        .map(|i: usize| {
            let n = 1 + i % 3;
            let themes = (0..n).map(|k| THEMES[(i + k) % 4].to_string()).collect();
            (themes, format!("{i:048x}"))
        })
        .collect();
    let mut g = c.benchmark_group("digest");
    g.sample_size(10);
    g.bench_function("prepare_edition_30_articles", |b| {
        b.iter(|| PreparedEdition::with_themes(&config, &edition, &rows).unwrap())
    });
    g.bench_function("render_10000_subscribers", |b| {
        b.iter(|| {
            let p = PreparedEdition::with_themes(&config, &edition, &rows).unwrap();
            let mut bytes = 0;
            for (themes, token) in &subscribers {
                let e = p.render(themes, Some(token)).unwrap();
                bytes += e.html.len() + e.text.len();
                black_box(&e);
            }
            bytes
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
