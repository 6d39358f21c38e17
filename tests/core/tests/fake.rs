//! A simulated shared page and an honest backend, for the ring and data-path tests.

use crate::pure::ring::{
    Index, SharedRing, INDEX_OFFSET, IN_OFFSET, IN_SIZE, OUT_OFFSET, OUT_SIZE,
};
use std::cell::{Cell, RefCell};

/// The shared page: cells, so that the "backend" can write between guest calls.
/// It panics if the guest touches what it must not.
pub(crate) struct FakePage {
    bytes: RefCell<Vec<u8>>,
    pub(crate) barriers: Cell<usize>,
    /// Index loads, to show each backend index is read once per operation.
    pub(crate) loads: Cell<usize>,
}

impl FakePage {
    /// A fresh, zeroed page.
    pub(crate) fn new() -> Self {
        Self {
            bytes: RefCell::new(vec![0; 4096]),
            barriers: Cell::new(0),
            loads: Cell::new(0),
        }
    }

    pub(crate) fn get(&self, index: Index) -> u32 {
        let o = index.offset();
        let b = self.bytes.borrow();
        u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
    }

    pub(crate) fn set(&self, index: Index, value: u32) {
        let o = index.offset();
        self.bytes.borrow_mut()[o..o + 4].copy_from_slice(&value.to_le_bytes());
    }

    /// Backend side: produces as much of `data` into `in` as fits; returns the count.
    pub(crate) fn produce(&self, data: &[u8]) -> usize {
        let cons = self.get(Index::InCons);
        let prod = self.get(Index::InProd);
        let free = (IN_SIZE - prod.wrapping_sub(cons)) as usize;
        let n = free.min(data.len());
        for (i, &b) in data[..n].iter().enumerate() {
            let at = prod.wrapping_add(i as u32) & (IN_SIZE - 1);
            self.bytes.borrow_mut()[IN_OFFSET + at as usize] = b;
        }
        self.set(Index::InProd, prod.wrapping_add(n as u32));
        n
    }

    /// Backend side: consumes up to `max` bytes from `out`.
    pub(crate) fn consume(&self, max: usize) -> Vec<u8> {
        let cons = self.get(Index::OutCons);
        let prod = self.get(Index::OutProd);
        let n = (prod.wrapping_sub(cons) as usize).min(max);
        let out = (0..n)
            .map(|i| {
                let at = cons.wrapping_add(i as u32) & (OUT_SIZE - 1);
                self.bytes.borrow()[OUT_OFFSET + at as usize]
            })
            .collect();
        self.set(Index::OutCons, cons.wrapping_add(n as u32));
        out
    }

    /// A copy of the whole page.
    pub(crate) fn snapshot(&self) -> Vec<u8> {
        self.bytes.borrow().clone()
    }
}

impl SharedRing for FakePage {
    fn load_index(&self, index: Index) -> u32 {
        self.loads.set(self.loads.get() + 1);
        self.get(index)
    }
    fn store_index(&self, index: Index, value: u32) {
        assert!(
            matches!(index, Index::InCons | Index::OutProd),
            "the guest wrote backend-owned index {index:?}"
        );
        self.set(index, value)
    }
    fn read(&self, offset: usize, dst: &mut [u8]) {
        assert!(
            (IN_OFFSET..OUT_OFFSET).contains(&offset) && offset + dst.len() <= OUT_OFFSET,
            "guest read outside `in`: {offset}+{}",
            dst.len()
        );
        dst.copy_from_slice(&self.bytes.borrow()[offset..offset + dst.len()]);
    }
    fn write(&self, offset: usize, src: &[u8]) {
        assert!(
            (OUT_OFFSET..INDEX_OFFSET).contains(&offset) && offset + src.len() <= INDEX_OFFSET,
            "guest wrote outside `out`: {offset}+{}",
            src.len()
        );
        self.bytes.borrow_mut()[offset..offset + src.len()].copy_from_slice(src);
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
