//! RollingFileSink through the `Sink` API, without a logger.

use super::*;
use std::path::Path;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Writes `len` bytes the way the engine would: target, write, on_write.
fn write(s: &mut RollingFileSink, len: usize, nanos: u64) {
    let fd = hand_out(s, len, nanos);
    land(s, &fd, len);
}

/// Hands out a batch of `len` bytes dated `nanos` as the engine does and
/// leaves it in flight (io_uring: submitted, not yet written); returns
/// its file.
fn hand_out(s: &mut RollingFileSink, len: usize, nanos: u64) -> uringlog::SharedFd {
    let Target::Append { fd } = s.target_batch(&BatchInfo::new(len, nanos)).unwrap() else {
        panic!("an append target");
    };
    fd
}

/// Lands the oldest batch in flight, of `len` bytes to `fd`: writes it
/// and tells the sink.
fn land(s: &mut RollingFileSink, fd: &uringlog::SharedFd, len: usize) {
    let mut f = File::from(
        std::os::fd::AsFd::as_fd(&**fd)
            .try_clone_to_owned()
            .unwrap(),
    );
    std::io::Write::write_all(&mut f, &vec![b'x'; len]).unwrap();
    s.on_write(&WriteOutcome {
        offset: None,
        requested: len,
        written: len,
        error: None,
    });
}

/// An hour in nanoseconds.
const H: u64 = 3_600_000_000_000;

/// An hourly sink `app` in `dir` whose manual clock reads `now`.
fn hourly(dir: &Path, now: u64) -> (RollingBuilder, uringlog::ManualClock) {
    let (clock, hand) = uringlog::Clock::manual(now);
    let b = RollingFileSink::builder(dir, "app")
        .period(Period::Hourly)
        .clock(clock);
    (b, hand)
}

/// Sets the clock `hand` to `nanos` and writes `len` bytes dated then.
fn write_at(s: &mut RollingFileSink, hand: &uringlog::ManualClock, len: usize, nanos: u64) {
    hand.set_unix_nanos(nanos);
    write(s, len, nanos);
}

#[test]
fn a_missing_directory_is_created() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("a/b");
    let s = RollingFileSink::builder(&dir, "app")
        .max_file_bytes(10)
        .open()
        .unwrap();
    assert_eq!(s.path(), dir.join("app.log"));
    assert_eq!(names(&dir), ["app.log"]);
}

#[test]
fn bad_directories_and_files_name_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain");
    std::fs::write(&file, "").unwrap();
    std::fs::create_dir(tmp.path().join("app.log")).unwrap();
    let open_err = |dir: &Path| {
        let r = RollingFileSink::builder(dir, "app")
            .max_file_bytes(10)
            .open();
        r.unwrap_err().to_string()
    };
    let (f, d) = (file.display(), tmp.path().display());
    assert_eq!(
        open_err(&file.join("logs")),
        format!("cannot create log directory {f}/logs: Not a directory (os error 20)")
    );
    assert_eq!(
        open_err(&file),
        format!("cannot create log directory {f}: it exists and is not a directory")
    );
    assert_eq!(
        open_err(tmp.path()),
        format!("cannot open log file {d}/app.log: Is a directory (os error 21)")
    );
}

