//! The rings and a channel's data path (`pure::ring`, `pure::path`) against a model,
//! with a backend that the fuzzer drives.
//!
//! The shared page is simulated, and the fuzzer's bytes decide what happens next:
//! readers and writers of any size, events, pumps, link ends and new rings on the
//! guest side; on the backend side honest production and consumption, and also
//! any value written to any index (relative to the page, to the guest's indices or
//! absolute, so backwards moves and `prod - cons > size` are all a few bytes away)
//! and bytes scribbled over either ring. A backend action can be deferred to the
//! N-th access of the guest's next operation, so that it happens between two
//! accesses of the same operation (a backend racing the guest).
//!
//! The page checks every access of the guest as it happens:
//!
//! - bytes are read only from `in`, only from what the accepted `in_prod`
//!   published and the guest has not consumed, contiguously from its `in_cons`,
//!   after a read barrier that follows the `in_prod` load; bytes are written only
//!   to `out`, only to free space, contiguously from its `out_prod`, after a full
//!   barrier that follows the `out_cons` load, and they are the next bytes of the
//!   transmit stream;
//! - the guest stores only its own two indices, each covering exactly the bytes it
//!   copied, after the barrier that orders the copies before the store; it never
//!   loads its own indices back from the page;
//! - each backend index is loaded at most once per operation, and an operation
//!   touches the page a bounded number of times;
//! - after an index that no correct backend publishes, the operation touches the
//!   page no more, and fails with exactly that `CorruptIndex`.
//!
//! The model decides on its own, at each load, whether the value is valid: an
//! `in_prod` from the last accepted one up to `in_cons + IN_SIZE`, an `out_cons`
//! from the last accepted one up to `out_prod`. The core must fail exactly when the
//! model says so. The bytes that a valid `in_prod` publishes are taken from the
//! page at that moment: those are the bytes the backend produced, and the only
//! bytes a reader may ever get, in that order. The model keeps its own receive and
//! transmit queues and checks after each operation that the data path reports
//! exactly the bytes it moved (drained as far as the receive limit allows, sent as
//! far as `out` has room), and holds what the model holds. A link end saves what it
//! can and reports the rest as dropped; events report progress exactly when an
//! index moved, and no more often than the guest made room.
//!
//! While the backend is honest (it only produced and consumed), every operation
//! must succeed, the bytes it receives are the writers' stream in order, and at the
//! end both directions must settle: everything written reaches the backend and
//! everything produced reaches the reader or is reported dropped. After a corrupt
//! index the channel is broken, as in the driver: no ring operation runs any more,
//! and what readers still get is only what was produced before.

use crate::input::Input;
use crate::pure::path::{DataPath, SAVE_HEADROOM};
use crate::pure::ring::{
    CorruptIndex, Index, SharedRing, INDEX_OFFSET, IN_OFFSET, IN_SIZE, OUT_OFFSET, OUT_SIZE,
};
use std::cell::RefCell;
use std::sync::OnceLock;

/// Most page accesses one operation may make: two index loads, two stores, four
/// barriers, and at most four runs each way, with room to spare.
const MAX_ACCESSES: u32 = 32;

/// The backend's stream (into `in`) and the writers' stream (into `out`): pseudo-
/// random bytes with a prime period, so not periodic at any ring size. Tables, so
/// that the checks compare slices rather than loop over bytes (every loop
/// iteration in instrumented code costs a traced comparison).
const PERIOD: usize = 1_048_573;

fn table(seed: u64) -> Vec<u8> {
    let mut x = seed;
    let mut t: Vec<u8> = (0..PERIOD)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect();
    // A period and a ring more, so that a ring's worth can be sliced from anywhere.
    t.extend_from_within(..OUT_SIZE as usize);
    t
}

/// `len` bytes (at most a ring) of the backend's or the writers' stream from `at`.
fn stream(writers: bool, at: u64, len: usize) -> &'static [u8] {
    static TABLES: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    let tables =
        TABLES.get_or_init(|| [table(0x9e37_79b9_7f4a_7c15), table(0xc2b2_ae3d_27d4_eb4f)]);
    let at = (at % PERIOD as u64) as usize;
    &tables[writers as usize][at..at + len]
}

