//! Takeover decisions: which consoles leave hvc_xen.

use crate::pure::handover::{decide, Verdict};
use crate::pure::name::NameError;

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
