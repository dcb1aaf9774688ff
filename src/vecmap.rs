//! A small map kept in a `Vec` of pairs: for the desktop's maps of a few entries (calls, their media, the
//! directory's remembered searches). It has the part of `HashMap`'s interface the desktop uses, so a map is
//! switched by its type alone; lookups compare keys one by one, which for a few dozen entries is as fast as
//! hashing. In the wasm it saves what `std::collections::HashMap` costs: SipHash, its random keys and
//! hashbrown's table code for every key and value type (Leptos keeps its own hash tables).
//! Iteration follows insertion order, except that [`VecMap::remove`] moves the last entry into the hole
//! (as with `HashMap`, callers must not rely on an order).

use std::borrow::Borrow;

#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap { entries: Vec::new() }
    }
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<K, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap { entries: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K: PartialEq, V> VecMap<K, V> {
    fn index<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        self.entries.iter().position(|(k, _)| k.borrow() == key)
    }

    pub fn get<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.index(key).map(|i| &self.entries[i].1)
    }

    pub fn get_mut<Q: PartialEq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.index(key).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key<Q: PartialEq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.index(key).is_some()
    }

    /// Sets the value of `key`; returns the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.index(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    pub fn remove<Q: PartialEq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.index(key).map(|i| self.entries.swap_remove(i).1)
    }
}

/// `map[&key]`: the value of a key that must be there (panics otherwise, as `HashMap` does).
impl<K: PartialEq + Borrow<Q>, Q: PartialEq + ?Sized, V> std::ops::Index<&Q> for VecMap<K, V> {
    type Output = V;
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry for the key")
    }
}

impl<K: PartialEq, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, items: I) {
        for (k, v) in items {
            self.insert(k, v);
        }
    }
}

impl<K: PartialEq, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let mut m = VecMap::new();
        m.extend(items);
        m
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;
    use std::collections::HashMap;

    /// The same operations on a VecMap and a HashMap leave the same contents and return the same values.
    #[test]
    fn behaves_as_a_hash_map() {
        let mut v: VecMap<String, u32> = VecMap::new();
        let mut h: HashMap<String, u32> = HashMap::new();
        let mut x = 7u32;
        for step in 0..2000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let key = format!("k{}", (x >> 8) % 23);
            match (x >> 4) % 4 {
                0 | 1 => assert_eq!(v.insert(key.clone(), step), h.insert(key, step)),
                2 => assert_eq!(v.remove(key.as_str()), h.remove(key.as_str())),
                _ => {
                    assert_eq!(v.get(key.as_str()), h.get(key.as_str()));
                    if let (Some(a), Some(b)) = (v.get_mut(key.as_str()), h.get_mut(key.as_str())) {
                        *a += 1;
                        *b += 1;
                    }
                }
            }
            assert_eq!(v.len(), h.len());
            assert_eq!(v.contains_key("k3"), h.contains_key("k3"));
        }
        let mut a: Vec<(String, u32)> = v.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let mut b: Vec<(String, u32)> = h.into_iter().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert!(!a.is_empty(), "the run left entries to compare");
    }

    #[test]
    fn keys_are_unique_and_removal_keeps_the_others() {
        let mut m: VecMap<u32, &str> = [(1, "a"), (2, "b"), (1, "c"), (3, "d")].into_iter().collect();
        assert_eq!(m.len(), 3);
        assert_eq!(m.get(&1), Some(&"c"), "a later insert replaces");
        assert_eq!(m[&2], "b");
        assert_eq!(m.remove(&1), Some("c"));
        assert_eq!(m.remove(&1), None);
        let mut keys: Vec<u32> = m.keys().copied().collect();
        keys.sort();
        assert_eq!(keys, [2, 3]);
        m.retain(|k, _| *k != 2);
        assert_eq!(m.values().collect::<Vec<_>>(), [&"d"]);
        for v in m.values_mut() {
            *v = "e";
        }
        assert_eq!(m.iter().collect::<Vec<_>>(), [(&3, &"e")]);
        m.clear();
        assert!(m.is_empty());
    }
}