/// The (at most two) runs `(ring offset, length)` of `len` bytes from free-running
/// position `at` of a ring of `size`.
fn runs(at: u32, len: u32, size: u32) -> [(usize, usize); 2] {
    let first = (at & (size - 1)) as usize;
    let len = len as usize;
    let n = len.min(size as usize - first);
    [(first, n), (0, len - n)]
}

/// What a value written to an index is relative to.
#[derive(Clone, Copy, Debug)]
enum Base {
    Absolute,
    Page,
    InCons,
    InSeen,
    OutProd,
    OutCons,
}

/// Something the backend does.
#[derive(Clone, Copy, Debug)]
enum Backend {
    /// Produces up to n bytes of its stream into `in`, as a correct backend does.
    Produce(usize),
    /// Consumes up to n bytes from `out`, as a correct backend does.
    Consume(usize),
    /// Writes `base + delta` to an index (any of the four).
    SetIndex(Index, Base, u32),
    /// Writes `len` bytes of `byte` at `at` (modulo the ring) in `in` or `out`.
    Scribble {
        in_ring: bool,
        at: u32,
        len: u32,
        byte: u8,
    },
}

/// What the guest saw during one operation, for the checks at its end.
#[derive(Default)]
struct Op {
    accesses: u32,
    in_prod_loads: u32,
    out_cons_loads: u32,
    /// A read barrier (or full barrier) since the `in_prod` load.
    rmb_after_load: bool,
    /// Bytes read from `in` in this operation, from the guest's `in_cons` on.
    in_read: u32,
    /// A full barrier since the last read of `in`.
    mb_after_read: bool,
    /// A full barrier since the `out_cons` load (or since the operation began).
    mb_before_write: bool,
    /// Bytes written to `out` in this operation, from the guest's `out_prod` on.
    out_written: u32,
    /// A write barrier since the last write to `out`.
    wmb_after_write: bool,
    /// The first invalid backend index seen, as the core must report it.
    corrupt: Option<CorruptIndex>,
    /// Published bytes not yet consumed, right after a valid `in_prod` load.
    pending_after_load: Option<usize>,
    /// What the guest's stores and the accepted `out_cons` moved.
    drained: usize,
    consumed: usize,
    sent: usize,
}

/// The page, the model of the guest's state, and the backend's own view.
struct World {
    page: Vec<u8>,
    /// The guest's indices as the model knows them: from its stores (`in_cons`,
    /// `out_prod`) and from the loads the model accepted (`in_seen`, `out_cons`).
    in_cons: u32,
    in_seen: u32,
    out_prod: u32,
    out_cons: u32,
    /// Bytes `in_cons..in_seen` of `in`: published, not yet copied.
    pending: Vec<u8>,
    /// The receive queue: copied from `in`, not yet consumed by a reader.
    rx: Vec<u8>,
    /// The transmit queue: accepted from writers, not consumed by the backend as
    /// far as the guest knows. `tx[i]` is at position `out_cons + i` of `out`.
    tx: Vec<u8>,
    /// Position in the writers' stream of `tx[0]`, and of position 0 of `out`.
    tx_stream: u64,
    out_link_base: u64,
    /// Bytes writers handed over so far.
    written: u64,
    /// The backend's own indices, and its stream position at position 0 of `in`.
    b_prod: u32,
    b_cons: u32,
    in_link_base: u64,
    produced: u64,
    /// Whether the backend has only produced and consumed.
    honest: bool,
    /// Whether a guest operation is running; backend actions deferred into it.
    in_op: bool,
    deferred: Vec<(u32, Backend)>,
    op: Op,
}

impl World {
    fn new() -> Self {
        Self {
            page: vec![0; 4096],
            in_cons: 0,
            in_seen: 0,
            out_prod: 0,
            out_cons: 0,
            pending: Vec::new(),
            rx: Vec::new(),
            tx: Vec::new(),
            tx_stream: 0,
            out_link_base: 0,
            written: 0,
            b_prod: 0,
            b_cons: 0,
            in_link_base: 0,
            produced: 0,
            honest: true,
            in_op: false,
            deferred: Vec::new(),
            op: Op::default(),
        }
    }

