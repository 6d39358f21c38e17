// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the xenbus, grant-table and event-channel interfaces.
//!
//! The kernel's Rust bindings carry no Xen headers. The exported functions used here
//! are declared by hand from `include/xen/xenbus.h` and `include/xen/events.h` (7.2);
//! macros, static inlines and the `struct xenbus_device` layout go through
//! `helpers.c`.

use crate::state::XenbusState;
use core::ffi::c_void;
use core::ptr::NonNull;
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    ffi::{c_char, c_int, c_uint, c_ulong},
    prelude::*,
    str::{CStr, CStrExt, CString},
};

/// `struct xenbus_device`, only ever behind a pointer.
#[repr(C)]
pub(crate) struct RawXenbusDevice {
    _opaque: [u8; 0],
}

/// `struct xenbus_transaction`: one `u32` id, passed by value.
#[repr(C)]
#[derive(Clone, Copy)]
struct Transaction {
    id: u32,
}

/// `XBT_NIL`: no transaction.
const XBT_NIL: Transaction = Transaction { id: 0 };

/// `irq_handler_t`.
pub(crate) type IrqHandler = unsafe extern "C" fn(c_int, *mut c_void) -> bindings::irqreturn_t;

/// `XEN_EOI_FLAG_SPURIOUS`.
pub(crate) const EOI_SPURIOUS: c_uint = 1;

extern "C" {
    fn xen_channel_dev_nodename(dev: *const RawXenbusDevice) -> *const c_char;
    fn xen_channel_dev_otherend(dev: *const RawXenbusDevice) -> *const c_char;
    // Returns `struct device *`; `c_void` because `struct device` is not FFI-safe
    // to name in an extern block (it embeds zero-sized lockdep fields).
    fn xen_channel_dev_device(dev: *mut RawXenbusDevice) -> *mut c_void;
    fn xen_channel_dev_state(dev: *const RawXenbusDevice) -> c_uint;
    fn xen_channel_notify(port: u32);

    fn xenbus_read(
        t: Transaction,
        dir: *const c_char,
        node: *const c_char,
        len: *mut c_uint,
    ) -> *mut c_void;
    fn xenbus_rm(t: Transaction, dir: *const c_char, node: *const c_char) -> c_int;
    fn xenbus_directory(
        t: Transaction,
        dir: *const c_char,
        node: *const c_char,
        num: *mut c_uint,
    ) -> *mut *mut c_char;
    fn xenbus_transaction_start(t: *mut Transaction) -> c_int;
    fn xenbus_transaction_end(t: Transaction, abort: bool) -> c_int;
    fn xenbus_printf(
        t: Transaction,
        dir: *const c_char,
        node: *const c_char,
        fmt: *const c_char,
        ...
    ) -> c_int;
    fn xenbus_switch_state(dev: *mut RawXenbusDevice, state: c_uint) -> c_int;
    fn xenbus_read_driver_state(dev: *const RawXenbusDevice, path: *const c_char) -> c_uint;
    fn xenbus_setup_ring(
        dev: *mut RawXenbusDevice,
        gfp: bindings::gfp_t,
        vaddr: *mut *mut c_void,
        nr_pages: c_uint,
        grefs: *mut u32,
    ) -> c_int;
    fn xenbus_teardown_ring(vaddr: *mut *mut c_void, nr_pages: c_uint, grefs: *mut u32);
    fn xenbus_alloc_evtchn(dev: *mut RawXenbusDevice, port: *mut u32) -> c_int;
    fn xenbus_free_evtchn(dev: *mut RawXenbusDevice, port: u32) -> c_int;
    fn bind_evtchn_to_irqhandler_lateeoi(
        port: u32,
        handler: IrqHandler,
        flags: c_ulong,
        name: *const c_char,
        dev_id: *mut c_void,
    ) -> c_int;
    fn unbind_from_irqhandler(irq: c_uint, dev_id: *mut c_void);
    fn gnttab_end_foreign_access_ref(gref: u32) -> c_int;
    fn xen_irq_lateeoi(irq: c_uint, flags: c_uint);
}

/// A xenbus device borrowed for the duration of a driver callback, or for as long as
/// the takeover holds a reference to it.
///
/// # Invariants
///
/// `ptr` points to a live `struct xenbus_device`: xenbus keeps a device bound to this
/// driver alive from `probe` until `remove` returns; the takeover holds a device
/// reference while it uses one bound to hvc_xen.
#[derive(Clone, Copy)]
pub(crate) struct XenbusDevice {
    ptr: NonNull<RawXenbusDevice>,
}

// SAFETY: The xenbus functions used on it may be called from any thread.
unsafe impl Send for XenbusDevice {}
// SAFETY: As above; `XenbusDevice` has no interior state of its own.
unsafe impl Sync for XenbusDevice {}

