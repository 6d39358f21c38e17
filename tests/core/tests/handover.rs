//! Takeover decisions: which consoles leave hvc_xen.

use crate::pure::handover::{close_step, decide, CloseStep, Verdict};
use crate::pure::name::NameError;
use crate::pure::xenbus::XenbusState::{self, *};

fn nobody(_: &[u8]) -> Option<u32> {
    None
}

#[test]
fn only_valid_unclaimed_names_are_taken_over() {
    assert_eq!(
        decide(Some(b"org.qemu.guest_agent.0"), nobody),
        Verdict::TakeOver
    );
    assert_eq!(decide(None, nobody), Verdict::Unnamed);
    assert_eq!(
        decide(Some(b".."), nobody),
        Verdict::BadName(NameError::DotName)
    );
    assert_eq!(
        decide(Some(b"a/b"), nobody),
        Verdict::BadName(NameError::BadByte(1))
    );
    assert_eq!(
        decide(Some(b"dup"), |n| (n == b"dup").then_some(3)),
        Verdict::Duplicate(3)
    );
}

#[test]
fn a_close_ends_only_when_the_backend_is_closed_or_gone() {
    for frontend in XenbusState::ALL {
        for backend in XenbusState::ALL {
            let step = close_step(frontend, backend);
            assert_eq!(
                step == CloseStep::Released,
                matches!(backend, Closed | Unknown),
                "{frontend:?} {backend:?}"
            );
        }
    }
}

#[test]
fn closing_is_written_again_only_over_hvc_xens_own_states() {
    for frontend in XenbusState::ALL {
        for backend in XenbusState::ALL {
            let again = close_step(frontend, backend) == CloseStep::CloseAgain;
            let expected = matches!(frontend, Initialised | Connected)
                && !matches!(backend, Closing | Closed | Unknown);
            assert_eq!(again, expected, "{frontend:?} {backend:?}");
        }
    }
}

/// The race seen in the lab (a console hot-plugged while the module is loaded):
/// the backend connects, the takeover writes Closing, hvc_xen then writes
/// Connected over it, and the backend, reading only now, stays Connected.
#[test]
fn a_close_overwritten_by_hvc_xen_is_repeated_until_the_backend_closes() {
    // The takeover's Closing is in place: wait for the backend.
    assert_eq!(close_step(Closing, Connected), CloseStep::Wait);
    // hvc_xen answered the backend's Connected after our write.
    assert_eq!(close_step(Connected, Connected), CloseStep::CloseAgain);
    // Written again; the backend follows, then hvc_xen closes its end.
    assert_eq!(close_step(Closing, Closing), CloseStep::Wait);
    assert_eq!(close_step(Closed, Closing), CloseStep::Wait);
    assert_eq!(close_step(Closed, Closed), CloseStep::Released);
    // A backend already closing needs no second Closing, whatever hvc_xen wrote.
    assert_eq!(close_step(Connected, Closing), CloseStep::Wait);
}
