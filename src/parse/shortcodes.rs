//! Hugo shortcodes in Markdown bodies (`{{< youtube id >}}`,
//! `{{% note %}}…{{% /note %}}`), turned into what they stand for before the
//! Markdown is read: a Hugo site's archive would otherwise show them as text
//! in every feed and email.
//!
//! The common embeds become what a reader can follow without Hugo: `figure`
//! an image with its caption, `youtube`/`vimeo`/`tweet`/`instagram`/`gist` a
//! link, `highlight` a code block. A paired shortcode keeps its content,
//! anything else is dropped. Code blocks and code spans are left alone, and
//! Hugo's escaped form `{{</* x */>}}` becomes the literal `{{< x >}}`.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::{Captures, Regex};

/// `body` with its shortcodes replaced; borrowed when it has none.
pub fn expand(body: &str) -> Cow<'_, str> {
    if !body.contains("{{<") && !body.contains("{{%") {
        return body.into();
    }
    let mut out = String::with_capacity(body.len());
    let mut fence: Option<String> = None;
    // Text between code blocks, expanded as a whole: a shortcode's
    // arguments may run over several lines.
    let mut text = String::new();
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(f) = &fence {
            if trimmed.starts_with(f.as_str()) {
                fence = None;
            }
            out.push_str(&replace(line, false));
            continue;
        }
        if let Some(f) = ["```", "~~~"].iter().find(|f| trimmed.starts_with(**f)) {
            let mark = f.chars().next().unwrap_or('`');
            fence = Some(trimmed.chars().take_while(|c| *c == mark).collect());
            expand_text(&std::mem::take(&mut text), &mut out);
            out.push_str(&replace(line, false));
            continue;
        }
        text.push_str(line);
    }
    expand_text(&text, &mut out);
    out.into()
}

/// Text outside code blocks: shortcodes replaced, except in code spans
/// (where, as in Hugo, only the escaped form is unescaped).
fn expand_text(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(tick) = rest.find('`') {
        let (before, after) = rest.split_at(tick);
        out.push_str(&replace(before, true));
        let run = after.bytes().take_while(|b| *b == b'`').count();
        let closer = &after[..run];
        match after[run..].find(closer) {
            Some(end) => {
                out.push_str(&replace(&after[..run + end + run], false));
                rest = &after[run + end + run..];
            }
            None => {
                out.push_str(&replace(after, false));
                return;
            }
        }
    }
    out.push_str(&replace(rest, true));
}

/// Every shortcode in `text` replaced (`render`), or only the escaped ones
/// made literal (code, where Hugo renders nothing else).
fn replace(text: &str, render_all: bool) -> Cow<'_, str> {
    if !text.contains("{{") {
        return text.into();
    }
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r#"\{\{([<%])\s*(/\*)?\s*(/)?\s*([A-Za-z][\w./-]*)((?:[^"'>%]|"[^"]*"|'[^']*')*?)\s*(\*/)?\s*[>%]\}\}"#,
        )
        .expect("static regex")
    });
    re.replace_all(text, |c: &Captures<'_>| {
        let name = &c[4];
        let args = c.get(5).map_or("", |m| m.as_str());
        if c.get(2).is_some() {
            // Escaped: the shortcode itself, as text.
            let (open, close) = if &c[1] == "<" { ("<", ">") } else { ("%", "%") };
            let slash = if c.get(3).is_some() { "/" } else { "" };
            return format!("{{{{{open} {slash}{name}{args} {close}}}}}");
        }
        if !render_all {
            return c[0].to_string();
        }
        if c.get(3).is_some() {
            // A closing tag: the paired content stays, the tag goes. A
            // highlight block ends its fence.
            return if name == "highlight" {
                "\n```\n".into()
            } else {
                String::new()
            };
        }
        render(name, &Args::parse(args))
    })
}

/// What one opening or self-closing shortcode becomes.
fn render(name: &str, args: &Args) -> String {
    let link = |label: &str, url: String| format!("[{label}]({url})");
    match name {
        "figure" => {
            let Some(src) = args.get("src", 0) else {
                return String::new();
            };
            let alt = args
                .get("alt", usize::MAX)
                .or(args.get("title", usize::MAX));
            let caption = args
                .get("caption", usize::MAX)
                .or(args.get("title", usize::MAX));
            let mut s = format!("\n\n![{}]({})", md_text(alt.unwrap_or("")), md_url(src));
            if let Some(c) = caption {
                s.push_str(&format!("\n\n*{}*", md_text(c)));
            }
            s.push_str("\n\n");
            s
        }
        "youtube" => args.get("id", 0).map_or_else(String::new, |id| {
            link(
                "Video on YouTube",
                format!("https://www.youtube.com/watch?v={}", url_part(id)),
            )
        }),
        "vimeo" => args.get("id", 0).map_or_else(String::new, |id| {
            link(
                "Video on Vimeo",
                format!("https://vimeo.com/{}", url_part(id)),
            )
        }),
        "tweet" | "x" => {
            let user = args.get("user", usize::MAX);
            let id = args
                .get("id", usize::MAX)
                .or(args.get("", 1))
                .or(args.get("", 0));
            match (user, id) {
                (Some(u), Some(id)) => link(
                    "Post on X",
                    format!("https://x.com/{}/status/{}", url_part(u), url_part(id)),
                ),
                (None, Some(id)) => link(
                    "Post on X",
                    format!("https://x.com/i/status/{}", url_part(id)),
                ),
                _ => String::new(),
            }
        }
        "instagram" => args.get("id", 0).map_or_else(String::new, |id| {
            link(
                "Post on Instagram",
                format!("https://www.instagram.com/p/{}/", url_part(id)),
            )
        }),
        "gist" => match (args.get("user", 0), args.get("id", 1)) {
            (Some(u), Some(id)) => link(
                "Code on GitHub",
                format!("https://gist.github.com/{}/{}", url_part(u), url_part(id)),
            ),
            _ => String::new(),
        },
        "highlight" => format!("\n```{}\n", url_part(args.get("", 0).unwrap_or(""))),
        _ => String::new(),
    }
}

