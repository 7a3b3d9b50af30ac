//! `newsdesk subscribers`: add, remove, list, import.

use crate::digest::DIGEST_CONFIG;
use crate::util::{BASE_CONFIG, Site, json_lines, run};

fn site() -> Site {
    Site::with_config(&format!("{BASE_CONFIG}{DIGEST_CONFIG}"))
}

fn list(site: &Site) -> Vec<serde_json::Value> {
    let (code, out, err) = run(site.cmd().args(["subscribers", "list", "--json"]));
    assert_eq!(code, 0, "{err}");
    json_lines(&out)
}

#[test]
fn add_normalizes_the_domain_and_merges_duplicates() {
    let site = site();
    let (code, out, err) = run(site.cmd().args([
        "subscribers",
        "add",
        "Nino.K@Example.ORG",
        "--name",
        "Nino",
        "--themes",
        "festivals",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "added Nino.K@example.org");
    // Same address in another case: updates, never duplicates.
    let (code, out, _) = run(site.cmd().args([
        "subscribers",
        "add",
        "nino.k@EXAMPLE.org",
        "--themes",
        "caucasus-cinema,festivals",
    ]));
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "updated Nino.K@example.org");
    let l = list(&site);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["email"], "Nino.K@example.org");
    assert_eq!(l[0]["name"], "Nino");
    assert_eq!(
        l[0]["themes"],
        serde_json::json!(["caucasus-cinema", "festivals"])
    );
    assert_eq!(l[0]["status"], "active");
    assert_eq!(l[0]["source"], "cli");
    assert!(l[0]["token"].as_str().unwrap().len() >= 32);
}

#[test]
fn invalid_address_name_or_theme_is_refused() {
    let site = site();
    for args in [
        vec!["not-an-address"],
        vec!["a@b.org\r\nBcc: victim@example.org"],
        vec!["a@b.org", "--name", "Eve\nBcc: x@y.org"],
        vec!["a@b.org", "--themes", "festivals,nonsense"],
    ] {
        let (code, _, err) = run(site.cmd().args(["subscribers", "add"]).args(&args));
        assert_eq!(code, 65, "{args:?} accepted: {err}");
        assert!(!err.is_empty());
    }
    assert!(list(&site).is_empty());
}

#[test]
fn remove_unsubscribes_and_keeps_the_row() {
    let site = site();
    run(site.cmd().args(["subscribers", "add", "a@example.org"]));
    let (code, out, _) = run(site.cmd().args(["subscribers", "remove", "A@EXAMPLE.ORG"]));
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "unsubscribed a@example.org");
    let l = list(&site);
    assert_eq!(l[0]["status"], "unsubscribed");
    assert!(site.store().active_subscribers().unwrap().is_empty());
    let (code, _, err) = run(site
        .cmd()
        .args(["subscribers", "remove", "nobody@example.org"]));
    assert_eq!(code, 65);
    assert!(err.contains("no subscriber nobody@example.org"), "{err}");
}

