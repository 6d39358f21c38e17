// SPDX-License-Identifier: GPL-2.0

//! The functions `helpers.c` defines for Rust, declared once, in `helpers.h`
//! order. C types the Rust bindings cannot name safely (`struct device`, which
//! embeds zero-sized lockdep fields, and the Xen types the bindings lack) are
//! opaque here; the wrappers in `src/xen/` and `src/sync.rs` use them, and
//! `driver.rs` names `RawXenbusDevice` only to pass xenbus's pointer on.

use kernel::{
    bindings,
    ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void},
};

/// `struct xenbus_device`, only ever behind a pointer.
///
/// The marker keeps the compiler from calling it `Send`, `Sync` or `Unpin`: what
/// may cross threads is decided by the wrappers (`xen::xenbus`), not by default.
#[repr(C)]
pub(crate) struct RawXenbusDevice {
    _opaque: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// `irq_handler_t`.
pub(crate) type IrqHandler = unsafe extern "C" fn(c_int, *mut c_void) -> bindings::irqreturn_t;

/// A wait condition: `cond(ctx)`.
pub(crate) type WaitCond = unsafe extern "C" fn(*const c_void) -> bool;

extern "C" {
    // Module parameters.
    pub(crate) fn xen_channel_param_takeover() -> bool;
    pub(crate) fn xen_channel_param_queue_kib() -> c_uint;

    // The xenbus driver.
    pub(crate) fn xen_channel_register_driver() -> c_int;
    pub(crate) fn xen_channel_unregister_driver();

    // struct xenbus_device.
    pub(crate) fn xen_channel_dev_nodename(dev: *const RawXenbusDevice) -> *const c_char;
    pub(crate) fn xen_channel_dev_device(dev: *mut RawXenbusDevice) -> *mut c_void;
    pub(crate) fn xen_channel_dev_state(dev: *const RawXenbusDevice) -> c_uint;
    pub(crate) fn xen_channel_dev_get_drvdata(dev: *mut RawXenbusDevice) -> *mut c_void;
    pub(crate) fn xen_channel_dev_set_drvdata(dev: *mut RawXenbusDevice, data: *mut c_void);
    pub(crate) fn xen_channel_switch_state(dev: *mut RawXenbusDevice, state: c_uint) -> c_int;
    pub(crate) fn xen_channel_backend_state(dev: *mut RawXenbusDevice) -> c_uint;
    pub(crate) fn xen_channel_publish_ring(
        dev: *mut RawXenbusDevice,
        gref: u32,
        port: u32,
    ) -> c_int;

    // xenstore by path.
    pub(crate) fn xen_channel_store_read(
        dir: *const c_char,
        node: *const c_char,
        len: *mut c_uint,
    ) -> *mut c_void;
    pub(crate) fn xen_channel_store_directory(
        dir: *const c_char,
        num: *mut c_uint,
    ) -> *mut *mut c_char;
    pub(crate) fn xen_channel_store_write_state(dir: *const c_char, state: c_uint) -> c_int;
    pub(crate) fn xen_channel_store_remove(dir: *const c_char, node: *const c_char);
    pub(crate) fn xen_channel_store_state(dir: *const c_char) -> c_uint;

    // The ring page and its grant.
    pub(crate) fn xen_channel_ring_setup(
        dev: *mut RawXenbusDevice,
        vaddr: *mut *mut c_void,
        gref: *mut u32,
    ) -> c_int;
    pub(crate) fn xen_channel_ring_teardown(vaddr: *mut c_void, gref: u32) -> bool;
    pub(crate) fn xen_channel_ring_copy(dst: *mut c_void, src: *const c_void, len: usize);
    pub(crate) fn xen_channel_grant_ref_limit() -> c_uint;
    pub(crate) fn xen_channel_end_grant(gref: u32) -> bool;

    // The event channel.
    pub(crate) fn xen_channel_evtchn_bind(
        dev: *mut RawXenbusDevice,
        handler: IrqHandler,
        name: *const c_char,
        dev_id: *mut c_void,
        port: *mut u32,
    ) -> c_int;
    pub(crate) fn xen_channel_evtchn_unbind(irq: c_int, dev_id: *mut c_void);
    pub(crate) fn xen_channel_notify(port: u32);
    pub(crate) fn xen_channel_irq_eoi(irq: c_int, spurious: bool);

    // An irq-saving spinlock.
    pub(crate) fn xen_channel_spin_lock_irqsave(lock: *mut bindings::spinlock_t) -> c_ulong;
    pub(crate) fn xen_channel_spin_unlock_irqrestore(
        lock: *mut bindings::spinlock_t,
        flags: c_ulong,
    );
    pub(crate) fn xen_channel_spin_trylock_irqsave(
        lock: *mut bindings::spinlock_t,
        flags: *mut c_ulong,
    ) -> bool;

    // Waiting.
    pub(crate) fn xen_channel_waitq_init(wq: *mut bindings::wait_queue_head);
    pub(crate) fn xen_channel_wait(
        wq: *mut bindings::wait_queue_head,
        cond: WaitCond,
        ctx: *const c_void,
    ) -> c_int;
    pub(crate) fn xen_channel_wait_timeout(
        wq: *mut bindings::wait_queue_head,
        cond: WaitCond,
        ctx: *const c_void,
        timeout: c_long,
    ) -> c_long;
    pub(crate) fn xen_channel_udelay(us: c_uint);

    // The device node's sysfs attributes.
    pub(crate) fn xen_channel_attr_groups() -> *mut *const bindings::attribute_group;

    // Taking consoles over from hvc_xen.
    pub(crate) fn xen_channel_driver_core() -> *const c_void;
    pub(crate) fn xen_channel_watch_bus() -> c_int;
    pub(crate) fn xen_channel_unwatch_bus();
    pub(crate) fn xen_channel_alloc_takeover_wq() -> *mut bindings::workqueue_struct;
    pub(crate) fn xen_channel_dev_driven_by(dev: *mut c_void, name: *const c_char) -> bool;
    pub(crate) fn xen_channel_bus_has(name: *const c_char) -> bool;
    pub(crate) fn xen_channel_to_xenbus_device(dev: *mut c_void) -> *mut RawXenbusDevice;
    pub(crate) fn xen_channel_backend_state_of(dev: *mut RawXenbusDevice) -> c_uint;
    pub(crate) fn xen_channel_release_driver(dev: *mut c_void);
    pub(crate) fn xen_channel_attach_driver(dev: *mut c_void) -> c_int;
    pub(crate) fn xen_channel_hvc_xen_present() -> bool;
    pub(crate) fn xen_channel_run_in_xenwatch(
        node: *const c_char,
        run: unsafe extern "C" fn(*mut c_void),
        ctx: *mut c_void,
        timeout: c_ulong,
    ) -> c_int;
}
