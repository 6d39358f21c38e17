//! The state decisions (`pure::lifecycle`, `pure::xenbus`) over long sequences of
//! events, against models written from the documentation.
//!
//! Lifecycle: a channel that sees link events, bytes arriving and being read,
//! writers filling the transmit queue and the backend emptying it. Its state must
//! be the model's, stated another way than the code does: gone after a removal,
//! broken after a break (only a removal leaves it), unconnected until a first
//! connection, hung up while the last of Connected and Closed was Closed,
//! reconnecting while a link paused after the last connection, else connected.
//! Each operation must do what the table in Documentation/xen-channel.rst says,
//! poll must wake whoever an operation would not make wait, and the SIGIO bands
//! must follow poll's answer: an error band exactly when the error appears and then
//! no other band, no band without its poll bit, a band for every poll bit that
//! appears and for every arrival and freeing, none when nothing changed.
//!
//! Xenbus: a frontend driven through `on_backend_change` by any sequence of raw
//! backend states (out-of-range values included), with probe and restore in
//! between. Every decision must be one the backend state allows (Connect only for a
//! published ring, Publish only without one, Reset only for a closed backend, and
//! always Reset while one is granted, nothing for an unreadable state), a backend
//! state seen twice must change nothing the second time, a published frontend
//! always has a ring, and from every reachable state a cooperating backend leads to
//! Connected.

use crate::input::Input;
use crate::pure::lifecycle::{
    bands, read_op, readiness, sync_op, write_op, ChannelState, Failure, LinkEvent, ReadOp,
    Readiness, SyncOp, WriteOp,
};
use crate::pure::xenbus::{
    backend_closing, backend_released, on_backend_change, Action, XenbusState,
};

/// The lifecycle, stated as the documentation does.
#[derive(Default)]
struct Life {
    gone: bool,
    broken: bool,
    ever_connected: bool,
    last_closed: bool,
    paused: bool,
}

impl Life {
    fn event(&mut self, event: LinkEvent) {
        if self.gone {
            return;
        }
        match event {
            LinkEvent::Removed => self.gone = true,
            LinkEvent::Broke => self.broken = true,
            _ if self.broken => {}
            LinkEvent::Connected => {
                self.ever_connected = true;
                self.last_closed = false;
                self.paused = false;
            }
            LinkEvent::Closed => {
                self.last_closed = true;
                self.paused = false;
            }
            LinkEvent::Paused => self.paused = true,
        }
    }

    fn state(&self) -> ChannelState {
        if self.gone {
            ChannelState::Gone
        } else if self.broken {
            ChannelState::Broken
        } else if !self.ever_connected {
            ChannelState::Unconnected
        } else if self.last_closed {
            ChannelState::HungUp
        } else if self.paused {
            ChannelState::Reconnecting
        } else {
            ChannelState::Connected
        }
    }
}

/// One row of the documentation's table, for `queued` bytes, `room` and `unsent`.
fn table(
    state: ChannelState,
    queued: usize,
    room: usize,
    unsent: usize,
) -> (ReadOp, WriteOp, SyncOp, Readiness) {
    use ChannelState::*;
    let err = |f: Failure| {
        (
            ReadOp::Fail(f),
            WriteOp::Fail(f),
            SyncOp::Fail(f),
            Readiness {
                readable: false,
                writable: false,
                hang_up: true,
                error: true,
            },
        )
    };
    match state {
        Gone => err(Failure::NoDevice),
        Broken => err(Failure::Io),
        HungUp => (
            if queued > 0 {
                ReadOp::Data
            } else {
                ReadOp::Eof
            },
            WriteOp::Fail(Failure::Pipe),
            if unsent > 0 {
                SyncOp::Fail(Failure::Pipe)
            } else {
                SyncOp::Done
            },
            Readiness {
                readable: true,
                writable: false,
                hang_up: true,
                error: false,
            },
        ),
        Unconnected | Connected | Reconnecting => (
            if queued > 0 {
                ReadOp::Data
            } else {
                ReadOp::Wait
            },
            if room > 0 {
                WriteOp::Accept
            } else {
                WriteOp::Wait
            },
            if unsent > 0 {
                SyncOp::Wait
            } else {
                SyncOp::Done
            },
            Readiness {
                readable: queued > 0,
                writable: room > 0,
                hang_up: false,
                error: false,
            },
        ),
    }
}