    fn get(&self, index: Index) -> u32 {
        let o = index.offset();
        u32::from_le_bytes(self.page[o..o + 4].try_into().unwrap())
    }

    fn set(&mut self, index: Index, value: u32) {
        let o = index.offset();
        self.page[o..o + 4].copy_from_slice(&value.to_le_bytes());
    }

    /// A fresh, zeroed ring for a new link.
    fn new_ring(&mut self) {
        assert!(self.pending.is_empty(), "a link ended with published bytes");
        self.page.fill(0);
        (self.in_cons, self.in_seen, self.out_prod, self.out_cons) = (0, 0, 0, 0);
        (self.b_prod, self.b_cons) = (0, 0);
        self.in_link_base = self.produced;
        self.out_link_base = self.tx_stream;
    }

    /// The backend writes `byte` at free-running position `k` of `in`. Published
    /// bytes the guest has not copied yet change what it will deliver; while the
    /// guest is copying them, such a write is left out: the model cannot know which
    /// of the two bytes the guest got.
    fn write_in(&mut self, k: u32, byte: u8) {
        let slot = k & (IN_SIZE - 1);
        let off = slot.wrapping_sub(self.in_cons) & (IN_SIZE - 1);
        if (off as usize) < self.pending.len() {
            if self.in_op {
                return;
            }
            self.pending[off as usize] = byte;
        }
        self.page[IN_OFFSET + slot as usize] = byte;
    }

    fn backend(&mut self, action: Backend) {
        match action {
            Backend::Produce(n) => {
                let used = self.b_prod.wrapping_sub(self.get(Index::InCons));
                let n = (IN_SIZE.saturating_sub(used) as usize).min(n) as u32;
                let data = stream(false, self.produced, n as usize);
                // Clear of the published bytes (always, for an honest backend):
                // copy the runs at once.
                let from = self.b_prod.wrapping_sub(self.in_cons);
                if from >= self.pending.len() as u32 && from <= IN_SIZE - n {
                    let mut done = 0;
                    for (off, len) in runs(self.b_prod, n, IN_SIZE) {
                        self.page[IN_OFFSET + off..][..len].copy_from_slice(&data[done..][..len]);
                        done += len;
                    }
                } else {
                    for (i, &byte) in data.iter().enumerate() {
                        self.write_in(self.b_prod.wrapping_add(i as u32), byte);
                    }
                }
                self.produced += u64::from(n);
                self.b_prod = self.b_prod.wrapping_add(n);
                self.set(Index::InProd, self.b_prod);
            }
            Backend::Consume(n) => {
                let avail = self.get(Index::OutProd).wrapping_sub(self.b_cons);
                if avail > OUT_SIZE {
                    return;
                }
                let n = (avail as usize).min(n) as u32;
                if self.honest {
                    let want = stream(
                        true,
                        self.out_link_base + u64::from(self.b_cons),
                        n as usize,
                    );
                    let mut done = 0;
                    for (off, len) in runs(self.b_cons, n, OUT_SIZE) {
                        assert!(
                            self.page[OUT_OFFSET + off..][..len] == want[done..][..len],
                            "the backend got wrong bytes from out at {}",
                            self.b_cons
                        );
                        done += len;
                    }
                }
                self.b_cons = self.b_cons.wrapping_add(n);
                self.set(Index::OutCons, self.b_cons);
            }
            Backend::SetIndex(index, base, delta) => {
                self.honest = false;
                let base = match base {
                    Base::Absolute => 0,
                    Base::Page => self.get(index),
                    Base::InCons => self.in_cons,
                    Base::InSeen => self.in_seen,
                    Base::OutProd => self.out_prod,
                    Base::OutCons => self.out_cons,
                };
                let value = base.wrapping_add(delta);
                self.set(index, value);
                // A backend that jumps carries on from there.
                match index {
                    Index::InProd => self.b_prod = value,
                    Index::OutCons => self.b_cons = value,
                    _ => {}
                }
            }
            Backend::Scribble {
                in_ring,
                at,
                len,
                byte,
            } => {
                self.honest = false;
                for i in 0..len {
                    let k = at.wrapping_add(i);
                    if in_ring {
                        self.write_in(k, byte);
                    } else {
                        self.page[OUT_OFFSET + (k & (OUT_SIZE - 1)) as usize] = byte;
                    }
                }
            }
        }
    }

