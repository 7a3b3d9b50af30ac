//! `newsdesk serve` driven over real HTTP, and the CLI/Maildir unsubscribe
//! paths.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;

use crate::digest::sample_site;
use crate::util::{NOW, Site, json_lines, run};

/// A running `newsdesk serve`, stopped (SIGTERM via kill) on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real binary on a free loopback port (found by binding port 0
/// and releasing it; retried if another process takes it meanwhile).
fn serve(site: &Site, extra: &[&str]) -> Server {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("newsdesk"))
            .current_dir(site.path())
            .env_remove("NEWSDESK_LOG")
            .env("NEWSDESK_CONFIG", site.config_path())
            .env("NEWSDESK_NOW", NOW)
            .args(["serve", "--listen", &addr])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Some(_status) = child.try_wait().unwrap() {
                break; // exited: most likely the port was taken; try another
            }
            if TcpStream::connect(&addr).is_ok() {
                return Server {
                    child,
                    base: format!("http://{addr}"),
                };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut err = String::new();
        let _ = child.kill();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let _ = child.wait();
        eprintln!("serve did not start on {addr}: {err}");
    }
    panic!("could not start newsdesk serve");
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A site with the sample articles and one subscriber; returns its token.
fn site_with_subscriber() -> (Site, String) {
    let site = sample_site();
    let (code, _, err) = run(site.cmd().args(["subscribers", "add", "nino@example.org"]));
    assert_eq!(code, 0, "{err}");
    let token = site
        .store()
        .subscriber_by_email("nino@example.org")
        .unwrap()
        .unwrap()
        .token;
    (site, token)
}

fn status_of(site: &Site) -> String {
    site.store()
        .subscriber_by_email("nino@example.org")
        .unwrap()
        .unwrap()
        .status
        .as_str()
        .to_string()
}

/// The hidden CSRF field's value in a page.
fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[at..].split('"').next().unwrap().to_string()
}

/// The RFC 8058 one-click POST a mail client sends for `token`.
fn one_click(c: &Client, base: &str, token: &str) -> reqwest::blocking::Response {
    c.post(format!("{base}/unsubscribe?token={token}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .unwrap()
}

#[test]
fn one_click_post_unsubscribes_at_once_and_records_the_source() {
    let (site, token) = site_with_subscriber();
    let s = serve(&site, &[]);
    let r = one_click(&client(), &s.base, &token);
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(status_of(&site), "unsubscribed");

    let (code, out, _) = run(site.cmd().args(["subscribers", "list", "--json"]));
    assert_eq!(code, 0);
    let l = &json_lines(&out)[0];
    assert_eq!(l["source"], "one-click");
    let history = l["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["event"], "unsubscribed");
    assert_eq!(history.last().unwrap()["source"], "one-click");
    assert_eq!(history.last().unwrap()["at"], NOW);
}

#[test]
fn get_shows_a_confirm_page_and_the_form_needs_its_csrf_token() {
    let (site, token) = site_with_subscriber();
    let s = serve(&site, &[]);
    let c = client();
    let url = format!("{}/unsubscribe?token={token}", s.base);
    let r = c.get(&url).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().unwrap();
    assert!(page.contains("<form method=\"post\""), "{page}");
    assert!(page.contains("name=\"viewport\""));
    assert!(page.contains(&format!("/preferences?token={token}")));
    assert!(
        !page.contains("nino@example.org"),
        "the page shows only a hint"
    );
    assert!(!page.contains("<script"), "works without JavaScript");
    assert_eq!(status_of(&site), "active", "a GET never unsubscribes");

    // Without (or with a wrong) CSRF token: refused, nothing changes.
    for body in ["", "csrf=00", &format!("csrf={}", "ab".repeat(32))] {
        let r = c
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{body}");
        assert_eq!(status_of(&site), "active");
    }
    let r = c
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}", csrf_of(&page)))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().unwrap().contains("You are unsubscribed"));
    assert_eq!(status_of(&site), "unsubscribed");
    assert_eq!(
        site.store()
            .subscriber_by_email("nino@example.org")
            .unwrap()
            .unwrap()
            .source,
        "page"
    );
}

#[test]
fn preferences_change_the_sections_of_the_next_edition() {
    let (site, token) = site_with_subscriber();
    let s = serve(&site, &[]);
    let c = client();
    let url = format!("{}/preferences?token={token}", s.base);
    let page = c.get(&url).send().unwrap().text().unwrap();
    assert!(page.contains("value=\"caucasus-cinema\" checked"), "{page}");
    assert!(page.contains("value=\"festivals\" checked"));
    // Without CSRF: refused.
    let r = c
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("theme=caucasus-cinema")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nothing ticked: refused with a message.
    let csrf = csrf_of(&page);
    let r = c
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An unknown theme id is ignored; cinema only is stored.
    let r = c
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={csrf}&theme=caucasus-cinema&theme=%3Cscript%3E"
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().unwrap();
    assert!(page.contains("Saved."));
    assert!(!page.contains("<script>"));
    assert!(
        page.contains("value=\"festivals\">"),
        "festivals now unticked: {page}"
    );

    let sub = site
        .store()
        .subscriber_by_email("nino@example.org")
        .unwrap()
        .unwrap();
    assert_eq!(sub.themes, vec!["caucasus-cinema"]);
    let file = site.path().join("p.html");
    let (code, _, err) = run(site
        .cmd()
        .args(["digest", "--subscriber", "nino@example.org", "--preview"])
        .arg(&file));
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.contains("Closeness, a debut from Nalchik"));
    assert!(!html.contains("Sarajevo"), "festivals section is gone");
    assert!(!html.contains("Notes from the steppe"));
}

#[test]
fn bad_and_unknown_tokens_get_the_same_404_that_reveals_nothing() {
    let (site, token) = site_with_subscriber();
    let s = serve(&site, &[]);
    let c = client();
    let mut bodies = Vec::new();
    let unknown = "0".repeat(token.len());
    for q in [
        format!("token={unknown}"),
        "token=short".to_string(),
        "token=%27%20OR%201%3D1--".to_string(),
        format!("token={unknown}&token={unknown}"),
        "token=%ZZ%00".to_string(),
        String::new(),
        format!("token={}", &token[..token.len() - 1]),
    ] {
        for path in ["unsubscribe", "preferences"] {
            let r = c.get(format!("{}/{path}?{q}", s.base)).send().unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}?{q}");
            bodies.push(r.text().unwrap());
        }
        let r = c
            .post(format!("{}/unsubscribe?{q}", s.base))
            .body("List-Unsubscribe=One-Click")
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "one page for every case"
    );
    assert!(!bodies[0].contains("example.org"));
    assert_eq!(status_of(&site), "active");
}

