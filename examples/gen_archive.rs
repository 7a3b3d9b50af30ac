//! Synthetic archive generator for benchmarks and recall checks at scale.
//!
//! ```text
//! cargo run --release --example gen_archive -- --count 100000 --seed 1 --out /tmp/arch
//!     [--formats text,markdown,html] [--hugo DIR]
//! cargo run --release --example gen_archive -- --count 100000 --seed 1 --hugo /tmp/hugo
//! ```
//!
//! Writes `count` original synthetic articles (text built from the word lists
//! and templates below; no external corpus) in the three archive formats
//! newsdesk reads, spread over `<year>/<month>/` folders so no directory holds
//! more than a few hundred files, plus `labels.csv` (`file,caucasus_cinema,festivals`)
//! saying which headline themes each article is truly about.
//!
//! Output is a pure function of `(seed, count, formats)`: every article draws
//! from its own PRNG stream keyed by `(seed, index)`, so the files are
//! byte-identical across runs and thread schedules.
//!
//! Shapes: plain-text exports as `Borderlands Review` writes them (caption
//! line on three in four, four date styles, pull quotes, "Read more" blocks;
//! one in twenty with CRLF line ends and one in twenty in Windows-1252),
//! Markdown with YAML or TOML front matter (a third with explicit ids,
//! `> ` pull quotes), and HTML pages with OpenGraph, JSON-LD (four in five)
//! and site chrome (nav, cookie banner, "Read more" aside, footer, scripts).
//! Bodies are 600–1,500 words, one article in twenty about 5,000, dated over
//! 2011–2025.
//!
//! Theme mix (per article, independently): 5% both themes, 10% Caucasus cinema
//! only, 5% festivals only (so 15% Caucasus cinema and 10% festivals overall),
//! 80% neither. About a third of the "neither" articles are hard negatives: a
//! Caucasus subject with no cinema (food, wine, architecture, politics) or a
//! film subject with no Caucasus link. Negatives never mention festivals.
//!
//! `--hugo DIR` (with or without `--out`) also writes the *same* articles
//! (same seed, count and formats ⇒ same titles, dates and bodies) as Hugo
//! content, `DIR/<year>/<month>/<slug>.md` with YAML front matter, their true
//! headline themes as the `themes` taxonomy, so `bench/run.sh` can time Hugo
//! building the equivalent feeds from the same corpus.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// Generator options (also used by the integration test).
#[derive(Debug, Clone)]
pub struct Options {
    pub count: usize,
    pub seed: u64,
    pub out: PathBuf,
    pub formats: Vec<Kind>,
}

/// The archive formats written. Markdown alternates YAML and TOML front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Markdown,
    Html,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "text" | "txt" => Some(Kind::Text),
            "markdown" | "md" => Some(Kind::Markdown),
            "html" => Some(Kind::Html),
            _ => None,
        }
    }
}

/// What one run wrote.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files: usize,
    pub bytes: u64,
    pub caucasus_cinema: usize,
    pub festivals: usize,
}

/// One row of `labels.csv`.
struct Label {
    file: String,
    caucasus_cinema: bool,
    festivals: bool,
    bytes: u64,
}

/// What the command line asked for: the archive (`--out`), Hugo content
/// (`--hugo`), or both.
struct Cli {
    opts: Options,
    archive: bool,
    hugo: Option<PathBuf>,
}

