//! The module's pure core, compiled for user space: the very files the kernel
//! module builds, included by path, so the tests exercise the shipped code.

#[path = "../../../src/handover.rs"]
pub mod handover;
#[path = "../../../src/name.rs"]
pub mod name;
#[path = "../../../src/ring.rs"]
pub mod ring;
#[path = "../../../src/state.rs"]
pub mod state;
