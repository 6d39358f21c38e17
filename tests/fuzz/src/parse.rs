//! Values from xenstore (`pure::number`, `pure::name`, `pure::handover`) against
//! reference implementations written from the documentation.
//!
//! Any bytes, as a number, a grant reference, a name, and a takeover decision:
//! nothing panics, and each answer is the reference's. Numbers: canonical decimal
//! only (no sign, no space, no leading zero but `0` itself, at most `u32::MAX`), so
//! an accepted number prints back to exactly the bytes it came from, and `0`
//! followed by any accepted number is refused (`07` is not `7`). Grant references:
//! canonical, at least 8, below the table's size. Names: 1 to 128 bytes of
//! `A-Z a-z 0-9 . _ - + @ : =`, not `.` or `..`, with the documented error (and
//! the position of the first bad byte); an accepted name is a safe path component.
//! Takeover: unnamed consoles stay, bad names stay, a duplicate names its holder,
//! and the holder is asked only about valid names.

use crate::input::Input;
use crate::pure::handover::{decide, Verdict};
use crate::pure::name::{is_name_byte, validate, NameError, MAX_LEN};
use crate::pure::number::{parse_decimal, parse_grant_ref, FIRST_GRANT_REF};

/// The documented number syntax, on top of the standard library's parser (which
/// accepts `+7` and `007`).
fn reference_decimal(s: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if text.len() > 1 && text.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-+@:=";

fn reference_name(s: &[u8]) -> Result<(), NameError> {
    if s.is_empty() {
        Err(NameError::Empty)
    } else if s.len() > 128 {
        Err(NameError::TooLong)
    } else if s == b"." || s == b".." {
        Err(NameError::DotName)
    } else if let Some(i) = s.iter().position(|b| !CHARSET.contains(b)) {
        Err(NameError::BadByte(i))
    } else {
        Ok(())
    }
}

fn check_number(s: &[u8], limit: u32) {
    let n = parse_decimal(s);
    assert_eq!(n, reference_decimal(s), "parse_decimal({s:?})");
    if let Some(n) = n {
        assert_eq!(
            n.to_string().as_bytes(),
            s,
            "an accepted number is canonical"
        );
        let mut zero = b"0".to_vec();
        zero.extend_from_slice(s);
        assert_eq!(parse_decimal(&zero), None, "a leading zero is refused");
    }
    assert_eq!(
        parse_grant_ref(s, limit),
        n.filter(|&r| r >= FIRST_GRANT_REF && r < limit),
        "parse_grant_ref({s:?}, {limit})"
    );
}

fn check_name(s: &[u8]) {
    let verdict = validate(s);
    assert_eq!(verdict, reference_name(s), "validate({s:?})");
    match verdict {
        Ok(()) => {
            assert!(s.len() <= MAX_LEN);
            assert!(
                s.iter()
                    .all(|&b| b.is_ascii_graphic() && b != b'/' && b != b'\\'),
                "an accepted name is a safe path component"
            );
        }
        Err(e) => assert!(!e.reason().is_empty()),
    }
    for &b in s {
        assert_eq!(is_name_byte(b), CHARSET.contains(&b), "is_name_byte({b})");
    }
}

fn check_decide(name: Option<&[u8]>, holder: Option<u32>) {
    let mut asked = 0;
    let verdict = decide(name, |n| {
        asked += 1;
        assert_eq!(
            Some(n),
            name,
            "the holder is asked about the console's name"
        );
        holder
    });
    let expected = match name {
        None => Verdict::Unnamed,
        Some(n) => match reference_name(n) {
            Err(e) => Verdict::BadName(e),
            Ok(()) => match holder {
                Some(devid) => Verdict::Duplicate(devid),
                None => Verdict::TakeOver,
            },
        },
    };
    assert_eq!(verdict, expected, "decide({name:?}, {holder:?})");
    let valid = name.is_some_and(|n| reference_name(n).is_ok());
    assert_eq!(
        asked, valid as usize,
        "the holder is asked only about valid names"
    );
}

/// Runs one input.
pub fn run(data: &[u8]) {
    // The whole input as each kind of value.
    check_number(data, u32::MAX);
    check_name(data);
    let mut input = Input::new(data);
    let mode = input.u8();
    let x = input.u32();
    let rest = input.rest();
    check_number(rest, x);
    check_name(rest);
    // Printed numbers come back, and nothing else spells them.
    let s = x.to_string();
    assert_eq!(parse_decimal(s.as_bytes()), Some(x));
    for spelling in [
        format!("0{s}"),
        format!("+{s}"),
        format!("-{s}"),
        format!(" {s}"),
        format!("{s} "),
        format!("{s}\0"),
        format!("{s}0{s}"),
    ] {
        assert_eq!(
            parse_decimal(spelling.as_bytes()),
            reference_decimal(spelling.as_bytes()),
            "{spelling:?}"
        );
    }
    let wide = u64::from(x) + u64::from(u32::MAX) + 1;
    assert_eq!(parse_decimal(wide.to_string().as_bytes()), None, "past u32");
    check_decide(
        (mode & 1 != 0).then_some(rest),
        (mode & 2 != 0).then_some(x),
    );
}
