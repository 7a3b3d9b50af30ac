//! Benchmark of the themes stage (a plain `harness = false` binary, so it
//! needs no extra crates): `cargo bench --bench classify [-- N]`.
//!
//! Builds N (default 100,000) synthetic articles of realistic size (800-word
//! bodies, with HTML twins as the store keeps them), then measures:
//!   1. classifying them in memory with the default themes (all cores);
//!   2. `classify_store` over a store on disk holding them (read JSON, classify,
//!      write article_themes in one transaction);
//!   3. the no-op `classify_store` that follows (nothing changed).

use std::time::{Duration, Instant};

use newsdesk::model::{Article, Format};
use newsdesk::store::{IngestBatch, NewFileVersion, ParsedFile, Store};
use newsdesk::themes::{self, ArticleText, Themes};
use rayon::prelude::*;

const COMMON: &[&str] = &[
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "was",
    "that",
    "for",
    "on",
    "with",
    "as",
    "his",
    "her",
    "they",
    "at",
    "by",
    "from",
    "this",
    "had",
    "not",
    "but",
    "what",
    "all",
    "were",
    "when",
    "we",
    "there",
    "can",
    "an",
    "which",
    "their",
    "said",
    "if",
    "do",
    "will",
    "each",
    "about",
    "how",
    "up",
    "out",
    "them",
    "then",
    "she",
    "many",
    "some",
    "so",
    "these",
    "would",
    "other",
    "into",
    "has",
    "more",
    "two",
    "like",
    "time",
    "could",
    "people",
    "village",
    "city",
    "river",
    "winter",
    "summer",
    "family",
    "school",
    "market",
    "road",
    "house",
    "old",
    "young",
    "government",
    "history",
    "music",
    "wine",
    "bread",
    "mountain",
    "church",
    "war",
    "street",
    "Moscow",
    "Kyiv",
    "Minsk",
    "Almaty",
    "Tashkent",
    "Warsaw",
    "Soviet",
    "republic",
    "years",
];
const THEMED: &[&str] = &[
    "film",
    "director",
    "cinema",
    "documentary",
    "festival",
    "Tbilisi",
    "Georgian",
    "Grozny",
    "Chechen",
    "Dagestan",
    "Nalchik",
    "Yerevan",
    "Armenian",
    "Baku",
    "Cannes",
    "Berlinale",
    "Karlovy Vary",
    "Нальчик",
    "фильм",
    "Kinotavr",
    "actors",
    "screening",
    "T'bilisi",
];

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

fn synthetic(i: usize) -> Article {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    // About one article in five leans towards a theme; the rest mention a
    // theme word now and then.
    let themed_rate = if i.is_multiple_of(5) { 25 } else { 400 };
    let mut word = |rng: &mut Rng| -> String {
        if rng.next().is_multiple_of(themed_rate) {
            rng.pick(THEMED).to_string()
        } else {
            rng.pick(COMMON).to_string()
        }
    };
    let sentence = |rng: &mut Rng, n: usize, word: &mut dyn FnMut(&mut Rng) -> String| {
        let mut s: Vec<String> = (0..n).map(|_| word(rng)).collect();
        s[0] = capitalize(&s[0]);
        s.join(" ") + "."
    };
    let title = sentence(&mut rng, 8, &mut word);
    let standfirst = sentence(&mut rng, 25, &mut word);
    let paragraphs: Vec<String> = (0..10)
        .map(|_| {
            (0..4)
                .map(|_| sentence(&mut rng, 20, &mut word))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    Article {
        title,
        standfirst: Some(standfirst),
        caption: Some("A caption. Image: the author".into()),
        tags: vec!["culture".into(), "long read".into()],
        body_html: paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect(),
        body_text: paragraphs.join("\n\n"),
        ..Article::default()
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// CPU time used by this process so far (user + system), from /proc: wall
/// time on a shared machine says more about the neighbours than about us.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Runs `f`, returning its result with (wall, CPU) time.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (c, t) = (cpu(), Instant::now());
    let r = f();
    (r, t.elapsed(), cpu().saturating_sub(c))
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    println!(
        "themes benchmark: {n} synthetic articles, {} threads",
        rayon::current_num_threads()
    );

    let t = Instant::now();
    let articles: Vec<Article> = (0..n).into_par_iter().map(synthetic).collect();
    let words: usize = articles
        .iter()
        .map(|a| a.body_text.split_whitespace().count())
        .sum();
    println!(
        "  generated in {} (average body {} words)",
        secs(t.elapsed()),
        words / n.max(1)
    );

    let t = Instant::now();
    let themes = Themes::defaults();
    println!("  compiled default themes in {}", secs(t.elapsed()));

    // 1. In memory, best of three.
    let mut best = (Duration::MAX, Duration::MAX);
    let mut assigned = 0;
    for _ in 0..3 {
        let (a, wall, cpu) = timed(|| {
            articles
                .par_iter()
                .map(|a| themes.classify(&ArticleText::from(a)).len())
                .sum::<usize>()
        });
        assigned = a;
        if wall < best.0 {
            best = (wall, cpu);
        }
    }
    println!(
        "  classify in memory: {} wall, {} CPU for {n} articles ({:.1} µs CPU/article, {assigned} assignments)",
        secs(best.0),
        secs(best.1),
        best.1.as_secs_f64() * 1e6 / n as f64
    );

    // Where the time goes: folding alone (single thread).
    let (_, _, fold_cpu) = timed(|| {
        articles
            .iter()
            .map(|a| {
                newsdesk::themes::compile::Prepared::new(&ArticleText::from(a))
                    .text
                    .len()
            })
            .sum::<usize>()
    });
    println!(
        "    of which folding text: {:.1} µs CPU/article",
        fold_cpu.as_secs_f64() * 1e6 / n as f64
    );

    // 2. Through the store.
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");
    drop(Store::open(&db).expect("store"));
    // Setup only: ingest looks articles up by source_key, which has no index
    // yet, so 100,000 single inserts would be quadratic. The index makes the
    // setup linear and does not touch what is measured.
    rusqlite::Connection::open(&db)
        .and_then(|c| {
            c.execute_batch("CREATE INDEX IF NOT EXISTS bench_source_key ON articles(source_key)")
        })
        .expect("setup index");
    let mut store = Store::open(&db).expect("store");
    let t = Instant::now();
    let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    for (c, chunk) in articles.chunks(5000).enumerate() {
        let versions = chunk
            .iter()
            .enumerate()
            .map(|(j, a)| {
                let id = format!("a{}", c * 5000 + j);
                NewFileVersion {
                    key: format!("archive/{id}.md"),
                    size: 1,
                    mtime_ns: 1,
                    hash: id.clone(),
                    parsed: Ok(ParsedFile::new(
                        format!("{id}.md"),
                        id,
                        Format::Markdown,
                        a.clone(),
                    )),
                }
            })
            .collect();
        store
            .apply_ingest(
                &IngestBatch {
                    versions,
                    ..Default::default()
                },
                now,
            )
            .expect("ingest");
    }
    println!("  stored {n} articles in {} (setup)", secs(t.elapsed()));
    drop(articles);

    let (report, wall, cpu) =
        timed(|| themes::classify_store(&mut store, &themes, false).expect("classify"));
    println!(
        "  classify_store (read + classify + write): {} wall, {} CPU — {}",
        secs(wall),
        secs(cpu),
        report.summary()
    );

    let (report, wall, _) =
        timed(|| themes::classify_store(&mut store, &themes, false).expect("classify"));
    assert!(report.skipped);
    println!("  classify_store, nothing changed: {}", secs(wall));
}
