//! `uringlog-recover DIR`: the offline recovery writes what a process
//! killed with `SIGKILL` left in its crash-safe directory, once, and says
//! who holds a directory that is still in use. Misuse (an output that
//! would lose the records: a closed stdout, a file of the directory; a
//! directory no logger used) fails with exit status 2 and keeps the
//! records for a later correct run.
//!
//! The child (this test binary, re-executed) logs 20 deferred records
//! (`{}` integers and floats, `{:x}`, `{:?}`: rendered through the dead
//! child's call-site table) into a sink
//! whose first batch never completes, so all of them stay pending in its
//! ring file, then kills itself.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use uringlog::{Logger, MemorySink, Sink, Target};

const CHILD: &str = "URINGLOG_RECOVER_CHILD";
const BIN: &str = env!("CARGO_BIN_EXE_uringlog-recover");

/// A sink whose first batch never completes.
struct Stuck;

impl Sink for Stuck {
    fn describe(&self) -> String {
        "stuck sink".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

fn child(dir: std::ffi::OsString) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(Stuck)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..20 {
        uringlog::info!(
            logger,
            "pending seq={} h={:x} s={:?} f={}",
            i,
            i * 255,
            "a b",
            i as f64 / 4.0
        );
    }
    // SAFETY: raise has no preconditions; SIGKILL ends the process.
    unsafe { libc::raise(libc::SIGKILL) };
    unreachable!()
}

#[test]
fn the_offline_tool_writes_every_pending_record_once() {
    if let Some(dir) = std::env::var_os(CHILD) {
        child(dir);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("cs"), tmp.path().join("out.log"));
    let started = unix_seconds_now();
    leave_pending(&dir);

    // An output that refuses every byte (the kernel's ENOSPC): the error
    // names it, and the directory keeps everything for the next run.
    let run = Command::new(BIN)
        .arg(&dir)
        .args(["--out", "/dev/full"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.starts_with(&format!("uringlog-recover: crash-safe directory {}: 21 records could not be written while recovering (", dir.display()))
            && err.contains("No space left on device (os error 28)")
            && err.ends_with("; the directory keeps them for the next start\n"),
        "{err}"
    );

    let run = Command::new(BIN)
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 21, "{text}");
    assert!(lines[0]
        .contains("uringlog::crash_safe: crash-safe recovery: 20 records recovered from process "));
    assert!(lines[0].ends_with(", 0 torn or corrupt records skipped"));
    for (i, l) in lines[1..].iter().enumerate() {
        let want = format!(
            "pending seq={i} h={:x} s={:?} f={}",
            i * 255,
            "a b",
            i as f64 / 4.0
        );
        assert!(l.ends_with(&want), "{l}");
        // The child never committed: its times come from the clock anchor
        // written when its generation started.
        let t = unix_seconds(l);
        assert!(
            started <= t && t <= unix_seconds_now(),
            "{l} at {t}, started {started}"
        );
    }
    // Nothing is pending any more: a second run writes nothing.
    let run = Command::new(BIN).arg(&dir).output().unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "");
}

#[test]
fn the_offline_tool_names_the_process_holding_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (sink, _out) = MemorySink::new();
    let (_logger, guard) = Logger::builder()
        .sink(sink)
        .crash_safe(&dir)
        .build()
        .unwrap();
    // The output file it would have created is not left behind.
    let new = tmp.path().join("new.log");
    let run = Command::new(BIN)
        .arg(&dir)
        .arg("--out")
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(!new.exists());
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!(
            "uringlog-recover: crash-safe directory {}: in use by process {}, which is running\n",
            dir.display(),
            std::process::id()
        )
    );
    guard.shutdown(Duration::from_secs(30)).unwrap();
    let run = Command::new(BIN).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
}

#[test]
fn a_closed_or_null_stdout_is_refused_and_the_records_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    leave_pending(&dir);
    let want = "uringlog-recover: stdout is /dev/null or closed, where the recovered records \
                would be lost; give --out FILE (--out /dev/null to discard them)\n";
    let run = Command::new(BIN).arg(&dir).stdout(Stdio::null()).output();
    assert_eq!(fails(&run.unwrap()), (Some(2), want.to_owned()));
    let mut closed = Command::new(BIN);
    closed.arg(&dir);
    // SAFETY: close is async-signal-safe; the child closes its own stdout.
    unsafe {
        closed.pre_exec(|| {
            (libc::close(1) == 0)
                .then_some(())
                .ok_or_else(io::Error::last_os_error)
        })
    };
    let run = closed.stderr(Stdio::piped()).output().unwrap();
    assert_eq!(
        (
            run.status.code(),
            String::from_utf8_lossy(&run.stderr).into_owned()
        ),
        (Some(2), want.to_owned())
    );
    recovers_all(&dir, &tmp.path().join("out.log"));
}

