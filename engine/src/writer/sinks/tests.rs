//! SinkSet: formatting once per format, level filtering, cuts at sink limits.

use super::*;
use crate::clock::Clock;
use crate::format::{Format, Timestamp};
use crate::level::Level;
use crate::io::pwrite::Pwrite;
use crate::policy::{Formatting, Mode, Policy, Prefault};
use crate::shared::{lock, CallConfig};
use crate::sink::{BatchInfo, BatchLimit, MemorySink, Target};
use std::sync::{Arc, Mutex};

pub(super) fn shared() -> Shared {
    Shared::new(
        Level::Trace,
        Level::Trace,
        Policy::Block,
        Mode::Async,
        CallConfig {
            formatting: Formatting::Deferred,
            prefault: Prefault::Ring,
            call_sites: false,
        },
        4096,
        Clock::Realtime,
    )
}

pub(super) fn rec(nanos: u64, level: Level, msg: &str) -> Record<'_> {
    Record {
        unix_nanos: nanos,
        level,
        thread: 1,
        target: b"t",
        msg: msg.as_bytes(),
        deferred: None,
        fields: &[],
        spans: &[],
        call_site: None,
        raw: false,
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
        lock(&sh.recent_errors).list,
        ["rotating: rename refused".to_owned()]
    );
}

pub(super) fn no_syncs() -> crate::writer::durability::SyncPlan {
    crate::writer::durability::SyncPlan {
        durability: crate::policy::Durability::None,
        interval_bytes: u64::MAX,
        interval: std::time::Duration::from_secs(3600),
    }
}

/// A backend that keeps every batch until `make_room`, then reports the
/// first one failed (after 3 bytes) and the others written — the way
/// io_uring reports a failure that finished while the next batch formed.
#[derive(Default)]
struct Deferred {
    queued: Vec<Submission>,
    failed_one: bool,
    room_made: bool,
}

impl IoBackend for Deferred {
    fn make_room(&mut self, done: &mut dyn FnMut(Event)) {
        for sub in self.queued.drain(..) {
            let fail = !std::mem::replace(&mut self.failed_one, true);
            let n = sub.bytes().len();
            done(Event::Write(Completion {
                sink: sub.sink,
                offset: sub.target.offset(),
                appended_to: None,
                written: if fail { 3 } else { n },
                error: fail.then(|| io::Error::from_raw_os_error(libc::EFBIG)),
                start: sub.start,
                records: sub.records,
                buf: sub.buf,
            }));
        }
        self.room_made = true;
    }
    fn submit(&mut self, sub: Submission, _done: &mut dyn FnMut(Event)) {
        assert!(
            std::mem::take(&mut self.room_made),
            "submit without make_room"
        );
        self.queued.push(sub);
    }
    fn sync(&mut self, _req: SyncRequest, _done: &mut dyn FnMut(Event)) {}
    fn poll(&mut self, _done: &mut dyn FnMut(Event)) {}
    fn wait_some(&mut self, _v: u32, _t: Option<Duration>, done: &mut dyn FnMut(Event)) -> bool {
        self.make_room(done);
        false
    }
    fn wait_all(&mut self, done: &mut dyn FnMut(Event)) {
        self.make_room(done);
    }
    fn in_flight(&self) -> usize {
        self.queued.len()
    }
    fn submits(&self) -> u64 {
        0
    }
}

/// A positioned file sink as `Target::File` describes it: reserves offsets,
/// rewinds to a failed batch's offset. Keeps the offsets it handed out.
struct Positioned {
    fd: SharedFd,
    next: u64,
    reserved: Arc<Mutex<Vec<u64>>>,
}

impl Sink for Positioned {
    fn describe(&self) -> String {
        "positioned".to_owned()
    }
    fn target(&mut self, len: usize) -> io::Result<Target> {
        self.reserved.lock().unwrap().push(self.next);
        let offset = self.next;
        self.next += len as u64;
        let fd = self.fd.clone();
        Ok(Target::File { fd, offset })
    }
    fn on_write(&mut self, o: &WriteOutcome<'_>) {
        if let (Some(_), Some(at)) = (o.error, o.offset) {
            self.next = self.next.min(at);
        }
    }
}

