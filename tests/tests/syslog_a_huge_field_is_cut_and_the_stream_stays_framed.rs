//! A record whose structured fields are far larger than `max_message_bytes`
//! is cut to fit, so the receiver gets a well-framed message of at most
//! that size: rsyslog's imtcp would otherwise switch the connection to
//! newline framing on a frame above its MaxFrameSize (200,000 bytes) and
//! garble every record after it.

use std::time::Duration;
use uringlog_tests::rsyslog::{log_seqs, split_line, Rsyslog, Via};

#[test]
fn syslog_a_huge_field_is_cut_and_the_stream_stays_framed() {
    let rs = Rsyslog::start();
    for via in [Via::Tcp, Via::Relp] {
        let (logger, guard) = uringlog::Logger::builder()
            .sink(rs.sink(via, 10_000))
            .ring_capacity(1 << 20)
            .build()
            .unwrap();
        let big = "v".repeat(300_000);
        uringlog::info!(logger, big = big.as_str(); "huge");
        log_seqs(&logger, 10);
        logger.flush().unwrap();
        let s = guard.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (11, 11, 0));
    }
    let lines = rs.wait_for(Duration::from_secs(30), |l| l.len() >= 22);
    assert_eq!(lines.len(), 22, "{}", rs.stderr());
    for (i, l) in lines.iter().enumerate() {
        let (head, rest) = split_line(l);
        assert_eq!(head[0], "14", "line {i} is a whole message: {l:.200}");
        match i % 11 {
            0 => {
                assert!(rest.starts_with("[fields@32473 big=\"vvv"), "{rest:.100}");
                assert!(rest.ends_with("\"] huge"), "the message text is kept");
                assert!(rest.len() < 64 * 1024, "cut to max_message_bytes");
            }
            n => assert_eq!(rest, format!("- seq={}", n - 1)),
        }
    }
}
