//! Two threads call `Logger::reopen` at once: the first one's reopen
//! fails (its sink cannot open its path), the second one's, asked for
//! while the first was under way, succeeds. Each call returns what its
//! own reopen did: the first `Failed`, naming the reason, the second
//! `Ok`. Before, the second call counted the failures of every reopen
//! that ended while it waited, so it reported the first one's failure as
//! its own. Async (the writer thread reopens) and sync mode (the caller
//! does).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{mpsc, Arc};
use uringlog::{Logger, Mode, ReopenCause, ReopenError, Sink, Target};
use uringlog_tests::{wait_for, wait_until_stuck, SHUTDOWN};

/// How the failing reopen words its reason.
const REASON: &str = "no room for a new file";

/// A sink whose first reopen waits for the test, then fails; later
/// reopens succeed.
struct FirstReopenFails {
    entered: Arc<AtomicBool>,
    release: Option<mpsc::Receiver<()>>,
}

impl Sink for FirstReopenFails {
    fn describe(&self) -> String {
        "first reopen fails".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn reopen(&mut self, _cause: ReopenCause) -> io::Result<()> {
        let Some(rx) = self.release.take() else {
            return Ok(());
        };
        self.entered.store(true, Ordering::SeqCst);
        rx.recv().unwrap();
        Err(io::Error::other(REASON))
    }
}

/// Whether thread `tid` of this process is asleep (`S` in its `stat`).
fn asleep(tid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
    let state = stat.rsplit_once(") ").unwrap().1;
    state.starts_with('S')
}

fn scenario(mode: Mode) {
    let entered = Arc::new(AtomicBool::new(false));
    let (release, rx) = mpsc::channel();
    let sink = FirstReopenFails {
        entered: entered.clone(),
        release: Some(rx),
    };
    let (logger, guard) = Logger::builder().sink(sink).mode(mode).build().unwrap();
    let first = {
        let l = logger.clone();
        std::thread::spawn(move || l.reopen())
    };
    wait_until_stuck(&entered);
    // The second call starts while the first reopen is under way, and
    // waits for the writer (the writer thread, or in sync mode the lock
    // the first call holds).
    let tid = Arc::new(AtomicI32::new(0));
    let second = {
        let (l, tid) = (logger.clone(), tid.clone());
        std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            tid.store(unsafe { libc::gettid() }, Ordering::SeqCst);
            l.reopen()
        })
    };
    wait_for("the second reopen to wait", || {
        let t = tid.load(Ordering::SeqCst);
        t != 0 && asleep(t)
    });
    release.send(()).unwrap();
    let (first, second) = (first.join().unwrap(), second.join().unwrap());
    let what = format!("{mode:?}");
    match first {
        Err(ReopenError::Failed { sinks: 1, last }) => {
            assert!(last.contains(REASON), "{what}: {last}")
        }
        other => panic!("{what}: the failed reopen returned {other:?}"),
    }
    assert_eq!(second, Ok(()), "{what}: the reopen that succeeded");
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(end.errors, 1, "{what}: {end:?}");
}

#[test]
fn a_reopen_that_succeeds_while_another_fails_returns_ok() {
    scenario(Mode::Sync);
    scenario(Mode::Async);
}
