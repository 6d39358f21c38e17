// SPDX-License-Identifier: GPL-2.0

//! xenstore access by path, for consoles that have no device on the bus and for
//! reading a bound device's nodes.

use crate::ffi;
use crate::pure::xenbus::XenbusState;
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    ffi::c_uint,
    prelude::*,
    str::{CStr, CStrExt, CString},
};

/// Reads `dir/node`; `Ok(None)` if it does not exist.
///
/// # Errors
///
/// The xenstore error, or ENOMEM.
pub(crate) fn read(dir: &CStr, node: &CStr) -> Result<Option<KVec<u8>>> {
    let mut len: c_uint = 0;
    // SAFETY: `dir` and `node` are NUL-terminated; `len` is valid for writes.
    let ptr =
        unsafe { ffi::xen_channel_store_read(dir.as_char_ptr(), node.as_char_ptr(), &mut len) };
    let ptr = match from_err_ptr(ptr) {
        Ok(ptr) => ptr.cast::<u8>(),
        Err(e) if e == ENOENT => return Ok(None),
        Err(e) => return Err(e),
    };
    // SAFETY: On success xenbus_read returns a kmalloc'd buffer of `len` bytes
    // (plus a NUL) that we own.
    let bytes = unsafe { core::slice::from_raw_parts(ptr, len as usize) };
    let mut value = KVec::new();
    let copied = value.extend_from_slice(bytes, GFP_KERNEL);
    // SAFETY: `ptr` was allocated by kmalloc in xenbus_read and is not used again.
    unsafe { bindings::kfree(ptr.cast()) };
    copied?;
    Ok(Some(value))
}

/// Reads `dir/node` as the path of another directory (a `backend` node).
///
/// # Errors
///
/// As [`read`]; EINVAL if the value holds a NUL.
pub(crate) fn read_path(dir: &CStr, node: &CStr) -> Result<Option<CString>> {
    let Some(mut path) = read(dir, node)? else {
        return Ok(None);
    };
    path.push(0, GFP_KERNEL)?;
    let path = CStr::from_bytes_with_nul(&path).map_err(|_| EINVAL)?;
    Ok(Some(CString::try_from(path)?))
}

/// The entries of directory `dir`.
///
/// # Errors
///
/// The xenstore error, or ENOMEM.
pub(crate) fn directory(dir: &CStr) -> Result<KVec<KVec<u8>>> {
    let mut num: c_uint = 0;
    // SAFETY: `dir` is NUL-terminated; `num` is valid for writes.
    let list =
        from_err_ptr(unsafe { ffi::xen_channel_store_directory(dir.as_char_ptr(), &mut num) })?;
    let mut entries = KVec::new();
    let mut copied = Ok(());
    for i in 0..num as usize {
        // SAFETY: xenbus_directory returns `num` NUL-terminated strings, in the one
        // kmalloc'd block that `list` points to.
        let entry = unsafe { CStr::from_char_ptr(*list.add(i)) };
        let mut name = KVec::new();
        copied = name
            .extend_from_slice(entry.to_bytes(), GFP_KERNEL)
            .and_then(|()| entries.push(name, GFP_KERNEL));
        if copied.is_err() {
            break;
        }
    }
    // SAFETY: The block was allocated by kmalloc in xenbus_directory and is not
    // used again.
    unsafe { bindings::kfree(list.cast()) };
    copied?;
    Ok(entries)
}

/// Writes the xenbus state `state` to `dir/state`.
///
/// # Errors
///
/// The xenstore error.
pub(crate) fn write_state(dir: &CStr, state: XenbusState) -> Result {
    // SAFETY: `dir` is NUL-terminated.
    to_result(unsafe { ffi::xen_channel_store_write_state(dir.as_char_ptr(), state.raw()) })
}

/// Removes `dir/node`, if it exists.
pub(crate) fn remove(dir: &CStr, node: &CStr) {
    // SAFETY: The strings are NUL-terminated; a missing node is not an error here.
    unsafe { ffi::xen_channel_store_remove(dir.as_char_ptr(), node.as_char_ptr()) };
}

/// The state of the xenbus end whose directory is `dir`.
pub(crate) fn state_at(dir: &CStr) -> XenbusState {
    // SAFETY: `dir` is NUL-terminated.
    XenbusState::from_raw(unsafe { ffi::xen_channel_store_state(dir.as_char_ptr()) })
}
