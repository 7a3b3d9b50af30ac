//! Feeds benchmarks: writing every feed (all + 2 themes, 50 items each, plus
//! every Atom archive page) for a large store, and the cost of the latest
//! feeds at growing archive sizes (it must not grow with the archive).
//!
//! `cargo bench --bench feeds` (NEWSDESK_BENCH_N sets the big store's size,
//! default 100000).

use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use newsdesk::config::Config;
use newsdesk::model::{Article, Format};
use newsdesk::store::{IngestBatch, NewFileVersion, ParsedFile, Store};

const CONFIG: &str = r#"[site]
title = "Bench Desk"
base_url = "https://news.example.org/"
author = "Bench Desk"

[feeds]
tag_authority = "news.example.org,2026-01-01"

[[themes]]
id = "caucasus-cinema"
name = "Caucasus cinema"
tags = ["caucasus-cinema"]

[[themes]]
id = "festivals"
name = "Festivals"
tags = ["festivals"]
"#;

fn body(i: usize) -> (String, String) {
    let para = format!(
        "Paragraph about film number {i}, its director, the festival in Tbilisi and \
         <a href=\"https://news.example.org/ref/{i}\">a source</a>, written at length so \
         that the body is the size of a real long read's opening."
    );
    let html = (0..6).map(|_| format!("<p>{para}</p>")).collect::<String>();
    let text = (0..6)
        .map(|_| para.clone())
        .collect::<Vec<_>>()
        .join("\n\n");
    (html, text)
}

/// A site dir with a config and a store of `n` articles, 30% in
/// caucasus-cinema and 10% in festivals, all archived in one ingest pass.
fn make_site(dir: &Path, n: usize) -> Config {
    std::fs::write(dir.join("newsdesk.toml"), CONFIG).unwrap();
    let config = Config::load(&dir.join("newsdesk.toml")).unwrap();
    let mut store = Store::open(&config.store_path()).unwrap();
    // The ingest looks articles up by source file; main's schema has no index
    // for that yet, which makes storing 100,000 files quadratic.
    store.feed_test_index_source_key().unwrap();
    let start: DateTime<Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let versions = chunk
            .iter()
            .map(|&i| {
                let (body_html, body_text) = body(i);
                NewFileVersion {
                    key: format!("{i}.md"),
                    size: 1,
                    mtime_ns: 1,
                    hash: format!("h{i}"),
                    parsed: Ok(ParsedFile {
                        source_path: format!("{i}.md"),
                        derived_id: format!("a/{i}"),
                        format: Format::Markdown,
                        article: Article {
                            title: format!("Article {i}"),
                            date: NaiveDate::from_ymd_opt(2019, 1, 1)
                                .map(|d| d + Duration::days((i % 2000) as i64)),
                            standfirst: Some(format!("Standfirst {i}")),
                            image_url: Some(format!("/img/{i}.jpg")),
                            caption: Some(format!("Caption {i}")),
                            authors: vec!["A. Writer".into()],
                            pull_quotes: vec!["Quote one".into(), "Quote two".into()],
                            related: vec!["R1".into(), "R2".into(), "R3".into()],
                            body_html,
                            body_text,
                            ..Article::default()
                        },
                    }),
                }
            })
            .collect();
        let batch = IngestBatch {
            versions,
            ..IngestBatch::default()
        };
        store
            // One ingest pass: every article archived at the same instant.
            .apply_ingest(&batch, start)
            .unwrap();
    }
    for i in 0..n {
        let id = format!("a/{i}");
        if i % 10 < 3 {
            store
                .feed_test_assign_theme(&id, "caucasus-cinema", 1.0, true)
                .unwrap();
        }
        if i % 10 == 5 {
            store
                .feed_test_assign_theme(&id, "festivals", 1.0, true)
                .unwrap();
        }
    }
    config
}

fn now() -> DateTime<Utc> {
    "2026-11-20T08:00:00Z".parse().unwrap()
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("NEWSDESK_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let big = tempfile::tempdir().unwrap();
    let config = make_site(big.path(), n);
    let store = Store::open(&config.store_path()).unwrap();
    let feeds_dir = config.resolve(&config.feeds.dir);

    let mut g = c.benchmark_group("feeds");
    g.sample_size(10);
    // First run: every latest feed and every archive page from scratch.
    g.bench_function(format!("write_all_from_scratch_{n}"), |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_dir_all(&feeds_dir);
                store.feed_test_forget_everything().unwrap();
            },
            |()| black_box(newsdesk::feeds::write_all(&config, &store, now()).unwrap()),
            BatchSize::PerIteration,
        )
    });
    // Later runs: archive pages exist; everything else is rebuilt (forced,
    // as after an article changed) and compared byte for byte.
    newsdesk::feeds::write_all(&config, &store, now()).unwrap();
    let mut small = Vec::new();
    for size in [1_000usize, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = make_site(dir.path(), size);
        let st = Store::open(&cfg.store_path()).unwrap();
        newsdesk::feeds::write_all(&cfg, &st, now()).unwrap();
        small.push((size, dir, cfg, st));
    }
    let sizes = small
        .iter()
        .map(|(size, _, cfg, st)| (*size, cfg, st))
        .chain([(n, &config, &store)]);
    for (size, cfg, st) in sizes {
        g.bench_function(format!("rebuild_latest_{size}"), |b| {
            b.iter(|| black_box(newsdesk::feeds::write_all_with(cfg, st, now(), true).unwrap()))
        });
    }
    g.bench_function(format!("noop_{n}"), |b| {
        b.iter(|| black_box(newsdesk::feeds::write_all(&config, &store, now()).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
