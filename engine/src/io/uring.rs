//! The io_uring backend: batches in flight while the writer fills the next.
//!
//! Every io_uring `unsafe` of the engine is in this file.
//!
//! # In-flight contract
//!
//! A write's buffer (`WriteOp::buf`, heap memory owned by the op) and its
//! descriptor (`WriteOp::fd`, an `Arc` that keeps the file open) stay alive
//! and untouched from the moment its SQE is pushed until its CQE has been
//! reaped: the op sits in `ops` the whole time and nothing resizes or reads
//! its `Vec`. A sync holds its descriptor the same way. If the ring stops
//! answering, or an op is cancelled and does not complete within
//! [`CANCEL_GRACE`], the buffers and descriptors still in the kernel are
//! leaked rather than freed.
//!
//! # Cancellation: bounded waits
//!
//! Every wait for a completion lasts at most [`WAIT_SLICE`] before the
//! [`Cancel`] token is looked at again. Once it is set (shutdown's timeout
//! expired: a pipe nobody reads, a stuck device), every op in the kernel is
//! cancelled with `IORING_OP_ASYNC_CANCEL`; what completes within
//! [`CANCEL_GRACE`] is reported as it completed, the rest is leaked and
//! reported failed with `ECANCELED`, and the ring is given up (later
//! submissions fail at once). `Drop` does the same for anything still in
//! flight, so dropping the backend never waits without bound. Kernels
//! without `IORING_FEAT_EXT_ARG` (before 5.11) cannot bound a wait: there a
//! write that never completes still holds the writer.
//!
//! # Ordering and offsets
//!
//! Three kinds of write (see `Place`):
//! - **positioned** (`O_DIRECT` files): at the offset the sink reserved, so
//!   batches to one file may be in the kernel together and complete in any
//!   order;
//! - **append** (`O_APPEND` files): at offset -1, the file's end when the
//!   write runs. io_uring does not order two writes in flight, so a sink has
//!   one append in the kernel at a time, in submission order (a short write's
//!   remainder goes before the next batch). After a failed append, the
//!   sink's next write starts only once the failure has been *reported*:
//!   the writer cuts the failed batch's bytes off the file when it is told
//!   (`writer::append`), before anything can follow them;
//! - **stream** (pipe, terminal, socket): one write in the kernel at a time,
//!   in order, at the descriptor's own position.
//!
//! Completions are *reported* in submission order, so the sinks and the
//! counters see the contiguous completed prefix. At most `depth` writes are
//! submitted and unreported at once; the writer blocks in `io_uring_enter`
//! only when all of them are still busy. `make_room` reaps, reports and
//! waits for a free place *before* the writer routes the next batch, and
//! `submit` pushes it before reporting anything: a failure a sink rewinds
//! for is never reported between a sink reserving an offset and the write
//! going out with it.
//!
//! # Completions: reap first, then act
//!
//! Each pass first copies every CQE out of the completion ring, then acts:
//! - `res < len`: a short write; the remainder is resubmitted at
//!   `offset + res` (appends and streams: at -1, before any later write).
//! - `-EAGAIN` / `-EINTR`: resubmitted as is, at most [`MAX_RETRIES`]
//!   times in a row without progress; then the batch fails with that errno.
//! - `-ECANCELED` when we did not cancel it: io-wq could not start the
//!   worker thread a punted write needs. `create_io_thread` failed
//!   (`RLIMIT_NPROC` or a pids cgroup limit reached; a signal pending on
//!   the writer at each of io-wq's few attempts), and with no worker at all
//!   io-wq cancels its pending work (`io_acct_cancel_pending_work` in
//!   `io_uring/io-wq.c`). Buffered writes to most file systems are always
//!   punted, so resubmitting would only meet the same refusal: the rest of
//!   the batch is written with `pwrite(2)`/`write(2)` on the writer thread
//!   instead, when its turn comes (appends and streams: in order), as the
//!   pwrite backend does. Reproduced by
//!   `io_uring_write_the_kernel_cancels_keeps_the_books` (a writer that may
//!   start no thread).
//! - any other error (`-ENOSPC`, `-EIO`, `-EFBIG`, ...): the batch fails at
//!   once (the same data is not retried: the sink rewinds and the next batch
//!   carries new data).
//!
//! **Failure rule for positioned files.** A file sink rewinds to a failed
//! batch's offset and truncates there. So a failed batch is reported only
//! once every later batch to the same file has finished, and those later
//! batches are then reported failed too (their records counted dropped),
//! whether or not the kernel wrote them: the truncation removes their
//! bytes, and no write to that file is in the kernel when it happens.
//! Nothing is counted written that is not in the file. Appends need no such
//! rule: nothing later of the sink is in the kernel when one fails.
//!
//! # When the ring fails
//!
//! `io_uring_enter` failing with anything but `EINTR`/`ETIME` (or with
//! `EAGAIN`/`EBUSY` [`MAX_ENTER_FAILURES`] times in a row) gives the ring
//! up: every write and sync not yet finished is reported failed with that
//! errno, and the buffers and descriptors the kernel may still hold are
//! leaked (should the kernel still complete such a write, its bytes reach
//! the file although its records were counted dropped). The files are not
//! at fault, so later batches and syncs are done with system calls on the
//! writer thread, exactly as the pwrite backend does them; the logger goes
//! on writing (`Logger::io_backend` still names io_uring).
//!
//! # Syncs
//!
//! io_uring does not order an `FSYNC` after earlier writes. A sync waits
//! (queued, not in the kernel) until every write to its file submitted
//! before it has finished, then goes to the kernel with
//! `IORING_FSYNC_DATASYNC`; later writes keep flowing meanwhile. It is
//! reported once it finishes and every write before it has been reported.
//!
//! # One wait for completions and wake-ups
//!
//! When the writer sleeps with writes in flight, an `IORING_OP_FUTEX_WAIT`
//! on the writer's wake word (`crate::wake`) sits in the ring beside them
//! (Linux 6.7+), so `io_uring_enter` returns for a completion and for a
//! producer's `notify` alike. At most one such wait is in the kernel; it
//! stays queued across sleeps until a wake completes it. Its word is kept
//! alive by the [`EventRef`] this backend holds, and `Drop` wakes and reaps
//! it before letting go. Kernels without the opcode wait for completions
//! at most [`NO_FUTEX_POLL`] at a time, then look at the word.

use super::file_kind::is_regular_file;
use super::pwrite::{write_all, write_all_at, Pwrite};
use super::{errno_name, Cancel, Completion, Event, IoBackend, IoTarget, Submission, SyncRequest};
use crate::sink::SharedFd;
use crate::wake::EventRef;
use io_uring::{opcode, types, IoUring, Probe};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

