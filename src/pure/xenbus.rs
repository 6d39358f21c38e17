// SPDX-License-Identifier: GPL-2.0

//! Xenbus state decisions for a channel frontend, with no `kernel` dependency.
//!
//! The values mirror `enum xenbus_state` (`include/xen/interface/io/xenbus.h`).
//! The driver feeds every backend state change through [`on_backend_change`] and
//! carries out the returned [`Action`]; keeping the decision here lets user-space
//! tests walk every pair of states.

/// `enum xenbus_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XenbusState {
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
    pub(crate) const ALL: [XenbusState; 9] = [
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
    pub(crate) fn from_raw(raw: u32) -> Self {
        usize::try_from(raw)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .unwrap_or(Self::Unknown)
    }

    /// The raw value for `xenbus_switch_state`.
    pub(crate) fn raw(self) -> u32 {
        self as u32
    }

    /// The name `xenbus_strstate` gives the state.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Unknown => "Unknown",
            Self::Initialising => "Initialising",
            Self::InitWait => "InitWait",
            Self::Initialised => "Initialised",
            Self::Connected => "Connected",
            Self::Closing => "Closing",
            Self::Closed => "Closed",
            Self::Reconfiguring => "Reconfiguring",
            Self::Reconfigured => "Reconfigured",
        }
    }
}

/// What the frontend does after a backend state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
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
    /// The backend started over underneath a live link (a new backend was
    /// plugged): save what is still in the ring, end it, then publish a new one.
    Republish,
}

/// Decides what a frontend in state `frontend` does when the backend enters `backend`.
///
/// `has_ring` says whether a ring is granted. The sequence with QEMU's
/// xen_console is: backend InitWait -> Publish (frontend Initialised) -> backend Connected
/// -> Connect. A close goes backend Closing -> Close (frontend Closed) -> backend
/// Closed -> Reset (frontend Initialising) -> backend InitWait -> Publish.
///
/// A backend state that cannot be read (Unknown: the node vanished or holds
/// garbage) changes nothing: removal comes through the device's own removal, and a
/// transient read error after a restore must not look like a hang-up.
pub(crate) fn on_backend_change(
    frontend: XenbusState,
    backend: XenbusState,
    has_ring: bool,
) -> Action {
    use XenbusState::*;
    match (backend, frontend) {
        (InitWait, Connected) => Action::Republish,
        (InitWait, Initialising | Closed | Closing) if has_ring => Action::Republish,
        (InitWait, Initialising | Closed | Closing) => Action::Publish,
        (Connected, Initialised) => Action::Connect,
        (Closing, Initialised | Connected) => Action::Close,
        (Closed, Initialising) if !has_ring => Action::Nothing,
        (Closed, _) => Action::Reset,
        _ => Action::Nothing,
    }
}

/// Whether the backend has stopped using the ring: QEMU unmaps it before it reports
/// Closing, and a backend whose state node is gone (Unknown) has no device any more.
pub(crate) fn backend_closing(backend: XenbusState) -> bool {
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
pub(crate) fn backend_released(backend: XenbusState) -> bool {
    matches!(backend, XenbusState::Closed | XenbusState::Unknown)
}
