//! Reading a crash-safe directory left by a process that is gone.
//!
//! The files are untrusted input: every length, position and count is
//! checked before use, every frame's crc32c (carried by the frame after
//! it; the newest frame of a ring has none, see `layout`) and sequence
//! number must match,
//! and any byte content yields records, a counted skip or a described
//! problem — never a panic, an out-of-bounds read or a loop that does not
//! end (each step moves forward by at least one frame prefix, within one
//! ring's capacity). Files are read into memory, not mapped, so a file
//! truncated meanwhile cannot fault.
//!
//! Memory stays bounded by one ring file and [`KEEP_BYTES`] of records,
//! however many ring files the directory holds and however many records
//! they hold: [`read_dir`] reads each ring file to check and count its
//! records, keeping them while they fit in `KEEP_BYTES` (a crash
//! usually leaves a few). When they do not, it keeps none, and the writer
//! reads the ring files that hold records again one at a time
//! ([`Recovered::reread`]), taking each record as it is found. The
//! directory is locked meanwhile; a ring file that another hand changed
//! between the two reads yields what it holds the second time, and is
//! said; one refused at the second read (unreadable, of a newer layout
//! or of another process) fails the recovery, the directory kept for the
//! next start (see `writer::crash_safe`).
//!
//! The directory is listed once and each file opened once: whether a
//! file is of a newer layout than this build reads (refused, so `build`
//! fails naming it before anything is written or removed) is judged on
//! the same descriptor its bytes are read from, so a file swapped between
//! two looks cannot be judged one way and read another.

use super::keeper::STATE_NEW;
use super::layout::*;
use super::sites::{parse_sites, sites_name, SiteMap, MAX_SITES_FILE, SITES_PREFIX};
use crate::format::{Record, Rendering};
use crate::record::{Header, RecordKind, HEADER_LEN};
use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Name of the state file inside the directory.
pub(crate) const STATE_FILE: &str = "state";
/// Prefix of ring file names: `ring-<generation>-<index>`.
pub(crate) const RING_PREFIX: &str = "ring-";
/// Largest ring file read (a header and the largest ring).
const MAX_RING_FILE: u64 = (RING_HEADER_LEN + crate::builder::MAX_RING_CAPACITY) as u64;

/// Bytes of records (with their bookkeeping) that [`read_dir`] keeps; a
/// directory holding more is read again when written (see the module's
/// docs).
pub(crate) const KEEP_BYTES: usize = 1 << 20;

/// Problems described one by one; more are only counted.
pub(crate) const MAX_PROBLEMS: usize = 16;

/// One record that was committed but not written.
#[derive(Debug, Clone)]
pub(crate) struct RecoveredRecord {
    /// OS thread id of its producer.
    pub thread: u32,
    pub header: Header,
    /// The target followed by the payload.
    pub body: Vec<u8>,
}

/// A sink file's length as of the last commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileMark {
    pub dev: u64,
    pub ino: u64,
    pub len: u64,
    /// Bytes the dead process appended since the commit (`WRITTEN_UNKNOWN`
    /// when unknown).
    pub written: u32,
    pub path: PathBuf,
    /// Where the entry is in the state file.
    pub at: usize,
}

/// How the dead process's raw clock values convert to Unix nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ClockAnchor {
    /// Raw values are Unix nanoseconds.
    Raw,
    /// TSC ticks, converted relative to this pair at this rate.
    Tsc {
        tick: u64,
        ns: u64,
        ns_per_tick: f64,
    },
}

/// The state file's committed contents.
#[derive(Debug, Clone)]
pub(crate) struct StateImage {
    pub pid: u32,
    pub generation: u64,
    pub committed: u64,
    pub files: Vec<FileMark>,
    pub clock: ClockAnchor,
}

/// What is done with each record found (see [`Keep::take`]).
pub(crate) enum Keep<'a> {
    /// Kept in [`Recovered::records`] (for the tests: recovery itself
    /// keeps at most [`KEEP_BYTES`]).
    #[cfg(any(test, fuzzing))]
    All,
    /// Kept in [`Recovered::records`] while they take at most this many
    /// bytes more; past that, none kept ([`Recovered::kept_all`] false),
    /// only counted ([`read_dir`]).
    Within(usize),
    /// Handed to the function, one by one.
    Each(&'a mut dyn FnMut(RecoveredRecord)),
}

impl Keep<'_> {
    /// Takes record `r`, found whole, into `out`: counted, and kept or
    /// handed on as `self` says. One that does not render (its payload
    /// malformed) is counted skipped instead.
    fn take(&mut self, out: &mut Recovered, r: RecoveredRecord) {
        let mut msg = std::mem::take(&mut out.scratch);
        let renders = Record::decode(&r.header, &r.body, 0, 0, &mut msg, Rendering::Eager).is_some();
        out.scratch = msg;
        if !renders {
            out.skipped += 1;
            return;
        }
        out.found += 1;
        match self {
            #[cfg(any(test, fuzzing))]
            Keep::All => out.records.push(r),
            Keep::Within(left) => {
                let size = r.body.len() + std::mem::size_of::<RecoveredRecord>();
                match left.checked_sub(size) {
                    Some(l) if out.kept_all => {
                        *left = l;
                        out.records.push(r);
                    }
                    _ => {
                        out.kept_all = false;
                        out.records = Vec::new();
                    }
                }
            }
            Keep::Each(f) => f(r),
        }
    }
}