#[test]
fn settings_are_checked() {
    let d = tempfile::tempdir().unwrap();
    let b = || RollingFileSink::builder(d.path(), "app");
    let err = |r: Result<RollingFileSink, RollingError>| r.unwrap_err().to_string();
    assert_eq!(
        err(b().open()),
        "invalid rotation none: set max_file_bytes, period or both"
    );
    assert_eq!(
        err(b().max_file_bytes(0).open()),
        "invalid max_file_bytes 0: must be at least 1 byte"
    );
    assert_eq!(
        err(b().period(Period::Daily).keep_files(0).open()),
        "invalid keep_files 0: must keep at least 1 file (the active one)"
    );
    assert_eq!(
        err(RollingFileSink::builder(d.path(), "a/b")
            .period(Period::Daily)
            .open()),
        "invalid stem \"a/b\": must be a non-empty file name without '/'"
    );
    assert_eq!(
        err(b()
            .period(Period::Daily)
            .utc_offset(UtcOffset::east_secs(90_000))
            .open()),
        "invalid utc_offset 90000 s: must be less than a day (86400 s) either way"
    );
    // `app.log` fits a file name; the rotated names would not.
    let long = "a".repeat(240);
    assert_eq!(
        err(RollingFileSink::builder(d.path(), long.as_str())
            .period(Period::Hourly)
            .max_file_bytes(10)
            .open()),
        format!(
            "invalid stem \"{long}\": with the extension, rotated file names would be longer than 255 bytes"
        )
    );
    let fits = "a".repeat(216); // .2026-11-28T04 and 20 digits of a `u64`
    let s = RollingFileSink::builder(d.path(), fits.as_str())
        .period(Period::Hourly)
        .max_file_bytes(10)
        .open();
    assert!(s.is_ok(), "{s:?}");
}

#[test]
fn size_rotation_numbers_files_and_continues_after_reopening() {
    let d = tempfile::tempdir().unwrap();
    let open = || {
        RollingFileSink::builder(d.path(), "app")
            .max_file_bytes(100)
            .open()
            .unwrap()
    };
    let mut s = open();
    assert_eq!(s.batch_limit(), BatchLimit::new(100, u64::MAX));
    write(&mut s, 60, 0);
    assert_eq!(s.batch_limit().max_bytes, 40);
    write(&mut s, 40, 0);
    write(&mut s, 30, 0); // 100 + 30 > 100: rotates first
    write(&mut s, 150, 0); // larger than a file: a file of its own
    write(&mut s, 1, 0);
    drop(s);
    let mut s = open();
    write(&mut s, 100, 0);
    assert_eq!(
        names(d.path()),
        [
            "app.000001.log",
            "app.000002.log",
            "app.000003.log",
            "app.000004.log",
            "app.log"
        ]
    );
    let len = |n: &str| std::fs::metadata(d.path().join(n)).unwrap().len();
    assert_eq!(
        [
            "app.000001.log",
            "app.000002.log",
            "app.000003.log",
            "app.000004.log",
            "app.log"
        ]
        .map(len),
        [100, 30, 150, 1, 100]
    );
    assert!(s.take_error().is_none());
}

#[test]
fn retention_applies_when_opening_too() {
    let d = tempfile::tempdir().unwrap();
    for n in [
        "app.000001.log",
        "app.000002.log",
        "app.000003.log",
        "notes.txt",
    ] {
        std::fs::write(d.path().join(n), "x").unwrap();
    }
    let s = RollingFileSink::builder(d.path(), "app")
        .max_file_bytes(100)
        .keep_files(2)
        .open()
        .unwrap();
    assert_eq!(names(d.path()), ["app.000003.log", "app.log", "notes.txt"]);
    assert_eq!(s.next_seq, 4);
}

#[test]
fn an_empty_file_takes_the_new_period_without_a_rename() {
    let d = tempfile::tempdir().unwrap();
    let (clock, _) = uringlog::Clock::manual(3_600_000_000_000);
    let mut s = RollingFileSink::builder(d.path(), "app")
        .period(Period::Hourly)
        .clock(clock)
        .open()
        .unwrap();
    assert_eq!(
        s.batch_limit(),
        BatchLimit::new(u64::MAX, 7_200_000_000_000)
    );
    write(&mut s, 5, 9_000_000_000_000);
    assert_eq!(s.batch_limit().before_unix_nanos, 10_800_000_000_000);
    write(&mut s, 5, 10_800_000_000_000);
    assert_eq!(names(d.path()), ["app.1970-01-01T02.log", "app.log"]);
}

#[test]
fn a_read_only_directory_is_an_error_naming_the_file() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("skipped: root ignores directory permissions");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let e = RollingFileSink::builder(d.path(), "app")
        .period(Period::Daily)
        .open()
        .unwrap_err();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "cannot open log file {}/app.log: Permission denied (os error 13)",
            d.path().display()
        )
    );
}

