//! The allocator on the host, over an arena that stands in for the wasm memory (64 KB pages, 64 KB aligned).

use super::*;
use crate::fuzz_rng::Rng;
use std::cell::RefCell;

/// A memory of at most `max` pages in a host buffer; `grow` hands out the next pages, as `memory.grow` does.
struct Arena {
    base: usize,
    used: Cell<usize>,
    max: usize,
    grown: RefCell<Vec<usize>>,
    _buf: Vec<u8>,
}

impl Arena {
    fn new(max: usize) -> Arena {
        let buf = vec![0xA5u8; (max + 1) << PAGE];
        let base = (buf.as_ptr() as usize + (1 << PAGE) - 1) & !((1 << PAGE) - 1);
        Arena { base, used: Cell::new(0), max, grown: RefCell::new(Vec::new()), _buf: buf }
    }
}

impl Pages for &Arena {
    fn grow(&self, pages: usize) -> Option<usize> {
        if self.used.get() + pages > self.max {
            return None;
        }
        let at = self.base + (self.used.get() << PAGE);
        self.used.set(self.used.get() + pages);
        self.grown.borrow_mut().push(pages);
        Some(at)
    }
}

#[test]
fn class_is_the_smallest_power_of_two_that_holds_the_request() {
    assert_eq!(class(1, 1), Some(3));
    assert_eq!(class(8, 8), Some(3));
    assert_eq!(class(9, 1), Some(4));
    assert_eq!(class(16, 4), Some(4));
    assert_eq!(class(17, 4), Some(5));
    assert_eq!(class(1, 64), Some(6));
    assert_eq!(class(1025, 1), Some(11));
    assert_eq!(class(65536, 8), Some(16));
    assert_eq!(class(65537, 8), Some(17));
    assert_eq!(class(1 << 31, 1), Some(31));
    assert_eq!(class((1 << 31) + 1, 1), None);
    assert_eq!(class(usize::MAX, 1), None);
}

/// Random allocations, frees and resizes: every block is aligned, inside the memory, apart from every other
/// live block, and keeps what was written in it (each block is filled with its own byte and checked).
#[test]
fn blocks_are_aligned_apart_and_keep_their_contents() {
    let arena = Arena::new(1024);
    let heap = Blocks::new(&arena);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // (address, size, align, fill byte)
    let mut live: Vec<(usize, usize, usize, u8)> = Vec::new();
    let check = |p: usize, size: usize, fill: u8| {
        // SAFETY: a live block of `size` bytes in the arena.
        let b = unsafe { std::slice::from_raw_parts(p as *const u8, size) };
        assert!(b.iter().all(|&x| x == fill), "block at {p:#x} lost its contents");
    };
    for step in 0..20_000u32 {
        let op = rng.below(10);
        if op < 5 || live.is_empty() {
            let size = match rng.below(10) {
                0..=5 => 1 + rng.below(64),
                6..=8 => 1 + rng.below(5000),
                _ => 1 + rng.below(300_000),
            };
            // Mostly the alignments Rust's types have; now and then up to a page (blocks of 4-32 KB must be
            // aligned to their size, the pieces of a page).
            let big_align = rng.below(50) == 0;
            let align = 1usize << rng.below(if big_align { 17 } else { 7 });
            let p = heap.alloc(size, align) as usize;
            assert_ne!(p, 0, "step {step}: out of memory with {} live", live.len());
            assert_eq!(p % align, 0, "misaligned");
            assert!(p >= arena.base && p + size <= arena.base + (arena.used.get() << PAGE), "outside the memory");
            for &(q, qs, _, _) in &live {
                assert!(p + size <= q || q + qs <= p, "step {step}: {p:#x}+{size} overlaps {q:#x}+{qs}");
            }
            let fill = (step % 251) as u8;
            // SAFETY: a fresh block of `size` bytes.
            unsafe { std::ptr::write_bytes(p as *mut u8, fill, size) };
            live.push((p, size, align, fill));
        } else if op < 9 {
            let (p, size, align, fill) = live.swap_remove(rng.below(live.len()));
            check(p, size, fill);
            // SAFETY: allocated with this size and align, removed from `live`.
            unsafe { heap.dealloc(p as *mut u8, size, align) };
        } else {
            let i = rng.below(live.len());
            let (p, size, align, fill) = live[i];
            let big = rng.below(4) == 0;
            let new = 1 + rng.below(if big { 200_000 } else { 3000 });
            // SAFETY: allocated with this size and align.
            let q = unsafe { heap.realloc(p as *mut u8, size, align, new) } as usize;
            assert_ne!(q, 0);
            assert_eq!(q % align, 0);
            check(q, size.min(new), fill);
            // SAFETY: the block now has `new` bytes.
            unsafe { std::ptr::write_bytes(q as *mut u8, fill, new) };
            live[i] = (q, new, align, fill);
            for (j, &(o, os, _, _)) in live.iter().enumerate() {
                assert!(j == i || q + new <= o || o + os <= q, "resized block overlaps another");
            }
        }
    }
    for (p, size, _, fill) in live {
        check(p, size, fill);
    }
}