/// Writes in flight when the builder does not say (measured: see `select`).
pub(crate) const DEFAULT_DEPTH: usize = 2;
/// Largest `io_depth` accepted.
pub(crate) const MAX_DEPTH: usize = 32;
/// Syncs queued or in the kernel at once; a further one waits for room.
const MAX_SYNCS: usize = 16;
/// Submission queue entries; every op has at most one SQE in the kernel.
const RING_ENTRIES: u32 = 64;
const _: () = assert!(MAX_DEPTH + MAX_SYNCS <= RING_ENTRIES as usize);
/// `EAGAIN`/`EINTR` resubmissions in a row without progress before failing.
pub(crate) const MAX_RETRIES: u32 = 8;
/// `io_uring_enter` failures in a row before the ring is given up.
const MAX_ENTER_FAILURES: u32 = 64;
/// Largest single SQE length; longer remainders go as short writes.
const MAX_SQE_LEN: usize = 1 << 30;
/// `user_data` bit marking a sync (writes use their sequence number).
const SYNC_TAG: u64 = 1 << 63;
/// `user_data` of the probe's `NOP`.
const NOP_TAG: u64 = SYNC_TAG - 1;
/// `user_data` of the wait on the writer's wake word.
const FUTEX_TAG: u64 = SYNC_TAG - 2;
/// `futex2` flags of that wait: a private 32-bit futex (`linux/futex.h`).
const FUTEX2_U32_PRIVATE: u32 = 0x02 | 128;
/// `FUTEX_BITSET_MATCH_ANY`: woken by any `FUTEX_WAKE`.
const FUTEX_MATCH_ANY: u64 = 0xffff_ffff;
/// Without `IORING_OP_FUTEX_WAIT`, the longest the writer waits for a
/// completion before looking at its wake word.
pub(crate) const NO_FUTEX_POLL: Duration = Duration::from_millis(1);
/// `io_uring_enter` rounds `Drop` spends retiring the wake-word wait.
const DISARM_ROUNDS: u32 = 16;
/// `user_data` of an `ASYNC_CANCEL` (its own completion is ignored).
const CANCEL_TAG: u64 = SYNC_TAG - 3;
/// Longest one wait for a completion lasts before the cancel token is
/// looked at again.
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(20);
/// How long cancelled ops get to complete before they are leaked.
pub(crate) const CANCEL_GRACE: Duration = Duration::from_millis(200);

/// io_uring settings from the builder.
#[derive(Clone, Debug)]
pub(crate) struct UringConfig {
    /// Writes submitted and unreported at once (1 ..= [`MAX_DEPTH`]).
    pub depth: usize,
    /// `Some(idle)`: a kernel thread polls the submission queue (SQPOLL).
    pub sqpoll_idle_ms: Option<u32>,
    /// Whether the writer's wait uses `IORING_OP_FUTEX_WAIT`.
    pub futex_wait: FutexWait,
}

/// Whether the ring waits on the writer's wake word (see "One wait for
/// completions and wake-ups").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FutexWait {
    /// Where the kernel has the opcode (Linux 6.7+).
    IfAvailable,
    /// Never (a test hook: the fallback of older kernels).
    Off,
}

impl Default for UringConfig {
    fn default() -> Self {
        UringConfig {
            depth: DEFAULT_DEPTH,
            sqpoll_idle_ms: None,
            futex_wait: FutexWait::IfAvailable,
        }
    }
}

/// Why io_uring cannot be used, with the likely cause.
#[derive(Debug)]
pub(crate) struct ProbeError(String);

impl ProbeError {
    fn new(stage: &str, errno: i32, note: &str) -> ProbeError {
        ProbeError(format!(
            "{stage} failed: {}{note} — {}",
            errno_name(errno),
            likely_cause(stage, errno)
        ))
    }

    /// What the test hook reports.
    pub(crate) fn simulated() -> ProbeError {
        ProbeError::new(
            "io_uring_setup",
            libc::EPERM,
            " (simulated by the test hook)",
        )
    }
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn likely_cause(stage: &str, errno: i32) -> &'static str {
    match (stage, errno) {
        ("io_uring_setup", libc::EPERM) => {
            "kernel.io_uring_disabled=2 (or =1 and not in kernel.io_uring_group) or a seccomp filter"
        }
        ("io_uring_setup", libc::ENOSYS) => {
            "kernel without io_uring (CONFIG_IO_URING=n or older than 5.1) or a seccomp filter"
        }
        ("io_uring_setup", libc::ENOMEM) => {
            "RLIMIT_MEMLOCK too low for the rings (kernels before 5.12 charge them to it)"
        }
        ("io_uring_setup", libc::EINVAL) => "kernel too old for these setup flags",
        (_, libc::EMFILE) | (_, libc::ENFILE) => "out of file descriptors",
        ("opcode probe", libc::EINVAL) => "kernel older than 5.6 (no IORING_REGISTER_PROBE)",
        ("opcode probe", _) => "kernel lacks IORING_OP_WRITE or IORING_OP_FSYNC (older than 5.6)",
        _ => "the ring does not complete a NOP; io_uring is unusable here",
    }
}

/// Where an op is.
#[derive(Debug)]
enum OpState {
    /// Not in the kernel: waiting for its turn (streams, syncs) or to be resubmitted.
    Queued,
    /// Its SQE is in the kernel.
    InKernel,
    /// Finished; `Some` if it failed.
    Done(Option<io::Error>),
}

/// Where a write goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// A positioned file write: the file offset of `buf[start]`.
    At(u64),
    /// An `O_APPEND` file, at its end (offset -1).
    End,
    /// A pipe, terminal or socket (offset -1: the descriptor's position).
    Stream,
}

/// One batch from submission until it is reported.
struct WriteOp {
    /// Sequence number, also the SQE's `user_data`.
    seq: u64,
    sink: usize,
    /// Keeps the descriptor open while the op is in flight.
    fd: SharedFd,
    /// The batch; its heap memory must not move while the op is `InKernel`.
    buf: Vec<u8>,
    start: usize,
    records: u64,
    place: Place,
    /// Bytes confirmed written, from `buf[start]`.
    done: usize,
    /// `EAGAIN`/`EINTR` retries in a row.
    retries: u32,
    /// The kernel cancelled it (no io-wq worker): the rest goes by system
    /// call (see the module docs).
    by_syscall: bool,
    state: OpState,
    /// Set when an earlier positioned batch to the same file failed (the
    /// failure rule): reported failed whatever the kernel did.
    doomed: bool,
}

impl WriteOp {
    fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    fn is_done(&self) -> bool {
        matches!(self.state, OpState::Done(_))
    }

