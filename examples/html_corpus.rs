//! Speed of the archived-HTML parser alone over a directory of pages.
//!
//! ```text
//! cargo run --release --example html_corpus -- DIR [ROUNDS] [DIGESTS_OUT]
//! ```
//!
//! Reads every `*.html` file under `DIR` into memory, parses them all
//! `ROUNDS` times (default 1) on one thread and prints the CPU-bound wall
//! time per round. With `DIGESTS_OUT`, writes one line per file (path and the
//! parsed article, or the error, as JSON) so two builds can be compared for
//! byte-identical output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use newsdesk::parse::{Context, html};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "html") {
            out.push(p);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().expect("usage: html_corpus DIR [ROUNDS] [OUT]"));
    let rounds: usize = args.get(1).map_or(1, |r| r.parse().expect("rounds"));
    let mut paths = Vec::new();
    collect(&dir, &mut paths);
    let pages: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).expect("read page"))
        .collect();
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let base = url::Url::parse("https://bench.example.org/").expect("url");
    let ctx = Context {
        base_url: Some(&base),
    };
    let mut best = f64::MAX;
    for round in 0..rounds {
        let t = Instant::now();
        let mut ok = 0usize;
        for page in &pages {
            ok += usize::from(html::parse(std::hint::black_box(page), &ctx).is_ok());
        }
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        eprintln!(
            "round {round}: {} pages ({:.1} MB, {ok} ok) in {secs:.3} s",
            pages.len(),
            bytes as f64 / 1e6
        );
    }
    eprintln!("best: {best:.3} s");
    if let Some(out) = args.get(2) {
        let mut w = std::io::BufWriter::new(std::fs::File::create(out).expect("create"));
        for (p, page) in paths.iter().zip(&pages) {
            let r = html::parse(page, &ctx);
            let line = match r {
                Ok(a) => serde_json::to_string(&a).expect("json"),
                Err(e) => format!("error: {e}"),
            };
            writeln!(w, "{}\t{line}", p.display()).expect("write");
        }
    }
}
