// SPDX-License-Identifier: GPL-2.0

//! One channel: the ring shared with the backend, its event channel, and the
//! waiters on both sides of it.
//!
//! Two flows meet here: xenbus callbacks (`driver.rs`) grant, connect and tear down
//! the link to the backend, and file operations (`chardev.rs`) move bytes through the
//! ring. The object lives in an [`Arc`]: the bound xenbus device holds one reference
//! and an open file one more, so a file may outlive the device it was opened on.
//!
//! A link can end and start again on the same channel (backend closed and reset,
//! domain restored). Bytes still in the old ring are kept: unread `in` bytes in
//! [`Saved::unread`], for readers; accepted but unconsumed `out` bytes in
//! [`Saved::unsent`], replayed into the next ring. Nothing accepted is dropped,
//! nothing is repeated.
//!
//! Locks: `rx` and `tx` only make readers and writers take turns, and are held
//! while copying to or from user space. The ring and the saved bytes are under
//! `ring_lock`, which is never held across a user copy, so ending a link from the
//! xenbus thread never waits for a page fault in some process.

use crate::ring::{self, CorruptIndices, Index, SharedRing};
use crate::state::XenbusState;
use crate::xen::{self, XenbusDevice};
use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use kernel::{
    bindings,
    ffi::c_int,
    new_mutex,
    prelude::*,
    str::{CStr, CStrExt, CString},
    sync::{Arc, Mutex},
    types::Opaque,
};

// The interface must fit the one page granted to the backend.
const _: () = assert!(ring::INTERFACE_SIZE <= kernel::page::PAGE_SIZE);

mod io;
mod link;

use link::{Link, PageRing};

extern "C" {
    fn xen_channel_waitq_init(wq: *mut bindings::wait_queue_head);
}

/// A bounce buffer between the ring and user space, owned by whoever holds the `rx`
/// (`in` sized) or `tx` (`out` sized) lock.
struct Bounce(KVec<u8>);

impl Bounce {
    fn new(len: u32) -> Result<Self> {
        Ok(Self(KVec::from_elem(0, len as usize, GFP_KERNEL)?))
    }
}

/// What outlives a ring, and what a reader has taken from it, under `ring_lock`.
struct Saved {
    /// Unread bytes of rings torn down, delivered before the current ring's.
    unread: KVec<u8>,
    /// How much of `unread` was already read.
    unread_pos: usize,
    /// Bytes a reader peeked from the ring and is copying out, not yet consumed.
    /// Ending the link leaves them to that reader and sets this to 0.
    in_transit: usize,
    /// Accepted bytes the last backend did not consume, for the next ring.
    unsent: KBox<[u8; ring::OUT_SIZE as usize]>,
    unsent_len: usize,
}

/// Counters shown in sysfs.
#[derive(Default)]
pub(crate) struct Stats {
    /// Bytes delivered to readers.
    pub(crate) rx_bytes: AtomicU64,
    /// Bytes accepted from writers.
    pub(crate) tx_bytes: AtomicU64,
    /// Event-channel interrupts.
    pub(crate) events: AtomicU64,
    /// Interrupts that showed no progress on either ring.
    pub(crate) spurious_events: AtomicU64,
    /// Links established with a backend.
    pub(crate) connects: AtomicU64,
}

