//! The deferred-completion protocol with a scripted sink: records count
//! when the sink settles them, a flush waits for that (or fails naming the
//! sink), shutdown counts what never settled as dropped, a full sink under
//! `Block` stops the writer from draining, a sink that settles a
//! ticket twice cannot push the books past `enqueued`, a sink's notices
//! (connection state) are reported without counting as errors, and a sink
//! idle until a given time is served again at that time.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use uringlog::{
    Backlog, Completion, FlushError, Logger, Mode, Policy, RecordBatch, Settled, Sink, SinkContext,
    Target, Ticket,
};
use uringlog_tests::wait_for;

/// What the scripted sink does with what it holds when asked to settle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Hold,
    WriteAll,
    WriteAllTwice,
    DropAll,
    /// Holds until `due`, saying it can do nothing before then; then writes all.
    WriteWhenDue,
}

#[derive(Debug)]
struct Script {
    act: Act,
    held: Vec<(Ticket, usize)>,
    /// Full once it holds this many records.
    full_at: usize,
    most_held: usize,
    refuse: bool,
    records_seen: u64,
    /// Handed out by `take_notice` (front first) and `take_error`.
    notices: Vec<String>,
    errors: Vec<String>,
    due: Option<Instant>,
}

#[derive(Clone)]
struct Handle(Arc<Mutex<Script>>);

impl Handle {
    fn get(&self) -> MutexGuard<'_, Script> {
        self.0.lock().unwrap()
    }
}

struct Scripted {
    s: Handle,
    flush_timeout: Duration,
}

fn scripted(act: Act, full_at: usize, flush_timeout_ms: u64) -> (Scripted, Handle) {
    let h = Handle(Arc::new(Mutex::new(Script {
        act,
        held: Vec::new(),
        full_at,
        most_held: 0,
        refuse: false,
        records_seen: 0,
        notices: Vec::new(),
        errors: Vec::new(),
        due: None,
    })));
    let sink = Scripted {
        s: h.clone(),
        flush_timeout: Duration::from_millis(flush_timeout_ms),
    };
    (sink, h)
}

impl Sink for Scripted {
    fn describe(&self) -> String {
        "scripted peer".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        unreachable!("deferred sinks get accept")
    }
    fn completion(&mut self, _ctx: &SinkContext) -> Completion {
        Completion::Deferred {
            flush_timeout: self.flush_timeout,
        }
    }
    fn accept(&mut self, batch: &RecordBatch<'_>, _done: &mut Settled) -> std::io::Result<()> {
        let mut s = self.s.get();
        if s.refuse {
            return Err(std::io::Error::other("refused on purpose"));
        }
        s.records_seen += batch.len() as u64;
        for r in batch.records() {
            s.held.push((r.ticket, r.bytes.len()));
        }
        s.most_held = s.most_held.max(s.held.len());
        Ok(())
    }
    fn settle(&mut self, _wait: Duration, done: &mut Settled) {
        let mut s = self.s.get();
        let act = s.act;
        let early = s.due.is_some_and(|d| Instant::now() < d);
        if act == Act::Hold || (act == Act::WriteWhenDue && early) {
            return;
        }
        for (t, len) in s.held.drain(..) {
            match act {
                Act::WriteAll | Act::WriteWhenDue => done.written(t, len),
                Act::WriteAllTwice => {
                    done.written(t, len);
                    done.written(t, len);
                }
                _ => done.dropped(t),
            }
        }
    }
    fn take_notice(&mut self) -> Option<String> {
        let mut s = self.s.get();
        (!s.notices.is_empty()).then(|| s.notices.remove(0))
    }
    fn take_error(&mut self) -> Option<std::io::Error> {
        let mut s = self.s.get();
        (!s.errors.is_empty()).then(|| std::io::Error::other(s.errors.remove(0)))
    }
    fn backlog(&self) -> Backlog {
        let s = self.s.get();
        let oldest = s.held.first().map(|(t, _)| t.seq());
        let idle = s.due.filter(|d| Instant::now() < *d);
        Backlog::new(oldest, s.held.len() >= s.full_at).with_idle_until(idle)
    }
}

fn logger(sink: Scripted, policy: Policy) -> (Logger, uringlog::WriterGuard) {
    Logger::builder()
        .sink(sink)
        .policy(policy)
        .batch_size(8)
        .build()
        .unwrap()
}

#[test]
fn records_count_when_settled_and_flush_waits_for_them() {
    let (sink, h) = scripted(Act::Hold, usize::MAX, 200);
    let (logger, guard) = logger(sink, Policy::Block);
    for n in 0..100 {
        uringlog::info!(logger, "n={n}");
    }
    match logger.flush() {
        Err(FlushError::Io { last, .. }) => assert_eq!(
            last,
            "flush: scripted peer: records logged before it are still unsettled after 200 ms"
        ),
        other => panic!("{other:?}"),
    }
    let s = logger.stats();
    assert_eq!((s.written, s.dropped, s.pending()), (0, 0, 100));
    h.get().act = Act::WriteAll;
    logger.flush().unwrap();
    let s = logger.stats();
    assert_eq!(
        (s.written, s.dropped),
        (100, 0),
        "flush returned once settled"
    );
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (100, 100, 0));
}

