//! A build that fails after it registered the reopen signal (here the
//! writer's backend cannot open: io_uring forced where it is refused) lets
//! go of the signal: its slot is freed and the signal's disposition from
//! before comes back. The handles' hold on the handler referred to the
//! logger's engine, which referred to it: the failed logger was never
//! freed, each failure kept a slot for good, and after 32 of them a
//! service could build no logger that reopens on a signal.

use uringlog::{Backend, Logger, MemorySink};
use uringlog_tests::signals::handler_of;
use uringlog_tests::SHUTDOWN;

/// Loggers that may reopen on signals at once (documented on the builder).
const MAX_REGISTRATIONS: usize = 32;

/// `SIGHUP`'s handler as installed now.
fn sighup_handler() -> libc::sighandler_t {
    handler_of(libc::SIGHUP)
}

#[test]
fn a_failed_build_lets_go_of_its_reopen_signal() {
    // The disposition inherited: the default, or `SIG_IGN` under nohup.
    let before = sighup_handler();
    for i in 0..=MAX_REGISTRATIONS {
        let built = Logger::builder()
            .sink(MemorySink::new().0)
            .backend(Backend::IoUring)
            .test_fail_io_uring_probe()
            .reopen_on_signal(libc::SIGHUP)
            .build();
        let e = built.map(|_| ()).expect_err("io_uring is refused");
        assert!(e.to_string().contains("io_uring"), "build {i}: {e}");
        assert_eq!(sighup_handler(), before, "build {i} left its handler");
    }
    let (logger, guard) = Logger::builder()
        .sink(MemorySink::new().0)
        .reopen_on_signal(libc::SIGHUP)
        .build()
        .expect("every slot is free");
    uringlog::info!(logger, "built");
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
    assert_eq!(sighup_handler(), before);
}
