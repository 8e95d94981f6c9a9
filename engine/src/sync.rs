//! Synchronization primitives, switched between `std` and `loom`.
//!
//! Code that must be model-checked imports its atomics, fences, `Arc` and
//! `UnsafeCell` from here instead of from `std`. Under `--cfg loom` these are
//! loom's instrumented versions, otherwise the plain `std` ones. This mirrors
//! the `primitive` module of crossbeam-utils.
//!
//! `UnsafeCell` follows loom's closure-based API (`with` / `with_mut`), so the
//! same code compiles against both; the `std` version is a zero-cost wrapper.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;
// Not every user of this shim needs a cell (the overwrite ring does not).
#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::cell::UnsafeCell;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;

/// `std` counterpart of `loom::cell::UnsafeCell`: same closure-based API.
///
/// Creating the raw pointers is safe; dereferencing them is the caller's
/// `unsafe` responsibility, exactly as with loom's cell.
#[cfg(not(loom))]
#[derive(Debug, Default)]
#[allow(dead_code)] // Not every user of this shim needs a cell.
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
#[allow(dead_code)]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a shared raw pointer to the contents.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Calls `f` with a mutable raw pointer to the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