#[allow(dead_code)] // unused when the test crate includes this file as a module
fn main() {
    let cli = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("gen_archive: {e}");
            eprintln!(
                "usage: gen_archive --count N --seed S (--out DIR | --hugo DIR | both) \
                 [--formats text,markdown,html]"
            );
            std::process::exit(2);
        }
    };
    let opts = &cli.opts;
    let report =
        |what: &str, dir: &Path, r: std::io::Result<Summary>, t: std::time::Instant| match r {
            Ok(s) => eprintln!(
                "wrote {} {what} ({:.1} MB) to {} in {:.2} s: {} Caucasus cinema, {} festivals",
                s.files,
                s.bytes as f64 / 1e6,
                dir.display(),
                t.elapsed().as_secs_f64(),
                s.caucasus_cinema,
                s.festivals
            ),
            Err(e) => {
                eprintln!("gen_archive: {}: {e}", dir.display());
                std::process::exit(73);
            }
        };
    if cli.archive {
        let started = std::time::Instant::now();
        report("articles", &opts.out, generate(opts), started);
    }
    if let Some(dir) = &cli.hugo {
        let started = std::time::Instant::now();
        report("Hugo pages", dir, generate_hugo(opts, dir), started);
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Cli, String> {
    let mut count = None;
    let mut seed = 1;
    let mut out = None;
    let mut hugo = None;
    let mut formats = vec![Kind::Text, Kind::Markdown, Kind::Html];
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--count" | "-n" => {
                count = Some(value()?.parse().map_err(|e| format!("--count: {e}"))?);
            }
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--out" | "-o" => out = Some(PathBuf::from(value()?)),
            "--hugo" => hugo = Some(PathBuf::from(value()?)),
            "--formats" => {
                formats = value()?
                    .split(',')
                    .map(|f| Kind::parse(f).ok_or(format!("--formats: unknown format {f:?}")))
                    .collect::<Result<_, _>>()?;
                if formats.is_empty() {
                    return Err("--formats: give at least one format".into());
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let archive = out.is_some();
    let out = out
        .or_else(|| hugo.clone())
        .ok_or("--out (or --hugo) is required")?;
    Ok(Cli {
        opts: Options {
            count: count.ok_or("--count is required")?,
            seed,
            out,
            formats,
        },
        archive,
        hugo,
    })
}

/// Writes the archive and `labels.csv` under `opts.out`.
pub fn generate(opts: &Options) -> std::io::Result<Summary> {
    std::fs::create_dir_all(&opts.out)?;
    let labels: Vec<Label> = (0..opts.count)
        .into_par_iter()
        .map(|i| write_article(opts, i))
        .collect::<std::io::Result<_>>()?;
    let mut csv = String::from("file,caucasus_cinema,festivals\n");
    let mut summary = Summary::default();
    for l in &labels {
        let _ = writeln!(
            csv,
            "{},{},{}",
            l.file, l.caucasus_cinema as u8, l.festivals as u8
        );
        summary.files += 1;
        summary.bytes += l.bytes;
        summary.caucasus_cinema += l.caucasus_cinema as usize;
        summary.festivals += l.festivals as usize;
    }
    std::fs::write(opts.out.join("labels.csv"), csv)?;
    Ok(summary)
}

/// Writes the articles `generate(opts)` writes as Hugo content under `dir`:
/// one Markdown page each (`<year>/<month>/<slug>.md`, whatever the archive
/// format), YAML front matter with the title, date, standfirst, author and
/// lead image, and the true headline themes as the `themes` taxonomy. The
/// archive itself is not touched.
pub fn generate_hugo(opts: &Options, dir: &Path) -> std::io::Result<Summary> {
    std::fs::create_dir_all(dir)?;
    let rows: Vec<(u64, Topic)> = (0..opts.count)
        .into_par_iter()
        .map(|i| {
            let d = draft(opts, i);
            let p = &d.plan;
            let path = dir.join(format!("{}/{:02}/{}.md", p.year, p.month, p.slug));
            if let Some(parent) = path.parent() {
                create_dir(parent)?;
            }
            let page = render_hugo(&d);
            std::fs::write(&path, &page)?;
            Ok((page.len() as u64, p.topic))
        })
        .collect::<std::io::Result<_>>()?;
    let mut summary = Summary::default();
    for (bytes, topic) in rows {
        summary.files += 1;
        summary.bytes += bytes;
        summary.caucasus_cinema += topic.caucasus_cinema() as usize;
        summary.festivals += topic.festival() as usize;
    }
    Ok(summary)
}

// ---------------------------------------------------------------------------
// PRNG: SplitMix64. Tiny, fast, and its output never changes with a crate
// upgrade, which is what "same seed ⇒ same bytes" needs.

struct Rng(u64);

impl Rng {
    fn new(seed: u64, index: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ 0x9E37_79B9_7F4A_7C15);
        r.0 = r.next() ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        r.0 = r.next() ^ stream.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7);
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 11) as u128 * n as u128) >> 53) as usize
    }

    fn range(&mut self, lo: usize, hi_inclusive: usize) -> usize {
        lo + self.below(hi_inclusive - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// What an article is about, decided from its own stream so that related
// blocks can name other articles' real titles cheaply.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    /// Both headline themes: a Caucasus film at a festival.
    Both,
    CaucasusCinema,
    Festival,
    /// Caucasus subject, no cinema (hard negative for Caucasus cinema).
    CaucasusOther,
    /// Film subject with no Caucasus link (hard negative for Caucasus cinema).
    OtherCinema,
    General,
}

impl Topic {
    /// Whether an article of this topic truly belongs to the headline theme
    /// Caucasus cinema (the label written to `labels.csv` and Hugo's taxonomy).
    fn caucasus_cinema(self) -> bool {
        matches!(self, Topic::Both | Topic::CaucasusCinema)
    }

    /// Whether it truly belongs to the headline theme Festivals.
    fn festival(self) -> bool {
        matches!(self, Topic::Both | Topic::Festival)
    }
}

struct Plan {
    topic: Topic,
    title: String,
    slug: String,
    year: i32,
    month: u32,
    day: u32,
    kind: Kind,
}

const FIRST_YEAR: i32 = 2011;
const YEARS: usize = 15;

fn plan(opts: &Options, i: usize) -> Plan {
    let mut r = Rng::new(opts.seed, i as u64, 1);
    let u = r.unit();
    let topic = if u < 0.05 {
        Topic::Both
    } else if u < 0.15 {
        Topic::CaucasusCinema
    } else if u < 0.20 {
        Topic::Festival
    } else if u < 0.30 {
        Topic::CaucasusOther
    } else if u < 0.40 {
        Topic::OtherCinema
    } else {
        Topic::General
    };
    let year = FIRST_YEAR + r.below(YEARS) as i32;
    let month = r.range(1, 12) as u32;
    let day = r.range(1, 28) as u32;
    let kind = opts.formats[r.below(opts.formats.len())];
    let title = title(&mut r, topic);
    let slug = format!("{}-{i:06}", slugify(&title));
    Plan {
        topic,
        title,
        slug,
        year,
        month,
        day,
        kind,
    }
}

fn slugify(title: &str) -> String {
    let mut s = String::new();
    for w in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(7)
    {
        if !s.is_empty() {
            s.push('-');
        }
        s.push_str(&w.to_ascii_lowercase());
    }
    s
}

// ---------------------------------------------------------------------------
// Vocabulary. Theme-bearing words are kept in their own lists so the labels
// stay honest: only Both/CaucasusCinema text draws Caucasus places *and*
// cinema words, only Both/Festival text draws festival words.

const CAUCASUS_PLACES: &[&str] = &[
    "Tbilisi",
    "Yerevan",
    "Baku",
    "Nalchik",
    "Grozny",
    "Makhachkala",
    "Vladikavkaz",
    "Kutaisi",
    "Batumi",
    "Gyumri",
    "Sukhumi",
    "Derbent",
    "Dagestan",
    "Chechnya",
    "North Ossetia",
    "Kabardino-Balkaria",
    "Ingushetia",
    "Svaneti",
    "Kakheti",
    "Abkhazia",
    "the North Caucasus",
    "the South Caucasus",
    "Georgia",
    "Armenia",
    "Azerbaijan",
];
const CAUCASUS_PEOPLES: &[&str] = &[
    "Georgian",
    "Armenian",
    "Azerbaijani",
    "Chechen",
    "Kabardian",
    "Ossetian",
    "Avar",
    "Circassian",
    "Ingush",
    "Balkar",
    "Abkhaz",
    "Lezgin",
];
const OTHER_PLACES: &[&str] = &[
    "Almaty",
    "Bishkek",
    "Tashkent",
    "Samarkand",
    "Dushanbe",
    "Riga",
    "Tallinn",
    "Vilnius",
    "Narva",
    "Kyiv",
    "Lviv",
    "Odesa",
    "Kharkiv",
    "Chisinau",
    "Minsk",
    "Murmansk",
    "Yakutsk",
    "Kazan",
    "Perm",
    "Vladivostok",
    "Novosibirsk",
    "Ulan-Ude",
    "Karaganda",
    "Osh",
];
const OTHER_PEOPLES: &[&str] = &[
    "Kazakh",
    "Kyrgyz",
    "Uzbek",
    "Tajik",
    "Latvian",
    "Estonian",
    "Lithuanian",
    "Ukrainian",
    "Moldovan",
    "Belarusian",
    "Yakut",
    "Buryat",
    "Tatar",
];
const CINEMA_NOUNS: &[&str] = &[
    "film",
    "feature",
    "documentary",
    "debut feature",
    "short film",
    "screenplay",
    "camera",
    "film school",
    "film studio",
    "cinematography",
    "footage",
    "director's cut",
];
const CINEMA_PEOPLE: &[&str] = &[
    "director",
    "cinematographer",
    "screenwriter",
    "film editor",
    "producer",
    "documentary filmmaker",
    "film critic",
    "lead actress",
    "lead actor",
];
/// Film festivals in the Caucasus: only Caucasus-cinema-and-festival articles use them.
const CAUCASUS_FESTIVALS: &[&str] = &[
    "the Golden Apricot festival in Yerevan",
    "Tbilisi International Film Festival",
    "the Batumi film festival",
];
/// Festivals elsewhere, film and music (the first nine are film festivals).
const FESTIVALS: &[&str] = &[
    "Karlovy Vary International Film Festival",
    "the Berlinale",
    "Cannes Film Festival",
    "the Venice Film Festival",
    "Locarno Film Festival",
    "Sarajevo Film Festival",
    "Odesa International Film Festival",
    "the Kinotavr festival",
    "Black Nights Film Festival",
    "Sziget Festival",
    "the Sharq Taronalari music festival",
    "Positivus Festival",
];

const FESTIVAL_WORDS: &[&str] = &[
    "festival",
    "jury",
    "competition",
    "programme",
    "line-up",
    "premiere",
    "award",
    "screening",
    "festival director",
    "sidebar",
    "main stage",
    "edition",
];
const GENERAL_SUBJECTS: &[&str] = &[
    "the housing market",
    "the municipal theatre",
    "the railway line",
    "a wine cooperative",
    "the river port",
    "a regional museum",
    "the old bazaar",
    "the state archive",
    "a poetry circle",
    "the conservatory",
    "the mining town",
    "a family bakery",
    "the border crossing",
    "a dairy farm",
    "the public library",
    "the Soviet-era sanatorium",
    "the metro extension",
    "a textile factory",
    "a choir of veterans",
    "the fishing fleet",
];
const CAUCASUS_OTHER_SUBJECTS: &[&str] = &[
    "qvevri wine",
    "khachapuri bakeries",
    "tuff-stone churches",
    "polyphonic singing",
    "carpet weaving",
    "the mountain roads",
    "the spice market",
    "hydropower dams",
    "parliamentary politics",
    "the tea plantations",
    "stone watchtowers",
    "shepherds' summer pastures",
];
const OTHER_FILM_SUBJECTS: &[&str] = &[
    "a crime drama set in Murmansk",
    "an animated feature from Kyiv",
    "a Yakut horror film",
    "a war epic shot near Perm",
    "a Latvian road movie",
    "a Kazakh western",
    "a Moscow romantic comedy",
    "a documentary about Baikal",
];
const FIRST_NAMES: &[&str] = &[
    "Nino", "Tamar", "Giorgi", "Levan", "Anahit", "Aram", "Leyla", "Rashad", "Zaur", "Madina",
    "Aslan", "Fatima", "Irina", "Dmitri", "Olga", "Aigerim", "Bakyt", "Dilnoza", "Timur", "Liga",
    "Kaspars", "Marta", "Oksana", "Taras", "Vera", "Sergei", "Elene", "Arsen", "Saida", "Ruslan",
];
const LAST_NAMES: &[&str] = &[
    "Beridze",
    "Kapanadze",
    "Hovhannisyan",
    "Sargsyan",
    "Aliyeva",
    "Mammadov",
    "Tsoev",
    "Kodzoev",
    "Shogenova",
    "Bekmurzaev",
    "Petrova",
    "Orlov",
    "Nurlanova",
    "Toktogulov",
    "Yusupova",
    "Ozols",
    "Kalnina",
    "Melnyk",
    "Bondarenko",
    "Volkova",
    "Gvaramia",
    "Abashidze",
    "Khachatryan",
    "Valiyev",
];
const ADJECTIVES: &[&str] = &[
    "quiet",
    "stubborn",
    "unlikely",
    "patient",
    "forgotten",
    "restless",
    "improbable",
    "fragile",
    "remarkable",
    "slow",
    "defiant",
    "intimate",
];
const TIME_PHRASES: &[&str] = &[
    "In the early 1990s",
    "Last spring",
    "For most of the past decade",
    "Before the pandemic",
    "By the end of the Soviet period",
    "Over the winter",
    "Within a few years",
    "Since independence",
    "Two summers ago",
    "In the months that followed",
];
const VERBS_PAST: &[&str] = &[
    "changed",
    "reshaped",
    "divided",
    "revived",
    "unsettled",
    "quietly transformed",
    "tested",
    "rebuilt",
];
const FILLER: &[&str] = &[
    "Nobody involved pretends the work is easy.",
    "The numbers are small, but they are growing.",
    "Much of the money still comes from abroad.",
    "The older generation watches with a mixture of pride and suspicion.",
    "It is a story told far more often in private than in print.",
    "The road there is long, and in winter it is often closed.",
    "Few of the people involved expected the attention that followed.",
    "What happens next depends on decisions taken far away.",
    "The archive holds more than anyone has had time to read.",
    "Several of those interviewed asked not to be named.",
];

/// A festival name fit for the topic: Caucasus film festivals only where the
/// article is also about Caucasus cinema.
fn festival_name(r: &mut Rng, topic: Topic) -> &'static str {
    if topic == Topic::Both {
        // A Caucasus film goes to a film festival, at home or abroad.
        match r.below(3) {
            0 => r.pick(CAUCASUS_FESTIVALS),
            _ => r.pick(&FESTIVALS[..9]),
        }
    } else {
        r.pick(FESTIVALS)
    }
}

