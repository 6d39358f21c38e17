// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the Xen interfaces the module uses, one file per subsystem:
//! the xenbus device, the granted ring page, the event channel, and xenstore.
//! Every call goes through `helpers.c` (see `src/ffi.rs`).

pub(crate) mod evtchn;
pub(crate) mod grant;
pub(crate) mod store;
pub(crate) mod xenbus;

use kernel::time::{delay::fsleep, Delta, Instant, Monotonic};

/// Polls `read` about every 10 ms until `done` accepts what it returns; false
/// once `limit` has passed. For waits on a backend that the otherend watch does
/// not report: in `remove` (the watch is gone) or for a console of another
/// driver.
///
/// The limit is time, not a number of polls: each `read` is a xenstore round
/// trip, which a busy or slow xenstored stretches (11 s instead of 2 s for 200
/// polls in the lab).
pub(crate) fn wait_for_state<S: Copy>(
    limit: Delta,
    read: impl Fn() -> S,
    done: impl Fn(S) -> bool,
) -> bool {
    let start = Instant::<Monotonic>::now();
    loop {
        if done(read()) {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        fsleep(Delta::from_millis(10));
    }
}
