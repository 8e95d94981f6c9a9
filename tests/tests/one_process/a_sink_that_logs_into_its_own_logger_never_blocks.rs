//! A sink, or a library it calls (through `log` or a global `tracing`
//! subscriber), that logs into its own logger does so on the writer
//! thread, the only thread that drains its ring. Under `Block`, more than
//! a ring's worth used to park the writer waiting for itself: nothing more
//! was written, flush and shutdown timed out. Such a record is now refused
//! when the ring is full (counted dropped), and the books balance.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use uringlog::{Logger, Policy, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// Records the sink logs while writing its first batch.
const FROM_THE_SINK: usize = 200;

/// Logs `FROM_THE_SINK` records into its own logger on its first batch.
struct Chatty {
    logger: Arc<OnceLock<Logger>>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Sink for Chatty {
    fn describe(&self) -> String {
        "chatty".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let mut lines = self.lines.lock().unwrap();
        if lines.is_empty() {
            if let Some(l) = self.logger.get() {
                for i in 0..FROM_THE_SINK {
                    uringlog::info!(l, "from the sink {i}");
                }
            }
        }
        let text = std::str::from_utf8(batch).unwrap();
        lines.extend(text.lines().map(str::to_owned));
        Ok(())
    }
}

#[test]
fn a_sink_logging_more_than_its_ring_holds_never_blocks_the_writer() {
    let logger = Arc::new(OnceLock::new());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Chatty {
        logger: logger.clone(),
        lines: lines.clone(),
    };
    let (l, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .ring_capacity(4096)
        .build()
        .unwrap();
    logger.set(l.clone()).unwrap();
    uringlog::info!(l, "from the caller");
    l.flush_timeout(SHUTDOWN).unwrap();
    uringlog::info!(l, "after");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let lines = lines.lock().unwrap();
    let total = 2 + FROM_THE_SINK as u64;
    assert_eq!(s.enqueued, total);
    assert_eq!(s.written + s.dropped, total);
    assert_eq!(lines.len() as u64, s.written);
    assert!(
        s.dropped > 0,
        "a 4 KiB ring holds fewer than {FROM_THE_SINK}"
    );
    assert!(lines[0].ends_with("from the caller"), "{}", lines[0]);
    assert!(lines.iter().any(|l| l.ends_with(" after")), "{lines:?}");
    // The sink's records that fit are written, in order.
    let from_sink: Vec<usize> = lines
        .iter()
        .filter_map(|l| {
            l.rsplit_once("from the sink ")
                .map(|(_, n)| n.parse().unwrap())
        })
        .collect();
    assert_eq!(from_sink, (0..from_sink.len()).collect::<Vec<_>>());
}