fn a_an(word: &str) -> String {
    let vowel = word.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if vowel { "an" } else { "a" })
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn person(r: &mut Rng) -> String {
    format!("{} {}", r.pick(FIRST_NAMES), r.pick(LAST_NAMES))
}

fn film_title(r: &mut Rng) -> String {
    const A: &[&str] = &[
        "The", "A", "Our", "Last", "Winter", "Salt", "Stone", "Late", "Quiet", "Red",
    ];
    const B: &[&str] = &[
        "Harvest", "Border", "Orchard", "Crossing", "Bride", "Pass", "House", "River", "Wedding",
        "Silence", "Shepherd", "Mountain",
    ];
    format!("{} {}", r.pick(A), r.pick(B))
}

fn title(r: &mut Rng, topic: Topic) -> String {
    match topic {
        Topic::Both => match r.below(3) {
            0 => format!(
                "A {} {} from {} takes {}",
                r.pick(CAUCASUS_PEOPLES),
                r.pick(&["debut", "documentary", "drama", "feature"]),
                r.pick(CAUCASUS_PLACES),
                festival_name(r, topic)
            ),
            1 => format!(
                "{}: the {} director who conquered {}",
                film_title(r),
                r.pick(CAUCASUS_PEOPLES),
                festival_name(r, topic)
            ),
            _ => format!(
                "Caucasus cinema at {}: {} films to watch",
                festival_name(r, topic),
                r.range(3, 9)
            ),
        },
        Topic::CaucasusCinema => match r.below(3) {
            0 => format!(
                "Behind the camera in {}: {} {} cinema",
                r.pick(CAUCASUS_PLACES),
                r.pick(ADJECTIVES),
                r.pick(CAUCASUS_PEOPLES)
            ),
            1 => format!(
                "{}: {} films a {} childhood",
                film_title(r),
                person(r),
                r.pick(CAUCASUS_PEOPLES)
            ),
            _ => format!(
                "The {} film school of {}",
                r.pick(ADJECTIVES),
                r.pick(CAUCASUS_PLACES)
            ),
        },
        Topic::Festival => match r.below(2) {
            0 => format!(
                "Ten days at {}: notes from the {} edition",
                festival_name(r, topic),
                r.pick(&["anniversary", "pandemic", "record", "wartime", "twentieth"])
            ),
            _ => format!(
                "Inside {}, the {} festival that outgrew its town",
                festival_name(r, topic),
                r.pick(ADJECTIVES)
            ),
        },
        Topic::CaucasusOther => format!(
            "{} and the {} revival of {}",
            r.pick(CAUCASUS_PLACES),
            r.pick(ADJECTIVES),
            r.pick(CAUCASUS_OTHER_SUBJECTS)
        ),
        Topic::OtherCinema => format!(
            "{}: {} and {}",
            film_title(r),
            r.pick(OTHER_FILM_SUBJECTS),
            r.pick(&[
                "the limits of genre",
                "a country in denial",
                "the art of waiting",
                "the end of an era"
            ])
        ),
        Topic::General => format!(
            "{} in {}: how {} {} a city",
            r.pick(&[
                "Letter", "Dispatch", "Winter", "Summer", "Notes", "Portrait"
            ]),
            r.pick(OTHER_PLACES),
            r.pick(GENERAL_SUBJECTS),
            r.pick(VERBS_PAST)
        ),
    }
}

