//! `index.html`: a small readable page listing every feed in every format,
//! with `<link rel="alternate">` autodiscovery tags and the latest titles.

use super::content::esc;
use super::opml::Listed;

pub fn render(site_title: &str, language: &str, home: &str, feeds: &[Listed]) -> Vec<u8> {
    let mut s = String::new();
    s.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — feeds</title>\n",
        esc(language),
        esc(site_title)
    ));
    for f in feeds {
        for (mime, url, kind) in [
            ("application/rss+xml", &f.rss, "RSS"),
            ("application/atom+xml", &f.atom, "Atom"),
            ("application/feed+json", &f.json, "JSON Feed"),
        ] {
            s.push_str(&format!(
                "<link rel=\"alternate\" type=\"{mime}\" title=\"{} ({kind})\" href=\"{}\">\n",
                esc(&f.title),
                esc(url)
            ));
        }
    }
    s.push_str(
        "<style>body{font:1rem/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}\
         h2{margin-top:2rem}.formats a{margin-right:.75rem}</style>\n</head>\n<body>\n",
    );
    s.push_str(&format!(
        "<h1><a href=\"{}\">{}</a> — feeds</h1>\n<p>Subscribe in any feed reader: paste a link below, \
         or import <a href=\"feeds.opml\">all feeds (OPML)</a>.</p>\n",
        esc(home),
        esc(site_title)
    ));
    for f in feeds {
        s.push_str(&format!("<section>\n<h2>{}</h2>\n", esc(&f.title)));
        if !f.description.is_empty() {
            s.push_str(&format!("<p>{}</p>\n", esc(&f.description)));
        }
        s.push_str(&format!(
            "<p class=\"formats\"><a href=\"{}\">RSS</a> <a href=\"{}\">Atom</a> <a href=\"{}\">JSON Feed</a></p>\n",
            esc(&f.rss),
            esc(&f.atom),
            esc(&f.json)
        ));
        if f.latest.is_empty() {
            s.push_str("<p>No articles yet.</p>\n");
        } else {
            s.push_str("<ul>\n");
            for (title, link) in &f.latest {
                s.push_str(&format!(
                    "<li><a href=\"{}\">{}</a></li>\n",
                    esc(link),
                    esc(title)
                ));
            }
            s.push_str("</ul>\n");
        }
        s.push_str("</section>\n");
    }
    s.push_str("</body>\n</html>\n");
    s.into_bytes()
}