/// A failed batch is not in the file (the engine cut what reached it), so
/// it does not count toward the size limit — nor does one that fails after
/// its file was rotated away count toward the new file.
#[test]
fn failed_batches_do_not_count_toward_the_file_size() {
    let d = tempfile::tempdir().unwrap();
    let mut s = RollingFileSink::builder(d.path(), "app")
        .max_file_bytes(100)
        .open()
        .unwrap();
    let e = io::Error::from_raw_os_error(libc::ENOSPC);
    let failed = |requested| WriteOutcome {
        offset: None,
        requested,
        written: 0,
        error: Some(&e),
    };
    write(&mut s, 60, 0);
    s.target_batch(&BatchInfo::new(30, 0)).unwrap();
    s.on_write(&failed(30));
    assert_eq!(s.batch_limit().max_bytes, 40);
    write(&mut s, 30, 0);
    s.target_batch(&BatchInfo::new(10, 0)).unwrap(); // 60 + 30 + 10 fit in app.log
    assert_eq!(names(d.path()), ["app.log"]);
    s.target_batch(&BatchInfo::new(20, 0)).unwrap(); // rotates first
    assert_eq!(names(d.path()), ["app.000001.log", "app.log"]);
    s.on_write(&failed(10)); // the rotated file's batch
    s.on_write(&WriteOutcome {
        offset: None,
        requested: 20,
        written: 20,
        error: None,
    });
    assert_eq!(s.batch_limit().max_bytes, 80);
}

/// `Logger::reopen` leaves a rolling sink alone; a deleted active file is
/// created again.
#[test]
fn only_a_changed_path_reopens_the_active_file() {
    let d = tempfile::tempdir().unwrap();
    let mut s = RollingFileSink::builder(d.path(), "app")
        .max_file_bytes(100)
        .open()
        .unwrap();
    write(&mut s, 30, 0);
    let before = s.active.file.clone();
    s.reopen(ReopenCause::Requested).unwrap();
    assert!(
        Arc::ptr_eq(&before, &s.active.file),
        "a request changes nothing"
    );
    assert!(!s.path_changed());

    std::fs::remove_file(d.path().join("app.log")).unwrap();
    assert!(s.path_changed());
    s.reopen(ReopenCause::PathChanged).unwrap();
    assert!(!s.path_changed());
    assert_eq!(s.batch_limit().max_bytes, 100, "a new, empty file");
    write(&mut s, 10, 0);
    assert_eq!(std::fs::read(d.path().join("app.log")).unwrap(), [b'x'; 10]);
}

/// A batch dated before the active period is a late record while the
/// sink's clock reads within the period or less than a second before it,
/// and leaves the period alone; once the clock reads a second or more
/// before the period (it went back), the period follows the record time,
/// and the next boundary is that period's end.
#[test]
fn the_period_follows_the_clock_back_but_not_a_late_record() {
    let d = tempfile::tempdir().unwrap();
    let (b, hand) = hourly(d.path(), 5 * H);
    let mut s = b.open().unwrap();
    write(&mut s, 5, 5 * H + 2);
    hand.set_unix_nanos(5 * H + 3);
    write(&mut s, 5, 5 * H - 1); // late: logged before 05:00, written after
    assert_eq!(s.batch_limit().before_unix_nanos, 6 * H);
    // Less than a second before the period: the error of a converted
    // record time (which rotated), not a step back.
    hand.set_unix_nanos(5 * H - 999_999_999);
    write(&mut s, 5, 5 * H - 1_000_000);
    assert_eq!(s.batch_limit().before_unix_nanos, 6 * H);
    hand.set_unix_nanos(5 * H - 1_000_000_000); // a second before: a step back
    write(&mut s, 5, 5 * H - 1_000_000_000);
    assert_eq!(s.batch_limit().before_unix_nanos, 5 * H);
    hand.set_unix_nanos(2 * H + 30);
    write(&mut s, 5, 2 * H + 20); // the clock went back to 02:00
    assert_eq!(s.batch_limit().before_unix_nanos, 3 * H);
    write(&mut s, 5, 3 * H);
    assert_eq!(names(d.path()), ["app.1970-01-01T02.log", "app.log"]);
    let len = |n: &str| std::fs::metadata(d.path().join(n)).unwrap().len();
    assert_eq!(["app.1970-01-01T02.log", "app.log"].map(len), [25, 5]);
    assert!(s.take_error().is_none());
}