/// One sentence, ending with a full stop, drawn for the topic.
fn sentence(r: &mut Rng, topic: Topic, out: &mut String) {
    let caucasus = matches!(
        topic,
        Topic::Both | Topic::CaucasusCinema | Topic::CaucasusOther
    );
    // Articles about both themes alternate between their two vocabularies.
    let both_side = topic == Topic::Both && r.below(2) == 0;
    let cinema = matches!(topic, Topic::CaucasusCinema | Topic::OtherCinema)
        || topic == Topic::Both && !both_side;
    let festival = topic == Topic::Festival || both_side;
    let place = if caucasus {
        r.pick(CAUCASUS_PLACES)
    } else {
        r.pick(OTHER_PLACES)
    };
    let people = if caucasus {
        r.pick(CAUCASUS_PEOPLES)
    } else {
        r.pick(OTHER_PEOPLES)
    };
    // Roughly a third of sentences carry a theme word; the rest is shared prose.
    let pick = r.below(14);
    let _ = match pick {
        0 | 1 if cinema => write!(
            out,
            "The {} was shot in {} over {} weeks with a crew of {}, most of them {}.",
            r.pick(CINEMA_NOUNS),
            place,
            r.range(3, 14),
            r.range(6, 40),
            r.pick(&["friends", "relatives", "students", "first-timers"])
        ),
        2 if cinema => write!(
            out,
            "{}, the {}, says the {} grew out of years of watching {} life from the outside.",
            person(r),
            r.pick(CINEMA_PEOPLE),
            r.pick(CINEMA_NOUNS),
            people
        ),
        3 if cinema => write!(
            out,
            "In one long take the camera follows a {} family through {} without a single cut.",
            people, place
        ),
        0 | 1 if festival => write!(
            out,
            "This year {} received more than {} submissions, and its {} had {} days to choose.",
            festival_name(r, topic),
            r.range(8, 40) * 100,
            r.pick(&["jury", "selection committee", "programme team"]),
            r.range(20, 90)
        ),
        2 if festival => write!(
            out,
            "The {} of {} opened with a {} and closed with an {} that ran past midnight.",
            r.pick(&["latest edition", "anniversary edition", "main programme"]),
            festival_name(r, topic),
            r.pick(&["premiere", "gala screening", "concert on the main stage"]),
            r.pick(&["award ceremony", "open-air screening", "after-party"])
        ),
        3 if festival => write!(
            out,
            "For the {} the {} is a market as much as a celebration.",
            r.pick(&["producers", "musicians", "programmers", "distributors"]),
            r.pick(FESTIVAL_WORDS)
        ),
        4 | 5 if festival => write!(
            out,
            "{}, who has programmed {} for {} years, says the {} is judged by its {}.",
            person(r),
            festival_name(r, topic),
            r.range(3, 25),
            r.pick(&["festival", "edition", "competition"]),
            r.pick(&["audiences", "jury", "line-up", "guests"])
        ),
        4 => write!(
            out,
            "{} {} {} the {} community in {} in ways few outsiders noticed.",
            r.pick(TIME_PHRASES),
            r.pick(&[
                "emigration",
                "the new highway",
                "the closure of the factory",
                "a run of bad harvests",
                "the arrival of cheap flights",
                "the war"
            ]),
            r.pick(VERBS_PAST),
            people,
            place
        ),
        5 => write!(
            out,
            "{}, who has lived in {} for {} years, remembers when {} was still {}.",
            person(r),
            place,
            r.range(5, 60),
            r.pick(GENERAL_SUBJECTS),
            r.pick(&[
                "the pride of the district",
                "run by the state",
                "full every evening",
                "a rumour"
            ])
        ),
        6 if caucasus && !cinema => write!(
            out,
            "In {} the talk is less of politics than of {}, and of who will keep it going.",
            place,
            r.pick(CAUCASUS_OTHER_SUBJECTS)
        ),
        7 if matches!(topic, Topic::OtherCinema) => write!(
            out,
            "The {} owes more to {} than its {} would admit.",
            r.pick(CINEMA_NOUNS),
            r.pick(OTHER_FILM_SUBJECTS),
            r.pick(CINEMA_PEOPLE)
        ),
        8 => write!(
            out,
            "\u{201c}We did not ask for permission, and nobody offered help,\u{201d} says {}.",
            person(r)
        ),
        10 => write!(
            out,
            "Between {} and {}, the population of {} {} by almost a {}.",
            r.range(1989, 2005),
            r.range(2010, 2024),
            place,
            r.pick(&["fell", "grew", "shrank"]),
            r.pick(&["third", "quarter", "fifth"])
        ),
        11 => write!(
            out,
            "{} {} speaks {} at home and Russian at work, and {} in neither.",
            cap(&a_an(r.pick(ADJECTIVES))),
            r.pick(&[
                "grandmother",
                "schoolteacher",
                "taxi driver",
                "engineer",
                "shopkeeper"
            ]),
            people,
            r.pick(&["dreams", "argues", "writes poetry", "keeps accounts"])
        ),
        9 => write!(
            out,
            "The {} {} of {} has become a test of what the region wants to remember.",
            r.pick(ADJECTIVES),
            r.pick(&["story", "history", "afterlife", "economy"]),
            r.pick(GENERAL_SUBJECTS)
        ),
        _ => {
            out.push_str(r.pick(FILLER));
            Ok(())
        }
    };
}

