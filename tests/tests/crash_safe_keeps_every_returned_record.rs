//! Crash-safe mode: a child process (this test binary, re-executed) logs
//! numbered records from two threads and reports on stderr the last
//! sequence whose call returned; it dies by `SIGKILL` (at seeded random
//! points), `abort()` or a segfault. A logger built on the same directory
//! then writes what was committed but not written: the file holds every
//! record up to the last reported one, each exactly once, in order per
//! thread, with the recovery record in front of the recovered ones. The
//! records are deferred (the macros with `{}` integers, strings, floats and
//! `{:>8}`, `{:x}`, `{:?}`), from call sites that appear mid-run:
//! recovered through the dead child's call-site table or written live,
//! each line is the one a normal logger writes. Some runs delete the table
//! shortly before the kill: a record pending then is written with its
//! values only (counted in the recovery record), still exactly once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use uringlog::{Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{field, read_lines};

const CHILD: &str = "URINGLOG_CRASH_CHILD";
const THREADS: u64 = 2;
/// Records per thread the child logs at most.
const MAX_RECORDS: u64 = 200_000;

/// How the child dies.
#[derive(Clone, Copy, Debug)]
enum Death {
    /// The parent kills it after this many reports.
    Kill(u64),
    /// It aborts after thread 0 logged this many records.
    Abort(u64),
    /// It kills itself (`SIGKILL`) after thread 0 logged this many records.
    KillSelf(u64),
    /// It faults after thread 0 logged this many records.
    Segfault(u64),
}

