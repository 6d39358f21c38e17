// SPDX-License-Identifier: GPL-2.0

//! What connects a channel to its backend while a ring is granted: the page and
//! the event channel, and the page seen through volatile accesses.

use crate::ffi;
use crate::pure::ring::{Index, SharedRing, INDEX_OFFSET};
use crate::xen::{evtchn::EventChannel, grant::SharedPage};
use core::marker::PhantomData;
use core::sync::atomic::{fence, Ordering};

// The interface must fit the one page granted to the backend.
const _: () = assert!(crate::pure::ring::INTERFACE_SIZE <= kernel::page::PAGE_SIZE);

/// The page and event channel of a live link. The event channel is declared
/// first, so that dropping a link unbinds the handler (waiting for a running
/// one) before the page's grant ends.
pub(crate) struct Link {
    pub(crate) events: EventChannel,
    pub(crate) page: SharedPage,
}

impl Link {
    /// Ends the link: unbinds the handler, then ends the grant; true if the
    /// backend still mapped the page (it is freed when it lets go).
    pub(crate) fn end(self) -> bool {
        drop(self.events);
        self.page.end()
    }
}

/// Where the event handler and the file operations find the live ring, under the
/// channel's data lock.
///
/// # Invariants
///
/// `base` is the address of the page of the channel's live [`Link`]: the value is
/// created after the page and dropped, under the data lock, before the page.
pub(crate) struct LiveRing {
    base: *mut u8,
    pub(crate) port: u32,
}

// SAFETY: The page is not tied to a thread.
unsafe impl Send for LiveRing {}

impl LiveRing {
    /// The live ring of `link`.
    ///
    /// # Safety
    ///
    /// The value must be dropped before `link` ends (under the lock that holds it).
    pub(crate) unsafe fn new(link: &Link) -> Self {
        // INVARIANT: The caller drops the value before the page.
        Self {
            base: link.page.as_ptr(),
            port: link.events.port(),
        }
    }

    /// The shared page, for as long as the caller borrows this value.
    pub(crate) fn ring(&self) -> PageRing<'_> {
        // INVARIANT: `self` lives no longer than the page, and the result borrows `self`.
        PageRing {
            base: self.base,
            _live: PhantomData,
        }
    }
}

/// The shared page seen through single accesses.
///
/// # Invariants
///
/// `base` points to a live page of at least `INTERFACE_SIZE` bytes, granted to
/// the backend, for `'a`. No Rust reference into the page is ever created: the
/// backend writes it concurrently.
pub(crate) struct PageRing<'a> {
    base: *mut u8,
    _live: PhantomData<&'a LiveRing>,
}

impl SharedRing for PageRing<'_> {
    fn load_index(&self, index: Index) -> u32 {
        // SAFETY: By the type invariant the page is live; the offset is in bounds
        // and 4-byte aligned. A volatile load is one read the compiler cannot repeat.
        unsafe { self.base.add(index.offset()).cast::<u32>().read_volatile() }
    }

    fn store_index(&self, index: Index, value: u32) {
        // SAFETY: As in `load_index`.
        unsafe {
            self.base
                .add(index.offset())
                .cast::<u32>()
                .write_volatile(value)
        }
    }

    fn read(&self, offset: usize, dst: &mut [u8]) {
        debug_assert!(offset + dst.len() <= INDEX_OFFSET);
        // SAFETY: The ring code only passes runs inside `in`, within the page
        // (type invariant). The copy is a C memcpy: the bytes between the indices
        // are ours by the ring protocol, and a backend that writes them anyway
        // only corrupts its own data.
        unsafe {
            ffi::xen_channel_ring_copy(
                dst.as_mut_ptr().cast(),
                self.base.add(offset).cast(),
                dst.len(),
            )
        }
    }

    fn write(&self, offset: usize, src: &[u8]) {
        debug_assert!(offset + src.len() <= INDEX_OFFSET);
        // SAFETY: As in `read`, for runs inside `out`.
        unsafe {
            ffi::xen_channel_ring_copy(self.base.add(offset).cast(), src.as_ptr().cast(), src.len())
        }
    }

    // `fence`, not `kernel::sync::barrier::smp_*`: the backend is another domain,
    // on another CPU even when this kernel is built without SMP, where `smp_*`
    // shrink to compiler barriers (C has `virt_*` for this, which Rust does not
    // wrap). On x86 these compile as `virt_rmb`/`virt_wmb` (compiler barriers)
    // and a full fence (`virt_mb`).
    fn read_barrier(&self) {
        fence(Ordering::Acquire);
    }

    fn write_barrier(&self) {
        fence(Ordering::Release);
    }

    fn full_barrier(&self) {
        fence(Ordering::SeqCst);
    }
}
