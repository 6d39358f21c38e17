// SPDX-License-Identifier: GPL-2.0

//! The link to the backend: granting a ring and publishing it, and ending it with
//! the ring's contents saved, so that a new link carries on where the old one
//! stopped.

use super::{irq_handler, Channel, Saved};
use crate::ring::{self, Index, SharedRing};
use crate::state::XenbusState;
use crate::xen::{EventChannel, SharedPage, XenbusDevice};
use core::ffi::c_void;
use core::sync::atomic::{fence, Ordering};
use kernel::{prelude::*, sync::Arc};

/// Most unread bytes kept across ended links: a backend that cycles its link
/// with a full ring must not grow kernel memory without bound.
const MAX_SAVED: usize = 4 * ring::IN_SIZE as usize;

/// The shared page seen through volatile accesses.
///
/// # Invariants
///
/// `base` points to a live page of at least [`ring::INTERFACE_SIZE`] bytes, granted
/// to the backend, for as long as this value exists. No Rust reference into the page
/// is ever created: the backend writes it concurrently.
pub(super) struct PageRing {
    pub(super) base: *mut u8,
}

impl SharedRing for PageRing {
    fn load_index(&self, index: Index) -> u32 {
        // SAFETY: By the type invariant the page is live; the offset is in bounds and
        // 4-byte aligned. A volatile load is one read that the compiler cannot repeat.
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

    fn read_byte(&self, offset: usize) -> u8 {
        debug_assert!(offset < ring::INDEX_OFFSET);
        // SAFETY: The ring code only passes offsets inside `in`/`out`, within the page.
        unsafe { self.base.add(offset).read_volatile() }
    }

    fn write_byte(&self, offset: usize, value: u8) {
        debug_assert!(offset < ring::INDEX_OFFSET);
        // SAFETY: As in `read_byte`.
        unsafe { self.base.add(offset).write_volatile(value) }
    }

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

/// What connects the channel to its backend while a ring is granted.
pub(super) struct Link {
    page: SharedPage,
    events: EventChannel,
}

impl Channel {
    /// Grants a new ring (ending any old one first), replays the bytes the last
    /// backend did not consume, binds an event channel and publishes both, then
    /// announces Initialised.
    pub(crate) fn publish(self: &Arc<Self>, dev: &XenbusDevice) -> Result {
        self.release_link();
        let page = SharedPage::setup(dev)?;
        let dev_id = Arc::as_ptr(self).cast_mut().cast::<c_void>();
        // SAFETY: The driver keeps its reference to the channel until after
        // `release_link`, which closes the event channel, so `dev_id` stays valid.
        let events = match unsafe { EventChannel::open(dev, irq_handler, &self.misc_name, dev_id) }
        {
            Ok(events) => events,
            Err(e) => {
                page.teardown();
                return Err(e);
            }
        };
        let (gref, port) = (page.gref(), events.port());
        {
            let mut saved = self.ring_lock.lock();
            // INVARIANT: `page` is granted and becomes `link` below, with the lock
            // released only after.
            let fresh = PageRing {
                base: page.as_ptr(),
            };
            let unsent_len = saved.unsent_len;
            // A fresh ring is empty and as large as `unsent`: everything fits.
            let _ = ring::write(&fresh, &saved.unsent[..unsent_len]);
            saved.unsent_len = 0;
            saved.in_transit = 0;
            self.port.store(port, Ordering::Relaxed);
            self.seen_in_prod.store(0, Ordering::Relaxed);
            self.seen_out_cons.store(0, Ordering::Relaxed);
            self.ring.store(page.as_ptr(), Ordering::Release);
            *self.link.lock() = Some(Link { page, events });
        }
        dev.publish_ring(gref, port)?;
        self.switch_state(dev, XenbusState::Initialised)
    }
    /// Ends the link, if any: saves what is still in the ring, unbinds the event
    /// channel (waiting for a running handler), then ends the grant before the page
    /// is freed.
    pub(crate) fn release_link(&self) {
        {
            let mut saved = self.ring_lock.lock();
            if let Some(ring) = self.ring(&saved) {
                self.save_ring(&ring, &mut saved);
            }
            // INVARIANT: cleared with `ring_lock` held: nobody else is in the ring.
            self.ring.store(core::ptr::null_mut(), Ordering::Release);
        }
        if let Some(link) = self.link.lock().take() {
            link.events.close();
            link.page.teardown();
        }
    }
    /// Saves what is still in `ring`: unread bytes but those a reader is copying out
    /// (`in_transit`, left to that reader), and unconsumed `out` bytes.
    fn save_ring(&self, ring: &PageRing, saved: &mut Saved) {
        let mut unread = [0u8; ring::IN_SIZE as usize];
        let in_transit = core::mem::take(&mut saved.in_transit);
        match ring::peek(ring, &mut unread) {
            Ok(n) if n <= in_transit => {}
            Ok(n) if saved.unread.len() + (n - in_transit) > MAX_SAVED => {
                pr_err!(
                    "channel {}: {} unread bytes dropped: {} already wait for a reader\n",
                    self.display_name(),
                    n - in_transit,
                    saved.unread.len()
                );
            }
            Ok(n) => {
                if saved
                    .unread
                    .extend_from_slice(&unread[in_transit..n], GFP_KERNEL)
                    .is_err()
                {
                    pr_err!(
                        "channel {}: out of memory: {} unread bytes lost\n",
                        self.display_name(),
                        n - in_transit
                    );
                }
            }
            Err(bad) => {
                self.corrupt(bad);
            }
        }
        match ring::unconsumed_out(ring, &mut saved.unsent) {
            Ok(n) => saved.unsent_len = n,
            Err(bad) => {
                self.corrupt(bad);
            }
        }
    }
    /// Removes `ring-ref` and `port`, which name a ring that no longer exists.
    pub(crate) fn unpublish(&self, dev: &XenbusDevice) {
        dev.remove_node(c"ring-ref");
        dev.remove_node(c"port");
    }
}
