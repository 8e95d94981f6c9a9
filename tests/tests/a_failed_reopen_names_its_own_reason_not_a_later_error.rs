//! A `Logger::reopen` whose one sink cannot reopen returns `Failed`
//! naming that sink and the reason, even when another sink, reopened
//! after it in the same reopen, reports an error of its own (one it
//! survived, told through `Sink::take_error`). Before, the call named
//! whatever error was reported last, here the other sink's. Async (the
//! writer thread reopens) and sync mode (the caller does).

use std::io;
use uringlog::{Logger, Mode, ReopenCause, ReopenError, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// How the failing reopen words its reason.
const REASON: &str = "no room for a new file";
/// The error the other sink survived while it reopened.
const OTHER: &str = "the old file was truncated";

/// A sink whose reopens fail.
struct CannotReopen;

impl Sink for CannotReopen {
    fn describe(&self) -> String {
        "cannot reopen".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn reopen(&mut self, _cause: ReopenCause) -> io::Result<()> {
        Err(io::Error::other(REASON))
    }
}

/// A sink whose reopens succeed, each leaving an error it survived.
#[derive(Default)]
struct ReopensWithAnError {
    survived: Option<io::Error>,
}

impl Sink for ReopensWithAnError {
    fn describe(&self) -> String {
        "reopens with an error".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn reopen(&mut self, _cause: ReopenCause) -> io::Result<()> {
        self.survived = Some(io::Error::other(OTHER));
        Ok(())
    }
    fn take_error(&mut self) -> Option<io::Error> {
        self.survived.take()
    }
}

fn scenario(mode: Mode) {
    let (logger, guard) = Logger::builder()
        .sink(CannotReopen)
        .sink(ReopensWithAnError::default())
        .mode(mode)
        .build()
        .unwrap();
    let what = format!("{mode:?}");
    match logger.reopen() {
        Err(ReopenError::Failed { sinks: 1, last }) => {
            assert_eq!(
                last,
                format!("cannot reopen cannot reopen: {REASON}"),
                "{what}"
            )
        }
        other => panic!("{what}: the reopen returned {other:?}"),
    }
    // Both errors are counted and told, in order.
    let recent = logger.recent_errors();
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(end.errors, 2, "{what}: {end:?}");
    assert!(
        recent.iter().any(|e| e.contains(OTHER)),
        "{what}: {recent:?}"
    );
}

#[test]
fn a_failed_reopen_names_its_own_reason_not_a_later_error() {
    scenario(Mode::Sync);
    scenario(Mode::Async);
}
