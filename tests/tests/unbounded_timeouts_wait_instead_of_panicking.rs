//! `Duration::MAX` (or any timeout too long to add to the clock) means
//! "wait as long as it takes": `shutdown`, `Logger::flush_timeout`, a
//! syslog sink's flush timeout and its reconnection delays all take it
//! without panicking, in the caller or on the writer thread.

use std::time::Duration;
use uringlog::{Logger, MemorySink, Policy};
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{free_port, log_seqs, logger, Rsyslog, Via};

#[test]
fn shutdown_and_flush_take_duration_max() {
    let (mem, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(mem).build().unwrap();
    log_seqs(&logger, 10);
    logger.flush_timeout(Duration::MAX).unwrap();
    let s = guard.shutdown(Duration::MAX).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (10, 10, 0));
    assert_eq!(out.lines().len(), 10);
}

#[test]
fn a_syslog_flush_timeout_of_duration_max_waits_for_the_receiver() {
    let mut rs = Rsyslog::configure();
    let sink = rs.sink(Via::Relp, 1).flush_timeout(Duration::MAX);
    let (logger, guard) = logger(sink, Policy::Block);
    log_seqs(&logger, 100);
    std::thread::scope(|s| {
        let flusher = s.spawn(|| logger.flush());
        // The flush waits (on the writer, which goes on working) until
        // the receiver is up.
        std::thread::sleep(Duration::from_millis(100));
        rs.launch();
        flusher.join().unwrap().expect("delivered, then answered");
    });
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (100, 100, 0));
}

#[test]
fn a_reconnection_delay_of_duration_max_keeps_the_writer_alive() {
    let sink = SyslogSink::tcp(("127.0.0.1", free_port()))
        .unwrap()
        .reconnect_backoff(Duration::MAX, Duration::MAX)
        .unwrap()
        .flush_timeout(Duration::from_millis(100));
    let (logger, guard) = logger(sink, Policy::DropNewest);
    log_seqs(&logger, 10);
    assert!(logger.flush_timeout(Duration::from_secs(30)).is_err());
    let errors = logger.recent_errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("connect failed (failure 1)")),
        "{errors:?}"
    );
    let s = guard
        .shutdown(Duration::from_secs(2))
        .expect("the writer did not panic");
    assert_eq!((s.enqueued, s.written, s.dropped), (10, 0, 10));
}
