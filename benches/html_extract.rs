//! Extraction speed on a ~500 KB news page (acceptance: under 20 ms).
//!
//! The page is the WordPress-style fixture expanded the way real pages are
//! big: a long body, a long comment thread, and a large inline script and
//! JSON state blob.

use criterion::{Criterion, criterion_group, criterion_main};
use newsdesk::parse::{Context, html};

fn big_page() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/html/tbilisi-night-cinema.html"
    );
    let page = std::fs::read_to_string(path).expect("fixture");
    let start = page
        .find("<div class=\"entry-content\">")
        .expect("body start");
    let end = page.find("<div class=\"sharedaddy").expect("body end");
    let body = &page[start + "<div class=\"entry-content\">".len()..end];
    let comments_at = page.find("<div id=\"comments\"").expect("comments");
    let comments_end = page.find("</main>").expect("main end");
    let comments = &page[comments_at..comments_end];
    let script = format!(
        "<script>window.__STATE__={{\"items\":[{}]}};</script>",
        (0..5000)
            .map(|i| format!(
                "{{\"id\":{i},\"title\":\"Story number {i} about the region\",\"url\":\"/s/{i}\"}}"
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut out = String::with_capacity(600_000);
    out.push_str(&page[..start + "<div class=\"entry-content\">".len()]);
    for _ in 0..20 {
        out.push_str(body);
    }
    out.push_str(&page[end..comments_at]);
    for _ in 0..45 {
        out.push_str(comments);
    }
    out.push_str(&page[comments_end..]);
    out.replace("</body>", &format!("{script}</body>"))
}

fn bench(c: &mut Criterion) {
    let page = big_page();
    eprintln!("page size: {} KB", page.len() / 1024);
    let ctx = Context { base_url: None };
    let a = html::parse(page.as_bytes(), &ctx).expect("parses");
    eprintln!("body text: {} KB", a.body_text.len() / 1024);
    assert!(
        a.body_text.len() > 10_000,
        "{}",
        &a.body_text[..a.body_text.len().min(500)]
    );
    c.bench_function("html_extract_500kb", |b| {
        b.iter(|| html::parse(std::hint::black_box(page.as_bytes()), &ctx).expect("parses"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
