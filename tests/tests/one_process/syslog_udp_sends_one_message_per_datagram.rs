//! UDP: each record is one datagram holding exactly one unframed RFC 5424
//! message, cut to what a datagram holds; with nobody listening, records
//! are still counted (best effort) and nothing stalls.

use std::net::UdpSocket;
use std::time::Duration;
use uringlog::{Clock, Logger};
use uringlog_sinks::{Facility, SyslogSink};

const T: u64 = 1_795_841_809_123_456_789; // 2026-11-28T04:56:49.123456789Z

#[test]
fn each_record_is_one_datagram() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let sink = SyslogSink::udp(rx.local_addr().unwrap())
        .unwrap()
        .facility(Facility::Daemon)
        .hostname("h")
        .unwrap()
        .app_name("a")
        .unwrap()
        .procid("")
        .unwrap();
    let (clock, _manual) = Clock::manual(T);
    let (logger, guard) = Logger::builder().sink(sink).clock(clock).build().unwrap();
    uringlog::info!(logger, "one");
    uringlog::warn!(logger, k = "v"; "two\nlines");
    logger.flush().unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    for _ in 0..2 {
        let n = rx.recv(&mut buf).unwrap();
        got.push(String::from_utf8(buf[..n].to_vec()).unwrap());
    }
    assert_eq!(
        got,
        [
            "<30>1 2026-11-28T04:56:49.123456Z h a - - - one",
            "<28>1 2026-11-28T04:56:49.123456Z h a - - [fields@32473 k=\"v\"] two\nlines",
        ]
    );
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
}

#[test]
fn nobody_listening_is_best_effort() {
    let addr = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let sink = SyslogSink::udp(addr).unwrap();
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    for n in 0..500 {
        uringlog::info!(logger, "n={n}");
    }
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(s.written + s.dropped, 500);
    assert_eq!(s.enqueued, 500);
}

#[test]
fn a_message_too_long_for_a_datagram_is_cut_to_fit_one() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The default max_message_bytes (64 KiB) is more than an IPv4
    // datagram holds (65,507 bytes).
    let sink = SyslogSink::udp(rx.local_addr().unwrap()).unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(1 << 20)
        .build()
        .unwrap();
    uringlog::info!(logger, "{}", "x".repeat(70_000));
    logger.flush().unwrap();
    let mut buf = vec![0u8; 1 << 17];
    let n = rx.recv(&mut buf).unwrap();
    assert_eq!(n, 65_507, "as long as a datagram can be");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        text.contains(" - xxx") && text.ends_with("xxxx"),
        "{text:.100}"
    );
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped, s.errors), (1, 1, 0, 0));
}