/// Shortcode arguments: positional (`"a" b`) or named (`src="a" b=c`).
struct Args {
    items: Vec<(String, String)>,
}

impl Args {
    fn parse(raw: &str) -> Args {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r#"(?:([\w-]+)\s*=\s*)?(?:"([^"]*)"|'([^']*)'|`([^`]*)`|([^\s"'`]+))"#)
                .expect("static regex")
        });
        let items = re
            .captures_iter(raw)
            .map(|c| {
                let key = c.get(1).map_or("", |m| m.as_str()).to_ascii_lowercase();
                let value = (2..=5)
                    .find_map(|i| c.get(i))
                    .map_or("", |m| m.as_str())
                    .to_string();
                (key, value)
            })
            .collect();
        Args { items }
    }

    /// The argument named `key`, else the positional one at `pos`.
    fn get(&self, key: &str, pos: usize) -> Option<&str> {
        let named = (!key.is_empty())
            .then(|| self.items.iter().find(|(k, _)| k == key))
            .flatten();
        named
            .or_else(|| self.items.iter().filter(|(k, _)| k.is_empty()).nth(pos))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Text for Markdown link or image text: no brackets to end it early.
fn md_text(s: &str) -> String {
    s.replace(['[', ']'], "").replace('\n', " ")
}

/// A URL in Markdown link syntax: spaces and parentheses escaped.
fn md_url(s: &str) -> String {
    s.trim()
        .replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
}

/// An id or name inside a URL: only characters that cannot leave it.
fn url_part(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_embeds_become_links_images_and_code() {
        assert_eq!(
            expand("Watch: {{< youtube 0RKpf3rK57I >}} now."),
            "Watch: [Video on YouTube](https://www.youtube.com/watch?v=0RKpf3rK57I) now."
        );
        assert_eq!(
            expand(r#"{{< youtube id="w7Ft2ymGmfc" autoplay="true" >}}"#),
            "[Video on YouTube](https://www.youtube.com/watch?v=w7Ft2ymGmfc)"
        );
        assert_eq!(
            expand(
                r#"{{< figure src="/img/jury.jpg" alt="The jury" caption="The jury, [2019]" >}}"#
            ),
            "\n\n![The jury](/img/jury.jpg)\n\n*The jury, 2019*\n\n"
        );
        assert_eq!(
            expand(r#"{{< tweet user="SanDiegoZoo" id="1453110110599868418" >}}"#),
            "[Post on X](https://x.com/SanDiegoZoo/status/1453110110599868418)"
        );
        assert_eq!(
            expand("{{< highlight go >}}\nfmt.Println(1)\n{{< / highlight >}}\n"),
            "\n```go\n\nfmt.Println(1)\n\n```\n\n"
        );
    }

    #[test]
    fn paired_shortcodes_keep_their_content_and_unknown_ones_go() {
        assert_eq!(
            expand("{{% note %}}Mind the **gap**.{{% /note %}} {{< ref \"other.md\" >}}End."),
            "Mind the **gap**. End."
        );
    }

    #[test]
    fn code_and_escaped_shortcodes_are_left_as_text() {
        let fenced = "```\n{{< youtube abc >}}\n```\n";
        assert_eq!(expand(fenced), fenced);
        let tilde = "~~~~md\n{{< x >}}\n~~~\nstill code\n~~~~\n{{< x >}}after";
        assert_eq!(
            expand(tilde),
            "~~~~md\n{{< x >}}\n~~~\nstill code\n~~~~\nafter"
        );
        assert_eq!(
            expand("Use `{{< youtube id >}}` here."),
            "Use `{{< youtube id >}}` here."
        );
        // Escaped shortcodes are literal everywhere, code included.
        assert_eq!(
            expand(
                "Write {{</* youtube abc */>}} and `{{%/* /note */%}}`.\n```\n{{</* x */>}}\n```\n"
            ),
            "Write {{< youtube abc >}} and `{{% /note %}}`.\n```\n{{< x >}}\n```\n"
        );
        // Arguments over several lines.
        assert_eq!(
            expand("A\n{{< figure\n  src=\"/a.jpg\"\n  alt=\"Alt\" >}}\nB"),
            "A\n\n\n![Alt](/a.jpg)\n\n\nB"
        );
    }

    #[test]
    fn text_without_shortcodes_is_borrowed_and_hostile_ids_stay_in_their_url() {
        assert!(matches!(expand("Plain {{ text }}."), Cow::Borrowed(_)));
        assert_eq!(
            expand(r#"{{< youtube "a&b/../<x> onerror=alert(1)" >}}"#),
            "[Video on YouTube](https://www.youtube.com/watch?v=ab..xonerroralert1)"
        );
    }
}
