//! `newsdesk inspect`: parsing without a store.

use crate::util::*;

#[test]
fn missing_file_exits_66_and_names_it() {
    let site = Site::new();
    let (code, out, err) = run(site.cmd().args(["inspect", "--json", "nope.txt"]));
    assert_eq!(code, 66, "{err}");
    let v = json_lines(&out);
    assert_eq!(v[0]["source"], "nope.txt");
    assert!(v[0]["error"].as_str().unwrap().contains("no such file"));
    assert!(err.contains("nope.txt"));
}

#[test]
fn binary_file_is_rejected_with_65_and_others_still_print() {
    let site = Site::new();
    let bad = site.write("img.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let (code, out, _) = run(site
        .cmd()
        .args(["inspect", "--json"])
        .arg(&bad)
        .arg("missing.md"));
    assert_eq!(code, 66, "missing input outranks a rejected file");
    let v = json_lines(&out);
    assert_eq!(v.len(), 2);
    assert!(v[0]["error"].as_str().unwrap().contains("binary"));
}

#[test]
fn json_output_has_exactly_the_documented_keys_in_order() {
    let site = Site::new();
    let f = site.write("a.txt", "Site\n\nA title\n\n2022-10-14\n\nOne paragraph.");
    let (code, out, err) = run(site.cmd().args(["inspect", "--json"]).arg(&f));
    assert_eq!(code, 0, "{err}");
    let line = out.lines().next().unwrap();
    let keys = [
        "source",
        "format",
        "id",
        "title",
        "date",
        "standfirst",
        "caption",
        "image_url",
        "authors",
        "tags",
        "pull_quotes",
        "related",
        "body_html",
        "body_text",
        "themes",
    ];
    let mut at = 0;
    for k in keys {
        let pos = line[at..]
            .find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("{k} missing or out of order in {line}"));
        at += pos;
    }
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v.as_object().unwrap().len(), keys.len());
    assert_eq!(v["standfirst"], serde_json::Value::Null);
    assert_eq!(v["caption"], serde_json::Value::Null);
    assert_eq!(v["themes"], serde_json::json!([]));
    assert_eq!(v["date"], "2022-10-14");
}

#[test]
fn reader_closing_stdout_early_ends_quietly_with_73_not_a_panic() {
    use std::io::Read;
    let site = Site::new();
    // Far more JSON than a pipe buffers (64 KB), so a write is still pending
    // when the reader goes, whenever it goes.
    let files: Vec<_> = (0..200)
        .map(|n| {
            site.write(
                &format!("n{n}.md"),
                format!(
                    "---\ntitle: Note {n}\n---\n{}\n",
                    "A long paragraph. ".repeat(60)
                ),
            )
        })
        .collect();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("newsdesk"))
        .current_dir(site.path())
        .env("NEWSDESK_CONFIG", site.config_path())
        .env_remove("NEWSDESK_LOG")
        .args(["inspect", "--json"])
        .args(&files)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    let mut stdout = child.stdout.take().unwrap();
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(73), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Regression: a page with a block misnested in a table made html5ever log
/// "foster parenting not implemented" once per element, in colour, at the
/// default level: noise (with escape codes) in every cron mail.
#[test]
fn library_warnings_stay_out_of_default_stderr_and_logs_have_no_colour_codes() {
    let site = Site::new();
    let page = site.write(
        "table.html",
        "<html><head><title>A table page</title></head><body><article>\
         <h1>A table page</h1><p>The first paragraph of the article is long enough to keep.</p>\
         <table><tr><td>cell</td></tr><div>stray block inside a table</div></table>\
         <p>Another paragraph of the article body, also long enough to keep.</p>\
         </article></body></html>",
    );
    let (code, out, err) = run(site.cmd().arg("inspect").arg(&page));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("A table page"), "{out}");
    assert_eq!(err, "");
    // From -v on they show, as plain text (stderr is a pipe here).
    let (code, _, err) = run(site.cmd().args(["-v", "inspect"]).arg(&page));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("foster parenting"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
}

/// `inspect archive/` read nothing ("Is a directory"); it now reads the
/// archive files under it, selected and ordered as ingest selects them.
#[test]
fn directory_stands_for_the_archive_files_under_it() {
    let site = Site::new();
    site.append_config("[archive]\nexclude = [\"drafts/**\"]\n");
    let md = "---\ntitle: T\ndate: 2024-01-02\n---\n\nBody.\n";
    site.write("b/two.md", md);
    site.write("a.md", md);
    site.write("b/c/three.md", md);
    site.write(".hidden.md", md);
    site.write("notes.md~", md);
    site.write("picture.jpg", b"\xff\xd8\xff");
    site.write("drafts/wip.md", md);
    let (code, out, err) = run(site.cmd().args(["inspect", "--json", "archive"]));
    assert_eq!(code, 0, "{err}");
    let sources: Vec<String> = json_lines(&out)
        .iter()
        .map(|v| v["source"].as_str().unwrap().replace('\\', "/"))
        .collect();
    assert_eq!(
        sources,
        ["archive/a.md", "archive/b/c/three.md", "archive/b/two.md"]
    );
}
