//! In sync mode a sink runs in the logging caller, which holds the logger's
//! sync writer while it writes. A sink (or a library it calls) that asks
//! the same logger to reopen, flush, sync or log from inside that write
//! would wait for the writer its own caller holds: each call is answered at
//! once instead — `reopen` and the flushes with an error, a record counted
//! dropped — whichever way the outer record and the inner one were logged
//! (the macros through the thread's producer, or an explicit `Producer`).

use std::io;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use uringlog::{FlushError, Level, Logger, Mode, Producer, ReopenError, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// Far beyond what any answer takes: only a deadlock reaches it.
const DEADLINE: Duration = Duration::from_secs(60);
/// Records logged from outside the sink, per way of logging.
const OUTER: u64 = 3;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    Reopen,
    Flush,
    LogMacro,
    LogProducer,
}

#[derive(Default)]
struct Seen {
    lines: usize,
    reopens: Vec<Result<(), ReopenError>>,
    flushes: Vec<Result<(), FlushError>>,
}

struct Reentrant {
    act: Act,
    logger: Arc<OnceLock<Logger>>,
    /// An explicit producer of the same logger, for `Act::LogProducer`.
    producer: Arc<Mutex<Option<Producer>>>,
    seen: Arc<Mutex<Seen>>,
}

impl Sink for Reentrant {
    fn describe(&self) -> String {
        "re-entrant".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let mut seen = self.seen.lock().unwrap();
        seen.lines += batch.iter().filter(|&&b| b == b'\n').count();
        let logger = self.logger.get().expect("set after build");
        match self.act {
            Act::Reopen => seen.reopens.push(logger.reopen()),
            Act::Flush => {
                seen.flushes.push(logger.flush());
                seen.flushes.push(logger.flush_timeout(DEADLINE));
                seen.flushes.push(logger.flush_sync());
            }
            Act::LogMacro => uringlog::info!(logger, "from inside the sink"),
            Act::LogProducer => {
                let mut p = self.producer.lock().unwrap();
                let p = p.as_mut().expect("set after build");
                p.log(Level::Info, "inner", format_args!("from inside the sink"));
            }
        }
        Ok(())
    }
}

/// Logs `OUTER` records through the macros and `OUTER` through an explicit
/// producer; checks every answer and the books.
fn scenario(act: Act) {
    let logger = Arc::new(OnceLock::new());
    let producer = Arc::new(Mutex::new(None));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let sink = Reentrant {
        act,
        logger: logger.clone(),
        producer: producer.clone(),
        seen: seen.clone(),
    };
    let (l, guard) = Logger::builder()
        .sink(sink)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    logger.set(l.clone()).unwrap();
    *producer.lock().unwrap() = Some(l.producer());
    let mut outer = l.producer();
    for i in 0..OUTER {
        uringlog::info!(l, "outer macro {i}");
        outer.log(Level::Info, "outer", format_args!("outer producer {i}"));
    }
    drop(outer);
    *producer.lock().unwrap() = None;
    let s = guard.shutdown(SHUTDOWN).unwrap();

    let calls = 2 * OUTER;
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.lines as u64, calls,
        "{act:?}: every outer record written"
    );
    let inner = match act {
        Act::LogMacro | Act::LogProducer => calls,
        Act::Reopen | Act::Flush => 0,
    };
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (calls + inner, calls, inner),
        "{act:?}: records logged inside the sink are counted dropped"
    );
    match act {
        Act::Reopen => {
            assert_eq!(seen.reopens, vec![Err(ReopenError::OnWriterThread); 6]);
        }
        Act::Flush => {
            assert_eq!(seen.flushes, vec![Err(FlushError::OnWriterThread); 18]);
        }
        Act::LogMacro | Act::LogProducer => {}
    }
}

#[test]
fn a_sync_mode_sink_that_reopens_flushes_or_logs_is_answered_at_once() {
    for act in [Act::Reopen, Act::Flush, Act::LogMacro, Act::LogProducer] {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            scenario(act);
            tx.send(()).unwrap();
        });
        match rx.recv_timeout(DEADLINE) {
            Ok(()) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("{act:?}: the sink's call deadlocked"),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{act:?}: the scenario failed"),
        }
    }
}
