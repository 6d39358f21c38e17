// SPDX-License-Identifier: GPL-2.0

//! Moving bytes between user space and the ring: blocking and non-blocking read and
//! write, readiness for poll, and the sleep that waits for the backend.
//!
//! A sleeper records the channel's wakeup counter before it looks at the ring and
//! sleeps until the counter moves, checked inside `wait_event`: an event between
//! the look and the sleep is never lost.

use super::{link::PageRing, Channel, Saved};
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
    ///
    /// Bytes leave the ring only once they reached user space: they are peeked
    /// (marked in transit), copied out without `ring_lock`, then consumed. A fault
    /// loses nothing; a link ended meanwhile leaves the bytes in transit to us.
    pub(crate) fn read(&self, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        self.retry(nonblock, || {
            // Readers take turns; the lock is dropped before sleeping.
            let mut bounce = self.rx.lock();
            let want = out.len().min(bounce.0.len());
            let Some((n, from_ring)) = self.take_readable(&mut bounce.0[..want])? else {
                return Ok(self.hung_up.load(Ordering::Acquire).then_some(0));
            };
            let copied = out.write_slice(&bounce.0[..n]);
            self.settle_read(&bounce.0[..n], from_ring, copied.is_ok());
            copied?;
            self.stats.rx_bytes.fetch_add(n as u64, Ordering::Relaxed);
            Ok(Some(n))
        })
    }

    /// Moves readable bytes into `dst`: saved ones first (taken), else the ring's
    /// (peeked, in transit). `None` if there are none; otherwise how many, and
    /// whether they came from the ring.
    fn take_readable(&self, dst: &mut [u8]) -> Result<Option<(usize, bool)>> {
        let mut saved = self.ring_lock.lock();
        self.check_usable()?;
        let pos = saved.unread_pos;
        if pos < saved.unread.len() {
            let n = dst.len().min(saved.unread.len() - pos);
            dst[..n].copy_from_slice(&saved.unread[pos..pos + n]);
            saved.unread_pos += n;
            return Ok(Some((n, false)));
        }
        let Some(ring) = self.ring(&saved) else {
            return Ok(None);
        };
        let n = ring::peek(&ring, dst).map_err(|bad| self.corrupt(bad))?;
        if n == 0 {
            return Ok(None);
        }
        saved.in_transit = n;
        Ok(Some((n, true)))
    }

    /// Finishes a read of `bytes` taken by `take_readable`: consumes them once
    /// `delivered`, or puts them back.
    fn settle_read(&self, bytes: &[u8], from_ring: bool, delivered: bool) {
        let n = bytes.len();
        let mut saved = self.ring_lock.lock();
        if !from_ring {
            if !delivered {
                saved.unread_pos -= n;
            } else if saved.unread_pos == saved.unread.len() {
                saved.unread.clear();
                saved.unread_pos = 0;
            }
            return;
        }
        if saved.in_transit == n {
            // Still the ring they were peeked from.
            saved.in_transit = 0;
            if delivered {
                if let Some(ring) = self.ring(&saved) {
                    ring::consume(&ring, n);
                    self.notify();
                }
            }
        } else if !delivered {
            // The link ended meanwhile and saved the ring without these bytes.
            self.give_back(&mut saved, bytes);
        }
    }

    /// Puts bytes that failed to reach user space back in front of the saved ones.
    fn give_back(&self, saved: &mut Saved, bytes: &[u8]) {
        let n = bytes.len();
        let pos = saved.unread_pos;
        if pos >= n {
            saved.unread[pos - n..pos].copy_from_slice(bytes);
            saved.unread_pos -= n;
            return;
        }
        let mut unread = KVec::new();
        let rebuilt = unread
            .extend_from_slice(bytes, GFP_KERNEL)
            .and_then(|()| unread.extend_from_slice(&saved.unread[pos..], GFP_KERNEL));
        match rebuilt {
            Ok(()) => {
                saved.unread = unread;
                saved.unread_pos = 0;
            }
            Err(_) => pr_err!(
                "channel {}: out of memory: {n} unread bytes lost\n",
                self.display_name()
            ),
        }
    }

    /// Writes up to `input.len()` bytes; returns how many the ring accepted.
    ///
    /// The bytes are copied from user space before `ring_lock` is taken, through a
    /// copy of `input`; `input` then skips only what the ring accepted.
    pub(crate) fn write(&self, input: &mut UserSliceReader, nonblock: bool) -> Result<usize> {
        if input.is_empty() {
            return Ok(0);
        }
        self.retry(nonblock, || {
            // Writers take turns; the lock is dropped before sleeping.
            let mut bounce = self.tx.lock();
            let free = self.writable_now()?;
            if free == 0 {
                return Ok(None);
            }
            let n = input.len().min(free).min(bounce.0.len());
            input.clone_reader().read_slice(&mut bounce.0[..n])?;
            let saved = self.ring_lock.lock();
            let Some(ring) = self.ring_for_writing(&saved)? else {
                return Ok(None);
            };
            let accepted = ring::write(&ring, &bounce.0[..n]).map_err(|bad| self.corrupt(bad))?;
            if accepted == 0 {
                return Ok(None);
            }
            input.skip(accepted)?;
            self.notify();
            self.stats
                .tx_bytes
                .fetch_add(accepted as u64, Ordering::Relaxed);
            Ok(Some(accepted))
        })
    }

    /// Free space in the `out` ring now; 0 if there is no ring.
    fn writable_now(&self) -> Result<usize> {
        let saved = self.ring_lock.lock();
        match self.ring_for_writing(&saved)? {
            Some(ring) => Ok(ring::writable(&ring).map_err(|bad| self.corrupt(bad))? as usize),
            None => Ok(0),
        }
    }

    /// The ring, if a writer may use it; errors for a channel that is gone, broken
    /// or hung up.
    fn ring_for_writing(&self, saved: &Saved) -> Result<Option<PageRing>> {
        self.check_usable()?;
        if self.hung_up.load(Ordering::Acquire) {
            return Err(EPIPE);
        }
        Ok(self.ring(saved))
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
        let (readable, writable) = {
            let saved = self.ring_lock.lock();
            let ring = self.ring(&saved);
            (
                saved.unread_pos < saved.unread.len()
                    || ring
                        .as_ref()
                        .is_some_and(|r| ring::readable(r).map_or(true, |n| n > 0)),
                ring.is_some_and(|r| ring::writable(&r).map_or(true, |n| n > 0)),
            )
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
