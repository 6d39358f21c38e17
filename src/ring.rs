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
//! `in_cons` and `out_prod`. The backend is not trusted: every index it owns is read
//! once per operation and checked against the index the guest owns before use.
//!
//! All access to shared memory goes through [`SharedRing`], so that the kernel can
//! implement it with volatile accesses on the real page and user-space tests with a
//! simulated backend.

/// Size of the backend-to-guest ring (`in`).
pub const IN_SIZE: u32 = 1024;
/// Size of the guest-to-backend ring (`out`).
pub const OUT_SIZE: u32 = 2048;
/// Byte offset of `in` in the shared page.
pub const IN_OFFSET: usize = 0;
/// Byte offset of `out` in the shared page.
pub const OUT_OFFSET: usize = IN_SIZE as usize;
/// Byte offset of the four indices in the shared page.
pub const INDEX_OFFSET: usize = OUT_OFFSET + OUT_SIZE as usize;
/// Bytes of the shared page that the interface uses.
pub const INTERFACE_SIZE: usize = INDEX_OFFSET + 4 * 4;

/// One of the four indices of the interface, in layout order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
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
    pub const fn offset(self) -> usize {
        INDEX_OFFSET + 4 * self as usize
    }
}

/// The backend published indices that no correct backend can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorruptIndices {
    /// Which direction: `true` for `in` (backend -> guest).
    pub inbound: bool,
    /// Consumer index as read.
    pub cons: u32,
    /// Producer index as read.
    pub prod: u32,
}

/// Access to the shared page.
///
/// Implementations must not form references into shared memory; every call is one
/// access of the given width.
pub trait SharedRing {
    /// Reads one index once (a single 32-bit load).
    fn load_index(&self, index: Index) -> u32;
    /// Writes one guest-owned index (a single 32-bit store).
    fn store_index(&self, index: Index, value: u32);
    /// Reads one byte at `offset` of the page.
    fn read_byte(&self, offset: usize) -> u8;
    /// Writes one byte at `offset` of the page.
    fn write_byte(&self, offset: usize, value: u8);
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
/// ring holds: only a broken or hostile peer does that.
pub fn used(cons: u32, prod: u32, size: u32) -> Option<u32> {
    let used = prod.wrapping_sub(cons);
    (used <= size).then_some(used)
}

/// Splits `len` bytes starting at free-running index `start` into at most two
/// contiguous runs `(ring offset, length)` of a ring of `size` (a power of two).
///
/// The second run is empty unless the bytes cross the end of the ring.
pub fn split(start: u32, len: u32, size: u32) -> [(u32, u32); 2] {
    debug_assert!(size.is_power_of_two() && len <= size);
    let first_off = start & (size - 1);
    let first_len = len.min(size - first_off);
    [(first_off, first_len), (0, len - first_len)]
}

/// One direction's indices, each read once, and the bytes between them.
struct Span {
    cons: u32,
    prod: u32,
    used: u32,
}

/// Reads the indices of `in` (`inbound`) or `out` once and validates them.
fn load<R: SharedRing>(ring: &R, inbound: bool) -> Result<Span, CorruptIndices> {
    let (cons, prod, size) = if inbound {
        (
            ring.load_index(Index::InCons),
            ring.load_index(Index::InProd),
            IN_SIZE,
        )
    } else {
        (
            ring.load_index(Index::OutCons),
            ring.load_index(Index::OutProd),
            OUT_SIZE,
        )
    };
    match used(cons, prod, size) {
        Some(used) => Ok(Span { cons, prod, used }),
        None => Err(CorruptIndices {
            inbound,
            cons,
            prod,
        }),
    }
}

/// Bytes readable from `in` now, validated.
pub fn readable<R: SharedRing>(ring: &R) -> Result<u32, CorruptIndices> {
    Ok(load(ring, true)?.used)
}

/// Bytes of free space in `out` now, validated.
pub fn writable<R: SharedRing>(ring: &R) -> Result<u32, CorruptIndices> {
    Ok(OUT_SIZE - load(ring, false)?.used)
}

/// Copies up to `dst.len()` bytes from `in` without consuming them.
///
/// Returns the number of bytes copied. Call [`consume`] with at most that number once
/// the bytes are safely delivered.
pub fn peek<R: SharedRing>(ring: &R, dst: &mut [u8]) -> Result<usize, CorruptIndices> {
    let Span {
        cons, used: avail, ..
    } = load(ring, true)?;
    // Bounded by the ring size, so it fits in u32.
    let len = avail.min(dst.len().min(IN_SIZE as usize) as u32);
    ring.read_barrier();
    Ok(copy_from(
        ring,
        IN_OFFSET,
        IN_SIZE,
        cons,
        &mut dst[..len as usize],
    ))
}

/// Copies `dst.len()` bytes from the ring of `size` at page offset `base`, starting
/// at free-running index `start`. `dst.len()` must not exceed `size`.
fn copy_from<R: SharedRing>(ring: &R, base: usize, size: u32, start: u32, dst: &mut [u8]) -> usize {
    let mut copied = 0;
    // `dst.len()` is at most `size`, a u32.
    for (off, run) in split(start, dst.len() as u32, size) {
        for i in 0..run as usize {
            dst[copied] = ring.read_byte(base + off as usize + i);
            copied += 1;
        }
    }
    copied
}

/// Marks `n` bytes of `in` consumed, returning the space to the backend.
///
/// `n` must not exceed what the last [`peek`] returned.
pub fn consume<R: SharedRing>(ring: &R, n: usize) {
    let cons = ring.load_index(Index::InCons);
    ring.full_barrier();
    // `n` came from `peek`, so it is at most IN_SIZE.
    ring.store_index(Index::InCons, cons.wrapping_add(n as u32));
}

/// Copies as much of `src` into `out` as fits and publishes it.
///
/// Returns the number of bytes accepted; they are owned by the backend from here on.
pub fn write<R: SharedRing>(ring: &R, src: &[u8]) -> Result<usize, CorruptIndices> {
    let Span { prod, used, .. } = load(ring, false)?;
    let len = (OUT_SIZE - used).min(src.len().min(OUT_SIZE as usize) as u32);
    // The backend's consumer index must be read before we overwrite the bytes it freed.
    ring.full_barrier();
    let mut copied = 0;
    for (off, run) in split(prod, len, OUT_SIZE) {
        for i in 0..run as usize {
            ring.write_byte(OUT_OFFSET + off as usize + i, src[copied]);
            copied += 1;
        }
    }
    ring.write_barrier();
    ring.store_index(Index::OutProd, prod.wrapping_add(len));
    Ok(copied)
}

/// Copies the bytes of `out` that the backend has not consumed yet, oldest first.
///
/// Used when a ring is torn down (backend closed, domain restored): those bytes were
/// accepted from a writer and are handed to the next ring instead of being dropped.
pub fn unconsumed_out<R: SharedRing>(
    ring: &R,
    dst: &mut [u8; OUT_SIZE as usize],
) -> Result<usize, CorruptIndices> {
    let Span {
        cons, used: len, ..
    } = load(ring, false)?;
    ring.read_barrier();
    Ok(copy_from(
        ring,
        OUT_OFFSET,
        OUT_SIZE,
        cons,
        &mut dst[..len as usize],
    ))
}
