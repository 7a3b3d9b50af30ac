//! Times the text and Markdown parsers alone over an archive directory
//! (e.g. one written by `gen_archive`), single-threaded, and prints a digest
//! of every parsed article so a speed-up can be checked for identical output.
//!
//! `cargo run --release --example parse_bench -- DIR [ROUNDS]`

use std::hash::{Hash, Hasher};
use std::time::Instant;

use newsdesk::parse::{Context, parse_bytes};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: parse_bench DIR [ROUNDS]");
    let rounds: usize = args.next().map_or(3, |r| r.parse().expect("rounds"));
    let base = url::Url::parse("https://bench.example.org/").expect("url");
    let ctx = Context {
        base_url: Some(&base),
    };
    for ext in ["txt", "md"] {
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
        let mut digest = 0u64;
        for _ in 0..rounds {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            let t = Instant::now();
            let parsed: Vec<_> = files
                .iter()
                .map(|(_, b)| parse_bytes(b, Some(ext), &ctx))
                .collect();
            best = best.min(t.elapsed().as_secs_f64());
            for r in &parsed {
                format!("{r:?}").hash(&mut h);
            }
            digest = h.finish();
        }
        println!(
            "{ext}: {} files, {:.1} MB, best of {rounds}: {:.0} ms , digest {digest:016x}",
            files.len(),
            bytes as f64 / 1e6,
            best * 1e3
        );
    }
}
