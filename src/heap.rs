//! Live heap figures (issue #16): the wasm's global allocator, counted.
//!
//! `WebAssembly.Memory.buffer.byteLength` never shrinks, so it alone cannot tell a leak (live data that grows
//! with every call) from the allocator's high-water mark or fragmentation. This wraps the wasm's allocator
//! (`src/blocks.rs`) and keeps two numbers: the bytes and the count of allocations alive now. The shift
//! benchmark reads them through the exported [`heap_live`] (`(await import(glue)).heap_live(false)`).
//! The cost is two additions per allocation and a few hundred bytes of wasm; nothing else reads them.

// The counters below are plain cells shared as `Sync` because the wasm has one thread; a threaded build
// (the atomics target feature) must not compile them.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!("src/heap.rs counts with plain cells: it needs a single-threaded wasm (no atomics)");

#[cfg(target_arch = "wasm32")]
mod counted {
    use crate::blocks::{Blocks, Memory};
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::Cell;

    pub struct Counted;

    /// The blocks (one thread: see `Live`).
    struct Heap(Blocks<Memory>);
    // SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
    unsafe impl Sync for Heap {}
    static HEAP: Heap = Heap(Blocks::new(Memory));

    /// Bytes and allocations alive now. The wasm is single-threaded: plain cells, no atomics.
    pub struct Live(pub Cell<usize>, pub Cell<usize>);
    // SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
    unsafe impl Sync for Live {}
    pub static LIVE: Live = Live(Cell::new(0), Cell::new(0));

    fn add(bytes: usize, count: usize) {
        LIVE.0.set(LIVE.0.get().wrapping_add(bytes));
        LIVE.1.set(LIVE.1.get().wrapping_add(count));
    }

    unsafe impl GlobalAlloc for Counted {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let p = HEAP.0.alloc(l.size(), l.align());
            if !p.is_null() {
                add(l.size(), 1);
                #[cfg(feature = "heap-trace")]
                super::trace::born(p, l.size());
            }
            p
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            #[cfg(feature = "heap-trace")]
            super::trace::died(p);
            HEAP.0.dealloc(p, l.size(), l.align());
            add(l.size().wrapping_neg(), 1usize.wrapping_neg());
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            let q = HEAP.0.realloc(p, l.size(), l.align(), new);
            if !q.is_null() {
                add(new.wrapping_sub(l.size()), 0);
                #[cfg(feature = "heap-trace")]
                {
                    super::trace::died(p);
                    super::trace::born(q, new);
                }
            }
            q
        }
    }

    #[global_allocator]
    static A: Counted = Counted;
}

/// The Rust heap alive now: its bytes, or (`count`) its number of allocations. 0 outside wasm.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn heap_live(count: bool) -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        let l = &counted::LIVE;
        (if count { l.1.get() } else { l.0.get() }) as f64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = count;
        0.0
    }
}

/// Which allocations stay alive (the `heap-trace` feature, for a diagnostics build only: a 3 MB table in the
/// wasm's memory and a few instructions per allocation). Every allocation gets a sequence number; between two
/// marks, [`heap_trace`] lists those still alive with their size and first bytes, so a leak shows what it is.
/// Build: `trunk build --release --features heap-trace --dist /tmp/trace-dist`.
#[cfg(all(feature = "heap-trace", target_arch = "wasm32"))]
mod trace {
    use std::cell::Cell;

    const SLOTS: usize = 1 << 18;
    #[derive(Clone, Copy)]
    struct Slot {
        ptr: usize,
        size: u32,
        seq: u32,
    }
    struct Table(std::cell::UnsafeCell<[Slot; SLOTS]>, Cell<u32>, Cell<bool>);
    // SAFETY: one thread (wasm32 without atomics).
    unsafe impl Sync for Table {}
    static T: Table = Table(std::cell::UnsafeCell::new([Slot { ptr: 0, size: 0, seq: 0 }; SLOTS]), Cell::new(0), Cell::new(false));
    // (all zeros: the table goes to .bss, not into the wasm file; the flag is "paused")

    fn home(ptr: usize) -> usize {
        (ptr >> 3).wrapping_mul(0x9E37_79B1) & (SLOTS - 1)
    }

