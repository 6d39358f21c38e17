//! Coverage-guided fuzzing of the module's pure core (`src/pure`), compiled for
//! user space the way tests/core compiles it: the very files the kernel module
//! builds, included by path. Each target is a function here that takes the
//! fuzzer's bytes, drives the core with them and checks it against a model; the
//! binaries in `fuzz_targets/` hand libFuzzer's inputs to them. A failed check
//! panics, which libFuzzer reports as a finding and saves the input for.
//!
//! - [`ring_path`]: the rings and the data path against a simulated page and a
//!   backend the fuzzer drives, honest or hostile;
//! - [`queue`]: the byte queue against a `VecDeque`;
//! - [`parse`]: numbers, grant references, names and takeover decisions;
//! - [`states`]: the lifecycle table and SIGIO bands, and xenbus decisions.

#[allow(dead_code)]
#[path = "../../../src/pure/mod.rs"]
mod pure;

mod input;
pub mod parse;
pub mod queue;
pub mod ring_path;
pub mod states;
