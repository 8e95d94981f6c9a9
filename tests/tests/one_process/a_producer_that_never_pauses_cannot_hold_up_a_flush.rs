//! One thread logs flat out into a sink slower than it (under `Block` its
//! ring refills as fast as the writer empties it). Another thread logs a
//! record and flushes: the writer must get to the other ring, and to the
//! flush, after at most what the busy ring held — not only once the busy
//! thread stops logging. The same holds for `reopen` and for every other
//! ring's records.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uringlog::{Logger, Policy, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// Records the busy thread logs at most; it stops earlier once told.
const CAP: u64 = 200_000;
/// Records the busy thread logs before the other thread starts.
const HEAD_START: u64 = 5_000;

/// Takes a millisecond per batch: far slower than a producer.
struct Slow {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Sink for Slow {
    fn describe(&self) -> String {
        "slow".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        std::thread::sleep(Duration::from_millis(1));
        let text = String::from_utf8_lossy(batch);
        self.lines
            .lock()
            .unwrap()
            .extend(text.lines().map(str::to_owned));
        Ok(())
    }
}

#[test]
fn a_producer_that_never_pauses_cannot_hold_up_a_flush() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (logger, guard) = Logger::builder()
        .sink(Slow {
            lines: lines.clone(),
        })
        .policy(Policy::Block)
        .ring_capacity(64 * 1024)
        .batch_size(100)
        .build()
        .unwrap();
    let stop = AtomicBool::new(false);
    let logged = AtomicU64::new(0);
    let at_flush = std::thread::scope(|s| {
        s.spawn(|| {
            for seq in 0..CAP {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                uringlog::info!(logger, "busy seq={seq}");
                logged.store(seq + 1, Ordering::Relaxed);
            }
        });
        while logged.load(Ordering::Relaxed) < HEAD_START {
            std::thread::yield_now();
        }
        uringlog::info!(logger, "the other thread's record");
        logger.flush().unwrap();
        logger.reopen().unwrap();
        let at_flush = logged.load(Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        at_flush
    });
    assert!(
        at_flush < CAP,
        "the flush and reopen waited until the busy thread stopped logging"
    );
    let busy = logged.load(Ordering::Relaxed);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (busy + 1, 0));
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len() as u64, busy + 1);
    let other = lines
        .iter()
        .filter(|l| l.ends_with("the other thread's record"));
    assert_eq!(other.count(), 1);
}
