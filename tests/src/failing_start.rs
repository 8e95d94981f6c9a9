//! A crash-safe start in a child process (this test binary, run again)
//! under `strace`, whose first call of one system call on one path fails
//! with a chosen errno (`-P PATH -e inject=SYSCALL:error=ERRNO:when=1`):
//! for the steps of a start whose failure must fail `build` naming the
//! cause, or leave the directory for the next start. Needs `strace`
//! (`.ci/run` installs it): without it the tests fail.

use std::path::Path;
use std::process::Command;

/// Where [`start_failing_once`] tells its child what to build on.
const CHILD: &str = "URINGLOG_FAILING_START_CHILD";

/// In the child of [`start_failing_once`]: builds on the directory (see
/// [`crate::crash_safe_start`]), writes what came of it next to the log
/// (`<log>.result`) and exits. Returns at once in any other process:
/// call it first in each test that starts one.
pub fn child_if_asked() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (dir, log) = spec.split_once(',').unwrap();
    let log = Path::new(log);
    let said = match crate::crash_safe_start(Path::new(dir), log, &[]) {
        Ok(notes) => format!("BUILT {notes:?}"),
        Err(e) => format!("ERROR {e}"),
    };
    std::fs::write(log.with_extension("result"), said).unwrap();
    std::process::exit(0);
}

/// Runs test `test` of this binary again as a child that builds a
/// crash-safe logger on `dir` writing `log`, its first `syscall` on
/// `path` failing with `errno` (a name: `EIO`); what the child said:
/// `ERROR <the build's error>` or `BUILT <its notices>`.
pub fn start_failing_once(
    test: &str,
    dir: &Path,
    log: &Path,
    path: &Path,
    syscall: &str,
    errno: &str,
) -> String {
    start_failing_at(test, dir, log, (path, syscall, errno), "1")
}

/// [`start_failing_once`], but the calls of `syscall` on `path` that
/// fail are the `when`th of the thread making them, in strace's terms
/// (`2`: the second; `1+`: every one; strace counts calls per thread:
/// recovery's are the writer thread's).
pub fn start_failing_at(
    test: &str,
    dir: &Path,
    log: &Path,
    fault: (&Path, &str, &str),
    when: &str,
) -> String {
    let (path, syscall, errno) = fault;
    let status = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-P"])
        .arg(path)
        .args([
            "-e",
            &format!("trace={syscall}"),
            "-e",
            &format!("inject={syscall}:error={errno}:when={when}"),
            "--",
        ])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{},{}", dir.display(), log.display()))
        .status()
        .expect("strace (installed by .ci/run)");
    assert!(status.success(), "{status:?}");
    std::fs::read_to_string(log.with_extension("result")).unwrap()
}

/// After a start on `dir` (holding what `leave_pending` left, its files
/// `before` the start) was refused: asserts the start wrote nothing to
/// `log` and left the directory as it was, and that the next start
/// writes each pending record once.
pub fn assert_refused_then_recovered(
    dir: &Path,
    log: &Path,
    before: &std::collections::BTreeMap<String, Vec<u8>>,
) {
    assert_eq!(std::fs::read(log).unwrap(), b"", "records written");
    assert!(
        crate::files_but_the_lock(dir) == *before,
        "the directory changed"
    );
    let stats = crate::crash_child::recover_plain(dir, log);
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (5, 5, 0));
    let from = format!("process {} (generation 1)", std::process::id());
    assert_eq!(crate::read_lines(log), crate::pending_lines(&from));
}
