//! Atomics routed through one place, so model tests can swap in `loom`.
//!
//! Code that implements its own lock-free protocol imports atomics from here,
//! never from `std` directly; `RUSTFLAGS="--cfg loom"` then checks it under
//! every interleaving loom explores.

#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
