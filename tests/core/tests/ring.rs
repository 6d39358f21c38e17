//! Ring arithmetic, wrap-around, splits across the ring end and hostile indices.

mod common;

use common::{guest_read, FakePage};
use proptest::prelude::*;
use xen_channel_core::ring::{self, Index, IN_SIZE, OUT_SIZE};

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
}

#[test]
fn used_rejects_more_than_the_ring() {
    assert_eq!(ring::used(0, IN_SIZE + 1, IN_SIZE), None);
    assert_eq!(ring::used(u32::MAX - 5, IN_SIZE - 5, IN_SIZE), None);
    // A producer behind the consumer reads as nearly 2^32 bytes.
    assert_eq!(ring::used(10, 9, OUT_SIZE), None);
}

#[test]
fn every_split_covers_the_run_exactly() {
    for size in [IN_SIZE, OUT_SIZE] {
        for start_off in 0..size {
            // Also start near 2^32 so the free-running index wraps inside the run.
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

#[test]
fn write_split_at_every_offset_of_the_ring_end() {
    for start_off in 0..OUT_SIZE {
        let start = (u32::MAX - OUT_SIZE + 1).wrapping_add(start_off);
        let page = FakePage::at(start);
        let data: Vec<u8> = (0..OUT_SIZE).map(|i| (i * 7 + start_off) as u8).collect();
        let len = (start_off % 300 + 1) as usize;
        assert_eq!(ring::write(&page, &data[..len]), Ok(len));
        assert_eq!(page.get(Index::OutProd), start.wrapping_add(len as u32));
        assert_eq!(page.backend_consume(usize::MAX), &data[..len]);
    }
}

#[test]
fn read_split_at_every_offset_of_the_ring_end() {
    for start_off in 0..IN_SIZE {
        let start = (u32::MAX - IN_SIZE + 1).wrapping_add(start_off);
        let page = FakePage::at(start);
        let data: Vec<u8> = (0..IN_SIZE).map(|i| (i * 13 + start_off) as u8).collect();
        assert_eq!(page.backend_produce(&data), IN_SIZE as usize);
        assert_eq!(guest_read(&page, IN_SIZE as usize), data);
        assert_eq!(page.get(Index::InCons), start.wrapping_add(IN_SIZE));
    }
}

#[test]
fn write_is_partial_when_the_ring_is_nearly_full() {
    let page = FakePage::at(5);
    assert_eq!(ring::write(&page, &[1; 2000]), Ok(2000));
    assert_eq!(ring::writable(&page), Ok(48));
    assert_eq!(ring::write(&page, &[2; 100]), Ok(48));
    assert_eq!(ring::write(&page, &[3; 100]), Ok(0));
    assert_eq!(page.backend_consume(10).len(), 10);
    assert_eq!(ring::write(&page, &[4; 100]), Ok(10));
}

#[test]
fn peek_does_not_consume() {
    let page = FakePage::at(0);
    page.backend_produce(b"hello");
    let mut buf = [0; 3];
    assert_eq!(ring::peek(&page, &mut buf), Ok(3));
    assert_eq!(&buf, b"hel");
    assert_eq!(ring::readable(&page), Ok(5));
    ring::consume(&page, 3);
    assert_eq!(guest_read(&page, 64), b"lo");
}

#[test]
fn hostile_in_prod_is_rejected_without_touching_anything() {
    for (cons, prod) in [
        (0, IN_SIZE + 1),
        (100, 99),
        (u32::MAX, IN_SIZE),
        (7, u32::MAX),
    ] {
        let page = FakePage::new();
        page.set(Index::InCons, cons);
        page.set(Index::InProd, prod);
        let before = page.snapshot();
        let mut buf = [0u8; 4096];
        let err = ring::peek(&page, &mut buf).unwrap_err();
        assert!(err.inbound && err.cons == cons && err.prod == prod);
        assert!(ring::readable(&page).is_err());
        assert_eq!(page.snapshot(), before);
        assert!(buf.iter().all(|&b| b == 0));
    }
}

#[test]
fn hostile_out_cons_is_rejected_without_touching_anything() {
    // The backend owns out_cons: a value that claims more than OUT_SIZE in flight.
    for (cons, prod) in [(1, 0), (0, OUT_SIZE + 1), (u32::MAX - 10, OUT_SIZE)] {
        let page = FakePage::new();
        page.set(Index::OutCons, cons);
        page.set(Index::OutProd, prod);
        let before = page.snapshot();
        let err = ring::write(&page, b"data").unwrap_err();
        assert!(!err.inbound && err.cons == cons && err.prod == prod);
        assert!(ring::writable(&page).is_err());
        assert_eq!(page.snapshot(), before);
    }
}

#[test]
fn a_full_ring_is_valid() {
    let page = FakePage::at(u32::MAX - 3);
    page.backend_produce(&[9; IN_SIZE as usize]);
    assert_eq!(ring::readable(&page), Ok(IN_SIZE));
    assert_eq!(
        ring::write(&page, &[1; OUT_SIZE as usize]),
        Ok(OUT_SIZE as usize)
    );
    assert_eq!(ring::writable(&page), Ok(0));
}

proptest! {
    /// Any interleaving of backend production and guest reads of any sizes, starting
    /// anywhere in the index space, delivers every byte once, in order.
    #[test]
    fn inbound_stream_is_exact(
        start in any::<u32>(),
        steps in prop::collection::vec((0usize..1500, 0usize..1500), 1..60),
    ) {
        let page = FakePage::at(start);
        let mut sent = Vec::new();
        let mut got = Vec::new();
        let mut next = 0u8;
        for (produce, read) in steps {
            let chunk: Vec<u8> = (0..produce).map(|_| { next = next.wrapping_add(31); next }).collect();
            let n = page.backend_produce(&chunk);
            sent.extend_from_slice(&chunk[..n]);
            // The bytes that did not fit are never produced: rewind the generator.
            next = sent.last().copied().unwrap_or(0);
            got.extend(guest_read(&page, read));
            prop_assert!(ring::readable(&page).is_ok());
        }
        got.extend(guest_read(&page, IN_SIZE as usize));
        prop_assert_eq!(got, sent);
    }

    /// Any interleaving of guest writes and backend consumption delivers every
    /// accepted byte once, in order, and accepts exactly what fits.
    #[test]
    fn outbound_stream_is_exact(
        start in any::<u32>(),
        steps in prop::collection::vec((0usize..3000, 0usize..3000), 1..60),
    ) {
        let page = FakePage::at(start);
        let mut accepted = Vec::new();
        let mut got = Vec::new();
        let mut next = 0u8;
        for (write, consume) in steps {
            let free = ring::writable(&page).unwrap() as usize;
            let chunk: Vec<u8> = (0..write).map(|i| next.wrapping_add(i as u8)).collect();
            let n = ring::write(&page, &chunk).unwrap();
            prop_assert_eq!(n, free.min(write));
            accepted.extend_from_slice(&chunk[..n]);
            next = next.wrapping_add(n as u8);
            got.extend(page.backend_consume(consume));
        }
        got.extend(page.backend_consume(usize::MAX));
        prop_assert_eq!(got, accepted);
    }

    /// Whatever the backend writes into its indices, the guest never reads or
    /// writes outside its rings (FakePage asserts on every access) and never
    /// accepts more than the ring size.
    #[test]
    fn arbitrary_indices_never_escape_the_rings(
        in_cons in any::<u32>(), in_prod in any::<u32>(),
        out_cons in any::<u32>(), out_prod in any::<u32>(),
        len in 0usize..5000,
    ) {
        let page = FakePage::new();
        page.set(Index::InCons, in_cons);
        page.set(Index::InProd, in_prod);
        page.set(Index::OutCons, out_cons);
        page.set(Index::OutProd, out_prod);
        let mut buf = vec![0; len];
        match ring::peek(&page, &mut buf) {
            Ok(n) => prop_assert!(n <= IN_SIZE as usize && n <= len && in_prod.wrapping_sub(in_cons) <= IN_SIZE),
            Err(_) => prop_assert!(in_prod.wrapping_sub(in_cons) > IN_SIZE),
        }
        match ring::write(&page, &buf) {
            Ok(n) => prop_assert!(n <= OUT_SIZE as usize && out_prod.wrapping_sub(out_cons) <= OUT_SIZE),
            Err(_) => prop_assert!(out_prod.wrapping_sub(out_cons) > OUT_SIZE),
        }
    }
}

#[test]
fn unconsumed_out_is_what_the_backend_has_not_taken() {
    let page = FakePage::at(u32::MAX - 100);
    let data: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
    assert_eq!(ring::write(&page, &data), Ok(1500));
    page.backend_consume(600);
    let mut saved = [0u8; OUT_SIZE as usize];
    assert_eq!(ring::unconsumed_out(&page, &mut saved), Ok(900));
    assert_eq!(&saved[..900], &data[600..]);
    // Replayed into a fresh ring, the backend sees exactly the rest.
    let fresh = FakePage::at(0);
    assert_eq!(ring::write(&fresh, &saved[..900]), Ok(900));
    assert_eq!(fresh.backend_consume(usize::MAX), &data[600..]);
}

#[test]
fn unconsumed_out_rejects_hostile_out_cons() {
    let page = FakePage::at(0);
    page.set(Index::OutCons, 5);
    let mut saved = [0u8; OUT_SIZE as usize];
    assert!(ring::unconsumed_out(&page, &mut saved).is_err());
}