    /// Every access of the guest: nothing after a corrupt index, a bounded number
    /// per operation, and deferred backend actions fire when their time comes.
    fn access(&mut self) {
        assert!(
            self.op.corrupt.is_none(),
            "the guest touched the page after a corrupt index ({:?})",
            self.op.corrupt
        );
        self.op.accesses += 1;
        assert!(
            self.op.accesses <= MAX_ACCESSES,
            "more than {MAX_ACCESSES} page accesses in one operation"
        );
        let now = self.op.accesses;
        let mut i = 0;
        while i < self.deferred.len() {
            if self.deferred[i].0 <= now {
                let (_, action) = self.deferred.remove(i);
                self.backend(action);
            } else {
                i += 1;
            }
        }
    }

    fn begin(&mut self) {
        self.in_op = true;
        self.op = Op::default();
    }

    /// Ends a guest operation; backend actions deferred past its last access
    /// happen now.
    fn end(&mut self) -> Op {
        self.in_op = false;
        for (_, action) in std::mem::take(&mut self.deferred) {
            self.backend(action);
        }
        std::mem::take(&mut self.op)
    }
}

/// The page as the guest sees it.
struct Page<'a>(&'a RefCell<World>);

impl SharedRing for Page<'_> {
    fn load_index(&self, index: Index) -> u32 {
        let mut w = self.0.borrow_mut();
        w.access();
        let value = w.get(index);
        match index {
            Index::InCons | Index::OutProd => {
                panic!("the guest loaded its own index {index:?} back from the page")
            }
            Index::InProd => {
                w.op.in_prod_loads += 1;
                assert_eq!(
                    w.op.in_prod_loads, 1,
                    "in_prod loaded twice in one operation"
                );
                w.op.rmb_after_load = false;
                // Valid: from the last accepted value up to a full ring past in_cons.
                let ahead = u64::from(value.wrapping_sub(w.in_seen));
                let backlog = u64::from(w.in_seen.wrapping_sub(w.in_cons));
                if ahead + backlog > u64::from(IN_SIZE) {
                    w.op.corrupt = Some(CorruptIndex {
                        index,
                        value,
                        ours: w.in_cons,
                    });
                } else {
                    let start = w.pending.len();
                    for (off, len) in runs(w.in_seen, ahead as u32, IN_SIZE) {
                        let World { page, pending, .. } = &mut *w;
                        pending.extend_from_slice(&page[IN_OFFSET + off..][..len]);
                    }
                    if w.honest {
                        let want =
                            stream(false, w.in_link_base + u64::from(w.in_seen), ahead as usize);
                        assert!(
                            w.pending[start..] == *want,
                            "the model lost the backend's bytes"
                        );
                    }
                    w.in_seen = value;
                    w.op.pending_after_load = Some(w.pending.len());
                }
            }
            Index::OutCons => {
                w.op.out_cons_loads += 1;
                assert_eq!(
                    w.op.out_cons_loads, 1,
                    "out_cons loaded twice in one operation"
                );
                w.op.mb_before_write = false;
                // Valid: from the last accepted value up to out_prod.
                let consumed = value.wrapping_sub(w.out_cons);
                if consumed > w.out_prod.wrapping_sub(w.out_cons) {
                    w.op.corrupt = Some(CorruptIndex {
                        index,
                        value,
                        ours: w.out_prod,
                    });
                } else {
                    assert!(
                        w.tx.len() >= consumed as usize,
                        "bytes in flight not queued"
                    );
                    w.tx.drain(..consumed as usize);
                    w.tx_stream += u64::from(consumed);
                    w.out_cons = value;
                    w.op.consumed += consumed as usize;
                }
            }
        }
        value
    }

    fn store_index(&self, index: Index, value: u32) {
        let mut w = self.0.borrow_mut();
        w.access();
        match index {
            Index::InProd | Index::OutCons => {
                panic!("the guest wrote backend-owned index {index:?}")
            }
            Index::InCons => {
                let n = value.wrapping_sub(w.in_cons);
                assert!(
                    n as usize <= w.pending.len(),
                    "in_cons {value} passes the published bytes"
                );
                assert_eq!(n, w.op.in_read, "in_cons does not cover the bytes read");
                assert!(
                    n == 0 || w.op.mb_after_read,
                    "in_cons stored without a full barrier after the reads"
                );
                let World { pending, rx, .. } = &mut *w;
                rx.extend_from_slice(&pending[..n as usize]);
                pending.drain(..n as usize);
                w.in_cons = value;
                w.op.in_read = 0;
                w.op.drained += n as usize;
            }
            Index::OutProd => {
                let n = value.wrapping_sub(w.out_prod);
                assert_eq!(
                    n, w.op.out_written,
                    "out_prod does not cover the bytes written"
                );
                assert!(
                    n == 0 || w.op.wmb_after_write,
                    "out_prod stored without a write barrier after the writes"
                );
                w.out_prod = value;
                w.op.out_written = 0;
                w.op.sent += n as usize;
            }
        }
        w.set(index, value);
    }

    fn read(&self, offset: usize, dst: &mut [u8]) {
        let mut w = self.0.borrow_mut();
        w.access();
        let len = dst.len();
        assert!(
            offset >= IN_OFFSET && offset + len <= IN_OFFSET + IN_SIZE as usize,
            "guest read outside in: {offset}+{len}"
        );
        if len == 0 {
            return;
        }
        assert!(
            w.op.in_prod_loads == 1 && w.op.rmb_after_load,
            "in read without a read barrier after the in_prod load"
        );
        let at = w.in_cons.wrapping_add(w.op.in_read);
        assert_eq!(
            offset - IN_OFFSET,
            (at & (IN_SIZE - 1)) as usize,
            "in read out of order"
        );
        assert!(
            w.op.in_read as usize + len <= w.pending.len(),
            "in read past the published bytes"
        );
        dst.copy_from_slice(&w.page[offset..offset + len]);
        w.op.in_read += len as u32;
        w.op.mb_after_read = false;
    }

    fn write(&self, offset: usize, src: &[u8]) {
        let mut w = self.0.borrow_mut();
        w.access();
        let len = src.len();
        assert!(
            offset >= OUT_OFFSET && offset + len <= INDEX_OFFSET,
            "guest wrote outside out: {offset}+{len}"
        );
        if len == 0 {
            return;
        }
        assert!(
            w.op.mb_before_write,
            "out written without a full barrier after the out_cons load"
        );
        let at = w.out_prod.wrapping_add(w.op.out_written);
        assert_eq!(
            offset - OUT_OFFSET,
            (at & (OUT_SIZE - 1)) as usize,
            "out written out of order"
        );
        let from = at.wrapping_sub(w.out_cons) as usize;
        assert!(
            from + len <= OUT_SIZE as usize,
            "out written over bytes the backend has not consumed"
        );
        assert!(
            from + len <= w.tx.len(),
            "out written past the queued bytes"
        );
        assert!(
            w.tx[from..from + len] == *src,
            "out written with bytes other than the next ones queued"
        );
        w.page[offset..offset + len].copy_from_slice(src);
        w.op.out_written += len as u32;
        w.op.wmb_after_write = false;
    }

    fn read_barrier(&self) {
        let mut w = self.0.borrow_mut();
        w.access();
        w.op.rmb_after_load = true;
    }

    fn write_barrier(&self) {
        let mut w = self.0.borrow_mut();
        w.access();
        w.op.wmb_after_write = true;
    }

    fn full_barrier(&self) {
        let mut w = self.0.borrow_mut();
        w.access();
        w.op.rmb_after_load = true;
        w.op.mb_after_read = true;
        w.op.mb_before_write = true;
        w.op.wmb_after_write = true;
    }
}

