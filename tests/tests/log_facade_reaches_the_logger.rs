//! `init_global` installs the logger behind the `log` crate: level filter
//! mapped, target preserved; a second install is refused.

use uringlog::{BuildError, Level, Logger, MemorySink};
use uringlog_tests::SHUTDOWN;

#[test]
fn log_facade_reaches_the_logger() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .level(Level::Info)
        .init_global()
        .unwrap();
    log::info!(target: "svc::http", "request id={}", 7);
    log::debug!("filtered out");
    log::error!("failure {}", "x");
    assert_eq!(log::max_level(), log::LevelFilter::Info);
    let (s2, _) = MemorySink::new();
    let again = Logger::builder().sink(s2).init_global();
    assert!(matches!(again, Err(BuildError::GlobalAlreadySet)));
    logger.flush().unwrap();
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with(" INFO  svc::http: request id=7"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with(" ERROR log_facade_reaches_the_logger: failure x"),
        "{}",
        lines[1]
    );
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written), (2, 2));
}
