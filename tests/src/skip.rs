//! Skipping a test that needs something this machine lacks — loudly, and
//! never where the environment says the feature must be there.
//!
//! A test that cannot run here (no io_uring, a clock that is not the TSC, a
//! file system that refuses `O_DIRECT`) prints why and passes, so the suite
//! works on users' machines. Where the feature is known to exist (CI sets
//! the variable of each [`Needs`] to `1`), the same skip is a failure: a
//! test that cannot fail is no test.
//!
//! This file is shared: the integration tests reach it through
//! `uringlog_tests`, the engine's unit tests include it by path.

/// Something a test needs from the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// A working io_uring (setup, opcode probe, a `NOP` round trip).
    IoUring,
    /// The TSC as the kernel's clocksource (what `Clock::best` requires).
    Tsc,
    /// A temporary directory whose file system accepts `O_DIRECT`.
    ODirect,
}

impl Needs {
    /// The environment variable that makes a missing feature a failure.
    pub fn variable(self) -> &'static str {
        match self {
            Needs::IoUring => "URINGLOG_REQUIRE_IO_URING",
            Needs::Tsc => "URINGLOG_REQUIRE_TSC",
            Needs::ODirect => "URINGLOG_REQUIRE_O_DIRECT",
        }
    }

    /// Whether the environment requires the feature (its variable is `1`).
    pub fn required(self) -> bool {
        std::env::var_os(self.variable()).is_some_and(|v| v == "1")
    }
}

/// Reports that `test` (or a case of it) does not run because `needs` is
/// missing for `why`: prints it, or panics when the feature is required.
pub fn skip(needs: Needs, test: &str, why: &dyn std::fmt::Display) {
    if needs.required() {
        panic!(
            "{test} cannot run: {why}; {}=1 requires it",
            needs.variable()
        );
    }
    eprintln!("skipping {test}: {why}");
}
