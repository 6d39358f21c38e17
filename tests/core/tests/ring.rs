//! Ring arithmetic, wrap-around, splits across the ring end and hostile indices.

use super::fake::FakePage;
use crate::pure::queue::ByteQueue;
use crate::pure::ring::{self, CorruptIndex, InRing, Index, OutRing, IN_SIZE, OUT_SIZE};
use proptest::prelude::*;

#[test]
fn layout_matches_xencons_interface() {
    // struct xencons_interface { char in[1024]; char out[2048]; u32 in_cons, in_prod, out_cons, out_prod; }
    assert_eq!(ring::OUT_OFFSET, 1024);
    assert_eq!(Index::InCons.offset(), 3072);
    assert_eq!(Index::InProd.offset(), 3076);
    assert_eq!(Index::OutCons.offset(), 3080);
    assert_eq!(Index::OutProd.offset(), 3084);
    assert_eq!(ring::INTERFACE_SIZE, 3088);
}

#[test]
fn used_wraps_at_2_pow_32() {
    assert_eq!(ring::used(u32::MAX - 5, 4, IN_SIZE), Some(10));
    assert_eq!(ring::used(u32::MAX, u32::MAX, IN_SIZE), Some(0));
    assert_eq!(
        ring::used(u32::MAX - (IN_SIZE - 1), u32::MAX.wrapping_add(1), IN_SIZE),
        Some(IN_SIZE)
    );
    assert_eq!(ring::used(0, IN_SIZE + 1, IN_SIZE), None);
    // A producer behind its consumer reads as nearly 2^32 bytes.
    assert_eq!(ring::used(10, 9, OUT_SIZE), None);
}

#[test]
fn every_split_covers_the_run_exactly() {
    for size in [IN_SIZE, OUT_SIZE] {
        for start_off in 0..size {
            for base in [0u32, u32::MAX - size + 1] {
                let start = base.wrapping_add(start_off);
                for len in [0, 1, size / 2, size - start_off, size - 1, size] {
                    let [(o1, l1), (o2, l2)] = ring::split(start, len, size);
                    assert_eq!(l1 + l2, len);
                    assert_eq!(o1, start & (size - 1));
                    assert!(o1 + l1 <= size);
                    assert_eq!(o2, 0);
                    assert!(l2 == 0 || o1 + l1 == size, "second run only after the end");
                }
            }
        }
    }
}

fn queue(cap: usize) -> ByteQueue<Vec<u8>> {
    ByteQueue::new(vec![0; cap])
}

fn take_all(q: &mut ByteQueue<Vec<u8>>) -> Vec<u8> {
    let mut v = vec![0; q.len()];
    q.peek(&mut v);
    q.consume(v.len());
    v
}

#[test]
fn drain_crosses_the_ring_end_at_every_offset() {
    for start in 0..IN_SIZE {
        let page = FakePage::new();
        let mut end = InRing::new();
        let mut q = queue(4 * IN_SIZE as usize);
        // Move both indices to `start` through the guest's own end.
        page.produce(&vec![0; start as usize]);
        assert_eq!(
            end.drain(&page, &mut q, usize::MAX).unwrap(),
            start as usize
        );
        take_all(&mut q);
        let data: Vec<u8> = (0..IN_SIZE).map(|i| (i * 7 + start) as u8).collect();
        assert_eq!(page.produce(&data), IN_SIZE as usize);
        assert_eq!(
            end.drain(&page, &mut q, usize::MAX).unwrap(),
            IN_SIZE as usize
        );
        assert_eq!(take_all(&mut q), data);
        assert_eq!(page.get(Index::InCons), start + IN_SIZE);
    }
}

#[test]
fn drain_stops_at_the_limit_and_resumes() {
    let page = FakePage::new();
    let mut end = InRing::new();
    let mut q = queue(100);
    let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    page.produce(&data);
    assert_eq!(end.drain(&page, &mut q, 40).unwrap(), 40);
    assert_eq!(end.drain(&page, &mut q, 40).unwrap(), 0);
    assert_eq!(take_all(&mut q), data[..40]);
    assert_eq!(end.drain(&page, &mut q, 1000).unwrap(), 100);
    assert_eq!(take_all(&mut q), data[40..140]);
    assert_eq!(end.drain(&page, &mut q, 1000).unwrap(), 100);
    assert_eq!(
        end.drain(&page, &mut q, 1000).unwrap(),
        0,
        "the queue is full"
    );
    assert_eq!(take_all(&mut q), data[140..240]);
    assert_eq!(end.drain(&page, &mut q, 1000).unwrap(), 60);
    assert_eq!(take_all(&mut q), data[240..]);
}

