// SPDX-License-Identifier: GPL-2.0

//! Takeover of named consoles from hvc_xen.
//!
//! Distribution kernels build hvc_xen in (`CONFIG_HVC_XEN_FRONTEND=y`), so it binds
//! every secondary console at boot, channels included, as `/dev/hvcN` ttys. After
//! load (queued, so that loading waits for no takeover's backend; only the close
//! of consoles hvc_xen lost at boot, at most 10 s, see [`close_lost_consoles`]),
//! and whenever hvc_xen binds a console later, each console it holds that carries
//! a valid, unused name moves to this driver:
//!
//! 1. the ring's grant reference is read from the frontend directory, where hvc_xen
//!    published it, and checked: not reserved, and in the grant frames the guest
//!    has set up (a PV guest maps no others);
//! 2. the frontend goes Closing; QEMU unmaps the ring and closes, and hvc_xen
//!    follows to Closed, removing its tty (if hvc_xen, answering a backend that
//!    connected meanwhile, writes Connected over the Closing, it is written again;
//!    both write it in xenbus's watch thread, one after the other);
//! 3. once the backend is Closed and the grant reference still reads the same, the
//!    grant is ended here (hvc_xen never ends it), so the backend cannot map the
//!    page again;
//! 4. in xenbus's watch thread (where unbinding does not wait for that thread,
//!    which may itself be removing the device), hvc_xen is unbound and frees its
//!    page, and this driver is bound; it resets the backend through Initialising
//!    to InitWait and connects a ring of its own.
//!
//! If the backend does not close in time, still maps the page, or the grant
//! reference is bad or changed, the console stays with hvc_xen (closed), and its
//! page is never freed; one log line says why.
//!
//! Nothing is handed back at unload: the consoles stay unbound and Closed, and the
//! next load binds them directly. A console handed back to hvc_xen could not be
//! taken over again: QEMU 7.2 keeps the second ring mapped after its backend
//! reports Closed, so the takeover would have to abandon it.

use crate::claims;
use crate::ffi;
use crate::pure::handover::{self, CloseStep, Verdict};
use crate::pure::number::{parse_decimal, parse_grant_ref};
use crate::pure::xenbus::{backend_closing, backend_released, XenbusState};
use crate::xen::{self, grant, store, xenbus::XenbusDevice};
use core::cell::Cell;
use core::ffi::c_void;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_int, c_ulong},
    prelude::*,
    str::{CStr, CString},
    sync::global_lock,
    time::{delay::fsleep, Delta},
    workqueue::Queue,
};

/// How long each wait for the backend lasts at most. QEMU answers in
/// milliseconds, but at boot under TCG it took longer than 10 s (a Debian guest
/// in the lab), and a backend that never closes only delays the takeover queue,
/// not module init or other drivers.
const BACKEND_WAIT: Delta = Delta::from_secs(30);

/// How long module init waits for the backends of consoles hvc_xen lost to close
/// (see [`close_lost_consoles`]); only a boot where hvc_xen lost one waits at all.
const LOST_CLOSE_WAIT: Delta = Delta::from_secs(10);

/// Attempts to end hvc_xen's grant, with doubling waits from 100 ms (12.7 s in all).
const GRANT_END_TRIES: u32 = 7;

/// The name hvc_xen registers its xenbus driver under (`drivers/tty/hvc/hvc_xen.c`).
const HVC_XEN: &CStr = c"xenconsole";

global_lock! {
    // SAFETY: Initialised by `BusWatch::new` before the bus is watched, which is
    // before any other use.
    /// One takeover at a time: the initial scan and those the notifier queues.
    /// Lock order: `SERIAL` before `claims::CLAIMS`. Its holder waits for
    /// xenwatch, which takes device locks to unbind and bind, so nothing that
    /// runs in xenwatch or under a device lock (the bus notifier) takes it: the
    /// notifier only queues.
    unsafe(uninit) static SERIAL: Mutex<()> = ();
}