    fn slots() -> &'static mut [Slot; SLOTS] {
        // SAFETY: one thread, and no reference is kept across calls.
        unsafe { &mut *T.0.get() }
    }

    pub fn born(ptr: *mut u8, size: usize) {
        if T.2.get() {
            return;
        }
        let t = slots();
        let seq = T.1.get();
        T.1.set(seq.wrapping_add(1));
        let mut i = home(ptr as usize);
        for _ in 0..SLOTS {
            if t[i].ptr == 0 || t[i].ptr == ptr as usize {
                t[i] = Slot { ptr: ptr as usize, size: size as u32, seq };
                return;
            }
            i = (i + 1) & (SLOTS - 1);
        }
    }

    pub fn died(ptr: *mut u8) {
        let t = slots();
        let mut i = home(ptr as usize);
        for _ in 0..SLOTS {
            if t[i].ptr == 0 {
                return;
            }
            if t[i].ptr == ptr as usize {
                break;
            }
            i = (i + 1) & (SLOTS - 1);
        }
        if t[i].ptr != ptr as usize {
            return;
        }
        // Backward-shift deletion (linear probing keeps no tombstones).
        t[i].ptr = 0;
        let mut j = i;
        loop {
            j = (j + 1) & (SLOTS - 1);
            if t[j].ptr == 0 {
                return;
            }
            let k = home(t[j].ptr);
            let between = if i <= j { i < k && k <= j } else { i < k || k <= j };
            if !between {
                t[i] = t[j];
                t[j].ptr = 0;
                i = j;
            }
        }
    }

    pub fn mark() -> u32 {
        T.1.get()
    }

    /// The allocations made from `from` to `to` (sequence numbers) that are alive now: a size histogram
    /// and the first `show` of them, their bytes as text (`.` for others).
    pub fn report(from: u32, to: u32, show: usize) -> String {
        T.2.set(true);
        let t = slots();
        let mut live: Vec<Slot> = t.iter().filter(|s| s.ptr != 0 && s.seq >= from && s.seq < to).copied().collect();
        live.sort_by_key(|s| s.seq);
        let mut sizes: Vec<(u32, u32)> = Vec::new();
        for s in &live {
            match sizes.iter_mut().find(|(z, _)| *z == s.size) {
                Some(e) => e.1 += 1,
                None => sizes.push((s.size, 1)),
            }
        }
        sizes.sort_by_key(|(z, n)| std::cmp::Reverse(z * n));
        let bytes: u64 = live.iter().map(|s| s.size as u64).sum();
        let mut out = format!("{} live of seq {from}..{to}, {bytes} bytes\nby size (size x count):", live.len());
        for (z, n) in sizes.iter().take(40) {
            out += &format!(" {z}x{n}");
        }
        out.push('\n');
        // The same number of each size, spread over the range.
        for s in live.iter().take(show) {
            let n = (s.size as usize).min(96);
            // SAFETY: the block is alive (it is in the table) and at least `n` bytes long.
            let b = unsafe { std::slice::from_raw_parts(s.ptr as *const u8, n) };
            let text: String = b.iter().map(|&c| if (32..127).contains(&c) { c as char } else { '.' }).collect();
            let words: Vec<String> = b.chunks(4).take(8).map(|w| format!("{:08x}", u32::from_le_bytes([w[0], *w.get(1).unwrap_or(&0), *w.get(2).unwrap_or(&0), *w.get(3).unwrap_or(&0)]))).collect();
            out += &format!("#{} @{:x} {}: {} | {}\n", s.seq, s.ptr, s.size, words.join(" "), text);
        }
        T.2.set(false);
        out
    }
}

/// `heap-trace` builds: `heap_trace(0, 0, 0)` gives the next sequence number (a mark); with a range, the
/// allocations of that range still alive (see `trace::report`).
#[cfg(all(feature = "heap-trace", target_arch = "wasm32"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn heap_trace(from: u32, to: u32, show: u32) -> String {
    if to == 0 {
        return trace::mark().to_string();
    }
    trace::report(from, to, show as usize)
}

/// Host tests: the allocations alive on this thread (a counting allocator for the test binary only; each
/// test runs on its own thread, so the count is the test's own).
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod host {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    struct Counted;

    unsafe impl GlobalAlloc for Counted {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let _ = LIVE.try_with(|n| n.set(n.get() + 1));
            System.alloc(l)
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            let _ = LIVE.try_with(|n| n.set(n.get() - 1));
            System.dealloc(p, l)
        }
    }

    #[global_allocator]
    static A: Counted = Counted;

    /// Allocations made and not freed on this thread so far.
    pub fn live() -> isize {
        LIVE.with(Cell::get)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "heap_tests.rs"]
mod tests;
