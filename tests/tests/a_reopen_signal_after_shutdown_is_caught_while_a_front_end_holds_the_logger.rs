//! The reopen signal's handler stays while a front end holds the logger,
//! as it does while a `Logger` handle lives: the `log` facade and
//! `uringlog::logger()` hold it for the process's life, a `tracing` layer
//! or writer until it is dropped. A service logging through `log::info!`
//! that shut its logger down (the counted handles gone) got `SIGHUP`'s
//! default back, and the next logrotate ended the process.

use uringlog::{Logger, MemorySink};
use uringlog_tests::signals::handler_of;
use uringlog_tests::SHUTDOWN;

#[test]
fn a_reopen_signal_after_shutdown_is_caught_while_a_front_end_holds_the_logger() {
    // The dispositions inherited: the default, or `SIG_IGN` under nohup.
    let (hup, usr2) = (handler_of(libc::SIGHUP), handler_of(libc::SIGUSR2));
    let (logger, guard) = Logger::builder()
        .sink(MemorySink::new().0)
        .reopen_on_signal(libc::SIGHUP)
        .init_global()
        .unwrap();
    log::info!("before shutdown");
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
    assert_ne!(handler_of(libc::SIGHUP), hup, "the facade holds it");
    // Caught: were it the default, the process would end here.
    // SAFETY: raising a signal whose handler is installed (checked above).
    assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
    log::info!("after shutdown");
    assert_eq!(uringlog::logger().stats().dropped, 1);

    for make in [0, 1] {
        let (logger, guard) = Logger::builder()
            .sink(MemorySink::new().0)
            .reopen_on_signal(libc::SIGUSR2)
            .build()
            .unwrap();
        let front_end: Box<dyn std::any::Any> = match make {
            0 => Box::new(uringlog::tracing::layer(&logger)),
            _ => Box::new(uringlog::tracing::make_writer(&logger)),
        };
        drop(logger);
        guard.shutdown(SHUTDOWN).unwrap();
        assert_ne!(handler_of(libc::SIGUSR2), usr2, "{make}: held");
        // SAFETY: as above.
        assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
        drop(front_end);
        assert_eq!(handler_of(libc::SIGUSR2), usr2, "{make}: let go");
    }
}