/// Body paragraphs totalling about `words` words.
fn paragraphs(r: &mut Rng, topic: Topic, words: usize) -> Vec<String> {
    let mut paras = Vec::new();
    let mut total = 0;
    while total < words {
        let mut p = String::with_capacity(800);
        for s in 0..r.range(4, 8) {
            if s > 0 {
                p.push(' ');
            }
            sentence(r, topic, &mut p);
        }
        total += p.split(' ').count();
        paras.push(p);
    }
    paras
}

/// A pull quote: a whole body sentence (word for word) without its final full stop.
fn pull_quote(r: &mut Rng, para: &str) -> Option<String> {
    let sentences: Vec<&str> = para
        .split_inclusive(". ")
        .map(str::trim)
        .filter(|s| {
            s.ends_with('.') && !s.contains('\u{201c}') && (6..=28).contains(&s.split(' ').count())
        })
        .collect();
    if sentences.is_empty() {
        return None;
    }
    let s = sentences[r.below(sentences.len())];
    Some(s.trim_end_matches('.').to_string())
}

struct Draft {
    plan: Plan,
    id: Option<String>,
    url: String,
    standfirst: String,
    author: String,
    tags: Vec<&'static str>,
    image_url: String,
    caption: String,
    credit: String,
    /// Body paragraphs; `Some(quote)` entries are pull quotes placed after them.
    body: Vec<(String, Option<String>)>,
    related: Vec<String>,
}

