// SPDX-License-Identifier: GPL-2.0

//! Who waits on a channel: sleepers in read, write and fsync, pollers, and SIGIO
//! subscribers.
//!
//! A sleeper records the wakeup counter before it looks at the channel and sleeps
//! until the counter moves, checked inside `wait_event`: a change between the look
//! and the sleep is never lost. Waking is safe in interrupt context.

use crate::ffi;
use crate::pure::lifecycle::Bands;
use core::ffi::c_void;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    bindings,
    ffi::{c_int, c_long},
    prelude::*,
    types::Opaque,
};

/// The wait queue, the SIGIO subscribers and the wakeup counter of a channel.
///
/// # Invariants
///
/// `queue` is an initialised wait queue head; `fasync` is a `fasync_struct` list
/// managed by `fasync_helper`.
#[pin_data]
pub(crate) struct Waiters {
    #[pin]
    queue: Opaque<bindings::wait_queue_head>,
    fasync: Opaque<*mut bindings::fasync_struct>,
    /// Bumped on every reason to wake a sleeper.
    wakeups: AtomicU32,
}

impl Waiters {
    /// Nobody waits yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid for writing an uninitialised wait queue head.
            queue <- Opaque::ffi_init(|slot| unsafe { ffi::xen_channel_waitq_init(slot) }),
            fasync: Opaque::new(core::ptr::null_mut()),
            wakeups: AtomicU32::new(0),
        })
    }

    /// The wakeup counter, to pass to [`Waiters::wait`] after looking.
    pub(crate) fn seen(&self) -> u32 {
        self.wakeups.load(Ordering::Acquire)
    }

    /// Wakes every sleeper and poller, and sends SIGIO with each band in `bands`.
    pub(crate) fn wake(&self, bands: Bands) {
        self.wakeups.fetch_add(1, Ordering::AcqRel);
        // SAFETY: By the type invariant `queue` is initialised. TASK_NORMAL with
        // nr_exclusive 0 wakes every sleeper and every poller.
        unsafe {
            bindings::__wake_up(
                self.queue.get(),
                bindings::TASK_NORMAL,
                0,
                core::ptr::null_mut(),
            )
        };
        for (owed, band) in [
            (bands.input, bindings::POLL_IN),
            (bands.output, bindings::POLL_OUT),
            (bands.hang_up, bindings::POLL_HUP),
            (bands.error, bindings::POLL_ERR),
        ] {
            if owed {
                // SAFETY: `fasync` is only changed by fasync_helper, which
                // kill_fasync synchronises with (RCU); callable from interrupts.
                unsafe {
                    bindings::kill_fasync(
                        self.fasync.get(),
                        bindings::SIGIO as c_int,
                        band as c_int,
                    )
                };
            }
        }
    }

    /// Sleeps until something happened since the counter read `seen`.
    ///
    /// # Errors
    ///
    /// ERESTARTSYS if a signal arrived.
    pub(crate) fn wait(&self, seen: u32) -> Result {
        let ctx = WaitContext {
            waiters: self,
            seen,
        };
        // SAFETY: `queue` is initialised; `ctx` outlives the call.
        let ret =
            unsafe { ffi::xen_channel_wait(self.queue.get(), woken, (&raw const ctx).cast()) };
        if ret != 0 {
            return Err(ERESTARTSYS);
        }
        Ok(())
    }

    /// As [`Waiters::wait`], for at most `jiffies`: the jiffies left, 0 on time-out.
    ///
    /// # Errors
    ///
    /// ERESTARTSYS if a signal arrived.
    pub(crate) fn wait_timeout(&self, seen: u32, jiffies: c_long) -> Result<c_long> {
        let ctx = WaitContext {
            waiters: self,
            seen,
        };
        // SAFETY: `queue` is initialised; `ctx` outlives the call.
        let ret = unsafe {
            ffi::xen_channel_wait_timeout(self.queue.get(), woken, (&raw const ctx).cast(), jiffies)
        };
        if ret < 0 {
            return Err(ERESTARTSYS);
        }
        Ok(ret)
    }

    /// The wait queue head, for `poll_wait`.
    pub(crate) fn queue(&self) -> *mut bindings::wait_queue_head {
        self.queue.get()
    }

    /// The `fasync_struct` list head, for `fasync_helper`.
    pub(crate) fn fasync_list(&self) -> *mut *mut bindings::fasync_struct {
        self.fasync.get()
    }
}

struct WaitContext<'a> {
    waiters: &'a Waiters,
    seen: u32,
}

/// Wait condition: something happened since the sleeper looked.
///
/// # Safety
///
/// `ctx` must point to a live [`WaitContext`].
unsafe extern "C" fn woken(ctx: *const c_void) -> bool {
    // SAFETY: `wait` and `wait_timeout` pass a live `WaitContext`.
    let ctx = unsafe { &*ctx.cast::<WaitContext<'_>>() };
    ctx.waiters.wakeups.load(Ordering::Acquire) != ctx.seen
}