#[test]
fn oversized_body_is_refused_with_413() {
    let (site, token) = site_with_subscriber();
    let s = serve(&site, &[]);
    let r = client()
        .post(format!("{}/unsubscribe?token={token}", s.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "List-Unsubscribe=One-Click&pad={}",
            "x".repeat(20_000)
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(status_of(&site), "active");
}

#[test]
fn repeated_requests_are_rate_limited_with_retry_after() {
    let (site, _) = site_with_subscriber();
    let s = serve(&site, &[]);
    let c = client();
    let mut codes = Vec::new();
    for _ in 0..35 {
        let r = c
            .get(format!("{}/unsubscribe?token=nope", s.base))
            .send()
            .unwrap();
        codes.push(r.status());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let after: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&after));
        }
    }
    assert!(
        codes[..30].iter().all(|c| *c == StatusCode::NOT_FOUND),
        "{codes:?}"
    );
    assert!(
        codes[30..]
            .iter()
            .all(|c| *c == StatusCode::TOO_MANY_REQUESTS),
        "{codes:?}"
    );
}

#[test]
fn one_click_posts_from_one_shared_address_are_never_rate_limited() {
    // A mailbox provider relays the one-click POSTs of many subscribers from
    // a few addresses; every request used to count, so the 31st unsubscribe
    // in a minute from Gmail's relay was answered 429 and never honoured.
    let site = sample_site();
    let mut tokens = Vec::new();
    for i in 0..40 {
        let email = format!("reader{i}@example.org");
        let (code, _, err) = run(site.cmd().args(["subscribers", "add", &email]));
        assert_eq!(code, 0, "{err}");
        tokens.push(
            site.store()
                .subscriber_by_email(&email)
                .unwrap()
                .unwrap()
                .token,
        );
    }
    let s = serve(&site, &[]);
    let c = client();
    for token in &tokens {
        let r = one_click(&c, &s.base, token);
        assert_eq!(r.status(), StatusCode::OK);
    }
    let store = site.store();
    let active = store
        .subscribers()
        .unwrap()
        .into_iter()
        .filter(|s| s.status.as_str() == "active")
        .count();
    assert_eq!(active, 0);
    // Guessing is still limited: failures drain the bucket, then even a
    // good token waits.
    let codes: Vec<StatusCode> = (0..31)
        .map(|_| {
            c.get(format!("{}/unsubscribe?token=nope", s.base))
                .send()
                .unwrap()
                .status()
        })
        .collect();
    assert!(
        codes[..30].iter().all(|c| *c == StatusCode::NOT_FOUND),
        "{codes:?}"
    );
    assert_eq!(codes[30], StatusCode::TOO_MANY_REQUESTS);
    let r = c
        .get(format!("{}/unsubscribe?token={}", s.base, tokens[0]))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[test]
fn preview_serves_feeds_with_types_etags_and_no_traversal() {
    let (site, _) = site_with_subscriber();
    let feeds = site.path().join("feeds");
    std::fs::create_dir_all(feeds.join("themes/festivals")).unwrap();
    std::fs::write(
        feeds.join("rss.xml"),
        "<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>",
    )
    .unwrap();
    std::fs::write(
        feeds.join("atom.xml"),
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>",
    )
    .unwrap();
    std::fs::write(
        feeds.join("feed.json"),
        r#"{"version":"https://jsonfeed.org/version/1.1"}"#,
    )
    .unwrap();
    std::fs::write(feeds.join("feeds.opml"), "<opml/>").unwrap();
    std::fs::write(feeds.join("themes/festivals/rss.xml"), "<rss/>").unwrap();
    std::fs::write(site.path().join("newsdesk.toml.secret"), "s").unwrap();
    std::os::unix::fs::symlink(site.config_path(), feeds.join("leak.xml")).unwrap();

    let s = serve(&site, &["--preview"]);
    let c = client();
    for (path, ctype) in [
        ("rss.xml", "application/rss+xml"),
        ("atom.xml", "application/atom+xml"),
        ("feed.json", "application/feed+json"),
        ("feeds.opml", "text/x-opml"),
        ("themes/festivals/rss.xml", "application/rss+xml"),
    ] {
        let r = c.get(format!("{}/feeds/{path}", s.base)).send().unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], ctype, "{path}");
    }
    let r = c.get(format!("{}/feeds/rss.xml", s.base)).send().unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let modified = r.headers()["last-modified"].to_str().unwrap().to_string();
    assert!(modified.ends_with(" GMT"));
    let r = c
        .get(format!("{}/feeds/rss.xml", s.base))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().unwrap().is_empty());
    let r = c
        .get(format!("{}/feeds/rss.xml", s.base))
        .header("If-None-Match", "\"other\"")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(format!("{}/feeds/rss.xml", s.base))
        .header("If-Modified-Since", &modified)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    for bad in [
        "/feeds/../newsdesk.toml",
        "/feeds/%2e%2e/newsdesk.toml",
        "/feeds/leak.xml",
        "/feeds/..%2fnewsdesk.toml",
    ] {
        let r = c.get(format!("{}{bad}", s.base)).send().unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(!r.text().unwrap().contains("[site]"), "{bad}");
    }

    let r = c.get(format!("{}/preview", s.base)).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().unwrap();
    assert!(html.contains("Notes from the steppe") && html.contains("Sarajevo"));
}

