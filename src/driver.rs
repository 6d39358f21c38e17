// SPDX-License-Identifier: GPL-2.0

//! The xenbus frontend: binds `console` devices that carry a `name`, and follows the
//! backend through the xenbus state machine.
//!
//! The `struct xenbus_driver` lives in `helpers.c` (it needs `THIS_MODULE`); its
//! callbacks land here. Each bound device keeps one reference to its [`Channel`] in
//! its driver data, taken back in `remove`.

use crate::channel::Channel;
use crate::name;
use crate::state::{on_backend_change, Action, XenbusState};
use crate::xen::{RawXenbusDevice, XenbusDevice};
use kernel::{
    bindings,
    ffi::{c_int, c_uint},
    prelude::*,
    sync::{Arc, ArcBorrow},
};

/// How long `remove` waits for the backend to let go of the ring, in 10 ms steps.
const CLOSE_WAIT_STEPS: u32 = 200;

extern "C" {
    fn xen_channel_register_driver() -> c_int;
    fn xen_channel_unregister_driver();
}

/// The registered xenbus driver; unregisters on drop.
pub(crate) struct Registration;

impl Registration {
    /// Registers the frontend; xenbus probes existing consoles before this returns.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Registers the static driver in helpers.c, once per module instance.
        kernel::error::to_result(unsafe { xen_channel_register_driver() })?;
        Ok(Self)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`; unregistering removes every bound device first.
        unsafe { xen_channel_unregister_driver() };
    }
}

/// `N` of the frontend node `device/console/N`.
fn devid(dev: &XenbusDevice) -> Result<u32> {
    let node = dev.nodename().to_bytes();
    let last = node.rsplit(|&b| b == b'/').next().ok_or(EINVAL)?;
    core::str::from_utf8(last)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(EINVAL)
}

/// The channel of a bound device.
///
/// # Safety
///
/// `dev` must be bound to this driver, between a successful probe and remove.
unsafe fn bound_channel<'a>(dev: &XenbusDevice) -> ArcBorrow<'a, Channel> {
    // SAFETY: probe stored `Arc::into_raw` as driver data; remove has not taken it.
    unsafe { ArcBorrow::from_raw(bindings::dev_get_drvdata(dev.device()).cast()) }
}

fn probe(dev: XenbusDevice) -> Result {
    // Only named consoles are channels; the rest (and any console whose name cannot
    // be read) stay with whoever else wants them.
    let Some(name) = dev.read_node(c"name")? else {
        return Err(ENODEV);
    };
    let devid = devid(&dev)?;
    if let Err(e) = name::validate(&name) {
        pr_warn!("console {devid}: channel not exposed: {}\n", e.reason());
        return Err(ENODEV);
    }
    let channel = Channel::new(&name, devid)?;
    if let Err(e) = channel.connect(&dev) {
        pr_err!("console {devid}: cannot connect to the backend: {e:?}\n");
        channel.disconnect();
        return Err(e);
    }
    if let Err(e) = channel.register(&dev, &crate::chardev::FOPS.0) {
        pr_err!("console {devid}: cannot register the device node: {e:?}\n");
        channel.disconnect();
        return Err(e);
    }
    // SAFETY: The device is live; the reference is taken back in `remove`.
    unsafe { bindings::dev_set_drvdata(dev.device(), Arc::into_raw(channel).cast_mut().cast()) };
    Ok(())
}

/// Asks the backend to close and waits, bounded, until it has, so that it stops
/// mapping the ring before the grant is ended.
fn close_backend(channel: &Channel, dev: &XenbusDevice) {
    if channel.frontend_state() != XenbusState::Closed {
        let _ = dev.switch_state(XenbusState::Closing);
    }
    for _ in 0..CLOSE_WAIT_STEPS {
        match dev.backend_state() {
            XenbusState::Closing | XenbusState::Closed | XenbusState::Unknown => return,
            _ => kernel::time::delay::fsleep(kernel::time::Delta::from_millis(10)),
        }
    }
    pr_warn!(
        "channel {}: backend did not close; ending the grant anyway\n",
        channel.devid()
    );
}

/// xenbus `probe`, through helpers.c.
///
/// # Safety
///
/// Called by xenbus with a live device being bound to this driver.
#[no_mangle]
unsafe extern "C" fn xen_channel_probe(raw: *mut RawXenbusDevice) -> c_int {
    // SAFETY: xenbus passes a live device being bound to this driver.
    let dev = unsafe { XenbusDevice::from_raw(raw) };
    match probe(dev) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// xenbus `remove`, through helpers.c.
///
/// # Safety
///
/// Called by xenbus with a live device bound to this driver, once.
#[no_mangle]
unsafe extern "C" fn xen_channel_remove(raw: *mut RawXenbusDevice) {
    // SAFETY: xenbus passes the live device being unbound.
    let dev = unsafe { XenbusDevice::from_raw(raw) };
    // SAFETY: The device is live.
    let data = unsafe { bindings::dev_get_drvdata(dev.device()) };
    if data.is_null() {
        return;
    }
    // SAFETY: The device is live; the reference moves from its driver data to `channel`.
    unsafe { bindings::dev_set_drvdata(dev.device(), core::ptr::null_mut()) };
    // SAFETY: `data` is the `Arc::into_raw` that probe stored, taken back once, here.
    let channel = unsafe { Arc::<Channel>::from_raw(data.cast()) };
    channel.shut_down_node();
    close_backend(&channel, &dev);
    channel.disconnect();
}

/// xenbus `otherend_changed`, through helpers.c.
///
/// # Safety
///
/// Called by xenbus with a live device, between probe and remove.
#[no_mangle]
unsafe extern "C" fn xen_channel_otherend_changed(raw: *mut RawXenbusDevice, state: c_uint) {
    // SAFETY: xenbus passes a live device bound to this driver.
    let dev = unsafe { XenbusDevice::from_raw(raw) };
    // SAFETY: Called only between probe and remove.
    let channel = unsafe { bound_channel(&dev) };
    let backend = XenbusState::from_raw(state);
    let result = match on_backend_change(channel.frontend_state(), backend) {
        Action::Nothing => Ok(()),
        Action::Connect => channel.backend_up(&dev),
        Action::Disconnect => channel.backend_down(&dev),
    };
    if let Err(e) = result {
        pr_err!(
            "channel {}: cannot follow backend state {state}: {e:?}\n",
            channel.devid()
        );
    }
}
