// SPDX-License-Identifier: GPL-2.0

//! Numbers as xenstore holds them, with no `kernel` dependency.
//!
//! xenstore values are untrusted text. A number is accepted only in its one
//! canonical spelling, so that two spellings cannot name the same console (`7`
//! and `07`) and nothing but digits gets through.

/// Parses a canonical decimal `u32`: digits only, no sign, no leading zero (but
/// `0` itself), no more than fits.
pub(crate) fn parse_decimal(value: &[u8]) -> Option<u32> {
    if value.is_empty() || value.len() > 10 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // PANIC: `value` is not empty, checked above.
    if value.len() > 1 && value[0] == b'0' {
        return None;
    }
    value.iter().try_fold(0u32, |n, &d| {
        // PANIC: `d` is an ASCII digit, so `d - b'0'` cannot underflow.
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// Grant references below this are reserved for the toolstack
/// (`GNTTAB_NR_RESERVED_ENTRIES`): no driver's ring uses them.
pub(crate) const FIRST_GRANT_REF: u32 = 8;

/// Parses a grant reference a driver can have published: canonical decimal, not
/// reserved, below `limit` (the grant table's size in entries).
pub(crate) fn parse_grant_ref(value: &[u8], limit: u32) -> Option<u32> {
    parse_decimal(value).filter(|&r| (FIRST_GRANT_REF..limit).contains(&r))
}