fn draft(opts: &Options, i: usize) -> Draft {
    let plan = plan(opts, i);
    let mut r = Rng::new(opts.seed, i as u64, 2);
    let topic = plan.topic;
    let words = if r.unit() < 0.05 {
        r.range(4_800, 5_200)
    } else {
        r.range(600, 1_500)
    };
    let paras = paragraphs(&mut r, topic, words);
    let quote_at: Vec<usize> = (0..r.range(1, 2)).map(|_| r.below(paras.len())).collect();
    let mut body: Vec<(String, Option<String>)> = Vec::with_capacity(paras.len());
    for (k, p) in paras.into_iter().enumerate() {
        // Each pull quote once: stock sentences recur across paragraphs.
        let q = if quote_at.contains(&k) {
            pull_quote(&mut r, &p).filter(|q| body.iter().all(|(_, o)| o.as_ref() != Some(q)))
        } else {
            None
        };
        body.push((p, q));
    }
    let mut related: Vec<String> = Vec::new();
    for _ in 0..r.range(0, 3) {
        let t = plan_title(opts, r.below(opts.count));
        if t != plan.title && !related.contains(&t) {
            related.push(t);
        }
    }
    let mut standfirst = String::new();
    sentence(&mut r, topic, &mut standfirst);
    standfirst.push(' ');
    sentence(&mut r, topic, &mut standfirst);
    let tags: Vec<&str> = match topic {
        Topic::Both => vec!["cinema", "festivals", "caucasus"],
        Topic::CaucasusCinema => vec!["cinema", "caucasus"],
        Topic::Festival => vec!["festivals", "culture"],
        Topic::CaucasusOther => vec!["caucasus", "society"],
        Topic::OtherCinema => vec!["cinema", "russia"],
        Topic::General => vec!["society"],
    };
    let url = format!(
        "https://borderlands.example.org/{}/{:02}/{}/",
        plan.year, plan.month, plan.slug
    );
    Draft {
        id: (r.below(3) == 0).then(|| format!("synthetic-{i:06}")),
        image_url: format!(
            "https://borderlands.example.org/images/{}/{}.jpg",
            plan.year, plan.slug
        ),
        caption: caption(&mut r, topic, plan.year),
        credit: r
            .pick(&["Press kit", "Archive", "Courtesy of the producers"])
            .to_string(),
        author: person(&mut r),
        plan,
        url,
        standfirst,
        tags,
        body,
        related,
    }
}

/// What a parser should read back from article `i` (for tests and recall
/// checks): its file, title, date, pull quotes and related titles.
#[allow(dead_code)] // used by the test crate, not by `main`
pub struct Truth {
    pub file: String,
    pub title: String,
    pub date: String,
    pub pull_quotes: Vec<String>,
    pub related: Vec<String>,
}

#[allow(dead_code)]
pub fn truth(opts: &Options, i: usize) -> Truth {
    let d = draft(opts, i);
    let p = &d.plan;
    Truth {
        file: rel_path(p),
        title: p.title.clone(),
        date: format!("{}-{:02}-{:02}", p.year, p.month, p.day),
        pull_quotes: d.body.iter().filter_map(|(_, q)| q.clone()).collect(),
        // Markdown carries no "Read more" block.
        related: if p.kind == Kind::Markdown {
            Vec::new()
        } else {
            d.related.clone()
        },
    }
}

fn rel_path(p: &Plan) -> String {
    let ext = match p.kind {
        Kind::Text => "txt",
        Kind::Markdown => "md",
        Kind::Html => "html",
    };
    format!("{}/{:02}/{}.{ext}", p.year, p.month, p.slug)
}

