//! A simulated shared page and backend for the ring tests.

use std::cell::Cell;
use xen_channel_core::ring::{self, Index, SharedRing};

/// The shared page: plain cells, so the "backend" can write between guest calls.
pub struct FakePage {
    bytes: Vec<Cell<u8>>,
    pub barriers: Cell<usize>,
}

impl FakePage {
    pub fn new() -> Self {
        Self {
            bytes: (0..4096).map(|_| Cell::new(0)).collect(),
            barriers: Cell::new(0),
        }
    }

    /// A page whose four indices all start at `start`.
    pub fn at(start: u32) -> Self {
        let page = Self::new();
        for i in [Index::InCons, Index::InProd, Index::OutCons, Index::OutProd] {
            page.set(i, start);
        }
        page
    }

    pub fn get(&self, index: Index) -> u32 {
        let o = index.offset();
        u32::from_le_bytes([0, 1, 2, 3].map(|i| self.bytes[o + i].get()))
    }

    pub fn set(&self, index: Index, value: u32) {
        let o = index.offset();
        for (i, b) in value.to_le_bytes().into_iter().enumerate() {
            self.bytes[o + i].set(b);
        }
    }

    /// Backend side: produce as much of `data` into `in` as fits; returns the count.
    pub fn backend_produce(&self, data: &[u8]) -> usize {
        let cons = self.get(Index::InCons);
        let prod = self.get(Index::InProd);
        let free = (ring::IN_SIZE - prod.wrapping_sub(cons)) as usize;
        let n = free.min(data.len());
        for (i, &b) in data[..n].iter().enumerate() {
            let at = prod.wrapping_add(i as u32) & (ring::IN_SIZE - 1);
            self.bytes[ring::IN_OFFSET + at as usize].set(b);
        }
        self.set(Index::InProd, prod.wrapping_add(n as u32));
        n
    }

    /// Backend side: consume up to `max` bytes from `out`.
    pub fn backend_consume(&self, max: usize) -> Vec<u8> {
        let cons = self.get(Index::OutCons);
        let prod = self.get(Index::OutProd);
        let n = (prod.wrapping_sub(cons) as usize).min(max);
        let out = (0..n)
            .map(|i| {
                let at = cons.wrapping_add(i as u32) & (ring::OUT_SIZE - 1);
                self.bytes[ring::OUT_OFFSET + at as usize].get()
            })
            .collect();
        self.set(Index::OutCons, cons.wrapping_add(n as u32));
        out
    }

    /// A copy of the whole page, to show an operation changed nothing.
    pub fn snapshot(&self) -> Vec<u8> {
        self.bytes.iter().map(Cell::get).collect()
    }
}

impl SharedRing for FakePage {
    fn load_index(&self, index: Index) -> u32 {
        self.get(index)
    }
    fn store_index(&self, index: Index, value: u32) {
        assert!(
            matches!(index, Index::InCons | Index::OutProd),
            "the guest wrote backend-owned index {index:?}"
        );
        self.set(index, value)
    }
    fn read_byte(&self, offset: usize) -> u8 {
        assert!(
            offset < ring::INDEX_OFFSET,
            "guest read outside the rings: {offset}"
        );
        self.bytes[offset].get()
    }
    fn write_byte(&self, offset: usize, value: u8) {
        assert!(
            (ring::OUT_OFFSET..ring::INDEX_OFFSET).contains(&offset),
            "guest wrote outside `out`: {offset}"
        );
        self.bytes[offset].set(value)
    }
    fn read_barrier(&self) {
        self.barriers.set(self.barriers.get() + 1)
    }
    fn write_barrier(&self) {
        self.barriers.set(self.barriers.get() + 1)
    }
    fn full_barrier(&self) {
        self.barriers.set(self.barriers.get() + 1)
    }
}

/// Guest side: read everything available, the way the driver does (peek, consume).
pub fn guest_read(page: &FakePage, max: usize) -> Vec<u8> {
    let mut buf = vec![0; max];
    let n = ring::peek(page, &mut buf).expect("valid indices");
    ring::consume(page, n);
    buf.truncate(n);
    buf
}