#[test]
fn fill_crosses_the_ring_end_at_every_offset() {
    for start in 0..OUT_SIZE {
        let page = FakePage::new();
        let mut end = OutRing::new();
        let mut q = queue(2 * OUT_SIZE as usize);
        q.push(&vec![0; start as usize]);
        assert_eq!(end.fill(&page, &q), start as usize);
        assert_eq!(page.consume(usize::MAX).len(), start as usize);
        assert_eq!(end.load(&page).unwrap(), start as usize);
        q.consume(start as usize);
        let data: Vec<u8> = (0..OUT_SIZE).map(|i| (i * 3 + start) as u8).collect();
        q.push(&data);
        assert_eq!(end.fill(&page, &q), OUT_SIZE as usize);
        assert_eq!(end.fill(&page, &q), 0, "the ring is full");
        assert_eq!(page.consume(usize::MAX), data);
    }
}

#[test]
fn each_backend_index_is_read_once_per_operation() {
    let page = FakePage::new();
    let mut q = queue(4096);
    page.produce(b"hello");
    let mut inr = InRing::new();
    page.loads.set(0);
    inr.drain(&page, &mut q, 4096).unwrap();
    assert_eq!(page.loads.get(), 1);
    let mut out = OutRing::new();
    q.push(b"world");
    page.loads.set(0);
    out.load(&page).unwrap();
    out.fill(&page, &q);
    assert_eq!(page.loads.get(), 1);
}

#[test]
fn the_backend_cannot_move_guest_indices() {
    // A backend that rewrites in_cons or out_prod changes nothing: the guest keeps
    // its own and writes them back.
    let page = FakePage::new();
    let (mut inr, mut out) = (InRing::new(), OutRing::new());
    let mut rx = queue(4096);
    let mut tx = queue(4096);
    page.produce(b"abcdef");
    page.set(Index::InCons, 3);
    assert_eq!(inr.drain(&page, &mut rx, 4096).unwrap(), 6);
    assert_eq!(take_all(&mut rx), b"abcdef");
    assert_eq!(page.get(Index::InCons), 6);
    tx.push(b"0123456789");
    out.fill(&page, &tx);
    page.set(Index::OutProd, 2);
    assert_eq!(page.consume(4), b"01");
    assert_eq!(out.load(&page).unwrap(), 2);
    tx.consume(2);
    assert_eq!(out.fill(&page, &tx), 0, "nothing new");
    assert_eq!(
        page.get(Index::OutProd),
        2,
        "the backend's value stays until the next fill"
    );
}

#[test]
fn hostile_in_prod_is_refused_and_moves_nothing() {
    for bad in [IN_SIZE + 1, u32::MAX, 0x8000_0000] {
        let page = FakePage::new();
        let mut inr = InRing::new();
        let mut q = queue(4096);
        page.set(Index::InProd, bad);
        let before = page.snapshot();
        assert_eq!(
            inr.drain(&page, &mut q, 4096),
            Err(CorruptIndex {
                index: Index::InProd,
                value: bad,
                ours: 0
            })
        );
        assert_eq!(page.snapshot(), before);
        assert_eq!(q.len(), 0);
    }
}

#[test]
fn in_prod_may_not_move_back() {
    let page = FakePage::new();
    let mut inr = InRing::new();
    let mut q = queue(4);
    page.produce(b"0123456789");
    assert_eq!(inr.drain(&page, &mut q, 4).unwrap(), 4);
    // Back, but still ahead of the guest's consumer index: a backend toggling
    // in_prod to fake progress is caught here.
    page.set(Index::InProd, 5);
    assert!(inr.drain(&page, &mut q, 4).is_err());
}

#[test]
fn out_cons_may_not_pass_out_prod_or_move_back() {
    let page = FakePage::new();
    let mut out = OutRing::new();
    let mut q = queue(100);
    q.push(&[7; 50]);
    out.fill(&page, &q);
    page.set(Index::OutCons, 51);
    assert!(out.load(&page).is_err());
    page.set(Index::OutCons, 20);
    assert_eq!(out.load(&page).unwrap(), 20);
    page.set(Index::OutCons, 19);
    assert!(out.load(&page).is_err());
    page.set(Index::OutCons, u32::MAX);
    assert!(out.load(&page).is_err());
}

proptest! {
    /// Whatever the backend writes into its indices, the guest never touches a
    /// byte outside the rings (FakePage panics), never writes a backend index,
    /// and never moves more than the ring can hold.
    #[test]
    fn arbitrary_indices_never_escape_the_rings(
        writes in proptest::collection::vec((any::<u32>(), any::<u32>()), 1..50),
        start in any::<u32>(),
    ) {
        let page = FakePage::new();
        page.set(Index::InCons, start);
        let mut inr = InRing::new();
        let mut out = OutRing::new();
        let mut rx = queue(8192);
        let mut tx = queue(8192);
        tx.push(&[1; 5000]);
        for (in_prod, out_cons) in writes {
            page.set(Index::InProd, in_prod);
            page.set(Index::OutCons, out_cons);
            if let Ok(n) = inr.drain(&page, &mut rx, 8192) {
                prop_assert!(n <= IN_SIZE as usize);
            }
            if let Ok(c) = out.load(&page) {
                tx.consume(c);
            }
            prop_assert!(out.fill(&page, &tx) <= OUT_SIZE as usize);
            prop_assert!(out.in_flight() <= OUT_SIZE as usize);
        }
    }
}
