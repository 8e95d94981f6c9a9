//! With the receiver down when logging starts, records wait in the sink's
//! buffer, a flush fails naming the peer, and everything arrives once the
//! receiver comes up — over TCP and over RELP. The connection attempts and
//! the reconnection are reported in `recent_errors` but are not errors: the
//! flush after the receiver came up succeeds, and `Stats::errors` counts the
//! failed flush alone.

use std::time::Duration;
use uringlog::{FlushError, Policy};
use uringlog_tests::rsyslog::{assert_each_once_in_order, log_sequences, logger, Rsyslog, Via};

const PER_THREAD: u64 = 2000;

fn down_then_up(relp: bool) {
    let mut rs = Rsyslog::configure();
    let (port, via) = match relp {
        true => (rs.relp_port, Via::Relp),
        false => (rs.tcp_port, Via::Tcp),
    };
    let (logger, guard) = logger(rs.sink(via, 300), Policy::Block);
    log_sequences(&logger, 2, PER_THREAD);
    match logger.flush() {
        Err(FlushError::Io { last, .. }) => {
            assert!(last.contains(&format!("127.0.0.1:{port}")), "{last}")
        }
        other => panic!("flush with the receiver down: {other:?}"),
    }
    let s = logger.stats();
    assert_eq!(
        (s.written, s.dropped),
        (0, 0),
        "nothing delivered, nothing lost"
    );
    let errors = logger.recent_errors();
    assert!(
        errors.iter().any(|e| e.contains("connect failed")),
        "{errors:?}"
    );

    rs.launch();
    let lines = rs.wait_for(Duration::from_secs(60), |l| {
        l.len() as u64 >= 2 * PER_THREAD
    });
    logger
        .flush()
        .expect("nothing failed since the last flush: a reconnection is not an error");
    let errors = logger.recent_errors();
    assert!(
        errors.iter().any(|e| e.contains("connected again")),
        "{errors:?}"
    );
    assert_eq!(
        logger.stats().errors,
        1,
        "the failed flush only: {errors:?}"
    );
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (2 * PER_THREAD, 2 * PER_THREAD, 0)
    );
    assert_each_once_in_order(&lines, 2, PER_THREAD);
}

#[test]
fn tcp_records_wait_for_the_receiver() {
    down_then_up(false);
}

#[test]
fn relp_records_wait_for_the_receiver() {
    down_then_up(true);
}