/// By size, a number whose name another program took since the sink
/// opened is skipped: the rotation takes the next free one, the file
/// there keeps its content, and the numbers go on after it.
#[test]
fn a_taken_number_is_skipped() {
    let d = tempfile::tempdir().unwrap();
    let mut s = RollingFileSink::builder(d.path(), "app")
        .max_file_bytes(10)
        .open()
        .unwrap();
    for n in ["app.000001.log", "app.000002.log"] {
        std::fs::write(d.path().join(n), "theirs\n").unwrap();
    }
    for _ in 0..4 {
        write(&mut s, 10, 0); // from the second on, rotates first: 000003 to 000005
    }
    let mut want: Vec<String> = (1..=5).map(|n| format!("app.{n:06}.log")).collect();
    want.push("app.log".to_owned());
    assert_eq!(names(d.path()), want);
    let read = |n: &str| std::fs::read(d.path().join(n)).unwrap();
    assert_eq!(read("app.000002.log"), b"theirs\n");
    assert_eq!(read("app.000003.log"), [b'x'; 10]);
    assert!(s.take_error().is_none());
}

/// The clock goes back into a period before one that already has its
/// rotated file: the file rotated next (written since the step) is the
/// newest, and keep_files deletes the one from before the step instead.
#[test]
fn retention_keeps_the_file_just_rotated_after_a_step_back() {
    let d = tempfile::tempdir().unwrap();
    let (b, hand) = hourly(d.path(), 2 * H);
    let mut s = b.keep_files(2).open().unwrap();
    write(&mut s, 2, 2 * H);
    write_at(&mut s, &hand, 3, 3 * H); // rotates 02:00 away
    write_at(&mut s, &hand, 1, H); // the clock went back to 01:00
    write_at(&mut s, &hand, 4, 2 * H); // rotates the file of 01:00
    assert_eq!(names(d.path()), ["app.1970-01-01T01.log", "app.log"]);
    let len = |n: &str| std::fs::metadata(d.path().join(n)).unwrap().len();
    assert_eq!(["app.1970-01-01T01.log", "app.log"].map(len), [4, 4]);
    assert!(s.take_error().is_none());
}

/// A file numbered at the end of `u64` (another program's) leaves no
/// number after it: the sink opens, and a rotation that finds no free
/// number fails as for a taken name, writing on into the active file.
#[test]
fn the_last_sequence_number_is_a_taken_name_not_an_overflow() {
    let d = tempfile::tempdir().unwrap();
    let last = format!("app.{}.log", u64::MAX - 1);
    std::fs::write(d.path().join(&last), "theirs\n").unwrap();
    let mut s = RollingFileSink::builder(d.path(), "app")
        .max_file_bytes(10)
        .open()
        .unwrap();
    for _ in 0..3 {
        write(&mut s, 10, 0); // the second rotates to u64::MAX, the third finds none
    }
    let max = format!("app.{}.log", u64::MAX);
    assert_eq!(names(d.path()), [last.as_str(), max.as_str(), "app.log"]);
    let e = s.take_error().unwrap().to_string();
    let p = |n: &str| d.path().join(n).display().to_string();
    assert_eq!(
        e,
        format!(
            "cannot rotate {} to {}: File exists (os error 17); still writing to {}",
            p("app.log"),
            p(&max),
            p("app.log")
        )
    );
    assert_eq!(std::fs::read(d.path().join("app.log")).unwrap(), [b'x'; 20]);
    assert_eq!(std::fs::read(d.path().join(&max)).unwrap(), [b'x'; 10]);
    drop(s);
    let s = RollingFileSink::builder(d.path(), "app")
        .max_file_bytes(10)
        .open()
        .unwrap();
    assert_eq!(s.next_seq, u64::MAX);
}

