//! A record larger than the ring is counted oversized wherever its bytes
//! come from — a formatted message, a structured field, a `Display` value,
//! a `tracing` event's field or its span's —
//! and is never copied past the ring's size: lengths past 4 GiB neither wrap
//! nor hang `Block`, and memory stays bounded.

use std::fmt;
use uringlog::{Logger, MemorySink, Mode, Policy};
use uringlog_tests::SHUTDOWN;

const GIB: usize = 1 << 30;

/// `len` bytes of zeros that cost no memory: a read-only anonymous mapping
/// (reads map the shared zero page), unmapped on drop.
struct Zeros {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Zeros {
    fn new(len: usize) -> Zeros {
        // SAFETY: an anonymous private mapping with no address hint; the
        // result is checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap of {len} bytes");
        Zeros { ptr, len }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is `len` readable bytes and lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.cast(), self.len) }
    }

    fn str(&self) -> &str {
        std::str::from_utf8(&self.bytes()[..1]).expect("NUL is UTF-8");
        // SAFETY: every byte is 0, a one-byte UTF-8 character.
        unsafe { std::str::from_utf8_unchecked(self.bytes()) }
    }
}

impl Drop for Zeros {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// The process's peak resident set (`VmHWM`), in bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn logger(policy: Policy, mode: Mode) -> (Logger, uringlog::WriterGuard, uringlog::MemoryHandle) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(policy)
        .mode(mode)
        .ring_capacity(4096)
        .build()
        .unwrap();
    (logger, guard, out)
}

/// Logs `before`, one huge record through `huge`, then `after`, and checks
/// the huge one alone was counted oversized.
fn check(policy: Policy, mode: Mode, huge: impl FnOnce(&Logger)) {
    let (logger, guard, out) = logger(policy, mode);
    uringlog::info!(logger, "before");
    huge(&logger);
    uringlog::info!(logger, "after");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.oversized),
        (3, 2, 1, 1),
        "{policy:?} {mode:?}"
    );
    let lines = out.lines();
    assert!(lines[0].ends_with(": before") && lines[1].ends_with(": after"));
}

#[test]
fn fields_past_4_gib_are_oversized_without_copying_them() {
    let zeros = Zeros::new(5 * GIB);
    let hwm = peak_rss();
    for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
        for mode in [Mode::Async, Mode::Sync] {
            check(policy, mode, |l| {
                uringlog::info!(l, data = zeros.bytes(); "huge bytes");
            });
            check(policy, mode, |l| {
                uringlog::info!(l, text = zeros.str(), n = 1; "huge str");
            });
            check(policy, mode, |l| uringlog::info!(l, "{}", zeros.str()));
        }
    }
    let grown = peak_rss().saturating_sub(hwm);
    assert!(grown < 256 << 20, "peak RSS grew by {grown} bytes");
}

/// A value whose `Display` writes `chunks` chunks of 64 KiB, counting them.
struct Stream {
    chunks: usize,
    written: std::cell::Cell<usize>,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chunk = [b'z'; 64 * 1024];
        let chunk = std::str::from_utf8(&chunk).unwrap();
        for _ in 0..self.chunks {
            self.written.set(self.written.get() + 1);
            f.write_str(chunk)?;
        }
        Ok(())
    }
}

#[test]
fn a_display_field_streaming_gigabytes_is_stopped_at_the_ring_size() {
    for mode in [Mode::Async, Mode::Sync] {
        // 80,000 chunks of 64 KiB: 5 GiB if nothing stopped it.
        let v = Stream {
            chunks: 80_000,
            written: Default::default(),
        };
        check(Policy::Block, mode, |l| {
            uringlog::info!(l, v = uringlog::display(&v); "streamed");
        });
        assert_eq!(v.written.get(), 1, "the first chunk crosses the 4 KiB cap");
        let v = Stream {
            chunks: 80_000,
            written: Default::default(),
        };
        check(Policy::Block, mode, |l| uringlog::info!(l, "{v}"));
        assert_eq!(v.written.get(), 1);
    }
}

#[test]
fn a_record_just_under_the_cap_is_written_in_sync_mode_too() {
    for mode in [Mode::Async, Mode::Sync] {
        let (logger, guard, out) = logger(Policy::Block, mode);
        let msg = "y".repeat(4096 - 16 - 1);
        uringlog::info!(logger, target: "t", "{msg}");
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped, s.oversized), (1, 0, 0), "{mode:?}");
        assert!(out.text().ends_with(&format!("t: {msg}\n")));
    }
}

#[test]
fn tracing_fields_and_spans_past_4_gib_are_oversized_without_copying_them() {
    use tracing_subscriber::prelude::*;
    let zeros = Zeros::new(5 * GIB);
    let hwm = peak_rss();
    for mode in [Mode::Async, Mode::Sync] {
        let traced = |l: &Logger, f: &dyn Fn()| {
            let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(l));
            tracing::subscriber::with_default(subscriber, f);
        };
        check(Policy::Block, mode, |l| {
            traced(l, &|| tracing::info!(data = zeros.str(), "huge str"));
        });
        check(Policy::Block, mode, |l| {
            traced(l, &|| tracing::info!(data = zeros.bytes(), "huge bytes"));
        });
        check(Policy::Block, mode, |l| {
            traced(l, &|| tracing::info!("{}", zeros.str()));
        });
        check(Policy::Block, mode, |l| {
            traced(l, &|| {
                let span = tracing::info_span!("s", data = zeros.str());
                let _e = span.enter();
                tracing::info!("in a huge span");
            });
        });
        let v = Stream {
            chunks: 80_000,
            written: Default::default(),
        };
        check(Policy::Block, mode, |l| {
            traced(l, &|| tracing::info!(v = %v, "streamed"));
        });
        assert_eq!(v.written.get(), 1, "the first chunk crosses the 4 KiB cap");
    }
    let grown = peak_rss().saturating_sub(hwm);
    assert!(grown < 256 << 20, "peak RSS grew by {grown} bytes");
}
