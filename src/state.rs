// SPDX-License-Identifier: GPL-2.0

//! Xenbus state decisions for a channel frontend, with no `kernel` dependency.
//!
//! The values mirror `enum xenbus_state` (`include/xen/interface/io/xenbus.h`).
//! The driver feeds every backend state change through [`on_backend_change`] and
//! carries out the returned [`Action`]; keeping the decision here lets user-space
//! tests walk every pair of states.

/// `enum xenbus_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XenbusState {
    /// The node is missing or unreadable.
    Unknown = 0,
    /// Setting up.
    Initialising = 1,
    /// The backend waits for the frontend's details.
    InitWait = 2,
    /// The frontend has published `ring-ref` and `port`.
    Initialised = 3,
    /// Bytes flow.
    Connected = 4,
    /// Shutting down.
    Closing = 5,
    /// Shut down.
    Closed = 6,
    /// Not used by consoles.
    Reconfiguring = 7,
    /// Not used by consoles.
    Reconfigured = 8,
}

impl XenbusState {
    /// Every state, indexed by its raw value.
    pub const ALL: [XenbusState; 9] = [
        Self::Unknown,
        Self::Initialising,
        Self::InitWait,
        Self::Initialised,
        Self::Connected,
        Self::Closing,
        Self::Closed,
        Self::Reconfiguring,
        Self::Reconfigured,
    ];

    /// Converts the raw value; anything out of range reads as `Unknown`.
    pub fn from_raw(raw: u32) -> Self {
        usize::try_from(raw)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .unwrap_or(Self::Unknown)
    }

    /// The raw value for `xenbus_switch_state`.
    pub fn raw(self) -> u32 {
        self as u32
    }
}

/// What the frontend does after a backend state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing to do.
    Nothing,
    /// The backend waits for us: grant a ring, publish it and go Initialised.
    Publish,
    /// The backend maps the ring: go Connected and let bytes flow.
    Connect,
    /// The backend is closing: stop, wake everyone and go Closed. The ring stays
    /// granted until the backend has reached Closed.
    Close,
    /// The backend has closed: save what is still in the ring, end the grant, go
    /// Closed and then Initialising, so that an online backend starts over.
    Reset,
    /// The backend started over underneath a live link (restarted): save what is
    /// still in the ring, end the grant, then publish a new one.
    Republish,
}

/// Decides what a frontend in state `frontend` does when the backend enters `backend`.
///
/// `has_ring` says whether a ring is granted. The sequence with QEMU, seen in the
/// lab, is: backend InitWait -> Publish (frontend Initialised) -> backend Connected
/// -> Connect. A close goes backend Closing -> Close (frontend Closed) -> backend
/// Closed -> Reset (frontend Initialising) -> backend InitWait -> Publish.
pub fn on_backend_change(frontend: XenbusState, backend: XenbusState, has_ring: bool) -> Action {
    use XenbusState::*;
    match (backend, frontend) {
        // A restarted backend: the old one no longer maps our page.
        (InitWait, Connected) => Action::Republish,
        (InitWait, Initialising | Closed | Closing) if has_ring => Action::Republish,
        (InitWait, Initialising | Closed | Closing) => Action::Publish,
        (Connected, Initialised) => Action::Connect,
        (Closing, Initialised | Connected | InitWait | Unknown) => Action::Close,
        (Closed, Initialising) if !has_ring => Action::Nothing,
        (Closed, _) => Action::Reset,
        // The backend's node vanished: the device is going away; stop using it.
        (Unknown, Initialised | Connected) => Action::Close,
        _ => Action::Nothing,
    }
}