/// Film stills for film articles; photographs (no cinema words) for the rest.
fn caption(r: &mut Rng, topic: Topic, year: i32) -> String {
    match topic {
        Topic::Both | Topic::CaucasusCinema | Topic::OtherCinema => format!(
            "Still from {}, dir. {} ({}). Image: {}",
            film_title(r),
            person(r),
            year - r.below(3) as i32,
            r.pick(&["press kit", "archive", "courtesy of the producers"])
        ),
        Topic::Festival => format!(
            "Crowds outside {}. Photograph: {}",
            festival_name(r, topic),
            person(r)
        ),
        Topic::CaucasusOther => format!(
            "Morning in {}. Photograph: {}",
            r.pick(CAUCASUS_PLACES),
            person(r)
        ),
        Topic::General => format!(
            "A street in {}. Photograph: {}",
            r.pick(OTHER_PLACES),
            person(r)
        ),
    }
}

fn plan_title(opts: &Options, j: usize) -> String {
    plan(opts, j).title
}

const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn write_article(opts: &Options, i: usize) -> std::io::Result<Label> {
    let d = draft(opts, i);
    let p = &d.plan;
    let rel = rel_path(p);
    let content = match p.kind {
        Kind::Text => render_text(&d, i),
        Kind::Markdown => render_markdown(&d, i),
        Kind::Html => render_html(&d, i),
    };
    let path: PathBuf = opts.out.join(&rel);
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
    // Legacy exports: some plain-text files come from Windows tools, with
    // CRLF line ends or in Windows-1252.
    let bytes = match (p.kind, i % 20) {
        (Kind::Text, 7) => content.replace('\n', "\r\n").into_bytes(),
        (Kind::Text, 13) => windows_1252(&content),
        _ => content.into_bytes(),
    };
    std::fs::write(&path, &bytes)?;
    Ok(Label {
        file: rel,
        caucasus_cinema: p.topic.caucasus_cinema(),
        festivals: p.topic.festival(),
        bytes: bytes.len() as u64,
    })
}

fn create_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
}

/// The plain-text export shape: site line, title, title + caption, standfirst,
/// date, body with pull quotes, "Read more" block alternating titles.
fn render_text(d: &Draft, i: usize) -> String {
    let p = &d.plan;
    let mut s = String::with_capacity(12_000);
    s.push_str("Borderlands Review\n\n");
    let _ = write!(s, "{}\n\n", p.title);
    // Every fourth export lacks the caption line, as older exports do.
    if !i.is_multiple_of(4) {
        let _ = write!(s, "{}\n{}\n\n", p.title, d.caption);
    }
    let _ = write!(s, "{}\n\n", d.standfirst);
    let month = MONTHS[p.month as usize - 1];
    let _ = match i % 4 {
        0 => write!(s, "{} {} {}", p.day, month, p.year),
        1 => write!(s, "{} {}, {}", month, p.day, p.year),
        2 => write!(s, "{} {} {}", p.day, &month[..3], p.year),
        _ => write!(s, "{}-{:02}-{:02}", p.year, p.month, p.day),
    };
    s.push_str("\n\n");
    let mut pending: Vec<&str> = Vec::new();
    for (k, (para, quote)) in d.body.iter().enumerate() {
        s.push_str(para);
        s.push_str("\n\n");
        if let Some(q) = quote {
            pending.push(q);
        }
        // Quotes land right after their paragraph, or one paragraph later.
        if !pending.is_empty() && (k % 2 == 0 || k + 1 == d.body.len()) {
            for q in pending.drain(..) {
                s.push_str(q);
                s.push_str("\n\n");
            }
        }
    }
    if !d.related.is_empty() {
        s.push_str("Read more\n");
        for t in &d.related {
            let _ = write!(s, "\n{}\n\n{}\n", p.title, t);
        }
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

/// Encodes generated text (ASCII plus typographic quotes) as Windows-1252.
fn windows_1252(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '\u{2019}' => 0x92,
            c if c.is_ascii() => c as u8,
            _ => b'?',
        })
        .collect()
}

fn yaml_str(s: &str) -> String {
    // A JSON string is a valid YAML double-quoted scalar.
    serde_json::to_string(s).expect("strings serialize")
}

fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render_markdown(d: &Draft, i: usize) -> String {
    let p = &d.plan;
    let date = format!("{}-{:02}-{:02}", p.year, p.month, p.day);
    let mut s = String::with_capacity(12_000);
    let tags = d
        .tags
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if i.is_multiple_of(2) {
        s.push_str("---\n");
        let _ = writeln!(s, "title: {}", yaml_str(&p.title));
        let _ = writeln!(s, "date: {date}");
        if let Some(id) = &d.id {
            let _ = writeln!(s, "id: {}", yaml_str(id));
        }
        let _ = writeln!(s, "url: {}", yaml_str(&d.url));
        let _ = writeln!(s, "standfirst: {}", yaml_str(&d.standfirst));
        let _ = writeln!(s, "tags: [{tags}]");
        let _ = writeln!(s, "authors: [{}]", yaml_str(&d.author));
        s.push_str("image:\n");
        let _ = writeln!(s, "  url: {}", yaml_str(&d.image_url));
        let _ = writeln!(s, "  caption: {}", yaml_str(&d.caption));
        let _ = writeln!(s, "  credit: {}", yaml_str(&d.credit));
        s.push_str("---\n\n");
    } else {
        s.push_str("+++\n");
        let _ = writeln!(s, "title = {}", toml_str(&p.title));
        let _ = writeln!(s, "date = {date}");
        if let Some(id) = &d.id {
            let _ = writeln!(s, "id = {}", toml_str(id));
        }
        let _ = writeln!(s, "url = {}", toml_str(&d.url));
        let _ = writeln!(s, "standfirst = {}", toml_str(&d.standfirst));
        let _ = writeln!(s, "tags = [{tags}]");
        let _ = writeln!(s, "authors = [{}]", toml_str(&d.author));
        s.push_str("\n[image]\n");
        let _ = writeln!(s, "url = {}", toml_str(&d.image_url));
        let _ = writeln!(s, "caption = {}", toml_str(&d.caption));
        let _ = writeln!(s, "credit = {}", toml_str(&d.credit));
        s.push_str("+++\n\n");
    }
    for (para, quote) in &d.body {
        s.push_str(para);
        s.push_str("\n\n");
        if let Some(q) = quote {
            let _ = write!(s, "> {q}\n\n");
        }
    }
    s.pop();
    s
}

