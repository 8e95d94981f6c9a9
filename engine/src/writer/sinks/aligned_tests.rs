//! SinkSet: aligned appends (see `aligned`) — where writes end, what the
//! file holds, and when the set stops aligning.

use super::tests::{no_syncs, rec, shared};
use super::*;
use crate::format::{Format, Timestamp};
use crate::io::pwrite::Pwrite;
use crate::level::Level;
use crate::sink::{BatchLimit, Target};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

const BARE: Format = Format::text().timestamp(Timestamp::Off);
/// Batches of 16 KiB: writes end at multiples of 8 KiB.
const BATCH: usize = 16 * 1024;
const UNIT: u64 = 8 * 1024;

/// What the sink saw of each write: the file's size after it, and
/// whether it failed.
type Writes = Arc<Mutex<Vec<(u64, bool)>>>;

/// A file appended to, as `FileSink` does, that lets records be split
/// (or not), can refuse a batch, and can report its path changed.
struct AppendFile {
    path: PathBuf,
    file: Arc<File>,
    split: bool,
    writes: Writes,
    /// Batches routed so far; the one numbered `refuse` gets an error.
    routed: usize,
    refuse: Option<usize>,
    /// `path_changed` answers this once.
    moved: Arc<Mutex<bool>>,
    limit: BatchLimit,
    /// Writes at offsets of its own (the file's end), not appends.
    positioned: bool,
    /// Positioned: where the next batch goes.
    next_offset: u64,
    /// The batch numbered so panics as it is routed.
    panic_at: Option<usize>,
    /// Whether the set counted as holding a record begun in the file
    /// (`Aligner::counted_seen`) as each batch was routed.
    counted: Arc<AtomicBool>,
    counted_at_route: Arc<Mutex<Vec<bool>>>,
}

impl AppendFile {
    fn new(path: &Path, split: bool) -> (AppendFile, Writes, Arc<Mutex<bool>>) {
        let writes = Writes::default();
        let moved = Arc::new(Mutex::new(false));
        let sink = AppendFile {
            path: path.to_path_buf(),
            file: Arc::new(open_append(path)),
            split,
            writes: writes.clone(),
            routed: 0,
            refuse: None,
            moved: moved.clone(),
            limit: BatchLimit::NONE,
            positioned: false,
            next_offset: 0,
            panic_at: None,
            counted: Arc::default(),
            counted_at_route: Arc::default(),
        };
        (sink, writes, moved)
    }
}

fn open_append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .unwrap()
}

impl Sink for AppendFile {
    fn describe(&self) -> String {
        "append-file".to_owned()
    }
    fn target(&mut self, len: usize) -> io::Result<Target> {
        self.routed += 1;
        if self.refuse == Some(self.routed) {
            return Err(io::Error::other("refused"));
        }
        assert_ne!(self.panic_at, Some(self.routed), "a sink panicking on purpose");
        let counted = self.counted.load(std::sync::atomic::Ordering::SeqCst);
        self.counted_at_route.lock().unwrap().push(counted);
        let fd: SharedFd = self.file.clone();
        if self.positioned {
            let offset = self.next_offset;
            self.next_offset += len as u64;
            return Ok(Target::File { fd, offset });
        }
        Ok(Target::Append { fd })
    }
    fn on_write(&mut self, o: &WriteOutcome<'_>) {
        let size = self.file.metadata().unwrap().len();
        self.writes.lock().unwrap().push((size, o.error.is_some()));
    }
    fn path_changed(&mut self) -> bool {
        std::mem::take(&mut *self.moved.lock().unwrap())
    }
    fn reopen(&mut self, _cause: ReopenCause) -> io::Result<()> {
        self.file = Arc::new(open_append(&self.path));
        Ok(())
    }
    fn may_split_records(&self) -> bool {
        self.split
    }
    fn batch_limit(&self) -> BatchLimit {
        self.limit
    }
}

/// Record `i`'s message: 10 to 209 bytes, never a multiple of anything.
fn msg(i: usize) -> String {
    format!("m{i} {}", "x".repeat((i * 37) % 200))
}

