// SPDX-License-Identifier: GPL-2.0

//! Channel name validation, with no `kernel` dependency.
//!
//! The name comes from xenstore, written by the toolstack from the domain
//! configuration, and becomes a path component under `/dev/xen-channel/`. xl copies
//! any name it can parse (`a/b`, `..`, spaces, quotes, UTF-8, the empty string) so the
//! guest is the only place a bad one can be caught.

/// Longest accepted name in bytes. Longer than any reverse-DNS channel name in use
/// (`org.qemu.guest_agent.0` is 22), short enough for a device name and a log line.
pub(crate) const MAX_LEN: usize = 128;

/// Why a name cannot be exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// The name is the empty string.
    Empty,
    /// The name is longer than [`MAX_LEN`] bytes.
    TooLong,
    /// The name is `.` or `..`.
    DotName,
    /// The name holds a byte outside the documented charset, at this position.
    BadByte(usize),
}

impl NameError {
    /// A short reason for the log line.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            NameError::Empty => "empty name",
            NameError::TooLong => "name longer than 128 bytes",
            NameError::DotName => "name is . or ..",
            NameError::BadByte(_) => "name has a byte outside [A-Za-z0-9._+@:=-]",
        }
    }
}

/// Whether `b` may appear in a channel name: ASCII letters, digits and `. _ - + @ : =`.
///
/// No `/` (path separator), no white space, quotes or shell and glob metacharacters,
/// nothing outside ASCII: the name must be safe in a path, a udev rule and a log line.
pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'@' | b':' | b'=')
}

/// Checks that `name` (without a trailing NUL) can name a device node.
///
/// # Errors
///
/// Which rule `name` breaks: empty, longer than [`MAX_LEN`], `.` or `..`, or the
/// offset of its first byte outside [`is_name_byte`].
pub(crate) fn validate(name: &[u8]) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_LEN {
        return Err(NameError::TooLong);
    }
    if name == b"." || name == b".." {
        return Err(NameError::DotName);
    }
    match name.iter().position(|&b| !is_name_byte(b)) {
        Some(pos) => Err(NameError::BadByte(pos)),
        None => Ok(()),
    }
}