/// The queue the bus notifier hands bound devices to; null when not watching.
static QUEUE: AtomicPtr<bindings::workqueue_struct> = AtomicPtr::new(core::ptr::null_mut());

/// Set while the module unloads: queued takeovers give up at once.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Why a console stays with hvc_xen.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    NoGrantRef,
    BadGrantRef,
    GrantRefChanged,
    CannotClose,
    BackendStayed,
    StillMapped,
    Stopping,
    Unbound,
    XenwatchStalled,
    NoMemory,
    NameUnreadable,
    NoBackend,
}

impl Refusal {
    fn reason(self) -> &'static str {
        match self {
            Self::NoGrantRef => "no ring-ref in its xenstore directory",
            Self::BadGrantRef => "its ring-ref is not a grant reference of this domain",
            Self::GrantRefChanged => "its ring-ref changed while the backend closed",
            Self::CannotClose => "cannot write the frontend state",
            Self::BackendStayed => "the backend did not close within 30 s",
            Self::StillMapped => "the backend still maps the ring after 12 s",
            Self::Stopping => "the module is unloading",
            Self::Unbound => "hvc_xen no longer holds it",
            Self::XenwatchStalled => "xenbus's watch thread did not run the move in time",
            Self::NoMemory => "out of memory",
            Self::NameUnreadable => "cannot read its name",
            Self::NoBackend => "no readable backend node",
        }
    }
}

/// A counted reference to a device on the xen frontend bus.
///
/// # Invariants
///
/// Holds one reference (`get_device`) on a `struct device` embedded in a
/// `struct xenbus_device`, dropped with the value.
struct DeviceRef(NonNull<bindings::device>);

// SAFETY: Device references may be taken and dropped on any thread.
unsafe impl Send for DeviceRef {}

impl DeviceRef {
    /// Takes a reference on `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must point to a live device on the xen frontend bus.
    unsafe fn get(dev: NonNull<bindings::device>) -> Self {
        // SAFETY: The caller guarantees `dev` is live.
        unsafe { bindings::get_device(dev.as_ptr()) };
        // INVARIANT: The reference was taken above; the caller vouches for the bus.
        Self(dev)
    }

    fn as_ptr(&self) -> *mut c_void {
        self.0.as_ptr().cast()
    }

    /// The xenbus device, alive as long as `self`.
    fn xenbus(&self) -> &XenbusDevice {
        // SAFETY: By the type invariant the device is a live xenbus device, kept
        // alive by our reference for the borrow's lifetime.
        unsafe { XenbusDevice::from_raw(ffi::xen_channel_to_xenbus_device(self.as_ptr())) }
    }

    /// Whether the driver called `name` is bound to the device now.
    fn driven_by(&self, name: &CStr) -> bool {
        // SAFETY: The device is live by the type invariant; `name` is NUL-terminated.
        unsafe { ffi::xen_channel_dev_driven_by(self.as_ptr(), name.as_char_ptr()) }
    }
}

impl Drop for DeviceRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold one reference.
        unsafe { bindings::put_device(self.0.as_ptr()) };
    }
}

/// Whether the `takeover` module parameter is on.
pub(crate) fn enabled() -> bool {
    // SAFETY: Reads a module parameter that is only written at load time.
    unsafe { ffi::xen_channel_param_takeover() }
}

fn stopping() -> bool {
    STOPPING.load(Ordering::Acquire)
}

/// Reads the ring's grant reference from the frontend directory, checked.
fn ring_ref(xdev: &XenbusDevice) -> core::result::Result<u32, Refusal> {
    let value = xdev
        .read_node(c"ring-ref")
        .ok()
        .flatten()
        .ok_or(Refusal::NoGrantRef)?;
    parse_grant_ref(&value, grant::ref_limit()).ok_or(Refusal::BadGrantRef)
}

