//! A parent logging under load — its writes ending at aligned offsets,
//! inside records (see `FileSink`'s *Aligned writes*) — forks again and
//! again, and each child appends a line to the same file the moment it
//! starts, then logs through the logger it inherited. A fork waits for
//! the parent's writer to finish the record it had begun in the file, and
//! the parent splits no record after it: every line in the file is whole,
//! each of the parent's records once and in order, each child's all there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uringlog::Backend;
use uringlog_tests::{wait_child, SHUTDOWN};

const ROUNDS: u64 = 20;
const CHILD_RECORDS: u64 = 3_000;

fn pad(seq: u64) -> String {
    "p".repeat((seq * 41 % 180) as usize)
}

/// One round: a fresh logger (which aligns until the process forks),
/// a thread logging under load, one fork, the child logging at once.
fn round(r: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (logger, guard) = uringlog_tests::aligned_file_logger(&path, Backend::Pwrite);
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let (logger, stop) = (logger.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut seq = 0u64;
            while !stop.load(Ordering::Relaxed) || seq < 20_000 {
                uringlog::info!(logger, "parent seq={seq} {}", pad(seq));
                seq += 1;
            }
            seq
        })
    };
    std::thread::sleep(Duration::from_millis(5 + r % 7));
    // SAFETY: fork has no preconditions; the child only logs and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = std::panic::catch_unwind(|| {
            // First thing, a line of its own appended straight to the
            // file: it lands after the parent's last whole record.
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            let line = format!(
                "2026-01-01T00:00:00.000000Z INFO  raw: child seq=0 {}\n",
                pad(0)
            );
            std::io::Write::write_all(&mut f, line.as_bytes()).unwrap();
            for seq in 1..CHILD_RECORDS {
                uringlog::info!(logger, "child seq={seq} {}", pad(seq));
            }
            logger.flush().unwrap();
        })
        .is_ok();
        // SAFETY: ends the child without running the parent's exit code.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    assert_eq!(
        wait_child(pid, "a child logging"),
        0,
        "round {r}: the child failed"
    );
    stop.store(true, Ordering::Relaxed);
    let logged = producer.join().unwrap();
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (end.written, end.dropped),
        (logged, 0),
        "round {r}: {end:?}"
    );

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'), "round {r}");
    let (mut parent, mut child) = (0u64, 0u64);
    for line in text.lines() {
        let seq = uringlog_tests::field(line, "seq=")
            .unwrap_or_else(|| panic!("round {r}: not a record: {line:?}"));
        let message = uringlog_tests::whole_record_message(line);
        let (next, who) = match line.contains(" parent seq=") {
            true => (&mut parent, "parent"),
            false => (&mut child, "child"),
        };
        assert_eq!(
            message,
            Some(format!("{who} seq={seq} {}", pad(seq))),
            "round {r}: torn: {line:?}"
        );
        assert_eq!(seq, *next, "round {r}: {line:?}");
        *next += 1;
    }
    assert_eq!((parent, child), (logged, CHILD_RECORDS), "round {r}");
}

#[test]
fn forks_while_the_parent_writes_under_load_keep_every_line_whole() {
    for r in 0..ROUNDS {
        round(r);
    }
}
