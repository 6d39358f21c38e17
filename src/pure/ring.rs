// SPDX-License-Identifier: GPL-2.0

//! The xencons ring: index arithmetic and validation, with no `kernel` dependency.
//!
//! The page shared with the backend (`struct xencons_interface`,
//! `include/xen/interface/io/console.h`) holds two byte rings and four free-running
//! 32-bit indices:
//!
//! ```text
//! offset    0: in[1024]    backend -> guest
//! offset 1024: out[2048]   guest -> backend
//! offset 3072: in_cons, in_prod, out_cons, out_prod (u32 each)
//! ```
//!
//! Indices wrap at 2^32 and are reduced modulo the ring size (a power of two) only
//! to address a byte. The backend owns `in_prod` and `out_cons`; the guest owns
//! `in_cons` and `out_prod`. The backend is not trusted:
//!
//! - the guest keeps its own indices privately ([`InRing`], [`OutRing`]) and only
//!   ever writes them to the page, so a backend that rewrites them changes nothing;
//! - each backend index is read once per operation and checked against the private
//!   ones before any byte moves: a producer may not claim more than the ring holds
//!   nor move backwards, a consumer may not pass the producer nor move backwards.
//!
//! All access to shared memory goes through [`SharedRing`], so that the kernel can
//! implement it over the real page and user-space tests with a simulated backend.

use crate::pure::queue::ByteQueue;
use core::ops::DerefMut;

/// Size of the backend-to-guest ring (`in`).
pub(crate) const IN_SIZE: u32 = 1024;
/// Size of the guest-to-backend ring (`out`).
pub(crate) const OUT_SIZE: u32 = 2048;
/// Byte offset of `in` in the shared page.
pub(crate) const IN_OFFSET: usize = 0;
/// Byte offset of `out` in the shared page.
pub(crate) const OUT_OFFSET: usize = IN_SIZE as usize;
/// Byte offset of the four indices in the shared page.
pub(crate) const INDEX_OFFSET: usize = OUT_OFFSET + OUT_SIZE as usize;
/// Bytes of the shared page that the interface uses.
pub(crate) const INTERFACE_SIZE: usize = INDEX_OFFSET + 4 * 4;

/// One of the four indices of the interface, in layout order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Index {
    /// Guest-owned: how far the guest has consumed `in`.
    InCons = 0,
    /// Backend-owned: how far the backend has produced into `in`.
    InProd = 1,
    /// Backend-owned: how far the backend has consumed `out`.
    OutCons = 2,
    /// Guest-owned: how far the guest has produced into `out`.
    OutProd = 3,
}

impl Index {
    /// Byte offset of this index in the shared page.
    pub(crate) const fn offset(self) -> usize {
        INDEX_OFFSET + 4 * self as usize
    }
}

/// The backend published an index that no correct backend can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CorruptIndex {
    /// The index, as read.
    pub(crate) index: Index,
    /// Its value.
    pub(crate) value: u32,
    /// The guest's own index on the other end of that ring.
    pub(crate) ours: u32,
}

/// Access to the shared page.
///
/// Implementations must not form references into shared memory: every index access
/// is one access of 32 bits, and byte copies never read or write outside the run
/// they are given.
pub(crate) trait SharedRing {
    /// Reads one index once (a single 32-bit load).
    fn load_index(&self, index: Index) -> u32;
    /// Writes one guest-owned index (a single 32-bit store).
    fn store_index(&self, index: Index, value: u32);
    /// Copies `dst.len()` bytes from `offset` of the page into `dst`.
    fn read(&self, offset: usize, dst: &mut [u8]);
    /// Copies `src` to `offset` of the page.
    fn write(&self, offset: usize, src: &[u8]);
    /// Orders index loads before the data loads that follow (`virt_rmb`).
    fn read_barrier(&self);
    /// Orders data stores before the index store that follows (`virt_wmb`).
    fn write_barrier(&self);
    /// Orders data loads before the index store that follows (`virt_mb`).
    fn full_barrier(&self);
}

