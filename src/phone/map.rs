//! A map kept as a vector of pairs, for the desktop's few small maps (calls by reference, the directory's
//! remembered searches): a linear search over a handful of entries is as fast as hashing, and each use
//! costs the wasm a few small loops instead of a hash table's code per key and value type (std's
//! `HashMap` brought hashbrown and SipHash, about 8 KB gzip). Entries keep their insertion order.

use std::borrow::Borrow;

#[derive(Clone, Debug)]
pub struct Map<K, V> {
    v: Vec<(K, V)>,
}

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Map { v: Vec::new() }
    }
}

impl<K, V> Map<K, V> {
    pub const fn new() -> Self {
        Map { v: Vec::new() }
    }
}

impl<K: PartialEq, V> Map<K, V> {
    fn find<Q: PartialEq + ?Sized>(&self, k: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        self.v.iter().position(|(x, _)| x.borrow() == k)
    }
    pub fn get<Q: PartialEq + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(k).map(|i| &self.v[i].1)
    }
    pub fn get_mut<Q: PartialEq + ?Sized>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(k).map(|i| &mut self.v[i].1)
    }
    pub fn contains_key<Q: PartialEq + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(k).is_some()
    }
    /// Sets `k` (the old value, if any, is returned).
    pub fn insert(&mut self, k: K, value: V) -> Option<V> {
        match self.find(&k) {
            Some(i) => Some(std::mem::replace(&mut self.v[i].1, value)),
            None => {
                self.v.push((k, value));
                None
            }
        }
    }
    pub fn remove<Q: PartialEq + ?Sized>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(k).map(|i| self.v.remove(i).1)
    }
    pub fn clear(&mut self) {
        self.v.clear()
    }
    pub fn len(&self) -> usize {
        self.v.len()
    }
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.v.iter().map(|(k, v)| (k, v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.v.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.v.iter().map(|(_, v)| v)
    }
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.v.iter_mut().map(|(_, v)| v)
    }
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        self.v.retain_mut(|(k, v)| f(k, v))
    }
}

impl<K: PartialEq + Borrow<Q>, Q: PartialEq + ?Sized, V> std::ops::Index<&Q> for Map<K, V> {
    type Output = V;
    fn index(&self, k: &Q) -> &V {
        self.get(k).expect("no such key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_one_value_and_goes_with_remove() {
        let mut m: Map<String, u32> = Map::new();
        assert_eq!(m.insert("a".into(), 1), None);
        assert_eq!(m.insert("b".into(), 2), None);
        assert_eq!(m.insert("a".into(), 3), Some(1));
        assert_eq!((m.len(), m.get("a"), m["b"]), (2, Some(&3), 2));
        *m.get_mut("b").unwrap() += 1;
        assert_eq!(m.remove("b"), Some(3));
        assert!(!m.contains_key("b") && m.contains_key("a"));
        assert_eq!(m.keys().collect::<Vec<_>>(), [&"a".to_string()]);
        m.clear();
        assert!(m.is_empty());
    }
}
