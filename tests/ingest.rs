//! `newsdesk ingest`: scanning, change detection and per-file errors.

use crate::util::*;

#[test]
fn missing_archive_dir_exits_66() {
    let site = Site::new();
    std::fs::remove_dir(site.path().join("archive")).unwrap();
    let (code, _, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 66, "{err}");
    assert!(err.contains("archive"), "{err}");
}

#[test]
fn bad_config_exits_78_naming_the_key() {
    let site =
        Site::with_config("[site]\ntitle = \"x\"\nbase_url = \"https://e.org/\"\ncolour = 1\n");
    let (code, _, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 78, "{err}");
    assert!(
        err.contains("colour") && err.contains("newsdesk.toml"),
        "{err}"
    );
}

#[test]
fn empty_file_is_rejected_once_and_not_reported_again_until_changed() {
    let site = Site::new();
    site.write("empty.txt", "");
    let (code, out, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 65, "{err}");
    assert!(
        err.contains("archive/empty.txt") && err.contains("empty"),
        "{err}"
    );
    assert!(out.contains("0 new, 0 updated, 1 rejected"), "{out}");
    let (code, out, err) = run(site.cmd().args(["ingest", "-q"]));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

/// A small original text export; `n` makes each one distinct.
fn text_article(n: usize) -> String {
    format!(
        "Test Desk\n\nDispatch number {n}\n\n2022-10-14\n\nThe {n}th dispatch arrived by train. It was short.\n\nNothing else happened that day."
    )
}

fn ingest_json(site: &Site) -> (i32, serde_json::Value, String) {
    let (code, out, err) = run(site.cmd().args(["ingest", "--json"]));
    let v = json_lines(&out).pop().expect("one JSON summary");
    (code, v, err)
}

#[test]
fn second_ingest_of_a_thousand_files_parses_nothing() {
    let site = Site::new();
    for n in 0..1000 {
        if n % 2 == 0 {
            site.write(&format!("{:02}/t{n}.txt", n % 10), text_article(n));
        } else {
            site.write(
                &format!("{:02}/m{n}.md", n % 10),
                format!("---\ntitle: Note {n}\ndate: 2021-01-02\n---\nBody of note {n}.\n"),
            );
        }
    }
    let (code, v, err) = ingest_json(&site);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        (&v["scanned"], &v["parsed"], &v["new"]),
        (&1000.into(), &1000.into(), &1000.into()),
        "{v}"
    );
    assert_eq!(site.store().article_count().unwrap(), 1000);
    let (code, v, err) = ingest_json(&site);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["scanned"], 1000, "{v}");
    assert_eq!(v["parsed"], 0, "{v}");
    assert_eq!(v["new"], 0, "{v}");
    assert_eq!(v["updated"], 0, "{v}");
    assert_eq!(v["rejected"], serde_json::json!([]), "{v}");
}

/// Moves a file's mtime without changing its bytes.
fn touch(p: &std::path::Path) {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
}

/// Ingests a file, lets `between` change the store, touches the file
/// without changing its bytes, and checks the next pass parses nothing.
fn touched_file_is_not_reparsed(between: impl FnOnce(&Site)) {
    let site = Site::new();
    let p = site.write("a.txt", text_article(1));
    ingest_json(&site);
    between(&site);
    touch(&p);
    let (_, v, _) = ingest_json(&site);
    assert_eq!((&v["parsed"], &v["updated"]), (&0.into(), &0.into()), "{v}");
}

#[test]
fn touched_but_identical_file_is_read_but_not_reparsed() {
    touched_file_is_not_reparsed(|_| {});
}