/// What a directory held.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// The previous owner, when the state file names one.
    pub pid: Option<u32>,
    pub generation: u64,
    /// The state file's committed epoch, when it is usable.
    pub committed: Option<u64>,
    /// Per ring in creation order, each in its producer's order: every
    /// record found when [`Recovered::kept_all`], else none.
    pub records: Vec<RecoveredRecord>,
    /// Whether `records` holds every record found; when not, the writer
    /// reads [`Recovered::rings`] again (see [`Recovered::reread`]).
    pub kept_all: bool,
    /// Records found, each checked whole, down to rendering.
    pub found: u64,
    /// The ring files that held records, in creation order, each with how
    /// many it held (see [`Recovered::reread`]).
    pub rings: Vec<(PathBuf, u64)>,
    /// The state file's contents and the call-site tables, for reading the
    /// ring files again.
    pub reread_with: Option<ReadAgain>,
    /// Torn or corrupt records (or unreadable regions) skipped.
    pub skipped: u64,
    /// Deferred records (counted in `found`) whose call site is not in their
    /// generation's call-site table (deleted, cut short, never written),
    /// rendered with their values only.
    pub no_site: u64,
    /// What was wrong, for the report (at most `MAX_PROBLEMS`).
    pub problems: Vec<String>,
    /// Problems beyond those kept.
    pub more_problems: u64,
    /// Sink files to cut back to their committed length.
    pub files: Vec<FileMark>,
    pub clock: Option<ClockAnchor>,
    /// The directory's ring files and state file, replaced once written.
    pub old_files: Vec<PathBuf>,
    /// Directories named like ring files or call-site tables: in the
    /// way of this process's files, so `build` fails naming them (see
    /// `CrashDir::open`).
    pub directories: Vec<PathBuf>,
    /// Files of the directory that recovery can neither take nor remove
    /// (see [`Refused`]). `build` fails naming them before anything is
    /// written or removed (see `CrashDir::open`).
    pub refused: Vec<Refused>,
    /// The uid owning the state file, when it was read: the files it
    /// names are cut only when this user owns them, or when it is root
    /// (see `writer::crash_safe::cut_files`).
    pub state_owner: Option<u32>,
    /// Where [`Keep::take`] renders a message to check it.
    scratch: Vec<u8>,
}

/// A file of the directory that recovery can neither take nor remove,
/// in words naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A regular file (its state file, a ring file, a call-site table)
    /// that could not be read (`EIO`, no permission, too many open files),
    /// whose records may be intact for a later start; or a ring file or
    /// call-site table of another process than the one the state file
    /// names (the state file or it copied in from another directory:
    /// which, is not known); or the directory itself, when it could not
    /// be listed (which ring files it holds is not known).
    Kept(String),
    /// A file named like ours, its magic ours, of a newer layout version
    /// than this build reads: recovery would take it for corrupt and
    /// remove it with the records a newer build can read. The words name
    /// both versions and say what to do.
    Newer(String),
}

impl Refused {
    /// What is said of the file, naming it.
    pub(crate) fn words(&self) -> &str {
        match self {
            Refused::Kept(w) | Refused::Newer(w) => w,
        }
    }
}

impl Recovered {
    /// Refuses the file at `path` that [`read_regular`] did not read as
    /// `e` says, when `e` is a refusal ([`Unread::Failed`],
    /// [`Unread::Newer`]); false otherwise.
    fn refuse(&mut self, e: &Unread, path: &Path) -> bool {
        let r = match e {
            Unread::Failed(e) => Refused::Kept(format!("cannot read {}: {e}", path.display())),
            Unread::Newer(words) => Refused::Newer(words.clone()),
            _ => return false,
        };
        self.refuse_as(r, path);
        true
    }

    /// Refuses the file at `path` (see [`Refused`]): it is not one of
    /// the files to remove.
    fn refuse_as(&mut self, r: Refused, path: &Path) {
        self.refused.push(r);
        self.old_files.retain(|p| p != path);
    }

    /// Notes a problem (the first `MAX_PROBLEMS` are kept, then a count).
    pub(crate) fn problem(&mut self, msg: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(msg);
        } else {
            self.more_problems += 1;
        }
    }

    /// Whether anything needs writing or reporting.
    pub(crate) fn is_empty(&self) -> bool {
        self.found == 0 && self.skipped == 0 && self.problems.is_empty()
    }

    /// Reads ring file `path` (one of [`Recovered::rings`]) again as
    /// [`read_dir`] read it, handing each record it finds to `each` as it
    /// finds it; returns how many, or the file's refusal when it is
    /// refused now (changed meanwhile: it cannot be read, or is of a newer
    /// layout or of another process), with the records handed before it
    /// was refused. What else is said of the file was said by `read_dir`
    /// already.
    pub(crate) fn reread(&self, path: &Path, each: &mut dyn FnMut(RecoveredRecord)) -> (u64, Option<Refused>) {
        let mut one = Recovered::default();
        if let Some(with) = &self.reread_with {
            let mut keep = Keep::Each(each);
            read_ring_file(path, with.state.as_ref(), &with.tables, &mut one, &mut keep);
        }
        (one.found, one.refused.pop())
    }
}

/// What reading a ring file again takes (see [`Recovered::reread`]).
#[derive(Debug, Default)]
pub(crate) struct ReadAgain {
    state: Option<StateImage>,
    tables: Tables,
}

