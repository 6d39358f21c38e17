// SPDX-License-Identifier: GPL-2.0

//! Decisions for moving a console between hvc_xen and this driver, with no `kernel`
//! dependency.
//!
//! hvc_xen (`CONFIG_HVC_XEN_FRONTEND=y` in distribution kernels) binds every
//! secondary console at boot. Its remove path frees the ring page without ending the
//! grant, so a console may only leave it once the backend has unmapped the page and
//! the grant is ended. The driver carries out the steps; this file decides them.

use crate::pure::name;

/// Whether a console bound to hvc_xen moves to this driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
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
pub(crate) fn decide(name: Option<&[u8]>, holder: impl FnOnce(&[u8]) -> Option<u32>) -> Verdict {
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
