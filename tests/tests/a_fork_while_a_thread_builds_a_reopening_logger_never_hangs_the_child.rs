//! A process forks while another of its threads builds and drops loggers
//! that reopen on a signal. Each child builds such a logger itself and
//! logs through it (see `forking_builds`). The signal's registrations are
//! serialized by a lock that the building thread may hold at the fork; it
//! does not exist in the child to free it, and the child's build waited
//! for it forever (about one fork in a hundred here). The child's fork
//! handler frees it now.

#[test]
fn a_fork_while_a_thread_builds_a_reopening_logger_never_hangs_the_child() {
    uringlog_tests::forking_builds::forks_while_building(1);
}
