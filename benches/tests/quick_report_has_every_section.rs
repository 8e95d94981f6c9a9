//! `uringlog-bench --quick` writes a report with every section, a chart,
//! and a checklist whose every row was computed and passes.

use std::path::Path;
use std::process::Command;
use uringlog_bench::plan::{Plan, Sizes};
use uringlog_bench::render::{check_tables, SECTIONS};

fn section<'a>(report: &'a str, heading: &str) -> &'a str {
    let start = report.find(heading).expect("section present");
    let rest = &report[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// Table rows of a section (header and separator left out).
fn rows(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("| "))
        .skip(1)
        .collect()
}

/// Regular files under `dir`, recursively.
fn log_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { log_files(&p) } else { 1 })
        .sum()
}

#[test]
fn quick_report_has_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("REPORT.md");
    let run = Command::new(env!("CARGO_BIN_EXE_uringlog-bench"))
        .args(["--quick", "--out"])
        .arg(&out)
        .arg("--dir")
        .arg(dir.path().join("logs"))
        .output()
        .expect("run the harness");
    let progress = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{progress}");
    let jobs = Plan::new(&Sizes::new(true, false), dir.path(), false).len();
    assert!(
        progress.contains(&format!("[{jobs}/{jobs}] ")),
        "{progress}"
    );
    let report = std::fs::read_to_string(&out).unwrap();
    for heading in SECTIONS {
        assert!(report.contains(heading), "missing {heading:?}");
    }
    check_tables(&report).unwrap();
    let checks = rows(section(&report, SECTIONS[5]));
    assert_eq!(checks.len(), 14, "{checks:#?}");
    for row in &checks {
        assert!(row.ends_with("| ✅ |"), "failed check: {row}");
    }
    let summary = format!(
        "Verification checklist: {0} of {0} checks pass.",
        checks.len()
    );
    assert!(report.contains(&summary));
    let policies = rows(section(&report, SECTIONS[4]));
    let names: Vec<&str> = policies
        .iter()
        .map(|r| r.split(" | ").next().unwrap())
        .collect();
    assert_eq!(names, ["| BLOCK", "| DROP_OLDEST", "| DROP_NEWEST"]);
    let delivery = section(&report, SECTIONS[1])
        .split("### Delivery")
        .nth(1)
        .expect("delivery table in section 2");
    let patterns = rows(delivery);
    assert_eq!(patterns.len(), 5, "{delivery}");
    assert!(!delivery.contains("never seen"), "{delivery}");
    assert!(section(&report, SECTIONS[8]).contains("Not run in this report"));
    // The first call of each burst and the rest, apart: a row per figure,
    // each cell measured (a summary of no calls would read 0 ns).
    let latency = section(&report, SECTIONS[1]);
    for name in [
        "| First call of each burst (after the pause): p50 |",
        "| First call of each burst (after the pause): p99 |",
        "| Calls within a burst (all but the first): p99.9 |",
    ] {
        let row = latency
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("missing row {name:?}"));
        assert!(!row.contains("| 0 ns |"), "{row}");
    }
    let memory = section(&report, SECTIONS[2]);
    let per_thread = memory
        .split("### Memory per thread")
        .nth(1)
        .expect("memory per thread in section 3");
    assert_eq!(rows(per_thread).len(), 5, "{per_thread}");
    assert!(!per_thread.contains("not run"), "{per_thread}");
    let throughput = section(&report, SECTIONS[0]);
    assert!(throughput.contains("| Mutex<BufWriter> (caller formats) |"));
    assert!(throughput.contains("### `Backend::Auto` against this comparison"));
    assert!(!report.contains("DESIGN.md"));
    assert!(dir.path().join("bench-results/latency.png").exists());
    assert!(dir.path().join("bench-results/results.json").exists());
    assert_eq!(
        log_files(&dir.path().join("logs")),
        0,
        "log files left behind"
    );
}
