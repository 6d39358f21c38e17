// SPDX-License-Identifier: GPL-2.0

//! Moving bytes between user space and the ring: blocking and non-blocking read and
//! write, readiness for poll, and the sleep that waits for the backend.
//!
//! A sleeper records the channel's wakeup counter before it looks at the ring and
//! sleeps until the counter moves, checked inside `wait_event`: an event between
//! the look and the sleep is never lost.

use super::Channel;
use crate::ring;
use core::ffi::c_void;
use core::sync::atomic::Ordering;
use kernel::{
    bindings,
    ffi::c_int,
    prelude::*,
    uaccess::{UserSliceReader, UserSliceWriter},
};

extern "C" {
    fn xen_channel_wait(
        wq: *mut bindings::wait_queue_head,
        cond: unsafe extern "C" fn(*const c_void) -> bool,
        ctx: *const c_void,
    ) -> c_int;
}

impl Channel {
    /// Reads up to `out.len()` bytes; 0 means the backend hung up and nothing is left.
    pub(crate) fn read(&self, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        self.retry(nonblock, || {
            let mut guard = self.rx.lock();
            let rx = &mut *guard;
            self.check_usable()?;
            if rx.saved_pos < rx.saved.len() {
                let n = out.len().min(rx.saved.len() - rx.saved_pos);
                out.write_slice(&rx.saved[rx.saved_pos..rx.saved_pos + n])?;
                rx.saved_pos += n;
                if rx.saved_pos == rx.saved.len() {
                    rx.saved.clear();
                    rx.saved_pos = 0;
                }
                self.stats.rx_bytes.fetch_add(n as u64, Ordering::Relaxed);
                return Ok(Some(n));
            }
            if let Some(ring) = self.ring() {
                let want = out.len().min(rx.bounce.len());
                let n =
                    ring::peek(&ring, &mut rx.bounce[..want]).map_err(|bad| self.corrupt(bad))?;
                if n > 0 {
                    // Consume only what reached user space: a fault loses nothing.
                    out.write_slice(&rx.bounce[..n])?;
                    ring::consume(&ring, n);
                    self.notify();
                    self.stats.rx_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    return Ok(Some(n));
                }
            }
            Ok(self.hung_up.load(Ordering::Acquire).then_some(0))
        })
    }

    /// Writes up to `input.len()` bytes; returns how many the ring accepted.
    pub(crate) fn write(&self, input: &mut UserSliceReader, nonblock: bool) -> Result<usize> {
        if input.is_empty() {
            return Ok(0);
        }
        self.retry(nonblock, || {
            let mut guard = self.tx.lock();
            let tx = &mut *guard;
            self.check_usable()?;
            if self.hung_up.load(Ordering::Acquire) {
                return Err(EPIPE);
            }
            let Some(ring) = self.ring() else {
                return Ok(None);
            };
            let free = ring::writable(&ring).map_err(|bad| self.corrupt(bad))? as usize;
            if free == 0 {
                return Ok(None);
            }
            let n = input.len().min(free);
            input.read_slice(&mut tx.bounce[..n])?;
            let accepted = ring::write(&ring, &tx.bounce[..n]).map_err(|bad| self.corrupt(bad))?;
            self.notify();
            self.stats
                .tx_bytes
                .fetch_add(accepted as u64, Ordering::Relaxed);
            Ok(Some(accepted))
        })
    }

    /// Runs `attempt` until it yields a value, sleeping until the next event between
    /// tries; with `nonblock`, -EAGAIN instead of sleeping.
    ///
    /// The wakeup counter is read before each try, so an event that arrives while
    /// `attempt` runs ends the following sleep at once.
    fn retry<T>(
        &self,
        nonblock: bool,
        mut attempt: impl FnMut() -> Result<Option<T>>,
    ) -> Result<T> {
        loop {
            let seen = self.wakeups.load(Ordering::Acquire);
            if let Some(value) = attempt()? {
                return Ok(value);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            self.wait_for_wakeup(seen)?;
        }
    }

    /// Readiness for poll.
    pub(crate) fn readiness(&self) -> Readiness {
        let error = self.check_usable().is_err();
        let hung_up = self.hung_up.load(Ordering::Acquire);
        let readable = {
            let rx = self.rx.lock();
            rx.saved_pos < rx.saved.len()
                || self
                    .ring()
                    .is_some_and(|r| ring::readable(&r).map_or(true, |n| n > 0))
        };
        let writable = {
            let _tx = self.tx.lock();
            self.ring()
                .is_some_and(|r| ring::writable(&r).map_or(true, |n| n > 0))
        };
        Readiness {
            // A hung-up channel reads EOF without blocking.
            readable: readable || hung_up || error,
            writable: (writable && !hung_up) || error,
            hang_up: !self.connected.load(Ordering::Acquire),
            error,
        }
    }

    /// The wait queue that poll registers on.
    pub(crate) fn waitq(&self) -> *mut bindings::wait_queue_head {
        self.waitq.get()
    }

    fn wait_for_wakeup(&self, seen: u32) -> Result {
        let ctx = WaitContext {
            channel: self,
            seen,
        };
        // SAFETY: `waitq` is initialised; `ctx` outlives the call.
        let ret = unsafe { xen_channel_wait(self.waitq.get(), woken, (&raw const ctx).cast()) };
        if ret != 0 {
            return Err(ERESTARTSYS);
        }
        Ok(())
    }
}

/// What poll reports.
pub(crate) struct Readiness {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    pub(crate) hang_up: bool,
    pub(crate) error: bool,
}

struct WaitContext<'a> {
    channel: &'a Channel,
    seen: u32,
}

/// Wait condition: something happened since the sleeper looked.
///
/// # Safety
///
/// `ctx` must point to a live [`WaitContext`].
unsafe extern "C" fn woken(ctx: *const c_void) -> bool {
    // SAFETY: `wait_for_wakeup` passes a live `WaitContext`.
    let ctx = unsafe { &*ctx.cast::<WaitContext<'_>>() };
    ctx.channel.wakeups.load(Ordering::Acquire) != ctx.seen
}
