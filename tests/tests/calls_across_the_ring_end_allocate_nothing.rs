//! A deferred record that straddles the end of its ring cannot be written
//! in place and takes the slow path through the producer's buffers, once
//! every lap of the ring. Those buffers start large enough for ordinary
//! records, so after the thread's first call (which registers its ring)
//! no call allocates — not even the ones that cross the ring's end.

use uringlog::{Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::alloc_count::{allocations, Counting};
use uringlog_tests::{read_lines, SHUTDOWN};

#[global_allocator]
static GLOBAL: Counting = Counting;

const CALLS: u64 = 3_000;
const WORDS: &str = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";

#[test]
fn calls_that_straddle_the_ring_end_allocate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrap.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .policy(Policy::Block)
        .ring_capacity(4096)
        .build()
        .unwrap();
    // The first call registers the thread's ring: it allocates.
    uringlog::info!(logger, "seq={} user={}", 0u64, "");
    let (allocs, ()) = allocations(|| {
        for i in 1..CALLS {
            // Records of 0..=100 bytes of text: their ends fall everywhere
            // in the ring, so many straddle it.
            let user = &WORDS[..(i % 101) as usize];
            uringlog::info!(logger, "seq={} user={}", i, user);
        }
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (CALLS, 0));
    assert_eq!(
        allocs,
        0,
        "allocations in {} calls after the first",
        CALLS - 1
    );
    assert_eq!(read_lines(&path).len() as u64, CALLS);
}