/// Waits, up to [`BACKEND_WAIT`], until `done` accepts what `read` returns (the
/// backend's state, or a step decided from it); an unload cuts the wait short.
///
/// # Errors
///
/// [`Refusal::Stopping`] on unload, [`Refusal::BackendStayed`] if time ran out.
fn wait_for_backend<S: Copy>(
    read: impl Fn() -> S,
    done: fn(S) -> bool,
) -> core::result::Result<(), Refusal> {
    let reached = xen::wait_for_state(
        BACKEND_WAIT,
        || (stopping(), read()),
        |(stop, state)| stop || done(state),
    );
    match (reached, stopping()) {
        (_, true) => Err(Refusal::Stopping),
        (false, false) => Err(Refusal::BackendStayed),
        (true, false) => Ok(()),
    }
}

/// Closes the console under hvc_xen and ends its grant.
///
/// The frontend state is written in xenwatch (see [`in_xenwatch`]), where hvc_xen
/// writes it too: `xenbus_switch_state` skips a write when its cached state already
/// matches, so two threads writing at once could leave the node and the cache apart.
fn close_under_hvc_xen(dev: &DeviceRef, devid: u32) -> core::result::Result<(), Refusal> {
    let xdev = dev.xenbus();
    let close = || {
        in_xenwatch(dev, |dev| dev.xenbus().switch_state(XenbusState::Closing))?
            .map_err(|_| Refusal::CannotClose)
    };
    let gref = ring_ref(xdev)?;
    close()?;
    let repeated = Cell::new(false);
    let failed = Cell::new(None);
    wait_for_backend(
        || {
            let frontend = store::state_at(xdev.nodename());
            let step = handover::close_step(frontend, xdev.backend_state_of_any_driver());
            if step == CloseStep::CloseAgain {
                if !repeated.replace(true) {
                    let state = frontend.name();
                    pr_info!("console {devid}: closing again, the frontend went back to {state}\n");
                }
                if let Err(why) = close() {
                    failed.set(Some(why));
                }
            }
            (step, failed.get().is_some())
        },
        |(step, failed)| failed || step == CloseStep::Released,
    )?;
    if let Some(why) = failed.get() {
        return Err(why);
    }
    // The value hvc_xen published is the one it granted; a different one now is
    // someone else's doing, and may name another driver's grant.
    if ring_ref(xdev)? != gref {
        return Err(Refusal::GrantRefChanged);
    }
    // The backend may report Closed before its unmap is done, so retry with
    // backoff, 100 ms to 6.4 s apart. A grant that stays mapped for all of it is
    // most likely one hvc_xen reused while another console's backend still maps it
    // (see `rescue_lost_consoles`). Each failed try logs a "g.e. ... still in use"
    // warning from the grant table.
    for tries in 0..GRANT_END_TRIES {
        fsleep(Delta::from_millis(100 << tries));
        if stopping() {
            return Err(Refusal::Stopping);
        }
        // SAFETY: `gref` is below the grant frames set up (checked by `ring_ref`;
        // they only grow, and this queue is frozen across save and restore) and
        // is the ring grant hvc_xen published for this console, which it never uses
        // again after its backend closed: it only returns the reference to the free
        // list in `remove`.
        if unsafe { grant::end_foreign_grant(gref) } {
            return Ok(());
        }
    }
    Err(Refusal::StillMapped)
}

