//! Aligned appends: a sink's writes end at aligned file offsets, inside a
//! record, and the rest of that record starts its next batch.
//!
//! Why: the page cache sizes each new folio by the bytes left in the
//! write and by the alignment of its index in the file. A write that
//! ends inside a page leaves a run of small folios there, and the next
//! write, starting in that page, climbs back up through small ones; every
//! folio costs the file system its own set-up (on ext4 its delayed
//! allocation: block reservation, buffer heads, adding the page). Writes
//! that end at multiples of [`unit`] start and end on folio boundaries,
//! and each gets a few large folios. Measured on ext4 (2 CPUs, 128 KiB
//! batches of the benchmark's 98-byte lines): kernel time per 100 bytes
//! appended 34.8 ns with batches that end on a record, 25.1 ns with
//! batches that end at multiples of 64 KiB; the writer thread's CPU per
//! 1,000 records 62.1 → 54.9 µs (median of 8 interleaved runs of
//! `thread_costs 1 pwrite`).
//!
//! How: while the writer takes records under load (`SinkSet::submit_full`),
//! the open batch is full at [`Aligner::full_at`] — where its write would
//! end at the next multiple of the unit at least `batch_bytes / 2` and at
//! most `batch_bytes` past the file's end — instead of at `batch_bytes`.
//! The record that crosses that point is copied whole into the next
//! batch ([`carry`]): its first bytes (`Batch::head`) go out with this
//! write and stay at the front of the next batch, which writes from
//! `head` on. The record is counted with the next batch. A batch written
//! because the writer ran dry, or for a flush, a reopen or shutdown, ends
//! on a record as before, so the file never stays inside a record longer
//! than the writer takes records without a pause.
//!
//! When: only for a set of one sink that allows it
//! ([`crate::sink::Sink::may_split_records`]), appending to one regular file, with
//! no batch limit, no `O_DIRECT`, not crash-safe, with a backend that
//! reports each write before `submit` returns (pwrite: the next batch is
//! made only once the write before it is known to have landed or failed);
//! never once the process has forked (a child's sink appends to the same
//! file), and not after the file grew by bytes this writer did not write
//! (another writer appends to it) until the sink reopens.
//!
//! Forks: a forked child's sink appends to the same file, so a fork waits
//! until no writer of the process holds a record begun in a file:
//! [`before_fork`] (the `pthread_atfork` prepare handler) marks a fork as
//! under way — from then on no writer splits a record — and waits, at
//! most [`FORK_WAIT`], until every writer has written the rest of the
//! record it carried (a writer does at its next write: within a batch's
//! time under load, at once when it runs dry). After the fork, the
//! parent's writers no longer align ([`crate::fork::forks_hint`] moved).
//! The protocol: a writer counts itself in [`SPLITS_PENDING`] *before* it
//! looks at [`FORKING`] and splits; the prepare handler counts itself in
//! `FORKING` before it looks at `SPLITS_PENDING` (both sequentially
//! consistent), so either the writer sees the fork and does not split,
//! or the handler sees the writer and waits for it. The wait is usually
//! well under a millisecond; it is bounded for a writer that does not
//! get to run (measured at load 6 on 2 CPUs: median 0.26 ms, p90 5.1 ms,
//! largest of 80 forks 46.9 ms). A writer stuck in a write for longer
//! than `FORK_WAIT` (a stalled disk) may still write the rest of its
//! record after the child's first lines, and so may a writer that forks
//! itself (a sink's own code forking on the writer thread, or a signal
//! handler there): a fork does not wait for its own thread's records.
//!
//! Failures: a failed write whose batch holds a head takes the head out
//! of the file with its own bytes (`writer::append`: the bytes checked
//! and cut are `head` plus those written); its records, that one
//! included, are counted dropped as any failed batch's. A write that
//! fails (or a batch its sink refused) after a split leaves the next
//! batch without a head: the record carried is written whole (the failed
//! write's bytes, its head among them, were cut off, or never written).
//! So is it when the file no longer ends where the writer left it, right
//! after the record's start (`Aligner::head_in_place`: cut by
//! `copytruncate`, or appended to). Before a sink reopens its file, a
//! batch holding a head is written to the old file, whole.
//!
//! Exit: `exit` on another thread drains the writer, which writes the
//! rest. A sink's own code calling `exit` on the writer thread suspends
//! the writer for good: the exit hook takes the record's start out of
//! the file again ([`cut_begun_here`]), as a writer that panicked does,
//! unless the batch holding the rest was handed to the backend already.

