//! The byte queue against a model (VecDeque).

use crate::pure::queue::ByteQueue;
use proptest::prelude::*;
use std::collections::VecDeque;

#[derive(Debug, Clone)]
enum Op {
    Push(Vec<u8>),
    PushWith(usize, usize),
    Peek(usize, usize),
    Consume(usize),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Op::Push),
        2 => (0usize..40, 0usize..40).prop_map(|(m, s)| Op::PushWith(m, s)),
        3 => (0usize..40, 0usize..40).prop_map(|(o, n)| Op::Peek(o, n)),
        3 => (0usize..40).prop_map(Op::Consume),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #[test]
    fn behaves_like_a_deque(cap in 0usize..37, ops in proptest::collection::vec(op(), 0..200)) {
        let mut q = ByteQueue::new(vec![0u8; cap]);
        let mut model: VecDeque<u8> = VecDeque::new();
        let mut next = 0u8;
        for op in ops {
            match op {
                Op::Push(data) => {
                    let n = q.push(&data);
                    prop_assert_eq!(n, data.len().min(cap - model.len()));
                    model.extend(&data[..n]);
                }
                Op::PushWith(max, short) => {
                    // The filler writes a counting pattern, stopping `short` bytes early.
                    let want = max.min(cap - model.len());
                    let mut budget = want.saturating_sub(short);
                    let mut written = Vec::new();
                    let n = q.push_with(max, |dst| {
                        let k = dst.len().min(budget);
                        for b in &mut dst[..k] {
                            *b = next;
                            written.push(next);
                            next = next.wrapping_add(1);
                        }
                        budget -= k;
                        k
                    });
                    prop_assert_eq!(n, written.len());
                    model.extend(written);
                }
                Op::Peek(offset, len) => {
                    let mut dst = vec![0u8; len];
                    let n = q.peek_at(offset, &mut dst);
                    let expected: Vec<u8> = model.iter().skip(offset).take(len).copied().collect();
                    prop_assert_eq!(&dst[..n], &expected[..]);
                    let mut handed = Vec::new();
                    let m = q.peek_with(offset, len, |run| handed.extend_from_slice(run));
                    prop_assert_eq!(m, n);
                    prop_assert_eq!(handed, expected);
                }
                Op::Consume(n) => {
                    let dropped = q.consume(n);
                    prop_assert_eq!(dropped, n.min(model.len()));
                    model.drain(..dropped);
                }
                Op::Clear => {
                    let n = q.len();
                    q.consume(n);
                    model.clear();
                }
            }
            prop_assert_eq!(q.len(), model.len());
            prop_assert_eq!(q.space(), cap - model.len());
        }
    }
}
