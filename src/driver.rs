// SPDX-License-Identifier: GPL-2.0

//! The xenbus frontend: binds `console` devices that carry a `name`, and follows
//! the backend through the xenbus state machine.
//!
//! The `struct xenbus_driver` lives in `helpers.c` (it needs `THIS_MODULE`); its
//! callbacks land here. A bound device keeps its [`Binding`] (the channel and its
//! device node) in its driver data, from probe to remove.
//!
//! All xenstore writes for a link happen in `otherend_changed`, which xenbus runs
//! in its watch thread: writing from `probe` races with the same thread's check
//! for a "state reset" of the device, which then unregisters it.

use crate::channel::{self, Channel};
use crate::chardev::Node;
use crate::claims::{self, ClaimError};
use crate::ffi::{self, RawXenbusDevice};
use crate::pure::lifecycle::{ChannelState, LinkEvent};
use crate::pure::xenbus::{backend_closing, on_backend_change, Action, XenbusState};
use crate::xen::{self, xenbus::XenbusDevice};
use crate::{client, pure::name};
use kernel::{
    ffi::{c_int, c_uint},
    prelude::*,
    str::{CStr, CString},
    sync::Arc,
    time::{delay::fsleep, Delta, Instant, Monotonic},
};

/// How long `remove` waits for the backend to let go of the ring.
const CLOSE_WAIT: Delta = Delta::from_secs(2);

/// How long `remove` lets a connected backend take what writers queued, at most.
const FLUSH_WAIT: Delta = Delta::from_secs(1);

/// How long `remove` waits for a backend that takes nothing more.
const FLUSH_STALL: Delta = Delta::from_millis(200);

/// The registered xenbus driver; unregisters on drop.
pub(crate) struct Registration;