/// One Xen channel.
///
/// # Invariants
///
/// - `ring` is null or the address of `link`'s page. It is set and cleared with
///   `ring_lock` held, and cleared before the event channel is closed and the page
///   torn down. So code holding `ring_lock`, and the interrupt handler (which
///   closing the event channel waits for), may use a non-null `ring` until they
///   return.
/// - `waitq` is an initialised wait queue head.
/// - `misc` is registered between [`Channel::register`] and [`Channel::shut_down_node`].
#[pin_data]
pub(crate) struct Channel {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    #[pin]
    waitq: Opaque<bindings::wait_queue_head>,
    /// `fasync_struct` list for SIGIO, managed by `fasync_helper`.
    fasync: Opaque<*mut bindings::fasync_struct>,
    #[pin]
    rx: Mutex<Bounce>,
    #[pin]
    tx: Mutex<Bounce>,
    #[pin]
    ring_lock: Mutex<Saved>,
    #[pin]
    link: Mutex<Option<Link>>,
    ring: AtomicPtr<u8>,
    port: AtomicU32,
    /// Bumped on every reason to wake a sleeper, so a sleeper can tell it missed none.
    wakeups: AtomicU32,
    /// `in_prod` as seen by the last event, to spot spurious events.
    seen_in_prod: AtomicU32,
    /// `out_cons` as seen by the last event, to spot spurious events.
    seen_out_cons: AtomicU32,
    frontend_state: AtomicU32,
    backend_state: AtomicU32,
    /// The backend is Connected: bytes flow.
    connected: AtomicBool,
    /// The backend closed since the last connect: readers see EOF once drained,
    /// writers -EPIPE.
    hung_up: AtomicBool,
    /// The device was removed; files see -ENODEV.
    gone: AtomicBool,
    /// The backend broke the ring protocol; files see -EIO.
    broken: AtomicBool,
    opened: AtomicBool,
    pub(crate) stats: Stats,
    name: CString,
    misc_name: CString,
    node_path: CString,
    devid: u32,
}

impl Channel {
    /// Creates an unconnected channel named `name` for console `devid`.
    pub(crate) fn new(name: &[u8], devid: u32) -> Result<Arc<Self>> {
        let mut bytes = KVec::with_capacity(name.len() + 1, GFP_KERNEL)?;
        bytes.extend_from_slice(name, GFP_KERNEL)?;
        bytes.push(0, GFP_KERNEL)?;
        let name = CString::try_from(CStr::from_bytes_with_nul(&bytes).map_err(|_| EINVAL)?)?;
        let misc_name = CString::try_from_fmt(fmt!("xen-channel-{devid}"))?;
        let node_path = CString::try_from_fmt(fmt!("xen-channel/{}", name.to_str()?))?;
        let (rx_bounce, tx_bounce) = (Bounce::new(ring::IN_SIZE)?, Bounce::new(ring::OUT_SIZE)?);
        let unsent: KBox<[u8; ring::OUT_SIZE as usize]> = KBox::init(
            pin_init::zeroed::<[u8; ring::OUT_SIZE as usize]>(),
            GFP_KERNEL,
        )?;
        Arc::pin_init(
            try_pin_init!(Self {
                misc: Opaque::zeroed(),
                // SAFETY: `slot` is valid for writing an uninitialised wait queue head.
                waitq <- Opaque::ffi_init(|slot| unsafe { xen_channel_waitq_init(slot) }),
                fasync: Opaque::new(core::ptr::null_mut()),
                rx <- new_mutex!(rx_bounce),
                tx <- new_mutex!(tx_bounce),
                ring_lock <- new_mutex!(Saved {
                    unread: KVec::new(),
                    unread_pos: 0,
                    in_transit: 0,
                    unsent,
                    unsent_len: 0,
                }),
                link <- new_mutex!(None),
                ring: AtomicPtr::new(core::ptr::null_mut()),
                port: AtomicU32::new(0),
                wakeups: AtomicU32::new(0),
                seen_in_prod: AtomicU32::new(0),
                seen_out_cons: AtomicU32::new(0),
                frontend_state: AtomicU32::new(XenbusState::Initialising.raw()),
                backend_state: AtomicU32::new(XenbusState::Unknown.raw()),
                connected: AtomicBool::new(false),
                hung_up: AtomicBool::new(false),
                gone: AtomicBool::new(false),
                broken: AtomicBool::new(false),
                opened: AtomicBool::new(false),
                stats: Stats::default(),
                name,
                misc_name,
                node_path,
                devid,
            }? Error),
            GFP_KERNEL,
        )
    }

    /// The channel name, as validated.
    pub(crate) fn name(&self) -> &CStr {
        &self.name
    }

    /// The console devid (`N` in `device/console/N`).
    pub(crate) fn devid(&self) -> u32 {
        self.devid
    }

    /// Recovers the channel from its registered misc device.
    ///
    /// # Safety
    ///
    /// `misc` must be the `misc` field of a live `Channel`.
    pub(crate) unsafe fn from_misc<'a>(misc: *mut bindings::miscdevice) -> &'a Self {
        // SAFETY: `Opaque<T>` is `repr(transparent)` over `T`; the caller guarantees
        // `misc` is the field of a live channel, so the container is live too.
        unsafe { &*kernel::container_of!(misc.cast::<Opaque<bindings::miscdevice>>(), Self, misc) }
    }