    fn failed(&self) -> bool {
        matches!(self.state, OpState::Done(Some(_)))
    }

    /// The positioned offset, if any.
    fn offset(&self) -> Option<u64> {
        match self.place {
            Place::At(o) => Some(o),
            Place::End | Place::Stream => None,
        }
    }
}

/// One `fdatasync` from request until it is reported.
struct SyncOp {
    id: u64,
    sink: usize,
    ticket: u64,
    fd: SharedFd,
    /// Writes with `seq < barrier` to this sink come before it.
    barrier: u64,
    state: OpState,
}

/// The io_uring backend.
pub(crate) struct Uring {
    ring: IoUring,
    depth: usize,
    /// Ring flags in use, for `io_backend()`.
    flags: &'static str,
    sqpoll: bool,
    /// Writes in submission order; `ops[0].seq == first_seq`.
    ops: VecDeque<WriteOp>,
    first_seq: u64,
    next_seq: u64,
    syncs: Vec<SyncOp>,
    next_sync: u64,
    /// SQEs in the kernel (pushed, CQE not yet reaped).
    in_kernel: usize,
    /// SQEs pushed since the last enter.
    unsubmitted: usize,
    /// CQEs copied out, then acted on.
    cqes: Vec<(u64, i32)>,
    submits: u64,
    enter_failures: u32,
    /// Set when the ring stopped answering: every op then in it fails with
    /// this errno.
    broken: Option<i32>,
    /// Set by shutdown's timeout: cancel what is in flight, wait no more.
    cancel: Cancel,
    /// The writer's wake word, once attached.
    wake: Option<EventRef>,
    /// The kernel has `IORING_OP_FUTEX_WAIT` and `futex_wait` allows it.
    futex_op: bool,
    /// What the builder asked of the wait.
    futex_wait: FutexWait,
    /// A wait on the wake word is in the kernel (not counted in `in_kernel`).
    futex_armed: bool,
    /// Set with `broken` when `io_uring_enter` failed: later writes and
    /// syncs go through it (see "When the ring fails").
    fallback: Option<Pwrite>,
}

impl Uring {
    /// Sets up a ring on the calling thread, probes the opcodes it needs and
    /// completes one `NOP`.
    pub(crate) fn open(cfg: &UringConfig, cancel: Cancel) -> Result<Uring, ProbeError> {
        let (ring, flags) = build_ring(cfg.sqpoll_idle_ms)?;
        let mut probe = Probe::new();
        if let Err(e) = ring.submitter().register_probe(&mut probe) {
            return Err(ProbeError::new("opcode probe", os_errno(&e), ""));
        }
        for code in [opcode::Write::CODE, opcode::Fsync::CODE, opcode::Nop::CODE] {
            if !probe.is_supported(code) {
                return Err(ProbeError::new("opcode probe", libc::EOPNOTSUPP, ""));
            }
        }
        let futex_op = cfg.futex_wait == FutexWait::IfAvailable
            && probe.is_supported(opcode::FutexWait::CODE)
            && ring.params().is_feature_ext_arg();
        let mut u = Uring {
            ring,
            depth: cfg.depth.clamp(1, MAX_DEPTH),
            flags,
            sqpoll: cfg.sqpoll_idle_ms.is_some(),
            ops: VecDeque::with_capacity(MAX_DEPTH),
            first_seq: 0,
            next_seq: 0,
            syncs: Vec::with_capacity(MAX_SYNCS),
            next_sync: 0,
            in_kernel: 0,
            unsubmitted: 0,
            cqes: Vec::with_capacity(RING_ENTRIES as usize * 2),
            submits: 0,
            enter_failures: 0,
            broken: None,
            cancel,
            wake: None,
            futex_op,
            futex_wait: cfg.futex_wait,
            futex_armed: false,
            fallback: None,
        };
        u.nop_round_trip()?;
        Ok(u)
    }

    /// The token that makes this ring stop waiting (shared with shutdown).
    pub(crate) fn cancel_token(&self) -> Cancel {
        self.cancel.clone()
    }

    /// What `io_backend()` adds about the ring.
    pub(crate) fn setup_note(&self) -> Option<String> {
        let sq = if self.sqpoll { ", SQPOLL" } else { "" };
        let wait = if self.futex_op {
            "one wait for completions and wake-ups (IORING_OP_FUTEX_WAIT)".to_owned()
        } else {
            let why = match self.futex_wait {
                FutexWait::IfAvailable => "Linux < 6.7",
                FutexWait::Off => "disabled by the test hook",
            };
            format!(
                "no IORING_OP_FUTEX_WAIT ({why}): with writes in flight, new records are noticed within {} ms",
                NO_FUTEX_POLL.as_millis()
            )
        };
        Some(format!("depth {}, {}{sq}; {wait}", self.depth, self.flags))
    }

    fn nop_round_trip(&mut self) -> Result<(), ProbeError> {
        let nop = opcode::Nop::new().build().user_data(NOP_TAG);
        // SAFETY: a NOP references no memory; the queue is empty (fresh ring).
        let pushed = unsafe { self.ring.submission().push(&nop) };
        if pushed.is_err() {
            return Err(ProbeError::new("NOP round trip", libc::EBUSY, ""));
        }
        if let Err(e) = self.ring.submit_and_wait(1) {
            return Err(ProbeError::new("NOP round trip", os_errno(&e), ""));
        }
        match self.ring.completion().next() {
            Some(c) if c.user_data() == NOP_TAG && c.result() >= 0 => Ok(()),
            Some(c) => Err(ProbeError::new("NOP round trip", -c.result(), "")),
            None => Err(ProbeError::new("NOP round trip", libc::ETIME, "")),
        }
    }
}

