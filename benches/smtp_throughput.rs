//! Throughput benchmark: newsdesk's delivery engine against postfix's
//! `smtp-sink` on 127.0.0.1, 4 sessions, ~5 KB messages, compared with
//! postfix's own `smtp-source` load generator on the same sink.
//!
//! Run: `cargo bench --bench smtp_throughput` (needs the Debian `postfix`
//! package for smtp-sink/smtp-source; the postfix daemon is not used).
//! Environment: BENCH_MESSAGES (default 20000), BENCH_SESSIONS (default 4).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use newsdesk::config::Config;
use newsdesk::mail::{DigestEmail, Mailer, Recipient, SendOptions, Sender};
use newsdesk::store::Store;

fn main() {
    let n: usize = env("BENCH_MESSAGES", 20_000);
    let sessions: usize = env("BENCH_SESSIONS", 4);
    let port = free_port();
    let mut sink = Command::new("smtp-sink");
    if is_root() {
        // smtp-sink refuses to run as root without dropping privileges.
        sink.args(["-u", "nobody"]);
    }
    let Ok(mut sink) = sink
        .args(["-c", &format!("127.0.0.1:{port}"), "256"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        eprintln!("smtp-sink not found (install Debian's postfix package)");
        std::process::exit(2);
    };
    wait_for(port);

    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("newsdesk.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "[site]\ntitle = \"Bench Desk\"\nbase_url = \"https://news.example.org/\"\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
             concurrency = {sessions}\nmax_messages_per_connection = 100000\n"
        ),
    )
    .unwrap();
    let config = Config::load(&cfg_path).unwrap();
    let store = Store::open(&config.store_path()).unwrap();
    drop(store);
    {
        let c = rusqlite::Connection::open(config.store_path()).unwrap();
        c.execute(
            "INSERT INTO editions(number, created_at) VALUES (1, '2026-11-19T00:00:00Z')",
            [],
        )
        .unwrap();
        let tx = c.unchecked_transaction().unwrap();
        for i in 1..=n {
            tx.execute(
                "INSERT INTO subscribers(id, email, name, token, status, created_at, updated_at,
                                         status_changed_at)
                 VALUES (?1, ?2, ?3, ?4, 'active', '2026-11-01T00:00:00Z',
                         '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
                rusqlite::params![
                    i as i64,
                    format!("reader{i}@example.net"),
                    format!("Reader {i}"),
                    format!("tok{i:08}")
                ],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let store = Store::open(&config.store_path()).unwrap();
    let sender = Sender {
        from: "Bench Desk <digest@news.example.org>",
        reply_to: None,
        unsubscribe_mailto: None,
    };
    let mailer = Mailer::from_config(&config, &sender).unwrap();
    let para = "Closeness follows a Jewish family in Nalchik in 1998 after a kidnapping; \
                the director, then twenty-six, shot it with non-professional actors. ";
    let compose = |edition: i64, r: &Recipient| -> anyhow::Result<Option<DigestEmail>> {
        let mut html = String::from("<html><body>");
        let mut text = String::new();
        while text.len() < 2000 {
            html.push_str(&format!("<p>{para}</p>"));
            text.push_str(para);
            text.push('\n');
        }
        html.push_str("</body></html>");
        Ok(Some(DigestEmail {
            subject: format!("Bench digest #{edition}"),
            html,
            text,
            unsubscribe_url: format!("https://news.example.org/u?token={}", r.token),
        }))
    };
    let sample = compose(
        1,
        &Recipient {
            subscriber_id: 1,
            email: "reader1@example.net".into(),
            name: Some("Reader 1".into()),
            token: "tok00000001".into(),
        },
    )
    .unwrap()
    .unwrap();
    let now = "2026-11-20T08:00:00Z".parse().unwrap();
    let started = Instant::now();
    let report = mailer
        .send(&store, &compose, now, &SendOptions::default())
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(report.sent, n);
    let r1 = Recipient {
        subscriber_id: 1,
        email: "reader1@example.net".into(),
        name: Some("Reader 1".into()),
        token: "tok00000001".into(),
    };
    let msg_len = mailer
        .settings
        .build(&r1, &sample, "<1.1.0@news.example.org>", now)
        .unwrap()
        .formatted()
        .len();
    println!(
        "newsdesk: {n} messages (~{} bytes each), {sessions} sessions, ledger commit per message: \
         {secs:.2} s, {:.0} messages/s",
        msg_len,
        n as f64 / secs
    );

    let started = Instant::now();
    let status = Command::new("smtp-source")
        .args([
            "-s",
            &sessions.to_string(),
            "-l",
            &msg_len.to_string(),
            "-m",
            &n.to_string(),
            "-f",
            "digest@news.example.org",
            "-t",
            "reader@example.net",
            &format!("127.0.0.1:{port}"),
        ])
        .status()
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert!(status.success());
    println!(
        "smtp-source: {n} messages ({msg_len} bytes), {sessions} sessions: {secs:.2} s, {:.0} messages/s",
        n as f64 / secs
    );
    let _ = sink.kill();
    let _ = sink.wait();
}

fn env(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("smtp-sink did not start on port {port}");
}
