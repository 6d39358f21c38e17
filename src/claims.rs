// SPDX-License-Identifier: GPL-2.0

//! Channel names in use: two consoles with the same name cannot both own
//! `/dev/xen-channel/<name>`, so the second one is not exposed.

use kernel::{prelude::*, str::CString, sync::global_lock};

/// A name held by console `devid`.
struct Entry {
    devid: u32,
    name: CString,
}

global_lock! {
    // SAFETY: Initialised in `init`, called from the module initialiser before the
    // driver is registered, which is before any other use.
    unsafe(uninit) static CLAIMS: Mutex<KVec<Entry>> = KVec::new();
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

/// A claim being made: released on drop unless [`Claim::keep`] is called.
pub(crate) struct Claim {
    devid: u32,
    name: Option<CString>,
}

impl Claim {
    /// Keeps the claim until [`release`].
    pub(crate) fn keep(mut self) {
        self.name = None;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            release(self.devid, &name);
        }
    }
}

/// Why a name could not be claimed.
pub(crate) enum ClaimError {
    /// Console `by` holds the name.
    Taken { by: u32 },
    /// No memory for the table entry.
    NoMemory,
}

/// Claims `name` for console `devid`.
///
/// # Errors
///
/// [`ClaimError::Taken`] with the console holding it, or
/// [`ClaimError::NoMemory`]; nothing is claimed then.
pub(crate) fn claim(devid: u32, name: &CStr) -> core::result::Result<Claim, ClaimError> {
    // Both copies first: a failure after the push would leave the name claimed
    // with no `Claim` to release it.
    let (entry, kept) = (CString::try_from(name), CString::try_from(name));
    let (Ok(entry), Ok(kept)) = (entry, kept) else {
        return Err(ClaimError::NoMemory);
    };
    let mut claims = CLAIMS.lock();
    if let Some(other) = claims.iter().find(|c| c.name.to_bytes() == name.to_bytes()) {
        return Err(ClaimError::Taken { by: other.devid });
    }
    claims
        .push(Entry { devid, name: entry }, GFP_KERNEL)
        .map_err(|_| ClaimError::NoMemory)?;
    Ok(Claim {
        devid,
        name: Some(kept),
    })
}

/// The console that holds `name`, if any.
pub(crate) fn holder(name: &[u8]) -> Option<u32> {
    CLAIMS
        .lock()
        .iter()
        .find(|c| c.name.to_bytes() == name)
        .map(|c| c.devid)
}

/// Releases `name` if console `devid` holds it.
pub(crate) fn release(devid: u32, name: &CStr) {
    CLAIMS
        .lock()
        .retain(|c| !(c.devid == devid && c.name.to_bytes() == name.to_bytes()));
}
