//! The keeper: the writer's side of a crash-safe directory.
//!
//! A *commit* happens when every record the writer has read completed in
//! the sinks (nothing gathered, nothing in flight). It records, for epoch
//! `e` and slot `p = e & 1`: each ring's read position (`released[p]` in
//! the ring's header), each sink file's identity and length (slot `p` of
//! the state file) and the clock's anchor; then it publishes `e` as the
//! state's committed epoch — the single store that makes the commit count.
//! A death halfway leaves epoch `e - 1` committed, whose slot and
//! positions are untouched. Only then is the ring space given back to the
//! producers. Ring files of exited threads, read and committed to the end,
//! are removed. A commit is due once a ring was read or a batch went to a
//! file since the last one.
//!
//! Between commits the committed slot changes in two ways only, each by
//! one store ([`Keeper::mark_file`]): a file it does not hold is added,
//! with its length, before the first batch to it, so recovery can cut
//! that file back too; and a file found shorter than its committed length
//! at the first batch since the commit (truncated under the logger) gets
//! its length now, so recovery cuts what is written after the truncation.
//!
//! Recovery counts its own writes the same way, in the dead process's
//! state file ([`Keeper::resume`]), so a recovery that fails leaves the
//! next start knowing what it appended.

use super::layout::*;
use super::recover::{parse_state, STATE_FILE};
use super::{create_sized, CrashDir};
use crate::clock::Converter;
use crate::shared::lock;
use crate::sink::SharedFd;
use memmap2::{MmapOptions, MmapRaw};
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// The writer's handle on the directory's state.
pub(crate) struct Keeper {
    dir: Arc<CrashDir>,
    state: MmapRaw,
    /// Last committed epoch.
    epoch: u64,
    /// Paths of sink files seen, by (dev, ino).
    paths: Vec<((u64, u64), Vec<u8>)>,
    /// The image of the committed epoch's slot.
    slot: Vec<u8>,
    /// The files that slot holds, by (dev, ino).
    marked: Vec<(u64, u64)>,
    /// The descriptors it was written from or checked for since.
    marked_fds: Vec<SharedFd>,
    /// Per `marked_fds` entry: its file's identity (when a regular file).
    ids: Vec<Option<(u64, u64)>>,
    /// The previous commit's slot, read while the next one is written.
    prev: Previous,
    /// A batch went to a file since the last commit. Such a commit is
    /// due even when no ring file moved: a thread whose ring file could
    /// not be made logs through memory, and recovery would otherwise cut
    /// the file back over records no ring file holds.
    wrote: bool,
    /// The dead process's files that [`Keeper::begin`] could not remove,
    /// each with why: while any is left, [`Keeper::finish`] keeps the
    /// state file (see there).
    unremoved: Vec<String>,
}

/// The previous commit's `slot`, `marked_fds` and `ids` (kept to reuse
/// their memory).
#[derive(Default)]
struct Previous {
    slot: Vec<u8>,
    fds: Vec<SharedFd>,
    ids: Vec<Option<(u64, u64)>>,
}

/// Where [`Keeper::begin`] makes the new state file before it replaces
/// the old one.
pub(crate) const STATE_NEW: &str = "state.new";

