//! The data path under arbitrary interleavings of backend and guest actions, link
//! ends and restores: nothing accepted is lost, nothing is repeated.

use super::fake::FakePage;
use crate::pure::path::{DataPath, Moved, SAVE_HEADROOM};
use crate::pure::ring::{Index, IN_SIZE, OUT_SIZE};
use proptest::prelude::*;

/// What the simulation does next.
#[derive(Debug, Clone)]
enum Step {
    /// The backend produces up to n bytes of its stream into `in`.
    Produce(usize),
    /// The backend consumes up to n bytes from `out`.
    Consume(usize),
    /// An event reaches the guest.
    Event,
    /// A reader takes up to n bytes; `deliver` false: its copy to user space
    /// faults, so nothing is consumed.
    Read(usize, bool),
    /// A writer hands over n bytes of its stream.
    Write(usize),
    /// The ring ends (backend closed, restore) and a fresh one starts; the old
    /// backend's view of the old ring is gone with it.
    Relink,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..3000).prop_map(Step::Produce),
        3 => (0usize..3000).prop_map(Step::Consume),
        3 => Just(Step::Event),
        3 => (0usize..5000, prop::bool::weighted(0.9)).prop_map(|(n, d)| Step::Read(n, d)),
        3 => (0usize..5000).prop_map(Step::Write),
        1 => Just(Step::Relink),
    ]
}

/// Byte `i` of a stream: not periodic at any ring size.
fn byte(seed: u8, i: usize) -> u8 {
    (i as u32).wrapping_mul(2654435761).to_le_bytes()[3] ^ seed
}

struct Sim {
    path: DataPath<Vec<u8>>,
    page: FakePage,
    /// Bytes the backend produced (its stream), and those the guest delivered.
    produced: usize,
    expected_in: Vec<u8>,
    read: Vec<u8>,
    /// Bytes writers handed over, and those the backend consumed.
    written: Vec<u8>,
    consumed: Vec<u8>,
    dropped: usize,
}

impl Sim {
    fn new(rx_limit: usize, tx: usize) -> Self {
        Self {
            path: DataPath::new(vec![0; rx_limit + SAVE_HEADROOM], vec![0; tx]),
            page: FakePage::new(),
            produced: 0,
            expected_in: Vec::new(),
            read: Vec::new(),
            written: Vec::new(),
            consumed: Vec::new(),
            dropped: 0,
        }
    }

    fn pump(&mut self) -> Moved {
        self.path.pump(&self.page).expect("an honest backend")
    }

    fn run(&mut self, step: &Step) {
        match *step {
            Step::Produce(n) => {
                let data: Vec<u8> = (self.produced..self.produced + n)
                    .map(|i| byte(0xa5, i))
                    .collect();
                let k = self.page.produce(&data);
                self.expected_in.extend_from_slice(&data[..k]);
                self.produced += k;
            }
            Step::Consume(n) => self.consumed.extend(self.page.consume(n)),
            Step::Event => {
                self.path.on_event(&self.page).expect("an honest backend");
            }
            Step::Read(n, deliver) => {
                let mut buf = vec![0; n];
                let k = self.path.read(&mut buf);
                if deliver {
                    self.read.extend_from_slice(&buf[..k]);
                    self.path.consume(k);
                    self.pump();
                }
            }
            Step::Write(n) => {
                let data: Vec<u8> = (self.written.len()..self.written.len() + n)
                    .map(|i| byte(0x3c, i))
                    .collect();
                let k = self.path.write(&data);
                self.written.extend_from_slice(&data[..k]);
                self.pump();
            }
            Step::Relink => {
                let end = self.path.end_link(&self.page).expect("an honest backend");
                if end.dropped > 0 {
                    // The bytes that did not fit are the newest of the old ring.
                    let at = self.expected_in.len() - end.dropped;
                    let kept_after = self.expected_in.split_off(at);
                    assert_eq!(kept_after.len(), end.dropped);
                    self.dropped += end.dropped;
                }
                assert_eq!(end.unsent, self.written.len() - self.consumed.len());
                self.page = FakePage::new();
                self.path.start_link();
                self.pump();
            }
        }
    }

    /// Everything in order so far: what was read is a prefix of what the backend
    /// produced (less what link ends reported dropped), and what the backend
    /// consumed a prefix of what was written.
    fn check_prefixes(&self) {
        assert_eq!(
            self.read[..],
            self.expected_in[..self.read.len()],
            "inbound bytes lost or repeated"
        );
        assert_eq!(
            self.consumed[..],
            self.written[..self.consumed.len()],
            "outbound bytes lost or repeated"
        );
        // Until it reads out_cons again, the guest counts consumed bytes as unsent.
        assert!(self.path.unsent() >= self.written.len() - self.consumed.len());
    }

