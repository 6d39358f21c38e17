// SPDX-License-Identifier: GPL-2.0

//! The ring page granted to the backend, and ending grants of other drivers.

use crate::ffi;
use crate::xen::xenbus::XenbusDevice;
use core::ffi::c_void;
use kernel::{error::to_result, prelude::*};

/// A zeroed page granted to a device's backend; dropping it ends the grant.
///
/// # Invariants
///
/// `vaddr` is a page allocated by `xenbus_setup_ring` and granted to the backend
/// under `gref`, until the value is dropped.
pub(crate) struct SharedPage {
    vaddr: *mut c_void,
    gref: u32,
}

// SAFETY: The page is not tied to a thread; the grant functions may run anywhere.
unsafe impl Send for SharedPage {}

impl SharedPage {
    /// Allocates a zeroed page and grants it to `dev`'s backend.
    ///
    /// # Errors
    ///
    /// ENOMEM, or the grant table's error (ENOSPC when it is full).
    pub(crate) fn new(dev: &XenbusDevice) -> Result<Self> {
        let mut vaddr = core::ptr::null_mut();
        let mut gref = 0;
        // SAFETY: The device is live; `vaddr` and `gref` are valid for writes.
        to_result(unsafe { ffi::xen_channel_ring_setup(dev.as_raw(), &mut vaddr, &mut gref) })?;
        // INVARIANT: xenbus_setup_ring succeeded.
        Ok(Self { vaddr, gref })
    }

    /// The page's address in the guest.
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.vaddr.cast()
    }

    /// The grant reference the backend maps.
    pub(crate) fn gref(&self) -> u32 {
        self.gref
    }

    /// Ends the grant and frees the page, now or, if the backend still maps it,
    /// once it unmaps it; returns true in the second case.
    pub(crate) fn end(self) -> bool {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: By the type invariant `vaddr` and `gref` came from
        // xenbus_setup_ring; `this` is not dropped, so they are ended once.
        unsafe { ffi::xen_channel_ring_teardown(this.vaddr, this.gref) }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: As in `end`: the page is ended once, here.
        unsafe { ffi::xen_channel_ring_teardown(self.vaddr, self.gref) };
    }
}

/// One past the highest grant reference of the grant table's frames set up now
/// (which a PV guest has mapped; the table's maximum size is larger), 0 if Xen
/// does not say. The frames only grow while the domain runs.
pub(crate) fn ref_limit() -> u32 {
    // SAFETY: Reads the grant table's size; no preconditions.
    unsafe { ffi::xen_channel_grant_ref_limit() }
}

/// Ends grant `gref` of this domain unless the backend maps it; true if it is ended.
///
/// For a ring granted by hvc_xen, which never ends its grant itself: once this
/// returns true the backend cannot map the page again, so freeing it is safe.
///
/// # Safety
///
/// `gref` must be below [`ref_limit`] and a grant that nothing relies on staying
/// granted.
pub(crate) unsafe fn end_foreign_grant(gref: u32) -> bool {
    // SAFETY: The caller vouches for `gref`: in range, and not relied upon.
    unsafe { ffi::xen_channel_end_grant(gref) }
}