    /// Registers the misc device `/dev/xen-channel/<name>` under `dev`.
    pub(crate) fn register(
        &self,
        dev: &XenbusDevice,
        fops: &'static bindings::file_operations,
    ) -> Result {
        let misc = self.misc.get();
        // SAFETY: `misc` is zeroed and not yet registered, so we may fill it in; the
        // strings are owned by `self`, which outlives the registration.
        unsafe {
            (*misc).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
            (*misc).name = self.misc_name.as_char_ptr();
            (*misc).nodename = self.node_path.as_char_ptr();
            (*misc).fops = fops;
            (*misc).mode = 0o600;
            (*misc).parent = dev.device();
            (*misc).groups = crate::chardev::attribute_groups();
        }
        // SAFETY: `misc` is fully initialised and pinned inside `self`.
        kernel::error::to_result(unsafe { bindings::misc_register(misc) })
    }

    /// Removes the device node, marks the channel gone and wakes every sleeper.
    /// Open files keep the object but see -ENODEV; `release_link` follows.
    pub(crate) fn shut_down_node(&self) {
        // SAFETY: Registered in `register` (the driver only calls this after it
        // succeeded); after this no new file can be opened.
        unsafe { bindings::misc_deregister(self.misc.get()) };
        self.gone.store(true, Ordering::Release);
        self.connected.store(false, Ordering::Release);
        self.wake_all(bindings::POLL_ERR);
    }

    /// Whether a ring is granted.
    pub(crate) fn has_ring(&self) -> bool {
        self.link.lock().is_some()
    }

    /// Moves the frontend to `state`.
    pub(crate) fn switch_state(&self, dev: &XenbusDevice, state: XenbusState) -> Result {
        self.frontend_state.store(state.raw(), Ordering::Relaxed);
        dev.switch_state(state)
    }

    /// Records a state xenbus set on its own (after a restore).
    pub(crate) fn assume_state(&self, state: XenbusState) {
        self.frontend_state.store(state.raw(), Ordering::Relaxed);
    }

    /// The frontend state last announced.
    pub(crate) fn frontend_state(&self) -> XenbusState {
        XenbusState::from_raw(self.frontend_state.load(Ordering::Relaxed))
    }

    /// Records the backend state last seen, for sysfs.
    pub(crate) fn note_backend_state(&self, state: XenbusState) {
        self.backend_state.store(state.raw(), Ordering::Relaxed);
    }

    /// The backend state last seen.
    pub(crate) fn backend_state(&self) -> XenbusState {
        XenbusState::from_raw(self.backend_state.load(Ordering::Relaxed))
    }

    /// The backend mapped the ring: announce Connected and let bytes flow.
    pub(crate) fn backend_up(&self, dev: &XenbusDevice) -> Result {
        let ret = self.switch_state(dev, XenbusState::Connected);
        self.hung_up.store(false, Ordering::Release);
        self.connected.store(true, Ordering::Release);
        self.stats.connects.fetch_add(1, Ordering::Relaxed);
        // Bytes written before the backend listened came with a notification it
        // missed: kick it. And it may have produced before it announced Connected.
        self.notify();
        self.wake_all(bindings::POLL_OUT);
        ret
    }

    /// The backend is closing: readers drain, then see EOF; writers see -EPIPE.
    pub(crate) fn backend_down(&self) {
        self.connected.store(false, Ordering::Release);
        self.hung_up.store(true, Ordering::Release);
        self.wake_all(bindings::POLL_HUP);
    }

    /// The backend went away without closing (the domain was restored): bytes
    /// stop flowing until the new backend connects, but nobody sees a hang-up.
    pub(crate) fn backend_paused(&self) {
        self.connected.store(false, Ordering::Release);
    }

