//! Directory results from ServiceNow (pure): kept per search for the page's life, within bounds, so that
//! neither many searches nor an oversized REST reply can make the page grow without limit.

use crate::phone::map::Map as HashMap;

/// A person the agent can call (the settings' speed dials, ServiceNow users and contacts).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub number: String,
    pub kind: &'static str,
}

/// Searches remembered; when full, the remembered results are forgotten and the count starts again.
pub const MAX_SEARCHES: usize = 32;
/// Longest name and number taken from a reply row; a longer row is left out.
pub const MAX_NAME: usize = 120;
pub const MAX_NUMBER: usize = 40;

/// Remembers one search's results, never more than [`MAX_SEARCHES`] searches.
pub fn remember<T>(cache: &mut HashMap<String, Vec<T>>, key: String, value: Vec<T>) {
    if cache.len() >= MAX_SEARCHES && !cache.contains_key(&key) {
        cache.clear();
    }
    cache.insert(key, value);
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
    fn remembers_searches() {
        let mut c: HashMap<String, Vec<u32>> = HashMap::new();
        remember(&mut c, "a#0".into(), vec![1]);
        remember(&mut c, "a#0".into(), vec![3]);
        assert_eq!(c.get("a#0"), Some(&vec![3]));
        assert_eq!(entry_fields(" Beth ", "(415) 555-0123"), Some(("Beth".into(), "(415) 555-0123".into())));
        assert_eq!(entry_fields("Beth", " "), None);
    }

    #[test]
    fn hostile_directory_cache_many_searches_stay_bounded() {
        let mut c: HashMap<String, Vec<String>> = HashMap::new();
        for i in 0..10_000 {
            remember(&mut c, format!("search {i}#0"), vec!["x".repeat(10); 75]);
            assert!(c.len() <= MAX_SEARCHES);
        }
        assert!(c.contains_key("search 9999#0"), "the latest search is kept");
    }

    #[test]
    fn hostile_directory_reply_with_oversized_fields_is_left_out() {
        assert_eq!(entry_fields(&"A".repeat(100_000), "+14155550123"), None);
        assert_eq!(entry_fields("Beth", &"1".repeat(100_000)), None);
    }
}