/// Creates the ring with the best flags this kernel accepts.
fn build_ring(sqpoll_idle_ms: Option<u32>) -> Result<(IoUring, &'static str), ProbeError> {
    // Each attempt: name, SINGLE_ISSUER, DEFER_TASKRUN, COOP_TASKRUN.
    let plain: &[(&'static str, bool, bool, bool)] = &[
        ("SINGLE_ISSUER|DEFER_TASKRUN", true, true, false),
        ("SINGLE_ISSUER|COOP_TASKRUN", true, false, true),
        ("COOP_TASKRUN", false, false, true),
        ("no setup flags", false, false, false),
    ];
    let polled: &[(&'static str, bool, bool, bool)] = &[
        ("SINGLE_ISSUER", true, false, false),
        ("no setup flags", false, false, false),
    ];
    let attempts = if sqpoll_idle_ms.is_some() {
        polled
    } else {
        plain
    };
    let mut last = libc::EINVAL;
    for &(name, single, defer, coop) in attempts {
        let mut b = IoUring::builder();
        b.dontfork().setup_cqsize(RING_ENTRIES * 2);
        if single {
            b.setup_single_issuer();
        }
        if defer {
            b.setup_defer_taskrun().setup_taskrun_flag();
        }
        if coop {
            b.setup_coop_taskrun().setup_taskrun_flag();
        }
        if let Some(idle) = sqpoll_idle_ms {
            b.setup_sqpoll(idle);
        }
        match b.build(RING_ENTRIES) {
            Ok(r) => return Ok((r, name)),
            Err(e) if os_errno(&e) == libc::EINVAL => last = libc::EINVAL,
            Err(e) => return Err(ProbeError::new("io_uring_setup", os_errno(&e), "")),
        }
    }
    Err(ProbeError::new("io_uring_setup", last, ""))
}

fn os_errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

// ---- submission ----------------------------------------------------------

impl Uring {
    /// Pushes one write or sync SQE (counted in `in_kernel`).
    fn push(&mut self, e: &io_uring::squeue::Entry) -> bool {
        let pushed = self.push_sqe(e);
        if pushed {
            self.in_kernel += 1;
        }
        pushed
    }

    /// Pushes one SQE, first submitting what is queued if the ring is full.
    fn push_sqe(&mut self, e: &io_uring::squeue::Entry) -> bool {
        for _ in 0..2 {
            // SAFETY: every entry pushed here references memory kept alive
            // and untouched until its CQE is reaped: an op's buffer and
            // descriptor (its `WriteOp`/`SyncOp`, see the in-flight
            // contract) or the wake word (`self.wake`, see `arm_futex`).
            if unsafe { self.ring.submission().push(e) }.is_ok() {
                self.unsubmitted += 1;
                return true;
            }
            self.enter(0, None);
        }
        false
    }

    /// Queues a wait on the wake word while it holds `value`, unless one is
    /// already in the kernel (any wake completes that one too).
    fn arm_futex(&mut self, value: u32) {
        if self.futex_armed || !self.futex_op || self.broken.is_some() {
            return;
        }
        let Some(word) = self.wake.as_ref().map(EventRef::as_ptr) else {
            return;
        };
        let e = opcode::FutexWait::new(word, u64::from(value), FUTEX_MATCH_ANY, FUTEX2_U32_PRIVATE)
            .build()
            .user_data(FUTEX_TAG);
        self.futex_armed = self.push_sqe(&e);
    }

    /// Puts op `i` (queued) into the kernel at its current position.
    fn start_write(&mut self, i: usize) {
        if self.ops[i].by_syscall {
            return self.write_by_syscall(i);
        }
        let op = &self.ops[i];
        let rest = &op.buf[op.start + op.done..];
        let len = rest.len().min(MAX_SQE_LEN) as u32;
        let offset = match op.place {
            Place::At(o) => o + op.done as u64,
            // -1: the file's end (O_APPEND) or the stream's position, like write(2).
            Place::End | Place::Stream => u64::MAX,
        };
        let fd = types::Fd(op.fd.as_fd().as_raw_fd());
        let e = opcode::Write::new(fd, rest.as_ptr(), len)
            .offset(offset)
            .build()
            .user_data(op.seq);
        if self.push(&e) {
            self.ops[i].state = OpState::InKernel;
        }
    }

    /// Writes the rest of op `i` with system calls on this thread, as the
    /// pwrite backend would (a stream waits only until the cancel token is
    /// set); it is then finished, to be reported in its turn.
    fn write_by_syscall(&mut self, i: usize) {
        let op = &mut self.ops[i];
        let rest = &op.buf[op.start + op.done..];
        let fd = op.fd.as_fd();
        let r = match op.place {
            Place::At(o) => write_all_at(fd, rest, o + op.done as u64, &mut self.submits),
            Place::End | Place::Stream => {
                let regular = is_regular_file(fd);
                write_all(fd, rest, regular, &mut self.submits, &self.cancel)
            }
        };
        let (written, error) = match r {
            Ok(()) => (rest.len(), None),
            Err((n, e)) => (n, Some(e)),
        };
        op.done += written;
        op.state = OpState::Done(error);
    }

    fn start_sync(&mut self, i: usize) {
        let s = &self.syncs[i];
        let fd = types::Fd(s.fd.as_fd().as_raw_fd());
        let e = opcode::Fsync::new(fd)
            .flags(types::FsyncFlags::DATASYNC)
            .build()
            .user_data(SYNC_TAG | s.id);
        if self.push(&e) {
            self.syncs[i].state = OpState::InKernel;
        }
    }

    /// Starts every queued op whose turn has come.
    fn kick(&mut self) {
        for i in 0..self.ops.len() {
            if matches!(self.ops[i].state, OpState::Queued) && self.write_may_start(i) {
                self.start_write(i);
            }
        }
        for i in 0..self.syncs.len() {
            if matches!(self.syncs[i].state, OpState::Queued) && self.sync_may_start(i) {
                self.start_sync(i);
            }
        }
    }

    /// Positioned: always. Streams: once every earlier write to the sink
    /// finished. Appends: once every earlier write to the sink finished and
    /// none of those still here failed (a failure is reported first).
    fn write_may_start(&self, i: usize) -> bool {
        let op = &self.ops[i];
        let mut earlier = self.ops.iter().take(i).filter(|o| o.sink == op.sink);
        match op.place {
            Place::At(_) => true,
            Place::Stream => earlier.all(WriteOp::is_done),
            Place::End => earlier.all(|o| o.is_done() && !o.failed()),
        }
    }

    /// Once every write to the sink submitted before the sync has finished.
    fn sync_may_start(&self, i: usize) -> bool {
        let s = &self.syncs[i];
        self.ops
            .iter()
            .take_while(|o| o.seq < s.barrier)
            .all(|o| o.sink != s.sink || o.is_done())
    }

    /// One `io_uring_enter`: submits pushed SQEs, runs completion work, and
    /// waits for `want` completions (up to `timeout`).
    fn enter(&mut self, want: usize, timeout: Option<Duration>) {
        let submitting = self.unsubmitted > 0;
        let r = match timeout {
            Some(t) if self.ring.params().is_feature_ext_arg() => {
                let ts = types::Timespec::from(t);
                let args = types::SubmitArgs::new().timespec(&ts);
                self.ring.submitter().submit_with_args(want, &args)
            }
            _ => self.ring.submit_and_wait(want),
        };
        match r {
            Ok(_) => {
                self.enter_failures = 0;
                if submitting {
                    self.submits += 1;
                }
                self.unsubmitted = self.ring.submission().len();
            }
            Err(e) => self.enter_failed(&e),
        }
    }

    /// The errno `io_uring_enter` failed with, once the ring is given up
    /// (later writes go by system call).
    pub(crate) fn broken(&self) -> Option<i32> {
        self.broken
    }

    /// `io_uring_enter` failing with `errno`, as the kernel would say it.
    #[cfg(test)]
    pub(crate) fn fail_enter(&mut self, errno: i32) {
        self.enter_failed(&io::Error::from_raw_os_error(errno));
    }

    fn enter_failed(&mut self, e: &io::Error) {
        let errno = os_errno(e);
        // ETIME: the timeout expired; EINTR: a signal; EAGAIN/EBUSY: the
        // kernel is short of resources or the CQ is full: reap and retry.
        if matches!(errno, libc::ETIME | libc::EINTR) {
            return;
        }
        self.enter_failures += 1;
        if self.enter_failures >= MAX_ENTER_FAILURES || !matches!(errno, libc::EAGAIN | libc::EBUSY)
        {
            self.abandon(errno);
            self.fallback = Some(Pwrite::new(self.cancel.clone()));
        }
    }

    /// The ring no longer answers: fail everything, leaking what the
    /// kernel may still hold.
    fn abandon(&mut self, errno: i32) {
        self.broken = Some(errno);
        for op in &mut self.ops {
            if matches!(op.state, OpState::InKernel) {
                std::mem::forget(std::mem::take(&mut op.buf));
                std::mem::forget(op.fd.clone());
                op.start = 0;
            }
            if !op.is_done() {
                op.state = OpState::Done(Some(io::Error::from_raw_os_error(errno)));
            }
        }
        for s in &mut self.syncs {
            if matches!(s.state, OpState::InKernel) {
                std::mem::forget(s.fd.clone());
            }
            if !matches!(s.state, OpState::Done(_)) {
                s.state = OpState::Done(Some(io::Error::from_raw_os_error(errno)));
            }
        }
        self.in_kernel = 0;
        self.unsubmitted = 0;
    }
}

/// What becomes of a write that failed with `errno` (see the module docs).
#[derive(Debug, PartialEq, Eq)]
enum Retry {
    /// Into the ring again (`EAGAIN`, `EINTR`).
    Ring,
    /// By system call on the writer thread: the kernel cancelled it because
    /// io-wq could not start a worker (`ECANCELED` we did not ask for).
    Syscall,
    /// Not at all: the batch fails.
    No,
}

fn retry(errno: i32, we_cancelled: bool) -> Retry {
    match errno {
        libc::EAGAIN | libc::EINTR => Retry::Ring,
        libc::ECANCELED if !we_cancelled => Retry::Syscall,
        _ => Retry::No,
    }
}

// ---- completion ----------------------------------------------------------

impl Uring {
    /// Copies every CQE out, then acts on each.
    fn reap(&mut self) {
        self.cqes.clear();
        let cq = self.ring.completion();
        self.cqes.extend(cq.map(|c| (c.user_data(), c.result())));
        let futex = self.cqes.iter().filter(|c| c.0 == FUTEX_TAG).count();
        if futex > 0 {
            // Woken, or -EAGAIN (the word had moved on): either way the
            // writer looks at its condition again.
            self.futex_armed = false;
        }
        self.in_kernel -= (self.cqes.len() - futex).min(self.in_kernel);
        for k in 0..self.cqes.len() {
            let (data, res) = self.cqes[k];
            if data == FUTEX_TAG {
                continue;
            }
            if data & SYNC_TAG != 0 {
                self.sync_finished(data & !SYNC_TAG, res);
            } else {
                self.write_finished(data, res);
            }
        }
    }

    fn sync_finished(&mut self, id: u64, res: i32) {
        if let Some(s) = self.syncs.iter_mut().find(|s| s.id == id) {
            s.state = OpState::Done((res < 0).then(|| io::Error::from_raw_os_error(-res)));
        }
    }

    fn write_finished(&mut self, seq: u64, res: i32) {
        let cancelled = self.cancel.is_cancelled();
        let Some(op) = seq
            .checked_sub(self.first_seq)
            .and_then(|i| self.ops.get_mut(i as usize))
        else {
            return;
        };
        debug_assert_eq!(op.seq, seq, "ops are indexed by sequence number");
        if res >= 0 {
            op.done += res as usize;
            op.retries = 0;
            op.state = if op.done >= op.len() {
                OpState::Done(None)
            } else if res == 0 {
                OpState::Done(Some(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "write wrote 0 bytes",
                )))
            } else {
                OpState::Queued // short write: the remainder goes again
            };
            return;
        }
        let errno = -res;
        op.state = match retry(errno, cancelled) {
            Retry::Ring if op.retries < MAX_RETRIES => {
                op.retries += 1;
                OpState::Queued
            }
            Retry::Syscall => {
                op.by_syscall = true;
                OpState::Queued
            }
            Retry::Ring | Retry::No => OpState::Done(Some(io::Error::from_raw_os_error(errno))),
        };
    }

    /// Reports finished writes in submission order, then finished syncs
    /// whose earlier writes are all reported.
    fn report(&mut self, done: &mut dyn FnMut(Event)) {
        while let Some(front) = self.ops.front() {
            let OpState::Done(err) = &front.state else {
                break;
            };
            if err.is_some() && front.offset().is_some() && !front.doomed {
                let (sink, fd) = (front.sink, front.fd.clone());
                // The same file: the sink's descriptor, not a later one it
                // rotated to.
                let same = |o: &WriteOp| o.sink == sink && std::sync::Arc::ptr_eq(&o.fd, &fd);
                if !self.ops.iter().all(|o| !same(o) || o.is_done()) {
                    break; // the failure rule: wait for the file's later writes
                }
                for o in self.ops.iter_mut().skip(1).filter(|o| same(o)) {
                    o.doomed = true;
                }
            }
            let op = self.ops.pop_front().expect("front exists");
            self.first_seq = op.seq + 1;
            done(Event::Write(completion(op)));
        }
        let first = self.first_seq;
        let mut i = 0;
        while i < self.syncs.len() {
            let s = &self.syncs[i];
            if matches!(s.state, OpState::Done(_)) && s.barrier <= first {
                let s = self.syncs.swap_remove(i);
                let OpState::Done(error) = s.state else {
                    unreachable!("checked above")
                };
                done(Event::Sync {
                    sink: s.sink,
                    ticket: s.ticket,
                    error,
                });
            } else {
                i += 1;
            }
        }
    }

    /// Reap, report, start what may start now; submit whatever that
    /// queued. Reporting comes before starting: an append that follows a
    /// failed one waits for the failure's report (see `write_may_start`).
    fn progress(&mut self, done: &mut dyn FnMut(Event)) {
        self.reap();
        self.report(done);
        self.kick();
        if self.unsubmitted > 0 {
            self.enter(0, None);
            self.reap();
            self.report(done);
            self.kick();
        }
    }

    /// Blocks until at least one completion (or `timeout`), then progresses.
    fn wait_one(&mut self, timeout: Option<Duration>, done: &mut dyn FnMut(Event)) {
        self.kick();
        // With nothing in the kernel, every op left is finished and only
        // needs reporting: do not block.
        if self.in_kernel > 0 {
            self.enter(1, timeout);
        }
        self.progress(done);
    }

    /// One bounded wait for a completion — or, once the cancel token is
    /// set, the cancellation of everything in flight.
    fn wait_turn(&mut self, done: &mut dyn FnMut(Event)) {
        if self.cancel.is_cancelled() {
            self.cancel_in_flight(done);
        } else {
            self.wait_one(Some(WAIT_SLICE), done);
        }
    }

    /// Cancels every op in the kernel (`IORING_OP_ASYNC_CANCEL`), reaps
    /// what completes within [`CANCEL_GRACE`], then gives the ring up: ops
    /// still in the kernel are leaked, and every op not finished fails with
    /// `ECANCELED`. Everything is reported before it returns.
    fn cancel_in_flight(&mut self, done: &mut dyn FnMut(Event)) {
        let writes = (self.ops.iter()).filter(|o| matches!(o.state, OpState::InKernel));
        let syncs = (self.syncs.iter()).filter(|s| matches!(s.state, OpState::InKernel));
        let targets: Vec<u64> = (writes.map(|o| o.seq))
            .chain(syncs.map(|s| SYNC_TAG | s.id))
            .collect();
        for data in targets {
            let e = opcode::AsyncCancel::new(data).build().user_data(CANCEL_TAG);
            self.push(&e);
        }
        // The wait on the wake word goes too: woken, it completes.
        if let (true, Some(w)) = (self.futex_armed, &self.wake) {
            w.wake_all();
        }
        let deadline = Instant::now() + CANCEL_GRACE;
        // `in_kernel` counts the cancel SQEs too; every one of them completes.
        while (self.in_kernel > 0 || self.futex_armed) && self.broken.is_none() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            self.enter(1, Some(left.min(WAIT_SLICE)));
            // Reap without `kick`: nothing goes back into the kernel.
            self.reap();
        }
        self.abandon(libc::ECANCELED);
        self.report(done);
    }

    /// Whether the completion side has anything to look at.
    fn has_completions(&mut self) -> bool {
        self.unsubmitted > 0
            || self.ring.submission().taskrun()
            || !self.ring.completion().is_empty()
    }

    fn fail_now(&self, sub: Submission, errno: i32) -> Completion {
        Completion {
            sink: sub.sink,
            offset: sub.target.offset(),
            // An append the writer counted (crash-safe mode) and that
            // never reached the file: reported as one, so the count drops.
            appended_to: sub.target.appended_to(),
            buf: sub.buf,
            start: sub.start,
            records: sub.records,
            written: 0,
            error: Some(io::Error::from_raw_os_error(errno)),
        }
    }
}

