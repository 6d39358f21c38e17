// SPDX-License-Identifier: GPL-2.0

//! One channel: its queues and rings (the data path), the link to the backend,
//! the state its users see, and who waits on it.
//!
//! Three flows meet here. xenbus callbacks (`driver.rs`, in xenbus's watch
//! thread) grant, connect and end links; the event handler moves bytes between
//! the rings and the queues; file operations (`chardev.rs`) move bytes between
//! the queues and user space. The object lives in an [`Arc`]: the bound device
//! holds one reference, an open file one more, so a file may outlive the device
//! it was opened on.
//!
//! # Locks
//!
//! Taken in this order, never the other way:
//!
//! 1. `link`, a mutex: the page and event channel; xenbus callbacks only.
//! 2. `rx` or `tx`, mutexes: readers (and writers) take turns; each holds a
//!    bounce buffer for copies to and from user space.
//! 3. `data`, an irq-saving spinlock shared with the event handler: the queues,
//!    the live ring and the state. It is never held across a user copy, a sleep
//!    or a call into xenbus, so the handler never waits long.

mod io;
mod kernel_io;
pub(crate) mod link;
mod users;
pub(crate) mod waiters;

use crate::ffi;
use crate::pure::lifecycle::{bands, readiness, ChannelState, LinkEvent, Readiness};
use crate::pure::path::{DataPath, LinkEnd, Moved, SAVE_HEADROOM};
use crate::pure::ring::CorruptIndex;
use crate::pure::xenbus::XenbusState;
use crate::sync::{IrqSpinLock, IrqSpinLockGuard};
use crate::xen::{evtchn, grant::SharedPage, xenbus::XenbusDevice};
use core::ffi::c_void;
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use kernel::{
    bindings,
    ffi::c_int,
    new_mutex,
    prelude::*,
    str::{CStr, CString},
    sync::{Arc, Mutex},
    types::Opaque,
};
use link::{Link, LiveRing};
pub(crate) use users::{Changes, Holder, Listener};
use waiters::Waiters;

/// Links that may end while the backend still maps their page before the
/// channel stops reconnecting: each such page and grant reference stays allocated
/// until the backend lets go, so a backend that keeps every old ring mapped must
/// not be given new ones forever.
const MAX_HELD_RINGS: u32 = 8;

/// The most bytes a read or write copies per turn through its bounce buffer.
const BOUNCE_MAX: usize = 16 * 1024;

/// Counters shown in sysfs.
#[derive(Default)]
pub(crate) struct Stats {
    /// Bytes delivered to readers.
    pub(crate) rx_bytes: AtomicU64,
    /// Bytes accepted from writers.
    pub(crate) tx_bytes: AtomicU64,
    /// Event-channel interrupts.
    pub(crate) events: AtomicU64,
    /// Interrupts that showed no progress (counted spurious for lateeoi).
    pub(crate) spurious_events: AtomicU64,
    /// Links on which a backend connected.
    pub(crate) connects: AtomicU64,
}

/// What the data lock protects.
pub(crate) struct Data {
    path: DataPath<KVec<u8>>,
    state: ChannelState,
    /// The ring of the live link, if any.
    live: Option<LiveRing>,
    /// The frontend state last written, and the backend state last seen.
    frontend: XenbusState,
    backend: XenbusState,
    /// Ended links whose page the backend still mapped.
    held_rings: u32,
    /// The kernel client that has the channel, if any.
    listener: Option<Arc<dyn Listener>>,
}

impl Data {
    fn readiness(&self) -> Readiness {
        readiness(self.state, self.path.readable(), self.path.writable())
    }

    /// Pumps the live ring, unless the channel is broken; `Err` if the backend
    /// broke it now.
    fn pump(&mut self) -> Result<Moved, CorruptIndex> {
        match &self.live {
            Some(live) if self.state != ChannelState::Broken => self.path.pump(&live.ring()),
            _ => Ok(Moved::default()),
        }
    }

    fn port(&self) -> Option<u32> {
        self.live.as_ref().map(|l| l.port)
    }
}

