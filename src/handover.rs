// SPDX-License-Identifier: GPL-2.0

//! Decisions for moving a console between hvc_xen and this driver, with no `kernel`
//! dependency.
//!
//! hvc_xen (`CONFIG_HVC_XEN_FRONTEND=y` in distribution kernels) binds every
//! secondary console at boot. Its remove path frees the ring page without ending the
//! grant, so a console may only leave it once the backend has unmapped the page and
//! the grant is ended. The driver carries out the steps; this file decides them.

use crate::name;
use crate::state::XenbusState;

/// Whether a console bound to hvc_xen moves to this driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A valid, unclaimed name: take it over.
    TakeOver,
    /// No `name` node: a plain console, it stays a tty.
    Unnamed,
    /// An invalid name: it stays with hvc_xen, as the driver would refuse it.
    BadName(name::NameError),
    /// Another console already owns the name (its console devid).
    Duplicate(u32),
}

/// Decides whether a console bound to hvc_xen moves to this driver.
///
/// `holder` says which console, if any, already owns a name.
pub fn decide(name: Option<&[u8]>, holder: impl FnOnce(&[u8]) -> Option<u32>) -> Verdict {
    let Some(name) = name else {
        return Verdict::Unnamed;
    };
    if let Err(e) = name::validate(name) {
        return Verdict::BadName(e);
    }
    match holder(name) {
        Some(devid) => Verdict::Duplicate(devid),
        None => Verdict::TakeOver,
    }
}

/// Whether the backend has stopped using the ring: QEMU unmaps it before it reports
/// Closing, and a backend whose state node is gone (Unknown) has no device any more.
pub fn backend_closing(backend: XenbusState) -> bool {
    matches!(
        backend,
        XenbusState::Closing | XenbusState::Closed | XenbusState::Unknown
    )
}

/// Whether the backend has let go of the ring, so that its grant can be ended.
///
/// QEMU unmaps the ring before it reports Closing, but it only accepts a reset from
/// Closed, so the takeover waits for Closed. A backend whose state node is gone
/// (Unknown) has no device any more.
pub fn backend_released(backend: XenbusState) -> bool {
    matches!(backend, XenbusState::Closed | XenbusState::Unknown)
}

/// Parses a number as xenstore holds it (a `ring-ref` hvc_xen published with `"%d"`,
/// a console devid): plain decimal digits that fit a `u32`, nothing else.
pub fn parse_decimal(value: &[u8]) -> Option<u32> {
    if value.is_empty() || value.len() > 10 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    value.iter().try_fold(0u32, |n, &d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}