/// Runs `f` in xenbus's watch thread (xenwatch), if hvc_xen still holds `dev` then.
///
/// hvc_xen's handlers for the device run there too, so its state writes and ours
/// come one after the other; and there, unbinding a driver does not wait for
/// xenwatch, which may itself be removing the device.
///
/// # Errors
///
/// [`Refusal::Unbound`] if hvc_xen no longer holds the device,
/// [`Refusal::XenwatchStalled`] if xenwatch did not start `f` within 10 s.
fn in_xenwatch<F, T>(dev: &DeviceRef, f: F) -> core::result::Result<T, Refusal>
where
    F: FnOnce(&DeviceRef) -> T,
{
    struct Call<'a, F, T> {
        dev: &'a DeviceRef,
        f: Option<F>,
        result: Option<T>,
    }
    /// Runs in xenwatch.
    ///
    /// # Safety
    ///
    /// `ctx` must point to a live `Call<'_, F, T>`, used by nothing else meanwhile.
    unsafe extern "C" fn run<F: FnOnce(&DeviceRef) -> T, T>(ctx: *mut c_void) {
        // SAFETY: `run_in_xenwatch` passes the `Call` below, alive until it returns,
        // and the caller does not touch it until then.
        let call = unsafe { &mut *ctx.cast::<Call<'_, F, T>>() };
        if !call.dev.driven_by(HVC_XEN) {
            return;
        }
        if let Some(f) = call.f.take() {
            call.result = Some(f(call.dev));
        }
    }
    let mut call = Call {
        dev,
        f: Some(f),
        result: None,
    };
    // SAFETY: `call` outlives the call, which returns only once `run` has finished
    // or can no longer start; the node name is the device's, which `dev` keeps alive.
    let ret = unsafe {
        ffi::xen_channel_run_in_xenwatch(
            dev.xenbus().nodename().as_char_ptr(),
            run::<F, T>,
            (&raw mut call).cast(),
            10 * bindings::HZ as c_ulong,
        )
    };
    match (ret, call.result) {
        (_, Some(result)) => Ok(result),
        // `run` ran and found the console no longer hvc_xen's.
        (0, None) => Err(Refusal::Unbound),
        // `run` never ran: xenwatch is stuck, or the watch could not be registered.
        _ => Err(Refusal::XenwatchStalled),
    }
}

/// Unbinds hvc_xen and binds this driver; the driver core's result.
fn move_driver(dev: &DeviceRef) -> core::result::Result<c_int, Refusal> {
    in_xenwatch(dev, |dev| {
        // SAFETY: The device is live; its grant is ended, so hvc_xen's remove may
        // free the page. In xenwatch, unbinding does not wait for xenwatch.
        unsafe { ffi::xen_channel_release_driver(dev.as_ptr()) };
        // SAFETY: The device is live; the driver is registered.
        unsafe { ffi::xen_channel_attach_driver(dev.as_ptr()) }
    })
}

/// Moves `dev` from hvc_xen to this driver, if it is a channel.
fn take_over(dev: DeviceRef) {
    let _serial = SERIAL.lock();
    if stopping() || !dev.driven_by(HVC_XEN) {
        return;
    }
    let xdev = dev.xenbus();
    let Some(devid) = xdev.devid() else {
        return;
    };
    let name = match xdev.read_node(c"name") {
        Ok(name) => name,
        Err(e) => {
            pr_warn!("console {devid}: stays with hvc_xen: cannot read its name: {e:?}\n");
            return;
        }
    };
    match handover::decide(name.as_deref(), claims::holder) {
        Verdict::TakeOver => {}
        Verdict::Unnamed => return,
        Verdict::BadName(e) => {
            pr_warn!("console {devid}: stays with hvc_xen: {}\n", e.reason());
            return;
        }
        Verdict::Duplicate(holder) => {
            pr_warn!(
                "console {devid}: stays with hvc_xen: name already used by console {holder}\n"
            );
            return;
        }
    }
    let shown = name
        .as_deref()
        .and_then(|n| core::str::from_utf8(n).ok())
        .unwrap_or("?");
    pr_info!("console {devid}: taking channel {shown} over from hvc_xen\n");
    let moved = close_under_hvc_xen(&dev, devid).and_then(|()| move_driver(&dev));
    match moved {
        Ok(0) => {}
        Ok(err) => {
            pr_err!("console {devid}: released by hvc_xen but not bound here: error {err}\n")
        }
        Err(why) => pr_err!(
            "console {devid}: takeover abandoned, hvc_xen keeps the closed console: {}\n",
            why.reason()
        ),
    }
}