/// By size the numbers grow past six digits; a stem that leaves room for
/// six only would fail every rotation from number 1,000,000 on (another
/// program's file can bring it there at once), so it is refused at open.
#[test]
fn a_stem_without_room_for_every_sequence_number_is_refused() {
    let d = tempfile::tempdir().unwrap();
    // app.{stem}.999999.log is 255 bytes: six digits fit, seven do not.
    let stem = "a".repeat(255 - ".999999.log".len());
    std::fs::write(d.path().join(format!("{stem}.999999.log")), "theirs\n").unwrap();
    let r = RollingFileSink::builder(d.path(), stem.as_str())
        .max_file_bytes(10)
        .open();
    assert_eq!(
        r.unwrap_err().to_string(),
        format!(
            "invalid stem \"{stem}\": with the extension, rotated file names would be longer than 255 bytes"
        )
    );
    // Room for all 20 digits of a `u64`.
    let stem = "a".repeat(255 - ".18446744073709551615.log".len());
    let mut s = RollingFileSink::builder(d.path(), stem.as_str())
        .max_file_bytes(10)
        .open()
        .unwrap();
    std::fs::write(d.path().join(format!("{stem}.999999.log")), "theirs\n").unwrap();
    s.next_seq = 999_999;
    write(&mut s, 10, 0);
    write(&mut s, 10, 0);
    assert!(s.take_error().is_none());
    assert!(d.path().join(format!("{stem}.1000000.log")).exists());
}

