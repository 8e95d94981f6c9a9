//! A sink (or a library it calls) that asks its own logger to reopen runs
//! on the writer thread, which cannot wait for itself: the call fails at
//! once, and every record is still written.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use uringlog::{Logger, ReopenError, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// Calls `reopen()` on its own logger for every batch and keeps the answers.
struct Reopening {
    logger: Arc<OnceLock<Logger>>,
    answers: Arc<Mutex<Vec<Result<(), ReopenError>>>>,
    lines: Arc<Mutex<usize>>,
}

impl Sink for Reopening {
    fn describe(&self) -> String {
        "reopening".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        if let Some(l) = self.logger.get() {
            self.answers.lock().unwrap().push(l.reopen());
        }
        *self.lines.lock().unwrap() += batch.iter().filter(|&&b| b == b'\n').count();
        Ok(())
    }
}

#[test]
fn reopen_from_inside_a_sink_fails_at_once() {
    let logger = Arc::new(OnceLock::new());
    let answers = Arc::new(Mutex::new(Vec::new()));
    let lines = Arc::new(Mutex::new(0));
    let sink = Reopening {
        logger: logger.clone(),
        answers: answers.clone(),
        lines: lines.clone(),
    };
    let (l, guard) = Logger::builder().sink(sink).build().unwrap();
    logger.set(l.clone()).unwrap();
    for i in 0..3 {
        uringlog::info!(l, "line {i}");
        l.flush().unwrap();
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (3, 0));
    assert_eq!(*lines.lock().unwrap(), 3);
    let answers = answers.lock().unwrap();
    assert_eq!(*answers, vec![Err(ReopenError::OnWriterThread); 3]);
}
