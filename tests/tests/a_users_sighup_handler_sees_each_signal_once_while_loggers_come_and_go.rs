//! A service's own `SIGHUP` handler, installed before any logger, while
//! another thread builds loggers that reopen on `SIGHUP` and shuts them
//! down (async and sync mode; some handles kept past shutdown, some not),
//! so that our handler goes on top of the service's and comes off again
//! over and over: a storm of `SIGHUP`s, one at a time, reaches the
//! service's handler exactly once each — never lost in a gap between
//! handlers, never run twice by a chain that holds ours twice — the
//! process never dies of one, and the service's handler is the one left.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use uringlog::{Logger, MemorySink, Mode};
use uringlog_tests::signals::{handler_of, install_handler};
use uringlog_tests::{wait_for, SHUTDOWN};

/// Signals sent at least, and loggers built and shut down meanwhile.
const SIGNALS: u64 = 2_000;
const BUILDS: u64 = 200;

static SEEN: AtomicU64 = AtomicU64::new(0);
static BUILT: AtomicU64 = AtomicU64::new(0);

extern "C" fn services_handler(_: libc::c_int) {
    SEEN.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_users_sighup_handler_sees_each_signal_once_while_loggers_come_and_go() {
    static STOP: AtomicBool = AtomicBool::new(false);
    install_handler(libc::SIGHUP, services_handler);
    let churn = std::thread::spawn(|| {
        let mut kept = Vec::new();
        while !STOP.load(Ordering::Relaxed) {
            let built = BUILT.load(Ordering::Relaxed);
            let mode = [Mode::Async, Mode::Sync][built as usize % 2];
            let (logger, guard) = Logger::builder()
                .sink(MemorySink::new().0)
                .mode(mode)
                .reopen_on_signal(libc::SIGHUP)
                .build()
                .unwrap();
            uringlog::info!(logger, "record");
            let s = guard.shutdown(SHUTDOWN).unwrap();
            assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
            if built % 3 == 0 {
                kept.push(logger); // its handle keeps our handler installed
            }
            if kept.len() == 4 {
                kept.clear();
            }
            BUILT.store(built + 1, Ordering::Relaxed);
        }
    });
    let mut sent = 0;
    while sent < SIGNALS || BUILT.load(Ordering::Relaxed) < BUILDS {
        // SAFETY: signals this process, whose handlers only count.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGHUP) }, 0);
        wait_for("the service's handler never saw a signal", || {
            SEEN.load(Ordering::SeqCst) > sent
        });
        sent += 1;
    }
    STOP.store(true, Ordering::Relaxed);
    churn.join().unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), sent);
    let services = services_handler as extern "C" fn(libc::c_int) as usize;
    assert_eq!(handler_of(libc::SIGHUP), services);
}
