//! The call-site table: what a deferred record's call-site address meant
//! in the process that wrote it, kept in the crash-safe directory so that
//! recovery renders such records in another process (or offline, with the
//! binary gone).
//!
//! A deferred record carries the address of a `&'static CallSite`. The
//! first deferred call from a call site in this process, per logger,
//! appends the call site's description to `sites-<generation>` with one
//! `write(2)` (in the page cache, so it survives the process however it
//! dies) *before* that call's record is published; later calls find it
//! registered with one Acquire load of the call site's `crash_table` word
//! compared with [`SiteWriter::id`]. A crash after any commit therefore
//! finds the entry of every call site its records name. A call site with
//! a spec other than `{}` holds the id with [`CUSTOM_MARK`] set: the one
//! compare of the producer's direct path ([`in_table`]) then also says
//! that no value needs formatting in the caller.
//!
//! Specs other than `{}` need the binary's `core::fmt` code, which recovery
//! lacks: in crash-safe mode the caller formats those values and the record
//! carries them as text (see `deferred::portable`), so an entry needs only
//! the literal pieces and, per slot, whether its value is such text and
//! which width and precision arguments follow it.
//!
//! ```text
//! file:  magic "ULOGSIT\x01" | version u32 | pid u32 | generation u64 | 0 u64
//! entry: len u32 (whole entry) | crc u32 (crc32c of the rest) | addr u64
//!        | line u32 | level u8 (0xff: none) | has_target u8 | slots u16
//!        | slot kind u8 * slots (bit 0: spec other than `{}`, bit 1: a
//!          width argument follows, bit 2: a precision argument follows)
//!        | strings, each len u32 + UTF-8 bytes: target (if has_target),
//!          file, module, then slots + 1 literal pieces
//! ```
//!
//! Entries are written at the end of the last whole one (`pwrite`), so a
//! failed write leaves at most a half entry after the last good one, which
//! the next entry overwrites. A table deleted, moved away, replaced or cut
//! short while the process runs (its name no longer holds this file, or
//! the file is shorter than what was written) is written again, whole,
//! from copies of its entries (never from the call sites, which a
//! `dlclose` may have unmapped), by the next new call site or by the
//! writer at its next commit (one `lstat` of the name). Records pending when
//! it was deleted, if the process dies before that, cannot be rendered:
//! recovery writes them with their values only (see `values_only`).
//!
//! Addresses are keyed per process: a call site whose address another
//! call site had in the table (a shared library unloaded, another loaded
//! where it was) is not registered; its records are formatted by the
//! caller, so recovery never renders them with the other's entry. What
//! recovery reads is the table, never the address, so a record of a
//! library unloaded before the crash renders as any other.
//!
//! The file is untrusted input on recovery, like the rings: lengths and
//! crcs are checked, a bad entry ends the table (what follows cannot be
//! framed) and records naming a missing address are written with their
//! values only and counted apart in the recovery record.

use super::layout::{get_u32, get_u64};
use crate::callsite::{CallSite, SlotKind};
use crate::deferred::portable::render_portable;
use crate::deferred::CALLSITE_LEN;
use crate::level::Level;
use crate::record::{location_block, truncate_str, Header, RecordKind, MAX_TARGET_LEN};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Prefix of table file names: `sites-<generation>`.
pub(crate) const SITES_PREFIX: &str = "sites-";
/// First bytes of a table file.
pub(crate) const SITES_MAGIC: [u8; 8] = *b"ULOGSIT\x01";
/// Table layout version.
pub(crate) const SITES_VERSION: u32 = 1;
/// Bytes before the first entry.
pub(crate) const SITES_HEADER_LEN: usize = 32;
/// Bytes of an entry before its slot kinds.
pub(crate) const ENTRY_FIXED: usize = 24;
/// Largest entry written or read (a format string is far shorter).
pub(crate) const MAX_ENTRY_LEN: usize = 1 << 20;
/// Largest table file read.
pub(crate) const MAX_SITES_FILE: u64 = 256 << 20;