/// A guest operation.
#[derive(Clone, Copy, Debug)]
enum Guest {
    /// A writer hands over n bytes of its stream; the driver pumps after it.
    Write(usize, bool),
    /// A reader takes up to n bytes; if it delivers them, they are consumed and
    /// the driver pumps.
    Read(usize, bool),
    Pump,
    Event,
    /// The link ends (backend closed, restore) and a new ring starts.
    Relink,
    EndLink,
    StartLink,
}

struct Sim {
    world: RefCell<World>,
    path: DataPath<Vec<u8>>,
    rx_limit: usize,
    rx_capacity: usize,
    tx_capacity: usize,
    live: bool,
    broken: bool,
    /// `in_seen`, `out_cons` at the last event.
    event_seen: (u32, u32),
    /// Per link: events that showed progress, and the room the guest made.
    progress: usize,
    link_drained: usize,
    link_sent: usize,
    /// Bytes readers got, bytes link ends reported dropped, and the `in_prod`
    /// accepted at the end of each earlier link.
    delivered: u64,
    dropped: u64,
    accepted_before: u64,
}

impl Sim {
    fn new(rx_limit: usize, tx_capacity: usize) -> Self {
        let rx_capacity = rx_limit + SAVE_HEADROOM;
        let mut sim = Self {
            world: RefCell::new(World::new()),
            path: DataPath::new(vec![0; rx_capacity], vec![0; tx_capacity]),
            rx_limit,
            rx_capacity,
            tx_capacity,
            live: false,
            broken: false,
            event_seen: (0, 0),
            progress: 0,
            link_drained: 0,
            link_sent: 0,
            delivered: 0,
            dropped: 0,
            accepted_before: 0,
        };
        sim.start_link();
        sim
    }

