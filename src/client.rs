// SPDX-License-Identifier: GPL-2.0

//! Kernel clients of channels: the in-kernel API of `include/xen-channel.h`.
//!
//! A client registers for a channel *name*. The registry attaches it to the bound
//! channel of that name when no file has it open (and when such a file is
//! released), and detaches it when the channel goes away. The channel tells its
//! client what changed (bytes, room, state) through [`Listener`], from any
//! context; the client's work item, on the system workqueue, turns that into the
//! client's callbacks, one at a time, in process context.
//!
//! The C entry points are exported from `helpers.c` (`EXPORT_SYMBOL_GPL`).
//!
//! Locks, outermost first: `REGISTRY`; a client's `told`, taken only by its work
//! item and held across the client's callbacks; then a client's `slot` or a
//! channel's data lock, IRQ-safe spinlocks held for a few statements and never
//! nested. `REGISTRY` is never taken under `told`: callbacks must not unregister
//! their own client (the header says so), and unregistration flushes the work
//! item only after it has dropped `REGISTRY`.

use crate::channel::{Changes, Channel, Holder, Listener};
use crate::pure::lifecycle::ChannelState;
use crate::pure::name;
use crate::sync::IrqSpinLock;
use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{
    bindings,
    ffi::{c_char, c_int, c_long, c_uint},
    impl_has_work, new_mutex, new_work,
    prelude::*,
    str::{CStr, CString},
    sync::{global_lock, Arc, ArcBorrow, Mutex},
    workqueue::{self, Work, WorkItem},
};

/// `struct xen_channel_client_ops`; helpers.c checks the C layout against the
/// one these fields give.
#[repr(C)]
pub(crate) struct RawOps {
    attached: Option<unsafe extern "C" fn(*mut RawClient)>,
    detached: Option<unsafe extern "C" fn(*mut RawClient, c_uint)>,
    receive: Option<unsafe extern "C" fn(*mut RawClient, *const u8, usize) -> usize>,
    write_space: Option<unsafe extern "C" fn(*mut RawClient)>,
}

/// `struct xen_channel_client`; helpers.c checks the C layout against the one
/// these fields give.
#[repr(C)]
pub(crate) struct RawClient {
    name: *const c_char,
    ops: *const RawOps,
    /// `priv`, the caller's.
    private: *mut c_void,
    internal: *mut c_void,
}

const _: () = assert!(size_of::<RawOps>() == 4 * size_of::<usize>());
const _: () = assert!(size_of::<RawClient>() == 4 * size_of::<usize>());

/// `enum xen_channel_state` (helpers.c pins its values).
fn state_code(state: Option<ChannelState>) -> c_uint {
    match state {
        None | Some(ChannelState::Gone) => 0,
        Some(ChannelState::Unconnected) => 1,
        Some(ChannelState::Connected) => 2,
        Some(ChannelState::Reconnecting) => 3,
        Some(ChannelState::HungUp) => 4,
        Some(ChannelState::Broken) => 5,
    }
}

/// The most bytes offered to `receive` at once.
const OFFER_MAX: usize = 4096;

/// A registered client.
///
/// # Invariants
///
/// `raw` points to the caller's `struct xen_channel_client`, valid until
/// unregistration, which removes the client from the registry and from its
/// channel, sets `dead` and flushes the work item before it returns.
#[pin_data]
pub(crate) struct Client {
    raw: *mut RawClient,
    name: CString,
    #[pin]
    work: Work<Client>,
    /// The channel the client has; a spinlock, for writes in any context.
    #[pin]
    slot: IrqSpinLock<Slot>,
    /// What only the work item uses.
    #[pin]
    told: Mutex<Told>,
    /// [`Changes`] not yet handled by the work item.
    pending: AtomicU32,
    dead: AtomicBool,
}

// SAFETY: `raw` is only used to call the client's callbacks and read its name,
// which the API allows from any thread; the rest is synchronised.
unsafe impl Send for Client {}
// SAFETY: As above.
unsafe impl Sync for Client {}

/// The channel a client is attached to.
struct Slot {
    channel: Option<Arc<Channel>>,
    /// A write accepted less than asked: tell the client when room appears.
    want_space: bool,
}

/// What the client was last told, and the buffer bytes are offered from.
struct Told {
    connected: bool,
    offer: KVec<u8>,
}

impl_has_work! {
    impl HasWork<Client> for Client { self.work }
}

impl WorkItem for Client {
    type Pointer = Arc<Client>;

    fn run(this: Arc<Client>) {
        this.run();
    }
}

