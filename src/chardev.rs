// SPDX-License-Identifier: GPL-2.0

//! `/dev/xen-channel/<name>`: the misc device's own `file_operations`.
//!
//! The kernel's `MiscDevice` trait has no poll, does not set `fops.owner` and cannot
//! name the node, so, like Rust Binder, this file builds the `file_operations` table
//! itself. `misc_open` leaves the `struct miscdevice` in `file->private_data`; `open`
//! swaps it for a counted reference to the channel, dropped in `release`.

use crate::channel::Channel;
use core::sync::atomic::Ordering;
use kernel::{
    bindings,
    ffi::{c_char, c_int, c_uint},
    str::CStrExt,
    sync::{Arc, ArcBorrow},
    uaccess::{UserPtr, UserSlice},
};

// From include/uapi/linux/eventpoll.h; bindgen cannot expand their `__force` casts.
const EPOLLIN: u32 = 0x1;
const EPOLLOUT: u32 = 0x4;
const EPOLLERR: u32 = 0x8;
const EPOLLHUP: u32 = 0x10;
const EPOLLRDNORM: u32 = 0x40;
const EPOLLWRNORM: u32 = 0x100;

/// Makes a C operations table usable as a `static`.
#[repr(transparent)]
pub(crate) struct AssertSync<T>(pub(crate) T);
// SAFETY: Only holds C tables of function and module pointers, never mutated.
unsafe impl<T> Sync for AssertSync<T> {}

/// The channel device's file operations.
pub(crate) static FOPS: AssertSync<bindings::file_operations> =
    AssertSync(bindings::file_operations {
        // Unloading the module while a file is open is refused.
        owner: crate::THIS_MODULE.as_ptr(),
        open: Some(open),
        release: Some(release),
        read: Some(read),
        write: Some(write),
        poll: Some(poll),
        fasync: Some(fasync),
        // SAFETY: All zeroes is a valid `file_operations` (every other op absent).
        ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
    });

extern "C" {
    fn xen_channel_attr_groups() -> *mut *const bindings::attribute_group;
}

/// The sysfs attribute groups of every channel device (`name`, `devid`).
pub(crate) fn attribute_groups() -> *mut *const bindings::attribute_group {
    // SAFETY: Returns the address of a static table in helpers.c.
    unsafe { xen_channel_attr_groups() }
}

/// sysfs `name`: the channel name, for `helpers.c`.
///
/// # Safety
///
/// `misc` must be the registered misc device of a channel.
#[no_mangle]
unsafe extern "C" fn xen_channel_misc_name(misc: *mut bindings::miscdevice) -> *const c_char {
    // SAFETY: A registered misc device belongs to a live channel (per the caller).
    unsafe { Channel::from_misc(misc) }.name().as_char_ptr()
}

/// The numeric sysfs attributes, in the order of `enum xc_stat` in helpers.c.
#[derive(Clone, Copy)]
enum Stat {
    Devid,
    FrontendState,
    BackendState,
    RxBytes,
    TxBytes,
    Events,
    SpuriousEvents,
    Connects,
}

impl Stat {
    /// Every attribute, indexed by its `enum xc_stat` value.
    const ALL: [Stat; 8] = [
        Stat::Devid,
        Stat::FrontendState,
        Stat::BackendState,
        Stat::RxBytes,
        Stat::TxBytes,
        Stat::Events,
        Stat::SpuriousEvents,
        Stat::Connects,
    ];
}

/// The numeric sysfs attributes, for `helpers.c`; `u64::MAX` for an unknown one.
///
/// # Safety
///
/// `misc` must be the registered misc device of a channel.
#[no_mangle]
unsafe extern "C" fn xen_channel_misc_stat(misc: *mut bindings::miscdevice, which: c_uint) -> u64 {
    // SAFETY: A registered misc device belongs to a live channel (per the caller).
    let channel = unsafe { Channel::from_misc(misc) };
    let stats = &channel.stats;
    let load = |counter: &core::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let Some(stat) = usize::try_from(which).ok().and_then(|i| Stat::ALL.get(i)) else {
        return u64::MAX;
    };
    match stat {
        Stat::Devid => channel.devid().into(),
        Stat::FrontendState => channel.frontend_state().raw().into(),
        Stat::BackendState => channel.backend_state().raw().into(),
        Stat::RxBytes => load(&stats.rx_bytes),
        Stat::TxBytes => load(&stats.tx_bytes),
        Stat::Events => load(&stats.events),
        Stat::SpuriousEvents => load(&stats.spurious_events),
        Stat::Connects => load(&stats.connects),
    }
}

