// SPDX-License-Identifier: GPL-2.0

//! An irq-saving spinlock, for the state a channel shares with its event handler.
//!
//! The kernel crate of the 7.2 series has no lock that disables interrupts
//! (`SpinLockIrq` came later), and a spinlock the handler takes must be taken
//! with interrupts off everywhere else. This is the kernel's own
//! `Lock`/`Guard` with a backend that calls `spin_lock_irqsave` (through
//! helpers.c: it is a macro). Create one with
//! `IrqSpinLock::new(value, c"name", kernel::static_lock_class!())`.

use crate::ffi;
use kernel::{
    bindings,
    ffi::{c_char, c_ulong},
    sync::lock::{Backend, Lock},
};

/// A spinlock that disables local interrupts while held.
pub(crate) type IrqSpinLock<T> = Lock<T, IrqSpinLockBackend>;

/// The guard of an [`IrqSpinLock`].
pub(crate) type IrqSpinLockGuard<'a, T> = kernel::sync::lock::Guard<'a, T, IrqSpinLockBackend>;

/// The [`Backend`] of [`IrqSpinLock`]: the saved interrupt flags are the guard's state.
pub(crate) struct IrqSpinLockBackend;

// SAFETY: `spin_lock_irqsave` gives mutual exclusion between `lock` and `unlock`,
// and `relock` (the trait's default) takes the lock the same way again.
unsafe impl Backend for IrqSpinLockBackend {
    type State = bindings::spinlock_t;
    type GuardState = c_ulong;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: The caller guarantees that `ptr` is valid for writes and that
        // `name` and `key` live forever.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller guarantees that `ptr` is an initialised lock.
        unsafe { ffi::xen_channel_spin_lock_irqsave(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        let mut flags = 0;
        // SAFETY: The caller guarantees that `ptr` is an initialised lock;
        // `flags` is valid for writes.
        unsafe { ffi::xen_channel_spin_trylock_irqsave(ptr, &mut flags) }.then_some(flags)
    }

    unsafe fn unlock(ptr: *mut Self::State, flags: &Self::GuardState) {
        // SAFETY: The caller owns the lock, taken by `lock` or `try_lock`, which
        // saved `flags`.
        unsafe { ffi::xen_channel_spin_unlock_irqrestore(ptr, *flags) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees that `ptr` is an initialised lock.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}
