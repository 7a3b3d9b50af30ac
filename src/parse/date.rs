//! Dates as archives write them: "9 August 2017", "October 14, 2022",
//! "17 Sep 2018", "2022-10-14", "25/08/2017", Russian and Ukrainian month
//! names, a time after the date ("9 August 2017, 14:30"), RFC 3339 / RFC 2822
//! timestamps and a few more.

use chrono::{DateTime, NaiveDate};

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Russian month names, nominative or genitive ("май", "мая", "октября").
fn month_ru(w: &str) -> Option<u32> {
    const STEMS: [&str; 12] = [
        "янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек",
    ];
    if w == "май" || w == "мая" {
        return Some(5);
    }
    STEMS
        .iter()
        .position(|s| s.chars().count() == 3 && w.starts_with(s))
        .map(|i| i as u32 + 1)
}

/// Ukrainian month names, nominative or genitive ("серпень", "серпня").
fn month_uk(w: &str) -> Option<u32> {
    const STEMS: [&str; 12] = [
        "січ", "лют", "бер", "кві", "тра", "чер", "лип", "сер", "вер", "жов", "лис", "гру",
    ];
    STEMS
        .iter()
        .position(|s| w.starts_with(s))
        .map(|i| i as u32 + 1)
}

fn month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.starts_with(|c: char| ('\u{400}'..='\u{4ff}').contains(&c)) {
        return month_ru(&w).or_else(|| month_uk(&w));
    }
    if w.len() < 3 {
        return None;
    }
    let w = if w == "sept" { "sep".to_string() } else { w };
    MONTHS
        .iter()
        .position(|m| m.starts_with(&w) && (w.len() == 3 || m.len() == w.len()))
        .map(|i| i as u32 + 1)
}

fn day(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    let w = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    w.parse().ok().filter(|d| (1..=31).contains(d))
}

fn year(word: &str) -> Option<i32> {
    (word.len() == 4).then(|| word.parse().ok()).flatten()
}

/// Parses a date in any of the forms archives use; `None` if it is not a date.
/// A date line must be all date: "9 August 2017 was hot" is not one.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.date_naive());
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.date_naive());
    }
    for fmt in [
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%d.%m.%Y",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(d);
        }
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.date());
        }
    }
    // Numbers with slashes: day first, as in the dotted form and as Europe
    // writes them ("09/08/2017" is 9 August), unless only month first can
    // be right ("08/25/2017").
    if let [d, m, y] = s.split('/').collect::<Vec<_>>()[..]
        && y.len() == 4
        && let (Ok(d), Ok(m), Ok(y)) = (d.parse::<u32>(), m.parse::<u32>(), y.parse::<i32>())
    {
        return NaiveDate::from_ymd_opt(y, m, d).or_else(|| NaiveDate::from_ymd_opt(y, d, m));
    }
    // Any other ISO-style timestamp ("2022-10-14 09:30:00 +03:00",
    // "2022-10-14T09:30", with fractions or zones): the date is its first part.
    if let Some((d, rest)) = s.split_at_checked(10)
        && let Some(t) = rest.strip_prefix(['T', 't', ' '])
        && t.len() >= 4
        && t.starts_with(|c: char| c.is_ascii_digit())
        && t.contains(':')
        && let Ok(d) = NaiveDate::parse_from_str(d, "%Y-%m-%d")
    {
        return Some(d);
    }
    // Word forms: strip a leading weekday and punctuation, then look for
    // (day month year) or (month day year).
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let words: &[&str] = match words.first() {
        Some(w) if is_weekday(w) => &words[1..],
        _ => &words[..],
    };
    // "14 октября 2022 г." / "14 октября 2022 года" / "9 серпня 2017 р.".
    let words = match words {
        [rest @ .., "г." | "г" | "года" | "р." | "р" | "року"] => rest,
        w => w,
    };
    // A time after the date: "9 August 2017, 14:30", "August 9, 2017 at
    // 2:30 pm", "9 August 2017 | 14:30 MSK".
    let words = if words.len() > 3 && words[3..].iter().all(|w| is_time_word(w)) {
        &words[..3]
    } else {
        words
    };
    match words {
        [d, m, y] => {
            if let (Some(d), Some(m), Some(y)) = (day(d), month(m), year(y)) {
                return NaiveDate::from_ymd_opt(y, m, d);
            }
            if let (Some(m), Some(d), Some(y)) = (month(d), day(m), year(y)) {
                return NaiveDate::from_ymd_opt(y, m, d);
            }
            None
        }
        _ => None,
    }
}

