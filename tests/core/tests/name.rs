//! Channel name validation.

use crate::pure::name::{is_name_byte, validate, NameError, MAX_LEN};
use proptest::prelude::*;

#[test]
fn real_channel_names_pass() {
    for name in [
        "org.qemu.guest_agent.0",
        "org.xen-channel.test.a",
        "a",
        "com.example:port=2",
        "x+y@z",
    ] {
        assert_eq!(validate(name.as_bytes()), Ok(()), "{name}");
    }
    assert_eq!(validate(&[b'a'; MAX_LEN]), Ok(()));
}

#[test]
fn names_xl_lets_through_are_refused() {
    assert_eq!(validate(b""), Err(NameError::Empty));
    assert_eq!(validate(b"."), Err(NameError::DotName));
    assert_eq!(validate(b".."), Err(NameError::DotName));
    assert_eq!(validate(b"a/b"), Err(NameError::BadByte(1)));
    assert_eq!(validate(b"a b"), Err(NameError::BadByte(1)));
    assert_eq!(validate(b"\"a b\""), Err(NameError::BadByte(0)));
    assert_eq!(validate("caf\u{e9}".as_bytes()), Err(NameError::BadByte(3)));
    assert_eq!(validate(&[b'a'; 300]), Err(NameError::TooLong));
    assert_eq!(validate(&[b'a'; MAX_LEN + 1]), Err(NameError::TooLong));
    assert_eq!(validate(b"a\0b"), Err(NameError::BadByte(1)));
    assert_eq!(validate(b"a\nb"), Err(NameError::BadByte(1)));
    assert_eq!(validate(b"*"), Err(NameError::BadByte(0)));
}

proptest! {
    /// An accepted name is always a safe single path component.
    #[test]
    fn accepted_names_are_safe_path_components(name in prop::collection::vec(any::<u8>(), 0..200)) {
        if validate(&name).is_ok() {
            prop_assert!(!name.is_empty() && name.len() <= MAX_LEN);
            prop_assert!(!name.contains(&b'/') && !name.contains(&0));
            prop_assert!(name != b"." && name != b"..");
            prop_assert!(name.iter().all(|b| b.is_ascii_graphic()));
        }
    }

    #[test]
    fn charset_is_exactly_the_documented_one(b in any::<u8>()) {
        let documented = b.is_ascii_alphanumeric() || b"._-+@:=".contains(&b);
        prop_assert_eq!(is_name_byte(b), documented);
    }
}

#[test]
fn every_refusal_has_a_reason_for_the_log() {
    for e in [
        NameError::Empty,
        NameError::TooLong,
        NameError::DotName,
        NameError::BadByte(3),
    ] {
        assert!(!e.reason().is_empty());
    }
    assert_eq!(NameError::DotName.reason(), "name is . or ..");
}