/// The line `msg(i)` is written as.
fn line(i: usize) -> String {
    format!("INFO  t: {}\n", msg(i))
}

/// Pushes records `from..to` as the writer takes records under load:
/// a full set is submitted with `submit_full`.
fn push_under_load(set: &mut SinkSet, io: &mut dyn IoBackend, sh: &Shared, from: usize, to: usize) {
    for i in from..to {
        if set.is_full(u64::MAX) {
            set.submit_full(io, sh);
        }
        assert!(set.push(&rec(0, Level::Info, &msg(i))));
    }
}

/// A set of one `AppendFile` sink on a fresh file, and what it needs.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    set: SinkSet,
    sh: Shared,
    io: Pwrite,
    writes: Writes,
    moved: Arc<Mutex<bool>>,
}

impl Fixture {
    /// With `sink` changed as `adjust` says.
    fn new(split: bool, adjust: impl FnOnce(&mut AppendFile)) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let (mut sink, writes, moved) = AppendFile::new(&path, split);
        adjust(&mut sink);
        Fixture {
            _dir: dir,
            path,
            set: set_of(sink),
            sh: shared(),
            io: Pwrite::default(),
            writes,
            moved,
        }
    }

    /// Records `from..to` under load.
    fn push(&mut self, from: usize, to: usize) {
        push_under_load(&mut self.set, &mut self.io, &self.sh, from, to);
    }

    /// Records from 0 on until the sink has seen `n` writes; the next
    /// record's number.
    fn push_until_writes(&mut self, n: usize) -> usize {
        let mut i = 0;
        while self.writes.lock().unwrap().len() < n {
            self.push(i, i + 1);
            i += 1;
        }
        i
    }

    /// What the writer holds, written as it runs dry.
    fn dry(&mut self) {
        self.set.submit_all(&mut self.io, &self.sh);
    }

    fn writes(&self) -> Vec<(u64, bool)> {
        self.writes.lock().unwrap().clone()
    }
}

fn set_of(sink: AppendFile) -> SinkSet {
    let slots = vec![SinkSlot::new(Box::new(sink), Level::Trace, BARE)];
    SinkSet::new(slots, BATCH, no_syncs())
}

fn expected(n: usize) -> String {
    (0..n).map(line).collect()
}

#[test]
fn under_load_writes_end_at_aligned_offsets_and_every_record_is_in_the_file_whole() {
    let mut f = Fixture::new(true, |_| {});
    f.push(0, 3000);
    // The writer ran dry: what it holds, the record carried included.
    f.dry();
    assert_eq!(std::fs::read_to_string(&f.path).unwrap(), expected(3000));
    let w = f.writes();
    let sizes: Vec<u64> = w.iter().map(|&(s, _)| s).collect();
    // The first write ends on a record (the file's end was not known
    // yet), every later one under load at a multiple of 8 KiB, at most
    // 16 KiB after the one before; the last one (dry) on a record.
    // From the first aligned end on, each batch is 16 KiB exactly.
    assert_eq!(sizes[0], 16402, "{sizes:?}");
    let aligned: Vec<u64> = (0..20).map(|k| 4 * UNIT + k * BATCH as u64).collect();
    assert_eq!(sizes[1..sizes.len() - 1], aligned, "{sizes:?}");
    assert_eq!(sizes.last(), Some(&(expected(3000).len() as u64)));
    assert!(w.iter().all(|&(_, failed)| !failed));
    let s = f.sh.stats();
    assert_eq!((s.written, s.dropped, s.errors), (3000, 0, 0));
    assert_eq!(s.bytes_written, expected(3000).len() as u64);
    assert_eq!(f.set.outstanding(), 0);
}

