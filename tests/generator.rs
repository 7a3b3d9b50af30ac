//! The synthetic archive generator (`examples/gen_archive.rs`): determinism,
//! format mix and honest theme labels. The example's source is compiled into
//! this crate as a module so the test drives the very code benchmarks run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[path = "../examples/gen_archive.rs"]
#[allow(dead_code)]
mod gen_archive;

use gen_archive::{Kind, Options, generate, generate_hugo};

fn options(out: &Path, count: usize, seed: u64) -> Options {
    Options {
        count,
        seed,
        out: out.to_path_buf(),
        formats: vec![Kind::Text, Kind::Markdown, Kind::Html],
    }
}

/// Every file under `dir`, by relative path, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn same_seed_generates_a_byte_identical_archive() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    generate(&options(a.path(), 50, 42)).unwrap();
    generate(&options(b.path(), 50, 42)).unwrap();
    generate(&options(c.path(), 50, 43)).unwrap();
    let (sa, sb, sc) = (snapshot(a.path()), snapshot(b.path()), snapshot(c.path()));
    assert_eq!(sa.len(), 51, "50 articles and labels.csv");
    assert!(sa == sb, "same seed gave different output");
    assert!(sa != sc, "a different seed gave the same output");
}

#[test]
fn generated_archive_mixes_all_formats_and_front_matter_styles() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&options(dir.path(), 300, 7)).unwrap();
    assert_eq!(summary.files, 300);
    let files = snapshot(dir.path());
    let mut by_ext: BTreeMap<String, usize> = BTreeMap::new();
    let (mut yaml, mut toml, mut doctype, mut site_line) = (0, 0, 0, 0);
    let (mut crlf, mut legacy) = (0, 0);
    for (path, bytes) in files.iter().filter(|(p, _)| *p != Path::new("labels.csv")) {
        let ext = path.extension().unwrap().to_string_lossy().into_owned();
        *by_ext.entry(ext.clone()).or_default() += 1;
        match ext.as_str() {
            "md" if bytes.starts_with(b"---\n") => yaml += 1,
            "md" if bytes.starts_with(b"+++\n") => toml += 1,
            "html" if bytes.starts_with(b"<!DOCTYPE html>") => doctype += 1,
            "txt" if bytes.starts_with(b"Borderlands Review\n\n") => site_line += 1,
            "txt" if bytes.starts_with(b"Borderlands Review\r\n\r\n") => {
                site_line += 1;
                crlf += 1;
            }
            _ => {}
        }
        if ext == "txt" && std::str::from_utf8(bytes).is_err() {
            legacy += 1;
        }
        // Year/month folders keep directories small.
        assert_eq!(path.components().count(), 3, "{path:?}");
    }
    assert!(
        by_ext["txt"] > 60 && by_ext["md"] > 60 && by_ext["html"] > 60,
        "{by_ext:?}"
    );
    assert_eq!(yaml + toml, by_ext["md"]);
    assert!(yaml > 20 && toml > 20, "yaml {yaml}, toml {toml}");
    assert_eq!(doctype, by_ext["html"]);
    assert_eq!(site_line, by_ext["txt"]);
    assert!(crlf > 0 && legacy > 0, "crlf {crlf}, windows-1252 {legacy}");
}

#[test]
fn labels_match_the_vocabulary_of_each_article() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&options(dir.path(), 400, 3)).unwrap();
    let labels = std::fs::read_to_string(dir.path().join("labels.csv")).unwrap();
    let mut lines = labels.lines();
    assert_eq!(lines.next(), Some("file,caucasus_cinema,festivals"));
    let rows: Vec<(String, bool, bool)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1] == "1", f[2] == "1")
        })
        .collect();
    assert_eq!(rows.len(), 400);
    let cinema = rows.iter().filter(|r| r.1).count();
    let festivals = rows.iter().filter(|r| r.2).count();
    let both = rows.iter().filter(|r| r.1 && r.2).count();
    assert_eq!(
        (cinema, festivals),
        (summary.caucasus_cinema, summary.festivals)
    );
    // 15% / 10% / 5% targets, with slack for 400 draws.
    assert!((35..=90).contains(&cinema), "caucasus cinema {cinema}");
    assert!((20..=65).contains(&festivals), "festivals {festivals}");
    assert!((8..=40).contains(&both), "both {both}");

    // Markdown has no related block, so its text is the article's own.
    let mut checked = 0;
    for (file, is_cinema, is_festival) in rows.iter().filter(|r| r.0.ends_with(".md")) {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let lower = text.to_lowercase();
        assert!(!file.contains('\\') && std::path::Path::new(file).is_relative());
        if *is_festival {
            assert!(lower.matches("festival").count() >= 2, "{file}");
        } else {
            assert!(!lower.contains("festival"), "{file} mentions a festival");
        }
        if *is_cinema {
            assert!(lower.contains("cinema") || lower.contains("film"), "{file}");
        }
        let words = text.split_whitespace().count();
        assert!((550..=6_000).contains(&words), "{file}: {words} words");
        checked += 1;
    }
    assert!(checked > 80);
}

