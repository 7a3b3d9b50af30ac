//! `newsdesk init`: a new site that works at once, and never clobbers files.

use crate::util::*;

#[test]
fn init_creates_a_site_that_runs_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let (code, out, err) = run(newsdesk().arg("init").arg(&site));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("next steps"), "{out}");
    let config = std::fs::read_to_string(site.join("newsdesk.toml")).unwrap();
    for key in [
        "base_url",
        "[feeds]",
        "max_items",
        "[digest]",
        "schedule",
        "timezone",
        "[smtp]",
        "password_env",
        "[[themes]]",
    ] {
        assert!(config.contains(key), "init config lacks {key}");
    }
    // The written config is valid and the example article goes all the way through.
    let (code, out, err) = run(newsdesk()
        .current_dir(&site)
        .env("NEWSDESK_NOW", NOW)
        .arg("run"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ingested 1 new"), "{out}");
    assert!(site.join("feeds/atom.xml").exists());
    assert!(site.join("digests/preview.html").exists());

    let before = std::fs::read_to_string(site.join("newsdesk.toml")).unwrap();
    std::fs::write(
        site.join("newsdesk.toml"),
        "# edited\n".to_string() + &before,
    )
    .unwrap();
    let (code, _, err) = run(newsdesk().arg("init").arg(&site));
    assert_eq!(code, 73, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert!(
        std::fs::read_to_string(site.join("newsdesk.toml"))
            .unwrap()
            .starts_with("# edited")
    );
    let (code, _, _) = run(newsdesk().args(["init", "--force"]).arg(&site));
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(site.join("newsdesk.toml")).unwrap(),
        before
    );
}

#[test]
fn init_config_themes_are_the_default_themes() {
    let cfg = newsdesk::cmd::init::config_template();
    let parsed =
        newsdesk::config::Config::from_toml(&cfg, std::path::Path::new("/tmp/x/newsdesk.toml"))
            .unwrap();
    let ids: Vec<_> = parsed.themes.iter().map(|t| t.id.as_str()).collect();
    let defaults: Vec<_> = newsdesk::themes::default_themes()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, defaults);
}