    fn ring_up(&self) -> bool {
        self.live && !self.broken
    }

    /// The queues as the model has them.
    fn check_queues(&self) {
        let w = self.world.borrow();
        assert_eq!(self.path.readable(), w.rx.len(), "receive queue length");
        assert_eq!(self.path.unsent(), w.tx.len(), "transmit queue length");
        assert_eq!(
            self.path.writable(),
            self.tx_capacity - w.tx.len(),
            "transmit queue room"
        );
        assert_eq!(
            w.pending.len(),
            w.in_seen.wrapping_sub(w.in_cons) as usize,
            "model"
        );
    }

    /// A failed operation: exactly the corrupt index the model saw; the channel
    /// is broken from here on.
    fn failed(&mut self, op: &Op, bad: CorruptIndex) {
        assert_eq!(
            op.corrupt,
            Some(bad),
            "CorruptIndex without (or other than) a corrupt index"
        );
        assert!(
            !self.world.borrow().honest,
            "an honest backend was reported corrupt: {bad:?}"
        );
        self.broken = true;
    }

    /// A pump that succeeded: it moved exactly what the model saw, as far as the
    /// limits allow.
    fn pumped(&mut self, op: &Op, moved: crate::pure::path::Moved, rx_before: usize) {
        assert_eq!(op.corrupt, None, "a corrupt index went unreported");
        assert_eq!(moved.drained, op.drained, "drained count");
        assert_eq!(moved.consumed, op.consumed, "consumed count");
        assert_eq!(moved.sent, op.sent, "sent count");
        let pending = op
            .pending_after_load
            .expect("a pump that did not load in_prod");
        assert_eq!(
            moved.drained,
            pending.min(self.rx_limit.saturating_sub(rx_before)),
            "drained less or more than the receive limit allows"
        );
        assert!(
            moved.drained == 0 || self.path.readable() <= self.rx_limit,
            "drained past the receive limit"
        );
        let w = self.world.borrow();
        let in_flight = w.out_prod.wrapping_sub(w.out_cons) as usize - moved.sent;
        assert!(w.tx.len() >= in_flight, "bytes in flight are not queued");
        assert_eq!(
            moved.sent,
            (OUT_SIZE as usize - in_flight).min(w.tx.len() - in_flight),
            "sent less or more than out has room for"
        );
        assert_eq!(moved.notify_backend(), moved.drained > 0 || moved.sent > 0);
        drop(w);
        self.link_drained += moved.drained;
        self.link_sent += moved.sent;
        self.check_queues();
    }