    /// Lets both sides run until everything has arrived.
    fn settle(&mut self) {
        loop {
            if self.read.len() == self.expected_in.len()
                && self.consumed.len() == self.written.len()
            {
                return;
            }
            let state = |s: &Self| {
                (
                    s.read.len(),
                    s.consumed.len(),
                    s.path.unsent(),
                    s.path.readable(),
                )
            };
            let before = state(self);
            self.consumed.extend(self.page.consume(usize::MAX));
            self.pump();
            let mut buf = vec![0; 1 << 16];
            let k = self.path.read(&mut buf);
            self.read.extend_from_slice(&buf[..k]);
            self.path.consume(k);
            self.pump();
            assert_ne!(before, state(self), "the data path stalled");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn nothing_lost_nothing_repeated(
        rx_limit in 1usize..6000,
        tx in 1usize..6000,
        steps in proptest::collection::vec(step(), 0..120),
    ) {
        let mut sim = Sim::new(rx_limit, tx);
        for s in &steps {
            sim.run(s);
            sim.check_prefixes();
        }
        sim.settle();
        sim.check_prefixes();
        prop_assert_eq!(&sim.read, &sim.expected_in);
        prop_assert_eq!(&sim.consumed, &sim.written);
    }

    /// A link end drops nothing while the receive queue has its headroom: only a
    /// backend that ends link after link with nobody reading can make it drop.
    #[test]
    fn one_link_end_never_drops(
        rx_limit in 0usize..6000,
        fill in 0usize..3,
    ) {
        let mut sim = Sim::new(rx_limit, 64);
        for _ in 0..fill {
            sim.run(&Step::Produce(IN_SIZE as usize));
            sim.run(&Step::Event);
        }
        sim.run(&Step::Produce(IN_SIZE as usize));
        sim.run(&Step::Relink);
        prop_assert_eq!(sim.dropped, 0);
    }

    /// Events without progress: with nobody reading or writing, a backend that
    /// writes any index values shows progress in at most IN_SIZE events before it
    /// is caught, however it tries.
    #[test]
    fn fake_progress_is_bounded(
        writes in proptest::collection::vec((any::<u32>(), any::<u32>()), 1..3000),
    ) {
        let page = FakePage::new();
        let mut path = DataPath::new(vec![0u8; SAVE_HEADROOM], vec![0u8; 16]);
        let mut progress = 0;
        for (in_prod, out_cons) in writes {
            page.set(Index::InProd, in_prod % (2 * IN_SIZE));
            page.set(Index::OutCons, out_cons % 8);
            match path.on_event(&page) {
                Ok((_, p)) => progress += p as usize,
                Err(_) => break,
            }
        }
        prop_assert!(progress <= IN_SIZE as usize, "{} progress events", progress);
    }
}

#[test]
fn a_restore_replays_unconsumed_bytes_once() {
    let mut sim = Sim::new(4096, 4096);
    sim.run(&Step::Write(3000));
    sim.run(&Step::Consume(100));
    // 1948 bytes sat in the old ring, 952 in the queue: all 2900 follow, in order.
    sim.run(&Step::Relink);
    sim.settle();
    assert_eq!(sim.consumed, sim.written);
}

#[test]
fn an_event_pumps_both_ways() {
    let mut sim = Sim::new(4096, 4096);
    sim.run(&Step::Write(100));
    sim.run(&Step::Produce(10));
    let (moved, progress) = sim.path.on_event(&sim.page).unwrap();
    assert_eq!(
        moved,
        Moved {
            drained: 10,
            consumed: 0,
            sent: 0
        }
    );
    assert!(progress);
    assert_eq!(sim.page.consume(usize::MAX).len(), 100);
    let (moved, progress) = sim.path.on_event(&sim.page).unwrap();
    assert_eq!(
        moved,
        Moved {
            drained: 0,
            consumed: 100,
            sent: 0
        }
    );
    assert!(progress);
    let (_, progress) = sim.path.on_event(&sim.page).unwrap();
    assert!(!progress, "nothing moved since the last event");
    assert_eq!(OUT_SIZE, 2048);
}

#[test]
fn room_and_readable_bytes_follow_the_queues() {
    let mut sim = Sim::new(100, 64);
    assert_eq!(sim.path.writable(), 64);
    assert_eq!(sim.path.write(&[1; 40]), 40);
    assert_eq!(sim.path.writable(), 24);
    assert_eq!(sim.path.write(&[2; 40]), 24, "a write takes what fits");
    assert_eq!(sim.path.writable(), 0);
    sim.run(&Step::Produce(30));
    sim.run(&Step::Event);
    assert_eq!(sim.path.readable(), 30);
    assert_eq!(
        sim.path.writable(),
        0,
        "the ring took 64, none consumed yet"
    );
    sim.run(&Step::Consume(50));
    sim.run(&Step::Event);
    assert_eq!(sim.path.writable(), 50);
}

#[test]
fn the_backend_hears_of_room_and_bytes_only() {
    let none = Moved::default();
    assert!(!none.notify_backend());
    assert!(Moved { drained: 1, ..none }.notify_backend());
    assert!(Moved { sent: 1, ..none }.notify_backend());
    assert!(
        !Moved {
            consumed: 1,
            ..none
        }
        .notify_backend(),
        "writers, not the backend, care"
    );
}
