//! Bytes → [`Article`]: format detection, decoding and the three parsers.
//!
//! Everything here is pure: a parser sees the bytes of one file and a
//! [`Context`], never the file system or the store, so it can be fuzzed and
//! property-tested in isolation.

pub mod date;
pub mod html;
pub mod markdown;
pub mod quotes;
pub mod sanitize;
pub mod shortcodes;
pub mod text;

use url::Url;

use crate::model::{Article, Format};

/// What a parser may know besides the bytes.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Where relative URLs resolve when the page states no canonical URL.
    pub base_url: Option<&'a Url>,
}

/// Why a file was rejected: what is wrong and, where it helps, on which line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
    /// Not an error: the file says it is a draft (see [`ParseError::draft`]).
    pub draft: bool,
}

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        ParseError {
            line: None,
            message: message.into(),
            draft: false,
        }
    }

    pub fn at(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line: Some(line),
            message: message.into(),
            draft: false,
        }
    }

    /// The file is a draft (`draft: true` and the like in its front matter):
    /// not published, and not an error either.
    pub fn draft(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            draft: true,
            ..ParseError::at(line, message)
        }
    }
}

/// Parses one file's bytes. `extension` (lowercase, no dot) is a hint; content
/// that is unmistakably another format wins over it.
pub fn parse_bytes(
    bytes: &[u8],
    extension: Option<&str>,
    ctx: &Context<'_>,
) -> Result<(Format, Article), ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::new("file is empty"));
    }
    if looks_binary(bytes) {
        return Err(ParseError::new(
            "file looks binary (NUL bytes or control characters), not an article",
        ));
    }
    let format = detect(extension, bytes);
    let article = match format {
        // HTML carries its own charset declarations, so it decodes itself.
        Format::Html => html::parse(bytes, ctx)?,
        Format::Markdown => markdown::parse(&decode_text(bytes), ctx)?,
        Format::Text => text::parse(&decode_text(bytes), ctx)?,
    };
    Ok((format, article))
}

/// Chooses a format from the extension and the first non-blank bytes.
pub fn detect(extension: Option<&str>, bytes: &[u8]) -> Format {
    let head = strip_bom(bytes);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let head = &head[start..head.len().min(start + 512)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.starts_with("<?xml") && lower.contains("<html")
    {
        return Format::Html;
    }
    if head.starts_with(b"---\n")
        || head.starts_with(b"---\r\n")
        || head.starts_with(b"+++\n")
        || head.starts_with(b"+++\r\n")
    {
        return Format::Markdown;
    }
    match extension {
        Some("md" | "markdown" | "mdown" | "mkd") => Format::Markdown,
        Some("html" | "htm" | "xhtml") => Format::Html,
        _ if lower.starts_with('<')
            && (lower.contains("<body")
                || lower.contains("<article")
                || lower.contains("<head")) =>
        {
            Format::Html
        }
        _ => Format::Text,
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// NUL bytes, or many C0 controls, mean this is not a text article (an image,
/// a PDF, a UTF-16 file saved by accident).
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    if sample.contains(&0) {
        return true;
    }
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    controls * 20 > sample.len()
}

/// Decodes a text file: UTF-8 (with or without BOM, also UTF-16 with BOM),
/// else the legacy encoding the bytes are most likely in, as archived pages
/// are detected (`html::encoding::detect`): Windows-1252 for Western
/// exports, but Windows-1251 or KOI8-R for the Russian ones an archive of
/// this region holds, which read as Windows-1252 were all mojibake
/// ("Ïðèâåò"). Every legacy decoder maps every byte, so nothing fails.
/// Newlines become `\n` and XML-invalid characters are dropped.
pub fn decode_text(bytes: &[u8]) -> String {
    use std::borrow::Cow;
    match encoding_rs::Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => {
            let text = enc.decode_without_bom_handling(&bytes[bom_len..]).0;
            clean_cow(&text).into_owned()
        }
        // Valid UTF-8 is copied once, and only after cleaning, which usually
        // finds nothing to change.
        None => match std::str::from_utf8(bytes) {
            Ok(s) => clean_cow(s).into_owned(),
            Err(_) => {
                let text = html::encoding::detect(bytes)
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned();
                match clean_cow(&text) {
                    Cow::Borrowed(_) => text,
                    Cow::Owned(o) => o,
                }
            }
        },
    }
}

/// Normalises newlines (CRLF, CR) to `\n`, drops XML-invalid characters and a
/// stray BOM, and applies Unicode NFC so equal text compares equal.
pub fn clean_text(s: &str) -> String {
    clean_cow(s).into_owned()
}

/// [`clean_text`], borrowing `s` when it is already clean, as nearly every
/// archive file is: this runs over every byte of a cold 100,000-file ingest.
fn clean_cow(s: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    use unicode_normalization::UnicodeNormalization;
    let b = s.as_bytes();
    let s: Cow<'_, str> = if memchr::memchr(b'\r', b).is_some()
        || memchr::memmem::find(b, "\u{feff}".as_bytes()).is_some()
    {
        s.replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\u{feff}', "")
            .into()
    } else {
        s.into()
    };
    let s = match crate::util::strip_xml_invalid(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(o) => o.into(),
    };
    if s.is_ascii() || nfc_quick_yes(&s) {
        s
    } else {
        s.nfc().collect::<String>().into()
    }
}

/// Whether `unicode_normalization::is_nfc_quick(s.chars())` says `Yes`,
/// computed faster. That check keeps one piece of state, the previous
/// character's combining class, and a character of class 0 that is NFC
/// "Yes" passes it and resets it. Most characters of real text are such
/// (ASCII, Cyrillic, Georgian, curly quotes), so only the runs of other
/// characters between them need the full check, and ASCII runs are skipped
/// eight bytes at a time.
fn nfc_quick_yes(s: &str) -> bool {
    use unicode_normalization::{IsNormalized, is_nfc_quick};
    let run_yes = |run: &str| is_nfc_quick(run.chars()) == IsNormalized::Yes;
    let b = s.as_bytes();
    let mut i = 0;
    let mut run: Option<usize> = None;
    while i < b.len() {
        let lead = b[i];
        let (len, plain) = if lead < 0x80 {
            (1, true)
        } else {
            let c = s[i..].chars().next().unwrap_or_default();
            (c.len_utf8(), nfc_plain_starter(c))
        };
        if plain {
            if let Some(start) = run.take()
                && !run_yes(&s[start..i])
            {
                return false;
            }
        } else if run.is_none() {
            run = Some(i);
        }
        i += len;
        if plain {
            while let Some(chunk) = b.get(i..i + 8) {
                let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
                if word & 0x8080_8080_8080_8080 != 0 {
                    break;
                }
                i += 8;
            }
        }
    }
    run.is_none_or(|start| run_yes(&s[start..]))
}

/// Canonical combining class 0 and NFC quick check "Yes" (see
/// [`nfc_quick_yes`]); characters beyond the BMP take the full check.
fn nfc_plain_starter(c: char) -> bool {
    use unicode_normalization::{IsNormalized, char::canonical_combining_class, is_nfc_quick};
    static TABLE: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = vec![0u64; 0x10000 / 64];
        for (cp, c) in (0..0x10000u32).filter_map(|cp| char::from_u32(cp).map(|c| (cp, c))) {
            if canonical_combining_class(c) == 0
                && is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes
            {
                t[cp as usize / 64] |= 1 << (cp % 64);
            }
        }
        t
    });
    let cp = c as usize;
    table.get(cp / 64).is_some_and(|w| w >> (cp % 64) & 1 == 1)
}