    fn wake_all(&self, band: u32) {
        self.wakeups.fetch_add(1, Ordering::AcqRel);
        // SAFETY: By the type invariant `waitq` is initialised. TASK_NORMAL with
        // nr_exclusive 0 wakes every sleeper and every poller.
        unsafe {
            bindings::__wake_up(
                self.waitq.get(),
                bindings::TASK_NORMAL,
                0,
                core::ptr::null_mut(),
            )
        };
        // SAFETY: `fasync` is only changed by fasync_helper, which kill_fasync
        // synchronises with (RCU); it may be called from interrupt context.
        unsafe {
            bindings::kill_fasync(self.fasync.get(), bindings::SIGIO as c_int, band as c_int)
        };
    }

    /// The `fasync_struct` list head, for `fasync_helper`.
    pub(crate) fn fasync_list(&self) -> *mut *mut bindings::fasync_struct {
        self.fasync.get()
    }

    /// Claims the single opener slot.
    pub(crate) fn try_open(&self) -> Result {
        if self.gone.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        self.opened
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(|_| EBUSY)
    }

    /// Releases the opener slot.
    pub(crate) fn close(&self) {
        self.opened.store(false, Ordering::Release);
    }

    /// The live ring; `_held` proves `ring_lock` is held.
    fn ring(&self, _held: &Saved) -> Option<PageRing> {
        // SAFETY: `ring_lock` is held, as the type invariants require.
        unsafe { self.ring_unlocked() }
    }

    /// The live ring, without the lock.
    ///
    /// # Safety
    ///
    /// Only for the interrupt handler, which closing the event channel waits for.
    unsafe fn ring_unlocked(&self) -> Option<PageRing> {
        let base = self.ring.load(Ordering::Acquire);
        // INVARIANT: non-null only while the page is live; the caller holds
        // `ring_lock` or is the interrupt handler (see the type invariants).
        (!base.is_null()).then_some(PageRing { base })
    }

    fn notify(&self) {
        xen::notify(self.port.load(Ordering::Relaxed));
    }

    fn display_name(&self) -> &str {
        self.name.to_str().unwrap_or("?")
    }

    fn corrupt(&self, bad: CorruptIndices) -> Error {
        if !self.broken.swap(true, Ordering::AcqRel) {
            pr_err!(
                "channel {}: backend broke the {} ring (cons {}, prod {}); channel stopped\n",
                self.display_name(),
                if bad.inbound { "in" } else { "out" },
                bad.cons,
                bad.prod
            );
            self.wake_all(bindings::POLL_ERR);
        }
        EIO
    }

    fn check_usable(&self) -> Result {
        if self.gone.load(Ordering::Acquire) {
            Err(ENODEV)
        } else if self.broken.load(Ordering::Acquire) {
            Err(EIO)
        } else {
            Ok(())
        }
    }

    /// Records backend progress seen by an event: whether `in_prod` and `out_cons`
    /// moved. Neither moving makes the event spurious.
    fn note_progress(&self) -> (bool, bool) {
        // SAFETY: Only called from the interrupt handler.
        let Some(ring) = (unsafe { self.ring_unlocked() }) else {
            return (false, false);
        };
        let in_prod = ring.load_index(Index::InProd);
        let out_cons = ring.load_index(Index::OutCons);
        let in_moved = self.seen_in_prod.swap(in_prod, Ordering::AcqRel) != in_prod;
        let out_moved = self.seen_out_cons.swap(out_cons, Ordering::AcqRel) != out_cons;
        (in_moved, out_moved)
    }
}

/// Event-channel interrupt: the backend produced into `in` or consumed from `out`.
///
/// # Safety
///
/// `dev_id` must point to the live [`Channel`] the event channel was bound for.
unsafe extern "C" fn irq_handler(irq: c_int, dev_id: *mut c_void) -> bindings::irqreturn_t {
    // SAFETY: `dev_id` is the channel passed to `EventChannel::open`, kept alive until
    // the handler is unbound.
    let channel = unsafe { &*dev_id.cast::<Channel>() };
    channel.stats.events.fetch_add(1, Ordering::Relaxed);
    let (readable, writable) = channel.note_progress();
    match (readable, writable) {
        (true, _) => channel.wake_all(bindings::POLL_IN),
        (false, true) => channel.wake_all(bindings::POLL_OUT),
        (false, false) => {
            channel
                .stats
                .spurious_events
                .fetch_add(1, Ordering::Relaxed);
        }
    }
    xen::irq_eoi(irq, !(readable || writable));
    bindings::irqreturn_IRQ_HANDLED
}