/// Parses a state file's bytes.
pub(crate) fn parse_state(b: &[u8]) -> Result<StateImage, String> {
    if b.len() != STATE_LEN {
        return Err(format!("length {} (expected {STATE_LEN})", b.len()));
    }
    if b[..8] != STATE_MAGIC {
        return Err("wrong magic".to_owned());
    }
    let version = get_u32(b, S_VERSION).unwrap_or(0);
    if version != STATE_VERSION && version != STATE_VERSION_UNCOUNTED {
        return Err(format!("unknown version {version}"));
    }
    // Version 3 has no count of appended bytes (0 there): unknown.
    let counted = version == STATE_VERSION;
    let committed = get_u64(b, S_COMMITTED).unwrap_or(0);
    let mut st = StateImage {
        pid: get_u32(b, S_PID).unwrap_or(0),
        generation: get_u64(b, S_GENERATION).unwrap_or(0),
        committed,
        files: Vec::new(),
        clock: ClockAnchor::Raw,
    };
    // Epoch 0 (no commit yet) has a slot too: the clock's anchor.
    let slot_at = SLOT_OFFSET + (committed & 1) as usize * SLOT_LEN;
    let slot = &b[slot_at..][..SLOT_LEN];
    if get_u64(slot, 0) != Some(committed) {
        return Err(format!("slot of epoch {committed} holds another epoch"));
    }
    st.clock = match get_u32(slot, 8) {
        Some(0) => ClockAnchor::Raw,
        Some(1) => ClockAnchor::Tsc {
            tick: get_u64(slot, 16).unwrap_or(0),
            ns: get_u64(slot, 24).unwrap_or(0),
            ns_per_tick: f64::from_bits(get_u64(slot, 32).unwrap_or(0)),
        },
        other => return Err(format!("unknown clock kind {other:?}")),
    };
    if let ClockAnchor::Tsc { ns_per_tick, .. } = st.clock {
        if !(ns_per_tick.is_finite() && ns_per_tick > 0.0 && ns_per_tick < 1e6) {
            return Err(format!("implausible TSC rate {ns_per_tick}"));
        }
    }
    let n = get_u32(slot, 12).unwrap_or(0) as usize;
    let mut at = SLOT_FIXED;
    for i in 0..n {
        let e = (|| {
            let path_len = get_u32(slot, at + F_PATH_LEN)? as usize;
            if path_len > MAX_PATH_LEN {
                return None;
            }
            let path = slot.get(at + FILE_FIXED..at + FILE_FIXED + path_len)?;
            Some((
                path_len,
                FileMark {
                    dev: get_u64(slot, at + F_DEV)?,
                    ino: get_u64(slot, at + F_INO)?,
                    len: get_u64(slot, at + F_LEN)?,
                    written: match counted {
                        true => get_u32(slot, at + F_WRITTEN)?,
                        false => WRITTEN_UNKNOWN,
                    },
                    path: PathBuf::from(std::ffi::OsStr::from_bytes(path)),
                    at: slot_at + at,
                },
            ))
        })();
        let Some((path_len, mark)) = e else {
            return Err(format!("file entry {i} of {n} is malformed"));
        };
        st.files.push(mark);
        at += FILE_FIXED + align(path_len);
    }
    Ok(st)
}

/// A ring file's header, checked against the file's length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RingHeader {
    pub capacity: u64,
    /// The process that created it.
    pub pid: u32,
    pub thread: u32,
    pub generation: u64,
    pub created_epoch: u64,
    pub write: u64,
    /// `(position, epoch)` per slot.
    pub released: [(u64, u64); 2],
}

/// Parses and checks a ring file's header.
pub(crate) fn parse_ring_header(b: &[u8]) -> Result<RingHeader, String> {
    if b.len() < RING_HEADER_LEN {
        return Err(format!("{} bytes, shorter than its header", b.len()));
    }
    if b[..8] != RING_MAGIC {
        return Err("wrong magic".to_owned());
    }
    let v = |at| get_u64(b, at).unwrap_or(0);
    let version = get_u32(b, H_VERSION).unwrap_or(0);
    if version != VERSION || get_u32(b, H_HEADER_LEN) != Some(RING_HEADER_LEN as u32) {
        return Err(format!("unknown version {version}"));
    }
    let capacity = v(H_CAPACITY);
    let data = (b.len() - RING_HEADER_LEN) as u64;
    // Fewer data bytes than the capacity: a file cut short, whose frames
    // still there are read (see `read_ring`); more: not a ring of ours.
    let max = crate::builder::MAX_RING_CAPACITY as u64;
    if capacity == 0 || capacity % 8 != 0 || capacity < data || capacity > max {
        return Err(format!("capacity {capacity} does not match the file's {data} data bytes"));
    }
    Ok(RingHeader {
        capacity,
        pid: get_u32(b, H_PID).unwrap_or(0),
        thread: get_u32(b, H_THREAD).unwrap_or(0),
        generation: v(H_GENERATION),
        created_epoch: v(H_CREATED_EPOCH),
        write: v(H_WRITE),
        released: [
            (v(H_RELEASED), v(H_RELEASED_EPOCH)),
            (v(H_RELEASED + 16), v(H_RELEASED_EPOCH + 16)),
        ],
    })
}