/// What a batch the failure rule discarded reports (the earlier failure's
/// own report names its offset).
const DISCARDED: &str =
    "discarded: an earlier batch to this file failed, and the file is cut back to where that batch began";

fn completion(op: WriteOp) -> Completion {
    let offset = op.offset();
    let appended_to = (op.place == Place::End).then_some(op.fd);
    let error = match (op.state, op.doomed) {
        (OpState::Done(e), false) => e,
        (_, true) => Some(io::Error::other(DISCARDED)),
        (_, false) => unreachable!("only finished ops are reported"),
    };
    Completion {
        sink: op.sink,
        start: op.start,
        records: op.records,
        offset,
        appended_to,
        written: op.done,
        error,
        buf: op.buf,
    }
}

impl IoBackend for Uring {
    fn make_room(&mut self, done: &mut dyn FnMut(Event)) {
        if self.broken.is_some() {
            // Everything left in the ring failed: report it before routing.
            self.report(done);
            return;
        }
        if self.has_completions() {
            self.progress(done);
        }
        while self.full() {
            self.wait_turn(done);
        }
    }

    fn full(&self) -> bool {
        self.ops.len() >= self.depth && self.broken.is_none()
    }

    fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Event)) {
        if let Some(errno) = self.broken {
            self.report(done);
            if let Some(p) = self.fallback.as_mut() {
                p.submit(sub, done);
            } else {
                done(Event::Write(self.fail_now(sub, errno)));
            }
            return;
        }
        // `make_room` came first. Nothing is reported before the batch is
        // queued: a failure reported now would find the sink's reservation
        // for this batch already made (see "Ordering and offsets").
        debug_assert!(self.ops.len() < self.depth, "submit without make_room");
        let (fd, place) = match sub.target {
            IoTarget::File { fd, offset } => (fd, Place::At(offset)),
            IoTarget::Append { fd } => (fd, Place::End),
            IoTarget::Stream { fd } => (fd, Place::Stream),
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.ops.is_empty() {
            self.first_seq = seq;
        }
        self.ops.push_back(WriteOp {
            seq,
            sink: sub.sink,
            fd,
            buf: sub.buf,
            start: sub.start,
            records: sub.records,
            place,
            done: 0,
            retries: 0,
            by_syscall: false,
            state: OpState::Queued,
            doomed: false,
        });
        self.kick();
        self.enter(0, None);
        self.progress(done);
    }

    fn sync(&mut self, req: SyncRequest, done: &mut dyn FnMut(Event)) {
        while self.syncs.len() >= MAX_SYNCS && self.broken.is_none() {
            self.wait_turn(done);
        }
        if let Some(errno) = self.broken {
            self.report(done);
            if let Some(p) = self.fallback.as_mut() {
                return p.sync(req, done);
            }
            done(Event::Sync {
                sink: req.sink,
                ticket: req.ticket,
                error: Some(io::Error::from_raw_os_error(errno)),
            });
            return;
        }
        self.next_sync += 1;
        self.syncs.push(SyncOp {
            id: self.next_sync,
            sink: req.sink,
            ticket: req.ticket,
            fd: req.fd,
            barrier: self.next_seq,
            state: OpState::Queued,
        });
        self.kick();
        self.progress(done);
    }

    fn poll(&mut self, done: &mut dyn FnMut(Event)) {
        if self.in_flight() > 0 && self.has_completions() {
            if self.ring.submission().taskrun() {
                self.enter(0, None);
            }
            self.progress(done);
        }
    }

    fn attach_wake(&mut self, wake: EventRef) {
        self.wake = Some(wake);
    }

    fn wait_some(
        &mut self,
        futex_value: u32,
        timeout: Option<Duration>,
        done: &mut dyn FnMut(Event),
    ) -> bool {
        if self.in_flight() == 0 {
            return false;
        }
        if self.cancel.is_cancelled() {
            self.cancel_in_flight(done);
            return true;
        }
        if self.futex_op {
            self.arm_futex(futex_value);
            self.wait_one(timeout, done);
        } else if self.ring.params().is_feature_ext_arg() {
            let t = timeout.map_or(NO_FUTEX_POLL, |t| t.min(NO_FUTEX_POLL));
            self.wait_one(Some(t), done);
        } else {
            // This kernel cannot bound a wait in the ring (no EXT_ARG, before
            // 5.11): reap, sleep on the word a bounded while, reap again, so
            // a stuck write never holds up new records, flushes or shutdown.
            self.poll(done);
            if let Some(w) = &self.wake {
                w.wait(
                    futex_value,
                    timeout.map_or(NO_FUTEX_POLL, |t| t.min(NO_FUTEX_POLL)),
                );
            }
            self.poll(done);
        }
        true
    }

    fn wait_all(&mut self, done: &mut dyn FnMut(Event)) {
        while self.in_flight() > 0 {
            self.wait_turn(done);
        }
    }

    fn in_flight(&self) -> usize {
        self.ops.len() + self.syncs.len()
    }

    fn submits(&self) -> u64 {
        self.submits + self.fallback.as_ref().map_or(0, Pwrite::submits)
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        // The kernel may still use buffers and descriptors: cancel what it
        // holds, give it `CANCEL_GRACE`, then leak the rest.
        if self.in_kernel > 0 {
            self.cancel_in_flight(&mut |_| {});
        }
        self.disarm_futex();
    }
}

