// SPDX-License-Identifier: GPL-2.0

//! Channel names in use: two consoles with the same name cannot both own
//! `/dev/xen-channel/<name>`, so the second one is not exposed.

use kernel::{prelude::*, str::CString, sync::global_lock};

/// A name held by console `devid`.
struct Claim {
    devid: u32,
    name: CString,
}

global_lock! {
    // SAFETY: Initialised in `init`, called from the module initialiser before the
    // driver is registered, which is before any other use.
    unsafe(uninit) static CLAIMS: Mutex<KVec<Claim>> = KVec::new();
}

/// Initialises the table.
///
/// # Safety
///
/// Must be called once, before any other function of this file.
pub(crate) unsafe fn init() {
    // SAFETY: Called once, first, per this function's contract.
    unsafe { CLAIMS.init() };
}

/// Claims `name` for console `devid`; on a clash, returns the devid holding it.
pub(crate) fn claim(devid: u32, name: &CStr) -> Result<core::result::Result<(), u32>> {
    let mut claims = CLAIMS.lock();
    if let Some(other) = claims.iter().find(|c| c.name.to_bytes() == name.to_bytes()) {
        return Ok(Err(other.devid));
    }
    claims.push(
        Claim {
            devid,
            name: CString::try_from(name)?,
        },
        GFP_KERNEL,
    )?;
    Ok(Ok(()))
}

/// The console that holds `name`, if any.
pub(crate) fn holder(name: &[u8]) -> Option<u32> {
    CLAIMS
        .lock()
        .iter()
        .find(|c| c.name.to_bytes() == name)
        .map(|c| c.devid)
}

/// Releases whatever console `devid` holds.
pub(crate) fn release(devid: u32) {
    CLAIMS.lock().retain(|c| c.devid != devid);
}