#[test]
fn a_directory_named_by_bytes_that_are_not_utf8_is_recovered() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(std::ffi::OsStr::from_bytes(b"c s\n\xff"));
    leave_pending(&dir);
    recovers_all(&dir, &tmp.path().join("out.log"));
}

#[test]
fn an_output_inside_the_directory_is_refused_and_the_records_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    leave_pending(&dir);
    for name in ["state", "new.log"] {
        let out = dir.join(name);
        let run = Command::new(BIN).arg(&dir).arg("--out").arg(&out).output();
        let d = dir.display();
        let want = format!(
            "uringlog-recover: output file {d}/{name} is {d}/{name} in the crash-safe \
             directory {d}: recovery rewrites and removes the files there\n"
        );
        assert_eq!(fails(&run.unwrap()), (Some(2), want));
    }
    assert!(!dir.join("new.log").exists());
    recovers_all(&dir, &tmp.path().join("out.log"));
}

#[test]
fn a_directory_no_logger_used_is_left_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let run = Command::new(BIN).arg(tmp.path()).output().unwrap();
    assert_eq!(fails(&run), (Some(2), not_crash_safe(tmp.path())));
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    let missing = tmp.path().join("missing");
    let run = Command::new(BIN).arg(&missing).output().unwrap();
    let want = format!(
        "uringlog-recover: cannot use {}: No such file or directory (os error 2)\n",
        missing.display()
    );
    assert_eq!(fails(&run), (Some(2), want));
}

/// What the tool says of `dir`, which is no crash-safe directory.
fn not_crash_safe(dir: &Path) -> String {
    format!(
        "uringlog-recover: {} is not a crash-safe directory (it holds no lock, state, ring or \
         call-site file); nothing done\n",
        dir.display()
    )
}

/// A directory whose files only begin like a crash-safe directory's
/// (a source tree's `lock.rs`, a `statement.txt`, a `ring-buffer.md`, a
/// `sites-list`, a `state.json`) is no crash-safe directory: refused, and
/// nothing is created in it (a lock file, a state file).
#[test]
fn a_directory_of_files_named_like_ours_only_in_part_is_left_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let names = [
        "lock.rs",
        "statement.txt",
        "ring-buffer.md",
        "sites-list",
        "state.json",
        "ring-1-x",
    ];
    for name in names {
        std::fs::write(tmp.path().join(name), b"not ours").unwrap();
    }
    let run = Command::new(BIN).arg(tmp.path()).output().unwrap();
    assert_eq!(fails(&run), (Some(2), not_crash_safe(tmp.path())));
    let mut left: Vec<String> = (std::fs::read_dir(tmp.path()).unwrap())
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut want = names.map(str::to_owned).to_vec();
    want.sort();
    assert_eq!(left, want);
}

/// The records of a directory whose lock file is gone (copied without
/// it, deleted) are recovered all the same.
#[test]
fn a_directory_without_its_lock_file_is_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    leave_pending(&dir);
    std::fs::remove_file(dir.join("lock")).unwrap();
    recovers_all(&dir, &tmp.path().join("out.log"));
}

/// A state file of a newer layout version is named and left as it is,
/// not taken for corrupt and removed.
#[test]
fn a_directory_of_a_newer_version_is_left_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let mut b = b"ULOGSTA\x01".to_vec();
    b.extend_from_slice(&99u32.to_le_bytes());
    b.resize(32832, 0);
    std::fs::write(&state, &b).unwrap();
    std::fs::write(tmp.path().join("lock"), "").unwrap();
    let run = Command::new(BIN).arg(tmp.path()).output().unwrap();
    let want = format!(
        "uringlog-recover: crash-safe directory {}: {} was written by a newer uringlog \
         (layout version 99; this one reads up to 4); left as it is: recover it with that version\n",
        tmp.path().display(),
        state.display()
    );
    assert_eq!(fails(&run), (Some(2), want));
    assert_eq!(std::fs::read(&state).unwrap(), b);
}

/// A directory the user cannot create files in (the state file could
/// not be replaced) fails before anything is written, so the run after
/// the permission is fixed writes each record once. Root creates files
/// anywhere: run as root, the test makes `nobody` own the files and runs
/// the tool as `nobody`.
#[test]
fn a_directory_it_cannot_write_in_fails_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("cs"), tmp.path().join("out.log"));
    leave_pending(&dir);
    let mut run = unprivileged(tmp.path(), &dir, &out);
    use std::os::unix::fs::PermissionsExt;
    let mode = |m| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(m)).unwrap();
    mode(0o555);
    let want = format!(
        "uringlog-recover: crash-safe directory {}: cannot create files in it: \
         Permission denied (os error 13); nothing was recovered\n",
        dir.display()
    );
    assert_eq!(fails(&run.output().unwrap()), (Some(2), want));
    assert!(!out.exists());
    mode(0o755);
    recovers_all(&dir, &out);
}

