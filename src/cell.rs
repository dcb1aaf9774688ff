//! `RefCell` whose `borrow`/`borrow_mut` share one panic site. The standard ones are `#[track_caller]`: every
//! call site puts its own file/line/column record (16 bytes of data) and panic call into the wasm, for a panic
//! that must never happen (a borrow while one is alive is a bug here, as it is there). The desktop has ~200
//! borrow sites; this type keeps their behaviour (a conflicting borrow panics) without a record per site.
//! A module switches by its import line (`use crate::cell::RefCell;`).

pub use std::cell::{Ref, RefMut};

#[derive(Default)]
pub struct RefCell<T: ?Sized>(std::cell::RefCell<T>);

/// A conflicting borrow: the one panic site of every [`RefCell`] (debug builds report the borrow's own line).
#[cold]
#[inline(never)]
#[cfg_attr(debug_assertions, track_caller)]
fn conflict() -> ! {
    panic!("RefCell already borrowed")
}

impl<T> RefCell<T> {
    pub const fn new(value: T) -> Self {
        RefCell(std::cell::RefCell::new(value))
    }

    /// Puts `value` in and returns the old value (panics while borrowed).
    pub fn replace(&self, value: T) -> T {
        std::mem::replace(&mut *self.borrow_mut(), value)
    }

    /// Takes the value out, leaving the default (panics while borrowed).
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.replace(T::default())
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> RefCell<T> {
    /// Shared access (panics while mutably borrowed).
    #[inline]
    #[cfg_attr(debug_assertions, track_caller)]
    pub fn borrow(&self) -> Ref<'_, T> {
        match self.0.try_borrow() {
            Ok(r) => r,
            Err(_) => conflict(),
        }
    }

    /// Exclusive access (panics while borrowed).
    #[inline]
    #[cfg_attr(debug_assertions, track_caller)]
    pub fn borrow_mut(&self) -> RefMut<'_, T> {
        match self.0.try_borrow_mut() {
            Ok(r) => r,
            Err(_) => conflict(),
        }
    }

    pub fn try_borrow(&self) -> Result<Ref<'_, T>, std::cell::BorrowError> {
        self.0.try_borrow()
    }

    pub fn try_borrow_mut(&self) -> Result<RefMut<'_, T>, std::cell::BorrowMutError> {
        self.0.try_borrow_mut()
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for RefCell<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::RefCell;

    #[test]
    fn borrows_as_the_standard_cell() {
        let c = RefCell::new(vec![1]);
        c.borrow_mut().push(2);
        assert_eq!(*c.borrow(), [1, 2]);
        {
            let _a = c.borrow();
            let _b = c.borrow();
            assert!(c.try_borrow_mut().is_err(), "shared borrows block a mutable one");
        }
        assert_eq!(c.replace(vec![3]), [1, 2]);
        assert_eq!(c.take(), [3]);
        assert!(c.borrow().is_empty());
        assert_eq!(c.into_inner(), Vec::<i32>::new());
    }

    #[test]
    #[should_panic(expected = "already borrowed")]
    fn a_conflicting_borrow_still_panics() {
        let c = RefCell::new(0);
        let _a = c.borrow_mut();
        let _b = c.borrow();
    }
}
