// SPDX-License-Identifier: GPL-2.0

//! A fixed-capacity byte queue (FIFO), with no `kernel` dependency.
//!
//! Each channel keeps one per direction: bytes the backend produced that no reader
//! has taken yet, and bytes writers handed over that the backend has not consumed
//! yet. The storage is allocated once, by the caller, so that nothing here
//! allocates: the queue works in the event handler and never fails for memory.

use core::ops::{DerefMut, Range};

/// Bytes in arrival order, in a circular buffer of fixed size.
///
/// # Invariants
///
/// `head < buf.len()` (or both 0) and `len <= buf.len()`: the bytes are
/// `buf[head..]` followed by `buf[..]`, `len` of them in all.
pub(crate) struct ByteQueue<S> {
    buf: S,
    head: usize,
    len: usize,
}

impl<S: DerefMut<Target = [u8]>> ByteQueue<S> {
    /// An empty queue over `buf`; its capacity is `buf.len()`.
    pub(crate) fn new(buf: S) -> Self {
        // INVARIANT: empty, head 0.
        Self {
            buf,
            head: 0,
            len: 0,
        }
    }

    /// Bytes in the queue.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Most bytes the queue can hold.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Free space in bytes.
    pub(crate) fn space(&self) -> usize {
        // PANIC: `len <= capacity` by the type invariant.
        self.capacity() - self.len
    }

    /// The (at most two) ranges of `buf` that hold `len` bytes from `start`
    /// (a position in `buf`), in order.
    fn runs(&self, start: usize, len: usize) -> [Range<usize>; 2] {
        let cap = self.capacity();
        if cap == 0 {
            return [0..0, 0..0];
        }
        let start = start % cap;
        // PANIC: `start < cap` after the reduction and `first <= len`; callers pass
        // `len <= cap`, so both ranges lie in `buf`.
        let first = len.min(cap - start);
        [start..start + first, 0..len - first]
    }

    /// Appends as much of `src` as fits; returns how many bytes were taken.
    pub(crate) fn push(&mut self, src: &[u8]) -> usize {
        let n = src.len().min(self.space());
        let mut done = 0;
        for run in self.runs(self.head + self.len, n) {
            // Both sides are cut to the run's length, so the copy cannot fail.
            // PANIC: the runs hold `n <= src.len()` bytes in all, so `done` plus
            // this run's length stays within `src`.
            let to = &mut self.buf[run];
            to.copy_from_slice(&src[done..][..to.len()]);
            done += to.len();
        }
        // INVARIANT: `n <= space`, so `len` stays within the capacity.
        self.len += n;
        n
    }

    /// Appends up to `max` bytes produced by `fill`, which is given the free
    /// space in at most two runs and returns how many bytes it wrote into each
    /// (it must fill a run completely before it writes into the next).
    pub(crate) fn push_with(
        &mut self,
        max: usize,
        mut fill: impl FnMut(&mut [u8]) -> usize,
    ) -> usize {
        let n = max.min(self.space());
        let mut done = 0;
        for run in self.runs(self.head + self.len, n) {
            let want = run.len();
            if want == 0 {
                break;
            }
            let got = fill(&mut self.buf[run]).min(want);
            done += got;
            if got < want {
                break;
            }
        }
        // INVARIANT: `done <= n <= space`.
        self.len += done;
        done
    }

    /// Copies up to `dst.len()` bytes from `offset` bytes past the front into
    /// `dst`, leaving them queued; returns how many were copied.
    pub(crate) fn peek_at(&self, offset: usize, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.len.saturating_sub(offset));
        let mut done = 0;
        for run in self.runs(self.head + offset, n) {
            // Both sides are cut to the run's length, so the copy cannot fail.
            // PANIC: the runs hold `n <= dst.len()` bytes in all, so `done` plus
            // this run's length stays within `dst`.
            let from = &self.buf[run];
            dst[done..][..from.len()].copy_from_slice(from);
            done += from.len();
        }
        n
    }

    /// Copies up to `dst.len()` bytes from the front into `dst`, leaving them
    /// queued; returns how many were copied.
    pub(crate) fn peek(&self, dst: &mut [u8]) -> usize {
        self.peek_at(0, dst)
    }

    /// Hands up to `max` bytes from `offset` bytes past the front to `take`, in
    /// at most two runs, leaving them queued; returns how many were handed over.
    pub(crate) fn peek_with(
        &self,
        offset: usize,
        max: usize,
        mut take: impl FnMut(&[u8]),
    ) -> usize {
        let n = max.min(self.len.saturating_sub(offset));
        for run in self.runs(self.head + offset, n) {
            if !run.is_empty() {
                take(&self.buf[run]);
            }
        }
        n
    }

    /// Drops up to `n` bytes from the front; returns how many were dropped.
    pub(crate) fn consume(&mut self, n: usize) -> usize {
        let n = n.min(self.len);
        let cap = self.capacity();
        // INVARIANT: `n <= len`; the new head is reduced modulo the capacity.
        // PANIC: `head + n < 2 * cap` cannot overflow, and `len - n` cannot
        // underflow since `n <= len`.
        if cap != 0 {
            self.head = (self.head + n) % cap;
        }
        self.len -= n;
        if self.len == 0 {
            self.head = 0;
        }
        n
    }
}