/// The tool on `dir` into `out`, run as a user that root's permissions
/// do not pass: as root, `nobody`, made the owner of `tmp`, `dir` and
/// the files in `dir`; else the user running the test.
fn unprivileged(tmp: &Path, dir: &Path, out: &Path) -> Command {
    let mut run = Command::new(BIN);
    run.arg(dir).arg("--out").arg(out);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let (uid, gid) = nobody();
        for p in [tmp, dir]
            .into_iter()
            .map(Path::to_owned)
            .chain(std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        {
            std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
        }
        // SAFETY: setgroups, setgid and setuid are async-signal-safe and
        // change only the child.
        unsafe {
            run.pre_exec(move || {
                let ok = libc::setgroups(0, std::ptr::null()) == 0
                    && libc::setgid(gid) == 0
                    && libc::setuid(uid) == 0;
                ok.then_some(()).ok_or_else(io::Error::last_os_error)
            })
        };
    }
    run
}

/// A ring file that cannot be read (no permission here; an `EIO`, too
/// many open files alike) holds records intact that a later run may
/// read: the run fails naming it before anything is written, and leaves
/// it as it is, instead of counting it skipped and removing it with
/// its records. Once it reads, each record is recovered once.
#[test]
fn a_ring_file_that_cannot_be_read_fails_and_is_kept() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("cs"), tmp.path().join("out.log"));
    leave_pending(&dir);
    let ring = dir.join("ring-1-0");
    let bytes = std::fs::read(&ring).unwrap();
    let mut run = unprivileged(tmp.path(), &dir, &out);
    let mode = |m| std::fs::set_permissions(&ring, std::fs::Permissions::from_mode(m)).unwrap();
    mode(0o000);
    let want = format!(
        "uringlog-recover: crash-safe directory {}: cannot read {}: Permission denied (os error \
         13); nothing was recovered or removed: build again once it is readable, or moved away\n",
        dir.display(),
        ring.display()
    );
    assert_eq!(fails(&run.output().unwrap()), (Some(2), want));
    assert!(!out.exists());
    mode(0o600);
    assert_eq!(std::fs::read(&ring).unwrap(), bytes);
    recovers_all(&dir, &out);
}

/// A state file copied in from another directory (another process's,
/// of the same generation) next to this directory's ring file: which of
/// them is this directory's is not known, so the run fails naming the
/// ring file, removes nothing and writes nothing — neither taking the
/// ring's records for the other directory's nor removing them as
/// another process's. Once the stray state file is moved away, each
/// record is recovered once.
#[test]
fn a_state_file_of_another_directory_keeps_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, other, out) = (
        tmp.path().join("cs"),
        tmp.path().join("other"),
        tmp.path().join("out.log"),
    );
    leave_pending(&dir);
    leave_pending(&other);
    std::fs::copy(other.join("state"), dir.join("state")).unwrap();
    let ring = dir.join("ring-1-0");
    let bytes = std::fs::read(&ring).unwrap();
    let pid = |p: &Path, at: usize| {
        let b = std::fs::read(p).unwrap();
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    };
    let (state_pid, ring_pid) = (pid(&other.join("state"), 12), pid(&ring, 24));
    let of_another = |p: &Path| {
        format!(
            "{} was written by process {ring_pid}, its state file by process {state_pid}: one \
             of them is another directory's",
            p.display()
        )
    };
    let want = format!(
        "uringlog-recover: crash-safe directory {}: {}; {}; nothing was recovered or removed: \
         build again once they are readable, or moved away\n",
        dir.display(),
        of_another(&dir.join("sites-1")),
        of_another(&ring)
    );
    assert_eq!(fails(&run_on(&dir, &out)), (Some(2), want));
    assert!(!out.exists());
    assert_eq!(std::fs::read(&ring).unwrap(), bytes);
    std::fs::remove_file(dir.join("state")).unwrap();
    recovers_all(&dir, &out);
}

/// The user and group ids of `nobody`.
fn nobody() -> (u32, u32) {
    // SAFETY: getpwnam takes a NUL-terminated name; the entry it returns
    // is read at once, before any other call could reuse it.
    let pw = unsafe { libc::getpwnam(c"nobody".as_ptr()) };
    assert!(!pw.is_null(), "no user nobody");
    // SAFETY: not null: a valid entry (see above).
    unsafe { ((*pw).pw_uid, (*pw).pw_gid) }
}

