//! A sink that logs on the writer thread through a producer of its own
//! (`Logger::producer`), dropped when its write returns, leaves an
//! abandoned ring of the writer's own behind. The feedback rule holds the
//! writer's own rings after one batch of nothing but their records, until
//! another thread logs; such a ring, abandoned or not, must then not keep
//! the writer awake. Before, an abandoned own ring counted as work for
//! every re-check: the writer never slept while nothing came. A sink
//! that logs through the logger (the writer thread's own producer, which
//! lives on) must let it sleep alike.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use uringlog::{Format, Level, Logger, Sink, Target, Timestamp};
use uringlog_tests::{wait_for, SHUTDOWN};

/// Writes that log a record of their own (through a fresh producer).
const LOGGING_WRITES: usize = 2;

/// How the sink logs.
#[derive(Clone, Copy, Debug)]
enum Through {
    /// A producer of its own (`Logger::producer`), dropped at once.
    FreshProducer,
    /// The logger (the thread's cached producer).
    Logger,
}

/// Keeps the lines; each of its first [`LOGGING_WRITES`] writes logs one
/// record, [`Through`] one way or the other.
struct LogsOnWrite {
    through: Through,
    logger: Arc<OnceLock<Logger>>,
    lines: Arc<Mutex<Vec<String>>>,
    writes: usize,
}

impl Sink for LogsOnWrite {
    fn describe(&self) -> String {
        format!("logs on write through {:?}", self.through)
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let text = std::str::from_utf8(batch).unwrap();
        self.lines
            .lock()
            .unwrap()
            .extend(text.lines().map(str::to_owned));
        self.writes += 1;
        if self.writes <= LOGGING_WRITES {
            let (logger, n) = (self.logger.get().unwrap(), self.writes);
            match self.through {
                Through::FreshProducer => {
                    let mut p = logger.producer();
                    p.log(Level::Info, "sink", format_args!("from write {n}"));
                }
                Through::Logger => uringlog::info!(logger, target: "sink", "from write {n}"),
            }
        }
        Ok(())
    }
}

#[test]
fn a_sink_that_logs_through_a_fresh_producer_lets_the_writer_sleep() {
    logs_then_sleeps(Through::FreshProducer);
}

#[test]
fn a_sink_that_logs_through_the_logger_lets_the_writer_sleep() {
    logs_then_sleeps(Through::Logger);
}

fn logs_then_sleeps(through: Through) {
    let logger = Arc::new(OnceLock::new());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (l, guard) = Logger::builder()
        .sink(LogsOnWrite {
            through,
            logger: logger.clone(),
            lines: lines.clone(),
            writes: 0,
        })
        .format(Format::text().timestamp(Timestamp::Off))
        .build()
        .unwrap();
    logger.set(l.clone()).unwrap();
    uringlog::info!(l, target: "caller", "first");
    // Write 1 ("first") logs "from write 1", whose batch is the writer's
    // own only; write 2 logs "from write 2", held by the feedback rule.
    wait_for("the sink's first record never written", || {
        l.stats().written == 2
    });
    // Failed before: the writer spun on the abandoned ring.
    wait_for(&format!("{through:?}: the writer never slept"), || {
        l.writer_sleeping()
    });
    assert_eq!(
        l.stats().written,
        2,
        "{through:?}: the held record was read"
    );
    // Another thread's record ends the hold: both go in one batch.
    uringlog::info!(l, target: "caller", "second");
    l.flush().unwrap();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (4, 4, 0), "{through:?}");
    assert_eq!(
        *lines.lock().unwrap(),
        [
            "INFO  caller: first",
            "INFO  sink: from write 1",
            "INFO  caller: second",
            "INFO  sink: from write 2",
        ],
        "{through:?}"
    );
}