/// Number of bytes between `cons` and `prod`, if it can be correct for a ring of `size`.
///
/// `prod - cons` (mod 2^32) above `size` means the producer claims more bytes than the
/// ring holds: only a broken or hostile peer does that. `used(u32::MAX - 5, 4, 1024)`
/// is 10; `used(10, 9, 1024)` (a producer behind its consumer) is `None`.
pub(crate) fn used(cons: u32, prod: u32, size: u32) -> Option<u32> {
    let used = prod.wrapping_sub(cons);
    (used <= size).then_some(used)
}

/// Splits `len` bytes starting at free-running index `start` into at most two
/// contiguous runs `(ring offset, length)` of a ring of `size` (a power of two).
///
/// The second run is empty unless the bytes cross the end of the ring.
pub(crate) fn split(start: u32, len: u32, size: u32) -> [(u32, u32); 2] {
    debug_assert!(size.is_power_of_two() && len <= size);
    // PANIC: `size` is a power of two (the ring sizes are constants), so
    // `size - 1` cannot underflow; `first_off < size`, and `len - first_len`
    // cannot underflow because `first_len <= len`.
    let first_off = start & (size - 1);
    let first_len = len.min(size - first_off);
    [(first_off, first_len), (0, len - first_len)]
}

/// Copies `dst.len()` (at most `size`) bytes from the ring of `size` at page offset
/// `base`, starting at free-running index `start`.
fn copy_from<R: SharedRing>(ring: &R, base: usize, size: u32, start: u32, dst: &mut [u8]) {
    let mut done = 0;
    // The caller passes at most `size` bytes, a u32.
    for (off, len) in split(start, dst.len() as u32, size) {
        let len = len as usize;
        // PANIC: the two runs add up to `dst.len()`.
        ring.read(base + off as usize, &mut dst[done..done + len]);
        done += len;
    }
}

/// Copies `src` (at most `size` bytes) into the ring of `size` at page offset `base`,
/// starting at free-running index `start`.
fn copy_to<R: SharedRing>(ring: &R, base: usize, size: u32, start: u32, src: &[u8]) {
    let mut done = 0;
    for (off, len) in split(start, src.len() as u32, size) {
        let len = len as usize;
        // PANIC: the two runs add up to `src.len()`.
        ring.write(base + off as usize, &src[done..done + len]);
        done += len;
    }
}

/// The guest's end of `in`: the consumer index it owns, kept here.
///
/// # Invariants
///
/// `cons` is how far the guest consumed this ring, and `seen` the last `in_prod`
/// accepted, with `seen - cons <= IN_SIZE` (mod 2^32).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct InRing {
    cons: u32,
    seen: u32,
}

impl InRing {
    /// The end of a fresh (zeroed) ring.
    pub(crate) const fn new() -> Self {
        Self { cons: 0, seen: 0 }
    }

    /// Reads `in_prod` once: the number of bytes the backend has produced and the
    /// guest not yet consumed.
    ///
    /// # Errors
    ///
    /// [`CorruptIndex`] if `in_prod` claims more than the ring holds or moved back.
    pub(crate) fn load<R: SharedRing>(&mut self, ring: &R) -> Result<u32, CorruptIndex> {
        let prod = ring.load_index(Index::InProd);
        let bad = CorruptIndex {
            index: Index::InProd,
            value: prod,
            ours: self.cons,
        };
        let avail = used(self.cons, prod, IN_SIZE).ok_or(bad)?;
        // Not behind what was already seen: `seen` lies between `cons` and `prod`.
        if prod.wrapping_sub(self.seen) > avail {
            return Err(bad);
        }
        // INVARIANT: `prod - cons <= IN_SIZE`, checked above.
        self.seen = prod;
        Ok(avail)
    }

    /// The last `in_prod` accepted by [`InRing::load`].
    pub(crate) fn seen(&self) -> u32 {
        self.seen
    }

    /// Bytes the last `in_prod` accepted showed that are not consumed yet.
    pub(crate) fn left(&self) -> usize {
        self.seen.wrapping_sub(self.cons) as usize
    }

