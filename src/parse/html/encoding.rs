//! Bytes → text for archived pages: BOM, then the page's own declaration
//! (`<meta charset>`, http-equiv Content-Type, `<?xml encoding>`), then
//! statistical detection, so a page never decodes to mojibake.

use encoding_rs::{Encoding, UTF_8};

/// How far into the page a charset declaration is looked for. Browsers stop
/// at 1024 bytes; archived captures often carry long heads (Wayback scripts),
/// so we look further.
const PRESCAN: usize = 16 * 1024;

/// Decodes a page; the second value names the encoding used (for tests and logs).
pub fn decode(bytes: &[u8]) -> (String, &'static Encoding) {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        return (
            enc.decode_without_bom_handling(&bytes[bom..])
                .0
                .into_owned(),
            enc,
        );
    }
    let utf8 = std::str::from_utf8(bytes).ok();
    let utf8_ok = utf8.is_some();
    let enc = match declared(&bytes[..bytes.len().min(PRESCAN)]) {
        // A page that is valid UTF-8 with non-ASCII text is UTF-8 whatever it
        // claims: pages are often re-saved as UTF-8 and keep the old meta tag.
        Some(_) if utf8_ok && !bytes.is_ascii() => UTF_8,
        // A declared UTF-8 that does not validate is a lie too: detect.
        Some(enc) if enc == UTF_8 && !utf8_ok => detect(bytes),
        Some(enc) => enc,
        None if utf8_ok => UTF_8,
        None => detect(bytes),
    };
    if let Some(text) = utf8.filter(|_| enc == UTF_8) {
        // Already validated: decoding it again would only copy it.
        return (text.to_owned(), enc);
    }
    (enc.decode_without_bom_handling(bytes).0.into_owned(), enc)
}

/// The legacy encoding chardetng (Firefox's detector) finds most likely for
/// bytes that are not UTF-8: Windows-1252 for Western text, Windows-1251 or
/// KOI8-R for Russian, Windows-1250 for Central European, and so on.
pub(crate) fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

/// The encoding a page declares in its head, if any (WHATWG-style prescan,
/// simplified: any `charset=` inside a `<meta` tag, or an XML declaration).
pub fn declared(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let mut found = None;
    if lower.starts_with(b"<?xml") {
        let end = find(&lower, b"?>", 0).unwrap_or(lower.len().min(200));
        found = value_after(&lower[..end], b"encoding=");
    }
    let mut at = 0;
    while found.is_none() {
        let Some(start) = find(&lower, b"<meta", at) else {
            break;
        };
        let end = find(&lower, b">", start).unwrap_or(lower.len());
        found = value_after(&lower[start..end], b"charset=");
        at = end;
    }
    let label = found?;
    let enc = Encoding::for_label(label)?;
    // UTF-16 cannot be declared from inside the bytes it decodes (WHATWG).
    Some(
        if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            UTF_8
        } else {
            enc
        },
    )
}

fn value_after<'a>(tag: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let i = find(tag, key, 0)? + key.len();
    let rest = &tag[i..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'>' | b'/' | b'\t' | b'\n'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_a_wrong_declaration() {
        let mut page = b"\xEF\xBB\xBF<meta charset=\"windows-1251\"><p>".to_vec();
        page.extend("Тбилиси".as_bytes());
        let (s, enc) = decode(&page);
        assert_eq!(enc, UTF_8);
        assert!(s.contains("Тбилиси"));
    }

    #[test]
    fn meta_charset_and_http_equiv_are_honoured() {
        let (s, enc) = decode(
            b"<html><head><meta charset='windows-1251'></head><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>",
        );
        assert_eq!(enc, encoding_rs::WINDOWS_1251);
        assert!(s.contains("Привет"), "{s}");
        let (s, enc) = decode(
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-2\"><p>\xb3\xf3d\xbc</p>",
        );
        assert_eq!(enc, encoding_rs::ISO_8859_2);
        assert!(s.contains("łódź"), "{s}");
        let (s, _) = decode(
            b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><html><p>caf\xe9 \x93q\x94</p>",
        );
        assert!(s.contains("café “q”"), "{s}");
    }

    #[test]
    fn undeclared_legacy_bytes_are_detected_not_mangled() {
        // A Russian sentence in windows-1251 with no declaration at all.
        let text = "Киноклуб во Владикавказе собирает полные залы каждую пятницу, зрители спорят о фильмах до полуночи.";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let mut page = b"<html><body><p>".to_vec();
        page.extend_from_slice(&bytes);
        page.extend_from_slice(b"</p></body></html>");
        let (s, enc) = decode(&page);
        assert_eq!(enc, encoding_rs::WINDOWS_1251);
        assert!(s.contains(text));
    }

    #[test]
    fn valid_utf8_beats_a_stale_legacy_declaration() {
        let page = "<meta charset=\"iso-8859-1\"><p>Café Ереван</p>";
        let (s, enc) = decode(page.as_bytes());
        assert_eq!(enc, UTF_8);
        assert!(s.contains("Café Ереван"));
    }
}
