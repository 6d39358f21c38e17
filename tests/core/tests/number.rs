//! Numbers from xenstore: canonical decimal only, grant references in range.

use crate::pure::number::{parse_decimal, parse_grant_ref, FIRST_GRANT_REF};
use proptest::prelude::*;

#[test]
fn numbers_are_canonical_decimal() {
    assert_eq!(parse_decimal(b"0"), Some(0));
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
        b"07",
        b"00",
    ] {
        assert_eq!(parse_decimal(bad), None, "{bad:?}");
    }
}

#[test]
fn console_7_and_07_do_not_alias() {
    assert_eq!(parse_decimal(b"7"), Some(7));
    assert_eq!(parse_decimal(b"07"), None);
}

#[test]
fn grant_refs_are_neither_reserved_nor_past_the_table() {
    assert_eq!(parse_grant_ref(b"8", 32768), Some(8));
    assert_eq!(parse_grant_ref(b"32767", 32768), Some(32767));
    for bad in [
        &b"0"[..],
        b"7",
        b"32768",
        b"4000000000",
        b"-8",
        b"0x20",
        b"08",
    ] {
        assert_eq!(parse_grant_ref(bad, 32768), None, "{bad:?}");
    }
}

proptest! {
    #[test]
    fn every_u32_round_trips(r: u32) {
        prop_assert_eq!(parse_decimal(r.to_string().as_bytes()), Some(r));
    }

    #[test]
    fn only_canonical_digit_strings_within_u32_parse(v in proptest::collection::vec(any::<u8>(), 0..16)) {
        let digits = !v.is_empty() && v.iter().all(u8::is_ascii_digit);
        let canonical = digits && (v.len() == 1 || v[0] != b'0');
        let value = canonical.then(|| std::str::from_utf8(&v).unwrap().parse::<u128>().unwrap());
        let expected = value.filter(|_| v.len() <= 10).and_then(|n| u32::try_from(n).ok());
        prop_assert_eq!(parse_decimal(&v), expected);
    }

    #[test]
    fn grant_refs_outside_the_range_are_refused(r: u32, limit in 8u32..1_000_000) {
        let got = parse_grant_ref(r.to_string().as_bytes(), limit);
        prop_assert_eq!(got.is_some(), (FIRST_GRANT_REF..limit).contains(&r));
    }
}