/// A bounce buffer between the queues and user space, owned by whoever holds
/// the `rx` or `tx` lock.
pub(crate) struct Bounce(KVec<u8>);

/// One Xen channel.
///
/// # Invariants
///
/// - `data.live` is `Some` exactly while `link` holds a link, and points to its
///   page (see [`LiveRing`]); it is set after the link is made and cleared before
///   the link ends, both with `data` locked.
/// - `misc` is the device node's `struct miscdevice`, registered by
///   `chardev::Node` for as long as that value lives.
#[pin_data]
pub(crate) struct Channel {
    /// Declared first: dropping it unbinds the event handler before anything it
    /// uses is dropped (it is `None` by then anyway, see `remove`).
    #[pin]
    link: Mutex<Option<Link>>,
    #[pin]
    rx: Mutex<Bounce>,
    #[pin]
    tx: Mutex<Bounce>,
    #[pin]
    data: IrqSpinLock<Data>,
    #[pin]
    waiters: Waiters,
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    /// The [`Holder`] using the channel, or 0.
    holder: AtomicU8,
    pub(crate) stats: Stats,
    name: CString,
    devid: u32,
    /// `xen-channel-<devid>`: the misc device's and the irq's name.
    misc_name: CString,
}

// SAFETY: The C parts (`misc`, and the wait queue and fasync list in `waiters`)
// are used only through kernel functions that do their own locking; every other
// field is behind a lock or atomic, or immutable after creation.
unsafe impl Send for Channel {}
// SAFETY: As above.
unsafe impl Sync for Channel {}

impl Channel {
    /// Creates an unconnected channel named `name` for console `devid`, whose
    /// frontend xenbus left in `frontend`, with queues of `queue` bytes.
    ///
    /// # Errors
    ///
    /// ENOMEM.
    pub(crate) fn new(
        name: &CStr,
        devid: u32,
        frontend: XenbusState,
        queue: usize,
    ) -> Result<Arc<Self>> {
        let misc_name = CString::try_from_fmt(fmt!("xen-channel-{devid}"))?;
        let bounce = queue.min(BOUNCE_MAX);
        let path = DataPath::new(
            KVec::from_elem(0u8, queue + SAVE_HEADROOM, GFP_KERNEL)?,
            KVec::from_elem(0u8, queue, GFP_KERNEL)?,
        );
        let (rx, tx) = (
            Bounce(KVec::from_elem(0u8, bounce, GFP_KERNEL)?),
            Bounce(KVec::from_elem(0u8, bounce, GFP_KERNEL)?),
        );
        Arc::pin_init(
            try_pin_init!(Self {
                link <- new_mutex!(None),
                rx <- new_mutex!(rx),
                tx <- new_mutex!(tx),
                data <- IrqSpinLock::new(
                    Data {
                        path,
                        state: ChannelState::Unconnected,
                        live: None,
                        frontend,
                        backend: XenbusState::Unknown,
                        held_rings: 0,
                        listener: None,
                    },
                    c"xen_channel:data",
                    kernel::static_lock_class!(),
                ),
                waiters <- Waiters::new(),
                misc: Opaque::zeroed(),
                holder: AtomicU8::new(0),
                stats: Stats::default(),
                name: CString::try_from(name)?,
                devid,
                misc_name,
            }? Error),
            GFP_KERNEL,
        )
    }

    /// The channel name, as validated.
    pub(crate) fn name(&self) -> &CStr {
        &self.name
    }

    /// The channel name for log lines.
    pub(crate) fn display_name(&self) -> &str {
        self.name.to_str().unwrap_or("?")
    }

    /// The console devid (`N` in `device/console/N`).
    pub(crate) fn devid(&self) -> u32 {
        self.devid
    }

    /// `xen-channel-<devid>`.
    pub(crate) fn misc_name(&self) -> &CStr {
        &self.misc_name
    }

    /// The node's `struct miscdevice`, for `chardev.rs`.
    pub(crate) fn misc_raw(&self) -> *mut bindings::miscdevice {
        self.misc.get()
    }