#[test]
fn newsdesk_ingests_every_generated_article_and_reads_it_back() {
    let site = crate::util::Site::new();
    let opts = options(&site.path().join("archive"), 60, 11);
    generate(&opts).unwrap();

    let (code, out, err) = crate::util::run(site.cmd().arg("ingest"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ingested 60 new, 0 updated, 0 rejected"),
        "{out}{err}"
    );

    // The parsers read back exactly what the generator wrote.
    let truths: Vec<_> = (0..60).map(|i| gen_archive::truth(&opts, i)).collect();
    let mut cmd = site.cmd();
    cmd.current_dir(site.path().join("archive"))
        .arg("inspect")
        .arg("--json");
    for t in &truths {
        cmd.arg(&t.file);
    }
    let (code, out, err) = crate::util::run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let parsed = crate::util::json_lines(&out);
    assert_eq!(parsed.len(), 60);
    for (t, j) in truths.iter().zip(&parsed) {
        let strings = |key: &str| -> Vec<String> {
            j[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(j["title"], t.title.as_str(), "{}", t.file);
        assert_eq!(j["date"], t.date.as_str(), "{}", t.file);
        assert_eq!(strings("pull_quotes"), t.pull_quotes, "{}", t.file);
        assert_eq!(strings("related"), t.related, "{}", t.file);
        assert!(j["standfirst"].is_string(), "{}", t.file);
        let body = j["body_text"].as_str().unwrap();
        assert!(body.split_whitespace().count() >= 550, "{}", t.file);
        for q in &t.pull_quotes {
            assert!(
                !body.split("\n\n").any(|p| p == q),
                "{}: pull quote left in body",
                t.file
            );
        }
    }
}

#[test]
fn hugo_content_holds_the_same_articles_with_their_true_themes() {
    let site = crate::util::Site::new();
    let opts = options(&site.path().join("archive"), 80, 5);
    generate(&opts).unwrap();
    let hugo = site.path().join("hugo");
    let summary = generate_hugo(&opts, &hugo).unwrap();
    assert_eq!(summary.files, 80);
    // Writing Hugo content leaves the archive as it was, and is deterministic.
    let again = tempfile::tempdir().unwrap();
    generate_hugo(&opts, again.path()).unwrap();
    assert!(snapshot(&hugo) == snapshot(again.path()));

    let labels = std::fs::read_to_string(site.path().join("archive/labels.csv")).unwrap();
    let labels: BTreeMap<String, (bool, bool)> = labels
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), (f[1] == "1", f[2] == "1"))
        })
        .collect();
    let truths: Vec<_> = (0..80).map(|i| gen_archive::truth(&opts, i)).collect();
    let (mut cinema, mut festivals) = (0, 0);
    let mut files = Vec::new();
    for t in &truths {
        let rel = Path::new(&t.file).with_extension("md");
        let page = std::fs::read_to_string(hugo.join(&rel)).unwrap();
        let front = page.split("\n---\n").next().unwrap();
        let themes = front
            .lines()
            .find_map(|l| l.strip_prefix("themes: "))
            .unwrap_or("[]");
        let (is_cinema, is_festival) = labels[&t.file];
        assert_eq!(
            themes.contains("caucasus-cinema"),
            is_cinema,
            "{}: {themes}",
            t.file
        );
        assert_eq!(themes.contains("festivals"), is_festival, "{}", t.file);
        cinema += is_cinema as usize;
        festivals += is_festival as usize;
        for q in &t.pull_quotes {
            assert!(page.contains(&format!("\n> {q}\n")), "{}: {q}", t.file);
        }
        files.push(rel);
    }
    assert_eq!(
        (cinema, festivals),
        (summary.caucasus_cinema, summary.festivals)
    );
    assert!(cinema > 0 && festivals > 0);

    // newsdesk reads the Hugo pages back as the same articles.
    let mut cmd = site.cmd();
    cmd.current_dir(&hugo)
        .arg("inspect")
        .arg("--json")
        .args(&files);
    let (code, out, err) = crate::util::run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let parsed = crate::util::json_lines(&out);
    assert_eq!(parsed.len(), 80);
    for (t, j) in truths.iter().zip(&parsed) {
        assert_eq!(j["title"], t.title.as_str(), "{}", t.file);
        assert_eq!(j["date"], t.date.as_str(), "{}", t.file);
    }
}