#[test]
fn a_failure_is_reported_to_the_sink_before_it_reserves_the_next_offset() {
    let dir = tempfile::tempdir().unwrap();
    let fd: SharedFd = Arc::new(std::fs::File::create(dir.path().join("f")).unwrap());
    let reserved = Arc::new(Mutex::new(Vec::new()));
    let sink = Positioned {
        fd,
        next: 0,
        reserved: reserved.clone(),
    };
    let slots = vec![SinkSlot::new(Box::new(sink), Level::Trace, BARE)];
    let mut set = SinkSet::new(slots, 4096, no_syncs());
    let sh = shared();
    let mut io = Deferred::default();
    set.push(&rec(0, Level::Info, "first"));
    set.submit_all(&mut io, &sh);
    set.push(&rec(0, Level::Info, "second"));
    set.submit_all(&mut io, &sh);
    set.wait_all(&mut io, &sh);
    assert_eq!(
        *reserved.lock().unwrap(),
        [0, 0],
        "the second batch goes where the failed first one began"
    );
    let s = sh.stats();
    assert_eq!((s.written, s.dropped, s.errors), (1, 1, 1));
    assert_eq!(
        lock(&sh.recent_errors).list,
        [
            "write to positioned at offset 0 failed after 3 of 15 bytes (1 records dropped): \
          File too large (os error 27)"
                .to_owned()
        ]
    );
}

/// An append `Uring::abandon` gave up after a short write: its buffer is
/// gone (`start` 0) but `written` keeps the bytes the kernel accepted.
/// Nothing comes off the crash-safe count — the rest may still land —
/// instead of `0 - written` (a writer panic in debug builds; in release,
/// the count zeroed and the batch written twice by recovery).
#[test]
fn an_abandoned_partial_append_takes_nothing_off_the_count() {
    let c = Completion {
        sink: 0,
        buf: Vec::new(),
        start: 0,
        records: 2,
        offset: None,
        appended_to: None,
        written: 5,
        error: Some(io::Error::from_raw_os_error(libc::ECANCELED)),
    };
    let unknown = append::Cut::Failed(io::Error::other("the written bytes are unknown"));
    assert_eq!(not_landed(&c, c.requested(), Some(&unknown)), 0);
    let kept = Completion {
        buf: b"0123456789".to_vec(),
        start: 2,
        ..c
    };
    assert_eq!(not_landed(&kept, kept.requested(), Some(&unknown)), 3);
    assert_eq!(not_landed(&kept, kept.requested(), None), 8);
}

/// A write given up with its ring while in the kernel is reported as
/// that, not as "failed after 0 of 0 bytes" (its buffer, and with it the
/// length it asked for, is gone); any other failed write keeps the
/// report of what it asked for and what the kernel took.
#[test]
fn a_write_given_up_in_the_kernel_says_so_in_its_report() {
    let e = io::Error::from_raw_os_error(libc::EIO);
    let abandoned = Completion {
        sink: 0,
        buf: Vec::new(),
        start: 0,
        records: 64,
        offset: Some(4096),
        appended_to: None,
        written: 0,
        error: None,
    };
    assert_eq!(
        write_failure("file app.log", &abandoned, abandoned.requested(), &e.to_string(), ""),
        format!(
            "write to file app.log at offset 4096 failed while in the kernel and was given up \
             with the ring (64 records dropped; how many of its bytes reach the file is \
             unknown): {e}"
        )
    );
    let short = Completion {
        buf: b"0123456789".to_vec(),
        start: 2,
        offset: None,
        written: 3,
        records: 2,
        ..abandoned
    };
    assert_eq!(
        write_failure("file app.log", &short, short.requested(), &e.to_string(), "; cut"),
        format!("write to file app.log failed after 3 of 8 bytes (2 records dropped): {e}; cut")
    );
}

#[test]
fn a_run_into_one_plain_sink_stops_after_the_record_that_fills_the_batch_bytes() {
    use crate::writer::shape::OneText;
    let (m, _out) = MemorySink::new();
    let slots = vec![SinkSlot::new(Box::new(m), Level::Trace, Format::text())];
    let mut set = SinkSet::new(slots, 100, no_syncs());
    // Each line is 48 bytes: the third one crosses 100.
    let r = rec(0, Level::Info, "0123456789");
    let mut run = set.pushes(u64::MAX);
    let mut lens = Vec::new();
    while !run.is_full::<OneText>() {
        assert!(run.push::<OneText>(&r));
        lens.push(run.len_of_first());
    }
    assert_eq!(lens, [48, 96, 144]);
    assert_eq!(run.finish::<OneText>(), 3);
    assert!(set.is_full(u64::MAX), "the finished run notes the bytes");
    let run = set.pushes(u64::MAX);
    assert!(run.is_full::<OneText>(), "a run begun after it is full at once");
    assert_eq!(run.finish::<OneText>(), 0);
    // Below the bytes, the records a run may take decide.
    let (m, _out) = MemorySink::new();
    let slots = vec![SinkSlot::new(Box::new(m), Level::Trace, Format::text())];
    let mut set = SinkSet::new(slots, 1000, no_syncs());
    let mut run = set.pushes(2);
    let mut n = 0;
    while !run.is_full::<OneText>() {
        assert!(run.push::<OneText>(&r));
        n += 1;
    }
    assert_eq!((n, run.finish::<OneText>()), (2, 2));
    assert!(set.is_full(2) && !set.is_full(3));
}
