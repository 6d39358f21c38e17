// SPDX-License-Identifier: GPL-2.0

//! One channel's data path, with no `kernel` dependency: a queue per direction
//! between the ring and whoever uses the channel.
//!
//! The event handler moves bytes between the rings and the queues
//! ([`DataPath::pump`]), so the backend never waits for a reader or writer to be
//! scheduled; readers and writers only touch the queues, and pump once more after
//! they made room or added bytes.
//!
//! Nothing accepted is dropped, nothing is repeated:
//!
//! - a byte the backend produced leaves `in` only into the receive queue, and the
//!   queue only once a reader has it ([`DataPath::read`] peeks,
//!   [`DataPath::consume`] drops);
//! - a byte a writer handed over stays in the transmit queue until the backend has
//!   consumed it (`out_cons` passed it), so the bytes of a ring that ends before the
//!   backend consumed them are sent again, first, into the next ring;
//! - when a ring ends, what is left in its `in` half is saved into the receive
//!   queue, past the queue's usual limit by up to [`SAVE_HEADROOM`] bytes. Only a
//!   backend that ends link after link while nobody reads can overflow that; the
//!   bytes that do not fit are counted ([`LinkEnd::dropped`]) for the log.

use crate::pure::queue::ByteQueue;
use crate::pure::ring::{CorruptIndex, InRing, OutRing, SharedRing, IN_SIZE};
use core::ops::DerefMut;

/// Room kept in the receive queue, past its limit, for what is left in the rings
/// of ended links.
pub(crate) const SAVE_HEADROOM: usize = 4 * IN_SIZE as usize;

/// Bytes moved by one [`DataPath::pump`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Moved {
    /// From `in` into the receive queue: the backend has room again.
    pub(crate) drained: usize,
    /// Consumed by the backend from `out`, and dropped from the transmit queue:
    /// writers have room again.
    pub(crate) consumed: usize,
    /// From the transmit queue into `out`: the backend has bytes to take.
    pub(crate) sent: usize,
}

impl Moved {
    /// Whether the backend should be notified: it has room or bytes it did not have.
    pub(crate) fn notify_backend(&self) -> bool {
        self.drained > 0 || self.sent > 0
    }
}

/// What became of a ring's bytes when it ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LinkEnd {
    /// Unread `in` bytes saved into the receive queue.
    pub(crate) saved: usize,
    /// Unread `in` bytes that did not fit.
    pub(crate) dropped: usize,
    /// Accepted bytes the backend did not consume, kept for the next ring.
    pub(crate) unsent: usize,
}

/// The queues of a channel and its ends of the rings.
///
/// # Invariants
///
/// - While a ring is live, the first `out.in_flight()` bytes of `tx` are the bytes
///   in `out` that the backend has not consumed.
/// - `rx` holds at most `rx_limit` bytes, plus what link ends saved.
pub(crate) struct DataPath<S> {
    rx: ByteQueue<S>,
    rx_limit: usize,
    tx: ByteQueue<S>,
    in_ring: InRing,
    out_ring: OutRing,
    /// `in_prod` and `out_cons` as the last event saw them.
    event_seen: (u32, u32),
}

impl<S: DerefMut<Target = [u8]>> DataPath<S> {
    /// A data path over two buffers: `rx` (at least [`SAVE_HEADROOM`] bytes; the
    /// receive queue holds `rx.len() - SAVE_HEADROOM` bytes in normal operation)
    /// and `tx` (the transmit queue).
    pub(crate) fn new(rx: S, tx: S) -> Self {
        let rx = ByteQueue::new(rx);
        let rx_limit = rx.capacity().saturating_sub(SAVE_HEADROOM);
        // INVARIANT: both queues are empty and no ring is live.
        Self {
            rx,
            rx_limit,
            tx: ByteQueue::new(tx),
            in_ring: InRing::new(),
            out_ring: OutRing::new(),
            event_seen: (0, 0),
        }
    }

    /// Bytes a reader can take now.
    pub(crate) fn readable(&self) -> usize {
        self.rx.len()
    }