use super::slot::Batch;
use crate::sink::SharedFd;
use crate::writer::append;
use std::cell::Cell;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// Writers (sets) of this process that hold a record begun in a file, or
/// are about to split one.
static SPLITS_PENDING: AtomicU32 = AtomicU32::new(0);
/// Forks under way: prepare handler run, parent handler not yet.
static FORKING: AtomicU32 = AtomicU32::new(0);

thread_local! {
    /// This thread's part of [`SPLITS_PENDING`] (a writer thread's).
    static COUNTED_HERE: Cell<u32> = const { Cell::new(0) };
    /// The record this thread's writer began in a file, for the exit
    /// hook (see [`cut_begun_here`]). No destructor: `exit` runs the
    /// exiting thread's thread-local destructors before the hooks.
    static BEGUN_HERE: BegunHere = const {
        BegunHere {
            fd: Cell::new(-1),
            start: Cell::new(std::ptr::null()),
            len: Cell::new(0),
        }
    };
}

/// Where an [`Aligner`]'s record begun in a file is (see [`BEGUN_HERE`]).
struct BegunHere {
    /// The file's descriptor, held open by the aligner; -1 for none.
    fd: Cell<RawFd>,
    /// The aligner's `begun` bytes: never moved (reserved at
    /// [`MAX_CARRY`], never grown) while the aligner lives.
    start: Cell<*const u8>,
    /// How many; 0 for none.
    len: Cell<usize>,
}

/// At `exit` on a writer's thread (a sink's own code calling it): takes
/// the start of the record this thread's writer began in a file out of it
/// again, as [`super::SinkSet::abandon`] does for a writer that died: the
/// writer holds the rest and will never write it. The bytes cut, if it
/// cut them.
pub(crate) fn cut_begun_here() -> Option<u64> {
    BEGUN_HERE.with(|b| {
        let (fd, len) = (b.fd.get(), b.len.get());
        if fd < 0 || len == 0 {
            return None;
        }
        // SAFETY: set by `Aligner::publish` on this thread, from the
        // aligner of this thread's writer, which lives and is dropped on
        // this thread (its `Drop` clears them): its `begun` bytes, not
        // moved, and the descriptor of the file it holds open. The hook
        // runs on this thread while the writer is suspended in a sink's
        // code, so nothing changes them meanwhile. (An aligner used on
        // other threads, in sync mode, never splits, and leaves them
        // alone while they hold a record: see `Aligner::publish`.)
        let (start, fd) = unsafe {
            let start = std::slice::from_raw_parts(b.start.get(), len);
            (start, BorrowedFd::borrow_raw(fd))
        };
        let cut = append::cut_failed_append(fd, Some(start));
        matches!(cut, append::Cut::Done { .. }).then_some(len as u64)
    })
}
/// The longest a fork waits for the writers to finish their split records.
pub(crate) const FORK_WAIT: Duration = Duration::from_millis(500);
/// A waiting fork's nap between two looks.
const FORK_NAP: Duration = Duration::from_micros(50);

/// The prepare handler's part (see the module docs): no writer splits a
/// record from now on, and those that hold one finish it first, for
/// [`FORK_WAIT`] at most. Allocates nothing and takes no lock.
pub(crate) fn before_fork() {
    FORKING.fetch_add(1, SeqCst);
    // The forking thread's own writer, if it is one, cannot finish its
    // record while it forks.
    let own = COUNTED_HERE.with(Cell::get);
    let start = Instant::now();
    while SPLITS_PENDING.load(SeqCst) > own && start.elapsed() < FORK_WAIT {
        std::thread::sleep(FORK_NAP);
    }
}

