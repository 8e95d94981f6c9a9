//! Preallocation changes no byte of a log file: the same lines make the
//! same file with it off, with a small step and with the default; a file
//! truncated under the sink (`copytruncate`) gets the later lines at its
//! new end, no hole, no zero; a process killed with `SIGKILL` mid-run
//! leaves a file of exactly the bytes written, no zero tail, blocks
//! reserved past its end or not.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use uringlog::Backend;
use uringlog_sinks::FileSink;
use uringlog_tests::{
    assert_all_written, bare_line_logger, log_each_flushed, seq_line, wait_for, SHUTDOWN,
};

const CHILD: &str = "URINGLOG_PREALLOC_KILLED_CHILD";

fn lines(seqs: std::ops::Range<u64>) -> String {
    seqs.map(|s| seq_line(s) + "\n").collect()
}

#[test]
fn the_same_lines_make_the_same_file_with_any_step() {
    let tmp = tempfile::tempdir().unwrap();
    for step in [0, 4096, 64 << 10, 16 << 20] {
        for backend in [Backend::Pwrite, Backend::IoUring] {
            let path = tmp.path().join(format!("{step}-{backend:?}.log"));
            let sink = FileSink::new(&path).unwrap().preallocate_bytes(step);
            let (logger, guard) = bare_line_logger(sink, backend);
            assert!(log_each_flushed(&logger, 0..500).is_empty());
            for seq in 500..20_000u64 {
                uringlog::info!(logger, "seq={:05} {}", seq, "i".repeat(83));
            }
            let what = format!("step {step}, {backend:?}");
            assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 20_000, &what);
            let got = std::fs::read_to_string(&path).unwrap();
            assert!(got == lines(0..20_000), "{what}: the bytes differ");
        }
    }
}

#[test]
fn copytruncate_puts_the_later_lines_at_the_new_end() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let sink = FileSink::new(&path).unwrap().preallocate_bytes(64 << 10);
    let (logger, guard) = bare_line_logger(sink, Backend::IoUring);
    assert!(log_each_flushed(&logger, 0..2000).is_empty());
    uringlog_tests::copytruncate(&path, &tmp.path().join("app.log.1"));
    assert!(log_each_flushed(&logger, 2000..3000).is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), lines(2000..3000));
    // The sink looked at the file at lines 0, 656, 1312 and 1968 (each a
    // 64 KiB step past the batch of the look before), reserving up to
    // 262,436 by its count; past the cut, its count reaches that at the
    // 625th line, and it reserves from the size it reads then, 62,400:
    // one step past that line. (From its own count, the blocks would lie
    // past 262,436, far beyond the new end.)
    let reserved = (62_400 + 100 + (64 << 10) as u64).next_multiple_of(4096);
    let ahead = std::fs::metadata(&path).unwrap().blocks() * 512;
    assert_eq!(ahead, reserved, "reserved from the new end");
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 3000, "copytruncate");
    let m = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (m.len(), m.blocks()),
        (100_000, 100_000_u64.div_ceil(4096) * 8)
    );
}

/// In a child: logs to the file the spec names, a batch at a time, until killed.
fn child_if_asked() {
    let Ok(path) = std::env::var(CHILD) else {
        return;
    };
    let sink = FileSink::new(Path::new(&path)).unwrap();
    let (logger, _guard) = bare_line_logger(sink.preallocate_bytes(1 << 20), Backend::IoUring);
    for seq in 0..100_000 {
        uringlog::info!(logger, "seq={:05} {}", seq, "i".repeat(83));
        if seq % 64 == 0 {
            let _ = logger.flush();
        }
    }
    loop {
        std::thread::park();
    }
}

#[test]
fn a_process_killed_mid_run_leaves_no_zero_tail() {
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "a_process_killed_mid_run_leaves_no_zero_tail"])
        .env(CHILD, &path)
        .spawn()
        .unwrap();
    wait_for("300 KB logged", || {
        std::fs::metadata(&path).is_ok_and(|m| m.len() > 300_000)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let m = std::fs::metadata(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, m.len());
    assert!(
        m.blocks() * 512 > m.len() + (512 << 10),
        "blocks reserved past the end"
    );
    assert_eq!(bytes.iter().position(|&b| b == 0), None, "no zero byte");
    let whole = bytes.len() - bytes.iter().rev().position(|&b| b == b'\n').unwrap();
    let text = std::str::from_utf8(&bytes[..whole]).unwrap();
    let seqs: Vec<&str> = text.lines().map(|l| &l[..16]).collect();
    let want: Vec<String> = (0..seqs.len() as u64)
        .map(|s| seq_line(s)[..16].to_owned())
        .collect();
    assert_eq!(seqs, want);
}