#[test]
fn a_sink_that_keeps_records_whole_or_a_backend_that_reports_later_gets_whole_records() {
    /// Pwrite, saying it reports later (as io_uring does).
    struct Later(Pwrite);
    impl IoBackend for Later {
        fn make_room(&mut self, done: &mut dyn FnMut(Event)) {
            self.0.make_room(done)
        }
        fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Event)) {
            self.0.submit(sub, done)
        }
        fn sync(&mut self, req: SyncRequest, done: &mut dyn FnMut(Event)) {
            self.0.sync(req, done)
        }
        fn poll(&mut self, done: &mut dyn FnMut(Event)) {
            self.0.poll(done)
        }
        fn wait_some(&mut self, v: u32, t: Option<Duration>, d: &mut dyn FnMut(Event)) -> bool {
            self.0.wait_some(v, t, d)
        }
        fn wait_all(&mut self, done: &mut dyn FnMut(Event)) {
            self.0.wait_all(done)
        }
        fn in_flight(&self) -> usize {
            self.0.in_flight()
        }
        fn submits(&self) -> u64 {
            self.0.submits()
        }
    }
    for (split, later) in [(false, false), (true, true)] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let (sink, writes, _) = AppendFile::new(&path, split);
        let mut set = set_of(sink);
        let sh = shared();
        let mut io: Box<dyn IoBackend> = match later {
            true => Box::new(Later(Pwrite::default())),
            false => Box::new(Pwrite::default()),
        };
        push_under_load(&mut set, io.as_mut(), &sh, 0, 2000);
        set.submit_all(io.as_mut(), &sh);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, expected(2000));
        // Every write ended on a record: right after a line's newline.
        let bytes = text.as_bytes();
        let w = writes.lock().unwrap().clone();
        assert!(w.len() >= 10, "{w:?}");
        assert!(
            w.iter().all(|&(s, _)| bytes[s as usize - 1] == b'\n'),
            "split {split}, later {later}: {w:?}"
        );
    }
}

#[test]
fn a_refused_batch_takes_the_carried_records_start_out_of_the_file() {
    // Batch 1 ends on a record, batch 2 at an aligned offset inside one,
    // batch 3 (starting with that record's rest) is refused.
    let mut f = Fixture::new(true, |s| s.refuse = Some(3));
    let i = f.push_until_writes(3);
    let w = f.writes();
    assert_eq!(w[1].0 % UNIT, 0, "the second write ends aligned: {w:?}");
    assert!(w[2].1, "the third failed: {w:?}");
    // The file holds whole records only: the second write's last record
    // began before its end, and its start is cut off again.
    let text = std::fs::read_to_string(&f.path).unwrap();
    assert!(text.ends_with('\n') && (text.len() as u64) < w[1].0, "{}", text.len());
    let kept = text.lines().count();
    assert_eq!(text, expected(kept));
    let s = f.sh.stats();
    assert_eq!(s.written, kept as u64);
    assert_eq!(s.bytes_written, text.len() as u64, "the bytes that stayed");
    assert_eq!(s.errors, 1);
    let last = lock(&f.sh.recent_errors).last_error.clone();
    assert!(
        last.contains("the start of its first record) were cut off (the file ends at "),
        "{last}"
    );
    // The writer goes on: later records follow whole.
    f.push(i, i + 500);
    f.dry();
    let s = f.sh.stats();
    assert_eq!(s.written + s.dropped, (i + 500) as u64);
    let text = std::fs::read_to_string(&f.path).unwrap();
    let got: Vec<String> = text.lines().map(|l| format!("{l}\n")).collect();
    assert_eq!(got.len() as u64, s.written);
    let mut next = 0;
    for l in &got {
        // Each line is one of the records, in order, none torn.
        while line(next) != *l {
            next += 1;
            assert!(next < i + 500, "not a record: {l:?}");
        }
        next += 1;
    }
}

