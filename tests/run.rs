//! `newsdesk run`: the cron entry point — locking, quietness, exit codes, JSON.

use std::time::Duration;

use newsdesk::lock::RunLock;

use crate::util::*;

#[test]
fn second_concurrent_run_exits_75_with_one_line() {
    let site = Site::new();
    let lock = RunLock::acquire(
        &RunLock::path_for(&site.path().join("newsdesk.db")),
        Duration::ZERO,
    )
    .unwrap();
    let (code, out, err) = run(site.cmd().arg("run"));
    assert_eq!(code, 75, "{err}");
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("lock"), "{err}");
    drop(lock);
    let (code, _, err) = run(site.cmd().args(["run", "-q"]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn run_waits_for_the_lock_with_wait() {
    let site = Site::new();
    let path = RunLock::path_for(&site.path().join("newsdesk.db"));
    let lock = RunLock::acquire(&path, Duration::ZERO).unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        drop(lock);
    });
    let (code, _, err) = run(site.cmd().args(["run", "-q", "--wait", "30"]));
    releaser.join().unwrap();
    assert_eq!(code, 0, "{err}");
}

#[test]
fn noop_run_is_silent_with_quiet() {
    let site = Site::new();
    site.write(
        "a.md",
        "---\ntitle: A first article\ndate: 2026-01-02\n---\nSome body text.\n",
    );
    let (code, out, err) = run(site.cmd().arg("run"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ingested 1 new"), "{out}");
    // Nothing changed since: -q prints nothing at all, and without -q every
    // step still says what it found.
    let (code, out, err) = run(site.cmd().args(["run", "-q"]));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, _) = run(site.cmd().arg("run"));
    assert_eq!(code, 0);
    assert!(out.contains("ingested 0 new"), "{out}");
    assert!(out.lines().count() >= 4, "one line per step: {out}");
}

#[test]
fn config_error_stops_before_any_work() {
    let site = Site::with_config("[site]\ntitle = \"x\"\n");
    let (code, _, err) = run(site.cmd().arg("run"));
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("base_url"), "{err}");
    assert!(
        !site.path().join("newsdesk.db").exists(),
        "store created despite a config error"
    );
}

#[test]
fn json_summary_has_steps_with_counts_and_timings() {
    let site = Site::new();
    let (code, out, _) = run(site.cmd().args(["run", "--json"]));
    assert_eq!(code, 0);
    let v = &json_lines(&out)[0];
    assert_eq!(v["exit"], 0);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps[0]["step"], "ingest");
    assert!(steps[0]["elapsed_ms"].as_f64().is_some());
    assert_eq!(steps[0]["counts"]["new"], 0);
}

#[test]
fn missing_archive_is_66_but_later_steps_still_run() {
    let site = Site::new();
    std::fs::remove_dir(site.path().join("archive")).unwrap();
    let (code, out, err) = run(site.cmd().args(["run", "--json"]));
    assert_eq!(code, 66, "{err}");
    let v = &json_lines(&out)[0];
    assert_eq!(v["steps"][0]["exit"], 66);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let (code, out, _) = run(newsdesk().args(["completions", "bash"]));
    assert_eq!(code, 0);
    assert!(out.contains("newsdesk") && out.contains("ingest"), "{out}");
    let (code, out, _) = run(newsdesk().arg("man"));
    assert_eq!(code, 0);
    assert!(
        out.contains(".TH newsdesk"),
        "{}",
        &out[..200.min(out.len())]
    );
    assert!(out.contains("Exit codes"), "man page lacks exit codes");
}

