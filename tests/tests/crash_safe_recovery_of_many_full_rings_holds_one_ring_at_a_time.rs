//! Crash-safe recovery of a directory whose dead process left many full
//! rings: a child (this test binary, re-executed) logs from many threads
//! into 1 MiB rings while a sink that settles nothing keeps its writer
//! from committing, then dies by `SIGKILL`, leaving every record pending.
//! A logger built on the directory writes each of them once, in order per
//! thread, and holds one ring file at a time while it does: the heap it
//! uses beyond what it had before the build stays below four rings'
//! worth (one ring file, the 1 MiB of records recovery keeps before it
//! decides to read the rings again, the writer's buffers), whatever the
//! number of rings. Recovery read every ring's records into
//! memory before writing any (each record its own allocation), so a
//! directory took three times the size of all its rings: gigabytes for a
//! dead process that had thousands of threads or rings of 1 GiB.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{
    assert_every_held_record_recovered, kill_child, log_held_then_die, plain,
};
use uringlog_tests::SHUTDOWN;

/// Forwards to the system allocator, keeping the bytes live and the most
/// that were live at once since [`Peak::reset`].
struct Peak;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static MOST: AtomicUsize = AtomicUsize::new(0);

impl Peak {
    /// The bytes live now; the peak starts from them.
    fn reset() -> usize {
        let live = LIVE.load(Ordering::SeqCst);
        MOST.store(live, Ordering::SeqCst);
        live
    }
}

// SAFETY: forwards every call to the system allocator unchanged; the
// counters are atomics, which never allocate.
unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        MOST.fetch_max(live, Ordering::SeqCst);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` came from `alloc` above, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Peak = Peak;

const CHILD: &str = "URINGLOG_MANY_FULL_RINGS_CHILD";
const THREADS: u64 = 32;
/// Bytes of each producer's ring.
const RING: usize = 1 << 20;
/// Records each thread logs: about 60 bytes framed, most of its ring.
const RECORDS: u64 = 14_000;

/// Set before the child logs: its writer commits nothing.
static HOLD: AtomicBool = AtomicBool::new(true);

fn child(dir: &str, _log: &str) -> ! {
    log_held_then_die(dir, &HOLD, RING, THREADS, RECORDS)
}

#[test]
fn crash_safe_recovery_of_many_full_rings_holds_one_ring_at_a_time() {
    let dead = kill_child(
        "crash_safe_recovery_of_many_full_rings_holds_one_ring_at_a_time",
        CHILD,
        child,
    );
    let before = Peak::reset();
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&dead.log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(&dead.dir)
        .build()
        .unwrap();
    drop(logger);
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    let most = MOST.load(Ordering::SeqCst) - before;
    assert_every_held_record_recovered(&stats, &dead.log, THREADS, RECORDS);
    let rings = THREADS as usize * RING;
    // 2.4 MB measured, for 2 rings as for 32; 102 MB for 32 when every
    // ring's records were held at once.
    assert!(
        most < 4 * RING,
        "recovering {rings} bytes of rings took {most} bytes of heap at most"
    );
}
