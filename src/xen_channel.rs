// SPDX-License-Identifier: GPL-2.0

//! Xen PV channels as named character devices.
//!
//! A Xen channel is a secondary PV console (`device/console/N`) that carries a `name`
//! (xen-pv-channel(7)). This module binds those consoles and exposes each one as
//! `/dev/xen-channel/<name>`, instead of an anonymous `/dev/hvcN` tty.
//! See Documentation/xen-channel.rst.

mod channel;
mod chardev;
mod claims;
mod driver;
mod takeover;
mod xen;

// The pure core, also compiled in user space by tests/core: public so that its
// items are the same API in both builds.
pub mod handover;
pub mod name;
pub mod ring;
pub mod state;

use kernel::prelude::*;

module! {
    type: XenChannelModule,
    name: "xen_channel",
    authors: ["The xen-channel developers"],
    description: "Xen PV channels as /dev/xen-channel/<name>",
    license: "GPL",
}

/// Fields drop in declaration order: stop taking consoles over from hvc_xen, then
/// release every channel.
struct XenChannelModule {
    _takeover: Option<takeover::BusWatch>,
    _driver: driver::Registration,
}

impl kernel::Module for XenChannelModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let driver = driver::Registration::new()?;
        let takeover = takeover::BusWatch::new()?;
        Ok(Self {
            _takeover: takeover,
            _driver: driver,
        })
    }
}
