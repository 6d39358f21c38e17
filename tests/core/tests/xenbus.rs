//! Xenbus state decisions, walked through the sequences the lab sees with QEMU
//! and checked over every combination.

use crate::pure::xenbus::{
    backend_closing, backend_released, on_backend_change, Action, XenbusState,
};
use Action::*;
use XenbusState::*;

const ALL: [XenbusState; 9] = XenbusState::ALL;

#[test]
fn raw_values_round_trip_and_match_xenbus_h() {
    for (raw, state) in ALL.iter().enumerate() {
        assert_eq!(state.raw(), raw as u32);
        assert_eq!(XenbusState::from_raw(raw as u32), *state);
    }
    assert_eq!(XenbusState::from_raw(9), Unknown);
    assert_eq!(XenbusState::from_raw(u32::MAX), Unknown);
    assert_eq!(Initialising.name(), "Initialising");
    assert_eq!(Closed.name(), "Closed");
}

/// The frontend state each action leaves behind, and whether a ring is granted.
fn apply(action: Action, frontend: XenbusState, ring: bool) -> (XenbusState, bool) {
    match action {
        Nothing => (frontend, ring),
        Publish | Republish => (Initialised, true),
        Connect => (Connected, ring),
        Close => (Closed, ring),
        Reset => (Initialising, false),
    }
}

/// Feeds a backend state sequence, returning the actions taken.
fn run(mut frontend: XenbusState, mut ring: bool, backend: &[XenbusState]) -> Vec<Action> {
    let mut actions = Vec::new();
    for &b in backend {
        let a = on_backend_change(frontend, b, ring);
        (frontend, ring) = apply(a, frontend, ring);
        actions.push(a);
    }
    actions
}

#[test]
fn first_connection() {
    assert_eq!(
        run(Initialising, false, &[InitWait, Connected]),
        [Publish, Connect]
    );
    // QEMU not ready yet at probe: it passes through Initialising first.
    assert_eq!(
        run(Initialising, false, &[Initialising, InitWait, Connected]),
        [Nothing, Publish, Connect]
    );
    // The watch fires again with the state we already acted on.
    assert_eq!(
        run(Initialised, true, &[InitWait, Connected, Connected]),
        [Nothing, Connect, Nothing]
    );
}

#[test]
fn backend_close_and_reconnect() {
    assert_eq!(
        run(
            Connected,
            true,
            &[Closing, Closed, Initialising, InitWait, Connected]
        ),
        [Close, Reset, Nothing, Publish, Connect]
    );
    // Closed without Closing first.
    assert_eq!(
        run(Connected, true, &[Closed, InitWait, Connected]),
        [Reset, Publish, Connect]
    );
}

#[test]
fn bound_after_an_earlier_driver_left_the_backend_closed() {
    assert_eq!(
        run(Closed, false, &[Closed, Initialising, InitWait, Connected]),
        [Reset, Nothing, Publish, Connect]
    );
}

#[test]
fn backend_restarted_underneath_a_live_link() {
    assert_eq!(
        run(Connected, true, &[InitWait, Connected]),
        [Republish, Connect]
    );
}

#[test]
fn an_unreadable_backend_state_changes_nothing() {
    // The stale watch event xenbus fires again after a restore, a transient read
    // error, or garbage in the node: none of them is a hang-up.
    for frontend in ALL {
        for ring in [false, true] {
            assert_eq!(
                on_backend_change(frontend, Unknown, ring),
                Nothing,
                "{frontend:?}"
            );
        }
    }
}

#[test]
fn connect_only_after_publishing() {
    for frontend in ALL {
        for ring in [false, true] {
            let a = on_backend_change(frontend, Connected, ring);
            assert_eq!(a == Connect, frontend == Initialised, "{frontend:?}");
            assert!(matches!(a, Connect | Nothing));
        }
    }
}

#[test]
fn a_ring_is_never_granted_twice() {
    // Publish allocates a ring; with one already granted, Republish ends it first.
    for frontend in ALL {
        for backend in ALL {
            assert_ne!(
                on_backend_change(frontend, backend, true),
                Publish,
                "{frontend:?} {backend:?}"
            );
        }
    }
}

#[test]
fn every_path_reaches_connected_when_the_backend_cooperates() {
    for frontend in ALL {
        for ring in [false, true] {
            let mut f = frontend;
            let mut r = ring;
            for b in [Closed, Initialising, InitWait, Connected] {
                let a = on_backend_change(f, b, r);
                (f, r) = apply(a, f, r);
            }
            assert_eq!((f, r), (Connected, true), "from {frontend:?} ring {ring}");
        }
    }
}

#[test]
fn setup_states_need_no_action_from_a_published_frontend() {
    for backend in [Initialising, Initialised, Reconfiguring, Reconfigured] {
        assert_eq!(on_backend_change(Initialised, backend, true), Nothing);
        assert_eq!(on_backend_change(Connected, backend, true), Nothing);
    }
}

#[test]
fn a_backend_stops_using_the_ring_from_closing_on() {
    for state in ALL {
        assert_eq!(
            backend_closing(state),
            matches!(state, Closing | Closed | Unknown),
            "{state:?}"
        );
        assert_eq!(
            backend_released(state),
            matches!(state, Closed | Unknown),
            "{state:?}"
        );
    }
}