/// A word of a time of day written after a date: "14:30", "2:30", "pm",
/// "at", a zone ("GMT", "MSK", "+03:00"), a separator.
fn is_time_word(w: &str) -> bool {
    let l = w.to_lowercase();
    let clock = |t: &str| {
        let t = t.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '.');
        t.contains(':')
            && t.split(':')
                .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    clock(&l)
        || matches!(
            l.as_str(),
            "at" | "am"
                | "pm"
                | "a.m."
                | "p.m."
                | "|"
                | "-"
                | "–"
                | "—"
                | "·"
                | "gmt"
                | "utc"
                | "bst"
                | "cet"
                | "cest"
                | "eet"
                | "eest"
                | "msk"
                | "в"
        )
        || (l.starts_with(['+', '-'])
            && l.len() >= 3
            && l[1..].bytes().all(|b| b.is_ascii_digit() || b == b':'))
}

fn is_weekday(w: &str) -> bool {
    let w = w.trim_end_matches('.').to_lowercase();
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .any(|d| w.len() >= 3 && d.starts_with(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn archive_date_forms() {
        assert_eq!(parse_date("9 August 2017"), d(2017, 8, 9));
        assert_eq!(parse_date("October 14, 2022"), d(2022, 10, 14));
        assert_eq!(parse_date("17 Sep 2018"), d(2018, 9, 17));
        assert_eq!(parse_date("17 Sept. 2018"), d(2018, 9, 17));
        assert_eq!(parse_date("2022-10-14"), d(2022, 10, 14));
        assert_eq!(parse_date("14.10.2022"), d(2022, 10, 14));
        assert_eq!(parse_date("Friday, 14 October 2022"), d(2022, 10, 14));
        assert_eq!(parse_date("1st March 2020"), d(2020, 3, 1));
        assert_eq!(parse_date("2022-10-14T09:30:00+03:00"), d(2022, 10, 14));
        assert_eq!(parse_date("2022-10-14 09:30:00 +03:00"), d(2022, 10, 14));
        assert_eq!(parse_date("2022-10-14T09:30"), d(2022, 10, 14));
        assert_eq!(parse_date("2022-10-14 09:30:00.123456"), d(2022, 10, 14));
        assert_eq!(parse_date("October 14 2022"), d(2022, 10, 14));
        assert_eq!(parse_date("14 октября 2022"), d(2022, 10, 14));
        assert_eq!(parse_date("9 мая 2017 г."), d(2017, 5, 9));
        assert_eq!(parse_date("1 марта 2020 года"), d(2020, 3, 1));
        assert_eq!(
            parse_date("Fri, 14 Oct 2022 09:30:00 +0000"),
            d(2022, 10, 14)
        );
    }

    #[test]
    fn slashes_ukrainian_months_and_times_after_the_date() {
        assert_eq!(parse_date("25/08/2017"), d(2017, 8, 25));
        assert_eq!(parse_date("09/08/2017"), d(2017, 8, 9));
        assert_eq!(parse_date("9/8/2017"), d(2017, 8, 9));
        assert_eq!(parse_date("08/25/2017"), d(2017, 8, 25));
        assert_eq!(parse_date("13/13/2017"), None);
        assert_eq!(parse_date("9 серпня 2017"), d(2017, 8, 9));
        assert_eq!(parse_date("1 березня 2020 р."), d(2020, 3, 1));
        assert_eq!(parse_date("14 жовтня 2022 року"), d(2022, 10, 14));
        assert_eq!(parse_date("9 August 2017, 14:30"), d(2017, 8, 9));
        assert_eq!(parse_date("August 9, 2017 at 2:30 pm"), d(2017, 8, 9));
        assert_eq!(parse_date("9 August 2017 | 14:30 MSK"), d(2017, 8, 9));
        assert_eq!(parse_date("9 августа 2017, 14:30"), d(2017, 8, 9));
        assert_eq!(
            parse_date("Wednesday, 9 August 2017, 10:05 +03:00"),
            d(2017, 8, 9)
        );
        // Still not dates: words after the date that are not a time.
        assert_eq!(parse_date("9 August 2017 at the festival"), None);
        assert_eq!(parse_date("9 August 2017, 14"), None);
    }

    #[test]
    fn sentences_and_impossible_dates_are_not_dates() {
        assert_eq!(parse_date("9 August 2017 was hot"), None);
        assert_eq!(parse_date("31 February 2020"), None);
        assert_eq!(parse_date("May the force"), None);
        assert_eq!(parse_date("Read more"), None);
        assert_eq!(parse_date(""), None);
    }
}