    fn pump(&mut self, event: bool) {
        if !self.ring_up() {
            return;
        }
        let rx_before = self.path.readable();
        self.world.borrow_mut().begin();
        let page = Page(&self.world);
        let result = if event {
            self.path.on_event(&page)
        } else {
            self.path.pump(&page).map(|m| (m, false))
        };
        let op = self.world.borrow_mut().end();
        match result {
            Err(bad) => self.failed(&op, bad),
            Ok((moved, progress)) => {
                self.pumped(&op, moved, rx_before);
                if event {
                    let w = self.world.borrow();
                    let seen = (w.in_seen, w.out_cons);
                    assert_eq!(
                        progress,
                        seen != self.event_seen,
                        "event progress is whether an index moved"
                    );
                    self.event_seen = seen;
                    self.progress += progress as usize;
                    assert!(
                        self.progress <= self.link_drained + IN_SIZE as usize + self.link_sent,
                        "more progress than the guest made room for"
                    );
                }
            }
        }
    }

    fn end_link(&mut self) {
        if !self.ring_up() {
            return;
        }
        let rx_before = self.path.readable();
        self.world.borrow_mut().begin();
        let result = self.path.end_link(&Page(&self.world));
        let op = self.world.borrow_mut().end();
        match result {
            Err(bad) => self.failed(&op, bad),
            Ok(end) => {
                assert_eq!(op.corrupt, None, "a corrupt index went unreported");
                let pending = op
                    .pending_after_load
                    .expect("a link end that did not load in_prod");
                assert_eq!(end.saved, op.drained, "saved count");
                assert_eq!(
                    end.saved,
                    pending.min(self.rx_capacity - rx_before),
                    "a link end saves what fits in the whole receive queue"
                );
                let mut w = self.world.borrow_mut();
                assert_eq!(end.dropped, w.pending.len(), "dropped count");
                assert_eq!(end.unsent, w.tx.len(), "unsent count");
                w.pending.clear();
                self.dropped += end.dropped as u64;
                self.accepted_before += u64::from(w.in_seen);
                // The old ring is gone: nothing of it is pending any more.
                w.in_cons = w.in_seen;
                drop(w);
                self.live = false;
                self.check_queues();
            }
        }
    }

    fn start_link(&mut self) {
        if self.live || self.broken {
            return;
        }
        self.world.borrow_mut().new_ring();
        self.path.start_link();
        self.live = true;
        self.event_seen = (0, 0);
        (self.progress, self.link_drained, self.link_sent) = (0, 0, 0);
        // The driver pumps a new ring at once, to replay what is queued.
        self.pump(false);
    }

    fn guest(&mut self, op: Guest) {
        match op {
            Guest::Write(n, pump) => {
                self.world.borrow_mut().begin();
                let data: Vec<u8> = {
                    let w = self.world.borrow();
                    let mut data = Vec::with_capacity(n);
                    for at in (0..n).step_by(OUT_SIZE as usize) {
                        let len = (n - at).min(OUT_SIZE as usize);
                        data.extend_from_slice(stream(true, w.written + at as u64, len));
                    }
                    data
                };
                let k = self.path.write(&data);
                let mut w = self.world.borrow_mut();
                w.end();
                assert_eq!(k, n.min(self.tx_capacity - w.tx.len()), "write took");
                w.tx.extend_from_slice(&data[..k]);
                w.written += k as u64;
                drop(w);
                self.check_queues();
                if pump {
                    self.pump(false);
                }
            }
            Guest::Read(n, deliver) => {
                self.world.borrow_mut().begin();
                let mut buf = vec![0; n];
                let k = self.path.read(&mut buf);
                let mut w = self.world.borrow_mut();
                w.end();
                assert_eq!(k, n.min(w.rx.len()), "read gave");
                assert!(
                    w.rx[..k] == buf[..k],
                    "read gave bytes other than the ones produced, in order"
                );
                if deliver {
                    self.path.consume(k);
                    w.rx.drain(..k);
                    self.delivered += k as u64;
                }
                drop(w);
                self.check_queues();
                if deliver {
                    self.pump(false);
                }
            }
            Guest::Pump => self.pump(false),
            Guest::Event => self.pump(true),
            Guest::Relink => {
                self.end_link();
                self.start_link();
            }
            Guest::EndLink => self.end_link(),
            Guest::StartLink => self.start_link(),
        }
    }

