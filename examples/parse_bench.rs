//! Times each archive parser alone (text, Markdown, archived HTML) over a
//! directory (e.g. one written by `gen_archive`), on one thread, and prints a
//! digest of every parsed article so a speed-up can be checked for identical
//! output. With `DIGESTS_OUT`, also writes one line per file (path, then the
//! parsed article as JSON or the error) to diff two builds file by file.
//!
//! `cargo run --release --example parse_bench -- DIR [ROUNDS] [DIGESTS_OUT]`

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::time::Instant;

use newsdesk::parse::{Context, parse_bytes};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: parse_bench DIR [ROUNDS] [DIGESTS_OUT]");
    let rounds: usize = args.next().map_or(3, |r| r.parse().expect("rounds"));
    let mut out = args
        .next()
        .map(|p| std::io::BufWriter::new(std::fs::File::create(p).expect("create DIGESTS_OUT")));
    let base = url::Url::parse("https://bench.example.org/").expect("url");
    let ctx = Context {
        base_url: Some(&base),
    };
    for ext in ["txt", "md", "html"] {
        let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == ext))
            .map(|e| {
                let p = e.path().display().to_string();
                (p, std::fs::read(e.path()).expect("read"))
            })
            .collect();
        files.sort();
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        let mut best = f64::MAX;
        let mut parsed = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            parsed = files
                .iter()
                .map(|(_, b)| parse_bytes(std::hint::black_box(b), Some(ext), &ctx))
                .collect();
            best = best.min(t.elapsed().as_secs_f64());
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for r in &parsed {
            format!("{r:?}").hash(&mut h);
        }
        let digest = h.finish();
        if let Some(w) = out.as_mut() {
            for ((path, _), r) in files.iter().zip(&parsed) {
                let line = match r {
                    Ok((_, a)) => serde_json::to_string(a).expect("json"),
                    Err(e) => format!("error: {e}"),
                };
                writeln!(w, "{path}\t{line}").expect("write");
            }
        }
        println!(
            "{ext}: {} files, {:.1} MB, best of {rounds}: {:.0} ms, digest {digest:016x}",
            files.len(),
            bytes as f64 / 1e6,
            best * 1e3
        );
    }
}
