// SPDX-License-Identifier: GPL-2.0

//! One channel: the ring shared with the backend, its event channel, and the
//! waiters on both sides of it.
//!
//! Two flows meet here: xenbus callbacks (`driver.rs`) connect and tear down the link
//! to the backend, and file operations (`chardev.rs`) move bytes through the ring.
//! The object lives in an [`Arc`]: the bound xenbus device holds one reference and
//! every open file one more, so a file may outlive the device it was opened on.

use crate::ring::{self, CorruptIndices, Index, SharedRing};
use crate::state::XenbusState;
use crate::xen::{self, EventChannel, SharedPage, XenbusDevice};
use core::ffi::c_void;
use core::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, Ordering};
use kernel::{
    bindings,
    ffi::c_int,
    new_mutex,
    prelude::*,
    str::{CStr, CStrExt, CString},
    sync::{Arc, Mutex},
    types::Opaque,
    uaccess::{UserSliceReader, UserSliceWriter},
};

extern "C" {
    fn xen_channel_waitq_init(wq: *mut bindings::wait_queue_head);
    fn xen_channel_wait(
        wq: *mut bindings::wait_queue_head,
        cond: unsafe extern "C" fn(*const c_void) -> bool,
        ctx: *const c_void,
    ) -> c_int;
}

// The interface must fit the one page granted to the backend.
const _: () = assert!(ring::INTERFACE_SIZE <= kernel::page::PAGE_SIZE);

/// The shared page seen through volatile accesses.
///
/// # Invariants
///
/// `base` points to a live page of at least [`ring::INTERFACE_SIZE`] bytes, granted
/// to the backend, for as long as this value exists. No Rust reference into the page
/// is ever created: the backend writes it concurrently.
struct PageRing {
    base: *mut u8,
}

impl SharedRing for PageRing {
    fn load_index(&self, index: Index) -> u32 {
        // SAFETY: By the type invariant the page is live; the offset is in bounds and
        // 4-byte aligned. A volatile load is one read that the compiler cannot repeat.
        unsafe { self.base.add(index.offset()).cast::<u32>().read_volatile() }
    }

    fn store_index(&self, index: Index, value: u32) {
        // SAFETY: As in `load_index`.
        unsafe {
            self.base
                .add(index.offset())
                .cast::<u32>()
                .write_volatile(value)
        }
    }

    fn read_byte(&self, offset: usize) -> u8 {
        debug_assert!(offset < ring::INDEX_OFFSET);
        // SAFETY: The ring code only passes offsets inside `in`/`out`, within the page.
        unsafe { self.base.add(offset).read_volatile() }
    }

    fn write_byte(&self, offset: usize, value: u8) {
        debug_assert!(offset < ring::INDEX_OFFSET);
        // SAFETY: As in `read_byte`.
        unsafe { self.base.add(offset).write_volatile(value) }
    }

    fn read_barrier(&self) {
        fence(Ordering::Acquire);
    }

    fn write_barrier(&self) {
        fence(Ordering::Release);
    }

    fn full_barrier(&self) {
        fence(Ordering::SeqCst);
    }
}

/// What connects the channel to its backend while the device is bound.
struct Link {
    page: SharedPage,
    events: EventChannel,
}