/// Slot kind bits.
pub(crate) const SLOT_CUSTOM: u8 = 1;
pub(crate) const SLOT_WIDTH: u8 = 2;
pub(crate) const SLOT_PRECISION: u8 = 4;

/// Set in a registered call site's `crash_table` word beside the table's
/// id when the call site has a spec other than `{}` (`any_custom`): its
/// records take the path that formats those values in the caller, so the
/// word never equals the id alone. Ids stay below it.
pub(crate) const CUSTOM_MARK: u64 = 1 << 63;

/// Table ids, unique in the process, so that a call site registered in
/// one logger's table is not taken as registered in another's (0: none).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// This process's table in a crash-safe directory.
pub(crate) struct SiteWriter {
    /// What a registered call site's `crash_table` word holds.
    id: u64,
    path: PathBuf,
    generation: u64,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Opened (and its header written) on the first registration.
    file: Option<File>,
    /// `file`'s device and inode: what the table's name must hold.
    file_id: (u64, u64),
    /// End of the last whole entry: the next one is written here, over
    /// whatever a failed write left after it (even when cutting that
    /// back failed too).
    end: u64,
    /// Where each address's entry lies in `image` (a call site used by
    /// two loggers in turn finds its word holding the other's id: it is
    /// not written twice).
    known: HashMap<usize, Range<usize>>,
    /// Every entry in the file, in order, to write again into a new file
    /// when the table was deleted. Copies, never the call sites: a call
    /// site of a shared library unloaded since (`dlclose`) is not read.
    image: Vec<u8>,
    /// Reused entry image.
    entry: Vec<u8>,
    /// Set at shutdown, once the file is removed: no new file is made.
    removed: bool,
}

impl SiteWriter {
    pub(crate) fn new(dir: &Path, generation: u64) -> SiteWriter {
        SiteWriter {
            // Far below `CUSTOM_MARK`: one id per logger built.
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            path: dir.join(format!("{SITES_PREFIX}{generation}")),
            generation,
            inner: Mutex::new(Inner {
                file: None,
                file_id: (0, 0),
                end: 0,
                known: HashMap::new(),
                image: Vec::new(),
                entry: Vec::new(),
                removed: false,
            }),
        }
    }

    /// Whether `cs` is in the table, whatever its specs (one Acquire
    /// load once it is).
    #[inline(always)]
    pub(crate) fn has(&self, cs: &'static CallSite) -> bool {
        // Acquire: as in `in_table`.
        cs.crash_table.load(Ordering::Acquire) & !CUSTOM_MARK == self.id
    }

    /// What a registered call site's `crash_table` word holds (see
    /// [`in_table`]).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Appends `cs` to the table unless it is there; `Ok(false)` when its
    /// address names another call site in the table (a shared library
    /// unloaded and another loaded at the same address): its records are
    /// then formatted by the caller, as text, so recovery never renders
    /// them with the other call site's entry. The error names the file
    /// and the cause (the caller then formats the record itself too).
    #[cold]
    #[inline(never)]
    pub(crate) fn register(&self, cs: &'static CallSite) -> Result<bool, String> {
        self.register_at(cs, cs as *const CallSite as usize)
    }

    /// [`register`](Self::register) with the address given (tests reuse one).
    fn register_at(&self, cs: &'static CallSite, addr: usize) -> Result<bool, String> {
        let mut g = crate::shared::lock(&self.inner);
        let inner = &mut *g;
        encode_entry(&mut inner.entry, cs, addr as u64);
        if let Some(at) = inner.known.get(&addr) {
            if inner.image[at.clone()] != inner.entry[..] {
                return Ok(false);
            }
        } else {
            self.append(inner).map_err(|e| {
                format!(
                    "call site {}:{} not written to {}: {e}",
                    cs.file,
                    cs.line,
                    self.path.display()
                )
            })?;
            let at = inner.image.len();
            inner.image.extend_from_slice(&inner.entry);
            inner.known.insert(addr, at..inner.image.len());
        }
        let mark = if cs.any_custom { CUSTOM_MARK } else { 0 };
        // Release: pairs with the Acquire load in `has` and `in_table`.
        cs.crash_table.store(self.id | mark, Ordering::Release);
        Ok(true)
    }

