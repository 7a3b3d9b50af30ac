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