/// The same work again after everything was freed takes no new page: freed blocks are reused (a shift's calls
/// repeat the same sizes, so the memory stays flat).
#[test]
fn repeated_work_reuses_the_freed_blocks() {
    let arena = Arena::new(256);
    let heap = Blocks::new(&arena);
    let round = |seed: u64| {
        let mut rng = Rng(seed);
        let mut live = Vec::new();
        for _ in 0..3000 {
            let big = rng.below(20) == 0;
            let size = 1 + rng.below(if big { 100_000 } else { 700 });
            live.push((heap.alloc(size, 8), size));
            if rng.below(3) == 0 {
                let (p, s) = live.swap_remove(rng.below(live.len()));
                // SAFETY: allocated with this size, align 8.
                unsafe { heap.dealloc(p, s, 8) };
            }
        }
        for (p, s) in live {
            assert!(!p.is_null());
            // SAFETY: as above.
            unsafe { heap.dealloc(p, s, 8) };
        }
    };
    round(7);
    let after_first = arena.used.get();
    for _ in 0..5 {
        round(7);
    }
    assert_eq!(arena.used.get(), after_first, "the same work grew the memory again");
}

/// Small blocks are cut from 4 KB pieces of one page, not a page each; a big one is whole pages.
#[test]
fn small_blocks_share_pages_and_big_ones_take_whole_pages() {
    let arena = Arena::new(64);
    let heap = Blocks::new(&arena);
    for size in [8, 16, 24, 100, 500, 2000] {
        assert!(!heap.alloc(size, 8).is_null());
    }
    assert_eq!(arena.used.get(), 1, "six small classes should fit in one page");
    let p = heap.alloc(200_000, 8) as usize;
    assert_eq!(p % (1 << PAGE), 0);
    assert_eq!(*arena.grown.borrow().last().unwrap(), 4, "200,000 bytes take 4 pages (256 KB)");
    // A resize within the class keeps the block; past it, moves.
    // SAFETY: allocated above with size 200,000 and align 8.
    let q = unsafe { heap.realloc(p as *mut u8, 200_000, 8, 250_000) } as usize;
    assert_eq!(q, p);
    // SAFETY: now 250,000 bytes.
    let r = unsafe { heap.realloc(q as *mut u8, 250_000, 8, 300_000) } as usize;
    assert_ne!(r, q);
}

/// When the memory cannot grow, a request gets null (Rust then reports the allocation failure) and the
/// allocator still works for what it has.
#[test]
fn a_full_memory_gives_null_not_a_wrong_block() {
    let arena = Arena::new(2);
    let heap = Blocks::new(&arena);
    assert!(heap.alloc(1 << 20, 8).is_null(), "16 pages from a memory of 2");
    assert!(heap.alloc(1, 1 << 17).is_null(), "an alignment past a page cannot be given");
    assert!(heap.alloc(usize::MAX - 7, 8).is_null());
    let a = heap.alloc(100, 8);
    assert!(!a.is_null());
    // SAFETY: a block of 100 bytes.
    unsafe { std::ptr::write_bytes(a, 0x5A, 100) };
    // SAFETY: `a` was allocated with 100 bytes, align 8.
    assert!(unsafe { heap.realloc(a, 100, 8, 1 << 20) }.is_null(), "a resize past the memory fails");
    // SAFETY: the failed resize left `a` as it was (100 bytes).
    assert!(unsafe { std::slice::from_raw_parts(a, 100) }.iter().all(|&x| x == 0x5A), "and keeps the old block");
    let b = heap.alloc(40_000, 8);
    assert!(!b.is_null());
    assert!(heap.alloc(40_000, 8).is_null(), "both pages are in use");
    // SAFETY: allocated above.
    unsafe { heap.dealloc(b, 40_000, 8) };
    assert_eq!(heap.alloc(40_000, 8), b, "the freed block is given again");
}
