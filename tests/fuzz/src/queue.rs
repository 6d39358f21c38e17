//! The byte queue (`pure::queue`) against a `VecDeque`.
//!
//! Every operation of the queue, with sizes and offsets from the fuzzer, on a
//! queue of any capacity (0 included): what each call returns, the bytes it
//! copies or hands over, and `len`, `space` and `capacity` after it must be what
//! the model says. `push_with` may offer its filler at most two runs, together
//! no more than the free space and `max`, the second only after the first was
//! filled completely; the filler may claim more or fewer bytes than it was offered.
//! `peek_with` hands over at most two non-empty runs.

use crate::input::Input;
use crate::pure::queue::ByteQueue;
use std::sync::OnceLock;

/// What a destination holds before a copy into it.
static UNTOUCHED: [u8; 32_768] = [0xee; 32_768];

/// Bytes to queue: a table, so that making them takes no loop over bytes (each
/// iteration of a loop in instrumented code costs a traced comparison).
fn pattern(at: usize, len: usize) -> &'static [u8] {
    const PERIOD: usize = 65_521;
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..PERIOD + 32_768)
            .map(|i| (i % PERIOD).wrapping_mul(2_654_435_761) as u8)
            .collect()
    });
    &table[at % PERIOD..][..len]
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let cap = match input.u8() {
        c @ 0..=199 => usize::from(c) % 64,
        c => 64 + usize::from(c) * 37,
    };
    let mut q = ByteQueue::new(vec![0u8; cap]);
    let mut model: Vec<u8> = Vec::new();
    let mut next = 0;
    let mut fresh = |n: usize| -> &'static [u8] {
        next += n;
        pattern(next - n, n)
    };
    let mut ops = 0;
    while !input.is_empty() && ops < 1000 {
        ops += 1;
        let code = input.u8();
        let a = input.below(3 * cap + 3);
        let b = input.below(3 * cap + 3);
        match code % 6 {
            0 => {
                let src = fresh(a);
                let n = q.push(src);
                assert_eq!(n, a.min(cap - model.len()), "push took");
                model.extend_from_slice(&src[..n]);
            }
            1 => {
                // The filler claims `claim(offered)` bytes of each run it is given.
                let short = code & 0x40 != 0;
                let over = code & 0x80 != 0;
                let space = cap - model.len();
                let mut offered = Vec::new();
                let mut written = Vec::new();
                let done = q.push_with(a, |run| {
                    assert!(!run.is_empty(), "push_with offered an empty run");
                    if let Some(&(len, claimed)) = offered.last() {
                        assert!(claimed >= len, "a second run after a short first one");
                    }
                    let bytes = fresh(run.len());
                    let claim = if short {
                        run.len().saturating_sub(b % 3)
                    } else if over {
                        run.len() + b
                    } else {
                        run.len()
                    };
                    let filled = claim.min(run.len());
                    run[..filled].copy_from_slice(&bytes[..filled]);
                    written.extend_from_slice(&bytes[..filled]);
                    offered.push((run.len(), claim));
                    claim
                });
                assert!(offered.len() <= 2, "push_with offered more than two runs");
                let total: usize = offered.iter().map(|&(len, _)| len).sum();
                assert!(
                    total <= a.min(space),
                    "push_with offered more than max or space"
                );
                if !short {
                    assert_eq!(total, a.min(space), "push_with offered less than it could");
                }
                assert_eq!(done, written.len(), "push_with's count");
                model.extend_from_slice(&written);
            }
            2 => {
                let mut dst = vec![0xee; a];
                let n = q.peek(&mut dst);
                assert_eq!(n, a.min(model.len()), "peek copied");
                assert!(model[..n] == dst[..n], "peek's bytes");
                assert!(
                    dst[n..] == UNTOUCHED[..dst.len() - n],
                    "peek wrote past its count"
                );
            }
            3 => {
                let mut dst = vec![0xee; b];
                let n = q.peek_at(a, &mut dst);
                assert_eq!(n, b.min(model.len().saturating_sub(a)), "peek_at copied");
                assert!(
                    model[a.min(model.len())..][..n] == dst[..n],
                    "peek_at's bytes"
                );
                assert!(
                    dst[n..] == UNTOUCHED[..dst.len() - n],
                    "peek_at wrote past its count"
                );
            }
            4 => {
                let mut got = Vec::new();
                let mut runs = 0;
                let n = q.peek_with(a, b, |run| {
                    assert!(!run.is_empty(), "peek_with handed over an empty run");
                    runs += 1;
                    got.extend_from_slice(run);
                });
                assert!(runs <= 2, "peek_with handed over more than two runs");
                assert_eq!(n, b.min(model.len().saturating_sub(a)), "peek_with's count");
                assert_eq!(got.len(), n, "peek_with handed over other than its count");
                assert!(
                    model[a.min(model.len())..][..n] == got[..],
                    "peek_with's bytes"
                );
            }
            _ => {
                let n = q.consume(a);
                assert_eq!(n, a.min(model.len()), "consume dropped");
                model.drain(..n);
            }
        }
        assert_eq!(q.len(), model.len(), "len");
        assert_eq!(q.capacity(), cap, "capacity");
        assert_eq!(q.space(), cap - model.len(), "space");
    }
    let mut all = vec![0; model.len()];
    assert_eq!(q.peek(&mut all), model.len());
    assert!(model == all, "the queue's bytes at the end");
}