/// The parent handler's part: the fork is over.
pub(crate) fn after_fork_in_parent() {
    FORKING.fetch_sub(1, SeqCst);
}

/// The child handler's part: the parent's writers are not the child's.
pub(crate) fn after_fork_in_child() {
    FORKING.store(0, SeqCst);
    SPLITS_PENDING.store(0, SeqCst);
    COUNTED_HERE.with(|c| c.set(0));
    BEGUN_HERE.with(|b| b.len.set(0));
}

/// A record longer than this that crosses the aligned end is not split:
/// the batch ends after it (and the next one aligns again). Bounds the
/// bytes a batch carries past `batch_bytes`.
pub(super) const MAX_CARRY: usize = 1024;

/// The alignment for batches of `batch_bytes`: the largest power of two
/// at most half of it, so a batch ends at one of them at least
/// `batch_bytes / 2` past its start; 0 (no alignment) below 8 KiB.
pub(super) fn unit(batch_bytes: usize) -> u64 {
    let half = (batch_bytes / 2) as u64;
    if half < 4096 {
        return 0;
    }
    1 << (63 - half.leading_zeros())
}

/// Where a set's one sink's writes end.
pub(super) struct Aligner {
    /// Writes end at multiples of this.
    unit: u64,
    /// [`crate::fork::forks_hint`] when the set began.
    forks_at: u64,
    /// Where the sink's next append lands, as this writer's own writes
    /// left the file; `None` until looked up.
    end: Option<u64>,
    /// The file this writer's last append went to, which `end` is of;
    /// `None` before the first and after a reopen (no alignment until an
    /// append shows which file the sink writes).
    file: Option<SharedFd>,
    /// The file grew by bytes this writer did not write: no alignment
    /// until the sink reopens.
    shared: bool,
    /// Counted in [`SPLITS_PENDING`].
    counted: bool,
    /// The start of the record this writer's last write ended inside (the
    /// file's last bytes, as far as it knows): what comes out again if
    /// the writer dies before it writes the rest (`SinkSet::abandon`).
    /// Reserved at [`MAX_CARRY`] bytes, never grown.
    begun: Vec<u8>,
    /// Tests: a fork under way, for this aligner alone.
    #[cfg(test)]
    pub(super) forking: bool,
    /// Tests: `counted`, for a sink to look at as it is routed.
    #[cfg(test)]
    pub(super) counted_seen: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Aligner {
    /// One for batches of `batch_bytes`; `None` when they are too small.
    pub(super) fn new(batch_bytes: usize) -> Option<Aligner> {
        let unit = unit(batch_bytes);
        (unit > 0).then(|| Aligner {
            unit,
            forks_at: crate::fork::forks_hint(),
            end: None,
            file: None,
            shared: false,
            counted: false,
            begun: Vec::with_capacity(MAX_CARRY),
            #[cfg(test)]
            forking: false,
            #[cfg(test)]
            counted_seen: Default::default(),
        })
    }

    /// The length of a batch whose first `head` bytes are in the file
    /// already (`fd`'s end) at which it is full, for its write to end at
    /// an aligned offset; `usize::MAX` (full at `batch_bytes` alone) when
    /// this writer is not the file's only writer, or its end is unknown.
    /// One `fstat` while the end is not known from this writer's own
    /// writes; after that, [`Aligner::head_in_place`] looks before each
    /// write of a record's rest, which is when another writer's bytes
    /// would matter. The end is looked up only with no write `in_flight`:
    /// one that landed but is not reported yet (io_uring) would be in the
    /// size, and counted again in the end when it is reported.
    #[inline]
    pub(super) fn full_at(&mut self, head: usize, batch_bytes: usize, in_flight: bool) -> usize {
        if !self.aligning() || FORKING.load(SeqCst) > 0 {
            return usize::MAX;
        }
        let Some(file) = &self.file else {
            return usize::MAX;
        };
        if let Some(end) = self.end {
            return self.end_at(end, head, batch_bytes);
        }
        if in_flight {
            return usize::MAX;
        }
        let size = match file_size(file.as_fd()) {
            Size::Regular(size) => size,
            Size::Unknown => return usize::MAX,
            Size::NotRegular => {
                // A pipe, a terminal, a device: no page cache to align
                // for, and no size that tells where our bytes end.
                self.shared = true;
                return usize::MAX;
            }
        };
        self.end = Some(size);
        self.end_at(size, head, batch_bytes)
    }

    /// [`Aligner::full_at`] for a file that ends at `size`.
    #[inline]
    fn end_at(&self, size: u64, head: usize, batch_bytes: usize) -> usize {
        let target = (size + batch_bytes as u64) / self.unit * self.unit;
        if target <= size {
            return usize::MAX;
        }
        head + (target - size) as usize
    }

    /// Before a batch holding a record's start (its head) is written:
    /// whether the file (`fd`) still ends where this writer's last write
    /// left it, right after that start. Not when it was cut
    /// (`copytruncate`) or another writer appended: then no alignment
    /// until the sink reopens. One `fstat`; a change in the moment
    /// between it and the write goes unseen. When `fstat` fails (a
    /// network or FUSE file system that cannot answer now, `ENOMEM`),
    /// nothing says the file changed: the start is taken to be in place,
    /// as this writer's write left it (written whole, the record would
    /// follow its own start: a torn line for sure).
    pub(super) fn head_in_place(&mut self, fd: &SharedFd) -> bool {
        let ours = self.file.as_ref().is_some_and(|f| Arc::ptr_eq(f, fd));
        let size = match file_size(fd.as_fd()) {
            Size::Regular(size) if ours => Some(size),
            Size::Unknown if ours && self.end.is_some() => return true,
            _ => None,
        };
        if size.is_some() && size == self.end {
            return true;
        }
        self.shared = true;
        self.end = None;
        self.begun.clear();
        self.publish();
        false
    }

    /// Whether this writer is the file's only one, as far as it knows.
    #[inline]
    fn aligning(&self) -> bool {
        !self.shared && crate::fork::forks_hint() == self.forks_at
    }

    /// Whether the batch being submitted may end inside a record: no fork
    /// under way. Counts the set in [`SPLITS_PENDING`] first (see the
    /// module docs); [`Aligner::settle`] takes it out again — not here
    /// when the batch `holds_head` (a record's start is in the file, its
    /// rest in this batch, not yet written: a fork waits for it).
    #[inline]
    pub(super) fn may_split(&mut self, holds_head: bool) -> bool {
        if !self.aligning() {
            return false;
        }
        if !self.counted {
            self.set_counted(true);
        }
        // The fork count is looked at again, after `FORKING`: a whole fork
        // may have run between the look above and the count (its prepare
        // handler saw no writer to wait for). Then `FORKING` reads its
        // parent handler's decrement, which follows the count's increment
        // there and synchronizes with this load (SeqCst), so the count
        // read below is the new one.
        if FORKING.load(SeqCst) > 0 || self.forking_for_tests() || !self.aligning() {
            self.settle(holds_head);
            return false;
        }
        true
    }

    /// Counts the set in [`SPLITS_PENDING`] (and this thread's part of
    /// it), or takes it out.
    fn set_counted(&mut self, counted: bool) {
        match counted {
            true => {
                SPLITS_PENDING.fetch_add(1, SeqCst);
                COUNTED_HERE.with(|c| c.set(c.get() + 1));
            }
            false => {
                SPLITS_PENDING.fetch_sub(1, SeqCst);
                COUNTED_HERE.with(|c| c.set(c.get().saturating_sub(1)));
            }
        }
        self.counted = counted;
        #[cfg(test)]
        self.counted_seen.store(counted, SeqCst);
    }

    #[cfg(test)]
    fn forking_for_tests(&self) -> bool {
        self.forking
    }

    #[cfg(not(test))]
    fn forking_for_tests(&self) -> bool {
        false
    }

    /// After a submission: whether the open batch holds a record begun in
    /// the file. Without one, the set no longer counts in [`SPLITS_PENDING`].
    #[inline]
    pub(super) fn settle(&mut self, head_pending: bool) {
        if self.counted && !head_pending {
            self.set_counted(false);
        }
    }

    /// A write landed whole, its last bytes `start`: the start of the
    /// record carried to the next batch (empty when it ended on a record).
    pub(super) fn ended_inside(&mut self, start: &[u8]) {
        debug_assert!(start.len() <= MAX_CARRY);
        self.begun.clear();
        self.begun.extend_from_slice(start);
        self.publish();
    }

    /// The batch holding the rest of the record begun in the file is
    /// handed to the backend: the exit hook leaves its start alone (the
    /// rest may land after it, through io_uring), until the write is
    /// reported.
    #[inline]
    pub(super) fn rest_on_its_way(&self) {
        BEGUN_HERE.with(|b| {
            if b.start.get() == self.begun.as_ptr() {
                b.len.set(0);
            }
        });
    }

    /// Tells this thread's exit hook where the record begun in the file
    /// is (see [`cut_begun_here`]): after each change of `begun` or `file`.
    /// An aligner with no record begun leaves another's alone: a
    /// sync-mode logger's, used on any thread, also on a writer's (its
    /// sink's code logging into it) between that writer's record start
    /// and a call of `exit`. The `begun` bytes' address tells the
    /// aligners apart (never moved while each lives).
    #[inline]
    fn publish(&self) {
        debug_assert!(self.begun.capacity() >= MAX_CARRY, "never moved");
        let fd = match &self.file {
            Some(f) if !self.begun.is_empty() => f.as_fd().as_raw_fd(),
            _ => -1,
        };
        BEGUN_HERE.with(|b| {
            let others = b.len.get() > 0 && b.start.get() != self.begun.as_ptr();
            if others && self.begun.is_empty() {
                return;
            }
            b.fd.set(fd);
            b.start.set(self.begun.as_ptr());
            b.len.set(self.begun.len());
        });
    }

    /// The start of a record at the file's end, whose rest this writer
    /// holds; empty when there is none.
    pub(super) fn begun(&self) -> &[u8] {
        &self.begun
    }

    /// An append of `n` bytes to `file` landed whole: the file's end
    /// moved by `n`, or, in a file other than the last one, is not known.
    #[inline]
    pub(super) fn wrote(&mut self, n: usize, file: &SharedFd) {
        match &self.file {
            Some(f) if Arc::ptr_eq(f, file) => self.end = self.end.map(|e| e + n as u64),
            _ => {
                self.file = Some(file.clone());
                self.end = None;
                self.publish();
            }
        }
    }

    /// A write that was no append landed whole: a positioned one ending
    /// at `end`, or one the sink made itself (`None`: where, unknown).
    /// Only appends align: no alignment until the sink reopens, but the
    /// record's start such a write held stays known to be in place.
    pub(super) fn wrote_elsewhere(&mut self, end: Option<u64>) {
        self.end = end;
        self.shared = true;
    }

    /// An append failed: where the file ends is looked up again.
    #[inline]
    pub(super) fn failed(&mut self) {
        self.end = None;
        self.begun.clear();
        self.publish();
    }

    /// The sink reopened its file: a new file, perhaps no longer shared,
    /// known once an append goes to it.
    pub(super) fn reopened(&mut self) {
        self.end = None;
        self.file = None;
        self.shared = false;
        self.publish();
    }

    /// As after a fork of the process, for tests.
    #[cfg(test)]
    pub(super) fn pretend_forked(&mut self) {
        self.forks_at = self.forks_at.wrapping_add(1);
    }
}

impl Drop for Aligner {
    fn drop(&mut self) {
        self.settle(false);
        self.begun.clear();
        self.publish();
    }
}

/// Moves the record of `b` that crosses `b.full_at` into `open` (the
/// sink's fresh, empty open batch), `b` then ending at `b.full_at`.
/// Returns whether it did: not when the batch did not cross it, or its
/// last record is too long ([`MAX_CARRY`]) or is `b`'s own head. A record
/// that starts right at `b.full_at` moves with no head.
#[inline]
pub(super) fn carry(open: &mut Batch, b: &mut Batch) -> bool {
    let (cut, len, last) = (b.full_at, b.buf.len(), b.last_start);
    if cut >= len || last > cut || last < b.head || len - last > MAX_CARRY || b.primary == 0 {
        return false;
    }
    debug_assert!(open.buf.is_empty() && open.primary == 0);
    open.buf.extend_from_slice(&b.buf[last..]);
    open.head = cut - last;
    open.primary = 1;
    // The batch's time, not the record's own (not kept): a sink that
    // splits records has no time limit to check it against.
    open.first_nanos = b.first_nanos;
    open.last_start = 0;
    b.buf.truncate(cut);
    b.primary -= 1;
    true
}

/// What `fstat` says of the file a sink appends to.
enum Size {
    /// A regular file of this many bytes.
    Regular(u64),
    /// Not a regular file: its size says nothing of what was written.
    NotRegular,
    /// `fstat` failed.
    Unknown,
}

#[cfg(test)]
thread_local! {
    /// Tests: every `fstat` of [`file_size`] on this thread fails.
    pub(super) static FSTAT_FAILS: Cell<bool> = const { Cell::new(false) };
}

/// The size of the file open as `fd`.
#[inline]
fn file_size(fd: BorrowedFd<'_>) -> Size {
    #[cfg(test)]
    if FSTAT_FAILS.with(Cell::get) {
        return Size::Unknown;
    }
    match crate::io::file_kind::fstat(fd) {
        None => Size::Unknown,
        Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFREG => Size::Regular(st.st_size as u64),
        Some(_) => Size::NotRegular,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_is_the_largest_power_of_two_up_to_half_a_batch() {
        assert_eq!(unit(128 * 1024), 64 * 1024);
        assert_eq!(unit(100_000), 32 * 1024);
        assert_eq!(unit(8192), 4096);
        assert_eq!(unit(8191), 0);
        assert_eq!(unit(0), 0);
    }

    fn batch(records: &[&[u8]], head: usize, full_at: usize) -> Batch {
        let mut b = Batch::new(Vec::new());
        for r in records {
            b.last_start = b.buf.len();
            b.buf.extend_from_slice(r);
            b.primary += 1;
        }
        b.head = head;
        b.full_at = full_at;
        b.first_nanos = 7;
        b
    }

    #[test]
    fn the_record_across_the_end_moves_whole_and_its_start_is_the_head() {
        let mut b = batch(&[b"aaaa\n", b"bbbbbb\n"], 0, 8);
        let mut open = Batch::new(Vec::new());
        assert!(carry(&mut open, &mut b));
        assert_eq!(b.buf, b"aaaa\nbbb");
        assert_eq!(b.primary, 1);
        assert_eq!(open.buf, b"bbbbbb\n");
        assert_eq!(open.head, 3);
        assert_eq!(open.primary, 1);
        assert_eq!(open.first_nanos, 7);
    }

    #[test]
    fn a_batch_that_ends_at_or_before_its_end_carries_nothing() {
        for full_at in [12, 13, usize::MAX] {
            let mut b = batch(&[b"aaaa\n", b"bbbbbb\n"], 0, full_at);
            let mut open = Batch::new(Vec::new());
            assert!(!carry(&mut open, &mut b), "full_at {full_at}");
            assert_eq!(b.buf.len(), 12);
            assert!(open.buf.is_empty());
        }
    }

    #[test]
    fn a_record_starting_at_the_end_moves_with_no_head() {
        let mut b = batch(&[b"aaaa\n", b"bbbbbb\n"], 0, 5);
        let mut open = Batch::new(Vec::new());
        assert!(carry(&mut open, &mut b));
        assert_eq!(b.buf, b"aaaa\n");
        assert_eq!((open.buf.as_slice(), open.head), (&b"bbbbbb\n"[..], 0));
    }

    #[test]
    fn a_long_record_or_the_batchs_own_head_is_not_carried() {
        let long = vec![b'x'; MAX_CARRY + 1];
        let mut b = batch(&[b"a\n", &long], 0, 10);
        assert!(!carry(&mut Batch::new(Vec::new()), &mut b));
        let mut b = batch(&[b"aaaa\n"], 2, 3);
        assert!(!carry(&mut Batch::new(Vec::new()), &mut b));
    }
}