/// A write that stops part way (the file size limit here, a full disk
/// alike) is cut back out of the output: the next run appends each record
/// once, after the bytes that were there.
#[test]
fn a_write_cut_short_leaves_the_output_as_it_was() {
    let (_tmp, dir, out, err) = fails_limited_to(1000);
    // The batch's length (of 2,537 or so bytes) depends on the digits of
    // the dead process's id, in the recovery record.
    let (head, tail) = err
        .split_once(" bytes (21 records dropped)")
        .unwrap_or(("", ""));
    let head_want = format!(
        "uringlog-recover: crash-safe directory {}: 21 records could not be written while \
         recovering (write to output file {} failed after 993 of ",
        dir.display(),
        out.display()
    );
    assert!(head.starts_with(&head_want), "{err}");
    assert!(
        head[head_want.len()..]
            .parse::<u32>()
            .is_ok_and(|n| n > 993),
        "{err}"
    );
    let tail_want = ": File too large (os error 27); those 993 bytes were cut off (the file \
                     ends at 7)); the directory keeps them for the next start\n";
    assert_eq!(tail, tail_want);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "before\n");
    once_after_before(&dir, &out);
}

/// A run that wrote every record but could not then replace the state
/// file (the file size limit refuses its 32,832 bytes here; a full disk
/// under the directory alike) counted what it appended in the directory's
/// state: the next run cuts that and appends each record once.
#[test]
fn what_a_failed_run_appended_is_cut_by_the_next() {
    let (_tmp, dir, out, err) = fails_limited_to(20_000);
    let state_new = dir.join("state.new");
    let want = format!(
        "uringlog-recover: crash-safe directory {}: cannot start its state file: cannot \
         allocate 32832 bytes for {}: File too large (os error 27)\n",
        dir.display(),
        state_new.display()
    );
    assert_eq!(err, want);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 22);
    once_after_before(&dir, &out);
}

/// Pending records in a fresh directory, recovered into an output that
/// holds "before\n" by the tool with its files limited to `bytes`, which
/// fails (exit status 2): the temp directory, the crash-safe directory,
/// the output and what the tool said.
fn fails_limited_to(bytes: u64) -> (tempfile::TempDir, PathBuf, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("cs"), tmp.path().join("out.log"));
    leave_pending(&dir);
    std::fs::write(&out, "before\n").unwrap();
    let (code, err) = fails(&limited(&dir, &out, bytes).output().unwrap());
    assert_eq!(code, Some(2), "{err}");
    (tmp, dir, out, err)
}

/// The tool on `dir` into `out`, its files limited to `bytes`.
fn limited(dir: &Path, out: &Path, bytes: u64) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg(dir).arg("--out").arg(out);
    // SAFETY: signal and setrlimit are async-signal-safe; they change only
    // the child, which then writes no file past `bytes`.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: libc::RLIM_INFINITY,
            };
            match libc::setrlimit(libc::RLIMIT_FSIZE, &lim) {
                0 => Ok(()),
                _ => Err(io::Error::last_os_error()),
            }
        })
    };
    cmd
}

/// A run with no limit: `out` holds its first line, then the 21 records.
fn once_after_before(dir: &Path, out: &Path) {
    let text = recovered_into(dir, out);
    assert!(text.starts_with("before\n20"), "{text}");
    assert_eq!(text.lines().count(), 22, "{text}");
}

/// Runs the child, which leaves 20 pending records in `dir` and dies.
fn leave_pending(dir: &Path) {
    let test = "the_offline_tool_writes_every_pending_record_once";
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, dir)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
}

/// Recovers `dir` into `out` and checks that all 21 records arrived once.
fn recovers_all(dir: &Path, out: &Path) {
    let text = recovered_into(dir, out);
    assert_eq!(text.lines().count(), 21, "{text}");
}

/// Recovers `dir` into `out`: what `out` then holds, the 20 records in it.
fn recovered_into(dir: &Path, out: &Path) -> String {
    let run = run_on(dir, out);
    assert!(run.status.success(), "{run:?}");
    let text = std::fs::read_to_string(out).unwrap();
    assert_eq!(text.matches("pending seq=").count(), 20, "{text}");
    text
}

/// The tool run on `dir` into `out`.
fn run_on(dir: &Path, out: &Path) -> std::process::Output {
    Command::new(BIN)
        .arg(dir)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// What a failed run said, on stderr, and its exit status.
fn fails(run: &std::process::Output) -> (Option<i32>, String) {
    assert_eq!(String::from_utf8_lossy(&run.stdout), "");
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

fn unix_seconds_now() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    d.unwrap().as_secs() as i64
}

/// Seconds since the Unix epoch of a line's `YYYY-MM-DDTHH:MM:SS…Z` time.
fn unix_seconds(line: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| line[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}