    /// Recovers the channel from its registered misc device.
    ///
    /// # Safety
    ///
    /// `misc` must be the `misc` field of a live `Channel`, live for `'a`.
    pub(crate) unsafe fn from_misc<'a>(misc: *mut bindings::miscdevice) -> &'a Self {
        // SAFETY: `Opaque<T>` is `repr(transparent)` over `T`; the caller guarantees
        // `misc` is the field of a live channel, so the container is live too.
        unsafe { &*kernel::container_of!(misc.cast::<Opaque<bindings::miscdevice>>(), Self, misc) }
    }

    /// Takes the channel for `who`.
    ///
    /// The single-holder rule lives here rather than in `chardev.rs` because a
    /// file and an in-kernel client (`client.rs`) compete for the same channel;
    /// both ask this one atomic.
    ///
    /// # Errors
    ///
    /// EBUSY if a file has it, ENODEV if the device is gone.
    pub(crate) fn acquire(&self, who: Holder) -> Result {
        if self.state() == ChannelState::Gone {
            return Err(ENODEV);
        }
        self.holder
            .compare_exchange(0, who as u8, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(|_| EBUSY)
    }

    /// Gives the channel back, if `who` has it.
    pub(crate) fn release(&self, who: Holder) {
        // Fails only if `who` did not have it: then there is nothing to give back.
        let _ = self
            .holder
            .compare_exchange(who as u8, 0, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Who waits on the channel.
    pub(crate) fn waiters(&self) -> &Waiters {
        &self.waiters
    }

    /// The state users see.
    pub(crate) fn state(&self) -> ChannelState {
        self.data.lock().state
    }

    /// The xenbus states: the frontend's as last written, the backend's as last seen.
    pub(crate) fn xenbus_states(&self) -> (XenbusState, XenbusState) {
        let data = self.data.lock();
        (data.frontend, data.backend)
    }

    /// Bytes waiting for a reader, and accepted bytes not yet consumed by a backend.
    pub(crate) fn queued(&self) -> (usize, usize) {
        let data = self.data.lock();
        (data.path.readable(), data.path.unsent())
    }

    /// Poll's answer now.
    pub(crate) fn readiness(&self) -> Readiness {
        self.data.lock().readiness()
    }

    /// Runs `f` on the locked data, then wakes whoever the change concerns and
    /// notifies the backend if bytes moved its way.
    fn update<R>(&self, f: impl FnOnce(&mut Data) -> (R, Moved)) -> R {
        self.update_locked(self.data.lock(), f)
    }

    /// [`Channel::update`] with the lock already taken.
    fn update_locked<R>(
        &self,
        mut data: IrqSpinLockGuard<'_, Data>,
        f: impl FnOnce(&mut Data) -> (R, Moved),
    ) -> R {
        let (before, was) = (data.readiness(), data.state);
        let (result, moved) = f(&mut data);
        let after = data.readiness();
        let port = data.port().filter(|_| moved.notify_backend());
        let changes = Changes {
            rx: moved.drained > 0,
            space: moved.consumed > 0,
            state: data.state != was,
            suspend: false,
        };
        let listener = data.listener.clone().filter(|_| changes.any());
        drop(data);
        if let Some(port) = port {
            evtchn::notify(port);
        }
        let owed = bands(before, after, moved.drained > 0, moved.consumed > 0);
        if owed.any() || moved.drained > 0 || moved.consumed > 0 || before != after {
            self.waiters.wake(owed);
        }
        if let Some(listener) = listener {
            listener.as_arc_borrow().changed(changes);
        }
        result
    }

    /// Gives the channel's changes to `listener` from now on (`None`: to nobody).
    pub(crate) fn set_listener(&self, listener: Option<Arc<dyn Listener>>) {
        self.data.lock().listener = listener;
    }

    /// Tells the listener, if any, that the domain is about to be saved.
    pub(crate) fn suspending(&self) {
        let listener = self.data.lock().listener.clone();
        if let Some(listener) = listener {
            listener.as_arc_borrow().changed(Changes {
                suspend: true,
                ..Changes::default()
            });
        }
    }

    /// Records `event` in the state users see.
    pub(crate) fn link_event(&self, event: LinkEvent) {
        self.update(|data| {
            data.state = data.state.after(event);
            ((), Moved::default())
        });
    }

    /// Stops the channel for good: the backend broke the ring protocol.
    fn broke(&self, data: &mut Data, bad: CorruptIndex) {
        if data.state != ChannelState::Broken && data.state != ChannelState::Gone {
            pr_err!(
                "channel {}: backend broke the ring: {:?} is {} (ours {}); channel stopped\n",
                self.display_name(),
                bad.index,
                bad.value,
                bad.ours
            );
        }
        data.state = data.state.after(LinkEvent::Broke);
    }

    /// Pumps the live ring; if the backend broke it now, stops the channel, so
    /// that callers only see what moved.
    fn pump_or_break(&self, data: &mut Data) -> Moved {
        match data.pump() {
            Ok(moved) => moved,
            Err(bad) => {
                self.broke(data, bad);
                Moved::default()
            }
        }
    }

    /// Pumps the ring after a reader or writer made room or added bytes.
    pub(crate) fn pump(&self) {
        self.update(|data| ((), self.pump_or_break(data)));
    }

    /// An event from the backend; whether it showed progress.
    fn on_event(&self) -> bool {
        self.update(|data| {
            let Some(live) = &data.live else {
                return (false, Moved::default());
            };
            if data.state == ChannelState::Broken {
                return (false, Moved::default());
            }
            match data.path.on_event(&live.ring()) {
                Ok((moved, progress)) => (progress, moved),
                Err(bad) => {
                    self.broke(data, bad);
                    (false, Moved::default())
                }
            }
        })
    }

    // --- The link, driven by xenbus callbacks ---------------------------------

    /// Whether a ring is granted.
    pub(crate) fn has_link(&self) -> bool {
        self.link.lock().is_some()
    }

    /// Records the backend state seen.
    pub(crate) fn note_backend_state(&self, state: XenbusState) {
        self.data.lock().backend = state;
    }

    /// The frontend state last written.
    pub(crate) fn frontend_state(&self) -> XenbusState {
        self.data.lock().frontend
    }

    /// Moves the frontend to `state`, recording it only once xenbus has.
    ///
    /// # Errors
    ///
    /// The xenstore error, or EIO if xenbus did not record the state.
    pub(crate) fn switch_state(&self, dev: &XenbusDevice, state: XenbusState) -> Result {
        let ret = dev.switch_state(state);
        self.data.lock().frontend = dev.state();
        ret
    }

    /// Records a state xenbus set on its own (after a restore).
    pub(crate) fn assume_state(&self, state: XenbusState) {
        self.data.lock().frontend = state;
    }

    /// Grants a new ring (ending any old one first), binds an event channel,
    /// publishes both and goes Initialised. Bytes accepted but never consumed by
    /// an earlier backend go into the new ring first.
    ///
    /// Once the backend kept too many old rings mapped, the channel breaks
    /// instead (one log line) and nothing is granted.
    ///
    /// # Errors
    ///
    /// The allocation, grant, event-channel or xenstore error. Nothing stays
    /// granted then.
    pub(crate) fn publish(self: &Arc<Self>, dev: &XenbusDevice) -> Result {
        let mut link = self.link.lock();
        self.end_link(&mut link);
        if self.data.lock().held_rings >= MAX_HELD_RINGS {
            // Said here, once: the channel is broken from now on, so the
            // backend's further changes are not followed.
            pr_err!(
                "channel {}: the backend keeps {MAX_HELD_RINGS} old rings mapped; not reconnecting\n",
                self.display_name()
            );
            self.link_event(LinkEvent::Broke);
            return Ok(());
        }
        let page = SharedPage::new(dev)?;
        let dev_id = Arc::as_ptr(self).cast_mut().cast::<c_void>();
        // SAFETY: `link` is the first field of the channel, so the event channel is
        // dropped (unbound) before the channel is, and `misc_name` outlives it.
        let events =
            unsafe { evtchn::EventChannel::new(dev, irq_handler, &self.misc_name, dev_id)? };
        let new = link.insert(Link { events, page });
        let (gref, port) = (new.page.gref(), new.events.port());
        self.update(|data| {
            data.path.start_link();
            // SAFETY: `live` is cleared under this lock before the link ends (`end_link`).
            data.live = Some(unsafe { LiveRing::new(new) });
            // Replay what earlier backends did not consume; the backend hears of
            // it when it connects.
            let moved = self.pump_or_break(data);
            ((), Moved { sent: 0, ..moved })
        });
        drop(link);
        if let Err(e) = dev.publish_ring(gref, port) {
            self.release_link();
            return Err(e);
        }
        self.switch_state(dev, XenbusState::Initialised)
    }

    /// Ends the link in `link`, if any: saves what is still in the ring, unbinds
    /// the event channel (waiting for a running handler), then ends the grant.
    fn end_link(&self, link: &mut Option<Link>) {
        let Some(old) = link.take() else {
            return;
        };
        let end: Option<core::result::Result<LinkEnd, CorruptIndex>> = self.update(|data| {
            // INVARIANT: the live ring goes, under the lock, before the link ends below.
            let end = data
                .live
                .take()
                .filter(|_| data.state != ChannelState::Broken)
                .map(|live| data.path.end_link(&live.ring()));
            if let Some(Err(bad)) = end {
                self.broke(data, bad);
            }
            (end, Moved::default())
        });
        if let Some(Ok(end)) = end {
            if end.dropped > 0 {
                pr_err!(
                    "channel {}: {} unread bytes dropped: {} already wait for a reader\n",
                    self.display_name(),
                    end.dropped,
                    end.saved
                );
            }
        }
        if old.end() {
            // PANIC: no overflow: `publish` stops linking at `MAX_HELD_RINGS`.
            self.data.lock().held_rings += 1;
        }
    }

    /// Ends the link, if any (see `end_link`).
    pub(crate) fn release_link(&self) {
        self.end_link(&mut self.link.lock());
    }

    /// The backend mapped the ring: go Connected and let bytes flow.
    ///
    /// # Errors
    ///
    /// As [`Channel::switch_state`]; the channel connects anyway.
    pub(crate) fn backend_up(&self, dev: &XenbusDevice) -> Result {
        let ret = self.switch_state(dev, XenbusState::Connected);
        self.stats.connects.fetch_add(1, Ordering::Relaxed);
        self.link_event(LinkEvent::Connected);
        // The backend may have missed what was queued, and produced before it
        // said Connected: kick it, and pump once.
        if let Some(port) = self.data.lock().port() {
            evtchn::notify(port);
        }
        self.pump();
        ret
    }

    /// Removes `ring-ref` and `port`, which name a ring that no longer exists.
    pub(crate) fn unpublish(&self, dev: &XenbusDevice) {
        dev.remove_node(c"ring-ref");
        dev.remove_node(c"port");
    }
}

/// Event-channel interrupt: the backend produced into `in` or consumed from `out`.
///
/// # Safety
///
/// `dev_id` must point to the live [`Channel`] the event channel was bound for.
unsafe extern "C" fn irq_handler(irq: c_int, dev_id: *mut c_void) -> bindings::irqreturn_t {
    // SAFETY: `dev_id` is the channel passed to `EventChannel::new`, alive until
    // the handler is unbound (see `Channel::publish`).
    let channel = unsafe { &*dev_id.cast::<Channel>() };
    channel.stats.events.fetch_add(1, Ordering::Relaxed);
    let progress = channel.on_event();
    if !progress {
        channel
            .stats
            .spurious_events
            .fetch_add(1, Ordering::Relaxed);
    }
    // SAFETY: This is the running handler of the lateeoi irq `irq`, once per event.
    unsafe { evtchn::end_of_interrupt(irq, !progress) };
    bindings::irqreturn_IRQ_HANDLED
}

/// The queue size the module was loaded with, in bytes.
pub(crate) fn queue_size() -> usize {
    // SAFETY: Reads a module parameter that is only written at load time.
    (unsafe { ffi::xen_channel_param_queue_kib() }) as usize * 1024
}