impl Uring {
    /// Retires a queued wait on the wake word: wakes it and reaps its
    /// completion. If the ring does not deliver it, the word's owner is
    /// leaked rather than freed under the kernel.
    fn disarm_futex(&mut self) {
        let mut rounds = 0;
        while self.futex_armed && self.broken.is_none() && rounds < DISARM_ROUNDS {
            if let Some(w) = &self.wake {
                w.wake_all();
            }
            self.enter(1, Some(Duration::from_millis(10)));
            self.reap();
            rounds += 1;
        }
        if self.futex_armed {
            std::mem::forget(self.wake.take());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::sync::Arc;

    fn uring(depth: usize) -> Option<Uring> {
        uring_cancelled_by(depth, Cancel::default())
    }

    fn uring_cancelled_by(depth: usize, cancel: Cancel) -> Option<Uring> {
        let cfg = UringConfig {
            depth,
            ..UringConfig::default()
        };
        match Uring::open(&cfg, cancel) {
            Ok(u) => Some(u),
            Err(e) => {
                use crate::test_skip::{skip, Needs};
                skip(Needs::IoUring, "io::uring unit test", &e);
                None
            }
        }
    }

    fn write(sink: usize, fd: &SharedFd, offset: u64, text: &str) -> Submission {
        Submission {
            sink,
            target: IoTarget::File {
                fd: fd.clone(),
                offset,
            },
            buf: text.as_bytes().to_vec(),
            start: 0,
            records: 1,
        }
    }

    /// What happened, in the order reported: `(offset, ok)` or `(u64::MAX, ok)` for a sync.
    fn log(out: &mut Vec<(u64, bool)>) -> impl FnMut(Event) + '_ {
        |e| match e {
            Event::Write(c) => out.push((c.offset.unwrap(), c.error.is_none())),
            Event::Sync { error, .. } => out.push((u64::MAX, error.is_none())),
        }
    }

    #[test]
    fn writes_and_syncs_are_reported_in_order() {
        let Some(mut u) = uring(4) else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let fd: SharedFd = Arc::new(File::create(&path).unwrap());
        let mut out = Vec::new();
        for k in 0..6u64 {
            u.make_room(&mut log(&mut out));
            u.submit(
                write(0, &fd, k * 4, &format!("{k:03}\n")),
                &mut log(&mut out),
            );
            if k == 2 {
                let req = SyncRequest {
                    sink: 0,
                    fd: fd.clone(),
                    ticket: 1,
                };
                u.sync(req, &mut log(&mut out));
            }
        }
        u.wait_all(&mut log(&mut out));
        let writes: Vec<u64> = out
            .iter()
            .filter(|e| e.0 != u64::MAX)
            .map(|e| e.0)
            .collect();
        assert_eq!(writes, vec![0, 4, 8, 12, 16, 20]);
        let sync_at = out.iter().position(|e| e.0 == u64::MAX).unwrap();
        assert!(
            sync_at >= 3,
            "the sync comes after the writes before it: {out:?}"
        );
        assert!(out.iter().all(|e| e.1));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "000\n001\n002\n003\n004\n005\n");
    }

