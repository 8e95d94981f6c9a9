//! Three threads fork while another thread builds and drops loggers that
//! reopen on `SIGUSR1`, so the signal's handler is installed and the
//! previous action put back again and again. Each child builds such a
//! logger itself and takes the signal (see `forking_builds`): the handler
//! must be installed when its build returns, or the signal ends it.
//!
//! `fork` copies the signal dispositions before the memory, and the
//! parent's other threads run in between: a child could get the count of
//! holds of a moment when the handler was installed and the disposition
//! of a moment before, when the default was back. Its build saw holds,
//! installed nothing, and the signal ended the child (about one child in
//! a few hundred here). A registration now installs the handler whenever
//! the default is in place.

#[test]
fn a_child_forked_while_a_thread_re_registers_the_reopen_signal_keeps_its_handler() {
    uringlog_tests::forking_builds::forks_while_building(3);
}
