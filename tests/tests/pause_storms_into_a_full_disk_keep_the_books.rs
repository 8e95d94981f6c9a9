//! Threads log bursts after pauses (each first call rebases its emptied
//! ring on the fast path) while the disk under the file is full (a small
//! tmpfs), then while it has room again; threads that exit right after
//! their first call join in every round. Under every policy, both
//! backends, and in crash-safe mode (`Block`, `DropNewest`): the file holds exactly the lines
//! counted written, whole, none twice, in order per thread; each failed
//! batch is reported with `ENOSPC` and the path, to `flush` and
//! `flush_sync` alike; `written + dropped == enqueued`.

use uringlog::{Backend, Clock, FlushError, Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::storms::{burst_len, seqs_of, storm, SHORT_LIVED};
use uringlog_tests::{sequences, strictly_increasing, Tmpfs, PAUSE, SHUTDOWN};

const THREADS: u64 = 3;
const ROUNDS: u64 = 60;
/// Round from which the disk has room again.
const ROOM_BACK: u64 = 40;
/// Most records a thread logs in a round.
const MOST: u64 = 23;
const PAD: &str = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz";
const ENOSPC: &str = "No space left on device";

/// Logs round `round`'s burst on thread `t`, from `seq` on.
fn burst(logger: &Logger, t: u64, round: u64, seq: &mut u64) {
    for _ in 0..burst_len(t, round, MOST) {
        let pad = &PAD[..((*seq * 31 + t) % 72) as usize];
        uringlog::info!(logger, "t={} seq={} pad={}", t, *seq, pad);
        *seq += 1;
    }
}

fn scenario(policy: Policy, backend: Backend, crash_safe: bool, base: &std::path::Path) {
    let what = format!("{policy:?} {backend:?} crash_safe={crash_safe}");
    let fs = Tmpfs::mount(base.join(what.replace([' ', '='], "-")), "size=128k");
    // About 24 KiB free: full within the first rounds.
    let filler = fs.0.join("filler");
    std::fs::write(&filler, vec![b'f'; 104 * 1024]).unwrap();
    let path = fs.0.join("app.log");
    let (clock, hand) = Clock::manual(1_800_000_000_000_000_000);
    let mut builder = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .policy(policy)
        .backend(backend)
        .clock(clock)
        .ring_capacity(4096)
        .batch_bytes(4096);
    let rings = tempfile::tempdir().unwrap();
    if crash_safe {
        builder = builder.crash_safe(rings.path().join("rings"));
    }
    let (logger, guard) = builder.build().unwrap();
    let mut refused = Vec::new();
    let before = |round| {
        if round == ROOM_BACK {
            std::fs::remove_file(&filler).unwrap();
        }
    };
    let after = |round| {
        // Every fourth round a flush, every other one a `flush_sync`.
        let call = match round % 8 {
            3 => Logger::flush,
            7 => Logger::flush_sync,
            _ => return,
        };
        match call(&logger) {
            Ok(()) => {}
            Err(FlushError::Io { last, .. }) => refused.push(last),
            Err(e) => panic!("{what}: {e}"),
        }
    };
    storm(&logger, &hand, PAUSE, THREADS, ROUNDS, burst, before, after);
    let last = logger.flush_sync();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert!(!refused.is_empty(), "{what}: the disk was never full");
    for e in &refused {
        assert!(e.contains(ENOSPC) && e.contains("app.log"), "{what}: {e}");
    }
    assert!(
        last.is_ok(),
        "{what}: a failure once the disk had room: {last:?}"
    );
    assert_eq!(s.written + s.dropped, s.enqueued, "{what}: {s:?}");
    if policy == Policy::Block && !crash_safe {
        assert!(s.dropped > 0, "{what}: {s:?}");
    }
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.contains(&0), "{what}: NUL bytes in the file");
    assert_eq!(bytes.len() as u64, s.bytes_written, "{what}: {s:?}");
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(lines.len() as u64, s.written, "{what}: {s:?}");
    for l in &lines {
        let t = uringlog_tests::field(l, "t=").unwrap();
        let seq = uringlog_tests::field(l, "seq=").unwrap();
        let pad = &PAD[..((seq * 31 + t) % 72) as usize];
        assert!(l.ends_with(&format!(" pad={pad}")), "{what}: torn {l:?}");
    }
    for (t, seqs) in sequences(&lines) {
        assert!(strictly_increasing(&seqs), "{what}: thread {t}: {seqs:?}");
    }
    if policy == Policy::Block {
        // Every record logged once the disk had room is in the file.
        let seqs = sequences(&lines);
        for t in 0..THREADS {
            let late = seqs_of(t, ROOM_BACK..ROUNDS, MOST);
            let tail: Vec<u64> = seqs[&t]
                .iter()
                .copied()
                .filter(|&q| q >= late.start)
                .collect();
            assert_eq!(tail, late.collect::<Vec<_>>(), "{what}: thread {t}");
        }
        for round in ROOM_BACK..ROUNDS {
            assert_eq!(
                seqs.get(&(SHORT_LIVED + round)),
                Some(&vec![0]),
                "{what}: round {round}"
            );
        }
    }
}

#[test]
fn pause_storms_into_a_full_disk_keep_the_books() {
    let base = tempfile::tempdir().unwrap();
    let backends = uringlog_tests::backends("pause_storms_into_a_full_disk_keep_the_books");
    for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
        for &backend in &backends {
            scenario(policy, backend, false, base.path());
        }
    }
    // Crash-safe rings live in files: lossless policies only.
    for policy in [Policy::Block, Policy::DropNewest] {
        scenario(policy, Backend::Pwrite, true, base.path());
    }
}
