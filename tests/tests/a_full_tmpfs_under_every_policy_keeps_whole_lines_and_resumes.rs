//! A real full file system (a 256 KiB tmpfs) under every policy, with
//! both backends and `Auto` (its trial alternating them), one batch in
//! flight or four: records logged past the point where the disk is full
//! are counted dropped, each failed batch
//! counts in `errors` and the error reported names `ENOSPC`; the file
//! holds exactly the lines counted written, whole and in order (no torn
//! line, no NUL byte, its length is `bytes_written`); once a filler file
//! is deleted, logging resumes and every record logged after that is
//! written. Needs root (to mount): it fails, saying so, where the mount is
//! refused.

use std::path::Path;
use uringlog::{Backend, FlushError, Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{Tmpfs, SHUTDOWN};

/// Records logged into the full disk: ~330 KiB, more than it ever holds.
const BEFORE: u64 = 3_000;
/// Records logged once space is back.
const AFTER: u64 = 600;
/// How the kernel words `ENOSPC`.
const ENOSPC: &str = "No space left on device";

/// Record `seq` of `phase`, of varied length so batches end mid-page.
fn line(phase: &str, seq: u64) -> String {
    format!(
        "{phase} seq={seq} {}",
        "z".repeat(60 + (seq * 37 % 61) as usize)
    )
}

fn scenario(policy: Policy, backend: Backend, depth: usize, base: &Path) {
    let what = format!("{policy:?}, {backend:?}, io_depth {depth}");
    let fs = Tmpfs::mount_256k(base.join(format!("{policy:?}-{backend:?}-{depth}")));
    // Leave ~96 KiB free.
    let filler = fs.0.join("filler");
    std::fs::write(&filler, vec![b'f'; 160 * 1024]).unwrap();
    let path = fs.0.join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .policy(policy)
        .backend(backend)
        .io_depth(depth)
        .ring_capacity(16 * 1024)
        .batch_bytes(8 * 1024)
        .build()
        .unwrap();

    // Flushes between bursts that fit the ring: every record reaches the
    // full disk, under lossy policies too.
    let mut refused = Vec::new();
    for seq in 0..BEFORE {
        uringlog::info!(logger, "{}", line("before", seq));
        if seq % 50 == 49 {
            match logger.flush() {
                Ok(()) => {}
                Err(FlushError::Io { last, .. }) => refused.push(last),
                Err(other) => panic!("{what}: flush into a full disk: {other}"),
            }
        }
    }
    assert!(!refused.is_empty(), "{what}: no flush saw the disk full");
    assert!(
        refused.iter().all(|e| e.contains(ENOSPC)),
        "{what}: {refused:?}"
    );
    let full = logger.stats();
    assert!(full.errors > 0 && full.dropped > 0, "{what}: {full:?}");
    assert_eq!(full.written + full.dropped, BEFORE, "{what}: {full:?}");
    assert!(
        logger.recent_errors().iter().any(|e| e.contains(ENOSPC)),
        "{what}: {:?}",
        logger.recent_errors()
    );

    std::fs::remove_file(&filler).unwrap();
    for seq in 0..AFTER {
        uringlog::info!(logger, "{}", line("after", seq));
        // Never more than the ring holds between flushes: nothing is
        // dropped for want of room, whatever the policy.
        if seq % 50 == 49 {
            logger.flush().unwrap();
        }
    }
    logger.flush().unwrap();
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(end.enqueued, BEFORE + AFTER, "{what}");
    assert_eq!(end.written + end.dropped, end.enqueued, "{what}: {end:?}");
    assert_eq!(end.written, full.written + AFTER, "{what}: {end:?}");
    assert_eq!(
        end.errors, full.errors,
        "{what}: errors after space came back"
    );

    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.contains(&0), "{what}: NUL bytes in the file");
    assert_eq!(bytes.len() as u64, end.bytes_written, "{what}: {end:?}");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with('\n'), "{what}: the file ends in a torn line");
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for l in text.lines() {
        let (name, phase) = if l.contains(" before seq=") {
            ("before", &mut before)
        } else {
            ("after", &mut after)
        };
        let seq = uringlog_tests::field(l, "seq=").unwrap_or_else(|| panic!("{what}: {l:?}"));
        assert_eq!(
            uringlog_tests::whole_record_message(l),
            Some(line(name, seq)),
            "{what}: torn line {l:?}"
        );
        phase.push(seq);
    }
    assert_eq!(before.len() as u64, full.written, "{what}: lines before");
    assert!(
        uringlog_tests::strictly_increasing(&before),
        "{what}: {before:?}"
    );
    assert_eq!(after, (0..AFTER).collect::<Vec<_>>(), "{what}");
    let last_before = text.rfind(" before seq=").unwrap_or(0);
    assert!(
        text.find(" after seq=").is_some_and(|a| a > last_before),
        "{what}: every later record follows the earlier ones"
    );
}

#[test]
fn a_full_tmpfs_under_every_policy_keeps_whole_lines_and_resumes() {
    let base = tempfile::tempdir().unwrap();
    let mut backends =
        uringlog_tests::backends("a_full_tmpfs_under_every_policy_keeps_whole_lines_and_resumes");
    if backends.contains(&Backend::IoUring) {
        // Its trial's turns alternate through the failures.
        backends.push(Backend::Auto);
    }
    for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
        for &backend in &backends {
            for depth in [1, 4] {
                scenario(policy, backend, depth, base.path());
            }
        }
    }
}