/// By time alone, all 100 names of a period taken (a directory, a
/// dangling symlink, files without write permission): the rotation
/// fails naming the last one tried, nothing of theirs is touched, the
/// records stay in the active file, and the next period rolls it.
#[test]
fn a_period_with_every_name_taken_keeps_writing_and_rolls_at_the_next() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let (b, hand) = hourly(d.path(), 2 * H);
    let mut s = b.keep_files(200).open().unwrap();
    std::fs::create_dir(d.path().join("app.1970-01-01T02.log")).unwrap();
    let at = |n: u32| d.path().join(format!("app.1970-01-01T02.{n:06}.log"));
    std::os::unix::fs::symlink("nowhere", at(1)).unwrap();
    for n in 2..100 {
        std::fs::write(at(n), "theirs\n").unwrap();
        std::fs::set_permissions(at(n), std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    write(&mut s, 5, 2 * H);
    hand.set_unix_nanos(3 * H);
    write(&mut s, 6, 3 * H);
    let e = s.take_error().unwrap().to_string();
    let active = d.path().join("app.log").display().to_string();
    assert_eq!(
        e,
        format!(
            "cannot rotate {active} to {}: File exists (os error 17); still writing to {active}",
            at(99).display()
        )
    );
    assert_eq!(std::fs::read(d.path().join("app.log")).unwrap(), [b'x'; 11]);
    hand.set_unix_nanos(4 * H);
    write(&mut s, 7, 4 * H);
    assert!(s.take_error().is_none());
    let read = |n: &str| std::fs::read(d.path().join(n)).unwrap();
    assert_eq!(read("app.1970-01-01T03.log"), [b'x'; 11]);
    assert_eq!(read("app.log"), [b'x'; 7]);
    assert_eq!(read("app.1970-01-01T02.000099.log"), b"theirs\n");
    assert_eq!(names(d.path()).len(), 100 + 2);
}

/// By time alone, once the clock that went back reaches the period of a
/// file rotated before the step, that file (labelled as the active one)
/// is still older than every file written since, and goes first.
#[test]
fn retention_by_time_deletes_the_file_of_the_active_period_from_before_the_step() {
    let d = tempfile::tempdir().unwrap();
    let (b, hand) = hourly(d.path(), 4 * H);
    let mut s = b.keep_files(3).open().unwrap();
    write(&mut s, 4, 4 * H);
    write_at(&mut s, &hand, 5, 5 * H); // rotates 04:00 away
    write_at(&mut s, &hand, 2, 2 * H); // the clock went back to 02:00
    write_at(&mut s, &hand, 3, 3 * H); // rotates the file of 02:00 (05:00 and 02:00)
    write_at(&mut s, &hand, 6, 4 * H); // rotates the file of 03:00; 04:00 is the oldest
    assert_eq!(
        names(d.path()),
        ["app.1970-01-01T02.log", "app.1970-01-01T03.log", "app.log"]
    );
    let len = |n: &str| std::fs::metadata(d.path().join(n)).unwrap().len();
    assert_eq!(
        ["app.1970-01-01T02.log", "app.1970-01-01T03.log"].map(len),
        [7, 3]
    );
    assert!(s.take_error().is_none());
}

/// The last period of the clock has no end: records dated at its very
/// last nanosecond, `u64::MAX`, stay in the active file.
#[test]
fn the_last_instant_of_the_clock_starts_no_new_file() {
    let d = tempfile::tempdir().unwrap();
    let (b, hand) = hourly(d.path(), u64::MAX - 1);
    let mut s = b.open().unwrap();
    write(&mut s, 1, u64::MAX - 1);
    for _ in 0..3 {
        write_at(&mut s, &hand, 1, u64::MAX);
    }
    assert_eq!(names(d.path()), ["app.log"]);
    assert_eq!(std::fs::read(d.path().join("app.log")).unwrap(), [b'x'; 4]);
    assert!(s.take_error().is_none());
}

/// By size and time the sequence number goes on across periods, so it
/// orders the files as they were rotated: once the clock that went back
/// reaches the period of a file rotated before the step, that file goes
/// first, not the files written since under earlier labels.
#[test]
fn retention_by_size_and_time_deletes_the_lowest_number_first() {
    let d = tempfile::tempdir().unwrap();
    let (b, hand) = hourly(d.path(), 4 * H);
    let mut s = b.max_file_bytes(100).keep_files(3).open().unwrap();
    write(&mut s, 4, 4 * H);
    write_at(&mut s, &hand, 5, 5 * H); // 04:00 rotates to number 1
    write_at(&mut s, &hand, 2, 2 * H); // the clock went back to 02:00
    write_at(&mut s, &hand, 3, 3 * H); // 02:00 (05:00 and 02:00) to number 2
    write_at(&mut s, &hand, 6, 4 * H); // 03:00 to number 3; number 1 goes
    assert_eq!(
        names(d.path()),
        [
            "app.1970-01-01T02.000002.log",
            "app.1970-01-01T03.000003.log",
            "app.log"
        ]
    );
    assert!(s.take_error().is_none());
}

#[test]
fn a_path_another_program_took_over_is_not_rotated() {
    let d = tempfile::tempdir().unwrap();
    let len = |p: &Path| std::fs::metadata(p).unwrap().len();
    let mut errors = Vec::new();
    for game in ["renamed", "deleted", "a directory"] {
        let dir = d.path().join(game);
        let mut s = RollingFileSink::builder(&dir, "app")
            .max_file_bytes(100)
            .open()
            .unwrap();
        write(&mut s, 60, 0);
        let p = dir.join("app.log");
        match game {
            "deleted" => std::fs::remove_file(&p).unwrap(),
            _ => std::fs::rename(&p, dir.join("moved")).unwrap(),
        }
        if game == "a directory" {
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("theirs"), "x").unwrap();
        }
        // Both due by size: the first finds the path taken over.
        write(&mut s, 60, 0);
        write(&mut s, 60, 0);
        while let Some(e) = s.take_error() {
            errors.push(e.to_string());
        }
        match game {
            "renamed" => {
                assert_eq!(names(&dir), ["app.000001.log", "app.log", "moved"]);
                assert_eq!(len(&dir.join("moved")), 60);
                assert_eq!(len(&dir.join("app.000001.log")), 60);
                assert_eq!(len(&p), 60);
            }
            "deleted" => {
                assert_eq!(names(&dir), ["app.000001.log", "app.log"]);
                assert_eq!(len(&p), 60);
            }
            _ => {
                assert_eq!(names(&dir), ["app.log", "moved"]);
                assert_eq!(names(&p), ["theirs"], "the directory stays where it was");
                assert_eq!(len(&dir.join("moved")), 180);
            }
        }
    }
    let p = d.path().join("a directory/app.log");
    let want = format!(
        "cannot rotate {}: it no longer names the file being written (renamed, deleted or \
         replaced) and cannot be opened again: Is a directory (os error 21); still writing \
         to the file open before",
        p.display()
    );
    assert_eq!(errors, [want.clone(), want]);
}