#[test]
fn without_preview_the_files_are_not_served() {
    let (site, _) = site_with_subscriber();
    std::fs::create_dir_all(site.path().join("feeds")).unwrap();
    std::fs::write(site.path().join("feeds/rss.xml"), "<rss/>").unwrap();
    let s = serve(&site, &[]);
    for p in ["/feeds/rss.xml", "/preview", "/"] {
        let r = client().get(format!("{}{p}", s.base)).send().unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{p}");
    }
}

#[test]
fn cli_unsubscribe_by_token_records_cli_and_rejects_unknown_tokens() {
    let (site, token) = site_with_subscriber();
    let (code, out, _) = run(site
        .cmd()
        .args(["subscribers", "unsubscribe", "--token", &token]));
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "unsubscribed nino@example.org");
    assert_eq!(status_of(&site), "unsubscribed");
    let (code, out, _) = run(site
        .cmd()
        .args(["subscribers", "unsubscribe", "--token", &token]));
    assert_eq!(code, 0);
    assert!(out.contains("already unsubscribed"));
    let (code, _, err) =
        run(site
            .cmd()
            .args(["subscribers", "unsubscribe", "--token", "feedface"]));
    assert_eq!(code, 65);
    assert!(err.contains("no subscriber has that token"), "{err}");
}

