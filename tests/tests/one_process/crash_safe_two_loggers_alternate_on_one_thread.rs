//! Two crash-safe loggers in different directories, called in turn from
//! one thread at the same call sites: each caller checks the call site
//! against its own directory's table (whose id its ring keeps), so a call
//! site registered in one table is never taken as registered in the
//! other's. Each directory's records are recovered, rendered, in order —
//! also when one table was deleted meanwhile and written again.

use uringlog::Logger;

/// One call site for both loggers.
fn shared_site(logger: &Logger, who: &str, i: u64) {
    uringlog::info!(logger, "shared who={} i={}", who, i);
}

/// Another, first used after the deletion (its registration writes the
/// deleted table again).
fn later_site(logger: &Logger, who: &str, i: u64) {
    uringlog::info!(logger, "later who={} i={}", who, i);
}

fn header(n: usize) -> String {
    format!(
        "WARN  crash-safe recovery: {n} records recovered from process {} (generation 1), 0 torn or corrupt records skipped",
        std::process::id()
    )
}

#[test]
fn alternating_loggers_each_recover_their_own_records_rendered() {
    let tmp = tempfile::tempdir().unwrap();
    let (da, db) = (tmp.path().join("a"), tmp.path().join("b"));
    let (la, ga, gate_a) = uringlog_tests::stuck_crash_safe_logger(&da);
    let (lb, gb, gate_b) = uringlog_tests::stuck_crash_safe_logger(&db);
    for i in 0..50 {
        shared_site(&la, "a", i);
        shared_site(&lb, "b", i);
        // The same logger twice in a row too: its cache is the most recent.
        shared_site(&lb, "b2", i);
    }
    let a = uringlog_tests::crash_and_recover(&da, la, ga, gate_a);
    let b = uringlog_tests::crash_and_recover(&db, lb, gb, gate_b);
    let mut want_a = vec![header(51), "INFO  stuck".to_owned()];
    want_a.extend((0..50).map(|i| format!("INFO  shared who=a i={i}")));
    assert_eq!(a, want_a);
    let mut want_b = vec![header(101), "INFO  stuck".to_owned()];
    for i in 0..50 {
        want_b.push(format!("INFO  shared who=b i={i}"));
        want_b.push(format!("INFO  shared who=b2 i={i}"));
    }
    assert_eq!(b, want_b);
}

#[test]
fn alternating_loggers_recover_after_one_table_is_deleted_and_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    let (da, db) = (tmp.path().join("a"), tmp.path().join("b"));
    let (la, ga, gate_a) = uringlog_tests::stuck_crash_safe_logger(&da);
    let (lb, gb, gate_b) = uringlog_tests::stuck_crash_safe_logger(&db);
    for i in 0..20 {
        shared_site(&la, "a", i);
        shared_site(&lb, "b", i);
    }
    for t in uringlog_tests::call_site_tables(&da) {
        std::fs::remove_file(t).unwrap();
    }
    // A new call site in `a` writes its table again, whole.
    later_site(&la, "a", 0);
    for i in 20..40 {
        shared_site(&lb, "b", i);
        shared_site(&la, "a", i);
        later_site(&lb, "b", i);
    }
    assert_eq!(uringlog_tests::call_site_tables(&da).len(), 1);
    let a = uringlog_tests::crash_and_recover(&da, la, ga, gate_a);
    let b = uringlog_tests::crash_and_recover(&db, lb, gb, gate_b);
    let mut want_a = vec![header(42), "INFO  stuck".to_owned()];
    want_a.extend((0..20).map(|i| format!("INFO  shared who=a i={i}")));
    want_a.push("INFO  later who=a i=0".to_owned());
    want_a.extend((20..40).map(|i| format!("INFO  shared who=a i={i}")));
    assert_eq!(a, want_a);
    let mut want_b = vec![header(61), "INFO  stuck".to_owned()];
    want_b.extend((0..20).map(|i| format!("INFO  shared who=b i={i}")));
    for i in 20..40 {
        want_b.push(format!("INFO  shared who=b i={i}"));
        want_b.push(format!("INFO  later who=b i={i}"));
    }
    assert_eq!(b, want_b);
}
