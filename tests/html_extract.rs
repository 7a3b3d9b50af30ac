//! Body extraction quality on the HTML fixture pages (tests/fixtures/html/,
//! built by make_fixtures.py from original texts): token-level F1 of the
//! extracted `body_text` against each page's `.expected.txt`.

use std::collections::HashMap;
use std::path::PathBuf;

use newsdesk::parse::{Context, html};
use url::Url;

fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Precision/recall over word multisets, combined as F1.
fn f1(got: &str, want: &str) -> (f64, f64, f64) {
    let (g, w) = (tokens(got), tokens(want));
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &w {
        *counts.entry(t).or_default() += 1;
    }
    let mut hit = 0;
    for t in &g {
        if let Some(c) = counts.get_mut(t.as_str())
            && *c > 0
        {
            *c -= 1;
            hit += 1;
        }
    }
    if hit == 0 {
        return (0.0, 0.0, 0.0);
    }
    let p = hit as f64 / g.len() as f64;
    let r = hit as f64 / w.len() as f64;
    (p, r, 2.0 * p * r / (p + r))
}

fn pages() -> Vec<PathBuf> {
    let dir = crate::util::fixtures().join("html");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    v.sort();
    v
}

#[test]
fn fixture_pages_extract_with_high_token_f1() {
    let base = Url::parse("https://news.example.org/").unwrap();
    let ctx = Context {
        base_url: Some(&base),
    };
    let pages = pages();
    assert!(pages.len() >= 25, "only {} fixture pages", pages.len());
    let mut sum = 0.0;
    let mut worst: Vec<(String, f64)> = Vec::new();
    for page in &pages {
        let name = page.file_stem().unwrap().to_string_lossy().to_string();
        let want = std::fs::read_to_string(page.with_extension("expected.txt")).unwrap();
        let bytes = std::fs::read(page).unwrap();
        let article = html::parse(&bytes, &ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (p, r, f) = f1(&article.body_text, &want);
        println!("{name:34} P {p:.3} R {r:.3} F1 {f:.3}");
        sum += f;
        if f < 0.8 {
            worst.push((name, f));
        }
    }
    let avg = sum / pages.len() as f64;
    println!("average F1 {avg:.3} over {} pages", pages.len());
    assert!(worst.is_empty(), "pages below F1 0.8: {worst:?}");
    assert!(avg >= 0.95, "average F1 {avg:.3} < 0.95");
}
