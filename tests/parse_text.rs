//! The plain-text parser through the binary, on the real seed export.

use crate::util::*;

fn inspect_seed() -> serde_json::Value {
    let (code, out, err) = run(newsdesk().args(["inspect", "--json"]).arg(seed_path()));
    assert_eq!(code, 0, "{err}");
    let mut v = json_lines(&out);
    assert_eq!(v.len(), 1);
    v.remove(0)
}

const TITLE: &str =
    "Kantemir Balagov: the twenty-something from the North Caucasus who wowed Cannes";

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn seed_export_head_fields() {
    let v = inspect_seed();
    let seed = std::fs::read_to_string(seed_path()).unwrap();
    let blocks: Vec<&str> = seed.split("\n\n").collect();
    assert_eq!(v["format"], "text");
    assert_eq!(v["title"], TITLE);
    assert_eq!(v["date"], "2017-08-09");
    // The caption is the line under the repeated title; the standfirst the
    // block after it (read from the seed, never copied into the repo).
    let caption = blocks[2].lines().nth(1).unwrap();
    assert_eq!(v["caption"], caption);
    assert_eq!(v["standfirst"], blocks[3]);
    // Classified with the default themes (no config in the test dir): the
    // primary theme first.
    assert_eq!(
        v["themes"],
        serde_json::json!(["caucasus-cinema", "festivals"])
    );
    assert_eq!(v["image_url"], serde_json::Value::Null);
    assert_eq!(v["id"], "balagov-closeness");
}

#[test]
fn seed_export_pull_quotes_and_related() {
    let v = inspect_seed();
    let pulls = strings(&v["pull_quotes"]);
    assert_eq!(pulls.len(), 2, "{pulls:?}");
    assert!(pulls[0].starts_with("The North Caucasus has never had a film industry"));
    assert!(pulls[1].starts_with("It is paradoxical how little Russian cinema"));
    let related = strings(&v["related"]);
    assert_eq!(related.len(), 3, "{related:?}");
    assert!(related[0].starts_with("War paint:"));
    assert!(related[1].starts_with("Combat champions:"));
    assert!(related[2].starts_with("Candid camera:"));
    assert!(!related.iter().any(|r| r == TITLE));
}

#[test]
fn seed_export_body_is_exactly_the_ten_paragraphs() {
    let v = inspect_seed();
    let seed = std::fs::read_to_string(seed_path()).unwrap();
    let blocks: Vec<&str> = seed.split("\n\n").collect();
    // Blocks 6..17 of the export (1-based) minus the two pull quotes (9, 14).
    let expected: Vec<&str> = [5, 6, 7, 9, 10, 11, 12, 14, 15, 16]
        .iter()
        .map(|&i| blocks[i])
        .collect();
    let body = v["body_text"].as_str().unwrap();
    let got: Vec<&str> = body.split("\n\n").collect();
    assert_eq!(got, expected);
    let html = v["body_html"].as_str().unwrap();
    assert_eq!(html.matches("<p>").count(), 10, "{html}");
    for forbidden in [TITLE, "Read more", "9 August 2017", "War paint"] {
        assert!(!body.contains(forbidden), "{forbidden}");
    }
    for q in strings(&v["pull_quotes"]) {
        assert!(!got.contains(&q.as_str()));
    }
}

#[test]
fn seed_export_readable_summary() {
    let (code, out, err) = run(newsdesk().arg("inspect").arg(seed_path()));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("title:       {TITLE}")), "{out}");
    assert!(out.contains("body:        10 paragraphs"), "{out}");
    assert_eq!(out.matches("pull quote:").count(), 2, "{out}");
    assert_eq!(out.matches("related:").count(), 3, "{out}");
}

#[test]
fn crlf_windows_1252_variant_of_an_original_export_parses_the_same() {
    let site = Site::new();
    let utf8 = "Desk\n\nCaf\u{e9} culture in Yerevan\n\nCaf\u{e9} culture in Yerevan\nA caf\u{e9} on Abovyan street\n\nHow coffee came back\n\nOctober 14, 2022\n\nThe first caf\u{e9} opened in 1998. It had four tables.\n\nToday there are hundreds.";
    let a = site.write("utf8.txt", utf8);
    let cp1252: Vec<u8> = utf8
        .replace('\n', "\r\n")
        .chars()
        .map(|c| if c == '\u{e9}' { 0xe9 } else { c as u8 })
        .collect();
    let b = site.write("cp1252.txt", cp1252);
    let (code, out, err) = run(site.cmd().args(["inspect", "--json"]).arg(&a).arg(&b));
    assert_eq!(code, 0, "{err}");
    let v = json_lines(&out);
    assert_eq!(v[0]["title"], "Caf\u{e9} culture in Yerevan");
    for key in [
        "title",
        "caption",
        "standfirst",
        "date",
        "body_text",
        "body_html",
    ] {
        assert_eq!(v[0][key], v[1][key], "{key}");
    }
}

/// Regression: a Russian export in Windows-1251 came out as mojibake
/// ("Ïðèâåò èç Ãðîçíîãî") because every non-UTF-8 file was read as
/// Windows-1252.
#[test]
fn windows_1251_export_reads_as_cyrillic() {
    let site = Site::new();
    let utf8 = "Архив\r\n\r\nКино из Грозного\r\n\r\nКино из Грозного\r\nКадр из фильма, снятого в Грозном\r\n\r\nКак снимают кино в Чечне.\r\n\r\n9 August 2017\r\n\r\nПервый абзац о чеченском кино и о режиссёрах Кавказа.\r\n\r\nВторой абзац.";
    let (cp1251, _, lossy) = encoding_rs::WINDOWS_1251.encode(utf8);
    assert!(!lossy);
    let a = site.write("cp1251.txt", &cp1251[..]);
    let (code, out, err) = run(site.cmd().args(["inspect", "--json"]).arg(&a));
    assert_eq!(code, 0, "{err}");
    let v = &json_lines(&out)[0];
    assert_eq!(v["title"], "Кино из Грозного");
    assert_eq!(v["standfirst"], "Как снимают кино в Чечне.");
    assert_eq!(v["caption"], "Кадр из фильма, снятого в Грозном");
}

#[test]
fn text_without_title_is_rejected_with_its_line() {
    let site = Site::new();
    let long = "word ".repeat(80);
    let f = site.write("bad.txt", format!("\n{long}\n\nMore text here."));
    let (code, out, err) = run(site.cmd().args(["inspect", "--json"]).arg(&f));
    assert_eq!(code, 65, "{err}");
    let v = json_lines(&out);
    let e = v[0]["error"].as_str().unwrap();
    assert!(e.starts_with("line 2: expected the article title"), "{e}");
    assert!(err.contains("bad.txt") && err.contains("line 2"), "{err}");
}
