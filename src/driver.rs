// SPDX-License-Identifier: GPL-2.0

//! The xenbus frontend: binds `console` devices that carry a `name`, and follows the
//! backend through the xenbus state machine.
//!
//! The `struct xenbus_driver` lives in `helpers.c` (it needs `THIS_MODULE`); its
//! callbacks land here. Each bound device keeps one reference to its [`Channel`] in
//! its driver data, taken back in `remove`.
//!
//! All xenstore writes for a link happen in `otherend_changed`, which xenbus runs in
//! its watch thread: writing from `probe` races with the same thread's check for a
//! "state reset" of the device, which then unregisters it.

use crate::channel::Channel;
use crate::handover::{backend_closing, parse_decimal};
use crate::state::{on_backend_change, Action, XenbusState};
use crate::xen::{self, RawXenbusDevice, XenbusDevice};
use crate::{claims, name};
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
        // SAFETY: Called once from the module initialiser, before the driver exists.
        unsafe { claims::init() };
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
pub(crate) fn devid(dev: &XenbusDevice) -> Result<u32> {
    let node = dev.nodename().to_bytes();
    let last = node.rsplit(|&b| b == b'/').next().ok_or(EINVAL)?;
    parse_decimal(last).ok_or(EINVAL)
}

/// The channel of a bound device, if probe has stored one.
///
/// # Safety
///
/// `dev` must be bound to this driver, and the result not used after its remove.
unsafe fn bound_channel<'a>(dev: &XenbusDevice) -> Option<ArcBorrow<'a, Channel>> {
    // SAFETY: The device is live.
    let data = unsafe { bindings::dev_get_drvdata(dev.device()) };
    // SAFETY: A non-null value is the `Arc::into_raw` probe stored; remove clears it
    // before dropping that reference.
    (!data.is_null()).then(|| unsafe { ArcBorrow::from_raw(data.cast()) })
}

fn probe(dev: XenbusDevice) -> Result {
    // Only named consoles are channels; the rest stay with whoever else wants them.
    let Some(name) = dev.read_node(c"name")? else {
        return Err(ENODEV);
    };
    let devid = devid(&dev)?;
    if let Err(e) = name::validate(&name) {
        pr_warn!("console {devid}: channel not exposed: {}\n", e.reason());
        return Err(ENODEV);
    }
    let channel = Channel::new(&name, devid)?;
    // A driver bound before us (or our own earlier instance) left the device
    // Closed: the state machine must start from there to reset the backend.
    channel.assume_state(dev.state());
    if let Err(holder) = claims::claim(devid, channel.name())? {
        pr_warn!(
            "console {devid}: channel not exposed: name {} already used by console {holder}\n",
            channel.name().to_str().unwrap_or("?")
        );
        return Err(ENODEV);
    }
    if let Err(e) = channel.register(&dev, &crate::chardev::FOPS.0) {
        pr_err!("console {devid}: cannot register the device node: {e:?}\n");
        claims::release(devid);
        return Err(e);
    }
    // SAFETY: The device is live; the reference is taken back in `remove`.
    unsafe { bindings::dev_set_drvdata(dev.device(), Arc::into_raw(channel).cast_mut().cast()) };
    Ok(())
}

/// Carries out what the state machine decided for a backend state change.
fn follow_backend(
    channel: ArcBorrow<'_, Channel>,
    dev: &XenbusDevice,
    backend: XenbusState,
) -> Result {
    channel.note_backend_state(backend);
    let action = on_backend_change(channel.frontend_state(), backend, channel.has_ring());
    match action {
        Action::Nothing => Ok(()),
        Action::Publish | Action::Republish => Arc::from(channel).publish(dev),
        Action::Connect => channel.backend_up(dev),
        Action::Close => {
            channel.backend_down();
            channel.switch_state(dev, XenbusState::Closed)
        }
        Action::Reset => {
            channel.backend_down();
            // The backend has unmapped the ring: end the grant now.
            channel.release_link();
            channel.unpublish(dev);
            if channel.frontend_state() != XenbusState::Closed {
                channel.switch_state(dev, XenbusState::Closed)?;
            }
            // An online backend answers Initialising by going back to InitWait.
            channel.switch_state(dev, XenbusState::Initialising)
        }
    }
}

/// Asks the backend to close and waits, bounded, until it has, so that it stops
/// mapping the ring before the grant is ended.
fn close_backend(channel: &Channel, dev: &XenbusDevice) {
    if !channel.has_ring() {
        return;
    }
    if channel.frontend_state() != XenbusState::Closed {
        let _ = channel.switch_state(dev, XenbusState::Closing);
    }
    if xen::wait_for_state(CLOSE_WAIT_STEPS, || dev.backend_state(), backend_closing) {
        return;
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
    channel.release_link();
    claims::release(channel.devid());
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
    let Some(channel) = (unsafe { bound_channel(&dev) }) else {
        return;
    };
    let devid = channel.devid();
    if let Err(e) = follow_backend(channel, &dev, XenbusState::from_raw(state)) {
        pr_err!("channel {devid}: cannot follow backend state {state}: {e:?}\n");
    }
}

/// xenbus `resume`, through helpers.c: after a restore or migration the old backend
/// is gone and xenbus has reset the frontend to Initialising. The bytes still in the
/// old ring are saved and the old ring is ended; the new ring is published from
/// `otherend_changed` once the new backend is in InitWait (xenbus watches the backend
/// again right after this returns), as after probe: writing xenstore from here
/// would race xenbus's check for a state reset, which unregisters the device.
///
/// # Safety
///
/// Called by xenbus with a live device bound to this driver.
#[no_mangle]
unsafe extern "C" fn xen_channel_resume(raw: *mut RawXenbusDevice) -> c_int {
    // SAFETY: xenbus passes a live device bound to this driver.
    let dev = unsafe { XenbusDevice::from_raw(raw) };
    // SAFETY: Called only between probe and remove.
    let Some(channel) = (unsafe { bound_channel(&dev) }) else {
        return 0;
    };
    // Not a hang-up: readers and writers wait for the new backend.
    channel.backend_paused();
    channel.note_backend_state(XenbusState::Unknown);
    channel.release_link();
    // xenbus has reset the device to Initialising, as the restored xenstore says.
    channel.assume_state(XenbusState::Initialising);
    0
}
