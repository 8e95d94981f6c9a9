//! A thread-local destructor that logs: one that runs before the thread's
//! producers are released logs as usual; one that runs after (thread-local
//! destructors run in the reverse order of first use) finds none, and its
//! call is counted enqueued and dropped — never written through a released
//! producer. A thread whose first log call is made by a thread-local
//! destructor registers its producer then, and its records are written.

use std::cell::RefCell;
use uringlog::Logger;
use uringlog_tests::{text_memory_logger, SHUTDOWN};

struct LogsOnDrop(Logger, &'static str);

impl Drop for LogsOnDrop {
    fn drop(&mut self) {
        uringlog::info!(self.0, target: "t", "{} {}", self.1, 1u8);
    }
}

thread_local! {
    static FIRST_USED: RefCell<Option<LogsOnDrop>> = const { RefCell::new(None) };
    static LAST_USED: RefCell<Option<LogsOnDrop>> = const { RefCell::new(None) };
    static ONLY: RefCell<Option<LogsOnDrop>> = const { RefCell::new(None) };
}

#[test]
fn a_thread_local_destructor_that_logs_keeps_the_books() {
    let (logger, guard, out) = text_memory_logger();
    for round in 0..3 {
        let l = logger.clone();
        std::thread::spawn(move || {
            // Used before the thread's first log: destroyed after its producers.
            FIRST_USED.with(|s| *s.borrow_mut() = Some(LogsOnDrop(l.clone(), "after")));
            uringlog::info!(l, target: "t", "during {}", round);
            // Used after it: destroyed before them, through the same producer.
            LAST_USED.with(|s| *s.borrow_mut() = Some(LogsOnDrop(l.clone(), "before")));
        })
        .join()
        .unwrap();
        // Order holds per thread only: the flush puts this round's records
        // in before the next thread's (each thread has its own ring).
        logger.flush().unwrap();
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.text(),
        "INFO  t: during 0\nINFO  t: before 1\n\
         INFO  t: during 1\nINFO  t: before 1\n\
         INFO  t: during 2\nINFO  t: before 1\n"
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (9, 6, 3));
}

#[test]
fn a_thread_whose_first_log_is_in_a_thread_local_destructor_writes_it() {
    let (logger, guard, out) = text_memory_logger();
    for round in 0..20 {
        let l = logger.clone();
        std::thread::spawn(move || ONLY.with(|s| *s.borrow_mut() = Some(LogsOnDrop(l, "only"))))
            .join()
            .unwrap();
        // Joined: the destructor ran; its record is in before the next.
        logger.flush().unwrap();
        assert_eq!(out.lines().len(), round + 1);
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(out.text(), "INFO  t: only 1\n".repeat(20));
    assert_eq!((s.enqueued, s.written, s.dropped), (20, 20, 0));
}