impl XenbusDevice {
    /// Wraps the device passed to a xenbus driver callback.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live device, and the wrapper must not be used after it
    /// may be freed: for a device bound to this driver, after its `remove` callback
    /// has returned; otherwise, after the caller's device reference is dropped.
    pub(crate) unsafe fn from_raw(ptr: *mut RawXenbusDevice) -> Self {
        // INVARIANT: Guaranteed by the caller; xenbus never passes NULL.
        Self {
            ptr: NonNull::new(ptr).expect("xenbus passed a NULL device"),
        }
    }

    fn raw(self) -> *mut RawXenbusDevice {
        self.ptr.as_ptr()
    }

    /// The frontend's xenstore directory, e.g. `device/console/1`.
    pub(crate) fn nodename(&self) -> &CStr {
        // SAFETY: By the type invariant the device is live; xenbus sets `nodename` to a
        // NUL-terminated string before probe and frees it only after release.
        unsafe { CStr::from_char_ptr(xen_channel_dev_nodename(self.raw())) }
    }

    /// The embedded `struct device`.
    pub(crate) fn device(&self) -> *mut bindings::device {
        // SAFETY: By the type invariant the device is live.
        unsafe { xen_channel_dev_device(self.raw()) }.cast()
    }

    /// The frontend state xenbus last set (Closed after an earlier driver's removal).
    pub(crate) fn state(&self) -> XenbusState {
        // SAFETY: By the type invariant the device is live.
        XenbusState::from_raw(unsafe { xen_channel_dev_state(self.raw()) })
    }

    /// Reads the frontend node `node`; `Ok(None)` if it does not exist.
    pub(crate) fn read_node(&self, node: &CStr) -> Result<Option<KVec<u8>>> {
        store::read(self.nodename(), node)
    }

    /// Removes the frontend node `node`, if it exists.
    pub(crate) fn remove_node(&self, node: &CStr) {
        store::remove(self.nodename(), node);
    }

    /// Publishes `ring-ref` and `port` in one transaction, retrying on -EAGAIN.
    pub(crate) fn publish_ring(&self, gref: u32, port: u32) -> Result {
        let dir = self.nodename().as_char_ptr();
        loop {
            let mut t = XBT_NIL;
            // SAFETY: `t` is a valid out-pointer.
            to_result(unsafe { xenbus_transaction_start(&mut t) })?;
            // SAFETY: `t` is a live transaction; all strings are NUL-terminated and
            // the formats match the (C `int` and `unsigned int`) arguments.
            let written = to_result(unsafe {
                xenbus_printf(
                    t,
                    dir,
                    c"ring-ref".as_char_ptr(),
                    c"%d".as_char_ptr(),
                    gref as c_int,
                )
            })
            .and_then(|()| {
                // SAFETY: As above.
                to_result(unsafe {
                    xenbus_printf(
                        t,
                        dir,
                        c"port".as_char_ptr(),
                        c"%u".as_char_ptr(),
                        port as c_uint,
                    )
                })
            });
            if let Err(e) = written {
                // SAFETY: `t` is live; aborting ends it.
                unsafe { xenbus_transaction_end(t, true) };
                return Err(e);
            }
            // SAFETY: `t` is live; committing ends it.
            match to_result(unsafe { xenbus_transaction_end(t, false) }) {
                Err(e) if e == EAGAIN => continue,
                other => return other,
            }
        }
    }

    /// Moves the frontend to `state` (and writes it to xenstore).
    pub(crate) fn switch_state(&self, state: XenbusState) -> Result {
        // SAFETY: By the type invariant the device is live.
        to_result(unsafe { xenbus_switch_state(self.raw(), state.raw()) })
    }

    /// Reads the backend's `state` node through the frontend's `backend` node, which
    /// works whether or not a driver is bound (xenbus frees `otherend` on unbind).
    pub(crate) fn backend_state_from_store(&self) -> XenbusState {
        let Ok(Some(dir)) = store::read_path(self.nodename(), c"backend") else {
            return XenbusState::Unknown;
        };
        // SAFETY: The device is live; `dir` is NUL-terminated.
        XenbusState::from_raw(unsafe { xenbus_read_driver_state(self.raw(), dir.as_char_ptr()) })
    }

    /// Reads the backend's `state` node now (the otherend watch may be gone).
    pub(crate) fn backend_state(&self) -> XenbusState {
        // SAFETY: The device is live; `otherend` is a NUL-terminated string set by
        // xenbus before probe.
        let raw =
            unsafe { xenbus_read_driver_state(self.raw(), xen_channel_dev_otherend(self.raw())) };
        XenbusState::from_raw(raw)
    }
}

