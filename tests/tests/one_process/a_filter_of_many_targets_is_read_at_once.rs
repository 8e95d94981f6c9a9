//! A filter of 200,000 target directives (a 2.6 MB string, as a filter
//! read from a configuration file may be) is read at once and applies
//! exactly: the longest matching target wins, and of two items naming the
//! same target the last. Each item was compared with every target given
//! before it, so `build` took time quadratic in their number: about 7 s
//! for 40,000 items, minutes for 200,000.

use std::sync::mpsc;
use uringlog::{Format, Logger, MemorySink, Timestamp};
use uringlog_tests::{SHUTDOWN, WATCHDOG};

const TARGETS: usize = 200_000;

#[test]
fn a_filter_of_many_targets_is_read_at_once() {
    let mut spec: Vec<String> = (0..TARGETS).map(|i| format!("t{i}=debug")).collect();
    spec.extend([
        "t5=error".to_owned(),
        "warn".to_owned(),
        "t1=off".to_owned(),
    ]);
    let spec = spec.join(",");
    let (sink, out) = MemorySink::new();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let built = Logger::builder()
            .sink(sink)
            .format(Format::text().timestamp(Timestamp::Off))
            .filter(&spec)
            .build();
        let _ = tx.send(built);
    });
    let (logger, guard) = rx
        .recv_timeout(WATCHDOG)
        .expect("build still reading the filter")
        .unwrap();
    uringlog::debug!(logger, target: "t199999", "kept: t199999 at debug");
    uringlog::debug!(logger, target: "t12", "kept: t12 (not t1) at debug");
    uringlog::debug!(logger, target: "t5", "refused: t5 set again to error");
    uringlog::error!(logger, target: "t5", "kept: t5 at error");
    uringlog::error!(logger, target: "t1", "refused: t1 off");
    uringlog::info!(logger, target: "other", "refused: the default is warn");
    uringlog::warn!(logger, target: "other", "kept: warn");
    drop(logger);
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (4, 4, 0));
    assert_eq!(
        out.lines(),
        [
            "DEBUG t199999: kept: t199999 at debug",
            "DEBUG t12: kept: t12 (not t1) at debug",
            "ERROR t5: kept: t5 at error",
            "WARN  other: kept: warn",
        ]
    );
}