/// Where recovery starts reading a ring: the position committed as of
/// the state's epoch `committed`.
pub(crate) fn start_pos(h: &RingHeader, committed: Option<u64>) -> Result<u64, String> {
    let Some(c) = committed else {
        // No usable state: the newest position any commit recorded.
        let best = h.released.iter().max_by_key(|r| r.1).map_or(0, |r| r.0);
        return Ok(best);
    };
    let (pos, epoch) = h.released[(c & 1) as usize];
    if c > 0 && epoch == c {
        return Ok(pos);
    }
    if h.created_epoch >= c {
        return Ok(0);
    }
    Err(format!(
        "no released position for epoch {c} (slots hold epochs {} and {})",
        h.released[0].1, h.released[1].1
    ))
}

/// Appends the records of ring file `b` that lie between `from` and the
/// write position to `out`, deferred ones rendered through `sites` (the
/// call-site table of the ring's generation); counts and describes what
/// it skips, naming the file `file`. A file cut short (fewer data bytes
/// than its capacity) gives the frames before the cut, by the rule in
/// `layout`. Each record found is taken as `keep` says.
pub(crate) fn read_ring(
    b: &[u8],
    h: &RingHeader,
    from: u64,
    file: &str,
    sites: Option<&SiteMap>,
    out: &mut Recovered,
    keep: &mut Keep<'_>,
) {
    // Shorter than `cap` when the file was cut short (`parse_ring_header`).
    let data = &b[RING_HEADER_LEN..];
    let cap = h.capacity;
    let to = h.write;
    if from > to || to - from > cap || from % 8 != 0 || to % 8 != 0 {
        out.skipped += 1;
        out.problem(format!(
            "{file}: positions {from}..{to} do not fit a ring of {cap} bytes; ring skipped"
        ));
        return;
    }
    // How the file ends, when it was cut short.
    let cut = format!("{file}: cut short at {} of {} bytes", b.len(), RING_HEADER_LEN as u64 + cap);
    let lost_from = |out: &mut Recovered, pos: u64, rest: u64| {
        out.skipped += 1;
        out.problem(format!(
            "{cut}: the record at position {pos} is not in it; its last {rest} bytes skipped"
        ));
    };
    let mut pos = from;
    let mut expect: Option<u64> = None;
    let mut prefix = [0u8; FRAME_PREFIX];
    // The frame read last, waiting for the crc the next frame carries.
    let mut held: Option<Held> = None;
    while pos < to {
        let rest = to - pos;
        // The crc of the frame before (see `layout`): it settles `held`,
        // or drops it when the cut took it.
        let mut carried = [0u8; 4];
        let check = match copy_wrapped(data, cap, pos + 4, &mut carried) {
            true => Check::Carried(u32::from_le_bytes(carried)),
            false => Check::CutOff,
        };
        if let Some(f) = held.take() {
            f.settle(check, h.thread, sites, file, (out, keep));
        }
        if !copy_wrapped(data, cap, pos, &mut prefix) {
            return lost_from(out, pos, rest);
        }
        let len = get_u32(&prefix, 0).unwrap_or(0) as u64;
        let framed = align(len as usize) as u64;
        if len < (FRAME_PREFIX + HEADER_LEN) as u64 || framed > rest {
            out.skipped += 1;
            out.problem(format!(
                "{file}: bad frame length {len} at position {pos}; its last {rest} bytes skipped"
            ));
            return;
        }
        let seq = get_u64(&prefix, 8).unwrap_or(0);
        // The record and its padding: the crc covers both. Taken only
        // when all there: a frame length, up to the capacity, in a file
        // cut short allocates nothing.
        let at = pos + FRAME_PREFIX as u64;
        let Some((a, b)) = wrapped(data, cap, at, framed as usize - FRAME_PREFIX) else {
            return lost_from(out, pos, rest);
        };
        let mut record = [a, b].concat();
        let crc = crc32c::crc32c_append(crc32c::crc32c(&seq.to_le_bytes()), &record);
        record.truncate(len as usize - FRAME_PREFIX);
        let seq_ok = expect.map_or(true, |e| e == seq);
        // Wrapping: any `seq` is untrusted, u64::MAX included.
        expect = Some(expect.map_or(seq, |e| e).wrapping_add(1));
        held = Some(Held {
            seq,
            pos,
            crc,
            seq_ok,
            record,
        });
        pos += framed;
    }
    // The newest frame, ending at the write position: its crc would have
    // come with the next frame (see `layout`).
    if let Some(f) = held {
        f.settle(Check::Newest, h.thread, sites, file, (out, keep));
    }
    if (data.len() as u64) < cap {
        // Every pending frame was before the cut: said, nothing lost.
        out.problem(format!("{cut}, after its pending records; none lost"));
    }
}