#[test]
fn shutdown_counts_what_never_settled_as_dropped() {
    let (sink, _h) = scripted(Act::Hold, usize::MAX, 100);
    let (logger, guard) = logger(sink, Policy::Block);
    for n in 0..50 {
        uringlog::info!(logger, "n={n}");
    }
    let s = guard.shutdown(Duration::from_secs(2)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (50, 0, 50));
    let errors = logger.recent_errors();
    assert!(
        errors.contains(
            &"scripted peer: 50 records unsettled at shutdown (50 counted dropped)".to_owned()
        ),
        "{errors:?}"
    );
}

#[test]
fn a_full_sink_under_block_stops_the_writer_and_loses_nothing() {
    let (sink, h) = scripted(Act::Hold, 20, 200);
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .batch_size(8)
        .ring_capacity(uringlog::MIN_RING_CAPACITY)
        .build()
        .unwrap();
    let l = logger.clone();
    let producer = std::thread::spawn(move || {
        for n in 0..20_000 {
            uringlog::info!(l, "n={n}");
        }
    });
    while h.get().held.len() < 20 {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Full: the writer takes nothing more however long the producer waits.
    std::thread::sleep(Duration::from_millis(50));
    let seen = h.get().records_seen;
    assert!(seen < 20 + 8, "at most the batch that filled it: {seen}");
    assert!(
        !producer.is_finished(),
        "the producer waits for room (Block)"
    );
    match logger.flush() {
        Err(FlushError::Io { last, .. }) => {
            assert_eq!(
                last,
                "flush: scripted peer: its buffer stayed full after 200 ms"
            )
        }
        other => panic!("a flush cannot drain into a full sink: {other:?}"),
    }
    let seen = h.get().records_seen;
    assert!(seen < 20 + 8, "the failed flush drained nothing: {seen}");
    h.get().act = Act::WriteAll;
    producer.join().unwrap();
    logger.flush().unwrap();
    let most = h.get().most_held;
    assert!(most < 20 + 8, "held {most}");
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (20_000, 20_000, 0));
}

#[test]
fn settling_a_ticket_twice_cannot_inflate_the_books() {
    let (sink, _h) = scripted(Act::WriteAllTwice, usize::MAX, 1_000);
    let (logger, guard) = logger(sink, Policy::Block);
    for n in 0..40 {
        uringlog::info!(logger, "n={n}");
    }
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (40, 40, 0));
}

#[test]
fn refused_and_dropped_records_are_counted() {
    let (sink, h) = scripted(Act::DropAll, usize::MAX, 1_000);
    let (logger, guard) = logger(sink, Policy::Block);
    for n in 0..10 {
        uringlog::info!(logger, "n={n}");
    }
    logger.flush().unwrap();
    h.get().refuse = true;
    for n in 0..5 {
        uringlog::info!(logger, "n={n}");
    }
    let e = logger.flush().unwrap_err().to_string();
    assert!(e.contains("dropped): refused on purpose"), "{e}");
    // The writer may take the five records in one batch or several (it is
    // woken by the first): every refusal is reported, and together they
    // name exactly the five records.
    let refused: usize = logger
        .recent_errors()
        .iter()
        .filter_map(|m| {
            let rest = m.split("scripted peer refused ").nth(1)?;
            let (n, tail) = rest.split_once(" records (")?;
            assert!(tail.ends_with("dropped): refused on purpose"), "{m}");
            n.parse::<usize>().ok()
        })
        .sum();
    assert_eq!(refused, 5, "{:?}", logger.recent_errors());
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (15, 0, 15));
}

#[test]
fn behind_another_sink_a_deferred_sink_counts_nothing() {
    let (mem, out) = uringlog::MemorySink::new();
    let (sink, _h) = scripted(Act::DropAll, usize::MAX, 1_000);
    let (logger, guard) = Logger::builder().sink(mem).sink(sink).build().unwrap();
    for n in 0..30 {
        uringlog::info!(logger, "n={n}");
    }
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (30, 30, 0));
    assert_eq!(out.lines().len(), 30);
}

#[test]
fn sync_mode_settles_on_flush_and_shutdown() {
    let (sink, h) = scripted(Act::Hold, usize::MAX, 100);
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    for n in 0..10 {
        uringlog::info!(logger, "n={n}");
    }
    assert!(logger.flush().is_err(), "held past the flush timeout");
    h.get().act = Act::WriteAll;
    logger.flush().unwrap();
    assert_eq!(logger.stats().written, 10);
    h.get().act = Act::Hold;
    uringlog::info!(logger, "last");
    let s = guard.shutdown(Duration::from_secs(2)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (11, 10, 1));
}