    /// Writes the entry in `inner.entry` (opening the file first if
    /// needed, or again with every entry so far when it was deleted).
    fn append(&self, inner: &mut Inner) -> io::Result<()> {
        if inner.removed {
            // A call racing shutdown (counted dropped anyway): the
            // directory is left without pending data.
            return Err(io::Error::other("the logger has shut down"));
        }
        if inner.entry.len() > MAX_ENTRY_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "call site too large for the table",
            ));
        }
        self.reopen_if_deleted(inner)?;
        if inner.file.is_none() {
            self.rewrite(inner)?;
        }
        let file = inner.file.as_mut().expect("opened above");
        append_entry(file, &mut inner.end, &inner.entry)
    }

    /// A table deleted, moved away or replaced (by hand, a cleanup job)
    /// would die with this process or be out of recovery's sight, and one
    /// cut short in place would lose entries, so every record naming them
    /// would be written with its values only at recovery: a new one holds
    /// them all again. One `lstat` of the table's name.
    fn reopen_if_deleted(&self, inner: &mut Inner) -> io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        if inner.file.is_some() {
            let intact = match std::fs::symlink_metadata(&self.path) {
                Ok(m) => (m.dev(), m.ino()) == inner.file_id && m.len() >= inner.end,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            if !intact {
                inner.file = None;
                self.rewrite(inner)?;
            }
        }
        Ok(())
    }

    /// A new table file holding every call site so far (one write), in
    /// place of whatever has the table's name (the table cut short, a
    /// file or symlink put there: the directory is this process's).
    fn rewrite(&self, inner: &mut Inner) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        use std::os::unix::fs::MetadataExt;
        let mut f = self.create()?;
        inner.end = SITES_HEADER_LEN as u64;
        let written = append_entry(&mut f, &mut inner.end, &inner.image);
        let m = match written.and_then(|()| f.metadata()) {
            Ok(m) => m,
            Err(e) => {
                let _ = std::fs::remove_file(&self.path);
                return Err(e);
            }
        };
        inner.file_id = (m.dev(), m.ino());
        inner.file = Some(f);
        Ok(())
    }

    /// Called by the writer now and then: writes the table again if it
    /// was deleted, moved away, replaced or cut short (one `lstat`
    /// otherwise).
    pub(crate) fn keep_present(&self) -> io::Result<()> {
        let mut g = crate::shared::lock(&self.inner);
        if g.removed {
            return Ok(());
        }
        // A rewrite that failed before (the name taken by a directory, a
        // full disk) is tried again.
        if g.file.is_none() && !g.image.is_empty() {
            return self.rewrite(&mut g);
        }
        self.reopen_if_deleted(&mut g)
    }

    fn create(&self) -> io::Result<File> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.path)?;
        let mut h = [0u8; SITES_HEADER_LEN];
        h[..8].copy_from_slice(&SITES_MAGIC);
        h[8..12].copy_from_slice(&SITES_VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&std::process::id().to_le_bytes());
        h[16..24].copy_from_slice(&self.generation.to_le_bytes());
        if let Err(e) = f.write_all(&h) {
            let _ = std::fs::remove_file(&self.path);
            return Err(e);
        }
        Ok(f)
    }

    /// Removes the file at shutdown; later registrations fail.
    pub(crate) fn remove(&self) {
        let mut g = crate::shared::lock(&self.inner);
        g.removed = true;
        if g.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Whether `cs` is in the table whose [`SiteWriter::id`] is `table` and
/// has only `{}` specs (no value to format in the caller; see
/// [`CUSTOM_MARK`]), with one Acquire load: what a producer asks on every
/// deferred call, with the id copied beside its ring.
#[inline(always)]
pub(crate) fn in_table(table: u64, cs: &'static CallSite) -> bool {
    // Acquire: pairs with the Release store in `register`, which follows
    // the entry's `write(2)`; the entry is in the page cache before any
    // record naming the call site is published.
    cs.crash_table.load(Ordering::Acquire) == table
}

/// Where table entries are written: the table file, or a test double.
pub(crate) trait TableFile {
    /// `pwrite(2)`: writes some of `buf` at offset `at`.
    fn write_at(&mut self, buf: &[u8], at: u64) -> io::Result<usize>;
    /// `ftruncate(2)`.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

impl TableFile for File {
    fn write_at(&mut self, buf: &[u8], at: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::write_at(self, buf, at)
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }
}

/// Writes `entry` at `*end` and moves `*end` past it. An entry is whole
/// or (after a failed or cut write) its crc fails and the table ends
/// there; a failed write is cut back, and whether or not that works, the
/// next entry goes to the same `*end`, over the remains, so it frames.
pub(crate) fn append_entry(f: &mut dyn TableFile, end: &mut u64, entry: &[u8]) -> io::Result<()> {
    let mut done = 0;
    while done < entry.len() {
        match f.write_at(&entry[done..], *end + done as u64) {
            Ok(0) => {
                let _ = f.set_len(*end);
                return Err(io::Error::new(io::ErrorKind::WriteZero, "the table took no bytes"));
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = f.set_len(*end);
                return Err(e);
            }
        }
    }
    *end += entry.len() as u64;
    Ok(())
}

/// `cs`'s table entry, at `addr`, into `out` (cleared first).
pub(crate) fn encode_entry(out: &mut Vec<u8>, cs: &CallSite, addr: u64) {
    out.clear();
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(&addr.to_le_bytes());
    out.extend_from_slice(&cs.line.to_le_bytes());
    out.push(cs.level.map_or(0xff, |l| l as u8));
    out.push(cs.target.is_some() as u8);
    out.extend_from_slice(&(cs.slots.len() as u16).to_le_bytes());
    for s in cs.slots {
        out.push(match s.kind {
            SlotKind::Display => 0,
            SlotKind::Custom {
                width_arg,
                precision_arg,
                ..
            } => {
                SLOT_CUSTOM
                    | if width_arg { SLOT_WIDTH } else { 0 }
                    | if precision_arg { SLOT_PRECISION } else { 0 }
            }
        });
    }
    let strings = cs.target.into_iter().chain([cs.file, cs.module_path]);
    for s in strings.chain(cs.pieces.iter().copied()) {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let len = out.len() as u32;
    out[..4].copy_from_slice(&len.to_le_bytes());
    let crc = crc32c::crc32c(&out[8..]);
    out[4..8].copy_from_slice(&crc.to_le_bytes());
}

/// A call site as a dead process's table describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SiteEntry {
    pub level: Option<Level>,
    pub target: Option<String>,
    pub file: String,
    pub line: u32,
    pub module: String,
    /// `slots.len() + 1` literal pieces.
    pub pieces: Vec<String>,
    /// Slot kind bits per placeholder.
    pub slots: Vec<u8>,
}

/// One table file's entries by address.
pub(crate) type SiteMap = HashMap<u64, SiteEntry>;

/// Parses a table file: its generation and entries; what was wrong with
/// it, if anything (the entries before the first bad one are kept).
pub(crate) fn parse_sites(b: &[u8]) -> Result<(u64, SiteMap, Option<String>), String> {
    if b.len() < SITES_HEADER_LEN {
        return Err(format!("{} bytes, shorter than its header", b.len()));
    }
    if b[..8] != SITES_MAGIC {
        return Err("wrong magic".to_owned());
    }
    let version = get_u32(b, 8).unwrap_or(0);
    if version != SITES_VERSION {
        return Err(format!("unknown version {version}"));
    }
    let generation = get_u64(b, 16).unwrap_or(0);
    let mut map = SiteMap::new();
    let mut at = SITES_HEADER_LEN;
    while at < b.len() {
        let len = get_u32(b, at).unwrap_or(0) as usize;
        let rest = b.len() - at;
        if len < ENTRY_FIXED || len > rest || len > MAX_ENTRY_LEN {
            let why = format!("bad entry length {len} at offset {at}; its last {rest} bytes ignored");
            return Ok((generation, map, Some(why)));
        }
        let e = &b[at..at + len];
        if get_u32(e, 4) != Some(crc32c::crc32c(&e[8..])) {
            let why = format!("entry at offset {at}: checksum mismatch; ignored");
            return Ok((generation, map, Some(why)));
        }
        match parse_entry(e) {
            Some((addr, entry)) => {
                map.insert(addr, entry);
            }
            None => {
                let why = format!("entry at offset {at}: malformed; ignored");
                return Ok((generation, map, Some(why)));
            }
        }
        at += len;
    }
    Ok((generation, map, None))
}

/// One entry whose length and crc were checked.
fn parse_entry(e: &[u8]) -> Option<(u64, SiteEntry)> {
    let addr = get_u64(e, 8)?;
    let line = get_u32(e, 16)?;
    let level = match *e.get(20)? {
        0xff => None,
        l => Some(Level::from_u8(l)?),
    };
    let has_target = match *e.get(21)? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let n = u16::from_le_bytes([*e.get(22)?, *e.get(23)?]) as usize;
    let slots = e.get(ENTRY_FIXED..ENTRY_FIXED + n)?.to_vec();
    if slots.iter().any(|&k| k & !(SLOT_CUSTOM | SLOT_WIDTH | SLOT_PRECISION) != 0) {
        return None;
    }
    let mut at = ENTRY_FIXED + n;
    let mut string = || -> Option<String> {
        let len = get_u32(e, at)? as usize;
        let s = e.get(at + 4..(at + 4).checked_add(len)?)?;
        at += 4 + len;
        String::from_utf8(s.to_vec()).ok()
    };
    let target = if has_target { Some(string()?) } else { None };
    let file = string()?;
    let module = string()?;
    let pieces = (0..=n).map(|_| string()).collect::<Option<Vec<_>>>()?;
    if at != e.len() {
        return None;
    }
    let entry = SiteEntry {
        level,
        target,
        file,
        line,
        module,
        pieces,
        slots,
    };
    Some((addr, entry))
}

/// Parses `sites-<generation>`.
pub(crate) fn sites_name(name: &str) -> Option<u64> {
    name.strip_prefix(SITES_PREFIX)?.parse().ok()
}

/// Why a deferred record could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrendered {
    pub why: String,
    /// Its call site is not in the table (the table was deleted, cut
    /// short or never written), rather than the record being malformed.
    pub no_site: bool,
}

impl From<&str> for Unrendered {
    fn from(why: &str) -> Unrendered {
        Unrendered {
            why: why.to_owned(),
            no_site: false,
        }
    }
}

impl From<String> for Unrendered {
    fn from(why: String) -> Unrendered {
        Unrendered { why, no_site: false }
    }
}

/// A dead process's deferred record (`header` and `body`: target, then
/// payload) rendered through its generation's table `sites` into a text
/// record with the call site's location: the header and body the
/// formats then write exactly as the dead process's writer would have.
pub(crate) fn render_deferred(
    header: &Header,
    body: &[u8],
    sites: Option<&SiteMap>,
) -> Result<(Header, Vec<u8>), Unrendered> {
    if header.located {
        return Err("deferred record with a location block".into());
    }
    let (target, payload) = body.split_at(header.target_len as usize);
    let (addr, values) = payload
        .split_first_chunk::<CALLSITE_LEN>()
        .ok_or("deferred record without a call site")?;
    let addr = u64::from_le_bytes(*addr);
    let Some(site) = sites.and_then(|t| t.get(&addr)) else {
        return Err(Unrendered {
            why: format!("call site {addr:#x} is not in the call-site table"),
            no_site: true,
        });
    };
    let mut msg = Vec::new();
    let rendered = render_portable(&mut msg, &site.pieces, &site.slots, values);
    if !rendered || std::str::from_utf8(&msg).is_err() {
        return Err(format!("its values do not match call site {}:{}", site.file, site.line).into());
    }
    let target = match &site.target {
        Some(t) => truncate_str(t, MAX_TARGET_LEN).as_bytes(),
        None => std::str::from_utf8(target)
            .map_err(|_| "target is not UTF-8".to_owned())?
            .as_bytes(),
    };
    let (prefix, file) = location_block((&site.file, site.line));
    let payload_len = prefix.len() + file.len() + msg.len();
    let h = Header::new(RecordKind::Text, header.level, header.clock, target.len(), payload_len)
        .ok_or("rendered record longer than 4 GiB")?
        .located();
    let mut out = Vec::with_capacity(target.len() + payload_len);
    for part in [target, &prefix, file.as_bytes(), &msg] {
        out.extend_from_slice(part);
    }
    Ok((h, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callsite::Slot;

    static A: CallSite = CallSite::new(None, None, "a.rs", 1, "m", &["x=", ""], &[Slot::DISPLAY]);
    static B: CallSite = CallSite::new(None, Some("t"), "b.rs", 2, "m", &["y"], &[]);

    /// A table in memory whose writes and cut-backs fail on demand.
    struct Flaky {
        bytes: Vec<u8>,
        /// The next write takes at most this many bytes, then fails.
        short_write: Option<usize>,
        fail_set_len: bool,
    }

    impl TableFile for Flaky {
        fn write_at(&mut self, buf: &[u8], at: u64) -> io::Result<usize> {
            let n = match self.short_write.take() {
                Some(0) => return Err(io::Error::from_raw_os_error(libc::ENOSPC)),
                Some(n) => {
                    self.short_write = Some(0);
                    n.min(buf.len())
                }
                None => buf.len(),
            };
            let at = at as usize;
            if self.bytes.len() < at + n {
                self.bytes.resize(at + n, 0);
            }
            self.bytes[at..at + n].copy_from_slice(&buf[..n]);
            Ok(n)
        }
        fn set_len(&mut self, len: u64) -> io::Result<()> {
            if self.fail_set_len {
                return Err(io::Error::from_raw_os_error(libc::EIO));
            }
            self.bytes.truncate(len as usize);
            Ok(())
        }
    }

    #[test]
    fn an_entry_after_a_failed_write_and_a_failed_cut_back_is_readable() {
        static C: CallSite = CallSite::new(None, None, "c.rs", 3, "m", &["z"], &[]);
        let mut t = Flaky {
            bytes: vec![0u8; SITES_HEADER_LEN],
            short_write: None,
            fail_set_len: true,
        };
        t.bytes[..8].copy_from_slice(&SITES_MAGIC);
        t.bytes[8..12].copy_from_slice(&SITES_VERSION.to_le_bytes());
        let mut end = SITES_HEADER_LEN as u64;
        let mut e = Vec::new();
        let addr = |cs: &'static CallSite| cs as *const CallSite as u64;
        encode_entry(&mut e, &A, addr(&A));
        append_entry(&mut t, &mut end, &e).unwrap();
        // B's write stops after 10 bytes (disk full), and so does cutting
        // them back: 10 bytes of a half entry stay in the file.
        encode_entry(&mut e, &B, addr(&B));
        t.short_write = Some(10);
        let err = append_entry(&mut t, &mut end, &e).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(t.bytes.len() as u64, end + 10);
        // C, written next, is read back, and so is A; B is not there.
        encode_entry(&mut e, &C, addr(&C));
        append_entry(&mut t, &mut end, &e).unwrap();
        let (_, map, problem) = parse_sites(&t.bytes).unwrap();
        assert_eq!(problem, None);
        let mut files: Vec<&str> = map.values().map(|s| s.file.as_str()).collect();
        files.sort();
        assert_eq!(files, ["a.rs", "c.rs"]);
    }

    #[test]
    fn each_call_site_is_written_once_and_nothing_after_shutdown() {
        let tmp = tempfile::tempdir().unwrap();
        let w = SiteWriter::new(tmp.path(), 4);
        assert!(!w.has(&A));
        assert_eq!(w.register(&A), Ok(true));
        assert_eq!(w.register(&A), Ok(true));
        assert!(w.has(&A));
        // Another logger's table: A is registered there separately.
        let other = SiteWriter::new(&tmp.path().join("x"), 4);
        assert!(!other.has(&A));
        assert_eq!(w.register(&B), Ok(true));
        let b = std::fs::read(tmp.path().join("sites-4")).unwrap();
        let (generation, map, problem) = parse_sites(&b).unwrap();
        assert_eq!((generation, map.len(), problem), (4, 2, None));
        let a = &map[&(&A as *const CallSite as u64)];
        assert_eq!((a.file.as_str(), a.line, a.target.as_deref()), ("a.rs", 1, None));
        assert_eq!((&a.pieces[..], &a.slots[..]), (&["x=".to_owned(), String::new()][..], &[0u8][..]));
        w.remove();
        assert!(!tmp.path().join("sites-4").exists());
        // A call racing shutdown makes no new file.
        static C: CallSite = CallSite::new(None, None, "c.rs", 3, "m", &["z"], &[]);
        assert_eq!(
            w.register(&C).unwrap_err(),
            format!(
                "call site c.rs:3 not written to {}: the logger has shut down",
                tmp.path().join("sites-4").display()
            )
        );
        assert!(!tmp.path().join("sites-4").exists());
    }

    #[test]
    fn an_address_reused_by_another_call_site_is_formatted_by_the_caller() {
        // A shared library unloaded (`dlclose`), another loaded where it
        // was: B at A's old address. B's records must not render with A's
        // entry: B is not registered (its caller formats them), A's entry
        // stays, and a rewrite after a deletion copies it without reading
        // A (whose memory is gone in that case).
        static D: CallSite = CallSite::new(None, None, "d.rs", 4, "m", &["w=", ""], &[Slot::DISPLAY]);
        let tmp = tempfile::tempdir().unwrap();
        let w = SiteWriter::new(tmp.path(), 2);
        let at = 0x5000;
        assert_eq!(w.register_at(&D, at), Ok(true));
        assert_eq!(w.register_at(&B, at), Ok(false));
        assert!(!w.has(&B));
        // The same call site at the same address (the library loaded
        // again where it was) is the same entry: nothing written.
        assert_eq!(w.register_at(&D, at), Ok(true));
        let path = tmp.path().join("sites-2");
        let before = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        w.keep_present().unwrap();
        let after = std::fs::read(&path).unwrap();
        assert_eq!(after, before);
        let (_, map, problem) = parse_sites(&after).unwrap();
        assert_eq!((map.len(), problem), (1, None));
        assert_eq!((map[&0x5000].file.as_str(), map[&0x5000].line), ("d.rs", 4));
        w.remove();
    }

    /// A call site with a spec other than `{}` is in the table, but the
    /// producer's one compare ([`in_table`]) refuses it: its values must
    /// be formatted in the caller, which only the slow path does.
    #[test]
    fn a_call_site_with_a_custom_spec_is_kept_but_not_taken_directly() {
        fn hex(w: &mut dyn std::fmt::Write, v: &dyn std::fmt::LowerHex, _: usize, _: usize) -> std::fmt::Result {
            write!(w, "{v:x}")
        }
        static H: CallSite = CallSite::new(
            None,
            None,
            "h.rs",
            5,
            "m",
            &["h=", ""],
            &[Slot::custom(crate::callsite::CustomFmt::LowerHex(hex), false, false)],
        );
        let tmp = tempfile::tempdir().unwrap();
        let w = SiteWriter::new(tmp.path(), 3);
        assert_eq!(w.register(&H), Ok(true));
        assert_eq!(w.register(&A), Ok(true));
        assert_eq!((w.has(&H), in_table(w.id(), &H)), (true, false));
        assert_eq!((w.has(&A), in_table(w.id(), &A)), (true, true));
        // Registered once: a second registration writes nothing.
        let len = std::fs::metadata(tmp.path().join("sites-3")).unwrap().len();
        assert_eq!(w.register(&H), Ok(true));
        assert_eq!(std::fs::metadata(tmp.path().join("sites-3")).unwrap().len(), len);
        w.remove();
    }
}