/// Runs `newsdesk run --json` at `now` and returns the edition the digest
/// step made, if any.
fn run_at(site: &Site, now: &str) -> Option<i64> {
    let (code, out, err) = run(site.cmd().env("NEWSDESK_NOW", now).args(["run", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v = &json_lines(&out)[0];
    let step = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "digest")
        .unwrap()
        .clone();
    step["counts"]["edition"].as_i64()
}

fn article(site: &Site, n: u32) {
    site.write(
        &format!("a{n}.md"),
        format!("---\ntitle: Article number {n}\ndate: 2026-03-01\n---\nBody of article {n}.\n"),
    );
}

#[test]
fn daily_digest_is_due_at_local_time_across_the_dst_change() {
    let site = Site::new();
    site.append_config(
        "[digest]\nschedule = \"daily\"\nat = \"08:00\"\ntimezone = \"Europe/London\"\n",
    );
    article(&site, 1);
    // First run: the latest slot (27 March 08:00) has no edition yet.
    assert_eq!(run_at(&site, "2026-03-28T07:30:00Z"), Some(1));
    article(&site, 2);
    assert_eq!(
        run_at(&site, "2026-03-28T07:59:00Z"),
        None,
        "before the 28 March slot"
    );
    assert_eq!(run_at(&site, "2026-03-28T08:00:00Z"), Some(2), "08:00 GMT");
    article(&site, 3);
    // 29 March is the first day of BST: 08:00 local is 07:00 UTC.
    assert_eq!(run_at(&site, "2026-03-29T06:59:00Z"), None);
    assert_eq!(run_at(&site, "2026-03-29T07:00:00Z"), Some(3), "08:00 BST");
}

#[test]
fn missed_slots_are_caught_up_once() {
    let site = Site::new();
    site.append_config("[digest]\nschedule = \"daily\"\nat = \"08:00\"\ntimezone = \"UTC\"\n");
    article(&site, 1);
    assert_eq!(run_at(&site, "2026-04-01T09:00:00Z"), Some(1));
    // The machine was off for a week: one edition, not seven.
    article(&site, 2);
    article(&site, 3);
    assert_eq!(run_at(&site, "2026-04-08T12:00:00Z"), Some(2));
    article(&site, 4);
    assert_eq!(run_at(&site, "2026-04-08T12:10:00Z"), None);
    assert_eq!(run_at(&site, "2026-04-09T08:00:00Z"), Some(3));
}

#[test]
fn slot_with_too_few_articles_waits_and_empty_slot_is_skipped() {
    let site = Site::new();
    site.append_config(
        "[digest]\nschedule = \"daily\"\nat = \"08:00\"\ntimezone = \"UTC\"\nmin_articles = 2\n",
    );
    // Empty archive: the slot passes.
    assert_eq!(run_at(&site, "2026-04-01T09:00:00Z"), None);
    article(&site, 1);
    assert_eq!(
        run_at(&site, "2026-04-01T09:10:00Z"),
        None,
        "the empty slot is used up"
    );
    assert_eq!(
        run_at(&site, "2026-04-02T09:00:00Z"),
        None,
        "one article: waits for two"
    );
    article(&site, 2);
    assert_eq!(
        run_at(&site, "2026-04-02T09:10:00Z"),
        Some(1),
        "enough now, same slot"
    );
}

#[test]
fn bad_schedule_is_a_config_error() {
    let site = Site::new();
    site.append_config("[digest]\nschedule = \"hourly\"\n");
    let (code, _, err) = run(site.cmd().arg("run"));
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("digest.schedule"), "{err}");
}

#[test]
fn run_reclassifies_when_only_the_theme_rules_change() {
    let site = Site::new();
    article(&site, 1);
    let (code, _, err) = run(site.cmd().arg("run"));
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(site.cmd().args(["run", "--json"]));
    let step = |out: &str| {
        json_lines(out)[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == "themes")
            .unwrap()
            .clone()
    };
    assert_eq!(
        step(&out)["counts"]["skipped"],
        true,
        "nothing changed: {out}"
    );
    site.append_config(
        "[[themes]]\nid = \"numbers\"\nname = \"Numbers\"\nthreshold = 1.0\n\
         [[themes.groups]]\nname = \"n\"\nmin = 1.0\nterms = [\"number\"]\n",
    );
    let (code, out, err) = run(site.cmd().args(["run", "--json"]));
    assert_eq!(code, 0, "{err}");
    let s = step(&out);
    assert_eq!(s["counts"]["skipped"], false, "{out}");
    assert_eq!(s["counts"]["per_theme"]["numbers"], 1, "{out}");
}

#[test]
fn debug_log_shows_each_step_on_stderr_only() {
    let site = Site::new();
    let (code, out, err) = run(site.cmd().env("NEWSDESK_LOG", "debug").args(["run", "-q"]));
    assert_eq!(code, 0, "{err}");
    for step in ["ingest", "themes", "feeds", "digest"] {
        assert!(
            err.contains(&format!("{step}: done in")),
            "no debug line for {step}: {err}"
        );
    }
    assert!(!out.contains("done in"), "logs leaked to stdout: {out}");
}

#[test]
fn usage_errors_exit_2_as_documented() {
    let (code, _, err) = run(newsdesk().args(["run", "--no-such-flag"]));
    assert_eq!(code, 2, "{err}");
    let (_, help, _) = run(newsdesk().arg("--help"));
    assert!(help.contains("2   bad command-line arguments"), "{help}");
}

#[test]
fn only_changed_articles_are_classified_again_and_counts_stay_right() {
    let site = Site::new();
    site.append_config(
        "[[themes]]\nid = \"numbers\"\nname = \"Numbers\"\nthreshold = 1.0\n\
         [[themes.groups]]\nname = \"n\"\nmin = 1.0\nterms = [\"number\"]\n",
    );
    let plain =
        |n: u32| format!("---\ntitle: Plain piece {n}\ndate: 2026-03-01\n---\nNothing to see.\n");
    article(&site, 1);
    site.write("b.md", plain(2));
    site.write("c.md", plain(3));
    let themes_step = |out: &str| {
        json_lines(out)[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == "themes")
            .unwrap()
            .clone()
    };
    let (_, out, _) = run(site.cmd().args(["run", "--json"]));
    let s = themes_step(&out);
    assert_eq!(
        (
            s["counts"]["articles"].as_i64(),
            s["counts"]["per_theme"]["numbers"].as_i64()
        ),
        (Some(3), Some(1))
    );
    // Edit one article into the theme, add one, delete the themed one.
    site.write(
        "b.md",
        plain(2).replace("Nothing to see.", "A number, and another number."),
    );
    article(&site, 4);
    std::fs::remove_file(site.path().join("archive/a1.md")).unwrap();
    let (_, out, _) = run(site.cmd().args(["run", "--json"]));
    let s = themes_step(&out);
    assert_eq!(
        s["counts"]["articles"], 2,
        "only the edited and the new article: {s}"
    );
    assert_eq!(
        s["counts"]["per_theme"]["numbers"], 2,
        "b and a4 in, a1 gone: {s}"
    );
    let (_, out, _) = run(site.cmd().args(["themes", "--json"]));
    assert!(out.contains("numbers"), "{out}");
}