#[test]
fn process_unsubscribes_reads_a_maildir_and_unsubscribes_senders() {
    let (site, _) = site_with_subscriber();
    run(site.cmd().args(["subscribers", "add", "giorgi@example.ge"]));
    run(site.cmd().args(["subscribers", "add", "stays@example.org"]));
    let md = site.path().join("Maildir");
    for d in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    std::fs::write(
        md.join("new/1700000001.M1P1.host"),
        "From: Nino <NINO@Example.ORG>\r\nTo: unsubscribe@news.example.org\r\nSubject: unsubscribe\r\n\r\nplease\r\n",
    )
    .unwrap();
    std::fs::write(
        md.join("new/1700000002.M2P1.host"),
        "From: =?UTF-8?B?0JPQuNC+0YDQs9C4?= <giorgi@example.ge>\r\nSubject: =?UTF-8?Q?unsubscribe?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nstop\r\n",
    )
    .unwrap();
    std::fs::write(
        md.join("new/1700000004.M4P1.host"),
        "From: stays@example.org\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\naway\r\n",
    )
    .unwrap();
    std::fs::write(
        md.join("new/1700000003.M3P1.host"),
        "From: stranger@example.net\r\nSubject: unsubscribe\r\n\r\n",
    )
    .unwrap();
    let (code, out, err) = run(site
        .cmd()
        .arg("subscribers")
        .arg("process-unsubscribes")
        .arg(&md));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2 unsubscribed, 0 already unsubscribed, 2 not subscribers"),
        "{out}"
    );
    assert_eq!(status_of(&site), "unsubscribed");
    let store = site.store();
    let g = store
        .subscriber_by_email("giorgi@example.ge")
        .unwrap()
        .unwrap();
    assert_eq!(
        (g.status.as_str(), g.source.as_str()),
        ("unsubscribed", "mailto")
    );
    assert_eq!(
        store
            .subscriber_by_email("stays@example.org")
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "active"
    );
    // Handled mail moved to cur/ and flagged seen; a rerun changes nothing.
    assert_eq!(std::fs::read_dir(md.join("new")).unwrap().count(), 0);
    assert!(md.join("cur/1700000001.M1P1.host:2,S").exists());
    let (code, out, _) = run(site
        .cmd()
        .arg("subscribers")
        .arg("process-unsubscribes")
        .arg(&md));
    assert_eq!(code, 0);
    assert!(
        out.contains("0 unsubscribed, 2 already unsubscribed"),
        "{out}"
    );
}

/// Regression: a message that cannot be read stayed in `new/`, so every cron
/// run printed the same error and exited 65.
#[test]
fn unreadable_unsubscribe_mail_is_reported_once_not_on_every_run() {
    let (site, _) = site_with_subscriber();
    let md = site.path().join("Maildir");
    for d in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    std::fs::write(
        md.join("new/1700000009.M9P1.host"),
        "Subject: no sender\r\n\r\nhi\r\n",
    )
    .unwrap();
    let process = || {
        run(site
            .cmd()
            .args(["subscribers", "process-unsubscribes", "-q"])
            .arg(&md))
    };
    let (code, out, err) = process();
    assert_eq!(code, 65, "{out}{err}");
    assert!(
        err.contains("1700000009.M9P1.host: no From: address"),
        "{err}"
    );
    assert!(out.contains("1 unreadable"), "{out}");
    assert!(md.join("cur/1700000009.M9P1.host:2,S").exists());
    // The next cron run is quiet and clean; the message stays for a human.
    let (code, out, err) = process();
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    assert!(md.join("cur/1700000009.M9P1.host:2,S").exists());
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let (site, _) = site_with_subscriber();
    let mut s = serve(&site, &[]);
    let pid = s.child.id().to_string();
    let st = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(st.success());
    let start = Instant::now();
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "graceful shutdown exits 0");
}

