// SPDX-License-Identifier: GPL-2.0

//! Reading and writing for kernel clients: the same queues and state table as
//! for files, with kernel buffers, and a write and a flush that never sleep, for
//! atomic context and the panic path.

use super::{Channel, Data};
use crate::ffi;
use crate::pure::lifecycle::{sync_op, write_op, SyncOp, WriteOp};
use crate::pure::path::Moved;
use core::sync::atomic::Ordering;
use kernel::{ffi::c_long, prelude::*};

/// Tries to take the data lock at most this many times, 1 µs apart, in the paths
/// that must not wait on it: in a panic it may be held by a stopped CPU.
const LOCK_TRIES: u32 = 1000;

/// Spins on the data lock's trylock, bounded.
macro_rules! try_lock_bounded {
    ($channel:expr) => {{
        let mut guard = None;
        for _ in 0..LOCK_TRIES {
            guard = $channel.data.try_lock();
            if guard.is_some() {
                break;
            }
            udelay(1);
        }
        guard
    }};
}

fn udelay(us: u32) {
    // SAFETY: Busy-waits; callable in any context.
    unsafe { ffi::xen_channel_udelay(us) };
}

impl Channel {
    /// Copies up to `dst.len()` received bytes into `dst`, leaving them queued.
    pub(crate) fn peek(&self, dst: &mut [u8]) -> usize {
        self.data.lock().path.read(dst)
    }

    /// Drops `n` received bytes a kernel client took, and pumps.
    pub(crate) fn take(&self, n: usize) {
        self.update(|data: &mut Data| {
            data.path.consume(n);
            ((), self.pump_or_break(data))
        });
        self.stats.rx_bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Queues what fits of `bytes` without sleeping; returns how many.
    ///
    /// # Errors
    ///
    /// EBUSY if the data lock stayed taken; the state's error (ENODEV, EIO, EPIPE).
    pub(crate) fn write_kernel(&self, bytes: &[u8]) -> Result<usize> {
        let data = try_lock_bounded!(self).ok_or(EBUSY)?;
        let queued = self.update_locked(data, |data: &mut Data| {
            match write_op(data.state, data.path.writable()) {
                WriteOp::Fail(f) => (Err(f.errno()), Moved::default()),
                WriteOp::Wait => (Ok(0), Moved::default()),
                WriteOp::Accept => {
                    let n = data.path.write(bytes);
                    (Ok(n), self.pump_or_break(data))
                }
            }
        })?;
        self.stats
            .tx_bytes
            .fetch_add(queued as u64, Ordering::Relaxed);
        Ok(queued)
    }

    /// Queues `bytes`, waiting for room while `left` jiffies remain (it is
    /// decreased by the time waited); returns how many were queued (fewer when
    /// the time ran out).
    ///
    /// # Errors
    ///
    /// ERESTARTSYS on a signal, and the state's error, when nothing was queued.
    pub(crate) fn write_kernel_waiting(&self, bytes: &[u8], left: &mut c_long) -> Result<usize> {
        let mut done = 0;
        while done < bytes.len() {
            let seen = self.waiters.seen();
            // PANIC: `done < bytes.len()`: `write_kernel` returns at most what it got.
            match self.write_kernel(&bytes[done..]) {
                Ok(0) if *left <= 0 => break,
                Ok(0) => match self.waiters.wait_timeout(seen, *left) {
                    Ok(remaining) => *left = remaining,
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                },
                Ok(n) => done += n,
                Err(e) if e == EBUSY => {}
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    /// Pushes queued bytes into the ring and polls it, in any context and without
    /// interrupts, until the backend has consumed them all or `timeout_us` passed.
    ///
    /// Ends as [`Channel::sync`] does (`pure::lifecycle::sync_op`): a backend
    /// that hung up after taking everything is not an error.
    ///
    /// # Errors
    ///
    /// ETIMEDOUT; the state's error (ENODEV, EIO; EPIPE if the backend hung up
    /// with bytes still queued).
    pub(crate) fn flush_polling(&self, timeout_us: u32) -> Result {
        const STEP_US: u32 = 20;
        for _ in 0..timeout_us.div_ceil(STEP_US).max(1) {
            let Some(data) = try_lock_bounded!(self) else {
                return Err(ETIMEDOUT);
            };
            // Pump first: what the backend consumed since the last turn counts.
            let op = self.update_locked(data, |data: &mut Data| {
                let moved = self.pump_or_break(data);
                (sync_op(data.state, data.path.unsent()), moved)
            });
            match op {
                SyncOp::Done => return Ok(()),
                SyncOp::Fail(f) => return Err(f.errno()),
                SyncOp::Wait => {}
            }
            udelay(STEP_US);
        }
        Err(ETIMEDOUT)
    }
}