impl Keeper {
    /// Starts this process's generation: a fresh state file replaces the
    /// old one (atomically, by rename), then the old ring files go. Slot 0
    /// (epoch 0) holds the clock's anchor, so records of a process that
    /// dies before its first commit get their times.
    pub(crate) fn begin(
        dir: Arc<CrashDir>,
        old_files: &[PathBuf],
        clock: &Converter,
    ) -> io::Result<Keeper> {
        let tmp = dir.dir.join(STATE_NEW);
        // One left by a start that failed here: in the way of the new one.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(named(e, format!("cannot remove {}", tmp.display())));
            }
            _ => {}
        }
        let f = create_sized(&tmp, STATE_LEN)?;
        let state = (MmapOptions::new().map_raw(&f))
            .map_err(|e| named(e, format!("cannot map {}", tmp.display())))?;
        let mut h = [0u8; SLOT_OFFSET];
        h[..8].copy_from_slice(&STATE_MAGIC);
        put_u32(&mut h, S_VERSION, STATE_VERSION);
        put_u32(&mut h, S_PID, std::process::id());
        put_u64(&mut h, S_GENERATION, dir.generation);
        // SAFETY: the mapping is STATE_LEN (> SLOT_OFFSET) bytes, ours alone.
        unsafe { std::ptr::copy_nonoverlapping(h.as_ptr(), state.as_mut_ptr(), h.len()) };
        let path = dir.dir.join(STATE_FILE);
        let mut k = Keeper {
            dir,
            state,
            epoch: 0,
            paths: Vec::new(),
            slot: Vec::with_capacity(SLOT_LEN),
            marked: Vec::new(),
            marked_fds: Vec::new(),
            ids: Vec::new(),
            prev: Previous::default(),
            wrote: false,
            unremoved: Vec::new(),
        };
        k.write_slot(0, 0, std::iter::empty(), clock);
        std::fs::rename(&tmp, &path).map_err(|e| {
            named(e, format!("cannot rename {} to {}", tmp.display(), path.display()))
        })?;
        for p in old_files.iter().filter(|p| **p != path) {
            match std::fs::remove_file(p) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    k.unremoved.push(format!("cannot remove {}: {e}", p.display()));
                }
                _ => {}
            }
        }
        Ok(k)
    }

    /// What [`Keeper::begin`] could not remove, in words, one per file.
    pub(crate) fn unremoved(&self) -> &[String] {
        &self.unremoved
    }

    /// Recovery's handle on the dead process's state file, in place (no
    /// new file, so it works on a full disk): before the recovered records
    /// are written, each file entry in `cut` (its offset in the state
    /// file, its length after recovery's cut) says that length and 0
    /// bytes `written` since; then [`Keeper::mark_file`] counts each write
    /// of the recovery there, and adds each file the state does not hold
    /// before its first write — as for a running writer. A recovery that
    /// fails leaves the state saying what it appended, so the next start
    /// cuts exactly that. Never commits (`commit` is not called on it).
    ///
    /// `generation` and `committed`: what recovery read; a state file
    /// that says otherwise now is not used. A version 3 state becomes
    /// version 4 (every entry's `written` unknown, then the version: one
    /// store), so the counts are read.
    pub(crate) fn resume(
        dir: Arc<CrashDir>,
        generation: u64,
        committed: u64,
        cut: &[(usize, u64)],
    ) -> io::Result<Keeper> {
        let path = dir.dir.join(STATE_FILE);
        let changed = |why: String| io::Error::other(format!("{}: {why}", path.display()));
        let f = super::entry::open(&path, std::fs::OpenOptions::new().read(true).write(true))
            .map_err(|e| match e {
                super::entry::NotOpened::NotRegular(what) => {
                    io::Error::other(format!("{} is {what}", path.display()))
                }
                super::entry::NotOpened::Io(e) => named(e, format!("cannot open {}", path.display())),
            })?;
        let meta = f.metadata().map_err(|e| named(e, format!("cannot stat {}", path.display())))?;
        if meta.len() != STATE_LEN as u64 {
            return Err(changed(format!("{} bytes, not a state file", meta.len())));
        }
        let state = (MmapOptions::new().len(STATE_LEN).map_raw(&f))
            .map_err(|e| named(e, format!("cannot map {}", path.display())))?;
        // SAFETY: the mapping is STATE_LEN bytes; the directory is locked,
        // so no other logger writes the file meanwhile.
        let bytes = unsafe { std::slice::from_raw_parts(state.as_ptr(), STATE_LEN) }.to_vec();
        let image = parse_state(&bytes).map_err(changed)?;
        if (image.generation, image.committed) != (generation, committed) {
            return Err(changed("changed since recovery read it".to_owned()));
        }
        let slot_at = SLOT_OFFSET + (committed & 1) as usize * SLOT_LEN;
        // Within the slot: entries start at multiples of 8 and end in it
        // (`parse_state`), so padding to 8 does not pass its end.
        let used = image.files.last().map_or(SLOT_FIXED, |m| {
            m.at - slot_at + FILE_FIXED + align(m.path.as_os_str().len())
        });
        debug_assert!(used <= SLOT_LEN);
        let mut k = Keeper {
            dir,
            state,
            epoch: committed,
            paths: (image.files.iter())
                .map(|m| ((m.dev, m.ino), m.path.as_os_str().as_bytes().to_vec()))
                .collect(),
            slot: bytes[slot_at..slot_at + used].to_vec(),
            marked: image.files.iter().map(|m| (m.dev, m.ino)).collect(),
            marked_fds: Vec::new(),
            ids: Vec::new(),
            prev: Previous::default(),
            wrote: false,
            unremoved: Vec::new(),
        };
        let old = get_u32(&bytes, S_VERSION) != Some(STATE_VERSION);
        for m in &image.files {
            let at = m.at - slot_at;
            match cut.iter().find(|c| c.0 == m.at) {
                Some(&(_, len)) => {
                    k.store_u64(at + F_LEN, len);
                    k.store_u32(at + F_WRITTEN, 0);
                }
                // Version 3 has 0 there, for unknown.
                None if old => k.store_u32(at + F_WRITTEN, WRITTEN_UNKNOWN),
                None => {}
            }
        }
        if old {
            // SAFETY: in bounds and 4-aligned in the page-aligned mapping,
            // which only this thread writes. Release: every entry's
            // `written` before (a death needs no more: no other thread
            // reads the state).
            let word = unsafe { &*(k.state.as_mut_ptr().add(S_VERSION) as *const AtomicU32) };
            word.store(STATE_VERSION, Ordering::Release);
        }
        Ok(k)
    }

    fn committed_word(&self) -> &AtomicU64 {
        // SAFETY: in bounds and 8-aligned in a page-aligned mapping that
        // lives as long as `self`; only accessed atomically.
        unsafe { &*(self.state.as_mut_ptr().add(S_COMMITTED) as *const AtomicU64) }
    }

    /// Commits (see the module docs) if a ring was read or a batch went
    /// to a file since the last commit; call only when every record read
    /// completed in the sinks.
    pub(crate) fn commit<'a>(
        &mut self,
        files: impl Iterator<Item = &'a SharedFd>,
        clock: &Converter,
    ) {
        let dir = self.dir.clone();
        let mut rings = lock(&dir.rings);
        let pos = |r: &super::RingFile| r.read_pos.load(Ordering::Relaxed);
        let dirty = (rings.iter()).any(|r| pos(r) != r.free_pos.load(Ordering::Relaxed));
        let dirty_or_wrote = dirty || self.wrote;
        if dirty_or_wrote {
            self.wrote = false;
            let e = self.epoch + 1;
            let p = (e & 1) as usize;
            for r in rings.iter() {
                r.header_u64(H_RELEASED + 16 * p)
                    .store(pos(r), Ordering::Relaxed);
                r.header_u64(H_RELEASED_EPOCH + 16 * p)
                    .store(e, Ordering::Relaxed);
            }
            self.write_slot(p, e, files, clock);
            // Release: pairs with the Acquire of a reader of the live
            // directory; the positions and the slot are written before.
            self.committed_word().store(e, Ordering::Release);
            // Release: pairs with the Acquire in `CrashDir::new_ring`.
            dir.committed.store(e, Ordering::Release);
            self.epoch = e;
            for r in rings.iter() {
                // Release: pairs with the producer's Acquire load of
                // `free_pos`; our reads of the space happened before.
                r.free_pos.store(pos(r), Ordering::Release);
                // After the store: a `Block` producer waiting for room
                // (`RingShared::wait_for_room`) re-checks `free_pos`.
                r.shared.room_released();
            }
        }
        rings.retain(|r| {
            let done = Arc::strong_count(r) == 1
                && pos(r) == r.write_pos()
                && r.free_pos.load(Ordering::Relaxed) == pos(r);
            if done {
                let _ = std::fs::remove_file(&r.path);
            }
            !done
        });
        drop(rings);
        if dirty_or_wrote {
            // The call-site table deleted since the last commit is written
            // again (one `lstat` a commit): the records pending after this
            // commit render through it. After the space went back and the
            // producers were woken, so they do not wait for the system
            // call; a record they log meanwhile is pending all the same
            // and renders through the table this writes. A failure is
            // reported by the next call site's registration.
            let _ = dir.sites.keep_present();
        }
    }

    /// Writes state slot `p` for epoch `e`.
    fn write_slot<'a>(
        &mut self,
        p: usize,
        e: u64,
        files: impl Iterator<Item = &'a SharedFd>,
        clock: &Converter,
    ) {
        std::mem::swap(&mut self.slot, &mut self.prev.slot);
        let s = &mut self.slot;
        s.clear();
        s.resize(SLOT_FIXED, 0);
        put_u64(s, 0, e);
        if let Some((tick, ns, rate)) = clock.anchor() {
            put_u32(s, 8, 1);
            put_u64(s, 16, tick);
            put_u64(s, 24, ns);
            put_u64(s, 32, rate.to_bits());
        }
        let Previous { slot: prev_slot, fds: prev_fds, ids: prev_ids } = &mut self.prev;
        std::mem::swap(&mut self.marked_fds, prev_fds);
        std::mem::swap(&mut self.ids, prev_ids);
        self.marked.clear();
        self.marked_fds.clear();
        self.ids.clear();
        for fd in files {
            let st = known_len(prev_slot, prev_fds, prev_ids, fd).or_else(|| stat(fd));
            push_file(s, &mut self.paths, &mut self.marked, fd, st);
            self.marked_fds.push(fd.clone());
            self.ids.push(st.map(|x| x.0));
        }
        prev_fds.clear();
        prev_ids.clear();
        // Only the files listed: a rotating sink's files come and go.
        let marked = &self.marked;
        self.paths.retain(|(id, _)| marked.contains(id));
        put_u32(s, 12, self.marked.len() as u32);
        let off = SLOT_OFFSET + p * SLOT_LEN;
        // SAFETY: `s.len() <= SLOT_LEN`, so the copy stays inside slot `p`
        // of the STATE_LEN-byte mapping, which only this thread writes.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), self.state.as_mut_ptr().add(off), s.len())
        };
    }

    /// Before each write to `fd` (`appended`: the bytes it appends, `None`
    /// for a positioned write): when the committed slot does not hold its
    /// file, adds it with its length now, in place (the entry, then the
    /// count, a single store), so a death before the next commit cuts the
    /// file back to that length rather than leaving the records of the
    /// batch about to be written to be written again by recovery.
    ///
    /// The committed slot's other contents stay as they are, but for the
    /// file's entry, each field changed by one store: at the first write
    /// to a file since the last commit, its length becomes its length now
    /// when that differs (truncated under the logger, logrotate's
    /// `copytruncate`; or appended to by another writer, a forked child:
    /// bytes that are not this process's to cut; one `fstat` per file per
    /// commit, when `written` is still 0); and before every write,
    /// `written` counts the bytes this
    /// process appends, so recovery cuts nothing that another writer
    /// appended after the last batch (see `layout`).
    pub(crate) fn mark_file(&mut self, fd: &SharedFd, appended: Option<u64>) {
        self.wrote = true;
        // The descriptor of every batch: known without a system call
        // (but the one `fstat` at its first write since the commit).
        if let Some(i) = self.marked_fds.iter().position(|m| Arc::ptr_eq(m, fd)) {
            if let Some(id) = self.ids[i] {
                self.update_entry(fd, id, appended);
            }
            return;
        }
        let st = stat(fd);
        self.marked_fds.push(fd.clone());
        self.ids.push(st.map(|x| x.0));
        let at = self.slot.len();
        if !push_file(&mut self.slot, &mut self.paths, &mut self.marked, fd, st) {
            // Held already, through another descriptor (`reopen` of the
            // same file): this batch counts in its entry all the same.
            if let Some((id, _)) = st {
                self.update_entry(fd, id, appended);
            }
            return;
        }
        put_u32(&mut self.slot, at + F_WRITTEN, add_written(0, appended));
        let mut count = [0u8; 4];
        put_u32(&mut count, 0, self.marked.len() as u32);
        put_u32(&mut self.slot, 12, self.marked.len() as u32);
        let slot = self.live_slot();
        // SAFETY: `self.slot.len() <= SLOT_LEN` (`push_file`), so the copy
        // stays inside the committed slot of the STATE_LEN-byte mapping,
        // which only this thread writes; the count word is 4-aligned (at
        // 12 in a slot of a page-aligned mapping).
        unsafe {
            let entry = &self.slot[at..];
            std::ptr::copy_nonoverlapping(entry.as_ptr(), slot.add(at), entry.len());
            // The entry lies past the count, unread until the count
            // covers it: a death before this one store leaves the slot as
            // it was. Release: the entry's bytes before the count (a death
            // needs no more: no other thread reads the live slot).
            let word = &*(slot.add(12) as *const AtomicU32);
            word.store(u32::from_ne_bytes(count), Ordering::Release);
        }
    }

    /// After an append to `fd` counted by [`Keeper::mark_file`] failed:
    /// `bytes` of it are not in the file (never written, or cut off again
    /// by the writer), so they come off `written` — else a next start
    /// would take as many of another writer's bytes for this process's.
    pub(crate) fn unmark_failed(&mut self, fd: &SharedFd, bytes: u64) {
        let Some(i) = self.marked_fds.iter().position(|m| Arc::ptr_eq(m, fd)) else {
            return;
        };
        let Some(at) = self.ids[i].and_then(|id| entry_of(&self.slot, id)) else {
            return;
        };
        let old = get_u32(&self.slot, at + F_WRITTEN).unwrap_or(WRITTEN_UNKNOWN);
        if old != WRITTEN_UNKNOWN {
            // The batch's bytes were counted in `old`, so this stays >= 0;
            // saturating all the same.
            let new = u32::try_from((old as u64).saturating_sub(bytes)).unwrap_or(old);
            self.store_u32(at + F_WRITTEN, new);
        }
    }

    /// The committed slot in the mapping.
    fn live_slot(&self) -> *mut u8 {
        let off = SLOT_OFFSET + (self.epoch & 1) as usize * SLOT_LEN;
        // SAFETY: `off + SLOT_LEN <= STATE_LEN`, the mapping's length.
        unsafe { self.state.as_mut_ptr().add(off) }
    }

    /// Updates the committed slot's entry of `fd`'s file `id`, if it
    /// holds one (see [`Keeper::mark_file`]): before the first write to
    /// it since the commit (`written` 0), its length to the file's length
    /// now when that differs; then its `written` by `appended`.
    fn update_entry(&mut self, fd: &SharedFd, id: (u64, u64), appended: Option<u64>) {
        let Some(at) = entry_of(&self.slot, id) else { return };
        let old = get_u32(&self.slot, at + F_WRITTEN).unwrap_or(WRITTEN_UNKNOWN);
        let now = (old == 0).then(|| stat(fd).map(|x| x.1)).flatten();
        if let Some(len) = now.filter(|&l| get_u64(&self.slot, at + F_LEN) != Some(l)) {
            // One store: a death leaves the old length or the new one,
            // and `written` (0: no write since the commit yet) fits either.
            self.store_u64(at + F_LEN, len);
        }
        let new = add_written(old, appended);
        if new != old {
            // Stored before the write it counts.
            self.store_u32(at + F_WRITTEN, new);
        }
    }

    /// Stores `v` at `at` of the committed slot, in its image and in the
    /// mapping (one store; `at` is a field of an entry the image holds).
    fn store_u64(&mut self, at: usize, v: u64) {
        put_u64(&mut self.slot, at, v);
        // SAFETY: `at + 8 <= self.slot.len() <= SLOT_LEN` (`put_u64`
        // checked), inside the committed slot, which only this thread
        // writes; entries and their u64 fields start at multiples of 8 in
        // a page-aligned mapping, so the word is aligned.
        let word = unsafe { &*(self.live_slot().add(at) as *const AtomicU64) };
        // Release: the stores before it first (a death needs no more: no
        // other thread reads the live slot).
        word.store(v, Ordering::Release);
    }

    /// [`Keeper::store_u64`] for a u32 field (4-aligned: at 24 or 28 in an
    /// entry at a multiple of 8).
    fn store_u32(&mut self, at: usize, v: u32) {
        put_u32(&mut self.slot, at, v);
        // SAFETY: as in `store_u64`, for 4 bytes at a multiple of 4.
        let word = unsafe { &*(self.live_slot().add(at) as *const AtomicU32) };
        // Release: as in `store_u64`.
        word.store(v, Ordering::Release);
    }

    /// At a shutdown that may have left records unwritten (it gave up on a
    /// stuck sink, its final writes dropped some): the directory stays as
    /// a crash leaves it — the last commit, the ring files — so the next
    /// logger built on it writes what this one counted dropped; only the
    /// lock goes.
    pub(crate) fn leave(&mut self) {
        self.dir.unlock();
    }

    /// At shutdown, once everything is written: removes every ring file,
    /// the call-site table and the state file, and unlocks the directory.
    ///
    /// When a file of the dead process that this one recovered could not
    /// be removed (see [`Keeper::unremoved`]), the state file stays,
    /// committing an epoch with nothing pending in any ring and no file to
    /// cut: it names this generation, so the next start takes that file
    /// for one already recovered instead of writing its records again
    /// (without a state file every ring file is read as pending), and
    /// numbers its own files past it.
    pub(crate) fn finish(&mut self, clock: &Converter) {
        let kept = !self.unremoved.is_empty();
        let e = self.epoch + 1;
        let p = (e & 1) as usize;
        for r in lock(&self.dir.rings).drain(..) {
            if kept {
                // Everything is written: its read position is its end.
                let end = r.read_pos.load(Ordering::Relaxed);
                r.header_u64(H_RELEASED + 16 * p).store(end, Ordering::Relaxed);
                r.header_u64(H_RELEASED_EPOCH + 16 * p).store(e, Ordering::Relaxed);
            }
            let _ = std::fs::remove_file(&r.path);
        }
        self.dir.sites.remove();
        match kept {
            true => {
                self.write_slot(p, e, std::iter::empty(), clock);
                // Release: as in `commit`, after the positions and slot.
                self.committed_word().store(e, Ordering::Release);
                self.epoch = e;
            }
            false => {
                let _ = std::fs::remove_file(self.dir.dir.join(STATE_FILE));
            }
        }
        self.dir.unlock();
    }
}

