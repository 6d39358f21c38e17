// SPDX-License-Identifier: GPL-2.0

//! Reading, writing and waiting for the backend, for files: what each does in
//! each state comes from the state table (`pure::lifecycle`), and the bytes move
//! between the queues and user space through the reader's or writer's bounce
//! buffer, with the data lock dropped during the copy.

use super::{Channel, Data};
use crate::pure::lifecycle::{read_op, sync_op, write_op, Failure, ReadOp, SyncOp, WriteOp};
use core::sync::atomic::Ordering;
use kernel::{
    prelude::*,
    uaccess::{UserSliceReader, UserSliceWriter},
};

impl Failure {
    /// The errno a file operation fails with.
    pub(crate) fn errno(self) -> Error {
        match self {
            Failure::NoDevice => ENODEV,
            Failure::Io => EIO,
            Failure::Pipe => EPIPE,
        }
    }
}

impl Channel {
    /// Reads up to `out.len()` bytes: as many as are queued, waiting for the
    /// first ones; 0 means the backend hung up and nothing is left.
    ///
    /// Bytes leave the queue only once they reached user space: a fault loses
    /// nothing.
    ///
    /// # Errors
    ///
    /// EAGAIN with `nonblock` when it would wait, ERESTARTSYS on a signal, EFAULT,
    /// and the state's error (ENODEV, EIO). Bytes read before an error are
    /// returned instead.
    pub(crate) fn read(&self, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize> {
        let mut total = 0;
        while !out.is_empty() {
            let seen = self.waiters.seen();
            let mut bounce = self.rx.lock();
            // PANIC: `take` is at most the bounce buffer's length.
            let take = out.len().min(bounce.0.len());
            let got = {
                let data = self.data.lock();
                match read_op(data.state, data.path.readable()) {
                    ReadOp::Data => Ok(data.path.read(&mut bounce.0[..take])),
                    ReadOp::Eof => Ok(0),
                    ReadOp::Wait => Err(None),
                    ReadOp::Fail(f) => Err(Some(f.errno())),
                }
            };
            match got {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    // PANIC: `read` copied `n <= take` bytes into the bounce buffer.
                    if let Err(e) = out.write_slice(&bounce.0[..n]) {
                        return if total > 0 { Ok(total) } else { Err(e) };
                    }
                    self.update(|data: &mut Data| {
                        data.path.consume(n);
                        ((), self.pump_or_break(data))
                    });
                    self.stats.rx_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    total += n;
                }
                Err(Some(e)) => return if total > 0 { Ok(total) } else { Err(e) },
                Err(None) if total > 0 => return Ok(total),
                Err(None) if nonblock => return Err(EAGAIN),
                Err(None) => {
                    drop(bounce);
                    self.waiters.wait(seen)?;
                }
            }
        }
        Ok(total)
    }

    /// Writes `input`: queues what fits and returns; with nothing queued yet, waits
    /// for room (or fails with EAGAIN when `nonblock`). Blocking writes wait until
    /// everything is queued. Queued bytes belong to the channel: they reach the
    /// backend even if the file is closed right after.
    ///
    /// # Errors
    ///
    /// EAGAIN, ERESTARTSYS, EFAULT, and the state's error (ENODEV, EIO, EPIPE).
    /// Bytes queued before an error are returned instead.
    pub(crate) fn write(&self, input: &mut UserSliceReader, nonblock: bool) -> Result<usize> {
        let mut total = 0;
        while !input.is_empty() {
            let seen = self.waiters.seen();
            let mut bounce = self.tx.lock();
            let room = {
                let data = self.data.lock();
                match write_op(data.state, data.path.writable()) {
                    WriteOp::Accept => Ok(data.path.writable()),
                    WriteOp::Wait => Err(None),
                    WriteOp::Fail(f) => Err(Some(f.errno())),
                }
            };
            match room {
                Ok(room) => {
                    // PANIC: `n` is at most the bounce buffer's length.
                    let n = input.len().min(room).min(bounce.0.len());
                    // Copy through a clone: `input` skips only what is queued.
                    if let Err(e) = input.clone_reader().read_slice(&mut bounce.0[..n]) {
                        return if total > 0 { Ok(total) } else { Err(e) };
                    }
                    let queued = self.update(|data: &mut Data| {
                        // The state may have changed while the lock was dropped.
                        if !matches!(write_op(data.state, data.path.writable()), WriteOp::Accept) {
                            return (0, Default::default());
                        }
                        let queued = data.path.write(&bounce.0[..n]);
                        (queued, self.pump_or_break(data))
                    });
                    input.skip(queued)?;
                    self.stats
                        .tx_bytes
                        .fetch_add(queued as u64, Ordering::Relaxed);
                    total += queued;
                }
                Err(Some(e)) => return if total > 0 { Ok(total) } else { Err(e) },
                Err(None) if total > 0 && nonblock => return Ok(total),
                Err(None) if nonblock => return Err(EAGAIN),
                Err(None) => {
                    drop(bounce);
                    if let Err(e) = self.waiters.wait(seen) {
                        return if total > 0 { Ok(total) } else { Err(e) };
                    }
                }
            }
        }
        Ok(total)
    }

    /// Waits until the backend has consumed every byte queued so far, as
    /// `tcdrain` does for a tty.
    ///
    /// # Errors
    ///
    /// ERESTARTSYS, and the state's error: EPIPE if the backend hung up with
    /// bytes still queued, ENODEV, EIO.
    pub(crate) fn sync(&self) -> Result {
        loop {
            let seen = self.waiters.seen();
            let op = {
                let data = self.data.lock();
                sync_op(data.state, data.path.unsent())
            };
            match op {
                SyncOp::Done => return Ok(()),
                SyncOp::Fail(f) => return Err(f.errno()),
                SyncOp::Wait => self.waiters.wait(seen)?,
            }
        }
    }
}