#[test]
fn renamed_file_with_explicit_id_creates_no_duplicate() {
    let site = Site::new();
    let md = "---\nid: kinotavr-2022\ntitle: Kinotavr diary\n---\nDay one.\n";
    let old = site.write("drafts/kino.md", md);
    let (_, v, _) = ingest_json(&site);
    assert_eq!(v["new"], 1, "{v}");
    let before = site.store().article("kinotavr-2022").unwrap().unwrap();
    std::fs::rename(&old, site.path().join("archive/kinotavr-diary.md")).unwrap();
    let (code, v, err) = site
        .cmd()
        .env("NEWSDESK_NOW", "2026-11-21T08:00:00Z")
        .args(["ingest", "--json"])
        .output()
        .map(|o| {
            (
                o.status.code().unwrap(),
                serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!((&v["new"], &v["removed"]), (&0.into(), &0.into()), "{v}");
    let store = site.store();
    assert_eq!(store.article_count().unwrap(), 1);
    let after = store.article("kinotavr-2022").unwrap().unwrap();
    assert_eq!(after.source_path, "kinotavr-diary.md");
    assert_eq!(after.archived_at, before.archived_at);
    assert_eq!(after.seq, before.seq);
}

#[test]
fn changed_file_updates_the_article_and_keeps_archived_at() {
    let site = Site::new();
    let p = site.write("a.txt", text_article(1));
    ingest_json(&site);
    let before = site.store().article("a").unwrap().unwrap();
    std::fs::write(
        &p,
        text_article(1).replace("It was short.", "It was long, and late."),
    )
    .unwrap();
    let out = site
        .cmd()
        .env("NEWSDESK_NOW", "2026-12-01T09:00:00Z")
        .arg("ingest")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ingested 0 new, 1 updated, 0 rejected\n"
    );
    let after = site.store().article("a").unwrap().unwrap();
    assert_eq!(after.archived_at, before.archived_at);
    assert_eq!(after.updated_at.to_rfc3339(), "2026-12-01T09:00:00+00:00");
    assert_ne!(after.updated_at, before.updated_at);
    assert!(after.article.body_text.contains("long, and late"));
}

#[test]
fn one_bad_file_exits_65_and_the_others_are_stored() {
    let site = Site::new();
    site.write("a.txt", text_article(1));
    site.write("b.md", "---\ntitle: [unclosed\n---\nx\n");
    site.write("c.md", "# Good one\n\nText.\n");
    let (code, out, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 65, "{err}");
    assert_eq!(out, "ingested 2 new, 0 updated, 1 rejected\n");
    assert!(
        err.contains("archive/b.md") && err.contains("line 2"),
        "{err}"
    );
    let store = site.store();
    assert_eq!(store.article_count().unwrap(), 2);
    assert!(store.article("c").unwrap().is_some());
}

#[test]
fn quiet_no_op_ingest_prints_nothing() {
    let site = Site::new();
    site.write("a.txt", text_article(1));
    let (code, out, _) = run(site.cmd().args(["ingest", "-q"]));
    assert_eq!(
        (code, out.as_str()),
        (0, "ingested 1 new, 0 updated, 0 rejected\n")
    );
    let (code, out, err) = run(site.cmd().args(["ingest", "-q"]));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, _) = run(site.cmd().arg("ingest"));
    assert_eq!(
        (code, out.as_str()),
        (0, "ingested 0 new, 0 updated, 0 rejected\n")
    );
}

#[test]
fn oversized_file_is_rejected_without_stopping_the_others() {
    let site = Site::new();
    site.write("a.txt", text_article(1));
    let big = site.write("huge.txt", "");
    // Sparse: 17 MB on paper, nothing on disk.
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(17 * 1024 * 1024)
        .unwrap();
    let (code, out, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 65, "{err}");
    assert_eq!(out, "ingested 1 new, 0 updated, 1 rejected\n");
    assert!(
        err.contains("huge.txt") && err.contains("too large"),
        "{err}"
    );
}

#[test]
fn editing_the_stated_id_does_not_duplicate_the_article() {
    let site = Site::new();
    let p = site.write("k.md", "---\nid: first-id\ntitle: K\n---\nText.\n");
    ingest_json(&site);
    std::fs::write(&p, "---\nid: second-id\ntitle: K again\n---\nText.\n").unwrap();
    let (code, v, err) = ingest_json(&site);
    assert_eq!(code, 0, "{err}");
    assert_eq!((&v["new"], &v["updated"]), (&0.into(), &1.into()), "{v}");
    let store = site.store();
    assert_eq!(store.article_count().unwrap(), 1);
    assert_eq!(
        store.article("first-id").unwrap().unwrap().article.title,
        "K again"
    );
}

/// Stores written by earlier builds hold SHA-256 file hashes: rewrites every
/// `files.hash` the way such a store has it.
fn make_file_hashes_legacy(site: &Site) {
    let c = rusqlite::Connection::open(site.store().path()).unwrap();
    let keys: Vec<String> = c
        .prepare("SELECT key FROM files")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for key in keys {
        let bytes = std::fs::read(site.path().join(&key)).unwrap();
        c.execute(
            "UPDATE files SET hash = ?2 WHERE key = ?1",
            (&key, newsdesk::util::sha256_hex(&bytes)),
        )
        .unwrap();
    }
}

#[test]
fn touched_file_with_a_hash_from_an_older_newsdesk_is_not_reparsed() {
    touched_file_is_not_reparsed(make_file_hashes_legacy);
}

#[test]
fn moved_file_with_a_hash_from_an_older_newsdesk_keeps_its_derived_id() {
    let site = Site::new();
    let old = site.write("2021/dispatch.txt", text_article(7));
    site.write("2021/other.txt", text_article(8));
    ingest_json(&site);
    let store = site.store();
    let before = store
        .article_by_source("archive/2021/dispatch.txt")
        .unwrap()
        .unwrap();
    make_file_hashes_legacy(&site);
    std::fs::create_dir_all(site.path().join("archive/moved")).unwrap();
    std::fs::rename(&old, site.path().join("archive/moved/dispatch-7.txt")).unwrap();
    let (code, v, err) = ingest_json(&site);
    assert_eq!(code, 0, "{err}");
    assert_eq!((&v["new"], &v["removed"]), (&0.into(), &0.into()), "{v}");
    let store = site.store();
    assert_eq!(store.article_count().unwrap(), 2);
    let after = store.article(&before.id).unwrap().unwrap();
    assert_eq!(after.source_path, "moved/dispatch-7.txt");
    assert_eq!(after.seq, before.seq);
}

fn live_ids(site: &Site) -> Vec<String> {
    let mut ids: Vec<String> = site
        .store()
        .articles()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort();
    ids
}

/// Markdown drafts (Hugo/Zola `draft: true`, Jekyll `published: false`,
/// Pelican `status: draft`) are not published, are no error, are not read
/// again until they change, and an article whose file turns into a draft
/// leaves the feeds until it is published again, under the same id.
#[test]
fn drafts_are_skipped_unpublished_and_published_again() {
    let site = Site::new();
    let md = |front: &str| {
        format!("---\ntitle: A piece\ndate: 2024-01-02\n{front}---\nSome body text.\n")
    };
    site.write("a.md", md(""));
    site.write("b.md", md("draft: true\n"));
    site.write("c.md", md("published: false\n"));
    site.write("d.md", md("status: Draft\n"));
    site.write(
        "e.md",
        md("draft: false\npublished: 2024-01-02\nstatus: published\n"),
    );
    let (code, out, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "ingested 2 new, 0 updated, 0 rejected, 3 drafts skipped"
    );
    assert_eq!(err, "");
    assert_eq!(live_ids(&site), ["a", "e"]);

    // Not read again while unchanged.
    let (_, v, _) = ingest_json(&site);
    assert_eq!(
        (v["parsed"].as_u64(), v["drafts"].as_u64()),
        (Some(0), Some(0))
    );

    // A published article turned into a draft leaves; published again, it
    // comes back with its id.
    site.write("a.md", md("draft: yes\n"));
    let (code, out, _) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 0);
    assert!(out.contains("1 removed, 1 draft skipped"), "{out}");
    assert_eq!(live_ids(&site), ["e"]);
    site.write("a.md", md(""));
    site.write("b.md", md("draft: false\n"));
    assert_eq!(run(site.cmd().arg("ingest")).0, 0);
    assert_eq!(live_ids(&site), ["a", "b", "e"]);

    // inspect says so, without an error.
    let (code, out, _) = run(site
        .cmd()
        .args(["inspect", "--json"])
        .arg(site.path().join("archive/c.md")));
    assert_eq!(code, 0);
    let v = &json_lines(&out)[0];
    assert!(
        v["skipped"].as_str().unwrap().contains("published: false"),
        "{v}"
    );
}