/// The log directory removed under the sink (with the active file): the
/// next rotation, or the writer's check of the path, makes it again, as
/// opening the sink does, and writing goes on there; before, every later
/// batch went into the deleted file.
#[test]
fn a_removed_directory_is_made_again() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("a/logs");
    let mut s = RollingFileSink::builder(&dir, "app")
        .max_file_bytes(100)
        .open()
        .unwrap();
    write(&mut s, 60, 0);
    std::fs::remove_dir_all(d.path().join("a")).unwrap();
    write(&mut s, 60, 0); // due: the rotation finds the path gone
    assert!(s.take_error().is_none());
    assert_eq!(names(&dir), ["app.log"]);
    write(&mut s, 30, 0);
    assert_eq!(std::fs::read(dir.join("app.log")).unwrap(), [b'x'; 90]);

    std::fs::remove_dir(&dir).unwrap_err(); // not empty
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(s.path_changed());
    s.reopen(ReopenCause::PathChanged).unwrap();
    write(&mut s, 20, 0);
    assert_eq!(names(&dir), ["app.log"]);
    assert_eq!(std::fs::read(dir.join("app.log")).unwrap(), [b'x'; 20]);
    assert!(s.take_error().is_none());
}

#[test]
fn a_file_where_the_log_directory_was_is_named_and_writing_goes_on_in_the_old_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("logs");
    let mut s = RollingFileSink::builder(&dir, "app")
        .max_file_bytes(100)
        .open()
        .unwrap();
    write(&mut s, 60, 0);
    // Another program moves the directory away and puts a file in its place.
    let moved = d.path().join("moved");
    std::fs::rename(&dir, &moved).unwrap();
    std::fs::write(&dir, "theirs").unwrap();
    assert!(
        s.path_changed(),
        "a file where the directory was: the path changed"
    );
    write(&mut s, 60, 0); // due: the rotation finds the path taken over
    let e = s.take_error().expect("the rotation's error").to_string();
    let want = format!(
        "cannot rotate {}: it no longer names the file being written (renamed, deleted or \
         replaced) and cannot be opened again: ",
        dir.join("app.log").display()
    );
    assert!(e.starts_with(&want), "{e}");
    assert!(
        e.ends_with("; still writing to the file open before"),
        "{e}"
    );
    assert!(s.take_error().is_none());
    // Nothing was renamed; the records went on into the file open before.
    assert_eq!(names(&moved), ["app.log"]);
    assert_eq!(std::fs::read(moved.join("app.log")).unwrap(), [b'x'; 120]);
    assert_eq!(std::fs::read(&dir).unwrap(), b"theirs");
}

/// The entries of `dir` with their lengths, by name.
fn sizes(dir: &Path) -> Vec<(String, u64)> {
    let lens = names(dir).into_iter().map(|n| {
        let len = std::fs::metadata(dir.join(&n)).unwrap().len();
        (n, len)
    });
    lens.collect()
}

/// A sink `app` in `dir` rotating at `max` bytes, keeping `keep` bytes of rotated files.
fn by_size_keeping_bytes(dir: &Path, max: u64, keep: u64) -> RollingFileSink {
    let b = RollingFileSink::builder(dir, "app").max_file_bytes(max);
    b.keep_total_bytes(keep).open().unwrap()
}

