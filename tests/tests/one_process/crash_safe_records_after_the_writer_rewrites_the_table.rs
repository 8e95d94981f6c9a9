//! The call-site table deleted while a crash-safe logger runs, and written
//! again by the writer at its next commit (no new call site): records
//! logged afterwards at a call site registered before the deletion (the
//! caller's check is the id kept beside its ring, which the rewrite keeps)
//! are recovered rendered after a crash.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use uringlog::{Format, Logger, MemorySink, Sink, SinkOptions, Target, Timestamp};
use uringlog_tests::wait_for;

/// Writes through until `hold` is set; then its next write blocks until
/// released (the writer stuck, as a crash would find it).
struct Switch {
    hold: Arc<AtomicBool>,
    entered: Arc<AtomicBool>,
    release: Arc<Mutex<mpsc::Receiver<()>>>,
}

impl Sink for Switch {
    fn describe(&self) -> String {
        "switch".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        if self.hold.load(Ordering::SeqCst) && !self.entered.swap(true, Ordering::SeqCst) {
            let _ = self.release.lock().unwrap().recv();
        }
        Ok(())
    }
}

fn site(logger: &Logger, i: u64) {
    uringlog::info!(logger, "site i={}", i);
}

#[test]
fn records_after_the_writer_rewrote_the_deleted_table_are_rendered() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let hold = Arc::new(AtomicBool::new(false));
    let entered = Arc::new(AtomicBool::new(false));
    let (release, rx) = mpsc::channel();
    let sink = Switch {
        hold: hold.clone(),
        entered: entered.clone(),
        release: Arc::new(Mutex::new(rx)),
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(1 << 20)
        .crash_safe(&dir)
        .build()
        .unwrap();
    for i in 0..5 {
        site(&logger, i);
    }
    logger.flush().unwrap();
    let tables = uringlog_tests::call_site_tables(&dir);
    assert_eq!(tables.len(), 1);
    std::fs::remove_file(&tables[0]).unwrap();
    // Written and committed: the commit writes the table again.
    site(&logger, 5);
    logger.flush().unwrap();
    wait_for("the writer rewrote the table", || {
        uringlog_tests::call_site_tables(&dir).len() == 1
    });
    hold.store(true, Ordering::SeqCst);
    uringlog::info!(logger, "stuck");
    wait_for("the writer stuck", || entered.load(Ordering::SeqCst));
    for i in 6..20 {
        site(&logger, i);
    }
    guard
        .shutdown(std::time::Duration::from_millis(300))
        .unwrap_err();
    release.send(()).unwrap();
    let _ = logger.flush();
    let (sink, lines) = MemorySink::new();
    let plain = Format::text().timestamp(Timestamp::Off).without_target();
    let (_l, g) = Logger::builder()
        .sink_with(sink, SinkOptions::new().format(plain))
        .crash_safe(&dir)
        .build()
        .unwrap();
    g.shutdown(std::time::Duration::from_secs(30)).unwrap();
    let mut want = vec![
        format!(
            "WARN  crash-safe recovery: 15 records recovered from process {} (generation 1), 0 torn or corrupt records skipped",
            std::process::id()
        ),
        "INFO  stuck".to_owned(),
    ];
    want.extend((6..20).map(|i| format!("INFO  site i={i}")));
    assert_eq!(lines.lines(), want);
}
