//! `make_writer` copies each formatted event into the thread's ring: once
//! warm, logging through `tracing_subscriber::fmt` and uringlog allocates
//! nothing per event (tracing-appender allocates a `Vec` per line), and
//! neither does the uringlog layer for an event with fields outside spans.

use tracing_subscriber::prelude::*;
use uringlog::{Logger, MemorySink};
use uringlog_tests::alloc_count::{allocations, Counting};
use uringlog_tests::SHUTDOWN;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn events(n: u64) {
    for i in 0..n {
        tracing::info!(id = i, user = "alice", ok = true, "request {}", i);
    }
}

#[test]
fn steady_state_events_allocate_nothing() {
    let (probe, ()) = allocations(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(8))));
    assert_eq!(probe, 1, "the counter counts");
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    let fmt = tracing_subscriber::fmt()
        .with_writer(uringlog::tracing::make_writer(&logger))
        .with_ansi(false)
        .finish();
    let via_writer = tracing::subscriber::with_default(fmt, || {
        events(100); // warm-up: the ring, the fmt buffer, the callsite
        allocations(|| events(1_000)).0
    });
    let layered = tracing_subscriber::registry().with(uringlog::tracing::layer(&logger));
    let via_layer = tracing::subscriber::with_default(layered, || {
        events(100);
        allocations(|| events(1_000)).0
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((via_writer, via_layer), (0, 0));
    assert_eq!((s.enqueued, s.written, s.dropped), (2_200, 2_200, 0));
    assert_eq!(out.lines().len(), 2_200);
}