#[test]
fn a_path_change_gets_the_carried_records_rest_written_to_the_old_file() {
    // Noticed as a full batch goes out, after each of the first writes:
    // the writer reopens the path and goes on taking records.
    for writes in 3..13 {
        let mut f = Fixture::new(true, |_| {});
        let moved_to = f.path.with_extension("1");
        let i = f.push_until_writes(writes);
        // Rotated away (renamed) now: the next submission reopens the path.
        std::fs::rename(&f.path, &moved_to).unwrap();
        *f.moved.lock().unwrap() = true;
        f.set.next_path_check = Instant::now();
        f.push(i, i + 1000);
        f.dry();
        let old = std::fs::read_to_string(&moved_to).unwrap();
        let new = std::fs::read_to_string(&f.path).unwrap();
        assert!(old.ends_with('\n'), "the old file ends on a record");
        assert!(
            format!("{old}{new}") == expected(i + 1000),
            "moved after {writes} writes: the new file holds torn records"
        );
        let s = f.sh.stats();
        assert_eq!((s.written, s.dropped, s.errors), ((i + 1000) as u64, 0, 0));
        assert_eq!(s.bytes_written, (old.len() + new.len()) as u64);
        // In the new file, once a write showed where it ends, writes end
        // aligned again.
        let w = f.writes();
        let first_new = (1..w.len()).find(|&k| w[k].0 < w[k - 1].0).unwrap();
        let new_sizes: Vec<u64> = w[first_new..w.len() - 1].iter().map(|&(s, _)| s).collect();
        assert!(new_sizes.len() >= 5, "moved after {writes}: {w:?}");
        assert!(new_sizes[1..].iter().all(|s| s % UNIT == 0), "moved after {writes}: {new_sizes:?}");
    }
}

/// Appends `bytes` to the file at `path` from another descriptor.
fn append_from_elsewhere(path: &Path, bytes: &[u8]) {
    OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn another_writer_or_a_fork_ends_the_alignment() {
    for cause in ["another writer", "a fork"] {
        let mut f = Fixture::new(true, |_| {});
        let i = f.push_until_writes(3);
        assert_eq!(f.writes()[2].0 % UNIT, 0, "{cause}");
        match cause {
            "another writer" => append_from_elsewhere(&f.path, b"theirs\n"),
            _ => f.set.aligner.as_mut().unwrap().pretend_forked(),
        }
        f.push(i, i + 2000);
        f.dry();
        let text = std::fs::read(&f.path).unwrap();
        let w = f.writes();
        // The write right after the change may still hold the rest of
        // the record carried then; every later one ends on a record.
        assert!(w.len() > 10, "{cause}: {w:?}");
        assert!(
            w[4..].iter().all(|&(s, _)| text[s as usize - 1] == b'\n'),
            "{cause}: {w:?}"
        );
        assert_eq!(f.sh.stats().written, (i + 2000) as u64);
    }
}

#[test]
fn a_sink_with_a_batch_limit_gets_whole_records() {
    let mut f = Fixture::new(true, |s| s.limit = BatchLimit::new(1 << 30, u64::MAX));
    f.push(0, 1000);
    f.dry();
    let text = std::fs::read(&f.path).unwrap();
    let w = f.writes();
    assert!(w.len() > 5);
    assert!(w.iter().all(|&(s, _)| text[s as usize - 1] == b'\n'), "{w:?}");
    assert_eq!(text, expected(1000).as_bytes());
}

/// Every line of the file at `path` is one of records `0..n`, in order,
/// and there are `written` of them.
fn assert_whole_records_in_order(path: &Path, n: usize, written: u64) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "ends inside a line");
    let mut next = 0;
    let mut lines = 0;
    for l in text.split_inclusive('\n') {
        while line(next) != l {
            next += 1;
            assert!(next < n, "line {lines} is not a record: {l:?}");
        }
        next += 1;
        lines += 1;
    }
    assert_eq!(lines, written);
}

#[test]
fn a_refused_batch_that_carried_a_record_leaves_it_whole_for_the_next() {
    // Batch 1 ends on a record; batch 2 crosses its aligned end and
    // carries its last record, whose start it was to write, but its sink
    // refuses it: nothing of it reaches the file.
    let mut f = Fixture::new(true, |s| s.refuse = Some(2));
    let i = f.push_until_writes(2);
    assert_eq!(f.writes()[1], (16402, true));
    f.push(i, i + 1000);
    f.dry();
    let s = f.sh.stats();
    assert_eq!(s.written + s.dropped, (i + 1000) as u64);
    assert_whole_records_in_order(&f.path, i + 1000, s.written);
    assert_eq!(s.bytes_written, std::fs::metadata(&f.path).unwrap().len());
}

