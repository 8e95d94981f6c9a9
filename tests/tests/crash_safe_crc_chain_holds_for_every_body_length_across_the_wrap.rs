//! Each crash-safe frame carries the crc32c of the frame before it, taken
//! when the frame is committed (after its record is encoded). Records of
//! every message length from 0 to 300 bytes and without arguments (every
//! arm of the inline crc of a short body a record reaches, 3 words and
//! up, and the long bodies), logged right before and after the ring
//! wraps — a frame ending exactly at the data area's end (a long body, or
//! a 3-word one), or 8 to 136 bytes short of it — are each recovered once,
//! in order, none reported corrupt: in process (the writer given up) and
//! after a `SIGKILL`. A byte flipped in one frame of a killed process's
//! ring (but the newest, which carries no crc yet) loses exactly that
//! record.
//!
//! The ring's write position is read from the ring file (its header's
//! published position): records committed by a flush move it to the
//! chosen place before the writer is held.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;
use uringlog::{Format, Formatting, Logger, MemorySink, SinkOptions, Timestamp};

const CAP: usize = 64 * 1024;
/// The published write position in a ring file's header.
const H_WRITE: usize = 128;
const CHILD: &str = "URINGLOG_CRC_CHAIN_CHILD";

/// A sink that writes until `hold` is set, then blocks in its next write
/// (setting `entered`) until released.
struct HoldSink {
    hold: Arc<AtomicBool>,
    entered: Arc<AtomicBool>,
    release: Option<mpsc::Receiver<()>>,
}

impl uringlog::Sink for HoldSink {
    fn describe(&self) -> String {
        "hold".to_owned()
    }
    fn target(&mut self, _: usize) -> std::io::Result<uringlog::Target> {
        Ok(uringlog::Target::Inline)
    }
    fn write_inline(&mut self, _: &[u8]) -> std::io::Result<()> {
        if self.hold.load(Ordering::SeqCst) {
            if let Some(rx) = self.release.take() {
                self.entered.store(true, Ordering::SeqCst);
                let _ = rx.recv();
            }
        }
        Ok(())
    }
}

fn plain() -> Format {
    Format::text().timestamp(Timestamp::Off).without_target()
}

/// The message argument of length `len`: a marker `#nnn#` (unique per
/// length, to find the frame in the ring file) padded with letters.
fn body(len: usize) -> String {
    let mut s = if len >= 5 {
        format!("#{len:03}#")
    } else {
        String::new()
    };
    while s.len() < len {
        s.push((b'a' + (s.len() % 26) as u8) as char);
    }
    s
}

/// Pads through one call site (its frame size depends only on `len`).
fn pad(logger: &Logger, len: usize) {
    uringlog::info!(logger, "pad {}", body(len).as_str());
}

/// Three records without arguments (the smallest deferred body, 3 words),
/// then one per length: every third with a format spec, which the caller
/// measures before the record is written (another route into the ring).
fn group(logger: &Logger, lens: &[usize]) {
    for _ in 0..3 {
        uringlog::info!(logger, "e");
    }
    for &l in lens {
        if l % 3 == 0 {
            uringlog::info!(logger, "h {:>1}", body(l).as_str());
        } else {
            uringlog::info!(logger, "g {}", body(l).as_str());
        }
    }
}

/// The line of [`group`]'s record of length `l`.
fn group_line(l: usize) -> String {
    match l % 3 {
        0 => format!("INFO  h {:>1}", body(l)),
        _ => format!("INFO  g {}", body(l)),
    }
}

fn ring_file(dir: &Path) -> PathBuf {
    let rings: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("ring-")
        })
        .collect();
    assert_eq!(rings.len(), 1, "{rings:?}");
    rings[0].clone()
}

fn write_pos(dir: &Path) -> u64 {
    let b = std::fs::read(ring_file(dir)).unwrap();
    u64::from_le_bytes(b[H_WRITE..H_WRITE + 8].try_into().unwrap())
}

/// The frame size of a pad of `len` bytes, logged and committed.
fn frame(logger: &Logger, dir: &Path, len: usize) -> usize {
    let before = write_pos(dir);
    pad(logger, len);
    logger.flush().unwrap();
    (write_pos(dir) - before) as usize
}