/// A granted page shared with the backend.
///
/// # Invariants
///
/// `vaddr` is a page allocated and granted to the backend by `xenbus_setup_ring`, with
/// grant reference `gref`, until [`SharedPage::teardown`] ends the grant.
pub(crate) struct SharedPage {
    vaddr: *mut c_void,
    gref: u32,
}

// SAFETY: The page is not tied to a thread; the grant functions may run anywhere.
unsafe impl Send for SharedPage {}

impl SharedPage {
    /// Allocates a zeroed page and grants it to `dev`'s backend.
    pub(crate) fn setup(dev: &XenbusDevice) -> Result<Self> {
        let mut vaddr = core::ptr::null_mut();
        let mut gref = 0;
        // SAFETY: The device is live; `vaddr` and `gref` are valid for one page.
        to_result(unsafe {
            xenbus_setup_ring(dev.raw(), bindings::GFP_KERNEL, &mut vaddr, 1, &mut gref)
        })?;
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

    /// Ends the grant, then frees the page.
    ///
    /// If the backend still maps the page, the grant table defers the free until it
    /// unmaps it (gnttab_end_foreign_access), so the backend never sees a reused page.
    pub(crate) fn teardown(mut self) {
        // SAFETY: By the type invariant `vaddr` and `gref` came from xenbus_setup_ring.
        unsafe { xenbus_teardown_ring(&mut self.vaddr, 1, &mut self.gref) };
    }
}

/// An event channel to the backend, bound to a lateeoi interrupt handler.
///
/// # Invariants
///
/// `irq` is bound to `port` with `dev_id` until [`EventChannel::close`].
pub(crate) struct EventChannel {
    port: u32,
    irq: c_uint,
    dev_id: *mut c_void,
}

// SAFETY: The binding is not tied to a thread; `dev_id` is only handed back to C.
unsafe impl Send for EventChannel {}

impl EventChannel {
    /// Allocates a port for `dev`'s backend and binds `handler` to it.
    ///
    /// # Safety
    ///
    /// `dev_id` must stay valid for `handler` until [`EventChannel::close`] returns.
    pub(crate) unsafe fn open(
        dev: &XenbusDevice,
        handler: IrqHandler,
        name: &CStr,
        dev_id: *mut c_void,
    ) -> Result<Self> {
        let mut port = 0;
        // SAFETY: The device is live; `port` is a valid out-pointer.
        to_result(unsafe { xenbus_alloc_evtchn(dev.raw(), &mut port) })?;
        // SAFETY: `port` is ours; `name` outlives the binding (the caller keeps the
        // channel, which owns it, alive); `dev_id` is valid as the caller promises.
        let irq = unsafe {
            bind_evtchn_to_irqhandler_lateeoi(port, handler, 0, name.as_char_ptr(), dev_id)
        };
        if irq < 0 {
            // SAFETY: The port was allocated above and is bound to nothing.
            unsafe { xenbus_free_evtchn(dev.raw(), port) };
            return Err(Error::from_errno(irq));
        }
        // INVARIANT: bound above.
        Ok(Self {
            port,
            irq: irq as c_uint,
            dev_id,
        })
    }

    /// The port number published to the backend.
    pub(crate) fn port(&self) -> u32 {
        self.port
    }

    /// Unbinds the handler (waiting for a running one) and closes the port.
    pub(crate) fn close(self) {
        // SAFETY: By the type invariant `irq` is bound with `dev_id`; unbinding also
        // closes the port.
        unsafe { unbind_from_irqhandler(self.irq, self.dev_id) };
    }
}

/// Kicks the backend through `port`.
///
/// Notifying a port that was closed meanwhile is harmless: the hypervisor rejects it.
pub(crate) fn notify(port: u32) {
    // SAFETY: notify_remote_via_evtchn only issues a hypercall on the port number.
    unsafe { xen_channel_notify(port) };
}

/// Re-enables event delivery for `irq` after handling (lateeoi), telling the core
/// whether the event did any work, so that an event storm gets throttled (XSA-391).
pub(crate) fn irq_eoi(irq: c_int, spurious: bool) {
    // SAFETY: Called from the handler of a lateeoi-bound irq.
    unsafe { xen_irq_lateeoi(irq as c_uint, if spurious { EOI_SPURIOUS } else { 0 }) };
}

/// Polls `read` every 10 ms, at most `steps` times, until `done` accepts the state it
/// returns; false on time-out. For waits on a backend that the otherend watch does
/// not report: in `remove` (the watch is gone) or for a console of another driver.
pub(crate) fn wait_for_state(
    steps: u32,
    read: impl Fn() -> XenbusState,
    done: impl Fn(XenbusState) -> bool,
) -> bool {
    for _ in 0..steps {
        if done(read()) {
            return true;
        }
        kernel::time::delay::fsleep(kernel::time::Delta::from_millis(10));
    }
    false
}

/// Ends the grant `gref` unless the backend still maps it; true if it is ended.
///
/// Used on a ring granted by hvc_xen, which never ends its grant itself: once this
/// returns true the backend cannot map the page again, so freeing it is safe.
///
/// # Safety
///
/// `gref` must be a grant of this domain that nothing relies on staying granted.
pub(crate) unsafe fn end_grant(gref: u32) -> bool {
    // SAFETY: The caller vouches for `gref`; the call only clears its grant entry if
    // no mapping is in progress, and reports whether it did.
    unsafe { gnttab_end_foreign_access_ref(gref) != 0 }
}

/// xenstore access by path, for consoles that have no device on the bus.
pub(crate) mod store {
    use super::*;