/// Where a record found goes: the directory's account, and what is done
/// with the record.
type Taken<'o, 'k> = (&'o mut Recovered, &'o mut Keep<'k>);

/// What a held frame's crc is checked against.
enum Check {
    /// The crc the next frame carries.
    Carried(u32),
    /// None: the newest frame, covered by the write position (see `layout`).
    Newest,
    /// None: the next frame's bytes that carry it are past a cut.
    CutOff,
}

/// A frame read by [`read_ring`] whose crc the next frame carries.
struct Held {
    seq: u64,
    /// Where it starts.
    pos: u64,
    /// The crc32c of its bytes after the crc (sequence, record, padding).
    crc: u32,
    /// Whether its sequence number follows the frame's before.
    seq_ok: bool,
    /// The record, without the padding.
    record: Vec<u8>,
}

impl Held {
    /// Checks the frame as `check` says and takes its record into `out`
    /// as `keep` says, or counts and describes the skip.
    fn settle(self, check: Check, thread: u32, sites: Option<&SiteMap>, file: &str, to: Taken<'_, '_>) {
        let (out, keep) = to;
        let seq = self.seq;
        let why = match check {
            _ if !self.seq_ok => Some("sequence out of order"),
            Check::Carried(c) if c != self.crc => Some("checksum mismatch"),
            Check::CutOff => Some("its checksum, which the next frame carries, is past the cut"),
            Check::Carried(_) | Check::Newest => None,
        };
        if let Some(why) = why {
            out.skipped += 1;
            out.problem(format!("{file}: record {seq} at position {}: {why}; skipped", self.pos));
            return;
        }
        match decode_record(&self.record, thread, sites) {
            Ok(r) => keep.take(out, r),
            Err(e) if e.no_site => match values_only(&self.record, thread) {
                Some(r) => {
                    out.no_site += 1;
                    keep.take(out, r);
                }
                None => {
                    out.skipped += 1;
                    out.problem(format!("{file}: record {seq}: values malformed; skipped"));
                }
            },
            Err(e) => {
                out.skipped += 1;
                out.problem(format!("{file}: record {seq}: {}; skipped", e.why));
            }
        }
    }
}

/// A checked record; a deferred one (a call-site address of a dead
/// process) is rendered through `sites` into a text record, as the dead
/// process's writer would have rendered it.
fn decode_record(
    record: &[u8],
    thread: u32,
    sites: Option<&SiteMap>,
) -> Result<RecoveredRecord, super::sites::Unrendered> {
    let malformed = || super::sites::Unrendered::from("malformed header");
    let h: &[u8; HEADER_LEN] = (record.get(..HEADER_LEN).and_then(|h| h.try_into().ok()))
        .ok_or_else(malformed)?;
    let header = Header::decode(h).map_err(|_| malformed())?;
    if header.len as usize != record.len() {
        return Err(malformed());
    }
    if header.kind == RecordKind::Deferred {
        let (header, body) = super::sites::render_deferred(&header, &record[HEADER_LEN..], sites)?;
        return Ok(RecoveredRecord {
            thread,
            header,
            body,
        });
    }
    check_text(&header, record, thread).ok_or_else(malformed)
}

/// A checked deferred record whose call site is not in the table,
/// rendered with its values only (see [`super::values_only`]).
fn values_only(record: &[u8], thread: u32) -> Option<RecoveredRecord> {
    let header = Header::decode(record.get(..HEADER_LEN)?.try_into().ok()?).ok()?;
    let (header, body) = super::values_only::render_values_only(&header, &record[HEADER_LEN..])?;
    Some(RecoveredRecord {
        thread,
        header,
        body,
    })
}

/// A record that is not deferred, checked.
fn check_text(header: &Header, record: &[u8], thread: u32) -> Option<RecoveredRecord> {
    let header = *header;
    // Targets and messages are UTF-8 when a producer writes them; the
    // formatters rely on it.
    let (target, payload) = record[HEADER_LEN..].split_at(header.target_len as usize);
    let payload = match header.located {
        true => {
            let ((file, _line), rest) = crate::record::split_location(payload)?;
            std::str::from_utf8(file).ok()?;
            rest
        }
        false => payload,
    };
    let msg = match header.kind {
        RecordKind::Text | RecordKind::Raw => payload,
        _ => crate::field::split_payload(payload)?.0,
    };
    if std::str::from_utf8(target).is_err() || std::str::from_utf8(msg).is_err() {
        return None;
    }
    Some(RecoveredRecord {
        thread,
        header,
        body: record[HEADER_LEN..].to_vec(),
    })
}

/// Copies `out.len()` bytes from ring position `pos` of a ring of `cap`
/// data bytes (`out.len() <= cap`); false, copying nothing, when they are
/// not all in `data` (see [`wrapped`]).
fn copy_wrapped(data: &[u8], cap: u64, pos: u64, out: &mut [u8]) -> bool {
    let Some((a, b)) = wrapped(data, cap, pos, out.len()) else {
        return false;
    };
    out[..a.len()].copy_from_slice(a);
    out[a.len()..].copy_from_slice(b);
    true
}

/// The `len` bytes from ring position `pos` of a ring of `cap` data
/// bytes (`len <= cap`): those up to the end of the data area, then those
/// from its start. `data` holds the first bytes of the data area (all of
/// them, unless the file was cut short); `None` when they are not all in
/// it.
fn wrapped(data: &[u8], cap: u64, pos: u64, len: usize) -> Option<(&[u8], &[u8])> {
    let off = (pos % cap) as usize;
    let first = len.min(cap as usize - off);
    Some((data.get(off..off + first)?, data.get(..len - first)?))
}

/// Parses `ring-<generation>-<index>`.
pub(crate) fn ring_name(name: &str) -> Option<(u64, u64)> {
    let (g, i) = name.strip_prefix(RING_PREFIX)?.split_once('-')?;
    Some((g.parse().ok()?, i.parse().ok()?))
}

/// Reads what `dir` holds (nothing when it holds no state or ring file):
/// its records counted, and kept while they fit in [`KEEP_BYTES`] (see
/// [`Recovered::reread`]).
pub(crate) fn read_dir(dir: &Path) -> Recovered {
    let mut out = Recovered {
        kept_all: true,
        ..Recovered::default()
    };
    let state_path = dir.join(STATE_FILE);
    let state = match read_regular(&state_path, STATE_LEN as u64) {
        Ok((b, meta)) => {
            out.old_files.push(state_path.clone());
            out.state_owner = Some(std::os::unix::fs::MetadataExt::uid(&meta));
            match parse_state(&b) {
                Ok(s) => Some(s),
                Err(e) => {
                    out.problem(format!(
                        "state file {} unusable ({e}): positions taken from the ring files, no sink file cut",
                        state_path.display()
                    ));
                    None
                }
            }
        }
        Err(Unread::Missing) => None,
        Err(Unread::TooLarge(e)) => {
            out.old_files.push(state_path.clone());
            out.problem(format!(
                "state file {} unusable ({e}, expected {STATE_LEN}): positions taken from the ring files, no sink file cut",
                state_path.display()
            ));
            None
        }
        Err(e) => {
            if !out.refuse(&e, &state_path) {
                out.problem(format!("cannot read {}: {e}", state_path.display()));
            }
            None
        }
    };
    if let Some(s) = &state {
        out.pid = Some(s.pid);
        out.generation = s.generation;
        out.committed = Some(s.committed);
        out.files = s.files.clone();
        out.clock = Some(s.clock);
    }
    let (rings, site_files) = dir_files(dir, &mut out);
    let mut tables = HashMap::new();
    for (path, name) in site_files {
        read_sites_file(&path, &name, state.as_ref(), &mut tables, &mut out);
    }
    let mut keep = Keep::Within(KEEP_BYTES);
    for path in rings {
        let before = out.found;
        read_ring_file(&path, state.as_ref(), &tables, &mut out, &mut keep);
        if out.found > before {
            out.rings.push((path, out.found - before));
        }
    }
    out.reread_with = Some(ReadAgain { state, tables });
    out
}

/// Call-site tables by generation, each with the pid of the process that
/// wrote it.
type Tables = HashMap<u64, (u32, SiteMap)>;

/// Said of a ring file or call-site table of process `pid` in a directory
/// whose state file process `state_pid` wrote: one of them is another
/// directory's (copied in), and which is not known — a ring's records
/// would be taken for the wrong directory's, or records rendered through
/// another process's call sites — so neither is used nor removed.
fn of_another_process(file: &str, pid: u32, state_pid: u32) -> String {
    format!(
        "{file} was written by process {pid}, its state file by process {state_pid}: one of them is another directory's"
    )
}

/// Reads one call-site table, file `name` at `path`, into `tables` (by
/// generation); one another process wrote than the one `state` names is
/// said and left out.
fn read_sites_file(path: &Path, name: &str, state: Option<&StateImage>, tables: &mut Tables, out: &mut Recovered) {
    let file = path.display();
    let b = match read_regular(path, MAX_SITES_FILE) {
        Ok((b, _)) => b,
        Err(Unread::TooLarge(e)) => {
            return out.problem(format!("{file}: {e}, larger than any call-site table; ignored"));
        }
        Err(e) if out.refuse(&e, path) => return,
        Err(e) => return out.problem(format!("{file}: {}", e.what())),
    };
    match parse_sites(&b) {
        Ok((generation, map, problem)) => {
            if let Some(p) = problem {
                out.problem(format!("{file}: {p}"));
            }
            if sites_name(name) != Some(generation) {
                out.problem(format!("{file}: holds generation {generation}; ignored"));
                return;
            }
            let pid = get_u32(&b, 12).unwrap_or(0);
            if let Some(s) = state.filter(|s| s.pid != pid && s.generation == generation) {
                let said = of_another_process(&file.to_string(), pid, s.pid);
                return out.refuse_as(Refused::Kept(said), path);
            }
            tables.insert(generation, (pid, map));
        }
        Err(e) => out.problem(format!("{file}: {e}; ignored")),
    }
}

/// Why a file of the directory was not read.
enum Unread {
    /// There is no such file.
    Missing,
    /// Not a regular file (a FIFO, a socket, a device, a symbolic link):
    /// none of ours, so it held no record of this directory.
    NotRegular,
    /// Longer than the limit: how long, in words.
    TooLarge(String),
    /// Anything else, in words.
    Failed(String),
    /// Of a newer layout version than this build reads (see
    /// [`Refused::Newer`]): in words naming it.
    Newer(String),
}

impl Unread {
    /// What is said of a ring file or call-site table not read.
    fn what(&self) -> String {
        match self {
            // Removed with the directory's other files: said once.
            Unread::NotRegular => "not a regular file; removed".to_owned(),
            _ => format!("cannot read: {self}"),
        }
    }
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unread::Missing => f.write_str("no such file"),
            Unread::NotRegular => f.write_str("not a regular file"),
            Unread::TooLarge(why) | Unread::Failed(why) | Unread::Newer(why) => f.write_str(why),
        }
    }
}

