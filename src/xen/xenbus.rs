// SPDX-License-Identifier: GPL-2.0

//! `struct xenbus_device`, borrowed for as long as xenbus keeps it alive.

use crate::ffi::{self, RawXenbusDevice};
use crate::pure::{number::parse_decimal, xenbus::XenbusState};
use core::marker::PhantomPinned;
use kernel::{
    bindings,
    error::to_result,
    prelude::*,
    str::{CStr, CStrExt},
    types::ForeignOwnable,
};

/// A xenbus device, seen through references whose lifetime is the guarantee
/// that it is alive.
///
/// # Invariants
///
/// A `&XenbusDevice` points to a live `struct xenbus_device` for its lifetime:
/// xenbus keeps a device bound to this driver alive from `probe` until `remove`
/// returns, and a held device reference (`get_device`) keeps any device alive.
#[repr(transparent)]
pub(crate) struct XenbusDevice {
    _raw: RawXenbusDevice,
    _pin: PhantomPinned,
}

impl XenbusDevice {
    /// Borrows the device xenbus passed to a driver callback.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live device that stays alive for `'a`: for a device
    /// bound to this driver, `'a` must end before its `remove` returns; otherwise
    /// before the caller's device reference is dropped.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut RawXenbusDevice) -> &'a Self {
        // SAFETY: `XenbusDevice` is `repr(transparent)` over the opaque C type;
        // the caller vouches for liveness during `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn as_raw(&self) -> *mut RawXenbusDevice {
        core::ptr::from_ref(self).cast_mut().cast()
    }

    /// The frontend's xenstore directory, e.g. `device/console/1`.
    pub(crate) fn nodename(&self) -> &CStr {
        // SAFETY: By the type invariant the device is live; xenbus sets `nodename`
        // to a NUL-terminated string before probe and frees it only after release.
        unsafe { CStr::from_char_ptr(ffi::xen_channel_dev_nodename(self.as_raw())) }
    }

    /// The last component of the node name: `N` of `device/console/N`.
    pub(crate) fn devid_text(&self) -> &[u8] {
        let node = self.nodename().to_bytes();
        node.rsplit(|&b| b == b'/').next().unwrap_or(node)
    }

    /// `N` of a frontend node `device/console/N`, if canonical (`07` is not
    /// `7`: two spellings must not name one console).
    pub(crate) fn devid(&self) -> Option<u32> {
        parse_decimal(self.devid_text())
    }

    /// The embedded `struct device`.
    pub(crate) fn device(&self) -> *mut bindings::device {
        // SAFETY: By the type invariant the device is live.
        unsafe { ffi::xen_channel_dev_device(self.as_raw()) }.cast()
    }

    /// The frontend state xenbus last set (Closed after an earlier driver's removal).
    pub(crate) fn state(&self) -> XenbusState {
        // SAFETY: By the type invariant the device is live.
        XenbusState::from_raw(unsafe { ffi::xen_channel_dev_state(self.as_raw()) })
    }

    /// Reads the frontend node `node`; `Ok(None)` if it does not exist.
    ///
    /// # Errors
    ///
    /// As [`crate::xen::store::read`].
    pub(crate) fn read_node(&self, node: &CStr) -> Result<Option<KVec<u8>>> {
        crate::xen::store::read(self.nodename(), node)
    }

    /// Removes the frontend node `node`, if it exists.
    pub(crate) fn remove_node(&self, node: &CStr) {
        crate::xen::store::remove(self.nodename(), node);
    }

    /// Publishes `ring-ref` and `port` in one transaction.
    ///
    /// # Errors
    ///
    /// The xenstore error, also when the transaction kept being retried.
    pub(crate) fn publish_ring(&self, gref: u32, port: u32) -> Result {
        // SAFETY: By the type invariant the device is live.
        to_result(unsafe { ffi::xen_channel_publish_ring(self.as_raw(), gref, port) })
    }

    /// Moves the frontend to `state` and writes it to xenstore.
    ///
    /// # Errors
    ///
    /// The xenstore error, or EIO if xenbus did not record the state.
    pub(crate) fn switch_state(&self, state: XenbusState) -> Result {
        // SAFETY: By the type invariant the device is live.
        to_result(unsafe { ffi::xen_channel_switch_state(self.as_raw(), state.raw()) })
    }

    /// Reads the backend's `state` node now (the otherend watch may be gone).
    pub(crate) fn backend_state(&self) -> XenbusState {
        // SAFETY: By the type invariant the device is live, and bound to this
        // driver, so xenbus has set `otherend`.
        XenbusState::from_raw(unsafe { ffi::xen_channel_backend_state(self.as_raw()) })
    }

    /// Reads the backend's `state` node through the frontend's `backend` node,
    /// which works whether or not a driver is bound.
    pub(crate) fn backend_state_of_any_driver(&self) -> XenbusState {
        // SAFETY: By the type invariant the device is live.
        XenbusState::from_raw(unsafe { ffi::xen_channel_backend_state_of(self.as_raw()) })
    }

    /// Stores `data` as the device's driver data; [`XenbusDevice::take_drvdata`]
    /// gets it back.
    pub(crate) fn set_drvdata<T: ForeignOwnable>(&self, data: T) {
        // SAFETY: By the type invariant the device is live.
        unsafe { ffi::xen_channel_dev_set_drvdata(self.as_raw(), data.into_foreign()) };
    }

    /// Borrows the driver data stored by [`XenbusDevice::set_drvdata`], if any.
    ///
    /// # Safety
    ///
    /// The driver data must be unset or a `T` stored by `set_drvdata`, not taken
    /// back while the borrow lives.
    pub(crate) unsafe fn borrow_drvdata<T: ForeignOwnable>(&self) -> Option<T::Borrowed<'_>> {
        // SAFETY: By the type invariant the device is live.
        let data = unsafe { ffi::xen_channel_dev_get_drvdata(self.as_raw()) };
        // SAFETY: Non-null data is a `T` from `set_drvdata`, per the caller.
        (!data.is_null()).then(|| unsafe { T::borrow(data) })
    }

    /// Takes back the driver data stored by [`XenbusDevice::set_drvdata`], if any.
    ///
    /// # Safety
    ///
    /// The driver data must be unset or a `T` stored by `set_drvdata`, with no
    /// borrow of it alive.
    pub(crate) unsafe fn take_drvdata<T: ForeignOwnable>(&self) -> Option<T> {
        // SAFETY: By the type invariant the device is live.
        let data = unsafe { ffi::xen_channel_dev_get_drvdata(self.as_raw()) };
        if data.is_null() {
            return None;
        }
        // SAFETY: By the type invariant the device is live.
        unsafe { ffi::xen_channel_dev_set_drvdata(self.as_raw(), core::ptr::null_mut()) };
        // SAFETY: `data` is a `T` from `set_drvdata`, taken back once, here.
        Some(unsafe { T::from_foreign(data) })
    }
}