#[test]
fn a_file_cut_to_nothing_under_the_writer_gets_the_carried_record_whole() {
    // `copytruncate`: the file is copied and cut to 0 while the writer
    // holds the rest of a record whose start it wrote.
    let mut f = Fixture::new(true, |_| {});
    let i = f.push_until_writes(2);
    let w = f.writes();
    assert_eq!(w[1].0 % UNIT, 0, "the second write ends aligned: {w:?}");
    let copy = std::fs::read(&f.path).unwrap();
    OpenOptions::new().write(true).open(&f.path).unwrap().set_len(0).unwrap();
    f.push(i, i + 1000);
    f.dry();
    let s = f.sh.stats();
    assert_eq!(s.written, (i + 1000) as u64);
    let text = std::fs::read_to_string(&f.path).unwrap();
    // The copy ends inside record `k`; the file starts with it whole.
    let k = copy.iter().filter(|&&c| c == b'\n').count();
    assert!(!copy.ends_with(b"\n"));
    assert!(text.starts_with(&line(k)), "{:?}", &text[..40]);
    assert_whole_records_in_order(&f.path, i + 1000, s.written - k as u64);
}

#[test]
fn a_file_whose_size_cannot_be_read_gets_the_carried_records_rest() {
    // The second write ends inside a record; from then on `fstat` fails
    // (a network or FUSE file system that cannot answer, ENOMEM): nothing
    // says the file changed, so the record's rest follows its start.
    let mut f = Fixture::new(true, |_| {});
    let i = f.push_until_writes(2);
    let w = f.writes();
    assert_eq!(w[1].0 % UNIT, 0, "the second write ends aligned: {w:?}");
    assert!(f.set.slots[0].batch.head > 0);
    aligned::FSTAT_FAILS.with(|c| c.set(true));
    f.push(i, i + 1000);
    f.dry();
    aligned::FSTAT_FAILS.with(|c| c.set(false));
    let text = std::fs::read_to_string(&f.path).unwrap();
    assert_eq!(text, expected(i + 1000));
    let s = f.sh.stats();
    assert_eq!((s.written, s.dropped, s.errors), ((i + 1000) as u64, 0, 0));
    assert_eq!(s.bytes_written, text.len() as u64);
}

#[test]
fn a_sink_writing_at_offsets_of_its_own_gets_every_record_whole() {
    let mut f = Fixture::new(true, |s| s.positioned = true);
    f.push(0, 3000);
    f.dry();
    assert_eq!(std::fs::read_to_string(&f.path).unwrap(), expected(3000));
    assert_eq!(f.sh.stats().written, 3000);
}

#[test]
fn a_sink_panicking_as_it_is_asked_where_a_records_rest_goes_leaves_the_file_on_a_whole_line() {
    // Batch 2 ends inside a record; its sink panics when asked where
    // batch 3, that record's rest first, goes: submitted under load (it
    // carries a record of its own first) or as the writer runs dry.
    for under_load in [true, false] {
        let mut f = Fixture::new(true, |s| s.panic_at = Some(3));
        let mut next = f.push_until_writes(2);
        assert_eq!(f.writes()[1].0 % UNIT, 0, "the second write ends aligned");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if !under_load {
                f.dry();
            }
            loop {
                f.push(next, next + 1);
                next += 1;
            }
        }));
        assert!(panicked.is_err());
        // What the writer does after a panic.
        f.set.abandon(&mut f.io, &f.sh);
        let s = f.sh.stats();
        assert_eq!(s.written + s.dropped, next as u64, "under load {under_load}");
        assert_whole_records_in_order(&f.path, next, s.written);
        let len = std::fs::metadata(&f.path).unwrap().len();
        assert_eq!(s.bytes_written, len, "under load {under_load}");
    }
}