    /// An op as `submit` would queue it, in the given state.
    fn op(u: &mut Uring, sink: usize, fd: &SharedFd, offset: u64, state: OpState) -> WriteOp {
        let seq = u.next_seq;
        u.next_seq += 1;
        WriteOp {
            seq,
            sink,
            fd: fd.clone(),
            buf: b"x\n".to_vec(),
            start: 0,
            records: 1,
            place: Place::At(offset),
            done: 0,
            retries: 0,
            by_syscall: false,
            state,
            doomed: false,
        }
    }

    #[test]
    fn a_failed_file_write_waits_for_and_fails_the_later_batches_of_that_sink() {
        let Some(mut u) = uring(4) else { return };
        let dir = tempfile::tempdir().unwrap();
        let fd: SharedFd = Arc::new(File::create(dir.path().join("f")).unwrap());
        let eio = || OpState::Done(Some(io::Error::from_raw_os_error(libc::EIO)));
        let a = op(&mut u, 0, &fd, 0, eio());
        let b = op(&mut u, 0, &fd, 2, OpState::Queued); // still busy
        let c = op(&mut u, 1, &fd, 100, OpState::Done(None));
        u.ops.extend([a, b, c]);
        let mut out = Vec::new();
        u.report(&mut log(&mut out));
        assert_eq!(
            out,
            vec![],
            "the failure waits for the later batch of its file"
        );
        u.ops[1].state = OpState::Done(None);
        u.report(&mut log(&mut out));
        assert_eq!(out, vec![(0, false), (2, false), (100, true)]);
        assert!(u.ops.is_empty());
    }

    /// A blocking pipe nobody reads: (read end, write end).
    fn stuck_pipe() -> (File, SharedFd) {
        use std::os::fd::FromRawFd;
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: both descriptors were just created and are owned here.
        unsafe {
            (
                File::from_raw_fd(fds[0]),
                Arc::new(File::from_raw_fd(fds[1])),
            )
        }
    }

