//! The checklist is computed from the file: a run whose file lost one line
//! (or holds one out of order) fails the checks that cover it, and only those.

use std::fs;
use std::path::Path;
use std::time::Duration;
use uringlog_bench::checklist::{run_checks, Check};
use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::throughput::{Counts, Rep, ThroughputResult};
use uringlog_bench::verify::check_file;
use uringlog_bench::workload::{log_line, LineMatcher, PATH_THROUGHPUT};

const N: u64 = 1_000;

/// Logs `N` workload lines through a real logger; returns its counters.
fn log_file(path: &Path) -> Counts {
    let (logger, guard) = EngineConfig::default_with(Route::AsyncPwrite)
        .build(path)
        .expect("build");
    for id in 0..N {
        log_line(&logger, id, PATH_THROUGHPUT);
    }
    guard
        .shutdown(Duration::from_secs(10))
        .expect("shutdown")
        .into()
}

fn checks(path: &Path, counts: Counts) -> Vec<Check> {
    let file = check_file(path, &LineMatcher::new(PATH_THROUGHPUT), N, 1).expect("read back");
    let run = ThroughputResult {
        count: N,
        threads: 1,
        reps: vec![Rep {
            counts,
            file,
            ..Rep::default()
        }],
        ..ThroughputResult::default()
    };
    run_checks("run", &Ok(run))
}

fn failing(v: &[Check]) -> Vec<&str> {
    v.iter()
        .filter(|c| !c.pass)
        .map(|c| c.test.as_str())
        .collect()
}

#[test]
fn checklist_flags_a_missing_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.log");
    let counts = log_file(&path);
    let all = checks(&path, counts);
    assert_eq!(all.len(), 6);
    assert_eq!(failing(&all), Vec::<&str>::new(), "{all:#?}");

    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let missing: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 500)
        .map(|(_, l)| *l)
        .collect();
    fs::write(&path, missing.join("\n") + "\n").unwrap();
    let v = checks(&path, counts);
    assert_eq!(
        failing(&v),
        [
            "run: file contains 1,000 lines",
            "run: no data loss (BLOCK mode)"
        ]
    );
    let file_row = v
        .iter()
        .find(|c| c.test == "run: file contains 1,000 lines")
        .unwrap();
    assert_eq!(
        file_row.result,
        "999 lines, 999 distinct ids, 1 missing, 0 duplicated, 0 other"
    );
    assert_eq!(file_row.mark(), "❌");

    let mut swapped = lines.clone();
    swapped.swap(10, 11);
    fs::write(&path, swapped.join("\n") + "\n").unwrap();
    let v = checks(&path, counts);
    assert_eq!(failing(&v), ["run: order preserved"]);
    assert_eq!(v[3].result, "No: 1 records out of order");
}
