//! A sink whose `Drop` logs (a "closed" notice through another logger)
//! may be dropped while the thread is registering a producer for a third
//! logger: the copy a sink keeps for a forked child lives as long as its
//! logger, and the last reference to a logger that shut down can be its
//! producer in the thread's list, which the registration removes. The
//! notice, logged while the list is being changed, must not reach the
//! producer the thread used last where it was before the list moved: it
//! is counted enqueued and dropped, as any call nested in another of the
//! same thread, and the records before and after it are written once, in
//! order.

use std::io;
use uringlog::{Level, Logger, Sink, Target};
use uringlog_tests::{text_memory_logger, SHUTDOWN};

/// Discards what it is handed; logs `closed` through `notices` when
/// dropped, if it has it. Its fork-child copy has `for_copy`'s.
struct Noisy {
    notices: Option<Logger>,
    for_copy: Option<Logger>,
}

impl Sink for Noisy {
    fn describe(&self) -> String {
        "noisy".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        Some(Box::new(Noisy {
            notices: self.for_copy.clone(),
            for_copy: None,
        }))
    }
}

impl Drop for Noisy {
    fn drop(&mut self) {
        if let Some(l) = self.notices.take() {
            l.log(Level::Info, "t", format_args!("closed"));
        }
    }
}

#[test]
fn a_sink_that_logs_when_dropped_while_a_producer_registers_keeps_the_books() {
    let (first, first_guard, _) = text_memory_logger();
    let (notices, notices_guard, out) = text_memory_logger();
    // The sink itself goes quietly (on the writer thread); the copy kept
    // for a child logs when the logger is dropped.
    let sink = Noisy {
        notices: None,
        for_copy: Some(notices.clone()),
    };
    let (noisy, noisy_guard) = Logger::builder().sink(sink).build().unwrap();

    // The thread's producers: [first, notices, noisy], `notices` the most
    // recent.
    first.log(Level::Info, "t", format_args!("first"));
    notices.log(Level::Info, "t", format_args!("before"));
    noisy.log(Level::Info, "t", format_args!("noisy"));
    notices.log(Level::Info, "t", format_args!("before 2"));
    // `first` shut down: the next registration removes its producer,
    // moving `notices`' down; `noisy` shut down and its last handle gone:
    // removing its producer drops it, and its sink's copy logs.
    first_guard.shutdown(SHUTDOWN).unwrap();
    noisy_guard.shutdown(SHUTDOWN).unwrap();
    drop(noisy);

    let (third, third_guard, third_out) = text_memory_logger();
    third.log(Level::Info, "t", format_args!("third"));
    notices.log(Level::Info, "t", format_args!("after"));
    notices.log(Level::Info, "t", format_args!("and after"));

    let s = notices_guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.text(),
        "INFO  t: before\nINFO  t: before 2\nINFO  t: after\nINFO  t: and after\n"
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (5, 4, 1));
    let s = third_guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(third_out.text(), "INFO  t: third\n");
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
}