/// Logs and commits pads until the ring's next frame starts where a
/// 200-byte pad's frame ends `short` bytes before the data area's end.
fn position(logger: &Logger, dir: &Path, short: usize) {
    // The ring file is made at the thread's first record.
    pad(logger, 0);
    logger.flush().unwrap();
    let f300 = frame(logger, dir, 300);
    let f200 = frame(logger, dir, 200);
    let target = (2 * CAP - short - f200) % CAP;
    // A pad's frame is `roundup8(c + len)`, `c + 300` in `f300 - 8 .. f300`.
    let c = f300 - 300;
    loop {
        let at = write_pos(dir) as usize % CAP;
        let rem = (target + CAP - at) % CAP;
        if rem == 0 {
            return;
        }
        match rem.checked_sub(c) {
            Some(len) if (150..=300).contains(&len) => {
                assert_eq!(frame(logger, dir, len), rem, "pad of {len}");
            }
            _ => {
                frame(logger, dir, 300);
            }
        }
    }
}

/// A logger on `dir` positioned so that, after a held record (a 200-byte
/// pad), the next frame starts `short` bytes before the data area's end;
/// the writer held in that record's write.
fn held_logger(
    dir: &Path,
    short: usize,
    formatting: Formatting,
) -> (Logger, uringlog::WriterGuard, mpsc::Sender<()>) {
    let hold = Arc::new(AtomicBool::new(false));
    let entered = Arc::new(AtomicBool::new(false));
    let (release, rx) = mpsc::channel();
    let sink = HoldSink {
        hold: hold.clone(),
        entered: entered.clone(),
        release: Some(rx),
    };
    let (logger, guard) = Logger::builder()
        .sink_with(sink, SinkOptions::new().format(plain()))
        .ring_capacity(CAP)
        .formatting(formatting)
        .crash_safe(dir)
        .build()
        .unwrap();
    position(&logger, dir, short);
    hold.store(true, Ordering::SeqCst);
    pad(&logger, 200);
    uringlog_tests::wait_until_stuck(&entered);
    assert_eq!(write_pos(dir) as usize % CAP, (CAP - short) % CAP);
    (logger, guard, release)
}

/// Recovers `dir` into memory: the lines.
fn recover(dir: &Path) -> Vec<String> {
    let (sink, lines) = MemorySink::new();
    let (_l, guard) = Logger::builder()
        .sink_with(sink, SinkOptions::new().format(plain()))
        .ring_capacity(CAP)
        .crash_safe(dir)
        .build()
        .unwrap();
    guard.shutdown(Duration::from_secs(30)).unwrap();
    lines.lines()
}

fn want(lens: &[usize], skipped: &[usize]) -> Vec<String> {
    let mut w = vec![format!("INFO  pad {}", body(200))];
    w.extend(["INFO  e"; 3].map(String::from));
    w.extend(
        lens.iter()
            .filter(|l| !skipped.contains(l))
            .map(|&l| group_line(l)),
    );
    w
}

fn summary(n: usize, pid: u32, skipped: usize) -> String {
    format!(
        "WARN  crash-safe recovery: {n} records recovered from process {pid} (generation 1), {skipped} torn or corrupt records skipped"
    )
}

/// Half the lengths at a time: a group must fit the ring (the writer
/// commits nothing while held).
fn halves() -> [Vec<usize>; 2] {
    [(0..=150).collect(), (151..=300).collect()]
}

#[test]
fn every_body_length_before_and_after_the_wrap_is_recovered_once() {
    recovered_once(Formatting::Deferred);
}

/// Text records (the caller formats): the smallest bodies are shorter.
#[test]
fn every_text_body_length_before_and_after_the_wrap_is_recovered_once() {
    recovered_once(Formatting::Caller);
}

