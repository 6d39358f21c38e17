// SPDX-License-Identifier: GPL-2.0

//! What a channel's users see of its link to the backend: one state, and what
//! `read`, `write`, `poll`, `fsync` and SIGIO do in it, with no `kernel` dependency.
//!
//! The rule the table keeps: end of file and EPOLLHUP mean only that a backend
//! that was connected has closed. Before the first connection and while a link is
//! re-established (restore, a backend that started over), readers wait, writers
//! queue (or wait while the queue is full), and poll reports neither HUP nor IN.
//! Documentation/xen-channel.rst has the same table; a unit test checks that the
//! two agree.
//!
//! virtio_console differs on purpose: it returns end of file and EPOLLHUP whenever
//! the host side is not connected (`host_connected`), also before it ever was, so
//! an agent that trusts end of file gives up at boot; and it refuses writes
//! meanwhile, where a channel queues them.

/// The state of a channel, as its users see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChannelState {
    /// Not connected since the device was bound (probe, rebind, takeover, or the
    /// driver's own reset of the backend).
    Unconnected,
    /// The backend is connected: bytes flow.
    Connected,
    /// A connected link ended without a hang-up (the domain was restored, or
    /// the backend started over); a new one is being set up.
    Reconnecting,
    /// The backend closed after it was connected: readers drain, then see end
    /// of file; writers get -EPIPE. Ends when a backend connects again.
    HungUp,
    /// The backend broke the ring protocol: the channel is stopped until the
    /// device is bound again.
    Broken,
    /// The device was removed.
    Gone,
}

/// Something that happened to the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkEvent {
    /// The backend reached Connected on a ring the driver published.
    Connected,
    /// The backend is closing or closed.
    Closed,
    /// The ring ended without the backend closing: restore, or a backend that
    /// started over underneath a live link.
    Paused,
    /// The backend published impossible ring indices or the driver gave up on it.
    Broke,
    /// The device is being removed.
    Removed,
}

impl ChannelState {
    /// Every state, in table order.
    #[cfg(test)]
    pub(crate) const ALL: [ChannelState; 6] = [
        Self::Unconnected,
        Self::Connected,
        Self::Reconnecting,
        Self::HungUp,
        Self::Broken,
        Self::Gone,
    ];

    /// The state after `event`. Broken and Gone are final; a closing backend is a
    /// hang-up only for a channel that was connected.
    pub(crate) fn after(self, event: LinkEvent) -> Self {
        use ChannelState::*;
        match (self, event) {
            (Gone, _) => Gone,
            (_, LinkEvent::Removed) => Gone,
            (Broken, _) => Broken,
            (_, LinkEvent::Broke) => Broken,
            (_, LinkEvent::Connected) => Connected,
            (Connected | Reconnecting | HungUp, LinkEvent::Closed) => HungUp,
            (Unconnected, LinkEvent::Closed) => Unconnected,
            (Connected | Reconnecting, LinkEvent::Paused) => Reconnecting,
            (Unconnected | HungUp, LinkEvent::Paused) => self,
        }
    }

    /// The name used in sysfs and the log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Unconnected => "unconnected",
            Self::Connected => "connected",
            Self::Reconnecting => "reconnecting",
            Self::HungUp => "hung-up",
            Self::Broken => "broken",
            Self::Gone => "gone",
        }
    }
}

/// An error a channel operation fails with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// -ENODEV: the device was removed.
    NoDevice,
    /// -EIO: the backend broke the ring protocol.
    Io,
    /// -EPIPE: the backend hung up.
    Pipe,
}

/// What a `read` does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadOp {
    /// Returns queued bytes.
    Data,
    /// Returns 0: end of file.
    Eof,
    /// Sleeps until something changes (-EAGAIN with O_NONBLOCK).
    Wait,
    /// Fails.
    Fail(Failure),
}

/// What a `write` does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WriteOp {
    /// Queues what fits and returns its size.
    Accept,
    /// Sleeps until the queue has room (-EAGAIN with O_NONBLOCK).
    Wait,
    /// Fails.
    Fail(Failure),
}

/// What `fsync` does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyncOp {
    /// Returns 0: every accepted byte was consumed by the backend.
    Done,
    /// Sleeps until the backend has consumed what is queued.
    Wait,
    /// Fails.
    Fail(Failure),
}