    /// An honest backend and a reader that keep going: everything written
    /// reaches the backend, and everything produced reaches the reader or was
    /// reported dropped.
    fn settle(&mut self) {
        self.start_link();
        for _ in 0..10_000 {
            let before = {
                let w = self.world.borrow();
                (
                    self.delivered,
                    w.tx.len(),
                    w.pending.len(),
                    w.b_cons,
                    w.in_seen,
                    w.out_prod,
                )
            };
            {
                let mut w = self.world.borrow_mut();
                w.backend(Backend::Consume(usize::MAX));
            }
            self.pump(true);
            self.guest(Guest::Read(self.rx_capacity, true));
            let w = self.world.borrow();
            let done = w.tx.is_empty()
                && w.rx.is_empty()
                && w.pending.is_empty()
                && w.in_seen == w.b_prod
                && w.b_cons == w.out_prod;
            if done {
                assert_eq!(
                    self.delivered + self.dropped,
                    self.accepted_before + u64::from(w.in_seen),
                    "bytes produced and accepted were neither delivered nor reported dropped"
                );
                assert_eq!(w.tx_stream, w.written);
                return;
            }
            let after = (
                self.delivered,
                w.tx.len(),
                w.pending.len(),
                w.b_cons,
                w.in_seen,
                w.out_prod,
            );
            assert_ne!(before, after, "the data path stalled");
        }
        panic!("the data path did not settle");
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let rx_limit = 1 + input.below(9000);
    let tx_capacity = 1 + input.below(9000);
    let mut sim = Sim::new(rx_limit, tx_capacity);
    let mut ops = 0;
    while !input.is_empty() && ops < 2000 {
        ops += 1;
        let code = input.u8();
        let backend = match code & 0x0f {
            0 | 1 => {
                let n = input.below(6000);
                sim.guest(Guest::Write(n, code & 0x10 == 0));
                None
            }
            2 | 3 => {
                let n = input.below(6000);
                sim.guest(Guest::Read(n, code & 0x10 == 0));
                None
            }
            4 => {
                sim.guest(Guest::Pump);
                None
            }
            5 | 15 => {
                sim.guest(Guest::Event);
                None
            }
            6 => {
                sim.guest(Guest::Relink);
                None
            }
            7 => {
                sim.guest(Guest::EndLink);
                None
            }
            8 => {
                sim.guest(Guest::StartLink);
                None
            }
            9 | 10 => Some(Backend::Produce(input.below(3000))),
            11 | 12 => Some(Backend::Consume(input.below(3000))),
            13 => {
                let which = input.u8();
                let index = [Index::InCons, Index::InProd, Index::OutCons, Index::OutProd]
                    [usize::from(which & 3)];
                let base = [
                    Base::Absolute,
                    Base::Page,
                    Base::InCons,
                    Base::InSeen,
                    Base::OutProd,
                    Base::OutCons,
                ][usize::from(which >> 2) % 6];
                let delta = if which & 0x80 != 0 {
                    input.u32()
                } else {
                    // Small moves either way.
                    i32::from(input.u16() as i16) as u32
                };
                Some(Backend::SetIndex(index, base, delta))
            }
            _ => {
                let in_ring = code & 0x10 == 0;
                let at = u32::from(input.u16());
                let len = u32::from(input.u8());
                let byte = input.u8();
                Some(Backend::Scribble {
                    in_ring,
                    at,
                    len,
                    byte,
                })
            }
        };
        if let Some(action) = backend {
            let mut w = sim.world.borrow_mut();
            if code & 0x80 != 0 {
                // Into the next guest operation, before its N-th page access.
                let at = u32::from(input.u8()) % 24;
                w.deferred.push((at, action));
            } else {
                w.backend(action);
            }
        }
    }
    // What is still deferred happens now, between operations.
    sim.world.borrow_mut().begin();
    sim.world.borrow_mut().end();
    let honest = sim.world.borrow().honest;
    if honest && !sim.broken {
        sim.settle();
    } else if sim.broken {
        // A reader still gets only what was produced before the corruption.
        sim.guest(Guest::Read(sim.rx_capacity, true));
        assert_eq!(sim.path.readable(), 0);
    }
}
