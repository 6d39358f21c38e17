// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the Xen interfaces the module uses, one file per subsystem:
//! the xenbus device, the granted ring page, the event channel, and xenstore.
//! Every call goes through `helpers.c` (see `src/ffi.rs`).

pub(crate) mod evtchn;
pub(crate) mod grant;
pub(crate) mod store;
pub(crate) mod xenbus;

/// Polls `read` every 10 ms, at most `steps` times, until `done` accepts what it
/// returns; false on time-out. For waits on a backend that the otherend watch
/// does not report: in `remove` (the watch is gone) or for a console of another
/// driver.
pub(crate) fn wait_for_state<S: Copy>(
    steps: u32,
    read: impl Fn() -> S,
    done: impl Fn(S) -> bool,
) -> bool {
    for _ in 0..steps {
        if done(read()) {
            return true;
        }
        kernel::time::delay::fsleep(kernel::time::Delta::from_millis(10));
    }
    false
}
