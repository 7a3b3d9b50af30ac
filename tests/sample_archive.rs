//! The bundled sample archive (`archive/`): every article parses as written,
//! and the whole archive ingests with nothing rejected. These articles are
//! what a new user sees first (`cargo run --release -- run`), so a parser
//! change that misreads one of them should fail here.

use std::path::{Path, PathBuf};

use crate::util::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What each sample must parse to: file, format, date, whether it has a
/// caption, number of pull quotes, related titles and body paragraphs
/// (`None` where the page's markup decides), the body's first words and the
/// themes. The hard negatives (wine, architecture, Narva, komuz with a passing
/// festival, a Russian film with no Caucasus link, Platonov) must stay out.
struct Expect {
    file: &'static str,
    format: &'static str,
    date: &'static str,
    caption: bool,
    pull_quotes: usize,
    related: usize,
    paragraphs: Option<usize>,
    opening: &'static str,
    /// Theme ids under the sample config's rules (any order).
    themes: &'static [&'static str],
}

const SAMPLES: &[Expect] = &[
    Expect {
        file: "2015/qvevri-wine-kakheti.md",
        format: "markdown",
        date: "2015-10-21",
        caption: true,
        pull_quotes: 2,
        related: 0,
        paragraphs: Some(7),
        opening: "The harvest in Kakheti begins",
        themes: &[],
    },
    Expect {
        file: "2016/georgian-women-directors.md",
        format: "markdown",
        date: "2016-11-08",
        caption: true,
        pull_quotes: 2,
        related: 0,
        paragraphs: Some(7),
        opening: "Ask a Tbilisi cinephile",
        themes: &["caucasus-cinema"],
    },
    Expect {
        file: "2017/sharq-taronalari-samarkand.txt",
        format: "text",
        date: "2017-09-01",
        caption: true,
        pull_quotes: 2,
        related: 2,
        paragraphs: Some(8),
        opening: "At nine in the evening the heat finally lifts",
        themes: &["festivals"],
    },
    Expect {
        file: "2017/yerevan-soviet-modernism.html",
        format: "html",
        date: "2017-05-16",
        caption: true,
        pull_quotes: 2,
        related: 2,
        paragraphs: None,
        opening: "",
        themes: &[],
    },
    Expect {
        file: "2018/karlovy-vary-georgian-debut.html",
        format: "html",
        date: "2018-07-06",
        caption: true,
        pull_quotes: 2,
        related: 2,
        paragraphs: None,
        opening: "",
        themes: &["caucasus-cinema", "festivals"],
    },
    Expect {
        file: "2019/narva-election-border-town.txt",
        format: "text",
        date: "2019-03-05",
        caption: false,
        pull_quotes: 2,
        related: 1,
        paragraphs: Some(8),
        opening: "On the morning after Estonia's parliamentary election",
        themes: &[],
    },
    Expect {
        file: "2019/odesa-film-festival-steps.md",
        format: "markdown",
        date: "2019-07-24",
        caption: true,
        pull_quotes: 2,
        related: 0,
        paragraphs: Some(7),
        opening: "At ten o'clock on a Saturday night",
        themes: &["festivals"],
    },
    Expect {
        file: "2020/parajanov-yerevan-museum.md",
        format: "markdown",
        date: "2020-07-20",
        caption: true,
        pull_quotes: 2,
        related: 0,
        paragraphs: Some(8),
        opening: "The house stands on the edge of a ravine",
        themes: &["caucasus-cinema"],
    },
    Expect {
        file: "2021/nalchik-class-ten-years-on.txt",
        format: "text",
        date: "2021-08-02",
        caption: true,
        pull_quotes: 2,
        related: 2,
        paragraphs: Some(8),
        opening: "The building on Chernyshevsky Street",
        themes: &["caucasus-cinema"],
    },
    Expect {
        file: "2022/komuz-bishkek-new-audience.md",
        format: "markdown",
        date: "2022-04-11",
        caption: true,
        pull_quotes: 1,
        related: 0,
        // Nine paragraphs and a quoted verse that repeats nothing: body, not a pull quote.
        paragraphs: Some(10),
        opening: "In a basement workshop on the southern edge of Bishkek",
        themes: &[],
    },
    Expect {
        file: "2023/kola-arctic-film-review.html",
        format: "html",
        date: "2023-11-03",
        caption: true,
        pull_quotes: 1,
        related: 2,
        paragraphs: None,
        opening: "",
        themes: &[],
    },
    Expect {
        file: "2024/dagestan-documentary-makers.txt",
        format: "text",
        date: "2024-09-17",
        caption: false,
        pull_quotes: 2,
        related: 0,
        paragraphs: Some(8),
        opening: "The office of the Tukhum Film Collective",
        themes: &["caucasus-cinema"],
    },
    Expect {
        file: "2024/golden-apricot-yerevan.md",
        format: "markdown",
        date: "2024-07-22",
        caption: true,
        pull_quotes: 2,
        related: 0,
        paragraphs: Some(7),
        opening: "On the opening night of the Golden Apricot",
        themes: &["caucasus-cinema", "festivals"],
    },
    Expect {
        file: "2025/platonov-foundation-pit.html",
        format: "html",
        date: "2025-02-14",
        caption: true,
        pull_quotes: 2,
        related: 0,
        paragraphs: None,
        opening: "",
        themes: &[],
    },
    Expect {
        file: "2026/baku-film-archive.txt",
        format: "text",
        date: "2026-03-02",
        caption: true,
        pull_quotes: 2,
        related: 2,
        paragraphs: Some(8),
        opening: "The first thing you notice in the vault is the smell",
        themes: &["caucasus-cinema"],
    },
];