fn recovered_once(formatting: Formatting) {
    // 40 and 120: the first or third argument-less record (40 bytes,
    // deferred) ends exactly at the data end, its crc taken inline there.
    for short in [0, 8, 16, 24, 40, 48, 120, 136] {
        for lens in halves() {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("cs");
            let (logger, guard, release) = held_logger(&dir, short, formatting);
            group(&logger, &lens);
            // The writer stays held in the sink until `release` below, so
            // the shutdown times out whatever its timeout: the shortest
            // one takes the same path without waiting.
            guard.shutdown(Duration::from_millis(1)).unwrap_err();
            release.send(()).unwrap();
            let _ = logger.flush();
            drop(logger);
            let lines = recover(&dir);
            let w = want(&lens, &[]);
            assert_eq!(
                lines[0],
                summary(w.len(), std::process::id(), 0),
                "short {short}"
            );
            assert_eq!(lines[1..], w[..], "short {short}");
        }
    }
}

/// The child (`CHILD` is `dir,lo,hi,short`): positions, holds the
/// writer, logs the group of lengths `lo..=hi`, dies by `SIGKILL`.
fn child(spec: &str) -> ! {
    let v: Vec<&str> = spec.split(',').collect();
    let n: Vec<usize> = v[1..].iter().map(|x| x.parse().unwrap()).collect();
    let (logger, _guard, _release) = held_logger(Path::new(v[0]), n[2], Formatting::Deferred);
    group(&logger, &(n[0]..=n[1]).collect::<Vec<_>>());
    uringlog_tests::crash_child::kill_self()
}

/// The data offset of the frame whose record holds `marker`.
fn find(b: &[u8], marker: &[u8]) -> usize {
    let data = &b[4096..];
    let at = (data.windows(marker.len()))
        .position(|w| w == marker)
        .unwrap_or_else(|| panic!("{:?} in the ring", String::from_utf8_lossy(marker)));
    assert!(
        !data[at + 1..].windows(marker.len()).any(|w| w == marker),
        "one {:?}",
        String::from_utf8_lossy(marker)
    );
    4096 + at
}

/// Runs `test` as the child on a fresh directory; the directory and the
/// child's pid.
fn killed(test: &str, lo: usize, hi: usize, short: usize) -> (tempfile::TempDir, PathBuf, u32) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let spec = format!("{},{lo},{hi},{short}", dir.display());
    let (pid, status) = uringlog_tests::crash_child::run_self(test, CHILD, &spec);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    (tmp, dir, pid)
}