#[test]
fn retention_counts_the_batches_in_flight_to_the_file_just_rotated() {
    let d = tempfile::tempdir().unwrap();
    let mut s = by_size_keeping_bytes(d.path(), 100, 150);
    write(&mut s, 100, 0);
    let second = hand_out(&mut s, 100, 0);
    assert_eq!(names(d.path()), ["app.000001.log", "app.log"]);
    // The second batch is still in flight when the third rotates its
    // file: the rotated files will hold 200 bytes, more than 150.
    let third = hand_out(&mut s, 100, 0);
    assert_eq!(
        sizes(d.path()),
        [("app.000002.log".to_owned(), 0), ("app.log".to_owned(), 0)]
    );
    land(&mut s, &second, 100);
    land(&mut s, &third, 100);
    assert_eq!(
        sizes(d.path()),
        [
            ("app.000002.log".to_owned(), 100),
            ("app.log".to_owned(), 100)
        ]
    );
}

#[test]
fn retention_does_not_count_a_batch_that_failed_after_its_file_was_rotated() {
    let d = tempfile::tempdir().unwrap();
    let mut s = by_size_keeping_bytes(d.path(), 200, 220);
    write(&mut s, 50, 0);
    let (failing, later) = (hand_out(&mut s, 50, 0), hand_out(&mut s, 50, 0));
    // app.log (150 bytes once its batches land) becomes app.000001.log.
    let b = hand_out(&mut s, 100, 0);
    // The first batch in flight to it fails (the engine cut its bytes):
    // it will hold 100.
    let e = io::Error::from_raw_os_error(libc::EIO);
    s.on_write(&WriteOutcome {
        offset: None,
        requested: 50,
        written: 0,
        error: Some(&e),
    });
    drop(failing);
    // A rotation while the other batch is in flight: 100 + 100 rotated
    // bytes fit in 220 (counting the failed batch, 250 did not).
    let c = hand_out(&mut s, 200, 0);
    land(&mut s, &later, 50);
    land(&mut s, &b, 100);
    land(&mut s, &c, 200);
    assert_eq!(
        sizes(d.path()),
        [
            ("app.000001.log".to_owned(), 100),
            ("app.000002.log".to_owned(), 100),
            ("app.log".to_owned(), 200)
        ]
    );
}

/// The active file renamed away by another program while a batch is in
/// flight to it, then a rotation due: the sink opens the path again and
/// frees the blocks it preallocated in the file left once that batch
/// landed (it used to drop the file with them still reserved).
#[test]
fn a_file_taken_over_with_a_batch_in_flight_gets_its_blocks_back_once_it_landed() {
    use std::os::unix::fs::MetadataExt;
    let d = tempfile::tempdir().unwrap();
    let blocks = |n: &str| std::fs::metadata(d.path().join(n)).unwrap().blocks();
    let mut s = RollingFileSink::builder(d.path(), "app")
        .max_file_bytes(150)
        .preallocate_bytes(1 << 20)
        .open()
        .unwrap();
    write(&mut s, 100, 0);
    let second = hand_out(&mut s, 40, 0);
    std::fs::rename(d.path().join("app.log"), d.path().join("moved")).unwrap();
    // Due by size: finds the path taken over.
    let third = hand_out(&mut s, 40, 0);
    let reserved = (100 + (1 << 20) as u64).next_multiple_of(4096) / 512;
    assert_eq!(
        blocks("moved"),
        reserved,
        "the batch in flight may use them"
    );
    land(&mut s, &second, 40);
    assert_eq!(blocks("moved"), 8, "given back once it landed");
    land(&mut s, &third, 40);
    s.close().unwrap();
    assert_eq!(
        sizes(d.path()),
        [("app.log".to_owned(), 40), ("moved".to_owned(), 140)]
    );
    assert_eq!((blocks("app.log"), blocks("moved")), (8, 8));
    assert!(s.take_error().is_none());
}
