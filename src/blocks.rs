//! The wasm's memory allocator: blocks of power-of-two sizes, one free list per size (issue #16: Rust's own
//! allocator for wasm32, dlmalloc, is about 2 KB of the release's gzip; this is a few hundred bytes).
//!
//! A request of `size` bytes aligned to `align` gets a block of the smallest power of two that holds
//! `max(size, align, 8)`: its class `c` (a block of class `c` has 2^c bytes). Every block is aligned to its own
//! size (up to 64 KB, a wasm page), so any alignment up to its size holds. Where blocks come from:
//! - class 16 and up (64 KB and more): 2^(c-16) fresh pages from the memory's `grow` (pages are 64 KB aligned);
//! - classes 12 to 15 (4 to 32 KB): one 64 KB block cut in pieces of that size;
//! - classes 3 to 11 (8 B to 2 KB): one 4 KB block cut in pieces.
//! A freed block goes to the front of its class's list (its first word links to the next free one) and is the
//! next one given out for that class. Blocks are never merged or returned to the browser (wasm memory never
//! shrinks anyway): a long shift repeats the same sizes, so after the first calls every request finds a block
//! freed by an earlier call and the memory stays flat (the shift benchmark measures it, README). The price: up to
//! half of a block unused (a 1,025-byte string takes 2 KB), on a heap of a few hundred KB alive.
//!
//! One thread only (wasm32 without the `atomics` feature, as `src/heap.rs` checks): plain cells.

use std::cell::Cell;

/// log2 of the smallest block (8 bytes: a free block must hold the link to the next).
const MIN: u32 = 3;
/// log2 of a wasm page (64 KB): blocks of this class and up are whole pages.
const PAGE: u32 = 16;
/// Classes up to 2^31 bytes (a wasm32 memory holds at most 2^32).
const CLASSES: usize = 32;

/// Where fresh pages come from: `grow(n)` adds `n` 64 KB pages and returns the address of the first, or
/// `None` when the memory cannot grow (the request then fails: null, as every allocator does).
pub trait Pages {
    fn grow(&self, pages: usize) -> Option<usize>;
}

pub struct Blocks<P: Pages> {
    /// The first free block of each class (0: none).
    free: [Cell<usize>; CLASSES],
    pages: P,
}

/// The class of a request: the log2 of the smallest block that holds it, None past 2^31 bytes.
pub fn class(size: usize, align: usize) -> Option<u32> {
    let n = size.max(align).max(1 << MIN);
    if n > 1 << (CLASSES - 1) {
        return None;
    }
    Some(usize::BITS - (n - 1).leading_zeros())
}

impl<P: Pages> Blocks<P> {
    pub const fn new(pages: P) -> Self {
        Blocks { free: [const { Cell::new(0) }; CLASSES], pages }
    }

    /// A block of class `c`: the first free one, else a fresh one (pages, or a bigger block cut in pieces).
    /// 0 when the memory cannot grow.
    fn take(&self, c: u32) -> usize {
        let head = &self.free[c as usize];
        let b = head.get();
        if b != 0 {
            // SAFETY: a free block of this class, given back by `give` (or cut by `cut`), holds the next link.
            head.set(unsafe { (b as *const usize).read() });
            return b;
        }
        if c >= PAGE {
            return self.pages.grow(1 << (c - PAGE)).unwrap_or(0);
        }
        // The block to cut: 64 KB for classes 12-15, 4 KB for the small ones (one page holds 16 of those).
        let from = if c >= 12 { PAGE } else { 12 };
        let big = self.take(from);
        if big == 0 {
            return 0;
        }
        // Keep the first piece; the others go to the list, in address order.
        let size = 1usize << c;
        let mut at = big + (1usize << from);
        while at > big + size {
            at -= size;
            self.give(at, c);
        }
        big
    }

    /// Puts a block back at the front of its class's list.
    fn give(&self, b: usize, c: u32) {
        let head = &self.free[c as usize];
        // SAFETY: `b` is a block of class `c` (at least 8 bytes, aligned to 8) that nobody uses any more.
        unsafe { (b as *mut usize).write(head.get()) };
        head.set(b);
    }

    /// A block for `size` bytes aligned to `align` (a power of two), or null.
    pub fn alloc(&self, size: usize, align: usize) -> *mut u8 {
        // Pages are only 64 KB aligned: a bigger alignment cannot be given (Rust never asks for one here).
        match class(size, align) {
            Some(c) if align <= 1 << PAGE => self.take(c) as *mut u8,
            _ => std::ptr::null_mut(),
        }
    }

    /// Frees a block given by `alloc` for this `size` and `align`.
    ///
    /// # Safety
    /// `p` came from `alloc(size, align)` on this allocator and is not used after this.
    pub unsafe fn dealloc(&self, p: *mut u8, size: usize, align: usize) {
        if let Some(c) = class(size, align) {
            self.give(p as usize, c);
        }
    }

    /// Resizes a block: the same one when the new size has the same class, else a new one with the old
    /// contents (up to the smaller size), the old one freed. Null (the old block kept) when none can be had.
    ///
    /// # Safety
    /// `p` came from `alloc(size, align)` on this allocator.
    pub unsafe fn realloc(&self, p: *mut u8, size: usize, align: usize, new: usize) -> *mut u8 {
        if class(size, align) == class(new, align) {
            return p;
        }
        let q = self.alloc(new, align);
        if !q.is_null() {
            // SAFETY: both blocks hold at least min(size, new) bytes and are distinct (`p` is in use).
            unsafe {
                std::ptr::copy_nonoverlapping(p, q, size.min(new));
                self.dealloc(p, size, align);
            }
        }
        q
    }
}

/// The wasm memory's own pages.
#[cfg(target_arch = "wasm32")]
pub struct Memory;

#[cfg(target_arch = "wasm32")]
impl Pages for Memory {
    fn grow(&self, pages: usize) -> Option<usize> {
        let old = core::arch::wasm32::memory_grow::<0>(pages);
        (old != usize::MAX).then(|| old << PAGE)
    }
}

#[cfg(test)]
#[path = "blocks_tests.rs"]
mod tests;