impl Listener for Client {
    fn changed(self: ArcBorrow<'_, Self>, changes: Changes) {
        self.pending.fetch_or(changes.bits(), Ordering::AcqRel);
        // Already queued: the pending changes are picked up when it runs.
        let _ = workqueue::system().enqueue(Arc::from(self));
    }
}

impl Client {
    /// The client's callbacks.
    fn ops(&self) -> &RawOps {
        // SAFETY: By the type invariant `raw` is valid; registration checked `ops`.
        unsafe { &*(*self.raw).ops }
    }

    fn tell_detached(&self, state: Option<ChannelState>) {
        if let Some(detached) = self.ops().detached {
            // SAFETY: By the type invariant `raw` is valid.
            unsafe { detached(self.raw, state_code(state)) };
        }
    }

    /// The work item: tells the client what changed, one callback at a time.
    fn run(&self) {
        if self.dead.load(Ordering::Acquire) {
            return;
        }
        let changes = Changes::from_bits(self.pending.swap(0, Ordering::AcqRel));
        let mut told = self.told.lock();
        let Some(channel) = self.channel() else {
            if core::mem::take(&mut told.connected) {
                self.tell_detached(None);
            }
            return;
        };
        let state = channel.state();
        if changes.suspend && core::mem::take(&mut told.connected) {
            self.tell_detached(Some(ChannelState::Reconnecting));
        } else if (state == ChannelState::Connected) != told.connected {
            told.connected = state == ChannelState::Connected;
            if told.connected {
                if let Some(attached) = self.ops().attached {
                    // SAFETY: By the type invariant `raw` is valid.
                    unsafe { attached(self.raw) };
                }
            } else {
                self.tell_detached(Some(state));
            }
        }
        if changes.space && core::mem::take(&mut self.slot.lock().want_space) {
            if let Some(write_space) = self.ops().write_space {
                // SAFETY: By the type invariant `raw` is valid.
                unsafe { write_space(self.raw) };
            }
        }
        let Some(receive) = self.ops().receive else {
            return;
        };
        // Offer what is queued until the client takes less than it is offered.
        loop {
            let n = channel.peek(&mut told.offer);
            if n == 0 {
                break;
            }
            // SAFETY: By the type invariant `raw` is valid; `offer` holds `n` bytes.
            let taken = unsafe { receive(self.raw, told.offer.as_ptr(), n) }.min(n);
            channel.take(taken);
            if taken < n {
                break;
            }
        }
    }

    fn channel(&self) -> Option<Arc<Channel>> {
        self.slot.lock().channel.clone()
    }
}

/// The registered clients and the bound channels.
struct Registry {
    clients: KVec<Arc<Client>>,
    channels: KVec<Arc<Channel>>,
}

impl Registry {
    fn client_for(&self, channel: &Channel) -> Option<&Arc<Client>> {
        self.clients
            .iter()
            .find(|c| c.name.to_bytes() == channel.name().to_bytes())
    }
}

global_lock! {
    // SAFETY: Initialised in `init`, called from the module initialiser before the
    // driver is registered, which is before any other use.
    unsafe(uninit) static REGISTRY: Mutex<Registry> = Registry {
        clients: KVec::new(),
        channels: KVec::new(),
    };
}

/// Initialises the registry.
///
/// # Safety
///
/// Must be called once, before any other function of this file.
pub(crate) unsafe fn init() {
    // SAFETY: Called once, first, per this function's contract.
    unsafe { REGISTRY.init() };
}

/// Attaches `client` to `channel` unless a file has it open.
fn attach(client: &Arc<Client>, channel: &Arc<Channel>) {
    if channel.acquire(Holder::Client).is_err() {
        return;
    }
    client.slot.lock().channel = Some(channel.clone());
    let listener: Arc<dyn Listener> = client.clone();
    channel.set_listener(Some(listener));
    client.as_arc_borrow().changed(Changes::ALL);
}

/// Detaches `client` from its channel, if any.
fn detach(client: &Arc<Client>) {
    // Taken out first: the last reference is not dropped under the spinlock.
    let channel = client.slot.lock().channel.take();
    if let Some(channel) = channel {
        channel.set_listener(None);
        channel.release(Holder::Client);
        client.as_arc_borrow().changed(Changes::ALL);
    }
}

/// A channel was bound: its client, if one is registered, gets it.
///
/// # Errors
///
/// ENOMEM.
pub(crate) fn channel_added(channel: &Arc<Channel>) -> Result {
    let mut reg = REGISTRY.lock();
    reg.channels.push(channel.clone(), GFP_KERNEL)?;
    if let Some(client) = reg.client_for(channel) {
        attach(client, channel);
    }
    Ok(())
}

