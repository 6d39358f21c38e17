//! Xenbus state decisions for every pair of states.

use xen_channel_core::state::{on_backend_change, Action, XenbusState};
use XenbusState::*;

const ALL: [XenbusState; 9] = [
    Unknown,
    Initialising,
    InitWait,
    Initialised,
    Connected,
    Closing,
    Closed,
    Reconfiguring,
    Reconfigured,
];

#[test]
fn raw_values_round_trip_and_match_xenbus_h() {
    for (raw, state) in ALL.iter().enumerate() {
        assert_eq!(state.raw(), raw as u32);
        assert_eq!(XenbusState::from_raw(raw as u32), *state);
    }
    assert_eq!(XenbusState::from_raw(9), Unknown);
    assert_eq!(XenbusState::from_raw(u32::MAX), Unknown);
}

#[test]
fn connects_only_after_publishing() {
    for frontend in ALL {
        let expected = if frontend == Initialised {
            Action::Connect
        } else {
            Action::Nothing
        };
        assert_eq!(
            on_backend_change(frontend, Connected),
            expected,
            "{frontend:?}"
        );
    }
}

#[test]
fn backend_going_away_disconnects_once() {
    for backend in [Unknown, Closing, Closed] {
        for frontend in ALL {
            let expected = if frontend == Closed {
                Action::Nothing
            } else {
                Action::Disconnect
            };
            assert_eq!(
                on_backend_change(frontend, backend),
                expected,
                "{frontend:?} {backend:?}"
            );
        }
    }
}

#[test]
fn setup_states_need_no_action() {
    for backend in [
        Initialising,
        InitWait,
        Initialised,
        Reconfiguring,
        Reconfigured,
    ] {
        for frontend in ALL {
            assert_eq!(on_backend_change(frontend, backend), Action::Nothing);
        }
    }
}
