//! `SendWrapper<T>`: lets a value that is not `Send` be moved into places that require `Send` (Leptos's local
//! storage, futures run on a local executor), as long as it is only used, and dropped, on the thread that
//! wrapped it.
//!
//! This crate stands in for the `send_wrapper` crate 0.6 (Leptos, tachys, reactive_graph and leptos_dom use it;
//! the workspace's `[patch.crates-io]` puts this one in its place). It has the same public API: `new`, `valid`,
//! `take`, `Deref`, `DerefMut`, `Clone`, `Debug`, `Send` and `Sync`, and with the `futures` feature `Future`
//! and `Stream` for a wrapped future or stream. It was written here from that API's documentation.
//!
//! Why: the original checks the current thread's id on every access. In the release wasm that check links
//! `std::thread::current` (its lazy initialisation of the thread handle and the handle's `Arc` drop, 4.7 KB
//! of code) and a comparison at each of ~50 sites, for a check that can never fail there: without it the
//! release is 2,944 bytes gzip smaller (331,303 -> 328,359).
//!
//! # Where the thread check is left out, and why that is sound
//!
//! Only on `wasm32` targets built without the `atomics` target feature (the release and the browser tests:
//! `wasm32-unknown-unknown`). There a program has exactly one thread:
//! - the standard library cannot start a thread on that target (`std::thread::spawn` fails);
//! - without `atomics` the linear memory is not shared, so no other thread (a Web Worker) can run code on
//!   this instance's memory: a worker gets a separate instance with its own memory, and nothing that
//!   lives in one memory can be reached from another;
//! - with `atomics` (shared memory, real threads) the check stays, as everywhere else.
//!
//! So on that target every access happens on the thread that created the value, the check would always
//! pass, and the `Send`/`Sync` impls promise nothing that could be broken. On every other target (the
//! host tests, the sandbox, a threaded wasm) the wrapper keeps the thread the value was made on and behaves as
//! documented by the original: dereferencing, taking, cloning, formatting or polling it on another thread
//! panics, and dropping it on another thread panics without dropping the value (it is leaked), except while
//! that thread is already panicking (then it is leaked silently) or when `T` needs no drop.

#![deny(unsafe_op_in_unsafe_fn)]

use core::fmt;
use core::ops::{Deref, DerefMut};

/// Wraps a value that is not `Send` so it can be moved where `Send` is required; it may only be used and
/// dropped on the thread that wrapped it (checked, with a panic, wherever more than one thread can exist).
pub struct SendWrapper<T> {
    inner: imp::Inner<T>,
}

// SAFETY: see the crate's documentation: on the one-thread targets no other thread exists; elsewhere every
// access to the value checks that it happens on the thread that created the wrapper, and a drop on another
// thread never drops the value.
unsafe impl<T> Send for SendWrapper<T> {}
unsafe impl<T> Sync for SendWrapper<T> {}

impl<T> SendWrapper<T> {
    /// Wraps `data`, bound to the current thread.
    pub fn new(data: T) -> SendWrapper<T> {
        SendWrapper {
            inner: imp::Inner::new(data),
        }
    }

    /// Whether the value may be used on the current thread (always `true` where only one thread exists).
    pub fn valid(&self) -> bool {
        self.inner.valid()
    }

    /// Takes the value out.
    ///
    /// # Panics
    /// On another thread than the one that created the wrapper.
    pub fn take(self) -> T {
        self.inner.check();
        self.inner_take()
    }

    fn get(&self) -> &T {
        self.inner.check();
        self.inner.get()
    }

    fn get_mut(&mut self) -> &mut T {
        self.inner.check();
        self.inner.get_mut()
    }
}

impl<T> Deref for SendWrapper<T> {
    type Target = T;

    /// The value.
    ///
    /// # Panics
    /// On another thread than the one that created the wrapper.
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T> DerefMut for SendWrapper<T> {
    /// The value, mutably.
    ///
    /// # Panics
    /// On another thread than the one that created the wrapper.
    fn deref_mut(&mut self) -> &mut T {
        self.get_mut()
    }
}

impl<T: fmt::Debug> fmt::Debug for SendWrapper<T> {
    /// `SendWrapper { data: .. }` (with the thread's id where more than one thread can exist).
    ///
    /// # Panics
    /// On another thread than the one that created the wrapper.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("SendWrapper");
        s.field("data", self.get());
        self.inner.debug_thread(&mut s);
        s.finish()
    }
}

impl<T: Clone> Clone for SendWrapper<T> {
    /// A new wrapper, bound to the current thread, around a clone of the value.
    ///
    /// # Panics
    /// On another thread than the one that created the wrapper.
    fn clone(&self) -> Self {
        SendWrapper::new(self.get().clone())
    }
}

#[cfg(feature = "futures")]
mod futures {
    use super::SendWrapper;
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use futures_core::Stream;

    impl<T> SendWrapper<T> {
        fn pinned(self: Pin<&mut Self>) -> Pin<&mut T> {
            // SAFETY: the value is pinned structurally: it is never moved out of a pinned wrapper (only `take`,
            // which needs the wrapper by value, moves it, and the drop drops it in place), and the wrapper is
            // `Unpin` only when `T` is (no manual impl).
            unsafe { self.map_unchecked_mut(|w| w.get_mut()) }
        }
    }

    impl<F: Future> Future for SendWrapper<F> {
        type Output = F::Output;

        /// Polls the wrapped future.
        ///
        /// # Panics
        /// On another thread than the one that created the wrapper.
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.pinned().poll(cx)
        }
    }

    impl<S: Stream> Stream for SendWrapper<S> {
        type Item = S::Item;

        /// Polls the wrapped stream.
        ///
        /// # Panics
        /// On another thread than the one that created the wrapper.
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
            self.pinned().poll_next(cx)
        }

        fn size_hint(&self) -> (usize, Option<usize>) {
            self.get().size_hint()
        }
    }
}