#[test]
fn import_reports_bad_rows_by_line_and_imports_the_rest() {
    let site = site();
    run(site.cmd().args(["subscribers", "add", "gone@example.org"]));
    run(site
        .cmd()
        .args(["subscribers", "remove", "gone@example.org"]));
    let csv = "\u{feff}email,name,themes\n\
               ana@example.org,Ana,festivals\n\
               not-an-address,Bad,\n\
               \"bo@Example.org\",\"Bo, Jr.\",\"festivals; caucasus-cinema\"\n\
               cy@example.org,Cy,unknown-theme\n\
               ANA@EXAMPLE.ORG,,caucasus-cinema\n\
               gone@example.org,Gone,\n\
               \n\
               dee@example.org,,\n";
    let file = site.path().join("subs.csv");
    std::fs::write(&file, csv).unwrap();
    let (code, out, err) = run(site.cmd().args(["subscribers", "import"]).arg(&file));
    assert_eq!(code, 65, "{out}{err}");
    assert!(err.contains("subs.csv:3:"), "{err}");
    assert!(
        err.contains("subs.csv:5:") && err.contains("unknown-theme"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        out.contains("3 added, 0 updated, 0 unchanged, 1 kept unsubscribed, 2 bad rows"),
        "{out}"
    );
    let l = list(&site);
    let emails: Vec<&str> = l.iter().map(|v| v["email"].as_str().unwrap()).collect();
    assert_eq!(
        emails,
        [
            "ana@example.org",
            "bo@example.org",
            "dee@example.org",
            "gone@example.org"
        ]
    );
    // Duplicate rows merged: themes united, in config order.
    assert_eq!(
        l[0]["themes"],
        serde_json::json!(["caucasus-cinema", "festivals"])
    );
    assert_eq!(l[1]["name"], "Bo, Jr.");
    assert_eq!(l[1]["source"], "import");
    assert_eq!(l[2]["themes"], serde_json::json!([]));
    assert_eq!(l[3]["status"], "unsubscribed", "import never re-subscribes");

    // Importing again changes nothing.
    let (code, out, _) = run(site.cmd().args(["subscribers", "import"]).arg(&file));
    assert_eq!(code, 65);
    assert!(out.contains("0 added, 0 updated, 3 unchanged"), "{out}");
}

#[test]
fn import_without_an_email_column_or_file_fails_clearly() {
    let site = site();
    let file = site.path().join("subs.csv");
    std::fs::write(&file, "mail,name\na@b.org,A\n").unwrap();
    let (code, _, err) = run(site.cmd().args(["subscribers", "import"]).arg(&file));
    assert_eq!(code, 65);
    assert!(err.contains("email"), "{err}");
    let (code, _, _) = run(site
        .cmd()
        .args(["subscribers", "import"])
        .arg(site.path().join("missing.csv")));
    assert_eq!(code, 66);
}

#[test]
fn import_reports_the_right_line_numbers_in_a_crlf_file() {
    // Spreadsheet exports on Windows end lines with CRLF; the csv crate's
    // own line count came out one short per line (bad row 3 reported as 2).
    let site = site();
    let file = site.path().join("subs.csv");
    std::fs::write(
        &file,
        "email,name\r\nana@example.org,Ana\r\nnot-an-address,Bad\r\n\
         \"multi@example.org\",\"two\r\nlines\"\r\nbo@example.org,Bo\r\nalso-bad,X\r\n",
    )
    .unwrap();
    let (code, out, err) = run(site.cmd().args(["subscribers", "import"]).arg(&file));
    assert_eq!(code, 65, "{out}{err}");
    let lines: Vec<&str> = err
        .lines()
        .map(|l| {
            l.split(": ")
                .nth(1)
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, ["subs.csv:3", "subs.csv:4", "subs.csv:7"], "{err}");
    assert!(out.contains("2 added"), "{out}");
}

#[test]
fn import_reads_semicolon_and_tab_separated_exports() {
    // Excel in locales with a decimal comma saves "CSV" with semicolons;
    // that header used to be refused as having no `email` column.
    let site = site();
    let file = site.path().join("subs.csv");
    std::fs::write(
        &file,
        "\u{feff}Email;Name;Themes\r\nana@example.org;\"Ana; Jr.\";festivals,caucasus-cinema\r\n\
         bo@example.org;Bo, the second;\r\nbad;X;\r\n",
    )
    .unwrap();
    let (code, out, err) = run(site.cmd().args(["subscribers", "import"]).arg(&file));
    assert_eq!(code, 65, "{out}{err}");
    assert!(err.contains("subs.csv:4:"), "{err}");
    assert!(out.contains("2 added"), "{out}");
    let l = list(&site);
    assert_eq!(l[0]["name"], "Ana; Jr.");
    assert_eq!(
        l[0]["themes"],
        serde_json::json!(["caucasus-cinema", "festivals"])
    );
    assert_eq!(l[1]["name"], "Bo, the second");

    let tsv = site.path().join("subs.tsv");
    std::fs::write(&tsv, "name\temail\nCy, C.\tcy@example.org\n").unwrap();
    let (code, out, err) = run(site.cmd().args(["subscribers", "import"]).arg(&tsv));
    assert_eq!(code, 0, "{out}{err}");
    let l = list(&site);
    assert_eq!(l[2]["email"], "cy@example.org");
    assert_eq!(l[2]["name"], "Cy, C.");
}

#[test]
fn import_reads_a_mailchimp_export_header() {
    // Mailchimp's audience export names its columns "Email Address",
    // "First Name" and "Last Name"; such a file was refused outright.
    let site = site();
    let file = site.path().join("members.csv");
    std::fs::write(
        &file,
        "\"Email Address\",\"First Name\",\"Last Name\",MEMBER_RATING\n\
         nino@example.org,Nino,Kapanadze,2\n\
         solo@example.org,,Beridze,1\n\
         anon@example.org,,,1\n",
    )
    .unwrap();
    let (code, out, err) = run(site.cmd().args(["subscribers", "import"]).arg(&file));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 added"), "{out}");
    let l = list(&site);
    assert_eq!(l[0]["email"], "anon@example.org");
    assert!(l[0]["name"].is_null(), "{}", l[0]);
    assert_eq!(l[1]["name"], "Nino Kapanadze");
    assert_eq!(l[2]["name"], "Beridze");
}
