//! Threads log bursts after pauses while the writer is stuck in its sink
//! (a device that does not answer): their rings are not emptied, so the
//! first calls after those pauses must not rebase them; once the sink
//! answers, the rings empty and the next pauses rebase them. Threads that
//! exit right after their first call join in every round. Under every
//! policy: each record is written once or counted dropped, whole and in
//! order per thread, and `written + dropped == enqueued`; under `Block`
//! none is dropped, under the drop policies none logged once the sink
//! answered. Into a sink that fails every write, every record is counted
//! dropped and every flush says why.

use std::sync::Mutex;
use std::time::Duration;
use uringlog::{Clock, Format, Logger, Policy, Timestamp};
use uringlog_tests::storms::{burst_len, seqs_of, storm, SHORT_LIVED};
use uringlog_tests::{sequences, strictly_increasing, wait_until_stuck, GateSink, PAUSE, SHUTDOWN};

const THREADS: u64 = 3;
const ROUNDS: u64 = 30;
/// Round at whose start the sink answers again, under the drop policies.
const RELEASE: u64 = 12;
/// Most records a thread logs in a round.
const MOST: u64 = 19;

fn burst(logger: &Logger, t: u64, round: u64, seq: &mut u64) {
    for _ in 0..burst_len(t, round, MOST) {
        uringlog::info!(logger, "t={} seq={} round={}", t, *seq, round);
        *seq += 1;
    }
}

fn scenario(policy: Policy) {
    let what = format!("{policy:?}");
    let (gate, g) = GateSink::new();
    let (clock, hand) = Clock::manual(1_800_000_000_000_000_000);
    let (logger, guard) = Logger::builder()
        .sink(gate)
        .policy(policy)
        .clock(clock)
        .ring_capacity(4096)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .build()
        .unwrap();
    uringlog::info!(logger, "t=999 seq=0 stuck");
    wait_until_stuck(&g.entered);
    // Under `Block` the rings fill and the threads wait for room from the
    // first round: there the sink answers a moment after it began, from
    // aside.
    let release_at = if policy == Policy::Block { 0 } else { RELEASE };
    let release = Mutex::new(Some(g.release));
    let answering = Mutex::new(None);
    let before = |round| {
        if round == release_at {
            let tx = release.lock().unwrap().take().unwrap();
            *answering.lock().unwrap() = Some(std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5));
                tx.send(()).unwrap();
            }));
        }
    };
    let after = |round| {
        if round >= release_at {
            // The rings are empty before the next round's pause.
            logger.flush().unwrap();
        }
    };
    storm(&logger, &hand, PAUSE, THREADS, ROUNDS, burst, before, after);
    answering.lock().unwrap().take().unwrap().join().unwrap();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(s.written + s.dropped, s.enqueued, "{what}: {s:?}");
    let text = String::from_utf8(g.lines.lock().unwrap().clone()).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(lines.len() as u64, s.written, "{what}: {s:?}");
    let seqs = sequences(&lines);
    for (t, v) in &seqs {
        assert!(strictly_increasing(v), "{what}: thread {t}: {v:?}");
    }
    for l in lines.iter().skip(1) {
        // Each record whole: the round it names is the one its sequence
        // number falls in.
        let field = |k| uringlog_tests::field(l, k).unwrap();
        let (t, seq, round) = (field("t="), field("seq="), field("round="));
        let mine = match t >= SHORT_LIVED {
            true => 0..1,
            false => seqs_of(t, round..round + 1, MOST),
        };
        assert!(mine.contains(&seq), "{what}: {l:?}");
    }
    let all = (0..THREADS)
        .map(|t| seqs_of(t, 0..ROUNDS, MOST).end)
        .sum::<u64>()
        + ROUNDS
        + 1;
    assert_eq!(s.enqueued, all, "{what}");
    if policy == Policy::Block {
        assert_eq!((s.written, s.dropped), (all, 0), "{what}");
        return;
    }
    for t in 0..THREADS {
        let late = seqs_of(t, RELEASE + 1..ROUNDS, MOST);
        let tail: Vec<u64> = (seqs[&t].iter().copied())
            .filter(|&q| q >= late.start)
            .collect();
        assert_eq!(tail, late.collect::<Vec<_>>(), "{what}: thread {t}");
    }
}

#[test]
fn block_pause_storms_into_a_stuck_sink_keep_the_books() {
    scenario(Policy::Block);
}

#[test]
fn drop_newest_pause_storms_into_a_stuck_sink_keep_the_books() {
    scenario(Policy::DropNewest);
}

#[test]
fn drop_oldest_pause_storms_into_a_stuck_sink_keep_the_books() {
    scenario(Policy::DropOldest);
}

/// A sink that fails every write (a device gone for good).
struct Dead;

impl uringlog::Sink for Dead {
    fn describe(&self) -> String {
        "dead device".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<uringlog::Target> {
        Ok(uringlog::Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::from_raw_os_error(libc::EIO))
    }
}

/// Pause storms into a sink that fails every write: every record is
/// counted dropped, every flush says why, naming the sink and the errno.
#[test]
fn pause_storms_into_a_dead_sink_count_every_record_dropped() {
    for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
        let (clock, hand) = Clock::manual(1_800_000_000_000_000_000);
        let (logger, guard) = Logger::builder()
            .sink(Dead)
            .policy(policy)
            .clock(clock)
            .ring_capacity(4096)
            .build()
            .unwrap();
        let after = |_| match logger.flush() {
            Err(uringlog::FlushError::Io { last, .. }) => assert!(
                last.starts_with("write to dead device failed")
                    && last.ends_with("Input/output error (os error 5)"),
                "{policy:?}: {last}"
            ),
            other => panic!("{policy:?}: {other:?}"),
        };
        storm(&logger, &hand, PAUSE, THREADS, ROUNDS, burst, |_| {}, after);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        let all = (0..THREADS)
            .map(|t| seqs_of(t, 0..ROUNDS, MOST).end)
            .sum::<u64>()
            + ROUNDS;
        assert_eq!(
            (s.enqueued, s.written, s.dropped),
            (all, 0, all),
            "{policy:?}"
        );
        assert!(s.errors >= ROUNDS, "{policy:?}: {s:?}");
    }
}