    /// Moves what the backend produced into `queue`, as much as fits below `limit`
    /// queued bytes, and publishes the new consumer index; returns how many bytes
    /// moved.
    ///
    /// # Errors
    ///
    /// As [`InRing::load`]; nothing moves then.
    pub(crate) fn drain<R: SharedRing, S: DerefMut<Target = [u8]>>(
        &mut self,
        ring: &R,
        queue: &mut ByteQueue<S>,
        limit: usize,
    ) -> Result<usize, CorruptIndex> {
        let avail = self.load(ring)? as usize;
        let room = limit.saturating_sub(queue.len());
        let n = avail.min(room);
        if n == 0 {
            return Ok(0);
        }
        // The bytes up to `in_prod` were written before it: read them after it.
        ring.read_barrier();
        let mut at = self.cons;
        let moved = queue.push_with(n, |dst| {
            copy_from(ring, IN_OFFSET, IN_SIZE, at, dst);
            // `dst` is at most `n <= IN_SIZE` bytes long.
            at = at.wrapping_add(dst.len() as u32);
            dst.len()
        });
        // The bytes must be read before the backend may overwrite them.
        ring.full_barrier();
        // INVARIANT: `moved <= avail`, so `seen - cons` stays within IN_SIZE.
        self.cons = self.cons.wrapping_add(moved as u32);
        ring.store_index(Index::InCons, self.cons);
        Ok(moved)
    }
}

/// The guest's end of `out`: the producer index it owns, and the consumer index it
/// last accepted from the backend.
///
/// # Invariants
///
/// `prod - cons <= OUT_SIZE` (mod 2^32): the bytes between them are in the ring,
/// not yet consumed, and are the first `prod - cons` bytes of the queue that feeds it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OutRing {
    prod: u32,
    cons: u32,
}

impl OutRing {
    /// The end of a fresh (zeroed) ring.
    pub(crate) const fn new() -> Self {
        Self { prod: 0, cons: 0 }
    }

    /// Bytes in the ring that the backend has not consumed yet.
    pub(crate) fn in_flight(&self) -> usize {
        self.prod.wrapping_sub(self.cons) as usize
    }

    /// The last `out_cons` accepted.
    pub(crate) fn seen(&self) -> u32 {
        self.cons
    }

    /// Reads `out_cons` once; returns how many bytes the backend consumed since the
    /// last call, which the caller drops from the front of its queue.
    ///
    /// # Errors
    ///
    /// [`CorruptIndex`] if `out_cons` moved back or past `out_prod`.
    pub(crate) fn load<R: SharedRing>(&mut self, ring: &R) -> Result<usize, CorruptIndex> {
        let cons = ring.load_index(Index::OutCons);
        let consumed = cons.wrapping_sub(self.cons);
        if consumed > self.prod.wrapping_sub(self.cons) {
            return Err(CorruptIndex {
                index: Index::OutCons,
                value: cons,
                ours: self.prod,
            });
        }
        // INVARIANT: `cons` lies between the old `cons` and `prod`.
        self.cons = cons;
        Ok(consumed as usize)
    }

    /// Copies the bytes of `queue` past the ones already in the ring into the free
    /// space of the ring and publishes the new producer index; returns how many
    /// bytes were added. `queue` must start with the bytes in flight.
    pub(crate) fn fill<R: SharedRing, S: DerefMut<Target = [u8]>>(
        &mut self,
        ring: &R,
        queue: &ByteQueue<S>,
    ) -> usize {
        let in_flight = self.in_flight();
        // PANIC: the type invariant keeps `in_flight <= OUT_SIZE`.
        let free = OUT_SIZE as usize - in_flight;
        let n = free.min(queue.len().saturating_sub(in_flight));
        if n == 0 {
            return 0;
        }
        // `out_cons` was read before the freed bytes are overwritten.
        ring.full_barrier();
        let mut at = self.prod;
        queue.peek_with(in_flight, n, |chunk| {
            copy_to(ring, OUT_OFFSET, OUT_SIZE, at, chunk);
            at = at.wrapping_add(chunk.len() as u32);
        });
        // The bytes must be visible before the index that publishes them.
        ring.write_barrier();
        // INVARIANT: `n <= free`, so `prod - cons` stays within OUT_SIZE.
        self.prod = self.prod.wrapping_add(n as u32);
        ring.store_index(Index::OutProd, self.prod);
        n
    }
}
