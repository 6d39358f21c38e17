// SPDX-License-Identifier: GPL-2.0

//! Decisions for moving a console between hvc_xen and this driver, with no `kernel`
//! dependency.
//!
//! hvc_xen (`CONFIG_HVC_XEN_FRONTEND=y` in distribution kernels) binds every
//! secondary console at boot. Its remove path frees the ring page without ending the
//! grant, so a console may only leave it once the backend has unmapped the page and
//! the grant is ended. The driver carries out the steps; this file decides them.

use crate::pure::name;
use crate::pure::xenbus::{backend_closing, backend_released, XenbusState};

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

/// The next step while the takeover waits for the backend to let go of a console
/// whose frontend it switched to Closing under hvc_xen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseStep {
    /// The backend is Closed (or gone): the grant can be ended.
    Released,
    /// The close is under way, or not ours to repeat: poll again.
    Wait,
    /// hvc_xen wrote its own state over our Closing and the backend has not seen a
    /// close: write Closing again.
    CloseAgain,
}

/// Decides the takeover's next step from the frontend and backend states read now.
///
/// hvc_xen answers a backend that reaches Connected by switching the frontend to
/// Connected. When the backend connects just before the takeover writes Closing
/// (a console hot-plugged while the module is loaded), hvc_xen's write can land
/// after ours; a backend that reads the state only then sees Connected and never
/// closes. Initialised and Connected are the states hvc_xen writes; anything
/// else (a frontend reset or removed under us) is left to xenbus.
pub(crate) fn close_step(frontend: XenbusState, backend: XenbusState) -> CloseStep {
    use XenbusState::{Connected, Initialised};
    if backend_released(backend) {
        CloseStep::Released
    } else if matches!(frontend, Initialised | Connected) && !backend_closing(backend) {
        CloseStep::CloseAgain
    } else {
        CloseStep::Wait
    }
}