/// `e` said with what failed (`what`, naming the path), its kind kept.
fn named(e: io::Error, what: String) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Appends to slot image `s` the entry of `fd`'s file (its identity,
/// length and path) unless `marked` holds it already or it does not fit
/// (an unnamed or too long path, a full slot); true when appended, and
/// `marked` then holds it.
fn push_file(
    s: &mut Vec<u8>,
    paths: &mut Vec<((u64, u64), Vec<u8>)>,
    marked: &mut Vec<(u64, u64)>,
    fd: &SharedFd,
    st: Option<((u64, u64), u64)>,
) -> bool {
    let Some((id, len)) = st else { return false };
    if marked.contains(&id) {
        return false;
    }
    let path = match paths.iter().find(|(k, _)| *k == id) {
        Some((_, p)) => p.clone(),
        None => {
            let p = fd_path(fd);
            paths.push((id, p.clone()));
            p
        }
    };
    let need = FILE_FIXED + align(path.len());
    if path.is_empty() || path.len() > MAX_PATH_LEN || s.len() + need > SLOT_LEN {
        return false;
    }
    marked.push(id);
    let at = s.len();
    s.resize(at + need, 0);
    put_u64(s, at + F_DEV, id.0);
    put_u64(s, at + F_INO, id.1);
    put_u64(s, at + F_LEN, len);
    put_u32(s, at + F_PATH_LEN, path.len() as u32);
    s[at + FILE_FIXED..at + FILE_FIXED + path.len()].copy_from_slice(&path);
    true
}

