//! Crash-safe mode with the rolling sink after hundreds of rotations:
//! each file written since the last commit must still be in the state
//! file, so that recovery cuts the batch in flight at a `SIGKILL`. Each
//! commit listed every file the sink had rotated away since the last
//! sync (kept to be synced by a `flush_sync` that never came), so after
//! about 250 rotations the state's slot was full and a new file could
//! not be added: its batch was then in it and written again by recovery.
//!
//! The child (this test binary, re-executed) logs `FILES` records, one
//! batch and one file each (the sink rotates before every batch),
//! flushing after each; then one more, and a hook sink after the rolling
//! one raises `SIGKILL` at that record's batch, once the rolling sink
//! wrote it and before any commit.

use std::path::Path;
use uringlog::Logger;
use uringlog_sinks::RollingFileSink;
use uringlog_tests::crash_child::{kill_child, killed_at_line, plain};
use uringlog_tests::{file_names, lines_of_files};

const CHILD: &str = "URINGLOG_HUNDREDS_OF_ROTATIONS_CHILD";
/// Files written before the last one: more than a state slot could list.
const FILES: u32 = 300;

/// A rolling sink in `dir` that rotates before every batch.
fn rolling(dir: &Path) -> RollingFileSink {
    RollingFileSink::builder(dir, "app")
        .max_file_bytes(1)
        .open()
        .unwrap()
}

/// `logs`: the directory of the rolling sink's files.
fn child(dir: &str, logs: &str) -> ! {
    std::fs::create_dir_all(logs).unwrap();
    let builder = Logger::builder().sink(rolling(Path::new(logs)));
    let (logger, _guard) = killed_at_line(builder, dir, FILES);
    for i in 0..FILES {
        uringlog::info!(logger, "record {}", i);
        logger.flush().unwrap();
    }
    uringlog::info!(logger, "record {}", FILES);
    let _ = logger.flush();
    unreachable!("the hook kills at the last record");
}

#[test]
fn hundreds_of_rotations_then_sigkill_writes_each_record_once() {
    const NAME: &str = "hundreds_of_rotations_then_sigkill_writes_each_record_once";
    // `log` is the directory of the rolling sink's files here.
    let dead = kill_child(NAME, CHILD, child);
    let logs = &dead.log;
    let (logger, guard) = Logger::builder()
        .sink(rolling(logs))
        .format(plain())
        .crash_safe(&dead.dir)
        .build()
        .unwrap();
    drop(logger);
    guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    let after = lines_of_files(logs, &file_names(logs));
    let warn: Vec<&String> = (after.iter())
        .filter(|(_, l)| l.starts_with("WARN  crash-safe recovery: "))
        .map(|(_, l)| l)
        .collect();
    // The last record's line, `INFO  record 300\n`, cut from the file
    // it went to, the sink's current file then and now.
    let want = format!(
        "WARN  crash-safe recovery: 1 records recovered from process {} (generation 1), 0 torn or corrupt records skipped; {} cut from 17 to 0 bytes (a batch in flight at the crash, written again)",
        dead.pid,
        logs.join("app.log").display(),
    );
    assert_eq!(warn, [&want]);
    let mut records: Vec<u32> = (after.iter())
        .filter(|(_, l)| l.starts_with("INFO"))
        .map(|(_, l)| l["INFO  record ".len()..].parse().unwrap())
        .collect();
    records.sort();
    assert_eq!(records, (0..=FILES).collect::<Vec<u32>>());
}