/// The error a broken or removed channel fails every operation with.
fn failure(state: ChannelState) -> Option<Failure> {
    match state {
        ChannelState::Gone => Some(Failure::NoDevice),
        ChannelState::Broken => Some(Failure::Io),
        _ => None,
    }
}

/// What a read does in `state` with `queued` bytes received and not yet read.
pub(crate) fn read_op(state: ChannelState, queued: usize) -> ReadOp {
    if let Some(f) = failure(state) {
        ReadOp::Fail(f)
    } else if queued > 0 {
        ReadOp::Data
    } else if state == ChannelState::HungUp {
        ReadOp::Eof
    } else {
        ReadOp::Wait
    }
}

/// What a write does in `state` with `room` bytes free in the transmit queue.
pub(crate) fn write_op(state: ChannelState, room: usize) -> WriteOp {
    if let Some(f) = failure(state) {
        WriteOp::Fail(f)
    } else if state == ChannelState::HungUp {
        WriteOp::Fail(Failure::Pipe)
    } else if room > 0 {
        WriteOp::Accept
    } else {
        WriteOp::Wait
    }
}

/// What fsync does in `state` with `unsent` accepted bytes not yet consumed.
pub(crate) fn sync_op(state: ChannelState, unsent: usize) -> SyncOp {
    if let Some(f) = failure(state) {
        SyncOp::Fail(f)
    } else if unsent == 0 {
        SyncOp::Done
    } else if state == ChannelState::HungUp {
        SyncOp::Fail(Failure::Pipe)
    } else {
        SyncOp::Wait
    }
}

/// What poll reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Readiness {
    /// EPOLLIN: a read would not wait (bytes, end of file, or an error).
    pub(crate) readable: bool,
    /// EPOLLOUT: a write would not wait.
    pub(crate) writable: bool,
    /// EPOLLHUP: the backend hung up, or the channel is broken or gone.
    pub(crate) hang_up: bool,
    /// EPOLLERR: the channel is broken or gone.
    pub(crate) error: bool,
}

/// What poll reports in `state` with `queued` bytes to read and `room` bytes free
/// for writing.
pub(crate) fn readiness(state: ChannelState, queued: usize, room: usize) -> Readiness {
    match state {
        ChannelState::Broken | ChannelState::Gone => Readiness {
            readable: false,
            writable: false,
            hang_up: true,
            error: true,
        },
        ChannelState::HungUp => Readiness {
            readable: true,
            writable: false,
            hang_up: true,
            error: false,
        },
        ChannelState::Unconnected | ChannelState::Connected | ChannelState::Reconnecting => {
            Readiness {
                readable: queued > 0,
                writable: room > 0,
                hang_up: false,
                error: false,
            }
        }
    }
}

/// SIGIO bands (`POLL_IN`, `POLL_OUT`, `POLL_HUP`, `POLL_ERR` of `si_band`'s
/// source) owed after a change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bands {
    /// POLL_IN: bytes arrived, or end of file became readable.
    pub(crate) input: bool,
    /// POLL_OUT: room for writers appeared.
    pub(crate) output: bool,
    /// POLL_HUP: the backend hung up.
    pub(crate) hang_up: bool,
    /// POLL_ERR: the channel broke or went away.
    pub(crate) error: bool,
}

impl Bands {
    /// Whether any signal is owed.
    pub(crate) fn any(&self) -> bool {
        self.input || self.output || self.hang_up || self.error
    }
}

/// The SIGIO bands owed when poll's answer goes from `before` to `after`, with
/// `arrived` set when new bytes were received and `freed` when writers got room:
/// a band for each bit that became set, and POLL_IN / POLL_OUT for every arrival
/// and every freeing, as a tty sends them.
pub(crate) fn bands(before: Readiness, after: Readiness, arrived: bool, freed: bool) -> Bands {
    Bands {
        input: (after.readable && (arrived || !before.readable)) && !after.error,
        output: (after.writable && (freed || !before.writable)) && !after.error,
        hang_up: after.hang_up && !before.hang_up && !after.error,
        error: after.error && !before.error,
    }
}