#[test]
fn after_sigkill_every_record_is_recovered_once_and_a_flipped_byte_loses_one() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let test = "after_sigkill_every_record_is_recovered_once_and_a_flipped_byte_loses_one";
    for (lo, hi, short) in [(0, 150, 0), (151, 300, 8), (0, 150, 120), (0, 150, 136)] {
        let (_tmp, dead_dir, pid) = killed(test, lo, hi, short);
        let lens: Vec<usize> = (lo..=hi).collect();
        let clean = tempfile::tempdir().unwrap();
        let flipped = clean.path().join("flipped");
        copy_dir(&dead_dir, &flipped);
        let lines = recover(&dead_dir);
        let w = want(&lens, &[]);
        assert_eq!(lines[0], summary(w.len(), pid, 0));
        assert_eq!(lines[1..], w[..]);
        // A byte of one record flipped: the first two marked, and the one
        // before the newest (whose crc the newest carries; the newest has
        // none yet and is taken unchecked, see the layout).
        for victim in [lo.max(5), lo.max(5) + 1, hi - 1] {
            let run = clean.path().join(format!("v{victim}"));
            copy_dir(&flipped, &run);
            let ring = ring_file(&run);
            let mut b = std::fs::read(&ring).unwrap();
            let at = find(&b, format!("#{victim:03}#").as_bytes());
            b[at + 1] ^= 0x01;
            std::fs::write(&ring, &b).unwrap();
            let lines = recover(&run);
            let w = want(&lens, &[victim]);
            assert_eq!(lines[0], summary(w.len(), pid, 1), "victim {victim}");
            assert_eq!(lines[1..], w[..], "victim {victim}");
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The pending frames of the one ring in `b` (a ring file): each one's
/// position and framed length, from the released position to the
/// written one.
fn pending_frames(b: &[u8]) -> Vec<(u64, usize)> {
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let write = u64_at(H_WRITE);
    let byte = |p: u64| b[4096 + (p % CAP as u64) as usize];
    let len_at = |p: u64| u32::from_le_bytes([0, 1, 2, 3].map(|k| byte(p + k))) as usize;
    let mut starts = [u64_at(256), u64_at(272)];
    starts.sort_unstable();
    for &from in starts.iter().rev() {
        let (mut at, mut frames) = (from, Vec::new());
        while at < write && from + CAP as u64 > write {
            let framed = len_at(at).next_multiple_of(8);
            frames.push((at, framed));
            at += framed as u64;
        }
        if at == write && !frames.is_empty() {
            return frames;
        }
    }
    panic!("no released position walks to the written one {write}");
}

/// Whether `got` is `want` with some records left out, in order.
fn in_order_subset(got: &[String], want: &[String]) -> bool {
    let mut w = want.iter();
    got.iter().all(|g| w.any(|x| x == g))
}

#[test]
fn a_byte_flipped_in_a_killed_ring_loses_exactly_its_frame_and_never_panics() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let test = "a_byte_flipped_in_a_killed_ring_loses_exactly_its_frame_and_never_panics";
    // The wrap 48 bytes after the held record: a frame straddles it.
    let (lo, hi) = (0, 40);
    let (tmp, dir, pid) = killed(test, lo, hi, 48);
    let lens: Vec<usize> = (lo..=hi).collect();
    let all = want(&lens, &[]);
    let ring = ring_file(&dir);
    let clean = std::fs::read(&ring).unwrap();
    let frames = pending_frames(&clean);
    assert_eq!(frames.len(), all.len());
    for (i, &(at, framed)) in frames.iter().enumerate() {
        let len = u32::from_le_bytes(
            [0, 1, 2, 3].map(|k| clean[4096 + ((at + k) % CAP as u64) as usize]),
        ) as usize;
        let mut offsets = vec![0, 3, 4, 7, 8, 15, 16, len / 2 + 8, len - 1, framed - 1];
        offsets.sort_unstable();
        offsets.dedup();
        for off in offsets {
            let run = tmp.path().join(format!("f{i}-{off}"));
            copy_dir(&dir, &run);
            let mut b = clean.clone();
            let p = 4096 + ((at + off as u64) % CAP as u64) as usize;
            b[p] ^= 0x10;
            std::fs::write(ring_file(&run), &b).unwrap();
            let lines = recover(&run);
            let what = format!(
                "frame {i} of {}, byte {off} of {framed} (record {len})",
                all.len()
            );
            let (n, skipped) =
                counts(&lines[0], pid).unwrap_or_else(|| panic!("{what}: {:?}", lines[0]));
            assert_eq!(n, lines.len() - 1, "{what}");
            let newest_body = off >= 16 && i + 1 == frames.len();
            assert!(
                newest_body || in_order_subset(&lines[1..], &all),
                "{what}: {lines:#?}"
            );
            let without = |k: usize| {
                let mut w = all.clone();
                w.remove(k);
                (w, 1)
            };
            let got = (lines[1..].to_vec(), skipped);
            match off {
                // The crc of the frame before: that frame is lost (the
                // first pending frame's is a committed frame's, unchecked).
                4..=7 if i == 0 => assert_eq!(got, (all.clone(), 0), "{what}"),
                4..=7 => assert_eq!(got, without(i - 1), "{what}"),
                // The newest frame's record or padding, unchecked by crc
                // (see the layout): the others whole, the newest taken as
                // it reads or skipped.
                16.. if i + 1 == frames.len() => {
                    let last = all.len() - 1;
                    assert_eq!(lines[1..=last], all[..last], "{what}");
                    assert!(
                        n == last + 1 - skipped && skipped <= 1,
                        "{what}: {lines:#?}"
                    );
                }
                // Another frame's record or padding: that frame alone.
                16.. => assert_eq!(got, without(i), "{what}"),
                // Its length or sequence number: the rest may be lost,
                // never a record taken twice or out of order.
                _ => {}
            }
        }
    }
}

/// The records recovered and skipped that a recovery's first line says.
fn counts(line: &str, pid: u32) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("WARN  crash-safe recovery: ")?;
    let (n, rest) = rest.split_once(" records recovered from process ")?;
    let rest = rest.strip_prefix(&format!("{pid} (generation 1), "))?;
    let skipped = rest.strip_suffix(" torn or corrupt records skipped")?;
    Some((n.parse().ok()?, skipped.parse().ok()?))
}