#[test]
fn preview_serves_real_feeds_and_web_copies_with_their_types() {
    let (site, _) = site_with_subscriber();
    let (code, _, err) = run(site.cmd().args(["feeds", "-q"]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(site.cmd().args(["digest", "-q"]));
    assert_eq!(code, 0, "{err}");
    let s = serve(&site, &["--preview"]);
    let c = client();
    for (path, ctype) in [
        ("/feeds/rss.xml", "application/rss+xml"),
        ("/feeds/atom.xml", "application/atom+xml"),
        ("/feeds/feed.json", "application/feed+json"),
        ("/feeds/feeds.opml", "text/x-opml"),
        ("/feeds/themes/festivals/atom.xml", "application/atom+xml"),
        ("/digests/1/", "text/html; charset=utf-8"),
    ] {
        let r = c.get(format!("{}{path}", s.base)).send().unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], ctype, "{path}");
    }
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let (site, _) = site_with_subscriber();
    let c = client();
    let hit = |s: &Server, xff: &str| {
        c.get(format!("{}/unsubscribe?token=nope", s.base))
            .header("X-Forwarded-For", xff)
            .send()
            .unwrap()
            .status()
    };
    let s = serve(&site, &["--trust-proxy"]);
    for _ in 0..30 {
        assert_eq!(hit(&s, "203.0.113.9, 192.0.2.1"), StatusCode::NOT_FOUND);
    }
    assert_eq!(hit(&s, "192.0.2.1"), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(hit(&s, "192.0.2.2"), StatusCode::NOT_FOUND);
    drop(s);
    // Without the flag the header is ignored: one bucket for the peer.
    let s = serve(&site, &[]);
    for i in 0..30 {
        assert_eq!(hit(&s, &format!("192.0.2.{i}")), StatusCode::NOT_FOUND);
    }
    assert_eq!(hit(&s, "192.0.2.200"), StatusCode::TOO_MANY_REQUESTS);
}

fn addr_of(s: &Server) -> &str {
    s.base.strip_prefix("http://").unwrap()
}

/// Reads until the server closes the connection; panics if it has not
/// within `limit` (the server must be the one to end it).
fn read_until_closed(c: &mut TcpStream, limit: Duration) -> String {
    c.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    match c.read_to_end(&mut got) {
        Ok(_) => {}
        // A close with unread input pending may come as a reset.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server kept the connection open: {e}"),
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn slow_headers_and_idle_connections_are_closed_after_the_timeout() {
    use std::io::Write;
    let (site, token) = site_with_subscriber();
    let s = serve(&site, &["--timeout", "1"]);
    // Slowloris: headers started, never finished.
    let mut slow = TcpStream::connect(addr_of(&s)).unwrap();
    slow.write_all(b"GET /unsubscribe HTTP/1.1\r\nHost: x\r\nX-A: ")
        .unwrap();
    // Connected, silent.
    let mut idle = TcpStream::connect(addr_of(&s)).unwrap();
    read_until_closed(&mut slow, Duration::from_secs(8));
    read_until_closed(&mut idle, Duration::from_secs(8));
    // A keep-alive connection is closed once idle, after its answer.
    let mut kept = TcpStream::connect(addr_of(&s)).unwrap();
    write!(
        kept,
        "GET /unsubscribe?token={token} HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let answer = read_until_closed(&mut kept, Duration::from_secs(8));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The server still answers everyone else.
    let r = client()
        .get(format!("{}/unsubscribe?token={token}", s.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[test]
fn a_body_sent_too_slowly_gets_408_and_changes_nothing() {
    use std::io::Write;
    let (site, token) = site_with_subscriber();
    let s = serve(&site, &["--timeout", "1"]);
    let mut c = TcpStream::connect(addr_of(&s)).unwrap();
    let body = "List-Unsubscribe=One-Click";
    write!(
        c,
        "POST /unsubscribe?token={token} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..5]
    )
    .unwrap();
    let answer = read_until_closed(&mut c, Duration::from_secs(8));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(status_of(&site), "active");
}

#[test]
fn connections_over_the_cap_wait_until_one_closes() {
    use std::io::Write;
    let (site, token) = site_with_subscriber();
    let s = serve(&site, &["--max-connections", "1", "--timeout", "30"]);
    // The readiness probe's connection may still hold the slot for a moment.
    std::thread::sleep(Duration::from_millis(200));
    let first = TcpStream::connect(addr_of(&s)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut second = TcpStream::connect(addr_of(&s)).unwrap();
    write!(
        second,
        "GET /unsubscribe?token={token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut buf = [0u8; 64];
    let waited = second.read(&mut buf);
    assert!(
        waited.is_err(),
        "answered while the only slot was taken: {waited:?}"
    );
    drop(first);
    let answer = read_until_closed(&mut second, Duration::from_secs(8));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