/// The child: logs until it dies. Never returns.
fn child(spec: &str) -> ! {
    let mut it = spec.split(',');
    let (dir, log, death, n, delete_at) = (
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap().parse::<u64>().unwrap(),
        it.next().unwrap().parse::<u64>().unwrap(),
    );
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .crash_safe(dir)
        .ring_capacity(64 * 1024)
        .batch_size(64)
        .build()
        .unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let logger = logger.clone();
            let death = death.to_owned();
            let table = Path::new(dir).join("sites-1");
            std::thread::spawn(move || {
                for i in 0..MAX_RECORDS {
                    let (name, x) = names_and_floats(i);
                    // Each expansion is a call site of its own, with the
                    // same message: new ones appear mid-run.
                    macro_rules! log {
                        () => {
                            uringlog::info!(
                                logger,
                                "crash test t={} seq={} pad=....... s={} f={} r={:>8}| h={:x} d={:?}",
                                t,
                                i,
                                name,
                                x,
                                i,
                                i,
                                name
                            )
                        };
                    }
                    match site_of(i) {
                        0 => log!(),
                        1 => log!(),
                        2 => log!(),
                        _ => log!(),
                    }
                    eprintln!("SEQ {t} {i}");
                    if t == 0 && i == delete_at {
                        // A cleanup job deletes the call-site table.
                        std::fs::remove_file(&table).unwrap();
                    }
                    if t == 0 && i + 1 == n {
                        match death.as_str() {
                            "abort" => std::process::abort(),
                            // SAFETY: raise on our own process.
                            "killself" => unsafe {
                                libc::raise(libc::SIGKILL);
                            },
                            "segfault" => segfault(),
                            _ => {}
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    drop(guard);
    // Logged everything without dying: the parent reports it.
    std::process::exit(3);
}

/// Which of four call sites logs sequence `i`: one at first, a new one
/// from each of `NEW_SITES_AT` on, used in turn.
fn site_of(i: u64) -> u64 {
    const NEW_SITES_AT: [u64; 3] = [1_500, 6_000, 15_000];
    let open = 1 + NEW_SITES_AT.iter().filter(|&&at| i >= at).count() as u64;
    i % open
}

/// The string and float the child logs with sequence `i`.
fn names_and_floats(i: u64) -> (&'static str, f64) {
    const NAMES: [&str; 4] = ["alice", "bob \"quoted\"", "tab\there", "ünï"];
    (NAMES[(i % 4) as usize], i as f64 / 3.0)
}

/// The message the child logs for thread `t`, sequence `i`, as `format!`
/// makes it.
fn message(t: u64, i: u64) -> String {
    let (name, x) = names_and_floats(i);
    format!("crash test t={t} seq={i} pad=....... s={name} f={x} r={i:>8}| h={i:x} d={name:?}")
}

/// The line recovery writes for `message(t, i)` when its call site is
/// not in the table (deleted, and the child died before writing it
/// again): the values only, after the call site's address.
fn values_only(t: u64, i: u64) -> String {
    let (name, x) = names_and_floats(i);
    let (r, h, d) = (format!("{i:>8}"), format!("{i:x}"), format!("{name:?}"));
    format!("values: {t}, {i}, {name:?}, {x}, {r:?}, {h:?}, {d:?}")
}

/// `(t, seq)` of a line written with its values only.
fn values_only_seq(line: &str) -> Option<(u64, u64)> {
    let (_, v) = line.split_once(" not in the call-site table] values: ")?;
    let mut it = v.split(", ");
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// A real memory fault: a store to a page mapped without access.
fn segfault() -> ! {
    // SAFETY: maps one fresh page with no access rights.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    // SAFETY: the page is mapped (so the pointer is valid and aligned);
    // the store faults with SIGSEGV, whose default action ends the process.
    unsafe { std::ptr::write_volatile(p.cast::<u8>(), 1) };
    unreachable!("the store above faults");
}

/// Runs the child in `test` until it dies; returns the last sequence per
/// thread whose call returned, and the child's pid.
/// `delete_at`: the sequence after which thread 0 deletes the call-site
/// table (`u64::MAX`: never).
fn run_child(
    test: &str,
    dir: &Path,
    log: &Path,
    death: Death,
    delete_at: u64,
) -> (HashMap<u64, u64>, u32) {
    let (name, n) = match death {
        Death::Kill(_) => ("kill", 0),
        Death::Abort(n) => ("abort", n),
        Death::KillSelf(n) => ("killself", n),
        Death::Segfault(n) => ("segfault", n),
    };
    let spec = format!("{},{},{name},{n},{delete_at}", dir.display(), log.display());
    let mut c = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, spec)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = c.id();
    let mut last: HashMap<u64, u64> = HashMap::new();
    let mut reports = 0u64;
    for line in BufReader::new(c.stderr.take().unwrap()).lines() {
        let Ok(line) = line else { break };
        let mut w = line.split(' ');
        if w.next() != Some("SEQ") {
            continue;
        }
        // The child may die in the middle of writing a line (stderr is
        // unbuffered): a torn last line reports nothing.
        let (Some(Ok(t)), Some(Ok(s))) = (
            w.next().map(str::parse::<u64>),
            w.next().map(str::parse::<u64>),
        ) else {
            continue;
        };
        last.insert(t, s);
        reports += 1;
        if let Death::Kill(k) = death {
            if reports == k {
                // SAFETY: kill on the pid of our own child, not yet reaped.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                break;
            }
        }
    }
    let status = c.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    let want = match death {
        Death::Kill(_) | Death::KillSelf(_) => libc::SIGKILL,
        Death::Abort(_) => libc::SIGABRT,
        Death::Segfault(_) => libc::SIGSEGV,
    };
    assert_eq!(status.signal(), Some(want), "child ended with {status:?}");
    (last, pid)
}

/// Recovers with a new logger and checks the file (see the module docs).
fn recover_and_check(dir: &Path, log: &Path, last: &HashMap<u64, u64>, pid: u32) {
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .crash_safe(dir)
        .build()
        .unwrap();
    uringlog::info!(logger, "after recovery");
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(stats.written + stats.dropped, stats.enqueued);
    assert_eq!(stats.dropped, 0);
    let lines = read_lines(log);
    let marks: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("crash-safe recovery:"))
        .collect();
    // None when the death found every record committed and written.
    assert!(marks.len() <= 1, "one recovery record at most: {marks:?}");
    let mark = marks.first().map_or("", |&m| &lines[m]);
    if let Some(&at) = marks.first() {
        eprintln!("{mark}");
        assert!(mark.contains(&format!("from process {pid} ")), "{mark}");
        assert!(
            mark.contains(", 0 torn or corrupt records skipped"),
            "{mark}"
        );
        assert!(!mark.contains("not cut"), "{mark}");
        let recovered = lines.len() - at - 2; // less the mark and "after recovery"
        assert!(
            mark.contains(&format!(": {recovered} records recovered")),
            "{mark} with {recovered} lines after it"
        );
    }
    assert!(lines.last().unwrap().contains("after recovery"));
    let mut seqs: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut logged = Vec::new();
    let mut bare = Vec::new();
    for l in &lines[..lines.len() - 1] {
        if let Some((t, s)) = values_only_seq(l) {
            // Pending when the table was deleted: its values only.
            seqs.entry(t).or_default().push(s);
            bare.push((t, s, l));
        } else if let (Some(t), Some(s)) = (field(l, " t="), field(l, "seq=")) {
            seqs.entry(t).or_default().push(s);
            logged.push((t, s, l));
        }
    }
    let counted = match mark.split_once(" of them written with their values only") {
        Some((head, _)) => head.rsplit(' ').next().unwrap().parse().unwrap(),
        None => 0,
    };
    assert_eq!(bare.len(), counted, "{mark}");
    // Escaped as the text format escapes any message.
    let values = normal_lines(bare.iter().map(|x| values_only(x.0, x.1)));
    for ((_, _, l), want) in bare.iter().zip(&values) {
        let (_, want) = want.split_once(": ").unwrap();
        assert!(
            l.ends_with(&format!("not in the call-site table] {want}")),
            "line {l:?}"
        );
    }
    // Written live or recovered from the table, each line is the one a
    // normal logger writes (but for the timestamp).
    let normal = normal_lines(logged.iter().map(|x| message(x.0, x.1)));
    assert_eq!(normal.len(), logged.len());
    for ((_, _, l), want) in logged.iter().zip(&normal) {
        let (_time, rest) = l.split_once(' ').unwrap();
        assert_eq!(rest, want, "line {l:?}");
    }
    for (t, &l) in last {
        let got = seqs.remove(t).unwrap_or_default();
        // Exactly 0, 1, 2, …: every record once, in order, none missing.
        let expect: Vec<u64> = (0..got.len() as u64).collect();
        assert!(got == expect, "thread {t}: not 0..{} in order", got.len());
        assert!(
            got.len() as u64 > l,
            "thread {t}: {} records, {l} returned",
            got.len()
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "lock")
        .collect();
    assert!(
        left.is_empty(),
        "a normal shutdown leaves no pending data: {left:?}"
    );
}

/// What a logger not in crash-safe mode writes for each of `msgs` (the
/// default text format), but for the timestamp.
fn normal_lines(msgs: impl Iterator<Item = String>) -> Vec<String> {
    let (sink, out) = uringlog::MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    for m in msgs {
        uringlog::info!(logger, "{}", m);
    }
    guard.shutdown(Duration::from_secs(60)).unwrap();
    let lines = out.lines();
    lines
        .iter()
        .map(|l| l.split_once(' ').unwrap().1.to_owned())
        .collect()
}

/// Runs the child (or, in the child, logs until death) and checks.
fn scenario(test: &str, death: Death, delete_at: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let (last, pid) = run_child(test, &dir, &log, death, delete_at);
    // The child's records are deferred: their call sites are in the table
    // (unless it was deleted and not written again before the death).
    if delete_at == u64::MAX {
        let table = std::fs::metadata(dir.join("sites-1")).unwrap();
        assert!(table.len() > 32, "call-site table of {} bytes", table.len());
    }
    // A batch in flight at the crash (bytes past the committed length,
    // which the dead process counted as its own) is cut back; bytes
    // another writer appends are not (see
    // `crash_safe_fork_then_sigkill_keeps_the_childs_lines`).
    recover_and_check(&dir, &log, &last, pid);
}

/// In the child process: logs until it dies.
fn child_if_asked() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
}

/// A small deterministic generator for the kill points.
fn kill_points(seed: u64, n: usize) -> Vec<u64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + x % 60_000
        })
        .collect()
}

/// Seeds 1-4: the parent kills the child at random points while new call
/// sites appear. Seeds 5-10: the child deletes the call-site table and
/// kills itself 0 to 99 records later (thread 0's), at a random point:
/// most such kills land before the writer wrote the table again.
#[test]
fn sigkill_at_seeded_random_points() {
    child_if_asked();
    for seed in 1u64..=10 {
        let [k, back] = kill_points(seed, 2)[..] else {
            unreachable!()
        };
        let (death, delete_at) = match seed {
            1..=4 => (Death::Kill(k), u64::MAX),
            _ => (Death::KillSelf(k / 2 + 100), k / 2 + 100 - back % 100),
        };
        eprintln!("seed {seed}: {death:?}, table deleted after seq {delete_at}");
        scenario("sigkill_at_seeded_random_points", death, delete_at);
    }
}

#[test]
fn abort_keeps_every_returned_record() {
    child_if_asked();
    scenario(
        "abort_keeps_every_returned_record",
        Death::Abort(25_000),
        u64::MAX,
    );
}

#[test]
fn segfault_keeps_every_returned_record() {
    child_if_asked();
    scenario(
        "segfault_keeps_every_returned_record",
        Death::Segfault(40_000),
        u64::MAX,
    );
}

#[test]
fn a_second_process_gets_the_holders_pid() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (_logger, guard) = Logger::builder()
        .sink(FileSink::new(tmp.path().join("a.log")).unwrap())
        .crash_safe(&dir)
        .build()
        .unwrap();
    // A second open of the lock file conflicts like another process would.
    let e = Logger::builder()
        .sink(FileSink::new(tmp.path().join("b.log")).unwrap())
        .crash_safe(&dir)
        .build()
        .unwrap_err();
    let me = std::process::id();
    assert_eq!(
        e.to_string(),
        format!(
            "crash-safe directory {}: in use by process {me}, which is running",
            dir.display()
        )
    );
    guard.shutdown(Duration::from_secs(30)).unwrap();
    let e = Logger::builder()
        .sink(FileSink::new(tmp.path().join("c.log")).unwrap())
        .crash_safe(&dir)
        .policy(Policy::DropOldest)
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "crash_safe with Policy::DropOldest is not supported: the overwriting ring does not live in a file; use Block or DropNewest"
    );
    // After shutdown the directory is free again.
    let (_l, g) = Logger::builder()
        .sink(FileSink::new(tmp.path().join("d.log")).unwrap())
        .crash_safe(&dir)
        .build()
        .unwrap();
    drop(g);
}
