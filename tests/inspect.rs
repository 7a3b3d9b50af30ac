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