/// A channel's device is being removed: its client loses it.
pub(crate) fn channel_removed(channel: &Arc<Channel>) {
    let mut reg = REGISTRY.lock();
    reg.channels.retain(|c| !Arc::ptr_eq(c, channel));
    if let Some(client) = reg.client_for(channel) {
        detach(client);
    }
}

/// A file released `channel`: a client waiting for it gets it.
pub(crate) fn file_released(channel: &Arc<Channel>) {
    let reg = REGISTRY.lock();
    if !reg.channels.iter().any(|c| Arc::ptr_eq(c, channel)) {
        return;
    }
    if let Some(client) = reg.client_for(channel) {
        attach(client, channel);
    }
}

/// The registered client behind `raw`.
///
/// # Safety
///
/// `raw` must be a client registered by `xen_channel_register` and not yet
/// unregistered.
unsafe fn client_of<'a>(raw: *mut RawClient) -> ArcBorrow<'a, Client> {
    // SAFETY: Registration stored `Arc::as_ptr` in `internal`; the registry keeps
    // that reference until unregistration.
    unsafe { ArcBorrow::from_raw((*raw).internal.cast()) }
}

/// `xen_channel_register`: see include/xen-channel.h.
///
/// # Safety
///
/// `raw` must be valid, as the header says, until `xen_channel_unregister`.
#[no_mangle]
unsafe extern "C" fn xen_channel_register(raw: *mut RawClient) -> c_int {
    // SAFETY: The caller passes a valid client.
    let (name, ops) = unsafe { ((*raw).name, (*raw).ops) };
    // SAFETY: `ops`, if not null, points to the caller's table.
    if name.is_null() || ops.is_null() || unsafe { (*ops).receive.is_none() } {
        return EINVAL.to_errno();
    }
    // SAFETY: The header asks for a NUL-terminated name.
    let name = unsafe { CStr::from_char_ptr(name) };
    if name::validate(name.to_bytes()).is_err() {
        return EINVAL.to_errno();
    }
    // SAFETY: `raw` is valid until unregistration, per this function's contract.
    match unsafe { register(raw, name) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Adds `raw` to the registry under `name` and attaches it to the channel of
/// that name if one is bound.
///
/// # Errors
///
/// EEXIST if a client has the name; ENOMEM.
///
/// # Safety
///
/// `raw` must be valid, and stay valid until `xen_channel_unregister(raw)`
/// returns.
unsafe fn register(raw: *mut RawClient, name: &CStr) -> Result {
    let mut reg = REGISTRY.lock();
    if reg
        .clients
        .iter()
        .any(|c| c.name.to_bytes() == name.to_bytes())
    {
        return Err(EEXIST);
    }
    let client = Arc::pin_init(
        try_pin_init!(Client {
            raw,
            name: CString::try_from(name)?,
            work <- new_work!("xen_channel_client"),
            slot <- IrqSpinLock::new(
                Slot {
                    channel: None,
                    want_space: false,
                },
                c"xen_channel:client",
                kernel::static_lock_class!(),
            ),
            told <- new_mutex!(Told {
                connected: false,
                offer: KVec::from_elem(0u8, OFFER_MAX, GFP_KERNEL)?,
            }),
            pending: AtomicU32::new(0),
            dead: AtomicBool::new(false),
        }? Error),
        GFP_KERNEL,
    )?;
    reg.clients.push(client.clone(), GFP_KERNEL)?;
    // SAFETY: The caller's struct is valid (per the header); the registry's
    // reference keeps the pointer valid until unregistration.
    unsafe { (*raw).internal = Arc::as_ptr(&client).cast_mut().cast() };
    let channel = reg
        .channels
        .iter()
        .find(|c| c.name().to_bytes() == name.to_bytes())
        .cloned();
    if let Some(channel) = channel {
        attach(&client, &channel);
    }
    Ok(())
}

/// `xen_channel_unregister`: see include/xen-channel.h.
///
/// # Safety
///
/// `raw` must be registered; process context.
#[no_mangle]
unsafe extern "C" fn xen_channel_unregister(raw: *mut RawClient) {
    let client = {
        let mut reg = REGISTRY.lock();
        let Some(at) = reg.clients.iter().position(|c| core::ptr::eq(c.raw, raw)) else {
            return;
        };
        let Ok(client) = reg.clients.remove(at) else {
            return;
        };
        client.dead.store(true, Ordering::Release);
        detach(&client);
        client
    };
    // SAFETY: The work item is initialised; flushing waits for a queued or running
    // run(), which returns at once now that `dead` is set.
    unsafe { bindings::flush_work(Work::<Client>::raw_get(&raw const client.work)) };
    // SAFETY: The caller's struct is valid until this returns.
    unsafe { (*raw).internal = core::ptr::null_mut() };
}

/// The `len` bytes a C caller passes at `data`; `data` may be NULL when `len`
/// is 0, which `slice::from_raw_parts` does not allow.
///
/// # Safety
///
/// If `len > 0`, `data` must be valid for reads of `len` bytes for `'a`.
unsafe fn caller_bytes<'a>(data: *const c_void, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: `len > 0`, so `data` is valid for `len` bytes, per the contract.
    unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len) }
}

