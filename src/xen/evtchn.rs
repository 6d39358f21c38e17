// SPDX-License-Identifier: GPL-2.0

//! An event channel to the backend, bound to a lateeoi interrupt handler.

use crate::ffi::{self, IrqHandler};
use crate::xen::xenbus::XenbusDevice;
use core::ffi::c_void;
use kernel::{ffi::c_int, prelude::*, str::CStr};

/// An event channel bound to a handler; dropping it unbinds the handler (waiting
/// for a running one) and closes the port.
///
/// # Invariants
///
/// `irq` is bound to `port` with `dev_id` until the value is dropped.
pub(crate) struct EventChannel {
    port: u32,
    irq: c_int,
    dev_id: *mut c_void,
}

// SAFETY: The binding is not tied to a thread; `dev_id` is only handed back to C.
unsafe impl Send for EventChannel {}

impl EventChannel {
    /// Allocates a port for `dev`'s backend and binds `handler` to it, called
    /// with `dev_id`.
    ///
    /// # Errors
    ///
    /// The error of allocating the port or binding it.
    ///
    /// # Safety
    ///
    /// `dev_id` must stay valid for `handler` until the value is dropped, and
    /// `name` until then too.
    pub(crate) unsafe fn new(
        dev: &XenbusDevice,
        handler: IrqHandler,
        name: &CStr,
        dev_id: *mut c_void,
    ) -> Result<Self> {
        let mut port = 0;
        // SAFETY: The device is live; `port` is valid for writes; the caller
        // vouches for `name` and `dev_id`.
        let irq = unsafe {
            ffi::xen_channel_evtchn_bind(
                dev.as_raw(),
                handler,
                name.as_char_ptr(),
                dev_id,
                &mut port,
            )
        };
        if irq < 0 {
            return Err(Error::from_errno(irq));
        }
        // INVARIANT: bound above.
        Ok(Self { port, irq, dev_id })
    }

    /// The port number published to the backend.
    pub(crate) fn port(&self) -> u32 {
        self.port
    }
}

impl Drop for EventChannel {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `irq` is bound with `dev_id`; unbinding
        // waits for a running handler and closes the port.
        unsafe { ffi::xen_channel_evtchn_unbind(self.irq, self.dev_id) };
    }
}

/// Kicks the backend through `port`.
///
/// Notifying a port that was closed meanwhile is harmless: the hypervisor refuses it.
pub(crate) fn notify(port: u32) {
    // SAFETY: notify_remote_via_evtchn only issues a hypercall on a port number.
    unsafe { ffi::xen_channel_notify(port) };
}

/// Ends the handling of an event on `irq` (lateeoi): `spurious` when it showed no
/// progress, so that a storm of them gets delayed (XSA-391).
///
/// # Safety
///
/// `irq` must be the lateeoi irq whose handler is running, once per event.
pub(crate) unsafe fn end_of_interrupt(irq: c_int, spurious: bool) {
    // SAFETY: As the caller guarantees.
    unsafe { ffi::xen_channel_irq_eoi(irq, spurious) };
}