#[test]
fn a_sink_appending_to_a_pipe_gets_every_record_whole() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let (sink, writes, _) = AppendFile::new(&fifo, true);
    let mut set = set_of(sink);
    let (sh, mut io) = (shared(), Pwrite::default());
    push_under_load(&mut set, &mut io, &sh, 0, 3000);
    set.submit_all(&mut io, &sh);
    assert!(writes.lock().unwrap().len() > 10);
    assert_eq!(sh.stats().written, 3000);
    // Closes the pipe's one writer: the reader reaches its end.
    drop(set);
    assert_eq!(String::from_utf8(reader.join().unwrap()).unwrap(), expected(3000));
}

#[test]
fn a_fork_beginning_as_the_rest_of_a_record_goes_out_waits_until_it_is_written() {
    let counted = Arc::new(AtomicBool::new(false));
    let at_route = Arc::new(Mutex::new(Vec::new()));
    let mut f = Fixture::new(true, |s| {
        s.counted = counted.clone();
        s.counted_at_route = at_route.clone();
    });
    f.set.aligner.as_mut().unwrap().counted_seen = counted.clone();
    // Batch 2 ends inside a record: the set counts as holding its start.
    let i = f.push_until_writes(2);
    assert_eq!(f.writes()[1].0 % UNIT, 0, "the second write ends aligned");
    assert!(counted.load(std::sync::atomic::Ordering::SeqCst));
    // A fork begins; batch 3, that record's rest first, goes out under
    // load: a fork waits for it, so the set counts until it is written.
    f.set.aligner.as_mut().unwrap().forking = true;
    let mut next = i;
    while f.writes().len() < 3 {
        f.push(next, next + 1);
        next += 1;
    }
    // Batch 1 split nothing; batch 2 split a record; batch 3 holds its rest.
    let at_route = at_route.lock().unwrap().clone();
    assert_eq!(at_route[..3], [false, true, true], "counted as each was routed");
    // Written: no longer counted, and no record split since.
    assert!(!counted.load(std::sync::atomic::Ordering::SeqCst));
    f.push(next, next + 1000);
    f.dry();
    let text = std::fs::read(&f.path).unwrap();
    assert!(f.writes()[2..].iter().all(|&(s, _)| text[s as usize - 1] == b'\n'));
    assert_eq!(text, expected(next + 1000).as_bytes());
}

/// Pwrite whose write number `hold` lands at once but is reported only
/// at the next poll, as io_uring's (`Backend::Auto` switches between
/// them) — or, `queue`d, is not even written until then, as one still
/// in the kernel; like `Auto`, it says it reports in `submit` only when
/// no write is held and the next one will not be.
struct Held {
    io: Pwrite,
    submits: usize,
    hold: usize,
    queue: bool,
    held: Vec<Event>,
    queued: Vec<Submission>,
}

impl Held {
    /// One that holds write number `hold`, queued or landed.
    fn new(hold: usize, queue: bool) -> Held {
        Held {
            io: Pwrite::default(),
            submits: 0,
            hold,
            queue,
            held: Vec::new(),
            queued: Vec::new(),
        }
    }

    fn flush(&mut self, done: &mut dyn FnMut(Event)) {
        for sub in std::mem::take(&mut self.queued) {
            self.io.submit(sub, done);
        }
        for e in self.held.drain(..) {
            done(e);
        }
    }
}

