//! The module's pure core (`src/pure`), compiled for user space: the very files
//! the kernel module builds, included by path. The tests live in this crate too
//! (`tests/*.rs`, included below), so that they reach the `pub(crate)` items as
//! the module does, and an item nothing uses is a warning in both builds.
#![cfg_attr(not(test), allow(dead_code))]

#[path = "../../../src/pure/mod.rs"]
mod pure;

#[cfg(test)]
#[path = "../tests/fake.rs"]
mod fake;
#[cfg(test)]
#[path = "../tests/handover.rs"]
mod handover_tests;
#[cfg(test)]
#[path = "../tests/lifecycle.rs"]
mod lifecycle_tests;
#[cfg(test)]
#[path = "../tests/name.rs"]
mod name_tests;
#[cfg(test)]
#[path = "../tests/number.rs"]
mod number_tests;
#[cfg(test)]
#[path = "../tests/path.rs"]
mod path_tests;
#[cfg(test)]
#[path = "../tests/queue.rs"]
mod queue_tests;
#[cfg(test)]
#[path = "../tests/ring.rs"]
mod ring_tests;
#[cfg(test)]
#[path = "../tests/xenbus.rs"]
mod xenbus_tests;