/// A Hugo content page: the article as Markdown, its themes as a taxonomy
/// (theme ids as newsdesk's default themes name them).
fn render_hugo(d: &Draft) -> String {
    let p = &d.plan;
    let mut s = String::with_capacity(12_000);
    s.push_str("---\n");
    let _ = writeln!(s, "title: {}", yaml_str(&p.title));
    let _ = writeln!(s, "date: {}-{:02}-{:02}T09:00:00Z", p.year, p.month, p.day);
    let _ = writeln!(s, "description: {}", yaml_str(&d.standfirst));
    let _ = writeln!(s, "author: {}", yaml_str(&d.author));
    let _ = writeln!(s, "images: [{}]", yaml_str(&d.image_url));
    let themes: Vec<&str> = [
        (p.topic.caucasus_cinema(), "caucasus-cinema"),
        (p.topic.festival(), "festivals"),
    ]
    .into_iter()
    .filter_map(|(yes, id)| yes.then_some(id))
    .collect();
    if !themes.is_empty() {
        let _ = writeln!(s, "themes: [{}]", themes.join(", "));
    }
    s.push_str("---\n\n");
    let _ = write!(
        s,
        "![{}]({})\n\n",
        d.caption.replace(['[', ']'], ""),
        d.image_url
    );
    for (para, quote) in &d.body {
        s.push_str(para);
        s.push_str("\n\n");
        if let Some(q) = quote {
            let _ = write!(s, "> {q}\n\n");
        }
    }
    s.pop();
    s
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn render_html(d: &Draft, i: usize) -> String {
    let p = &d.plan;
    let date = format!("{}-{:02}-{:02}", p.year, p.month, p.day);
    let ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": d.url,
        "mainEntityOfPage": d.url,
        "headline": p.title,
        "description": d.standfirst,
        "datePublished": format!("{date}T09:00:00+00:00"),
        "image": [d.image_url],
        "author": [{"@type": "Person", "name": d.author}],
        "publisher": {"@type": "Organization", "name": "Borderlands Review"},
        "keywords": d.tags,
    });
    let mut s = String::with_capacity(16_000);
    let title = esc(&p.title);
    let standfirst = esc(&d.standfirst);
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} | Borderlands Review</title>
<link rel="canonical" href="{url}">
<meta name="description" content="{standfirst}">
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="og:description" content="{standfirst}">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{image}">
<meta property="article:published_time" content="{date}T09:00:00+00:00">
{ld}<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<div class="cookie-banner" id="cookies"><p>We use cookies to understand how the archive is read.</p><button>Accept</button></div>
<header class="site-header"><a href="/" class="logo">Borderlands Review</a>
<nav><ul><li><a href="/cinema/">Cinema</a></li><li><a href="/festivals/">Festivals</a></li><li><a href="/caucasus/">Caucasus</a></li><li><a href="/archive/">Archive</a></li></ul></nav></header>
<main>
<article>
<h1>{title}</h1>
<p class="standfirst">{standfirst}</p>
<p class="byline">By {author} · <time datetime="{date}">{date}</time></p>
<figure><img src="{image}" alt=""><figcaption>{caption}</figcaption></figure>
"#,
        url = esc(&d.url),
        image = esc(&d.image_url),
        // One page in five predates the site's structured data: OpenGraph only.
        ld = if i % 5 == 2 {
            String::new()
        } else {
            format!(
                "<script type=\"application/ld+json\">{}</script>\n",
                ld.to_string().replace("</", "<\\/")
            )
        },
        author = esc(&d.author),
        caption = esc(&d.caption),
    );
    for (para, quote) in &d.body {
        let _ = writeln!(s, "<p>{}</p>", esc(para));
        if let Some(q) = quote {
            let _ = writeln!(
                s,
                "<blockquote class=\"pull-quote\"><p>{}</p></blockquote>",
                esc(q)
            );
        }
    }
    s.push_str("</article>\n");
    if !d.related.is_empty() {
        s.push_str("<aside class=\"read-more\"><h2>Read more</h2><ul>\n");
        for t in &d.related {
            let _ = writeln!(
                s,
                "<li><a href=\"/search?q={}\">{}</a></li>",
                slugify(t),
                esc(t)
            );
        }
        s.push_str("</ul></aside>\n");
    }
    s.push_str(
        "</main>\n<footer class=\"site-footer\"><p>© Borderlands Review. Long-form journalism from Eastern Europe, Russia, the Caucasus and Central Asia.</p><nav><a href=\"/about/\">About</a> <a href=\"/privacy/\">Privacy</a></nav></footer>\n<script src=\"/static/site.js\"></script>\n</body>\n</html>\n",
    );
    s
}
