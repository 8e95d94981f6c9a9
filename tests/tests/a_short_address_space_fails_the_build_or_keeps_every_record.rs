//! A process whose address space is nearly used up (`RLIMIT_AS` a little
//! above its size) either fails `build` naming the writer's batch buffers
//! or writes every record it logs: the writer reserves every batch buffer
//! it will use before `build` returns, so none is allocated (and none can
//! fail, aborting the process with every record still in the rings) once
//! records flow.
//!
//! Each limit runs in a child process (this test binary, run again) that
//! sets the limit to its own size plus a headroom, builds, logs and shuts
//! down. The batches are large, so that the buffers dwarf everything else
//! the writer allocates: the headrooms tried give the writer thread and
//! the rest room to spare (`BASE`) plus a fraction of what the batch
//! buffers take, and stay clear of the edges where some small allocation
//! of the start-up is the one that fails.

use std::path::Path;
use std::process::Command;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::plain;
use uringlog_tests::{backends, SHUTDOWN};

const TEST: &str = "a_short_address_space_fails_the_build_or_keeps_every_record";
/// Tells a child its backend, headroom (bytes) and directory.
const CHILD: &str = "URINGLOG_SHORT_ADDRESS_SPACE_CHILD";
/// Records each child logs.
const RECORDS: u32 = 10_000;
/// The logger's `batch_bytes`.
const BATCH_BYTES: usize = 8 << 20;
/// io_uring's `io_depth` (few buffers, so that every headroom stays below
/// the 64 MiB the C library reserves for a thread's own heap, which would
/// otherwise take the writer's room where the limit allows it).
const IO_DEPTH: usize = 1;
/// Headroom for the writer thread's stack (2 MiB) and everything but the
/// batch buffers.
const BASE: u64 = 4 << 20;
/// Headrooms tried: `BASE` plus these quarters of the buffers' bytes
/// (refused below 4, written above).
const QUARTERS: [u64; 5] = [1, 2, 3, 5, 6];

/// The child's size (`VmSize`), in KiB.
fn vm_size_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = (status.lines())
        .find(|l| l.starts_with("VmSize:"))
        .expect("a VmSize line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Lowers the soft `RLIMIT_AS` to `bytes`.
fn limit_address_space(bytes: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for the call to fill.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut lim) }, 0);
    lim.rlim_cur = bytes.min(lim.rlim_max);
    // SAFETY: `lim` is a valid rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) }, 0);
}

/// In the child: under the limit, builds a file logger with the backend
/// asked, logs `RECORDS` lines and shuts down; writes `BUILT` and the
/// books, or `ERROR <the build's error>`, to `result` in its directory.
fn child(spec: &str) -> ! {
    let mut parts = spec.splitn(3, ',');
    let backend = match parts.next().unwrap() {
        "pwrite" => Backend::Pwrite,
        _ => Backend::IoUring,
    };
    let headroom: u64 = parts.next().unwrap().parse().unwrap();
    let dir = Path::new(parts.next().unwrap());
    let sink = FileSink::new(dir.join("app.log")).expect("the log file");
    let result = dir.join("result");
    limit_address_space(vm_size_kib() * 1024 + headroom);
    let built = Logger::builder()
        .sink(sink)
        .format(plain())
        .backend(backend)
        .batch_bytes(BATCH_BYTES)
        .io_depth(IO_DEPTH)
        .build();
    let (logger, guard) = match built {
        Ok(x) => x,
        Err(e) => {
            std::fs::write(result, format!("ERROR {e}")).unwrap();
            std::process::exit(0);
        }
    };
    for i in 0..RECORDS {
        uringlog::info!(logger, "line {i}");
    }
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).expect("a shutdown");
    let books = (s.enqueued, s.written, s.dropped);
    std::fs::write(result, format!("BUILT {books:?}")).unwrap();
    std::process::exit(0);
}

/// Runs the child with `backend` under `headroom`; what it wrote.
fn run_child(backend: &str, headroom: u64) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let spec = format!("{backend},{headroom},{}", tmp.path().display());
    let status = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, spec)
        .status()
        .expect("a child process");
    let what = format!("{backend} with {headroom} bytes of headroom");
    assert!(status.success(), "{what}: the child ended with {status}");
    let said = std::fs::read_to_string(tmp.path().join("result"))
        .unwrap_or_else(|e| panic!("{what}: no result ({e})"));
    let text = std::fs::read_to_string(tmp.path().join("app.log")).unwrap();
    (said, text)
}

#[test]
fn a_short_address_space_fails_the_build_or_keeps_every_record() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let n = u64::from(RECORDS);
    let every_line: String = (0..RECORDS).map(|i| format!("INFO  line {i}\n")).collect();
    for backend in backends(TEST) {
        let (name, depth) = match backend {
            Backend::Pwrite => ("pwrite", 0),
            _ => ("io_uring", IO_DEPTH),
        };
        // Each sink's open batch, one more, one per batch in flight; each
        // a batch and room for the record that crosses it.
        let bytes = (2 + depth) * (BATCH_BYTES + 1024);
        let refused = format!(
            "ERROR cannot allocate the writer's batch buffers ({bytes} bytes): out of memory"
        );
        for q in QUARTERS {
            let headroom = BASE + q * bytes as u64 / 4;
            let (said, text) = run_child(name, headroom);
            let what = format!("{name} with {q}/4 of the buffers");
            if q < 4 {
                assert_eq!((said.as_str(), text.len()), (refused.as_str(), 0), "{what}");
            } else {
                let built = format!("BUILT {:?}", (n, n, 0u64));
                assert_eq!(said, built, "{what}");
                assert!(text == every_line, "{what}: the file lacks records");
            }
        }
    }
}