impl Registration {
    /// Registers the frontend; xenbus probes existing consoles before this returns.
    ///
    /// # Errors
    ///
    /// xenbus_register_frontend's error.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Registers the static driver in helpers.c, once per module instance.
        kernel::error::to_result(unsafe { ffi::xen_channel_register_driver() })?;
        Ok(Self)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`; unregistering removes every bound device first.
        unsafe { ffi::xen_channel_unregister_driver() };
    }
}

/// What a bound device owns. Fields drop in order: the node goes before the
/// channel reference.
struct Binding {
    node: Node,
    channel: Arc<Channel>,
}

/// The channel of a bound device.
///
/// # Safety
///
/// `dev` must be bound to this driver (between probe and remove).
unsafe fn bound(dev: &XenbusDevice) -> Option<&Binding> {
    // SAFETY: The driver data is unset or the `KBox<Binding>` probe stored, taken
    // back only in remove (per the caller, not running).
    unsafe { dev.borrow_drvdata::<KBox<Binding>>() }
}

fn probe(dev: &XenbusDevice) -> Result {
    // Only named consoles are channels; the rest stay with whoever else wants them.
    let Some(name) = dev.read_node(c"name")? else {
        return Err(ENODEV);
    };
    let Some(devid) = dev.devid() else {
        pr_warn!(
            "{}: channel not exposed: not a canonical console number\n",
            dev.nodename()
        );
        return Err(ENODEV);
    };
    if let Err(e) = name::validate(&name) {
        pr_warn!("console {devid}: channel not exposed: {}\n", e.reason());
        return Err(ENODEV);
    }
    let mut bytes = KVec::with_capacity(name.len() + 1, GFP_KERNEL)?;
    bytes.extend_from_slice(&name, GFP_KERNEL)?;
    bytes.push(0, GFP_KERNEL)?;
    let name = CString::try_from(CStr::from_bytes_with_nul(&bytes).map_err(|_| EINVAL)?)?;
    let claim = match claims::claim(devid, &name) {
        Ok(claim) => claim,
        Err(ClaimError::NoMemory) => return Err(ENOMEM),
        Err(ClaimError::Taken { by: holder }) => {
            pr_warn!(
                "console {devid}: channel not exposed: name {} already used by console {holder}\n",
                name.to_str().unwrap_or("?")
            );
            return Err(ENODEV);
        }
    };
    // A driver bound before us (or our own earlier instance) may have left the
    // device Closed: the state machine starts from there to reset the backend.
    let channel = Channel::new(&name, devid, dev.state(), channel::queue_size())?;
    // SAFETY: The node goes into the binding with the channel, and is dropped
    // first (field order), in remove.
    let node = match unsafe { Node::register(&channel, dev) } {
        Ok(node) => node,
        Err(e) => {
            pr_err!("console {devid}: cannot register the device node: {e:?}\n");
            return Err(e);
        }
    };
    // Everything that can fail comes before the registry learns of the channel.
    let binding = KBox::new(
        Binding {
            node,
            channel: channel.clone(),
        },
        GFP_KERNEL,
    )?;
    client::channel_added(&channel)?;
    claim.keep();
    dev.set_drvdata(binding);
    Ok(())
}

/// Carries out what the state machine decided for a backend state change.
fn follow_backend(channel: &Arc<Channel>, dev: &XenbusDevice, backend: XenbusState) -> Result {
    channel.note_backend_state(backend);
    if channel.state() == ChannelState::Broken {
        return Ok(());
    }
    match on_backend_change(channel.frontend_state(), backend, channel.has_link()) {
        Action::Nothing => Ok(()),
        Action::Publish => channel.publish(dev),
        Action::Republish => {
            // The backend started over: not a hang-up; the link is being set up again.
            channel.link_event(LinkEvent::Paused);
            channel.publish(dev)
        }
        Action::Connect => channel.backend_up(dev),
        Action::Close => {
            channel.link_event(LinkEvent::Closed);
            channel.switch_state(dev, XenbusState::Closed)
        }
        Action::Reset => {
            // Closed without Closing first is a hang-up too (not for a channel
            // that never connected).
            channel.link_event(LinkEvent::Closed);
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

/// Gives a connected backend a moment to take what writers queued before the
/// device goes: until nothing is left, the backend stops taking bytes for
/// 200 ms, or 1 s has passed.
fn flush(channel: &Channel) {
    let start = Instant::<Monotonic>::now();
    let mut moved = start;
    let mut left = channel.queued().1;
    while left != 0 && start.elapsed() < FLUSH_WAIT && moved.elapsed() < FLUSH_STALL {
        fsleep(Delta::from_millis(10));
        let now = channel.queued().1;
        if now < left {
            moved = Instant::now();
        }
        left = now;
    }
}

/// Asks the backend to close and waits, bounded, until it has, so that it stops
/// mapping the ring before the grant is ended.
fn close_backend(channel: &Channel, dev: &XenbusDevice) {
    if !channel.has_link() {
        return;
    }
    if channel.frontend_state() != XenbusState::Closed {
        // A failed write is seen below: the backend does not close, and the
        // wait's own log line says so.
        let _ = channel.switch_state(dev, XenbusState::Closing);
    }
    if !xen::wait_for_state(CLOSE_WAIT, || dev.backend_state(), backend_closing) {
        pr_warn!(
            "channel {}: backend did not close; ending the grant anyway\n",
            channel.display_name()
        );
    }
}

/// xenbus `probe`, through helpers.c.
///
/// # Safety
///
/// Called by xenbus with a live device being bound to this driver.
#[no_mangle]
unsafe extern "C" fn xen_channel_probe(raw: *mut RawXenbusDevice) -> c_int {
    // SAFETY: xenbus passes a live device, alive until remove.
    let dev = unsafe { XenbusDevice::from_raw(raw) };
    match probe(dev) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// xenbus `remove`, through helpers.c: the node goes first (no new opens), open
/// files and the kernel client see the channel gone, a connected backend gets a
/// moment to take what writers queued, the backend is closed (bounded), and the
/// link ends before its grant.
///
/// # Safety
///
/// Called by xenbus with a live device bound to this driver, once.
#[no_mangle]
unsafe extern "C" fn xen_channel_remove(raw: *mut RawXenbusDevice) {
    // SAFETY: xenbus passes the live device being unbound.
    let dev = unsafe { XenbusDevice::from_raw(raw) };
    // SAFETY: The data is the binding probe stored; nothing borrows it in remove.
    let Some(binding) = (unsafe { dev.take_drvdata::<KBox<Binding>>() }) else {
        return;
    };
    let Binding { node, channel } = KBox::into_inner(binding);
    drop(node);
    let connected = channel.state() == ChannelState::Connected;
    channel.link_event(LinkEvent::Removed);
    client::channel_removed(&channel);
    if connected {
        flush(&channel);
    }
    close_backend(&channel, dev);
    channel.release_link();
    channel.unpublish(dev);
    claims::release(channel.devid(), channel.name());
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
    let Some(binding) = (unsafe { bound(dev) }) else {
        return;
    };
    let channel = &binding.channel;
    if let Err(e) = follow_backend(channel, dev, XenbusState::from_raw(state)) {
        pr_err!(
            "channel {}: cannot follow backend state {state}: {e:?}\n",
            channel.display_name()
        );
    }
}

/// xenbus `suspend`, through helpers.c: the domain is about to be saved; a kernel
/// client hears that its channel stops for a while.
///
/// # Safety
///
/// Called by xenbus with a live device bound to this driver.
#[no_mangle]
unsafe extern "C" fn xen_channel_suspend(raw: *mut RawXenbusDevice) -> c_int {
    // SAFETY: xenbus passes a live device bound to this driver.
    let dev = unsafe { XenbusDevice::from_raw(raw) };
    // SAFETY: Called only between probe and remove.
    if let Some(binding) = unsafe { bound(dev) } {
        binding.channel.suspending();
    }
    0
}

/// xenbus `resume`, through helpers.c: after a restore or migration the old
/// backend is gone and xenbus has reset the frontend to Initialising. The bytes
/// still in the old ring are saved and the old ring is ended; the new ring is
/// published from `otherend_changed` once the new backend is in InitWait (xenbus
/// watches the backend again right after this returns), as after probe: writing
/// xenstore from here would race xenbus's check for a state reset.
///
/// # Safety
///
/// Called by xenbus with a live device bound to this driver.
#[no_mangle]
unsafe extern "C" fn xen_channel_resume(raw: *mut RawXenbusDevice) -> c_int {
    // SAFETY: xenbus passes a live device bound to this driver.
    let dev = unsafe { XenbusDevice::from_raw(raw) };
    // SAFETY: Called only between probe and remove.
    let Some(binding) = (unsafe { bound(dev) }) else {
        return 0;
    };
    let channel = &binding.channel;
    // Not a hang-up: readers and writers wait for the new backend.
    channel.link_event(LinkEvent::Paused);
    channel.note_backend_state(XenbusState::Unknown);
    channel.release_link();
    // xenbus has reset the device to Initialising, as the restored xenstore says.
    channel.assume_state(XenbusState::Initialising);
    0
}
