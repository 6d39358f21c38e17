//! Takeover decisions: which consoles leave hvc_xen, and when their grant may end.

use proptest::prelude::*;
use xen_channel_core::handover::{
    backend_closing, backend_released, decide, parse_decimal, Verdict,
};
use xen_channel_core::name::NameError;
use xen_channel_core::state::XenbusState;

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
fn a_backend_stops_using_the_ring_from_closing_on() {
    for state in XenbusState::ALL {
        let expected = matches!(
            state,
            XenbusState::Closing | XenbusState::Closed | XenbusState::Unknown
        );
        assert_eq!(backend_closing(state), expected, "{state:?}");
    }
}

#[test]
fn the_grant_may_end_only_once_the_backend_is_closed_or_gone() {
    for state in XenbusState::ALL {
        let expected = matches!(state, XenbusState::Closed | XenbusState::Unknown);
        assert_eq!(backend_released(state), expected, "{state:?}");
    }
}

#[test]
fn numbers_are_plain_decimal() {
    assert_eq!(parse_decimal(b"8"), Some(8));
    assert_eq!(parse_decimal(b"4294967295"), Some(u32::MAX));
    for bad in [
        &b""[..],
        b"4294967296",
        b"-1",
        b"0x10",
        b" 8",
        b"8\n",
        b"99999999999",
    ] {
        assert_eq!(parse_decimal(bad), None, "{bad:?}");
    }
}

proptest! {
    #[test]
    fn every_u32_round_trips(r: u32) {
        prop_assert_eq!(parse_decimal(r.to_string().as_bytes()), Some(r));
    }

    #[test]
    fn only_digit_strings_within_u32_parse(v in proptest::collection::vec(any::<u8>(), 0..16)) {
        let digits = !v.is_empty() && v.iter().all(u8::is_ascii_digit);
        let value = digits.then(|| std::str::from_utf8(&v).unwrap().parse::<u128>().unwrap());
        let expected = value.filter(|_| v.len() <= 10).and_then(|n| u32::try_from(n).ok());
        prop_assert_eq!(parse_decimal(&v), expected);
    }
}
