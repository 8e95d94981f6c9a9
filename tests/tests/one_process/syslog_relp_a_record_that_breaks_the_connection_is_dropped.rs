//! RELP to a server that hangs up whenever it reads one particular record
//! (a "poison" record it cannot take): the sink sends that record again
//! after each broken connection, alone, and once it has broken the
//! connection three times in a row, counts it dropped with an error naming
//! the peer and the reason, and goes on. Every other record arrives once,
//! in order; the books balance.

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uringlog::{FlushError, Logger, Policy};
use uringlog_sinks::SyslogSink;
use uringlog_tests::relp::{read_frame, rsp};

const RECORDS: u64 = 50;
const POISON: u64 = 20;

/// What the server saw: the messages it acknowledged, and how often it
/// hung up on the poison record.
#[derive(Default)]
struct Seen {
    acked: Mutex<Vec<String>>,
    poisoned: AtomicUsize,
}

/// Serves one connection: acknowledges every record but the poison one,
/// on which it hangs up (reading on to the end, so the client sees the
/// acknowledgements sent before it, then end of file).
fn serve(mut s: TcpStream, seen: &Seen) {
    let mut buf = Vec::new();
    while let Some((txnr, cmd, data)) = read_frame(&mut s, &mut buf) {
        let text = String::from_utf8_lossy(&data).into_owned();
        match cmd.as_str() {
            "open" => rsp(&mut s, txnr, "200 OK\nrelp_version=0\ncommands=syslog"),
            "syslog" if text.ends_with(&format!(" seq={POISON}")) => {
                seen.poisoned.fetch_add(1, Ordering::Relaxed);
                let _ = s.shutdown(std::net::Shutdown::Write);
                return while read_frame(&mut s, &mut buf).is_some() {};
            }
            "syslog" => {
                seen.acked.lock().unwrap().push(text);
                rsp(&mut s, txnr, "200 OK");
            }
            "close" => return rsp(&mut s, txnr, "200 OK"),
            _ => return,
        }
    }
}

#[test]
fn syslog_relp_a_record_that_breaks_the_connection_is_dropped() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    l.set_nonblocking(true).unwrap();
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let (seen, stop) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        // A bound for a broken run, never a measurement.
                        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                        serve(s, &seen);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        })
    };
    let sink = SyslogSink::relp(("127.0.0.1", port))
        .unwrap()
        .hostname("host")
        .unwrap()
        .app_name("app")
        .unwrap()
        .procid("1")
        .unwrap()
        .flush_timeout(Duration::from_secs(20))
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .build()
        .unwrap();
    for n in 0..RECORDS {
        uringlog::info!(logger, "seq={n}");
    }
    // Every record settles before flush returns; one was dropped.
    let flushed = logger.flush();
    let stats = guard.shutdown(Duration::from_secs(10)).unwrap();
    stop.store(true, Ordering::Relaxed);
    server.join().unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (RECORDS, RECORDS - 1, 1)
    );
    assert_eq!(seen.poisoned.load(Ordering::Relaxed), 3, "sent three times");
    let got: Vec<String> = (seen.acked.lock().unwrap().iter())
        .map(|m| m.rsplit(' ').next().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..RECORDS)
        .filter(|&n| n != POISON)
        .map(|n| format!("seq={n}"))
        .collect();
    assert_eq!(got, want, "every other record once, in order");
    // The poison record is as long as seq=21's.
    let len = seen.acked.lock().unwrap()[POISON as usize].len();
    let want = format!(
        "syslog relp 127.0.0.1:{port}: dropped a {len}-byte record: the connection \
         broke each of the 3 times it was sent, the last time: closed by the peer"
    );
    let errors = logger.recent_errors();
    let dropped: Vec<&String> = errors.iter().filter(|e| e.contains("dropped")).collect();
    assert_eq!(dropped, [&want], "{errors:#?}");
    match flushed {
        Err(FlushError::Io { last, .. }) => assert_eq!(last, want),
        other => panic!("{other:?}"),
    }
}
