// SPDX-License-Identifier: GPL-2.0

//! `/dev/xen-channel/<name>`: the device node, its `file_operations` and its sysfs
//! attributes.
//!
//! The kernel's `MiscDevice` trait has no poll, fsync or fasync, does not set
//! `fops.owner` and cannot name the node, so, like Rust Binder, this file builds
//! the `file_operations` table itself. `misc_open` leaves the `struct miscdevice`
//! in `file->private_data`; `open` swaps it for a counted reference to the
//! channel, dropped in `release`. One file at a time holds a channel, and a
//! kernel client (`client.rs`) counts as one.

use crate::channel::{Channel, Holder};
use crate::ffi;
use crate::xen::xenbus::XenbusDevice;
use core::fmt::Write;
use core::sync::atomic::Ordering;
use kernel::{
    bindings,
    ffi::{c_char, c_int},
    fs::{file, File},
    prelude::*,
    str::{CStr, CStrExt, CString, Formatter},
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
struct AssertSync<T>(T);
// SAFETY: Only holds C tables of function and module pointers, never mutated.
unsafe impl<T> Sync for AssertSync<T> {}

/// The channel device's file operations.
static FOPS: AssertSync<bindings::file_operations> = AssertSync(bindings::file_operations {
    // Unloading the module while a file is open is refused.
    owner: crate::THIS_MODULE.as_ptr(),
    open: Some(open),
    release: Some(release),
    read: Some(read),
    write: Some(write),
    poll: Some(poll),
    fsync: Some(fsync),
    fasync: Some(fasync),
    ..pin_init::zeroed()
});

/// A registered device node; dropping it removes the node (open files stay).
///
/// # Invariants
///
/// `misc` is the registered `struct miscdevice` of a channel that outlives the
/// value (the driver keeps both together, dropping the node first); `path` is
/// its node name.
pub(crate) struct Node {
    misc: *mut bindings::miscdevice,
    _path: CString,
}

// SAFETY: misc_deregister may be called from any thread.
unsafe impl Send for Node {}
// SAFETY: `Node` has no methods that use `misc` through `&self`.
unsafe impl Sync for Node {}

impl Node {
    /// Registers `/dev/xen-channel/<name>` for `channel`, a child of `parent`,
    /// mode 0600, with its sysfs attributes present at the ADD uevent.
    ///
    /// # Errors
    ///
    /// ENOMEM, or misc_register's error (EBUSY when no minor is left).
    ///
    /// # Safety
    ///
    /// `channel` must outlive the returned value, and get no other node.
    pub(crate) unsafe fn register(channel: &Channel, parent: &XenbusDevice) -> Result<Self> {
        let path = CString::try_from_fmt(fmt!("xen-channel/{}", channel.display_name()))?;
        let misc = channel.misc_raw();
        // SAFETY: `misc` is the channel's zeroed, unregistered miscdevice (a channel
        // gets one node), so we may fill it in; the strings outlive the
        // registration (the name in the channel, the path in the value).
        unsafe {
            (*misc).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
            (*misc).name = channel.misc_name().as_char_ptr();
            (*misc).nodename = path.as_char_ptr();
            (*misc).fops = &FOPS.0;
            (*misc).mode = 0o600;
            (*misc).parent = parent.device();
            (*misc).groups = ffi::xen_channel_attr_groups();
        }
        // SAFETY: `misc` is fully initialised and pinned inside the channel.
        kernel::error::to_result(unsafe { bindings::misc_register(misc) })?;
        // INVARIANT: registered above; the caller keeps the channel alive.
        Ok(Self { misc, _path: path })
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // SAFETY: Registered in `register`, deregistered once, here. misc_deregister
        // takes misc_mtx, which `open` runs under, so no open is in progress after.
        unsafe { bindings::misc_deregister(self.misc) };
    }
}

/// sysfs attributes of the node, by name, for `helpers.c`.
///
/// # Safety
///
/// `misc` must be the registered misc device of a channel; `attr` a
/// NUL-terminated name; `buf` a sysfs page.
#[no_mangle]
unsafe extern "C" fn xen_channel_attr_show(
    misc: *mut bindings::miscdevice,
    attr: *const c_char,
    buf: *mut c_char,
) -> isize {
    // SAFETY: A registered misc device belongs to a live channel (per the caller),
    // and sysfs removes the attributes before the node goes.
    let channel = unsafe { Channel::from_misc(misc) };
    // SAFETY: The caller passes a NUL-terminated attribute name.
    let attr = unsafe { CStr::from_char_ptr(attr) };
    // SAFETY: sysfs passes a buffer of one page.
    let page = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), bindings::PAGE_SIZE) };
    let mut f = Formatter::new(page);
    let stats = &channel.stats;
    let load = |counter: &core::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let (frontend, backend) = channel.xenbus_states();
    let (rx_queued, tx_queued) = channel.queued();
    let written = match attr.to_bytes() {
        b"name" => writeln!(f, "{}", channel.display_name()),
        b"devid" => writeln!(f, "{}", channel.devid()),
        b"state" => writeln!(f, "{}", channel.state().name()),
        b"frontend_state" => writeln!(f, "{}", frontend.name()),
        b"backend_state" => writeln!(f, "{}", backend.name()),
        b"rx_bytes" => writeln!(f, "{}", load(&stats.rx_bytes)),
        b"tx_bytes" => writeln!(f, "{}", load(&stats.tx_bytes)),
        b"rx_queued" => writeln!(f, "{rx_queued}"),
        b"tx_queued" => writeln!(f, "{tx_queued}"),
        b"events" => writeln!(f, "{}", load(&stats.events)),
        b"spurious_events" => writeln!(f, "{}", load(&stats.spurious_events)),
        b"connects" => writeln!(f, "{}", load(&stats.connects)),
        _ => return EINVAL.to_errno() as isize,
    };
    match written {
        Ok(()) => f.bytes_written() as isize,
        Err(_) => EINVAL.to_errno() as isize,
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

/// Whether the file was opened or set O_NONBLOCK.
///
/// # Safety
///
/// `file` must be a live file.
unsafe fn nonblocking(file: *mut bindings::file) -> bool {
    // SAFETY: The caller passes a live file.
    unsafe { File::from_raw_file(file) }.flags() & file::flags::O_NONBLOCK != 0
}

/// `open`: takes the channel for this file and a reference to it.
///
/// # Safety
///
/// Called by the VFS through `misc_open`, with `private_data` set to our `miscdevice`.
unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: misc_open stored our registered miscdevice in `private_data` and holds
    // misc_mtx, so misc_deregister (and the channel's release by the driver) waits.
    let channel = unsafe { Channel::from_misc((*file).private_data.cast()) };
    if let Err(e) = channel.acquire(Holder::File) {
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

/// `release`: gives the channel back and drops the file's reference. Bytes the
/// file wrote stay queued and reach the backend.
///
/// # Safety
///
/// Called by the VFS once, last, on a file that `open` succeeded on.
unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `open` stored the reference; the VFS calls release once, last.
    let channel = unsafe { Arc::<Channel>::from_raw((*file).private_data.cast()) };
    channel.release(Holder::File);
    crate::client::file_released(&channel);
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
    // SAFETY: The VFS passes a live file.
    match channel.read(&mut out, unsafe { nonblocking(file) }) {
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
    // SAFETY: The VFS passes a live file.
    match channel.write(&mut input, unsafe { nonblocking(file) }) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `fsync`: waits until the backend consumed what was written.
///
/// # Safety
///
/// Called by the VFS on a file that `open` succeeded on.
unsafe extern "C" fn fsync(
    file: *mut bindings::file,
    _start: bindings::loff_t,
    _end: bindings::loff_t,
    _datasync: c_int,
) -> c_int {
    // SAFETY: The VFS only syncs files we opened.
    let channel = unsafe { channel(file) };
    match channel.sync() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
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
    unsafe { bindings::poll_wait(file, channel.waiters().queue(), table) };
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

/// `fasync`: (un)subscribes the file to SIGIO.
///
/// # Safety
///
/// Called by the VFS on a file that `open` succeeded on, at the latest from `__fput`
/// before `release`.
unsafe extern "C" fn fasync(fd: c_int, file: *mut bindings::file, on: c_int) -> c_int {
    // SAFETY: The VFS only calls this on files we opened.
    let channel = unsafe { channel(file) };
    // SAFETY: `file` is live; the list head lives in the channel, which outlives it.
    unsafe { bindings::fasync_helper(fd, file, on, channel.waiters().fasync_list()) }
}