/// The channel a file was opened on.
///
/// # Safety
///
/// `file` must be a file this driver opened and has not yet released.
unsafe fn channel<'a>(file: *mut bindings::file) -> ArcBorrow<'a, Channel> {
    // SAFETY: `open` stored `Arc::into_raw` in `private_data`; `release` has not yet
    // taken it back, so the reference count is at least one.
    unsafe { ArcBorrow::from_raw((*file).private_data.cast()) }
}

fn nonblocking(file: *mut bindings::file) -> bool {
    // SAFETY: The VFS passes a live file.
    let flags = unsafe { (*file).f_flags };
    flags & bindings::O_NONBLOCK != 0
}

/// `open`: claims the single opener slot and takes a reference to the channel.
///
/// # Safety
///
/// Called by the VFS through `misc_open`, with `private_data` set to our `miscdevice`.
unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: misc_open stored our registered miscdevice in `private_data` and holds
    // misc_mtx, so misc_deregister (and the channel's release by the driver) waits.
    let channel = unsafe { Channel::from_misc((*file).private_data.cast()) };
    if let Err(e) = channel.try_open() {
        return e.to_errno();
    }
    // SAFETY: The channel is owned by an `Arc` (see `Channel::new`); taking a new
    // reference from a live one is sound.
    let arc: Arc<Channel> = unsafe { ArcBorrow::from_raw(channel) }.into();
    // SAFETY: `inode` and `file` are live; a channel is a stream, not seekable.
    unsafe { bindings::stream_open(inode, file) };
    // SAFETY: `file` is live and ours until release.
    unsafe { (*file).private_data = Arc::into_raw(arc).cast_mut().cast() };
    0
}

/// `release`: frees the opener slot and drops the file's reference.
///
/// # Safety
///
/// Called by the VFS once, last, on a file that `open` succeeded on.
unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `open` stored the reference; the VFS calls release once, last.
    let channel = unsafe { Arc::<Channel>::from_raw((*file).private_data.cast()) };
    channel.close();
    0
}

/// `read`: bytes from the backend.
///
/// # Safety
///
/// Called by the VFS on a file that `open` succeeded on; `buf` is a user pointer.
unsafe extern "C" fn read(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The VFS only reads from files we opened.
    let channel = unsafe { channel(file) };
    let mut out = UserSlice::new(UserPtr::from_ptr(buf.cast()), count).writer();
    match channel.read(&mut out, nonblocking(file)) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `write`: bytes to the backend.
///
/// # Safety
///
/// Called by the VFS on a file that `open` succeeded on; `buf` is a user pointer.
unsafe extern "C" fn write(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The VFS only writes to files we opened.
    let channel = unsafe { channel(file) };
    let mut input = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), count).reader();
    match channel.write(&mut input, nonblocking(file)) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `poll`: readiness of the channel.
///
/// # Safety
///
/// Called by the VFS on a file that `open` succeeded on.
unsafe extern "C" fn poll(
    file: *mut bindings::file,
    table: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: The VFS only polls files we opened.
    let channel = unsafe { channel(file) };
    // SAFETY: The wait queue lives in the channel, which this file keeps alive until
    // release, and release runs only after every poll entry is removed.
    unsafe { bindings::poll_wait(file, channel.waitq(), table) };
    let ready = channel.readiness();
    let mut mask: u32 = 0;
    if ready.readable {
        mask |= EPOLLIN | EPOLLRDNORM;
    }
    if ready.writable {
        mask |= EPOLLOUT | EPOLLWRNORM;
    }
    if ready.hang_up {
        mask |= EPOLLHUP;
    }
    if ready.error {
        mask |= EPOLLERR;
    }
    mask as bindings::__poll_t
}

/// `fasync`: (un)subscribes the file to SIGIO on data and state changes.
///
/// # Safety
///
/// Called by the VFS on a file that `open` succeeded on, at the latest from `__fput`
/// before `release`.
unsafe extern "C" fn fasync(fd: c_int, file: *mut bindings::file, on: c_int) -> c_int {
    // SAFETY: The VFS only calls this on files we opened.
    let channel = unsafe { channel(file) };
    // SAFETY: `file` is live; the list head lives in the channel, which outlives it.
    unsafe { bindings::fasync_helper(fd, file, on, channel.fasync_list()) }
}
