//! Batches that fail mid-run leave the file holding exactly the records
//! counted written: no hole, no NUL byte, no torn or repeated line, and
//! `written + dropped == enqueued`. For both backends, io_depth 1–4,
//! buffered (`O_APPEND`) and `O_DIRECT` files.
//!
//! Faults without mounts: `RLIMIT_FSIZE` (with `SIGXFSZ` ignored) makes
//! every write past a size fail with `EFBIG`, the first one after a partial
//! write. A second thread sets the limit a little past the file's end and
//! lifts it again, every 300 µs, while the logger writes: failed and
//! successful batches alternate while others are in flight. (Before the
//! writer reported failures ahead of routing the next batch, io_uring at
//! depth 1 left `bytes_written` larger than the file here.) The timing
//! varies from run to run; the property holds for every interleaving.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::{set_fsize, SHUTDOWN};

const RECORDS: u64 = 20_000;

fn line(seq: u64) -> String {
    format!("seq={seq} {}", "z".repeat(40 + (seq % 7) as usize))
}

fn scenario(backend: Backend, depth: usize, o_direct: bool, dir: &Path) {
    let what = format!("{backend:?}, depth {depth}, O_DIRECT {o_direct}");
    let path = dir.join(format!("{backend:?}-{depth}-{o_direct}.log"));
    let sink = match o_direct {
        true => FileSink::new_o_direct(&path).unwrap(),
        false => FileSink::new(&path).unwrap(),
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .backend(backend)
        .io_depth(depth)
        .batch_bytes(4096)
        .build()
        .unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        // Faults come and go while batches are in flight.
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let len = std::fs::metadata(&path).map_or(0, |m| m.len());
                set_fsize(len + 6000);
                std::thread::sleep(Duration::from_micros(300));
                set_fsize(libc::RLIM_INFINITY);
                std::thread::sleep(Duration::from_micros(300));
            }
        });
        for seq in 0..RECORDS {
            uringlog::info!(logger, "{}", line(seq));
            if seq % 64 == 0 {
                std::thread::yield_now();
            }
        }
        let _ = logger.flush();
        stop.store(true, Ordering::Relaxed);
    });
    set_fsize(libc::RLIM_INFINITY);
    let errors = logger.recent_errors();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(s.enqueued, RECORDS, "{what}");
    assert_eq!(s.written + s.dropped, s.enqueued, "{what}: {s:?}");
    assert!(
        s.dropped > 0 && s.errors > 0,
        "{what}: no batch failed: {s:?}"
    );

    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.contains(&0), "{what}: NUL bytes in the file");
    assert_eq!(
        bytes.len() as u64,
        s.bytes_written,
        "{what}: {s:?} {errors:?}"
    );
    let text = String::from_utf8(bytes).unwrap();
    let mut last = None;
    let mut lines = 0;
    for l in text.lines() {
        let seq = uringlog_tests::field(l, "seq=").unwrap();
        assert!(l.ends_with(&line(seq)), "{what}: torn line {l:?}");
        assert!(last < Some(seq), "{what}: {seq} after {last:?}");
        last = Some(seq);
        lines += 1;
    }
    assert_eq!(lines, s.written, "{what}: lines in the file vs written");
}

#[test]
fn failed_batches_leave_exactly_the_written_records() {
    // SAFETY: ignoring SIGXFSZ so a write past the limit fails with EFBIG.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let dir = tempfile::tempdir().unwrap();
    let test = "failed_batches_leave_exactly_the_written_records";
    let uring = uringlog_tests::io_uring_available(test);
    let o_direct = uringlog_tests::o_direct_available(test, dir.path());
    for backend in [Backend::Pwrite, Backend::IoUring] {
        for depth in 1..=4 {
            for direct in [false, true] {
                if (backend == Backend::IoUring && !uring) || (direct && !o_direct) {
                    continue;
                }
                scenario(backend, depth, direct, dir.path());
            }
        }
    }
}
