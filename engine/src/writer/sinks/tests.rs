//! SinkSet: formatting once per format, level filtering, cuts at sink limits.

use super::*;
use crate::clock::Clock;
use crate::format::Timestamp;
use crate::io::pwrite::Pwrite;
use crate::policy::{Mode, Policy};
use crate::shared::lock;
use crate::sink::MemorySink;
use std::sync::{Arc, Mutex};

fn shared() -> Shared {
    Shared::new(
        Level::Trace,
        Level::Trace,
        Policy::Block,
        Mode::Async,
        4096,
        Clock::Realtime,
        crate::wake::BarrierChoice {
            barrier: crate::wake::Barrier::Fence,
            note: String::new(),
        },
    )
}

fn rec(nanos: u64, level: Level, msg: &str) -> Record<'_> {
    Record {
        unix_nanos: nanos,
        level,
        thread: 1,
        target: b"t",
        msg: msg.as_bytes(),
        fields: &[],
    }
}

const BARE: Format = Format::text().timestamp(Timestamp::Off);

#[test]
fn a_record_is_formatted_once_per_distinct_format() {
    let (a, a_out) = MemorySink::new();
    let (b, b_out) = MemorySink::new();
    let (j, j_out) = MemorySink::new();
    let (w, w_out) = MemorySink::new();
    let slots = vec![
        SinkSlot::new(Box::new(a), Level::Trace, BARE),
        SinkSlot::new(Box::new(j), Level::Trace, Format::json()),
        SinkSlot::new(Box::new(b), Level::Trace, BARE),
        SinkSlot::new(Box::new(w), Level::Warn, BARE),
    ];
    let mut set = SinkSet::new(slots, 4096, no_syncs());
    let sh = shared();
    set.push(&rec(0, Level::Info, "one"));
    set.push(&rec(0, Level::Warn, "two"));
    assert_eq!(set.formatted, 4);
    set.submit_all(&mut Pwrite::default(), &sh);
    assert_eq!(a_out.text(), "INFO  t: one\nWARN  t: two\n");
    assert_eq!(b_out.text(), a_out.text());
    assert_eq!(w_out.text(), "WARN  t: two\n");
    assert_eq!(j_out.lines().len(), 2);
    let s = sh.stats();
    assert_eq!((s.written, s.batches, s.errors), (2, 4, 0));
}

/// Each "file" as the batches written to it.
type Files = Arc<Mutex<Vec<Vec<Vec<u8>>>>>;

/// A sink that rotates "files" of `max` bytes and `period` nanoseconds,
/// keeping each file's batches, like a rolling file would.
struct Rotating {
    files: Files,
    max: u64,
    period: u64,
    used: u64,
    end: u64,
    fail_next_rotation: bool,
    error: Option<io::Error>,
}

impl Rotating {
    fn new(max: u64, period: u64) -> (Rotating, Files) {
        let files = Arc::new(Mutex::new(vec![Vec::new()]));
        let s = Rotating {
            files: files.clone(),
            max,
            period,
            used: 0,
            end: period,
            fail_next_rotation: false,
            error: None,
        };
        (s, files)
    }
}

impl Sink for Rotating {
    fn describe(&self) -> String {
        "rotating".to_owned()
    }
    fn target(&mut self, len: usize) -> io::Result<Target> {
        self.target_batch(&BatchInfo::new(len, 0))
    }
    fn target_batch(&mut self, b: &BatchInfo) -> io::Result<Target> {
        let full = self.used > 0 && self.used + b.len as u64 > self.max;
        if full || b.first_unix_nanos >= self.end {
            self.end = (b.first_unix_nanos / self.period + 1) * self.period;
            if std::mem::take(&mut self.fail_next_rotation) {
                self.error = Some(io::Error::other("rename refused"));
            } else {
                self.used = 0;
                self.files.lock().unwrap().push(Vec::new());
            }
        }
        self.used += b.len as u64;
        Ok(Target::Inline)
    }
    fn batch_limit(&self) -> BatchLimit {
        BatchLimit::new(self.max.saturating_sub(self.used), self.end)
    }
    fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let mut f = self.files.lock().unwrap();
        f.last_mut().unwrap().push(batch.to_vec());
        Ok(())
    }
}