/// One Xen channel.
///
/// # Invariants
///
/// - `ring` is null or the address of `link`'s page; it is cleared, with `rx` and `tx`
///   held, before the event channel is closed and the page torn down. So a reader or
///   writer holding its lock, and the interrupt handler (which `close` waits for), may
///   use a non-null `ring` until they return.
/// - `waitq` is an initialised wait queue head.
/// - `misc` is registered between [`Channel::register`] and [`Channel::shut_down_node`].
#[pin_data]
pub(crate) struct Channel {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    #[pin]
    waitq: Opaque<bindings::wait_queue_head>,
    /// Serialises consumers of `in`; holds the bounce buffer for user copies.
    #[pin]
    rx: Mutex<[u8; ring::IN_SIZE as usize]>,
    /// Serialises producers of `out`; holds the bounce buffer for user copies.
    #[pin]
    tx: Mutex<[u8; ring::OUT_SIZE as usize]>,
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
    backend_connected: AtomicBool,
    backend_closed: AtomicBool,
    /// The device was removed; files see -ENODEV.
    gone: AtomicBool,
    /// The backend broke the ring protocol; files see -EIO.
    broken: AtomicBool,
    opened: AtomicBool,
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
        Arc::pin_init(
            try_pin_init!(Self {
                misc: Opaque::zeroed(),
                // SAFETY: `slot` is valid for writing an uninitialised wait queue head.
                waitq <- Opaque::ffi_init(|slot| unsafe { xen_channel_waitq_init(slot) }),
                rx <- new_mutex!([0; ring::IN_SIZE as usize]),
                tx <- new_mutex!([0; ring::OUT_SIZE as usize]),
                link <- new_mutex!(None),
                ring: AtomicPtr::new(core::ptr::null_mut()),
                port: AtomicU32::new(0),
                wakeups: AtomicU32::new(0),
                seen_in_prod: AtomicU32::new(0),
                seen_out_cons: AtomicU32::new(0),
                frontend_state: AtomicU32::new(XenbusState::Initialising.raw()),
                backend_connected: AtomicBool::new(false),
                backend_closed: AtomicBool::new(false),
                gone: AtomicBool::new(false),
                broken: AtomicBool::new(false),
                opened: AtomicBool::new(false),
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

    /// Grants a ring page, binds an event channel and publishes both to the backend,
    /// then announces Initialised.
    pub(crate) fn connect(self: &Arc<Self>, dev: &XenbusDevice) -> Result {
        let page = SharedPage::setup(dev)?;
        let dev_id = Arc::as_ptr(self).cast_mut().cast::<c_void>();
        // SAFETY: The driver keeps its reference to the channel until after
        // `disconnect`, which closes the event channel, so `dev_id` stays valid.
        let events = match unsafe { EventChannel::open(dev, irq_handler, &self.misc_name, dev_id) }
        {
            Ok(events) => events,
            Err(e) => {
                page.teardown();
                return Err(e);
            }
        };
        let published = dev.publish_ring(page.gref(), events.port());
        self.port.store(events.port(), Ordering::Relaxed);
        self.ring.store(page.as_ptr(), Ordering::Release);
        *self.link.lock() = Some(Link { page, events });
        published?;
        self.switch_state(dev, XenbusState::Initialised)
    }

    /// Tears down the link: the event channel first, so no handler runs, then the
    /// page, whose grant ends before it is freed.
    pub(crate) fn disconnect(&self) {
        {
            let _rx = self.rx.lock();
            let _tx = self.tx.lock();
            // INVARIANT: cleared with both locks held: no reader or writer is in the ring.
            self.ring.store(core::ptr::null_mut(), Ordering::Release);
        }
        if let Some(link) = self.link.lock().take() {
            link.events.close();
            link.page.teardown();
        }
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
    /// Open files keep the object but see -ENODEV; `disconnect` follows.
    pub(crate) fn shut_down_node(&self) {
        // SAFETY: Registered in `register` (the driver only calls this after it
        // succeeded); after this no new file can be opened.
        unsafe { bindings::misc_deregister(self.misc.get()) };
        self.gone.store(true, Ordering::Release);
        self.wake_all();
    }

    fn switch_state(&self, dev: &XenbusDevice, state: XenbusState) -> Result {
        self.frontend_state.store(state.raw(), Ordering::Relaxed);
        dev.switch_state(state)
    }

    /// The frontend state last announced.
    pub(crate) fn frontend_state(&self) -> XenbusState {
        XenbusState::from_raw(self.frontend_state.load(Ordering::Relaxed))
    }

    /// The backend mapped the ring: announce Connected.
    pub(crate) fn backend_up(&self, dev: &XenbusDevice) -> Result {
        self.backend_connected.store(true, Ordering::Release);
        let ret = self.switch_state(dev, XenbusState::Connected);
        self.wake_all();
        ret
    }

    /// The backend is closing: readers drain the ring, then see EOF.
    pub(crate) fn backend_down(&self, dev: &XenbusDevice) -> Result {
        self.backend_connected.store(false, Ordering::Release);
        self.backend_closed.store(true, Ordering::Release);
        self.wake_all();
        self.switch_state(dev, XenbusState::Closed)
    }

    fn wake_all(&self) {
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

    fn ring(&self) -> Option<PageRing> {
        let base = self.ring.load(Ordering::Acquire);
        // INVARIANT: non-null only while the page is live; callers hold `rx` or `tx`
        // or run in the interrupt handler (see the type invariants).
        (!base.is_null()).then_some(PageRing { base })
    }

    fn notify(&self) {
        xen::notify(self.port.load(Ordering::Relaxed));
    }

    fn corrupt(&self, bad: CorruptIndices) -> Error {
        if !self.broken.swap(true, Ordering::AcqRel) {
            pr_err!(
                "channel {}: backend broke the {} ring (cons {}, prod {}); channel stopped\n",
                self.name.to_str().unwrap_or("?"),
                if bad.inbound { "in" } else { "out" },
                bad.cons,
                bad.prod
            );
            self.wake_all();
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

    /// Reads up to `out.len()` bytes; 0 means the backend closed and the ring is empty.
    pub(crate) fn read(&self, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let seen = self.wakeups.load(Ordering::Acquire);
            {
                let mut buf = self.rx.lock();
                self.check_usable()?;
                if let Some(ring) = self.ring() {
                    let want = out.len().min(buf.len());
                    let n = ring::peek(&ring, &mut buf[..want]).map_err(|bad| self.corrupt(bad))?;
                    if n > 0 {
                        // Consume only what reached user space: a fault loses nothing.
                        out.write_slice(&buf[..n])?;
                        ring::consume(&ring, n);
                        self.notify();
                        return Ok(n);
                    }
                }
                if self.backend_closed.load(Ordering::Acquire) {
                    return Ok(0);
                }
            }
            if nonblock {
                return Err(EAGAIN);
            }
            self.wait_for_wakeup(seen)?;
        }
    }

    /// Writes up to `input.len()` bytes; returns how many the ring accepted.
    pub(crate) fn write(&self, input: &mut UserSliceReader, nonblock: bool) -> Result<usize> {
        if input.is_empty() {
            return Ok(0);
        }
        loop {
            let seen = self.wakeups.load(Ordering::Acquire);
            {
                let mut buf = self.tx.lock();
                self.check_usable()?;
                if self.backend_closed.load(Ordering::Acquire) {
                    return Err(EPIPE);
                }
                if let Some(ring) = self.ring() {
                    let free = ring::writable(&ring).map_err(|bad| self.corrupt(bad))? as usize;
                    if free > 0 {
                        let n = input.len().min(free);
                        input.read_slice(&mut buf[..n])?;
                        let accepted =
                            ring::write(&ring, &buf[..n]).map_err(|bad| self.corrupt(bad))?;
                        self.notify();
                        return Ok(accepted);
                    }
                }
            }
            if nonblock {
                return Err(EAGAIN);
            }
            self.wait_for_wakeup(seen)?;
        }
    }

    /// Readiness for poll: (readable, writable, hung up, error).
    pub(crate) fn poll_state(&self) -> (bool, bool, bool, bool) {
        let error = self.check_usable().is_err();
        let hangup = self.backend_closed.load(Ordering::Acquire)
            || !self.backend_connected.load(Ordering::Acquire);
        let readable = {
            let _rx = self.rx.lock();
            self.ring()
                .is_some_and(|r| ring::readable(&r).map_or(true, |n| n > 0))
        };
        let writable = {
            let _tx = self.tx.lock();
            self.ring()
                .is_some_and(|r| ring::writable(&r).map_or(true, |n| n > 0))
        };
        (readable || error, writable || error, hangup, error)
    }

    /// The wait queue that poll registers on.
    pub(crate) fn waitq(&self) -> *mut bindings::wait_queue_head {
        self.waitq.get()
    }

    fn wait_for_wakeup(&self, seen: u32) -> Result {
        let ctx = WaitContext {
            channel: self,
            seen,
        };
        // SAFETY: `waitq` is initialised; `ctx` outlives the call.
        let ret = unsafe { xen_channel_wait(self.waitq.get(), woken, (&raw const ctx).cast()) };
        if ret != 0 {
            return Err(ERESTARTSYS);
        }
        Ok(())
    }

    /// Records backend progress seen by an event; false if nothing moved (spurious).
    fn note_progress(&self) -> bool {
        let Some(ring) = self.ring() else {
            return false;
        };
        let in_prod = ring.load_index(Index::InProd);
        let out_cons = ring.load_index(Index::OutCons);
        let in_moved = self.seen_in_prod.swap(in_prod, Ordering::AcqRel) != in_prod;
        let out_moved = self.seen_out_cons.swap(out_cons, Ordering::AcqRel) != out_cons;
        in_moved || out_moved
    }
}

struct WaitContext<'a> {
    channel: &'a Channel,
    seen: u32,
}

/// Wait condition: something happened since the sleeper looked.
///
/// # Safety
///
/// `ctx` must point to a live [`WaitContext`].
unsafe extern "C" fn woken(ctx: *const c_void) -> bool {
    // SAFETY: `wait_for_wakeup` passes a live `WaitContext`.
    let ctx = unsafe { &*ctx.cast::<WaitContext<'_>>() };
    ctx.channel.wakeups.load(Ordering::Acquire) != ctx.seen
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
    let progress = channel.note_progress();
    channel.wake_all();
    xen::irq_eoi(irq, !progress);
    bindings::irqreturn_IRQ_HANDLED
}