/// `written` plus the bytes of a write (`None`: unknown), saturating.
fn add_written(written: u32, appended: Option<u64>) -> u32 {
    match appended {
        Some(n) if written != WRITTEN_UNKNOWN => {
            u32::try_from(written as u64 + n).unwrap_or(WRITTEN_UNKNOWN)
        }
        _ => WRITTEN_UNKNOWN,
    }
}

/// Where slot image `s` holds the entry of file `id`.
fn entry_of(s: &[u8], id: (u64, u64)) -> Option<usize> {
    let n = get_u32(s, 12)? as usize;
    let mut at = SLOT_FIXED;
    for _ in 0..n {
        if (get_u64(s, at + F_DEV)?, get_u64(s, at + F_INO)?) == id {
            return Some(at);
        }
        at += FILE_FIXED + align(get_u32(s, at + F_PATH_LEN)? as usize);
    }
    None
}

/// `((dev, ino), length)` of `fd`'s file without a system call, when the
/// previous commit's slot (`slot`, its descriptors `fds` and their
/// identities `ids`) knows it: its entry's length plus the bytes counted
/// appended since (`written`, which a failed write's unwritten bytes came
/// off again). `None` when the descriptor is new, its file not held, or
/// a positioned write made `written` unknown: then `fstat`.
///
/// The length is exact unless another writer appended, the file was
/// truncated, or an append io_uring abandoned (its bytes stay counted,
/// they may never land) since the entry's length was taken. Either way recovery
/// reads nothing from it: an entry that counts no byte `written` is never
/// cut (`cut_file`), and before the first write after the commit
/// `update_entry` takes the file's length with `fstat` and stores it when
/// it differs, before `written` counts that write. So the commit needs no
/// `fstat` of a file it held (the `fstat` at the first write, which finds
/// a truncation or another writer's bytes, stays).
fn known_len(
    slot: &[u8],
    fds: &[SharedFd],
    ids: &[Option<(u64, u64)>],
    fd: &SharedFd,
) -> Option<((u64, u64), u64)> {
    let i = fds.iter().position(|m| Arc::ptr_eq(m, fd))?;
    let id = ids[i]?;
    let at = entry_of(slot, id)?;
    let written = get_u32(slot, at + F_WRITTEN)?;
    if written == WRITTEN_UNKNOWN {
        return None;
    }
    Some((id, get_u64(slot, at + F_LEN)? + written as u64))
}