fn check_bands(before: Readiness, after: Readiness, arrived: bool, freed: bool) {
    let b = bands(before, after, arrived, freed);
    // Formatted only if a check fails.
    let what = (before, after, arrived, freed, b);
    assert_eq!(
        b.any(),
        b.input || b.output || b.hang_up || b.error,
        "{what:?}"
    );
    assert_eq!(
        b.error,
        after.error && !before.error,
        "POLL_ERR when the error appears: {what:?}"
    );
    if after.error {
        assert!(
            !b.input && !b.output && !b.hang_up,
            "only POLL_ERR once broken: {what:?}"
        );
        return;
    }
    assert!(
        !b.input || after.readable,
        "POLL_IN without EPOLLIN: {what:?}"
    );
    assert!(
        !b.output || after.writable,
        "POLL_OUT without EPOLLOUT: {what:?}"
    );
    assert!(
        !b.hang_up || (after.hang_up && !before.hang_up),
        "POLL_HUP without a new hang-up: {what:?}"
    );
    assert!(
        !after.readable || before.readable || b.input,
        "EPOLLIN appeared without POLL_IN: {what:?}"
    );
    assert!(
        !after.writable || before.writable || b.output,
        "EPOLLOUT appeared without POLL_OUT: {what:?}"
    );
    assert!(
        !after.hang_up || before.hang_up || b.hang_up,
        "EPOLLHUP appeared without POLL_HUP: {what:?}"
    );
    assert!(
        !arrived || !after.readable || b.input,
        "an arrival without POLL_IN: {what:?}"
    );
    assert!(
        !freed || !after.writable || b.output,
        "room without POLL_OUT: {what:?}"
    );
    if before == after && !arrived && !freed {
        assert!(!b.any(), "a band although nothing changed: {what:?}");
    }
}

fn lifecycle(input: &mut Input<'_>) {
    let mut state = ChannelState::Unconnected;
    let mut model = Life::default();
    let (mut queued, mut room, mut unsent) = (0usize, 64usize, 0usize);
    let mut ops = 0;
    while !input.is_empty() && ops < 500 {
        ops += 1;
        let code = input.u8();
        let n = usize::from(input.u8());
        let before = readiness(state, queued, room);
        let (mut arrived, mut freed) = (false, false);
        match code % 9 {
            e @ 0..=4 => {
                let event = [
                    LinkEvent::Connected,
                    LinkEvent::Closed,
                    LinkEvent::Paused,
                    LinkEvent::Broke,
                    LinkEvent::Removed,
                ][usize::from(e)];
                let old = state;
                state = state.after(event);
                model.event(event);
                if matches!(old, ChannelState::Gone) {
                    assert_eq!(state, ChannelState::Gone, "gone is final");
                }
                if matches!(old, ChannelState::Broken) {
                    assert!(
                        state == old
                            || (event == LinkEvent::Removed && state == ChannelState::Gone),
                        "only a removal leaves broken"
                    );
                }
            }
            5 => {
                queued += n;
                arrived = n > 0;
            }
            6 => queued -= n.min(queued),
            7 => {
                let k = n.min(room);
                room -= k;
                unsent += k;
            }
            _ => {
                let k = n.min(unsent);
                unsent -= k;
                room += k;
                freed = k > 0;
            }
        }
        assert_eq!(state, model.state(), "the state after {ops} steps");
        let (r, w, s, p) = table(state, queued, room, unsent);
        assert_eq!(
            read_op(state, queued),
            r,
            "read in {state:?}, {queued} queued"
        );
        assert_eq!(write_op(state, room), w, "write in {state:?}, room {room}");
        assert_eq!(
            sync_op(state, unsent),
            s,
            "fsync in {state:?}, {unsent} unsent"
        );
        let after = readiness(state, queued, room);
        assert_eq!(after, p, "poll in {state:?}");
        // Whoever an operation would not make wait, poll wakes.
        assert!(read_op(state, queued) == ReadOp::Wait || after.readable || after.error);
        assert!(write_op(state, room) == WriteOp::Wait || after.writable || after.hang_up);
        assert!(!state.name().is_empty());
        check_bands(before, after, arrived, freed);
    }
}