/// The bytes of `path`, a file of the directory, read only when it is a
/// regular one of at most `max` bytes and not of a newer layout (see
/// [`open_regular`]), and the metadata of the file they were read from.
fn read_regular(path: &Path, max: u64) -> Result<(Vec<u8>, std::fs::Metadata), Unread> {
    use std::io::Read;
    let (f, meta) = open_regular(path)?;
    let failed = |e: std::io::Error| Unread::Failed(e.to_string());
    if meta.len() > max {
        return Err(Unread::TooLarge(format!("{} bytes", meta.len())));
    }
    let mut b = Vec::with_capacity(meta.len() as usize);
    // At most one byte past `max`: a file growing meanwhile stays bounded.
    f.take(max + 1).read_to_end(&mut b).map_err(failed)?;
    if b.len() as u64 > max {
        return Err(Unread::TooLarge(format!("more than {max} bytes")));
    }
    Ok((b, meta))
}

/// `path`, a file of the directory, opened for reading when it is a
/// regular file whose layout this build reads. Untrusted: the name may be
/// anything — a FIFO, whose open and read wait for a writer, a device
/// whose read never ends, a symbolic link (to `/dev/zero`, or to another
/// directory's ring file, whose records are not this directory's) — so
/// it is opened only as [`super::entry::open`] opens: a regular file
/// alone, without waiting or following a link, checked through the
/// descriptor opened (a file swapped meanwhile is judged and read as one
/// file, once). A regular file whose head is ours (magic, then
/// version; whatever its length) but of a newer version is
/// [`Unread::Newer`], naming it and both versions.
fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), Unread> {
    use super::entry::NotOpened;
    use std::io::ErrorKind;
    use std::os::unix::fs::FileExt;
    let failed = |e: std::io::Error| Unread::Failed(e.to_string());
    let f = super::entry::open(path, std::fs::OpenOptions::new().read(true)).map_err(|e| match e {
        NotOpened::NotRegular(_) => Unread::NotRegular,
        NotOpened::Io(e) if e.kind() == ErrorKind::NotFound => Unread::Missing,
        NotOpened::Io(e) => failed(e),
    })?;
    let meta = f.metadata().map_err(failed)?;
    let mut head = [0u8; 12];
    match f.read_exact_at(&mut head, 0) {
        // A file shorter than a head is none of a newer layout's.
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => {}
        // Whether it is a newer build's is not known: never read as ours.
        Err(e) => return Err(failed(e)),
        Ok(()) => {
            if let Some((version, reads)) = newer_layout(&head) {
                return Err(Unread::Newer(format!(
                    "{} was written by a newer uringlog (layout version {version}; this one \
                     reads up to {reads}); left as it is: recover it with that version",
                    path.display()
                )));
            }
        }
    }
    Ok((f, meta))
}

