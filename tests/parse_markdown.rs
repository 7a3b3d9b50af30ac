//! The Markdown parser through `newsdesk inspect`.

use crate::util::*;

const ARTICLE: &str = "---
title: \"Mountain cinema: a season in Nalchik\"
date: 2021-03-05T10:00:00+03:00
id: mountain-cinema-2021
url: /2021/03/mountain-cinema/
summary: How a small film school changed a city
tags: [Cinema, Caucasus]
author: Ana Lima
image: { url: stills/one.jpg, caption: A still, credit: Ivo Sem }
themes: [caucasus-cinema]
template: wide
---

The school opened in a borrowed lecture hall. Twelve students came on the first day.

> Twelve students came on the first day

They shot [short films](/films/) on borrowed cameras.
";

#[test]
fn markdown_article_through_inspect_json() {
    let site = Site::new();
    let f = site.write("2021/mountain.md", ARTICLE);
    let (code, out, err) = run(site.cmd().args(["inspect", "--json"]).arg(&f));
    assert_eq!(code, 0, "{err}");
    let v = &json_lines(&out)[0];
    assert_eq!(v["format"], "markdown");
    assert_eq!(v["id"], "mountain-cinema-2021");
    assert_eq!(v["title"], "Mountain cinema: a season in Nalchik");
    assert_eq!(v["date"], "2021-03-05");
    assert_eq!(v["standfirst"], "How a small film school changed a city");
    assert_eq!(v["caption"], "A still");
    assert_eq!(
        v["image_url"],
        "https://news.example.org/2021/03/mountain-cinema/stills/one.jpg"
    );
    assert_eq!(v["authors"], serde_json::json!(["Ana Lima"]));
    assert_eq!(v["tags"], serde_json::json!(["Cinema", "Caucasus"]));
    assert_eq!(
        v["pull_quotes"],
        serde_json::json!(["Twelve students came on the first day"])
    );
    assert_eq!(v["related"], serde_json::json!([]));
    let html = v["body_html"].as_str().unwrap();
    assert!(!html.contains("blockquote"), "{html}");
    assert!(
        html.contains(r#"href="https://news.example.org/films/""#),
        "{html}"
    );
    assert_eq!(v["body_text"].as_str().unwrap().split("\n\n").count(), 2);
}

#[test]
fn markdown_without_explicit_id_uses_the_path_in_the_archive() {
    let site = Site::new();
    let f = site.write("2021/notes on film.md", "# Notes\n\nSome text.\n");
    let (code, out, err) = run(site.cmd().args(["inspect", "--json"]).arg(&f));
    assert_eq!(code, 0, "{err}");
    assert_eq!(json_lines(&out)[0]["id"], "2021/notes-on-film");
}

#[test]
fn malformed_front_matter_exits_65_naming_file_and_line() {
    let site = Site::new();
    let f = site.write("bad.md", "---\ntitle: ok\nauthors: [a, b\n---\ntext\n");
    let good = site.write("good.md", "# Fine\n\ntext\n");
    let (code, out, err) = run(site.cmd().args(["inspect", "--json"]).arg(&f).arg(&good));
    assert_eq!(code, 65, "{err}");
    let v = json_lines(&out);
    let e = v[0]["error"].as_str().unwrap();
    assert!(e.starts_with("line ") && e.contains("YAML"), "{e}");
    assert!(err.contains("bad.md"), "{err}");
    assert_eq!(v[1]["title"], "Fine");
}
