//! Feeds benchmarks: writing every feed (all + 2 themes, 50 items each, plus
//! every Atom archive page) for a large store, and the cost of the latest
//! feeds at growing archive sizes (it must not grow with the archive).
//!
//! `cargo bench --bench feeds` (NEWSDESK_BENCH_N sets the big store's size,
//! default 100000).

/// The allocator the `newsdesk` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Deterministic pseudo-random numbers (SplitMix64), so every run of the
/// benchmark builds the same store.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

const WORDS: &[&str] = &[
    "the",
    "film",
    "festival",
    "Tbilisi",
    "director",
    "archive",
    "village",
    "border",
    "winter",
    "camera",
    "Yerevan",
    "river",
    "mountain",
    "premiere",
    "jury",
    "grandmother",
    "letters",
    "Soviet",
    "studio",
    "cinema",
    "Baku",
    "silence",
    "harvest",
    "train",
    "documentary",
    "of",
    "and",
    "in",
    "a",
    "with",
    "whose",
    "never",
    "remembered",
];

/// A body like the generator's (`examples/gen_archive.rs`) and real long
/// reads: 600–1,500 words, one in twenty about 5,000, in paragraphs of 40–120
/// words with the odd link and emphasis: ~6–10 KB of HTML (~35 KB for long ones).
fn body(i: usize) -> (String, String) {
    let mut r = mix(i as u64);
    let mut next = |m: u64| {
        r = mix(r);
        r % m
    };
    let words = if next(20) == 0 {
        4_500 + next(1_000)
    } else {
        600 + next(900)
    } as usize;
    let (mut html, mut paras) = (String::new(), Vec::new());
    let mut total = 0;
    while total < words {
        let n = 40 + next(80) as usize;
        let mut p = String::new();
        for w in 0..n {
            if w > 0 {
                p.push(' ');
            }
            p.push_str(WORDS[next(WORDS.len() as u64) as usize]);
        }
        p.push('.');
        html.push_str("<p>");
        match next(4) {
            0 => html.push_str(&format!(
                "{p} See <a href=\"https://news.example.org/ref/{i}/{total}\">the source</a>."
            )),
            1 => html.push_str(&format!("<em>{p}</em>")),
            _ => html.push_str(&p),
        }
        html.push_str("</p>\n");
        paras.push(p);
        total += n;
    }
    (html, paras.join("\n\n"))
}

/// A site dir with a config and a store of `n` articles, 15% in
/// caucasus-cinema and 10% in festivals (the generator's shares; 2% in
/// both), all archived in one ingest pass.
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
                    parsed: Ok(ParsedFile::new(
                        format!("{i}.md"),
                        format!("a/{i}"),
                        Format::Markdown,
                        Article {
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
                    )),
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
    store
        .feed_test_in_transaction(|| {
            for i in 0..n {
                let id = format!("a/{i}");
                if i % 100 < 15 {
                    store.feed_test_assign_theme(&id, "caucasus-cinema", 1.0, true)?;
                }
                if (13..23).contains(&(i % 100)) {
                    store.feed_test_assign_theme(&id, "festivals", 1.0, true)?;
                }
            }
            Ok(())
        })
        .unwrap();
    // What the themes stage records with a classification; without it the
    // feeds fingerprint falls back to hashing all of article_themes.
    store.meta_set("themes_articles_rev", "bench").unwrap();
    store.meta_set("themes_rules_hash", "bench").unwrap();
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
