//! A set of one sink in the default text or JSON format has a drain loop
//! of its own, which counts a run's records by its one batch's count.
//! Under every batch size from 1 up, with a level filter on the sink
//! (records below it not taken at the call), from
//! several threads, across flushes and a reopen: no batch holds more
//! records than the batch size, every record at or above the level is
//! written once in its thread's order, and the books balance exactly.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use uringlog::{Format, Level, Logger, ReopenCause, Sink, SinkOptions, Target};

/// Keeps every batch's lines.
struct Batches(Arc<Mutex<Vec<Vec<String>>>>);

impl Sink for Batches {
    fn describe(&self) -> String {
        "batches".to_owned()
    }
    fn target(&mut self, _: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        let text = String::from_utf8(batch.to_vec()).unwrap();
        let lines = text.lines().map(str::to_owned).collect();
        self.0.lock().unwrap().push(lines);
        Ok(())
    }
    fn reopen(&mut self, _: ReopenCause) -> std::io::Result<()> {
        Ok(())
    }
}

const THREADS: u64 = 3;
const PER_THREAD: u64 = 600;

/// The level of record `i`: a third below the sink's `Warn`.
fn level(i: u64) -> Level {
    match i % 3 {
        0 => Level::Info,
        1 => Level::Warn,
        _ => Level::Error,
    }
}

/// The numbers (`i=`) of thread `t`'s lines (`t=<t> i=<n>`, text or
/// JSON), in the order given.
fn numbers_of<'a>(t: u64, lines: impl Iterator<Item = &'a String>) -> Vec<u64> {
    let mine = format!("t={t} ");
    lines
        .filter_map(|l| l.split_once(&mine))
        .map(|(_, rest)| {
            rest.trim_start_matches("i=")
                .trim_end_matches("\"}")
                .parse()
                .unwrap()
        })
        .collect()
}

fn run(format: Format, batch_size: usize) {
    let batches = Arc::new(Mutex::new(Vec::new()));
    let options = SinkOptions::new().format(format).min_level(Level::Warn);
    let (logger, guard) = Logger::builder()
        .sink_with(Batches(batches.clone()), options)
        .batch_size(batch_size)
        .build()
        .unwrap();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let logger = logger.clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    logger.log(level(i), "app", format_args!("t={} i={}", t, i));
                    if i % 97 == 0 {
                        logger.flush().unwrap();
                    }
                }
            })
        })
        .collect();
    logger.reopen().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    drop(logger);
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    let batches = batches.lock().unwrap();
    let what = format!("{format:?} batch size {batch_size}");
    for b in batches.iter() {
        assert!(
            !b.is_empty() && b.len() <= batch_size,
            "{what}: {}",
            b.len()
        );
    }
    let taken = PER_THREAD / 3 * 2;
    // The sink's level is the logger's floor: records below it are not
    // taken at the call.
    assert_eq!(stats.enqueued, THREADS * taken, "{what}");
    assert_eq!(stats.written, THREADS * taken, "{what}");
    assert_eq!(stats.dropped, 0, "{what}");
    assert_eq!(stats.batches, batches.len() as u64, "{what}");
    let lines: Vec<&String> = batches.iter().flatten().collect();
    assert_eq!(lines.len() as u64, THREADS * taken, "{what}");
    for t in 0..THREADS {
        let got = numbers_of(t, lines.iter().copied());
        let want: Vec<u64> = (0..PER_THREAD)
            .filter(|&i| level(i) >= Level::Warn)
            .collect();
        assert_eq!(got, want, "{what}: thread {t}");
    }
}

#[test]
fn text_batches_keep_their_size_and_the_books() {
    for batch_size in [1, 2, 3, 7, 64, 4096] {
        run(Format::text(), batch_size);
    }
}

#[test]
fn json_batches_keep_their_size_and_the_books() {
    for batch_size in [1, 2, 3, 7, 64, 4096] {
        run(Format::json(), batch_size);
    }
}

/// Fails every third batch; keeps the lines of the others.
struct Failing {
    writes: u64,
    kept: Arc<Mutex<Vec<String>>>,
}

impl Sink for Failing {
    fn describe(&self) -> String {
        "failing".to_owned()
    }
    fn target(&mut self, _: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        self.writes += 1;
        if self.writes % 3 == 0 {
            return Err(std::io::Error::from_raw_os_error(libc::EIO));
        }
        let text = String::from_utf8(batch.to_vec()).unwrap();
        self.kept
            .lock()
            .unwrap()
            .extend(text.lines().map(str::to_owned));
        Ok(())
    }
    fn reopen(&mut self, _: ReopenCause) -> std::io::Result<()> {
        Ok(())
    }
}

/// A one-sink set whose batches fail now and then, reopened while three
/// threads log, shut down while they still do: what the sink kept is
/// what counts written, the rest dropped (the failed batches' and the
/// calls after the shutdown), the books balance.
#[test]
fn failing_batches_reopens_and_a_shutdown_mid_logging_keep_the_books() {
    for format in [Format::text(), Format::json()] {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let sink = Failing {
            writes: 0,
            kept: kept.clone(),
        };
        let (logger, guard) = Logger::builder()
            .sink_with(sink, SinkOptions::new().format(format))
            .batch_size(5)
            .build()
            .unwrap();
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let logger = logger.clone();
                std::thread::spawn(move || {
                    for i in 0..PER_THREAD * 10 {
                        uringlog::warn!(logger, "t={} i={}", t, i);
                    }
                })
            })
            .collect();
        // Some records before the reopens and the shutdown: those are
        // written (or fail) before it returns.
        uringlog_tests::wait_for("records logged", || logger.stats().enqueued >= 3_000);
        for _ in 0..5 {
            logger.reopen().unwrap();
        }
        guard.shutdown(Duration::from_secs(30)).unwrap();
        for t in threads {
            t.join().unwrap();
        }
        // The threads' calls after the shutdown counted too (dropped).
        let stats = logger.stats();
        let kept = kept.lock().unwrap();
        let what = format!("{format:?}");
        assert_eq!(stats.written, kept.len() as u64, "{what}");
        assert_eq!(stats.written + stats.dropped, stats.enqueued, "{what}");
        assert!(stats.errors > 0, "{what}: {stats:?}");
        for t in 0..THREADS {
            let got = numbers_of(t, kept.iter());
            assert!(got.windows(2).all(|w| w[0] < w[1]), "{what}: thread {t}");
        }
    }
}