/// `xen_channel_write_atomic`: see include/xen-channel.h.
///
/// # Safety
///
/// `raw` must be registered; `data` valid for `len` bytes.
#[no_mangle]
unsafe extern "C" fn xen_channel_write_atomic(
    raw: *mut RawClient,
    data: *const c_void,
    len: usize,
) -> isize {
    // SAFETY: Registered, per the caller.
    let client = unsafe { client_of(raw) };
    // SAFETY: The caller passes `len` readable bytes.
    let bytes = unsafe { caller_bytes(data, len) };
    let Some(channel) = client.channel() else {
        return ENODEV.to_errno() as isize;
    };
    match channel.write_kernel(bytes) {
        Ok(n) => {
            if n < len {
                client.slot.lock().want_space = true;
            }
            n as isize
        }
        Err(e) => e.to_errno() as isize,
    }
}

/// `xen_channel_write`: see include/xen-channel.h.
///
/// # Safety
///
/// `raw` must be registered; `data` valid for `len` bytes; process context.
#[no_mangle]
unsafe extern "C" fn xen_channel_write(
    raw: *mut RawClient,
    data: *const c_void,
    len: usize,
    timeout: c_long,
) -> isize {
    // SAFETY: Registered, per the caller.
    let client = unsafe { client_of(raw) };
    // SAFETY: The caller passes `len` readable bytes.
    let bytes = unsafe { caller_bytes(data, len) };
    let mut left = timeout.max(0);
    let mut done = 0;
    while done < len {
        let Some(channel) = client.channel() else {
            // No channel of that name yet: look again shortly.
            if left <= 0 {
                break;
            }
            // SAFETY: Sleeps in process context, as the caller guarantees.
            if unsafe { bindings::msleep_interruptible(20) } != 0 {
                break;
            }
            // PANIC: no overflow: `left` is positive here and 20 ms is a few jiffies.
            // SAFETY: Converts a time; no preconditions.
            left -= unsafe { bindings::__msecs_to_jiffies(20) } as c_long;
            continue;
        };
        // PANIC: `done < len`: each call queues at most what it got.
        match channel.write_kernel_waiting(&bytes[done..], &mut left) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if done == 0 => return e.to_errno() as isize,
            Err(_) => break,
        }
    }
    if done == 0 && len > 0 {
        return ETIMEDOUT.to_errno() as isize;
    }
    done as isize
}

/// `xen_channel_flush`: see include/xen-channel.h.
///
/// # Safety
///
/// `raw` must be registered.
#[no_mangle]
unsafe extern "C" fn xen_channel_flush(raw: *mut RawClient, timeout_us: c_uint) -> c_int {
    // SAFETY: Registered, per the caller.
    let client = unsafe { client_of(raw) };
    // In a panic the slot's lock may be held by a stopped CPU: only try it.
    let Some(channel) = client.slot.try_lock().and_then(|s| s.channel.clone()) else {
        return ENODEV.to_errno();
    };
    match channel.flush_polling(timeout_us) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `xen_channel_rx_kick`: see include/xen-channel.h.
///
/// # Safety
///
/// `raw` must be registered.
#[no_mangle]
unsafe extern "C" fn xen_channel_rx_kick(raw: *mut RawClient) {
    // SAFETY: Registered, per the caller.
    unsafe { client_of(raw) }.changed(Changes {
        rx: true,
        ..Changes::default()
    });
}

/// `xen_channel_state`: see include/xen-channel.h.
///
/// # Safety
///
/// `raw` must be registered.
#[no_mangle]
unsafe extern "C" fn xen_channel_state(raw: *mut RawClient) -> c_uint {
    // SAFETY: Registered, per the caller.
    let client = unsafe { client_of(raw) };
    state_code(client.channel().map(|c| c.state()))
}
