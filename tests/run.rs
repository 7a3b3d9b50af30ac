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
    let (code, out, err) = run(site.cmd().args(["run", "-q"]));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, _) = run(site.cmd().arg("run"));
    assert_eq!(code, 0);
    assert!(out.contains("ingested 0 new"), "{out}");
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