/// The version a file's `head` (its first 12 bytes) says, and the newest
/// this build reads, when its magic is one of ours and its version newer.
fn newer_layout(head: &[u8; 12]) -> Option<(u32, u32)> {
    let known = [
        (STATE_MAGIC, STATE_VERSION),
        (RING_MAGIC, VERSION),
        (super::sites::SITES_MAGIC, super::sites::SITES_VERSION),
    ];
    let version = get_u32(head, 8).unwrap_or(0);
    let (_, reads) = known.into_iter().find(|(m, _)| head[..8] == *m)?;
    (version > reads).then_some((version, reads))
}

/// Paths and names of files in a directory.
type Named = Vec<(PathBuf, String)>;

/// The ring files in `dir`, oldest first, and the call-site tables;
/// unparsable names are reported. An entry named like either that is a
/// FIFO, a socket, a device or a symbolic link is never opened (opening a
/// FIFO for reading may wait for a writer, a device's open may act; see
/// [`open_regular`]): said once, and removed with the others; one that is
/// a directory goes to `out.directories`. Files named like ours that
/// recovery does not read (`state.new`, names that do not parse) are only
/// checked for a newer layout (see [`Refused::Newer`]): a newer build may
/// name its files otherwise; one of those that a start removes and whose
/// head cannot be read is refused (see [`refuse_unread`]).
fn dir_files(dir: &Path, out: &mut Recovered) -> (Vec<PathBuf>, Named) {
    let (mut rings, mut sites) = (Vec::new(), Vec::new());
    // Every entry or none: a listing cut short (`EIO`, `EMFILE`, no read
    // permission) leaves ring files unknown, and a start without them
    // would replace the state file with the next generation's — the next
    // start would take them for recovered, their records lost uncounted.
    let listed = std::fs::read_dir(dir).and_then(|d| d.collect::<std::io::Result<Vec<_>>>());
    let mut entries = match listed {
        Ok(e) => e,
        Err(e) => {
            out.refuse_as(Refused::Kept(format!("cannot list {}: {e}", dir.display())), dir);
            return (Vec::new(), Vec::new());
        }
    };
    // By name: what is said comes in the same order at every start.
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_sites = name.starts_with(SITES_PREFIX);
        if !is_sites && !name.starts_with(RING_PREFIX) {
            // The state file itself was read before (see `read_dir`); of
            // the others only a regular file is opened, as for ring files.
            let file = e.file_type().is_ok_and(|t| t.is_file());
            if file && name.starts_with(STATE_FILE) && name != STATE_FILE {
                refuse_unread(&e.path(), name == STATE_NEW, out);
            }
            continue;
        }
        let path = e.path();
        // Of the entry itself, a symbolic link not followed.
        match e.file_type() {
            Ok(t) if t.is_dir() => {
                out.directories.push(path);
                continue;
            }
            Ok(t) if !t.is_file() => {
                out.problem(format!("{}: {}", path.display(), Unread::NotRegular.what()));
                out.old_files.push(path);
                continue;
            }
            _ => {}
        }
        let (parsed, kind) = match is_sites {
            true => (sites_name(&name).map(|_| None), "call-site table"),
            false => (ring_name(&name).map(Some), "ring file"),
        };
        match parsed {
            Some(Some(key)) => rings.push((key, path.clone())),
            Some(None) => sites.push((path.clone(), name)),
            None if refuse_unread(&path, true, out) => continue,
            None => out.problem(format!("{}: not a {kind} name; ignored", path.display())),
        }
        out.old_files.push(path);
    }
    rings.sort_by_key(|r| r.0);
    (rings.into_iter().map(|(_, p)| p).collect(), sites)
}

