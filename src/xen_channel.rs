// SPDX-License-Identifier: GPL-2.0

//! Xen PV channels as named character devices.
//!
//! A Xen channel is a secondary PV console (`device/console/N`) that carries a `name`
//! (xen-pv-channel(7)). This module binds those consoles and exposes each one as
//! `/dev/xen-channel/<name>`, instead of an anonymous `/dev/hvcN` tty.
//! See Documentation/xen-channel.rst.
//!
//! Layers, each using only those below it:
//!
//! - the module root, [`takeover`] (consoles from hvc_xen) and [`driver`] (the
//!   xenbus frontend);
//! - [`chardev`] (the device node) and [`client`] (kernel clients, the
//!   in-kernel API of `include/xen-channel.h`);
//! - [`channel`] (one channel: data path, link, state, waiters) and [`claims`];
//! - [`xen`] and [`sync`], safe wrappers over [`ffi`] (helpers.c);
//! - [`pure`]: the pure core, with no `kernel` dependency, tested in user space.
//!
//! Written against the Rust-for-Linux API of the Linux 7.2 series (the kernel
//! crate's `Lock` backends, `miscdevice` bindings, `UserSlice`, `fs::File`, `Arc`,
//! `workqueue`, `global_lock!`); README "Kernel series" lists where that shows.

mod channel;
mod chardev;
mod claims;
mod client;
mod driver;
mod ffi;
mod pure;
mod sync;
mod takeover;
mod xen;

use kernel::prelude::*;

module! {
    type: XenChannelModule,
    name: "xen_channel",
    authors: ["The xen-channel developers"],
    description: "Xen PV channels as /dev/xen-channel/<name>",
    license: "GPL",
    // xenbus announces consoles with MODALIAS=xen:console; modpost makes no
    // aliases from xenbus device tables.
    alias: ["xen:console"],
}

/// Fields drop in declaration order: stop taking consoles over from hvc_xen, then
/// release every channel.
struct XenChannelModule {
    _takeover: Option<takeover::BusWatch>,
    _driver: driver::Registration,
}

impl kernel::Module for XenChannelModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once, before the driver exists.
        unsafe { claims::init() };
        // SAFETY: As above.
        unsafe { client::init() };
        let driver = driver::Registration::new()?;
        let takeover = takeover::BusWatch::new()?;
        Ok(Self {
            _takeover: takeover,
            _driver: driver,
        })
    }
}