/// Bus notifier, through helpers.c: a driver was bound to `dev`; if it is hvc_xen,
/// the takeover runs in the queue (the device lock is held here).
///
/// # Safety
///
/// Called by the driver core with a live device on the xen frontend bus.
#[no_mangle]
unsafe extern "C" fn xen_channel_bus_event(action: c_ulong, dev: *mut c_void) {
    let bound = u32::try_from(action) == Ok(bindings::bus_notifier_event_BUS_NOTIFY_BOUND_DRIVER);
    let queue = QUEUE.load(Ordering::Acquire);
    if !bound || queue.is_null() || stopping() {
        return;
    }
    let Some(dev) = NonNull::new(dev.cast()) else {
        return;
    };
    // SAFETY: The driver core passes a live device on the bus we watch.
    let dev = unsafe { DeviceRef::get(dev) };
    // SAFETY: `QUEUE` is non-null only while `BusWatch` owns the queue, and its drop
    // unregisters this notifier (waiting for running calls) before it clears `QUEUE`.
    let queue = unsafe { Queue::from_raw(queue) };
    if queue.try_spawn(GFP_KERNEL, move || take_over(dev)).is_err() {
        pr_err!("cannot queue a console takeover: out of memory\n");
    }
}

/// Collects the devices bound to hvc_xen into a `KVec<DeviceRef>`.
///
/// # Safety
///
/// `found` must be the `KVec<DeviceRef>` passed to `bus_for_each_dev`.
unsafe extern "C" fn collect_hvc_xen(dev: *mut bindings::device, found: *mut c_void) -> c_int {
    let Some(dev) = NonNull::new(dev) else {
        return 0;
    };
    // SAFETY: `bus_for_each_dev` holds the device for the duration of the call.
    let dev = unsafe { DeviceRef::get(dev) };
    if dev.driven_by(HVC_XEN) {
        // SAFETY: The caller passes the vector, used by nothing else meanwhile.
        let found = unsafe { &mut *found.cast::<KVec<DeviceRef>>() };
        if found.push(dev, GFP_KERNEL).is_err() {
            return ENOMEM.to_errno();
        }
    }
    0
}

/// The consoles bound to hvc_xen now.
fn hvc_xen_consoles() -> Result<KVec<DeviceRef>> {
    let mut found = KVec::<DeviceRef>::new();
    // SAFETY: The driver is registered, so it and its bus are live.
    let bus = unsafe { (*ffi::xen_channel_driver_core().cast::<bindings::device_driver>()).bus };
    // SAFETY: `bus` is live; `collect_hvc_xen` gets `found`, as it requires.
    to_result(unsafe {
        bindings::bus_for_each_dev(
            bus,
            core::ptr::null_mut(),
            (&raw mut found).cast(),
            Some(collect_hvc_xen),
        )
    })?;
    Ok(found)
}

/// The first scan, queued by `BusWatch::new`: rescue, then take over.
fn initial_scan(lost: KVec<LostConsole>) {
    // Rescue first: a console hvc_xen lost may still have its freed ring's grant
    // mapped by QEMU, and hvc_xen may have reused that grant reference for another
    // console's ring, whose takeover could then never end it.
    rescue_lost_consoles(lost);
    match hvc_xen_consoles() {
        Ok(consoles) => {
            for dev in consoles {
                take_over(dev);
            }
        }
        Err(e) => pr_err!("cannot list the consoles hvc_xen holds: {e:?}\n"),
    }
}

/// The bus watch: takes consoles over from hvc_xen after load and whenever hvc_xen
/// binds one later. Dropping it stops the watch; queued takeovers give up.
///
/// # Invariants
///
/// `queue` is the takeover workqueue, published in `QUEUE` while the notifier is
/// registered.
pub(crate) struct BusWatch {
    queue: NonNull<bindings::workqueue_struct>,
}

// SAFETY: The workqueue may be used and destroyed from any thread.
unsafe impl Send for BusWatch {}
// SAFETY: `BusWatch` has no methods that use `queue` through `&self`.
unsafe impl Sync for BusWatch {}