/// Refuses `path`, a file named like ours that recovery does not read,
/// when it is of a newer layout (see [`open_regular`]), or when it could
/// not be read (`EIO`, no permission) and `removed` (a later step removes
/// it otherwise): a file that may be a newer build's is not removed
/// unread. True then.
fn refuse_unread(path: &Path, removed: bool, out: &mut Recovered) -> bool {
    match open_regular(path) {
        Err(e @ Unread::Newer(_)) => out.refuse(&e, path),
        Err(e @ Unread::Failed(_)) if removed => out.refuse(&e, path),
        _ => false,
    }
}

/// Reads one ring file into `out`, each record taken as `keep` says.
fn read_ring_file(path: &Path, state: Option<&StateImage>, tables: &Tables, out: &mut Recovered, keep: &mut Keep<'_>) {
    let file = path.display().to_string();
    let b = match read_regular(path, MAX_RING_FILE) {
        Ok((b, _)) => b,
        Err(Unread::TooLarge(e)) => {
            out.skipped += 1;
            out.problem(format!("{file}: {e}, larger than any ring; skipped"));
            return;
        }
        Err(e) if out.refuse(&e, path) => return,
        Err(e) => return out.problem(format!("{file}: {}", e.what())),
    };
    if b.iter().all(|&x| x == 0) {
        // Created (at its full length, zeros) by a process that died
        // before writing its header: a producer registering, before its
        // first record. No record is lost; said, not counted as one.
        out.problem(format!("{file}: all zeros, no header (its process died creating it); removed"));
        return;
    }
    let h = match parse_ring_header(&b) {
        Ok(h) => h,
        Err(e) => {
            out.skipped += 1;
            out.problem(format!("{file}: {e}; skipped"));
            return;
        }
    };
    if state.is_some_and(|s| s.generation != h.generation) {
        // Left from a generation already recovered (its successor died
        // before removing it): nothing in it is pending.
        return;
    }
    if let Some(s) = state.filter(|s| s.pid != h.pid) {
        let said = of_another_process(&file, h.pid, s.pid);
        return out.refuse_as(Refused::Kept(said), path);
    }
    // Only the table of the ring's own process: an address means nothing
    // in another's.
    let table = tables.get(&h.generation).filter(|t| t.0 == h.pid);
    match start_pos(&h, state.map(|s| s.committed)) {
        Ok(from) => read_ring(&b, &h, from, &file, table.map(|t| &t.1), out, keep),
        Err(e) => {
            out.skipped += 1;
            out.problem(format!("{file}: {e}; skipped"));
        }
    }
}

/// Recovery over arbitrary bytes, for the fuzz target (`engine/fuzz`): a
/// call-site table (a valid header, then the input's entries) and a ring
/// (a valid header with the input's positions, then the input's data), each
/// record then rendered in text and JSON; and the raw input as a ring
/// file, a table and a state file.
#[cfg(fuzzing)]
pub(crate) fn fuzz(input: &[u8]) {
    use super::sites::{SITES_HEADER_LEN, SITES_MAGIC, SITES_VERSION};
    use crate::format::{Format, Formatter, Record, Rendering};
    let _ = parse_state(input);
    let _ = parse_ring_header(input);
    let _ = parse_sites(input);
    let Some((len, rest)) = input.split_first_chunk::<2>() else {
        return;
    };
    let n = (u16::from_le_bytes(*len) as usize).min(rest.len());
    let (entries, rest) = rest.split_at(n);
    let mut t = vec![0u8; SITES_HEADER_LEN];
    t[..8].copy_from_slice(&SITES_MAGIC);
    put_u32(&mut t, 8, SITES_VERSION);
    put_u64(&mut t, 16, 1);
    t.extend_from_slice(entries);
    let sites = parse_sites(&t).ok().map(|x| x.1);
    let Some((pos, data)) = rest.split_first_chunk::<16>() else {
        return;
    };
    let cap = data.len() / 8 * 8;
    if cap == 0 {
        return;
    }
    let mut b = vec![0u8; RING_HEADER_LEN];
    b[..8].copy_from_slice(&RING_MAGIC);
    put_u32(&mut b, H_VERSION, VERSION);
    put_u32(&mut b, H_HEADER_LEN, RING_HEADER_LEN as u32);
    put_u64(&mut b, H_CAPACITY, cap as u64);
    put_u64(&mut b, H_GENERATION, 1);
    b[H_RELEASED + 16..H_RELEASED + 24].copy_from_slice(&pos[..8]);
    put_u64(&mut b, H_RELEASED_EPOCH + 16, 1);
    b[H_WRITE..H_WRITE + 8].copy_from_slice(&pos[8..]);
    b.extend_from_slice(&data[..cap]);
    let mut out = Recovered::default();
    if let Ok(h) = parse_ring_header(&b) {
        if let Ok(from) = start_pos(&h, Some(1)) {
            read_ring(&b, &h, from, "ring", sites.as_ref(), &mut out, &mut Keep::All);
        }
    }
    let (mut text, mut json) = (Formatter::new(Format::text()), Formatter::new(Format::json()));
    let (mut line, mut msg) = (Vec::new(), Vec::new());
    for r in &out.records {
        if let Some(rec) = Record::decode(&r.header, &r.body, 0, r.thread, &mut msg, Rendering::Eager) {
            text.write(&mut line, &rec);
            json.write(&mut line, &rec);
        }
    }
}