impl IoBackend for Held {
    fn make_room(&mut self, done: &mut dyn FnMut(Event)) {
        self.io.make_room(done)
    }
    fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Event)) {
        self.submits += 1;
        match (self.submits == self.hold, self.queue) {
            (true, true) => self.queued.push(sub),
            (true, false) => {
                let held = &mut self.held;
                self.io.submit(sub, &mut |e| held.push(e));
            }
            (false, _) => self.io.submit(sub, done),
        }
    }
    fn sync(&mut self, req: SyncRequest, done: &mut dyn FnMut(Event)) {
        self.flush(done);
        self.io.sync(req, done)
    }
    fn poll(&mut self, done: &mut dyn FnMut(Event)) {
        self.flush(done);
        self.io.poll(done)
    }
    fn wait_some(&mut self, v: u32, t: Option<Duration>, d: &mut dyn FnMut(Event)) -> bool {
        self.flush(d);
        self.io.wait_some(v, t, d)
    }
    fn wait_all(&mut self, done: &mut dyn FnMut(Event)) {
        self.flush(done);
        self.io.wait_all(done)
    }
    fn in_flight(&self) -> usize {
        self.held.len() + self.queued.len()
    }
    fn reports_in_submit(&self) -> bool {
        self.in_flight() == 0 && self.submits + 1 != self.hold
    }
    fn submits(&self) -> u64 {
        self.io.submits()
    }
}

#[test]
fn a_write_landed_but_not_yet_reported_is_not_counted_twice_in_the_files_end() {
    // Batch 4 lands but is reported late; batch 5 is refused meanwhile,
    // so the set looks the file's end up again while batch 4 is in the
    // file but not yet counted in it: the end must not count it twice.
    let mut f = Fixture::new(true, |s| s.refuse = Some(5));
    let mut io = Held::new(4, false);
    let mut next = 0;
    while !f.writes().last().is_some_and(|&(_, failed)| failed) {
        push_under_load(&mut f.set, &mut io, &f.sh, next, next + 1);
        next += 1;
    }
    assert_eq!(io.held.len(), 1, "batch 4 still in flight as batch 5 failed");
    // Batch 4 is reported; later batches split records again.
    f.set.poll(&mut io, &f.sh);
    push_under_load(&mut f.set, &mut io, &f.sh, next, next + 2000);
    f.set.submit_all(&mut io, &f.sh);
    let s = f.sh.stats();
    assert_eq!(s.written + s.dropped, (next + 2000) as u64);
    assert_whole_records_in_order(&f.path, next + 2000, s.written);
    assert_eq!(s.bytes_written, std::fs::metadata(&f.path).unwrap().len());
    // Writes end aligned again once the end is known.
    let w = f.writes();
    assert!(w[w.len() - 4..w.len() - 1].iter().all(|&(s, _)| s % UNIT == 0), "{w:?}");
}

#[test]
fn exit_on_the_writer_thread_cuts_a_records_start_unless_its_rest_is_on_its_way() {
    // Batch 2 ends inside a record: `exit` on this thread (a sink's code)
    // would take its start out again, the file then ending on a line.
    let mut f = Fixture::new(true, |_| {});
    let mut io = Held::new(3, true);
    let mut next = 0;
    while f.writes().len() < 2 {
        push_under_load(&mut f.set, &mut io, &f.sh, next, next + 1);
        next += 1;
    }
    let size = f.writes()[1].0;
    assert_eq!(size % UNIT, 0, "the second write ends aligned");
    let head = f.set.slots[0].batch.head as u64;
    assert!(head > 0);
    let mut text = std::fs::read(&f.path).unwrap();
    assert_eq!(aligned::cut_begun_here(), Some(head));
    assert_eq!(std::fs::metadata(&f.path).unwrap().len(), size - head);
    // Put back; batch 3, the record's rest first, is handed to the
    // backend, not yet written: its start stays, the rest to follow it.
    std::fs::write(&f.path, &text).unwrap();
    while io.queued.is_empty() {
        push_under_load(&mut f.set, &mut io, &f.sh, next, next + 1);
        next += 1;
    }
    assert_eq!(aligned::cut_begun_here(), None);
    assert_eq!(std::fs::metadata(&f.path).unwrap().len(), size);
    f.set.wait_all(&mut io, &f.sh);
    f.set.submit_all(&mut io, &f.sh);
    text = std::fs::read(&f.path).unwrap();
    assert_eq!(text, expected(next).as_bytes());
}