    /// Reads `dir/node`; `Ok(None)` if it does not exist.
    pub(crate) fn read(dir: &CStr, node: &CStr) -> Result<Option<KVec<u8>>> {
        let mut len: c_uint = 0;
        // SAFETY: `dir` and `node` are NUL-terminated; `len` is writable.
        let ptr = unsafe { xenbus_read(XBT_NIL, dir.as_char_ptr(), node.as_char_ptr(), &mut len) };
        let ptr = match from_err_ptr(ptr) {
            Ok(ptr) => ptr.cast::<u8>(),
            Err(e) if e == ENOENT => return Ok(None),
            Err(e) => return Err(e),
        };
        // SAFETY: On success xenbus_read returns a kmalloc'd buffer of `len` bytes
        // (plus a NUL) that we own.
        let bytes = unsafe { core::slice::from_raw_parts(ptr, len as usize) };
        let mut value = KVec::new();
        let copied = value.extend_from_slice(bytes, GFP_KERNEL);
        // SAFETY: `ptr` was allocated by kmalloc in xenbus_read and is not used again.
        unsafe { bindings::kfree(ptr.cast()) };
        copied?;
        Ok(Some(value))
    }

    /// Reads `dir/node` as the path of another directory (a `backend` node).
    pub(crate) fn read_path(dir: &CStr, node: &CStr) -> Result<Option<CString>> {
        let Some(mut path) = read(dir, node)? else {
            return Ok(None);
        };
        path.push(0, GFP_KERNEL)?;
        let path = CStr::from_bytes_with_nul(&path).map_err(|_| EINVAL)?;
        Ok(Some(CString::try_from(path)?))
    }

    /// The entries of directory `dir`.
    pub(crate) fn directory(dir: &CStr) -> Result<KVec<KVec<u8>>> {
        let mut num: c_uint = 0;
        // SAFETY: `dir` and the empty node are NUL-terminated; `num` is writable.
        let list =
            unsafe { xenbus_directory(XBT_NIL, dir.as_char_ptr(), c"".as_char_ptr(), &mut num) };
        let list = from_err_ptr(list)?;
        let mut entries = KVec::new();
        let mut copied = Ok(());
        for i in 0..num as usize {
            // SAFETY: xenbus_directory returns `num` NUL-terminated strings, in the
            // one kmalloc'd block that `list` points to.
            let entry = unsafe { CStr::from_char_ptr(*list.add(i)) };
            let mut name = KVec::new();
            copied = name
                .extend_from_slice(entry.to_bytes(), GFP_KERNEL)
                .and_then(|()| entries.push(name, GFP_KERNEL));
            if copied.is_err() {
                break;
            }
        }
        // SAFETY: The block was allocated by kmalloc in xenbus_directory and is not
        // used again.
        unsafe { bindings::kfree(list.cast()) };
        copied?;
        Ok(entries)
    }

    /// Writes the xenbus state `state` to `dir/state`.
    pub(crate) fn write_state(dir: &CStr, state: XenbusState) -> Result {
        // SAFETY: The strings are NUL-terminated; the format matches the `c_uint`.
        to_result(unsafe {
            xenbus_printf(
                XBT_NIL,
                dir.as_char_ptr(),
                c"state".as_char_ptr(),
                c"%u".as_char_ptr(),
                state.raw() as c_uint,
            )
        })
    }

    /// Removes `dir/node`, if it exists.
    pub(crate) fn remove(dir: &CStr, node: &CStr) {
        // SAFETY: The strings are NUL-terminated; a missing node is not an error here.
        unsafe { xenbus_rm(XBT_NIL, dir.as_char_ptr(), node.as_char_ptr()) };
    }

    /// The state of the xenbus end whose directory is `dir`.
    pub(crate) fn state_at(dir: &CStr) -> XenbusState {
        // SAFETY: `dir` is NUL-terminated; without a device the call only reads.
        XenbusState::from_raw(unsafe {
            xenbus_read_driver_state(core::ptr::null(), dir.as_char_ptr())
        })
    }
}