fn texts(files: &Files) -> Vec<String> {
    let f = files.lock().unwrap();
    f.iter()
        .map(|batches| String::from_utf8(batches.concat()).unwrap())
        .collect()
}

/// Pushes like the writer does: submit whenever the set reports itself full.
fn push_all(set: &mut SinkSet, sh: &Shared, recs: &[(u64, &str)]) {
    let mut io = Pwrite::default();
    for (nanos, msg) in recs {
        if set.is_full(1000) {
            set.submit_all(&mut io, sh);
        }
        set.push(&rec(*nanos, Level::Info, msg));
    }
    set.submit_all(&mut io, sh);
}

#[test]
fn batches_are_cut_where_the_sink_switches_files() {
    // Each line "INFO  t: m0\n" is 12 bytes; files hold at most 30 bytes: 2 lines.
    let (sink, files) = Rotating::new(30, 1_000);
    let (all, all_out) = MemorySink::new();
    let slots = vec![
        SinkSlot::new(Box::new(all), Level::Trace, BARE),
        SinkSlot::new(Box::new(sink), Level::Trace, BARE),
    ];
    let mut set = SinkSet::new(slots, 4096, no_syncs());
    let sh = shared();
    let recs = [
        (0, "m0"),
        (1, "m1"),
        (2, "m2"),
        (3, "m3"),
        (999, "m4"),
        (1000, "m5"),
        (1001, "m6"),
    ];
    push_all(&mut set, &sh, &recs);
    assert_eq!(
        texts(&files),
        [
            "INFO  t: m0\nINFO  t: m1\n",
            "INFO  t: m2\nINFO  t: m3\n",
            "INFO  t: m4\n",
            "INFO  t: m5\nINFO  t: m6\n",
        ]
    );
    assert_eq!(all_out.lines().len(), 7);
    assert_eq!(sh.stats().written, 7);
}

#[test]
fn a_record_larger_than_the_limit_gets_a_batch_of_its_own() {
    let (sink, files) = Rotating::new(15, u64::MAX);
    let slots = vec![SinkSlot::new(Box::new(sink), Level::Trace, BARE)];
    let mut set = SinkSet::new(slots, 4096, no_syncs());
    let sh = shared();
    push_all(
        &mut set,
        &sh,
        &[(0, "a"), (0, "a much longer message"), (0, "b")],
    );
    assert_eq!(
        texts(&files),
        [
            "INFO  t: a\n",
            "INFO  t: a much longer message\n",
            "INFO  t: b\n"
        ]
    );
}

#[test]
fn errors_a_sink_survives_are_counted_without_dropping() {
    let (mut sink, files) = Rotating::new(1_000, 1_000);
    sink.fail_next_rotation = true;
    let slots = vec![SinkSlot::new(Box::new(sink), Level::Trace, BARE)];
    let mut set = SinkSet::new(slots, 4096, no_syncs());
    let sh = shared();
    push_all(&mut set, &sh, &[(0, "a"), (1_500, "b"), (2_500, "c")]);
    assert_eq!(texts(&files), ["INFO  t: a\nINFO  t: b\n", "INFO  t: c\n"]);
    let s = sh.stats();
    assert_eq!((s.written, s.dropped, s.errors), (3, 0, 1));
    assert_eq!(
        *lock(&sh.recent_errors),
        ["rotating: rename refused".to_owned()]
    );
}

fn no_syncs() -> crate::writer::durability::SyncPlan {
    crate::writer::durability::SyncPlan {
        durability: crate::policy::Durability::None,
        interval_bytes: u64::MAX,
        interval: std::time::Duration::from_secs(3600),
    }
}
