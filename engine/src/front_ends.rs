//! Front ends that keep filter decisions of their own (`log::max_level()`,
//! `tracing`'s callsite interest) and must hear when the filter changes.

use crate::shared::Shared;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which front ends a logger is attached to.
#[derive(Debug, Default)]
pub(crate) struct FrontEnds {
    /// Installed behind the `log` facade (`Builder::init_global`).
    pub log_global: AtomicBool,
    /// A `tracing` layer or writer was made from it.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub tracing: AtomicBool,
}

impl FrontEnds {
    /// Tells the front ends attached to `shared` that its filter changed.
    pub(crate) fn filter_changed(&self, shared: &Shared) {
        // Relaxed: the flags are set before the handle that calls
        // `set_level` could observe the front end in use.
        if self.log_global.load(Ordering::Relaxed) {
            // Under the filter's lock: racing `set_level`s store their
            // `max_level` in the order they changed the filter.
            shared
                .filter
                .publish_coarse(|coarse| log::set_max_level(coarse.into()));
        }
        #[cfg(feature = "tracing")]
        if self.tracing.load(Ordering::Relaxed) {
            tracing_core::callsite::rebuild_interest_cache();
        }
    }
}