/// `((dev, ino), length)` of a regular file.
fn stat(fd: &SharedFd) -> Option<((u64, u64), u64)> {
    // SAFETY: `st` is written by fstat before it is read; zeroed is a
    // valid `stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a valid out pointer.
    if unsafe { libc::fstat(fd.as_fd().as_raw_fd(), &mut st) } != 0 {
        return None;
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return None;
    }
    Some(((st.st_dev, st.st_ino), st.st_size as u64))
}

/// The path a descriptor was opened with (empty when unknown).
fn fd_path(fd: &SharedFd) -> Vec<u8> {
    let link = format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd());
    std::fs::read_link(link)
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crash_safe::recover::FileMark;
    use std::fs::{File, OpenOptions};
    use std::io::Write;

    fn marks(dir: &std::path::Path) -> Vec<FileMark> {
        let b = std::fs::read(dir.join(STATE_FILE)).unwrap();
        parse_state(&b).unwrap().files
    }

    /// A temporary directory holding a crash-safe directory (`cs`) and a
    /// log (`app.log`).
    struct Held {
        tmp: tempfile::TempDir,
        cs: std::path::PathBuf,
    }

    impl Held {
        /// A new descriptor of the log, opened to append (created first).
        fn open(&self) -> File {
            let log = self.tmp.path().join("app.log");
            (OpenOptions::new().create(true).append(true).open(log)).unwrap()
        }
    }

    /// A keeper begun on a fresh crash-safe directory, its clock, and
    /// where it and its log live.
    fn keeper_on_a_log() -> (Keeper, Converter, Held) {
        let tmp = tempfile::tempdir().unwrap();
        let cs = tmp.path().join("cs");
        let (dir, _) = CrashDir::open(&cs, 4096, false).unwrap();
        let clock = Converter::from_anchor(None);
        let k = Keeper::begin(dir, &[], &clock).unwrap();
        (k, clock, Held { tmp, cs })
    }

    /// `reopen` without a rotation (SIGHUP) opens the same file through a
    /// new descriptor: its batches count in the committed entry's
    /// `written` from the first one on, or a death right after that batch
    /// leaves it past the committed length uncut and recovery writes it
    /// again.
    #[test]
    fn a_new_descriptor_of_a_held_file_counts_its_first_batch() {
        let (mut k, clock, held) = keeper_on_a_log();
        let (open, cs) = (|| held.open(), &held.cs);
        let fd1: SharedFd = Arc::new(open());
        k.mark_file(&fd1, Some(10));
        open().write_all(b"0123456789").unwrap();
        k.commit(std::iter::once(&fd1), &clock);
        let m = marks(cs);
        assert_eq!((m.len(), m[0].len, m[0].written), (1, 10, 0));

        let fd2: SharedFd = Arc::new(open());
        k.mark_file(&fd2, Some(7));
        let m = marks(cs);
        assert_eq!((m.len(), m[0].len, m[0].written), (1, 10, 7));
        k.mark_file(&fd2, Some(5));
        k.mark_file(&fd1, Some(1));
        let m = marks(cs);
        assert_eq!((m.len(), m[0].len, m[0].written), (1, 10, 13));
    }

    /// A commit takes a held file's length from its entry and count, not
    /// from the file (no `fstat`): bytes another writer appended since
    /// (or a write's bytes that failed) are not this process's. The first
    /// write after the commit takes the file's length, before counting.
    #[test]
    fn a_commit_counts_a_held_files_length_and_the_next_write_measures_it() {
        let (mut k, clock, held) = keeper_on_a_log();
        let (open, cs) = (|| held.open(), &held.cs);
        let fd: SharedFd = Arc::new(open());
        k.mark_file(&fd, Some(10));
        open().write_all(b"0123456789").unwrap();
        k.mark_file(&fd, Some(8));
        k.unmark_failed(&fd, 8);
        open().write_all(b"other\n").unwrap();
        k.commit(std::iter::once(&fd), &clock);
        let m = marks(cs);
        assert_eq!((m.len(), m[0].len, m[0].written), (1, 10, 0));

        k.mark_file(&fd, Some(3));
        let m = marks(cs);
        assert_eq!((m.len(), m[0].len, m[0].written), (1, 16, 3));
    }
}