impl BusWatch {
    /// Watches the bus and queues the takeover of the channels hvc_xen holds now;
    /// `None` when the `takeover` parameter is off or hvc_xen is not built in.
    ///
    /// # Errors
    ///
    /// ENOMEM, or the notifier's registration error.
    pub(crate) fn new() -> Result<Option<Self>> {
        if !enabled() {
            pr_info!("takeover from hvc_xen is off (takeover=0)\n");
            return Ok(None);
        }
        // SAFETY: Reads whether a driver is registered; no preconditions.
        if !unsafe { ffi::xen_channel_hvc_xen_present() } {
            return Ok(None);
        }
        STOPPING.store(false, Ordering::Release);
        // SAFETY: Called once per module instance, before the notifier or a scan can
        // take the lock.
        unsafe { SERIAL.init() };
        // SAFETY: Allocates a workqueue; no preconditions.
        let queue = NonNull::new(unsafe { ffi::xen_channel_alloc_takeover_wq() }).ok_or(ENOMEM)?;
        // INVARIANT: Published before the notifier can run.
        QUEUE.store(queue.as_ptr(), Ordering::Release);
        let watch = Self { queue };
        // SAFETY: The driver is registered (the module initialiser registers it
        // first), so its bus is set.
        to_result(unsafe { ffi::xen_channel_watch_bus() })?;
        let lost = close_lost_consoles();
        // SAFETY: The queue is ours (type invariant) until `drop`.
        let q = unsafe { Queue::from_raw(queue.as_ptr()) };
        q.try_spawn(GFP_KERNEL, move || initial_scan(lost))?;
        Ok(Some(watch))
    }
}

/// A console hvc_xen lost at boot: a channel with no device on the bus, whose
/// frontend state is past Initialising, so xenbus will not probe it again.
struct LostConsole {
    devid: u32,
    /// `device/console/<devid>`.
    dir: CString,
    /// The backend's directory, as the frontend's `backend` node names it.
    backend: CString,
}

/// The consoles hvc_xen lost at boot (see [`rescue`]); a console whose nodes
/// cannot be read is logged and left out.
fn lost_consoles() -> KVec<LostConsole> {
    let mut lost = KVec::new();
    let Ok(entries) = store::directory(c"device/console") else {
        return lost;
    };
    for devid in entries.iter().filter_map(|e| parse_decimal(e)) {
        match lost_console(devid) {
            Ok(None) => {}
            Ok(Some(console)) => {
                if lost.push(console, GFP_KERNEL).is_err() {
                    not_rescued(devid, Refusal::NoMemory);
                }
            }
            Err(why) => not_rescued(devid, why),
        }
    }
    lost
}

/// The one log line of a lost console that stays lost.
fn not_rescued(devid: u32, why: Refusal) {
    pr_err!(
        "console {devid}: lost by hvc_xen and not rescued: {}\n",
        why.reason()
    );
}

/// Whether console `devid` is a channel hvc_xen lost.
///
/// # Errors
///
/// Why it cannot be told or rescued: the [`Refusal`] says it in the log line.
fn lost_console(devid: u32) -> core::result::Result<Option<LostConsole>, Refusal> {
    if devid == 0 {
        return Ok(None);
    }
    let bus_name = CString::try_from_fmt(fmt!("console-{devid}")).map_err(|_| Refusal::NoMemory)?;
    // SAFETY: The driver is registered, so its bus is set; the name is NUL-terminated.
    if unsafe { ffi::xen_channel_bus_has(bus_name.as_char_ptr()) } {
        return Ok(None);
    }
    let dir =
        CString::try_from_fmt(fmt!("device/console/{devid}")).map_err(|_| Refusal::NoMemory)?;
    let name = store::read(&dir, c"name").map_err(|_| Refusal::NameUnreadable)?;
    if handover::decide(name.as_deref(), claims::holder) != Verdict::TakeOver
        || store::state_at(&dir) == XenbusState::Initialising
    {
        // Not a channel we expose, or xenbus probes it anyway.
        return Ok(None);
    }
    let backend = store::read_path(&dir, c"backend")
        .ok()
        .flatten()
        .ok_or(Refusal::NoBackend)?;
    Ok(Some(LostConsole {
        devid,
        dir,
        backend,
    }))
}