/// Parses one archive file: [`parse_bytes`] with the extension of `path`
/// as the format hint, and, for an article that states no date, the date a
/// Jekyll-style file name starts with (`2014-05-06-jekyll-turns-2-0-0.md`).
pub fn parse_file(
    bytes: &[u8],
    path: &std::path::Path,
    ctx: &Context<'_>,
) -> Result<(Format, Article), ParseError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let (format, mut article) = parse_bytes(bytes, ext.as_deref(), ctx)?;
    if article.date.is_none() {
        article.date = path
            .file_name()
            .and_then(|n| date_from_file_name(&n.to_string_lossy()));
    }
    Ok((format, article))
}

/// The `YYYY-MM-DD-` a file name starts with, if it is a real date.
fn date_from_file_name(name: &str) -> Option<chrono::NaiveDate> {
    let head = name.get(..11)?;
    if !head.ends_with('-') {
        return None;
    }
    chrono::NaiveDate::parse_from_str(&head[..10], "%Y-%m-%d").ok()
}

/// The id of an article that states none: its path relative to the archive
/// dir, without extension, with `/` separators (e.g. `2017/balagov-closeness`).
pub fn derive_id(relative_path: &str) -> String {
    let p = relative_path.replace('\\', "/");
    let stem = match p.rfind('.') {
        Some(dot) if dot > p.rfind('/').map_or(0, |s| s + 1) => &p[..dot],
        _ => &p[..],
    };
    stem.split('/')
        .filter(|s| !s.is_empty())
        .map(|seg| seg.split_whitespace().collect::<Vec<_>>().join("-"))
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_dateless_article_takes_the_date_its_jekyll_style_file_name_starts_with() {
        let ctx = Context { base_url: None };
        let md = b"---\ntitle: Jekyll turns 2.0.0\n---\nA long-awaited release.\n";
        let (_, a) = parse_file(
            md,
            Path::new("_posts/2014-05-06-jekyll-turns-2-0-0.markdown"),
            &ctx,
        )
        .unwrap();
        assert_eq!(a.date, chrono::NaiveDate::from_ymd_opt(2014, 5, 6));
        // A stated date wins; names that are not a date give none.
        let dated = b"---\ntitle: T\ndate: 2015-01-02\n---\nBody.\n";
        let (_, a) = parse_file(dated, Path::new("2014-05-06-x.md"), &ctx).unwrap();
        assert_eq!(a.date, chrono::NaiveDate::from_ymd_opt(2015, 1, 2));
        for name in [
            "2014-13-06-x.md",
            "2014-05-06.md",
            "20140506-x.md",
            "x.md",
            "2014-05-0",
        ] {
            let (_, a) = parse_file(md, Path::new(name), &ctx).unwrap();
            assert_eq!(a.date, None, "{name}");
        }
    }

    #[test]
    fn detection_prefers_unmistakable_content_over_extension() {
        assert_eq!(detect(Some("txt"), b"<!DOCTYPE html><html>"), Format::Html);
        assert_eq!(
            detect(Some("txt"), b"\xEF\xBB\xBF---\ntitle: x\n---\n"),
            Format::Markdown
        );
        assert_eq!(detect(Some("md"), b"Title\n\nBody"), Format::Markdown);
        assert_eq!(detect(Some("html"), b"<div>x</div>"), Format::Html);
        assert_eq!(detect(None, b"Site\n\nTitle"), Format::Text);
    }

    #[test]
    fn invalid_utf8_decodes_as_windows_1252() {
        // "Café – “quoted”" in Windows-1252.
        let s = decode_text(b"Caf\xe9 \x96 \x93quoted\x94");
        assert_eq!(s, "Café – “quoted”");
    }

    /// Regression: Russian exports in Windows-1251 or KOI8-R were read as
    /// Windows-1252 ("Ïðèâåò èç Ãðîçíîãî").
    #[test]
    fn invalid_utf8_cyrillic_is_detected_not_read_as_windows_1252() {
        let text = "Привет из Грозного: заметки о чеченском кино и о фестивале в Нальчике";
        for enc in [encoding_rs::WINDOWS_1251, encoding_rs::KOI8_R] {
            let (bytes, _, lossy) = enc.encode(text);
            assert!(!lossy);
            assert_eq!(decode_text(&bytes), text, "{}", enc.name());
        }
        // Central European (Windows-1250), for the Czech and Polish ones.
        let text = "Łódź i Kraków: polskie kino w Wrocławiu, żółte światło";
        let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode(text);
        assert_eq!(decode_text(&bytes), text);
    }

    #[test]
    fn bom_crlf_and_controls_are_cleaned() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFa\r\nb\rc\x07"), "a\nb\nc");
        assert_eq!(decode_text(b"\xFF\xFEa\x00b\x00"), "ab");
    }

    /// `clean_text` before its shortcuts.
    fn reference_clean(s: &str) -> String {
        use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
        let s = s
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\u{feff}', "");
        let s = crate::util::strip_xml_invalid(&s).into_owned();
        if is_nfc_quick(s.chars()) == IsNormalized::Yes {
            s
        } else {
            s.nfc().collect()
        }
    }

    #[test]
    fn nfc_table_agrees_with_the_quick_check_on_every_character() {
        use unicode_normalization::{IsNormalized, is_nfc_quick};
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let one = c.to_string();
            assert_eq!(
                nfc_quick_yes(&one),
                is_nfc_quick(one.chars()) == IsNormalized::Yes,
                "{c:?}"
            );
            // After a combining mark of class 230, a class-220 mark is out
            // of order: the state must carry across plain ASCII-free runs.
            let after = format!("a\u{301}{c}\u{316}");
            assert_eq!(
                nfc_quick_yes(&after),
                is_nfc_quick(after.chars()) == IsNormalized::Yes,
                "{after:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn clean_text_matches_the_reference(
            s in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "plain ascii text ", "\r\n", "\r", "\n", "\u{feff}", "\u{0}", "\u{1b}",
                    "\u{fffe}", "\u{ffff}", "\u{301}", "\u{316}", "\u{323}", "e", "é", "Å", "\u{212b}",
                    "\u{1100}", "\u{1161}", "\u{11a8}", "가", "\u{958}", "\u{f900}", "Кино",
                    "ქართული", "“", "”", "\u{2000}", "\u{340}", "\u{344}", "\u{1d15e}", "\u{2adc}",
                    "\u{0f73}", "\u{a0}", "ﬁ", "\t",
                ]),
                0..30,
            )
        ) {
            let s = s.concat();
            proptest::prop_assert_eq!(clean_text(&s), reference_clean(&s));
            proptest::prop_assert_eq!(decode_text(s.as_bytes()), reference_clean(&s));
        }
    }

    #[test]
    fn empty_and_binary_files_are_rejected() {
        let ctx = Context { base_url: None };
        assert!(
            parse_bytes(b"  \n", Some("txt"), &ctx)
                .unwrap_err()
                .message
                .contains("empty")
        );
        assert!(
            parse_bytes(b"\x89PNG\r\n\x1a\n\0\0\0", Some("txt"), &ctx)
                .unwrap_err()
                .message
                .contains("binary")
        );
    }

    #[test]
    fn derived_ids_drop_extension_and_keep_folders() {
        assert_eq!(
            derive_id("2017/balagov closeness.txt"),
            "2017/balagov-closeness"
        );
        assert_eq!(derive_id("a.b/c"), "a.b/c");
        assert_eq!(derive_id("x.md"), "x");
    }
}
