//! A peer that accepts each connection and hangs up at once (a load
//! balancer with no healthy backend, a receiver at its session limit) is
//! retried with the backoff growing from one attempt to the next, as for a
//! refused connection: a connection that did not last does not reset it.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{log_seqs, logger};

/// Connections the hang-up server must see before the test looks.
const CONNECTIONS: u32 = 5;

/// Accepts and closes connections until told to stop; counts them.
fn hang_up_server() -> (u16, Arc<AtomicU32>, Arc<AtomicU32>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (seen, stop) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let (s, st) = (seen.clone(), stop.clone());
    l.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        while st.load(Ordering::Relaxed) == 0 {
            match l.accept() {
                Ok((c, _)) => {
                    drop(c);
                    s.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    });
    (port, seen, stop)
}

fn backs_off(relp: bool) {
    let (port, seen, stop) = hang_up_server();
    let sink = match relp {
        true => SyslogSink::relp(("127.0.0.1", port)),
        false => SyslogSink::tcp(("127.0.0.1", port)),
    };
    let sink = sink
        .unwrap()
        .reconnect_backoff(Duration::from_millis(5), Duration::from_secs(60))
        .unwrap()
        .flush_timeout(Duration::from_millis(1));
    let (logger, guard) = logger(sink, Policy::DropNewest);
    // Records keep the sink connecting; over TCP some go into connections
    // the peer has closed and count as written (what TCP can lose).
    while seen.load(Ordering::Relaxed) < CONNECTIONS {
        log_seqs(&logger, 1);
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(1, Ordering::Relaxed);
    let _ = logger.flush();
    let errors = logger.recent_errors();
    let lost: Vec<&String> = (errors.iter())
        .filter(|e| e.contains("connection lost"))
        .collect();
    let want = format!("connection lost (failure {})", CONNECTIONS - 1);
    assert!(
        lost.iter().any(|e| e.contains(&want)),
        "each hang-up is one more failure in a row: {lost:#?}"
    );
    // Records left unsettled settle until a quarter of the timeout (at
    // most 500 ms) is left for closing and answering: 2 s leaves 500 ms,
    // which a loaded machine needs (300 ms left 75).
    let s = guard.shutdown(Duration::from_secs(2)).unwrap();
    assert_eq!(s.written + s.dropped, s.enqueued);
}

#[test]
fn over_tcp() {
    backs_off(false);
}

#[test]
fn over_relp() {
    backs_off(true);
}
