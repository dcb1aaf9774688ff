//! Directory results from ServiceNow (pure): kept per search for the page's life, within bounds, so that
//! neither many searches nor an oversized REST reply can make the page grow without limit.

use std::collections::VecDeque;

/// Searches remembered (the oldest is forgotten first).
pub const MAX_SEARCHES: usize = 32;
/// Longest name and number taken from a reply row; a longer row is left out.
pub const MAX_NAME: usize = 120;
pub const MAX_NUMBER: usize = 40;

/// Results by search key, oldest first, at most `max` searches.
#[derive(Clone, Debug)]
pub struct Cache<T> {
    items: VecDeque<(String, Vec<T>)>,
    max: usize,
}

impl<T: Clone> Cache<T> {
    pub fn new(max: usize) -> Self {
        Cache { items: VecDeque::new(), max }
    }

    pub fn get(&self, key: &str) -> Option<Vec<T>> {
        self.items.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    pub fn insert(&mut self, key: String, value: Vec<T>) {
        self.items.retain(|(k, _)| *k != key);
        while self.items.len() >= self.max.max(1) {
            self.items.pop_front();
        }
        self.items.push_back((key, value));
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<T: Clone> Default for Cache<T> {
    fn default() -> Self {
        Cache::new(MAX_SEARCHES)
    }
}

/// A reply row's name and number as a directory entry; None when either is empty or too long to be one.
pub fn entry_fields(name: &str, number: &str) -> Option<(String, String)> {
    let (name, number) = (name.trim(), number.trim());
    let fits = !number.is_empty() && name.chars().count() <= MAX_NAME && number.chars().count() <= MAX_NUMBER;
    fits.then(|| (name.to_string(), number.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_searches_and_forgets_the_oldest() {
        let mut c: Cache<u32> = Cache::new(2);
        c.insert("a#0".into(), vec![1]);
        c.insert("b#0".into(), vec![2]);
        c.insert("a#0".into(), vec![3]);
        assert_eq!(c.get("a#0"), Some(vec![3]));
        c.insert("c#0".into(), vec![4]);
        assert_eq!((c.get("b#0"), c.get("a#0"), c.len()), (None, Some(vec![3]), 2));
        assert_eq!(entry_fields(" Beth ", "(415) 555-0123"), Some(("Beth".into(), "(415) 555-0123".into())));
        assert_eq!(entry_fields("Beth", " "), None);
    }

    #[test]
    fn hostile_directory_cache_many_searches_stay_bounded() {
        let mut c: Cache<String> = Cache::default();
        for i in 0..10_000 {
            c.insert(format!("search {i}#0"), vec!["x".repeat(10); 75]);
        }
        assert_eq!(c.len(), MAX_SEARCHES);
        assert!(c.get("search 0#0").is_none());
        assert!(c.get("search 9999#0").is_some());
    }

    #[test]
    fn hostile_directory_reply_with_oversized_fields_is_left_out() {
        assert_eq!(entry_fields(&"A".repeat(100_000), "+14155550123"), None);
        assert_eq!(entry_fields("Beth", &"1".repeat(100_000)), None);
    }
}
