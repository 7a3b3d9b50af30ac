//! `feeds.opml`: one outline per feed (its RSS URL, the format every reader
//! imports), so a reader can subscribe to all of them at once.

use super::content::esc;

/// A feed as listed in the OPML file and on the index page.
#[derive(Debug, Clone)]
pub struct Listed {
    pub title: String,
    pub description: String,
    pub rss: String,
    pub atom: String,
    pub json: String,
    pub home: String,
    /// Latest entries: (title, link).
    pub latest: Vec<(String, String)>,
}

pub fn render(site_title: &str, feeds: &[Listed]) -> Vec<u8> {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n  <head>\n");
    s.push_str(&format!(
        "    <title>{}</title>\n",
        esc(&format!("{site_title} feeds"))
    ));
    s.push_str("  </head>\n  <body>\n");
    for f in feeds {
        s.push_str(&format!(
            "    <outline type=\"rss\" text=\"{t}\" title=\"{t}\" description=\"{d}\" xmlUrl=\"{x}\" htmlUrl=\"{h}\"/>\n",
            t = esc(&f.title),
            d = esc(&f.description),
            x = esc(&f.rss),
            h = esc(&f.home),
        ));
    }
    s.push_str("  </body>\n</opml>\n");
    s.into_bytes()
}
