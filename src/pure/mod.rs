// SPDX-License-Identifier: GPL-2.0

//! The pure core: what can be decided and computed without the kernel, in plain
//! Rust with no `kernel` dependency and no `unsafe`. The module builds these files
//! as they are, and tests/core builds them in user space, where they are unit- and
//! property-tested (and fuzzed) against models of correct behaviour.
//!
//! - [`ring`]: the xencons ring: layout, index validation, copies;
//! - [`queue`]: a fixed-capacity byte queue;
//! - [`path`]: a channel's data path: queues, rings, and what a link end keeps;
//! - [`lifecycle`]: the channel states users see, and what each operation does;
//! - [`xenbus`]: xenbus state decisions;
//! - [`name`], [`number`]: validation of names and numbers from xenstore;
//! - [`handover`]: which consoles move from hvc_xen to this driver.

pub(crate) mod handover;
pub(crate) mod lifecycle;
pub(crate) mod name;
pub(crate) mod number;
pub(crate) mod path;
pub(crate) mod queue;
pub(crate) mod ring;
pub(crate) mod xenbus;
