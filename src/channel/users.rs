// SPDX-License-Identifier: GPL-2.0

//! Who uses a channel, and how a kernel client hears of changes: the types
//! `chardev.rs` and `client.rs` share with the channel.

use kernel::sync::ArcBorrow;

/// Who uses a channel: one file or one kernel client at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    /// An open file of the device node.
    File = 1,
    /// A kernel client (`client.rs`).
    Client = 2,
}

/// What changed on a channel, for the kernel client that has it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// Bytes arrived.
    pub(crate) rx: bool,
    /// Writers got room.
    pub(crate) space: bool,
    /// The state changed.
    pub(crate) state: bool,
    /// The domain is about to be saved.
    pub(crate) suspend: bool,
}

impl Changes {
    /// Everything: a client that just got the channel looks at all of it.
    pub(crate) const ALL: Changes = Changes {
        rx: true,
        space: true,
        state: true,
        suspend: false,
    };

    /// As bits, for an atomic.
    pub(crate) fn bits(self) -> u32 {
        u32::from(self.rx)
            | u32::from(self.space) << 1
            | u32::from(self.state) << 2
            | u32::from(self.suspend) << 3
    }

    /// From [`Changes::bits`].
    pub(crate) fn from_bits(bits: u32) -> Self {
        Self {
            rx: bits & 1 != 0,
            space: bits & 2 != 0,
            state: bits & 4 != 0,
            suspend: bits & 8 != 0,
        }
    }

    pub(super) fn any(self) -> bool {
        self.bits() != 0
    }
}

/// The kernel client of a channel, as the channel sees it: told of changes,
/// from any context (the event handler included), without waiting.
pub(crate) trait Listener: Send + Sync {
    /// What is set in `changes` changed.
    fn changed(self: ArcBorrow<'_, Self>, changes: Changes);
}