fn inspect_sample() -> Vec<serde_json::Value> {
    let mut cmd = newsdesk();
    cmd.current_dir(repo().join("archive"))
        .env("NEWSDESK_CONFIG", repo().join("newsdesk.toml"))
        .env("NEWSDESK_NOW", NOW)
        .args(["inspect", "--json"]);
    for e in SAMPLES {
        cmd.arg(e.file);
    }
    let (code, out, err) = run(&mut cmd);
    let failures: Vec<&str> = out.lines().filter(|l| l.contains("\"error\"")).collect();
    assert_eq!(code, 0, "{failures:#?}{err}");
    json_lines(&out)
}

#[test]
fn every_sample_file_is_listed_here() {
    let mut on_disk = Vec::new();
    for year in std::fs::read_dir(repo().join("archive")).unwrap() {
        let year = year.unwrap().path();
        for f in std::fs::read_dir(&year).unwrap() {
            let f = f.unwrap().path();
            on_disk.push(
                f.strip_prefix(repo().join("archive"))
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
    on_disk.sort();
    let listed: Vec<String> = SAMPLES.iter().map(|e| e.file.to_string()).collect();
    assert_eq!(on_disk, listed);
}

#[test]
fn every_sample_article_parses_as_written() {
    let parsed = inspect_sample();
    assert_eq!(parsed.len(), SAMPLES.len());
    for (e, j) in SAMPLES.iter().zip(&parsed) {
        let f = e.file;
        assert!(j.get("error").is_none(), "{f}: {j}");
        assert_eq!(j["format"], e.format, "{f}");
        assert_eq!(j["date"], e.date, "{f}");
        let title = j["title"].as_str().unwrap();
        assert!(
            title.len() > 20 && !title.contains("Borderlands"),
            "{f}: {title}"
        );
        assert!(
            j["standfirst"].as_str().is_some_and(|s| s.len() > 80),
            "{f}"
        );
        assert_eq!(j["caption"].is_string(), e.caption, "{f}: {}", j["caption"]);
        let pulls = j["pull_quotes"].as_array().unwrap();
        assert_eq!(pulls.len(), e.pull_quotes, "{f}: {pulls:?}");
        let related = j["related"].as_array().unwrap();
        assert_eq!(related.len(), e.related, "{f}: {related:?}");
        assert!(
            related.iter().all(|r| r != title),
            "{f}: own title in related"
        );

        let mut themes: Vec<&str> = j["themes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        themes.sort();
        assert_eq!(themes, e.themes, "{f}");

        let body = j["body_text"].as_str().unwrap();
        let paras: Vec<&str> = body.split("\n\n").collect();
        if let Some(n) = e.paragraphs {
            assert_eq!(paras.len(), n, "{f}: {paras:#?}");
            assert!(paras[0].starts_with(e.opening), "{f}: {}", paras[0]);
        }
        let words = body.split_whitespace().count();
        assert!((400..=900).contains(&words), "{f}: {words} words");
        for p in &paras {
            assert_ne!(*p, title, "{f}: title in body");
            assert!(!pulls.iter().any(|q| q == p), "{f}: pull quote in body");
            assert!(
                !related.iter().any(|r| r == p),
                "{f}: related title in body"
            );
        }
        for chrome in ["Read more", "cookie", "Cookie", "Subscribe", "Share", "©"] {
            assert!(
                !body.contains(chrome),
                "{f}: site chrome {chrome:?} in body"
            );
        }
        let html = j["body_html"].as_str().unwrap();
        for bad in [
            "<script",
            "onclick",
            "onerror",
            "javascript:",
            "src=\"/",
            "href=\"/",
        ] {
            assert!(!html.contains(bad), "{f}: {bad} in body_html");
        }
    }
}

#[test]
fn sample_archive_ingests_with_nothing_rejected() {
    let site = Site::new();
    copy_dir(&repo().join("archive"), &site.path().join("archive"));
    let (code, out, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "ingested {} new, 0 updated, 0 rejected",
            SAMPLES.len()
        )),
        "{out}{err}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}