/// One thread only: the value itself, no thread kept, nothing checked.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod imp {
    use super::SendWrapper;

    pub(crate) struct Inner<T> {
        data: T,
    }

    impl<T> Inner<T> {
        #[inline(always)]
        pub(crate) fn new(data: T) -> Self {
            Inner { data }
        }
        #[inline(always)]
        pub(crate) fn valid(&self) -> bool {
            true
        }
        #[inline(always)]
        pub(crate) fn check(&self) {}
        #[inline(always)]
        pub(crate) fn get(&self) -> &T {
            &self.data
        }
        #[inline(always)]
        pub(crate) fn get_mut(&mut self) -> &mut T {
            &mut self.data
        }
        #[inline(always)]
        pub(crate) fn debug_thread(&self, _: &mut core::fmt::DebugStruct<'_, '_>) {}
    }

    impl<T> SendWrapper<T> {
        #[inline(always)]
        pub(crate) fn inner_take(self) -> T {
            self.inner.data
        }
    }
}

/// Threads possible: the creating thread's id is kept and every access compares it with the current one.
#[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
mod imp {
    use super::SendWrapper;
    use std::mem::{self, ManuallyDrop};
    use std::thread::{self, ThreadId};

    pub(crate) struct Inner<T> {
        data: ManuallyDrop<T>,
        thread: ThreadId,
    }

    impl<T> Inner<T> {
        pub(crate) fn new(data: T) -> Self {
            Inner {
                data: ManuallyDrop::new(data),
                thread: thread::current().id(),
            }
        }
        pub(crate) fn valid(&self) -> bool {
            self.thread == thread::current().id()
        }
        #[track_caller]
        pub(crate) fn check(&self) {
            if !self.valid() {
                wrong_thread();
            }
        }
        pub(crate) fn get(&self) -> &T {
            &self.data
        }
        pub(crate) fn get_mut(&mut self) -> &mut T {
            &mut self.data
        }
        pub(crate) fn debug_thread(&self, s: &mut core::fmt::DebugStruct<'_, '_>) {
            s.field("thread_id", &self.thread);
        }
    }

    impl<T> SendWrapper<T> {
        pub(crate) fn inner_take(self) -> T {
            let mut this = ManuallyDrop::new(self);
            // SAFETY: `this` is never used or dropped again, so the value is taken out exactly once.
            unsafe { ManuallyDrop::take(&mut this.inner.data) }
        }
    }

    impl<T> Drop for Inner<T> {
        /// Drops the value on its own thread. On another thread it is leaked instead: with a panic, unless
        /// the thread is already panicking (a second panic would abort) or `T` needs no drop at all.
        fn drop(&mut self) {
            if !mem::needs_drop::<T>() || self.valid() {
                // SAFETY: dropped once, here, and `data` is never used again.
                unsafe { ManuallyDrop::drop(&mut self.data) }
            } else if !thread::panicking() {
                wrong_thread();
            }
        }
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn wrong_thread() -> ! {
        panic!("a SendWrapper's value was used or dropped on another thread than the one that created it")
    }
}

#[cfg(all(
    test,
    not(all(target_arch = "wasm32", not(target_feature = "atomics")))
))]
mod tests {
    use super::SendWrapper;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::rc::Rc;
    use std::thread;

    #[test]
    fn same_thread_reads_writes_takes_and_drops() {
        let mut w = SendWrapper::new(Rc::new(5));
        assert!(w.valid());
        assert_eq!(**w, 5);
        *w = Rc::new(6);
        let c = w.clone();
        assert_eq!(**c, 6);
        assert_eq!(Rc::strong_count(&*w), 2);
        drop(c);
        assert_eq!(*w.take(), 6);
        assert!(
            format!("{:?}", SendWrapper::new(1)).starts_with("SendWrapper { data: 1, thread_id: ")
        );
    }

    #[test]
    fn another_thread_may_not_use_it() {
        let w = SendWrapper::new(Rc::new(1));
        let w = thread::spawn(move || {
            assert!(!w.valid());
            assert!(catch_unwind(AssertUnwindSafe(|| **w)).is_err());
            assert!(catch_unwind(AssertUnwindSafe(|| w.clone())).is_err());
            assert!(catch_unwind(AssertUnwindSafe(|| format!("{w:?}"))).is_err());
            w
        })
        .join()
        .unwrap();
        assert_eq!(*w.take(), 1);
        let w = SendWrapper::new(Rc::new(2));
        let panicked =
            thread::spawn(move || catch_unwind(AssertUnwindSafe(|| drop(w.take()))).is_err());
        assert!(panicked.join().unwrap());
    }

    #[test]
    fn dropping_on_another_thread_panics_and_leaks() {
        let rc = Rc::new(3);
        let w = SendWrapper::new(rc.clone());
        assert!(thread::spawn(move || drop(w)).join().is_err());
        // Leaked, not dropped on the other thread.
        assert_eq!(Rc::strong_count(&rc), 2);
        // A value that needs no drop may go anywhere.
        let w = SendWrapper::new(7u32);
        assert!(thread::spawn(move || drop(w)).join().is_ok());
    }

    #[cfg(feature = "futures")]
    #[test]
    fn polls_the_wrapped_future() {
        use std::future::Future;
        use std::pin::pin;
        use std::task::{Context, Poll, Waker};
        let mut f = pin!(SendWrapper::new(async { 4 }));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(4));
    }
}