    fn stream_write(fd: &SharedFd, len: usize) -> Submission {
        Submission::for_test(0, IoTarget::Stream { fd: fd.clone() }, vec![b'x'; len], 3)
    }

    #[test]
    fn a_write_that_never_completes_is_cancelled_once_the_token_is_set() {
        let cancel = Cancel::default();
        let Some(mut u) = uring_cancelled_by(1, cancel.clone()) else {
            return;
        };
        let (_r, w) = stuck_pipe();
        let mut out = Vec::new();
        let mut record = |e: Event| {
            if let Event::Write(c) = e {
                out.push((c.written, c.error.and_then(|e| e.raw_os_error())));
            }
        };
        u.make_room(&mut record);
        u.submit(stream_write(&w, 1 << 20), &mut record);
        // Depth 1: the next submission waits for room, in bounded slices.
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            cancel.cancel();
        });
        u.make_room(&mut record);
        u.submit(stream_write(&w, 10), &mut record);
        u.wait_all(&mut record);
        setter.join().unwrap();
        assert_eq!(u.in_flight(), 0);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].1, Some(libc::ECANCELED), "{out:?}");
        assert!(out[0].0 < 1 << 20, "{out:?}");
        assert_eq!(out[1], (0, Some(libc::ECANCELED)));
    }

    #[test]
    fn a_write_the_kernel_cancelled_goes_by_syscall_unless_we_cancelled_it() {
        assert_eq!(retry(libc::ECANCELED, false), Retry::Syscall);
        assert_eq!(retry(libc::ECANCELED, true), Retry::No);
        assert_eq!(retry(libc::EINTR, true), Retry::Ring);
        assert_eq!(retry(libc::EAGAIN, false), Retry::Ring);
        assert_eq!(retry(libc::EIO, false), Retry::No);
        assert_eq!(retry(libc::ENOSPC, false), Retry::No);
    }

    #[test]
    fn dropping_the_ring_with_a_write_stuck_in_the_kernel_returns() {
        let Some(mut u) = uring(1) else { return };
        let (_r, w) = stuck_pipe();
        u.make_room(&mut |_| {});
        u.submit(stream_write(&w, 1 << 20), &mut |_| {});
        u.poll(&mut |_| {});
        assert_eq!(u.in_flight(), 1);
        drop(u); // cancels, or leaks after CANCEL_GRACE: never hangs
    }

    #[test]
    fn an_append_after_a_failed_one_starts_once_the_failure_is_reported() {
        let Some(mut u) = uring(4) else { return };
        let dir = tempfile::tempdir().unwrap();
        let fd: SharedFd = Arc::new(File::create(dir.path().join("f")).unwrap());
        let eio = OpState::Done(Some(io::Error::from_raw_os_error(libc::EIO)));
        let mut a = op(&mut u, 0, &fd, 0, eio);
        let mut b = op(&mut u, 0, &fd, 0, OpState::Queued);
        let mut c = op(&mut u, 1, &fd, 0, OpState::Queued); // another sink
        (a.place, b.place, c.place) = (Place::End, Place::End, Place::End);
        u.ops.extend([a, b, c]);
        assert!(!u.write_may_start(1), "the sink's next append waits");
        assert!(u.write_may_start(2), "other sinks do not");
        let mut out = Vec::new();
        u.report(&mut |e| {
            if let Event::Write(c) = e {
                out.push((c.offset, c.appended_to.is_some(), c.error.is_some()));
            }
        });
        assert_eq!(
            out,
            [(None, true, true)],
            "reported at once, nothing doomed"
        );
        assert!(u.write_may_start(0), "then it may go");
        u.ops.clear();
    }

    fn append(sink: usize, fd: &SharedFd, text: &str) -> Submission {
        let target = IoTarget::Append { fd: fd.clone() };
        Submission::for_test(sink, target, text.as_bytes().to_vec(), 1)
    }

    #[test]
    fn once_the_ring_fails_later_batches_and_syncs_are_done_with_system_calls() {
        let Some(mut u) = uring(2) else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        let fd: SharedFd = Arc::new(f.unwrap());
        let mut out = Vec::new();
        let mut log = |e: Event| match e {
            Event::Write(c) => out.push(("write", c.written, c.error.is_none())),
            Event::Sync { error, .. } => out.push(("sync", 0, error.is_none())),
        };
        u.make_room(&mut log);
        u.submit(append(0, &fd, "a\n"), &mut log);
        u.wait_all(&mut log);
        // io_uring_enter fails in a way that gives the ring up.
        u.enter_failed(&io::Error::from_raw_os_error(libc::EIO));
        assert_eq!(u.broken, Some(libc::EIO));
        for text in ["b\n", "c\n"] {
            u.make_room(&mut log);
            u.submit(append(0, &fd, text), &mut log);
        }
        let req = SyncRequest {
            sink: 0,
            fd: fd.clone(),
            ticket: 1,
        };
        u.sync(req, &mut log);
        u.wait_all(&mut log);
        assert_eq!(
            out,
            [
                ("write", 2, true),
                ("write", 2, true),
                ("write", 2, true),
                ("sync", 0, true)
            ]
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\nb\nc\n");
        assert_eq!(u.in_flight(), 0);
    }

    /// Cancelled and given up (`cancel_in_flight`), the ring has no
    /// system-call fallback: a later append fails at once, reported as an
    /// append with nothing written, so the writer takes its bytes off the
    /// crash-safe count.
    #[test]
    fn an_append_to_a_ring_given_up_without_fallback_reports_its_file() {
        let Some(mut u) = uring(2) else { return };
        let dir = tempfile::tempdir().unwrap();
        let fd: SharedFd = Arc::new(File::create(dir.path().join("f")).unwrap());
        u.abandon(libc::ECANCELED);
        let mut out = Vec::new();
        let mut log = |e: Event| {
            if let Event::Write(c) = e {
                let errno = c.error.as_ref().and_then(|e| e.raw_os_error());
                let to = c.appended_to.as_ref().is_some_and(|f| Arc::ptr_eq(f, &fd));
                out.push((to, c.written, c.requested(), errno));
            }
        };
        u.make_room(&mut log);
        u.submit(append(0, &fd, "lost\n"), &mut log);
        u.wait_all(&mut log);
        assert_eq!(out, [(true, 0, 5, Some(libc::ECANCELED))]);
    }

    #[test]
    fn probe_errors_name_the_likely_cause() {
        let e = ProbeError::new("io_uring_setup", libc::ENOSYS, "");
        assert_eq!(
            e.to_string(),
            "io_uring_setup failed: ENOSYS — kernel without io_uring (CONFIG_IO_URING=n or older than 5.1) or a seccomp filter"
        );
    }
}