/// The frontend state and ring an action leaves behind.
fn apply(action: Action, frontend: XenbusState, ring: bool) -> (XenbusState, bool) {
    match action {
        Action::Nothing => (frontend, ring),
        Action::Publish | Action::Republish => (XenbusState::Initialised, true),
        Action::Connect => (XenbusState::Connected, ring),
        Action::Close => (XenbusState::Closed, ring),
        Action::Reset => (XenbusState::Initialising, false),
    }
}

fn xenbus(input: &mut Input<'_>) {
    use XenbusState::*;
    let (mut frontend, mut ring) = (Initialising, false);
    let mut ops = 0;
    while !input.is_empty() && ops < 500 {
        ops += 1;
        let code = input.u8();
        let raw = match code {
            0..=199 => u32::from(code % 10),
            200..=239 => input.u32(),
            // Probe, or a restore: the driver starts over without a ring.
            240..=247 => {
                (frontend, ring) = (Initialising, false);
                continue;
            }
            // Bound to a backend an earlier driver left Closed.
            _ => {
                (frontend, ring) = (Closed, false);
                continue;
            }
        };
        let backend = XenbusState::from_raw(raw);
        match XenbusState::ALL.get(raw as usize) {
            Some(&s) => {
                assert_eq!(backend, s);
                assert_eq!(backend.raw(), raw);
            }
            None => assert_eq!(backend, Unknown, "out of range reads as Unknown"),
        }
        assert!(!backend.name().is_empty());
        assert!(!backend_released(backend) || backend_closing(backend));
        let action = on_backend_change(frontend, backend, ring);
        let what = (frontend, ring, backend, action);
        if backend == Unknown {
            assert_eq!(action, Action::Nothing, "{what:?}");
        }
        assert_eq!(
            action == Action::Connect,
            backend == Connected && frontend == Initialised,
            "{what:?}"
        );
        match action {
            Action::Publish => assert!(!ring && backend == InitWait, "{what:?}"),
            Action::Republish => assert!(ring && backend == InitWait, "{what:?}"),
            Action::Close => assert!(
                backend == Closing && matches!(frontend, Initialised | Connected),
                "{what:?}"
            ),
            Action::Reset => assert_eq!(backend, Closed, "{what:?}"),
            Action::Nothing | Action::Connect => {}
        }
        if backend == Closed && ring {
            assert_eq!(
                action,
                Action::Reset,
                "a closed backend's ring is ended: {what:?}"
            );
        }
        (frontend, ring) = apply(action, frontend, ring);
        assert_eq!(
            on_backend_change(frontend, backend, ring),
            Action::Nothing,
            "the same backend state twice: {what:?}"
        );
        if matches!(frontend, Initialised | Connected) {
            assert!(ring, "a published frontend without a ring: {what:?}");
        }
        // A cooperating backend gets it connected from here.
        let (mut f, mut r) = (frontend, ring);
        for b in [Closed, Initialising, InitWait, Connected] {
            (f, r) = apply(on_backend_change(f, b, r), f, r);
        }
        assert_eq!(
            (f, r),
            (Connected, true),
            "stuck from {frontend:?} ring {ring}"
        );
    }
}

/// Runs one input: the first half of the bytes drives a channel's lifecycle, the
/// second a xenbus frontend.
pub fn run(data: &[u8]) {
    let (a, b) = data.split_at(data.len() / 2);
    lifecycle(&mut Input::new(a));
    xenbus(&mut Input::new(b));
}