#[test]
fn notices_are_reported_without_failing_a_flush() {
    let (sink, h) = scripted(Act::WriteAll, usize::MAX, 1_000);
    let (logger, guard) = logger(sink, Policy::Block);
    h.get().notices.push("connection lost".to_owned());
    h.get().notices.push("connected again".to_owned());
    for n in 0..10 {
        uringlog::info!(logger, "n={n}");
    }
    logger.flush().expect("a notice is not an error");
    assert_eq!(
        logger.recent_errors(),
        [
            "scripted peer: connection lost",
            "scripted peer: connected again"
        ]
    );
    assert_eq!(logger.stats().errors, 0);
    // An error then a notice: the flush fails, naming the error.
    h.get().errors.push("a record was refused".to_owned());
    h.get().notices.push("connection lost again".to_owned());
    uringlog::info!(logger, "one more");
    match logger.flush() {
        Err(FlushError::Io {
            failed_batches,
            last,
        }) => assert_eq!(
            (failed_batches, last.as_str()),
            (1, "scripted peer: a record was refused")
        ),
        other => panic!("{other:?}"),
    }
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped, s.errors), (11, 11, 0, 1));
}

#[test]
fn a_sink_idle_until_a_time_is_served_again_then() {
    let (sink, h) = scripted(Act::WriteWhenDue, usize::MAX, 20_000);
    let (logger, guard) = logger(sink, Policy::Block);
    h.get().due = Some(Instant::now() + Duration::from_millis(400));
    for n in 0..10 {
        uringlog::info!(logger, "n={n}");
    }
    // The writer sleeps deeply while the sink is idle; records logged
    // meanwhile are taken, and the flush is answered once the sink wrote
    // them at its time.
    std::thread::sleep(Duration::from_millis(200));
    for n in 10..20 {
        uringlog::info!(logger, "n={n}");
    }
    logger.flush().unwrap();
    assert!(Instant::now() >= h.get().due.unwrap());
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (20, 20, 0));
}

/// Without any flush: while the sink says it can do nothing for an hour,
/// the writer still takes each record as it is logged (a record wakes it;
/// nothing else would for an hour), and once the sink says it is due
/// shortly, the writer's sleep ends at that time and the sink settles
/// everything. Neither waits for a timeout of the writer's own.
#[test]
fn a_sink_idle_for_an_hour_still_takes_records_and_is_served_at_its_time() {
    let (sink, h) = scripted(Act::WriteWhenDue, usize::MAX, 20_000);
    h.get().due = Some(Instant::now() + Duration::from_secs(3600));
    let (logger, guard) = logger(sink, Policy::Block);
    for n in 0..10u64 {
        uringlog::info!(logger, "n={n}");
        wait_for(
            "a record logged while the sink idles was never taken",
            || h.get().records_seen == n + 1,
        );
    }
    assert_eq!(logger.stats().written, 0, "the sink settles nothing early");
    h.get().due = Some(Instant::now() + Duration::from_millis(50));
    // The writer learns the new time when it next looks at the sink: the
    // next record wakes it.
    uringlog::info!(logger, "n=10");
    wait_for("the writer slept past the sink's time", || {
        logger.stats().written == 11
    });
    assert!(Instant::now() >= h.get().due.unwrap());
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (11, 11, 0));
}

/// `flush_sync` is a flush and more: it waits, as `flush` does, for the
/// deferred sinks to settle what was logged before it (or fails naming
/// the sink at its flush timeout), in both modes.
#[test]
fn flush_sync_waits_for_settled_records_as_flush_does() {
    for mode in [Mode::Async, Mode::Sync] {
        let (sink, h) = scripted(Act::Hold, usize::MAX, 200);
        let (logger, guard) = Logger::builder()
            .sink(sink)
            .mode(mode)
            .batch_size(8)
            .build()
            .unwrap();
        for n in 0..20 {
            uringlog::info!(logger, "n={n}");
        }
        match logger.flush_sync() {
            Err(FlushError::Io { last, .. }) => assert_eq!(
                last,
                "flush: scripted peer: records logged before it are still unsettled after 200 ms",
                "{mode:?}"
            ),
            other => panic!("{mode:?}: flush_sync returned before the sink settled: {other:?}"),
        }
        assert_eq!(logger.stats().written, 0, "{mode:?}");
        h.get().act = Act::WriteAll;
        logger.flush_sync().unwrap();
        assert_eq!(
            logger.stats().written,
            20,
            "{mode:?}: flush_sync returned once settled"
        );
        let s = guard.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (20, 20, 0), "{mode:?}");
    }
}