/// Starts the rescue of the consoles hvc_xen lost, before module init returns:
/// each frontend goes Closing (those that cannot are logged and left out), and
/// init waits (at most [`LOST_CLOSE_WAIT`]) until their backends have closed,
/// which QEMU does after unmapping the ring hvc_xen freed. hvc_xen put that
/// ring's grant reference back without ending it, and Xen keeps a grant's frame
/// while it is mapped: a driver loaded after this one (blkfront, from the same
/// initramfs, see `modprobe.d/xen-channel.conf`) that is handed the reference
/// would otherwise have its backend map the freed page instead of its ring. The
/// rest of the rescue is left to [`rescue`], queued.
fn close_lost_consoles() -> KVec<LostConsole> {
    let mut lost = lost_consoles();
    lost.retain(|console| {
        pr_warn!(
            "console {}: lost by hvc_xen at boot (xenbus state reset); resetting it\n",
            console.devid
        );
        let closing = store::write_state(&console.dir, XenbusState::Closing).is_ok();
        if !closing {
            not_rescued(console.devid, Refusal::CannotClose);
        }
        closing
    });
    let all_closed = || {
        lost.iter()
            .all(|console| backend_closing(store::state_at(&console.backend)))
    };
    if !lost.is_empty() && !xen::wait_for_state(LOST_CLOSE_WAIT, all_closed, |closed| closed) {
        pr_warn!("consoles lost by hvc_xen: a backend did not close within 10 s; loading on\n");
    }
    lost
}

/// Puts back on the bus the channels hvc_xen lost at boot, which
/// [`close_lost_consoles`] found and began to close.
///
/// hvc_xen writes xenstore from its probe, which races xenbus's own watch: xenbus
/// may see a "state reset", unregister the console and not probe it again, its
/// state being no longer Initialising (how often: Documentation/xen-channel.rst,
/// Takeover). The console is then on no bus, and QEMU may still map the ring hvc_xen freed.
/// Closing the backend makes QEMU unmap it; the frontend back in Initialising makes
/// xenbus probe the console again, hvc_xen binds it, and the takeover follows.
fn rescue_lost_consoles(lost: KVec<LostConsole>) {
    let _serial = SERIAL.lock();
    for console in &lost {
        if stopping() {
            return;
        }
        if let Err(why) = rescue(console) {
            not_rescued(console.devid, why);
        }
    }
}

/// Resets a lost console that [`close_lost_consoles`] set Closing: Closed once the
/// backend closes, and back to Initialising once it has released the ring.
///
/// # Errors
///
/// Why it could not: the [`Refusal`] says it in the log line.
fn rescue(console: &LostConsole) -> core::result::Result<(), Refusal> {
    let dir = &console.dir;
    let backend_state = || store::state_at(&console.backend);
    wait_for_backend(backend_state, backend_closing)?;
    store::write_state(dir, XenbusState::Closed).map_err(|_| Refusal::CannotClose)?;
    wait_for_backend(backend_state, backend_released)?;
    store::remove(dir, c"ring-ref");
    store::remove(dir, c"port");
    store::write_state(dir, XenbusState::Initialising).map_err(|_| Refusal::CannotClose)
}

impl Drop for BusWatch {
    fn drop(&mut self) {
        STOPPING.store(true, Ordering::Release);
        // SAFETY: Unregistering waits for running notifier calls; it is harmless if
        // `new` failed to register.
        unsafe { ffi::xen_channel_unwatch_bus() };
        QUEUE.store(core::ptr::null_mut(), Ordering::Release);
        // SAFETY: By the type invariant `queue` is ours; destroying it runs the
        // takeovers still queued first, which give up at once (`STOPPING`).
        unsafe { bindings::destroy_workqueue(self.queue.as_ptr()) };
    }
}