    /// Bytes a writer can hand over now.
    pub(crate) fn writable(&self) -> usize {
        self.tx.space()
    }

    /// Accepted bytes that no backend has consumed yet.
    pub(crate) fn unsent(&self) -> usize {
        self.tx.len()
    }

    /// Copies up to `dst.len()` received bytes into `dst`, leaving them queued
    /// until [`DataPath::consume`]: a reader that fails to deliver them loses
    /// nothing. Returns how many were copied.
    pub(crate) fn read(&self, dst: &mut [u8]) -> usize {
        self.rx.peek(dst)
    }

    /// Drops `n` bytes a reader has delivered from the front of the receive queue.
    pub(crate) fn consume(&mut self, n: usize) {
        self.rx.consume(n);
    }

    /// Accepts as much of `src` as fits into the transmit queue; returns how many
    /// bytes it took. They are the channel's from here on.
    pub(crate) fn write(&mut self, src: &[u8]) -> usize {
        self.tx.push(src)
    }

    /// Moves bytes between a live ring and the queues: drains `in` into the
    /// receive queue (up to its limit), drops what the backend consumed from the
    /// transmit queue, and fills `out` with what follows.
    ///
    /// # Errors
    ///
    /// [`CorruptIndex`] if the backend broke the ring protocol; the caller stops
    /// using the ring. Bytes moved before the check failed stay moved.
    pub(crate) fn pump<R: SharedRing>(&mut self, ring: &R) -> Result<Moved, CorruptIndex> {
        let drained = self.in_ring.drain(ring, &mut self.rx, self.rx_limit)?;
        let consumed = self.out_ring.load(ring)?;
        // INVARIANT: what the backend consumed was in flight, so at the front.
        self.tx.consume(consumed);
        let sent = self.out_ring.fill(ring, &self.tx);
        Ok(Moved {
            drained,
            consumed,
            sent,
        })
    }

    /// [`DataPath::pump`] for an event from the backend; also says whether the
    /// event showed progress: `in_prod` or `out_cons` moved (validly) since the
    /// last event. Neither can move more than the guest made room for, so a
    /// backend that signals without progress sees its events counted as spurious
    /// and throttled (lateeoi, XSA-391).
    ///
    /// # Errors
    ///
    /// As [`DataPath::pump`].
    pub(crate) fn on_event<R: SharedRing>(
        &mut self,
        ring: &R,
    ) -> Result<(Moved, bool), CorruptIndex> {
        let moved = self.pump(ring)?;
        let seen = (self.in_ring.seen(), self.out_ring.seen());
        let progress = seen != self.event_seen;
        self.event_seen = seen;
        Ok((moved, progress))
    }

    /// Starts over on a fresh (zeroed) ring: every byte of the transmit queue is
    /// to be sent.
    pub(crate) fn start_link(&mut self) {
        // INVARIANT: nothing is in flight on a fresh ring.
        self.in_ring = InRing::new();
        self.out_ring = OutRing::new();
        self.event_seen = (0, 0);
    }

    /// Ends the live ring: saves its unread `in` bytes into the receive queue and
    /// drops from the transmit queue what the backend consumed. Bytes in `out`
    /// that it did not consume stay queued for the next ring.
    ///
    /// # Errors
    ///
    /// [`CorruptIndex`] if the backend left indices no correct backend produces:
    /// then nothing more is taken from the ring.
    pub(crate) fn end_link<R: SharedRing>(&mut self, ring: &R) -> Result<LinkEnd, CorruptIndex> {
        let capacity = self.rx.capacity();
        let saved = self.in_ring.drain(ring, &mut self.rx, capacity)?;
        let dropped = self.in_ring.left();
        let consumed = self.out_ring.load(ring)?;
        self.tx.consume(consumed);
        // INVARIANT: no ring is live until `start_link`.
        self.out_ring = OutRing::new();
        self.in_ring = InRing::new();
        Ok(LinkEnd {
            saved,
            dropped,
            unsent: self.tx.len(),
        })
    }
}
