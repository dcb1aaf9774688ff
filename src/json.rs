//! A small JSON value with its own reader and writer (RFC 8259), used instead of serde_json: the desktop
//! only reads and writes JSON through values, and serde_json with serde's machinery and a BTreeMap cost
//! about 15 KB gzip of the release wasm. Objects keep their keys sorted (as serde_json's `Map` does), a
//! repeated key keeps its last value. The reader refuses what serde_json refuses: nesting deeper than 128,
//! control characters in strings, lone surrogates in `\u` escapes, trailing text. Numbers keep serde_json's
//! kinds: an integer that fits `u64`/`i64` stays exact, any other number is an `f64` (read and written by
//! the browser's own number code in the wasm, so Rust's float parsing and formatting are not linked).

use std::fmt;

/// How deep arrays and objects may nest (serde_json's limit).
const MAX_DEPTH: usize = 128;

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum N {
    Pos(u64),
    Neg(i64),
    Float(f64),
}

/// A JSON number: an exact integer or an `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number(N);

impl Number {
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            N::Pos(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            N::Pos(n) => i64::try_from(n).ok(),
            N::Neg(n) => Some(n),
            N::Float(_) => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        Some(match self.0 {
            N::Pos(n) => n as f64,
            N::Neg(n) => n as f64,
            N::Float(f) => f,
        })
    }
    /// None for NaN and the infinities (JSON has no such numbers).
    pub fn from_f64(f: f64) -> Option<Number> {
        f.is_finite().then_some(Number(N::Float(f)))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_number(&mut s, self);
        f.write_str(&s)
    }
}

/// An object: keys kept sorted, one value each.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Map {
    v: Vec<(String, Value)>,
}

impl Map {
    pub fn new() -> Map {
        Map { v: Vec::new() }
    }
    fn find(&self, k: &str) -> Result<usize, usize> {
        self.v.binary_search_by(|(key, _)| key.as_str().cmp(k))
    }
    /// From members in reading order: sorted by key, a repeated key keeps its last value.
    fn from_members(mut v: Vec<(String, Value)>) -> Map {
        if v.windows(2).all(|w| w[0].0 < w[1].0) {
            return Map { v };
        }
        // Each member with its place, so that among equal keys the last one read can be told.
        let mut tagged: Vec<(usize, String, Value)> = Vec::with_capacity(v.len());
        for (i, (k, x)) in v.drain(..).enumerate() {
            tagged.push((i, k, x));
        }
        heap_sort(&mut tagged);
        let mut it = tagged.into_iter().peekable();
        while let Some((_, k, x)) = it.next() {
            if it.peek().is_none_or(|n| n.1 != k) {
                v.push((k, x));
            }
        }
        Map { v }
    }
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.find(k).ok().map(|i| &self.v[i].1)
    }
    pub fn get_mut(&mut self, k: &str) -> Option<&mut Value> {
        match self.find(k) {
            Ok(i) => Some(&mut self.v[i].1),
            Err(_) => None,
        }
    }
    pub fn contains_key(&self, k: &str) -> bool {
        self.find(k).is_ok()
    }
    /// Sets `k` (the old value, if any, is returned).
    pub fn insert(&mut self, k: String, value: Value) -> Option<Value> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.v[i].1, value)),
            Err(i) => {
                self.v.insert(i, (k, value));
                None
            }
        }
    }
    pub fn remove(&mut self, k: &str) -> Option<Value> {
        self.find(k).ok().map(|i| self.v.remove(i).1)
    }
    /// The value under `k`, made by `f` when there is none.
    pub fn entry_or_insert_with(&mut self, k: String, f: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.v.insert(i, (k, f()));
                i
            }
        };
        &mut self.v[i].1
    }
    pub fn len(&self) -> usize {
        self.v.len()
    }
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.v.iter().map(|(k, v)| (k, v))
    }
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Value)> {
        self.v.iter_mut().map(|(k, v)| (&*k, v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.v.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.v.iter().map(|(_, v)| v)
    }
    pub fn retain(&mut self, mut f: impl FnMut(&String, &mut Value) -> bool) {
        self.v.retain_mut(|(k, v)| f(k, v))
    }
}

/// Sorts members by key, then by place (a heap sort written here: the standard sorts cost the wasm about 2 KB).
fn heap_sort(v: &mut [(usize, String, Value)]) {
    let less = |a: &(usize, String, Value), b: &(usize, String, Value)| (a.1.as_str(), a.0) < (b.1.as_str(), b.0);
    let sift = |v: &mut [(usize, String, Value)], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && less(&v[child], &v[child + 1]) {
            child += 1;
        }
        if !less(&v[root], &v[child]) {
            break;
        }
        v.swap(root, child);
        root = child;
    };
    for i in (0..v.len() / 2).rev() {
        sift(v, i, v.len());
    }
    for end in (1..v.len()).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, Value)>, fn(&'a (String, Value)) -> (&'a String, &'a Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.v.iter().map(|(k, v)| (k, v))
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.v.into_iter()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(it: I) -> Map {
        let mut m = Map::new();
        for (k, v) in it {
            m.insert(k, v);
        }
        m
    }
}

static NULL: Value = Value::Null;

/// What [`Value::get`] takes: an object's key or an array's index.
pub trait Key {
    fn pick<'a>(&self, v: &'a Value) -> Option<&'a Value>;
}
impl Key for str {
    fn pick<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        v.as_object()?.get(self)
    }
}
impl Key for String {
    fn pick<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        v.as_object()?.get(self)
    }
}
impl Key for usize {
    fn pick<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        v.as_array()?.get(*self)
    }
}
impl<K: Key + ?Sized> Key for &K {
    fn pick<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        (**self).pick(v)
    }
}

impl Value {
    /// An object's value by key, or an array's by index.
    pub fn get<K: Key>(&self, k: K) -> Option<&Value> {
        k.pick(self)
    }
    pub fn get_mut(&mut self, k: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(k),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }
    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
    /// The value, leaving null in its place.
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }
}

impl std::ops::Index<&str> for Value {
    type Output = Value;
    /// Null for a missing key or a value that is not an object.
    fn index(&self, k: &str) -> &Value {
        self.get(k).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;
    fn index(&self, i: usize) -> &Value {
        match self {
            Value::Array(a) => a.get(i).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
}

impl std::ops::IndexMut<&str> for Value {
    /// Null becomes an empty object first; the key is added as null when missing. Panics for other
    /// kinds of value (as serde_json does).
    fn index_mut(&mut self, k: &str) -> &mut Value {
        if self.is_null() {
            *self = Value::Object(Map::new());
        }
        match self {
            Value::Object(m) => m.entry_or_insert_with(k.to_string(), || Value::Null),
            _ => panic!(),
        }
    }
}

impl PartialEq<str> for Value {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == Some(o)
    }
}
impl PartialEq<&str> for Value {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == Some(*o)
    }
}
impl PartialEq<bool> for Value {
    fn eq(&self, o: &bool) -> bool {
        self.as_bool() == Some(*o)
    }
}
impl PartialEq<u64> for Value {
    fn eq(&self, o: &u64) -> bool {
        self.as_u64() == Some(*o)
    }
}
impl PartialEq<i32> for Value {
    fn eq(&self, o: &i32) -> bool {
        self.as_i64() == Some(*o as i64)
    }
}
impl PartialEq<i64> for Value {
    fn eq(&self, o: &i64) -> bool {
        self.as_i64() == Some(*o)
    }
}
impl PartialEq<u32> for Value {
    fn eq(&self, o: &u32) -> bool {
        self.as_u64() == Some(*o as u64)
    }
}
impl PartialEq<f64> for Value {
    fn eq(&self, o: &f64) -> bool {
        self.as_f64() == Some(*o)
    }
}

/// Written as compact JSON.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written from the value itself (`to_string` would copy it first).
        let mut out = String::new();
        write(&mut out, self);
        f.write_str(&out)
    }
}

/// Turns a value of ours into JSON (what a derived `Serialize` did).
pub trait ToJson {
    fn to_json(&self) -> Value;
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
}
impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}
impl ToJson for Map {
    fn to_json(&self) -> Value {
        Value::Object(self.clone())
    }
}
impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}
impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}
impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}
impl ToJson for f64 {
    fn to_json(&self) -> Value {
        Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
}
impl ToJson for f32 {
    fn to_json(&self) -> Value {
        (*self as f64).to_json()
    }
}
macro_rules! unsigned {
    ($($t:ty)*) => {$(impl ToJson for $t {
        fn to_json(&self) -> Value {
            Value::Number(Number(N::Pos(*self as u64)))
        }
    })*};
}
unsigned!(u8 u16 u32 u64 usize);
macro_rules! signed {
    ($($t:ty)*) => {$(impl ToJson for $t {
        fn to_json(&self) -> Value {
            let n = *self as i64;
            Value::Number(Number(if n < 0 { N::Neg(n) } else { N::Pos(n as u64) }))
        }
    })*};
}
signed!(i8 i16 i32 i64 isize);
impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_json)
    }
}
impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Value {
        let mut out = Vec::with_capacity(self.len());
        for x in self {
            out.push(x.to_json());
        }
        Value::Array(out)
    }
}
impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}
impl<T: ToJson, const K: usize> ToJson for [T; K] {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}

macro_rules! from {
    ($($t:ty)*) => {$(impl From<$t> for Value {
        fn from(v: $t) -> Value {
            v.to_json()
        }
    })*};
}
from!(&str String &String bool f64 u8 u16 u32 u64 usize i32 i64 Vec<Value> Vec<String>);

impl FromIterator<Value> for Value {
    fn from_iter<I: IntoIterator<Item = Value>>(it: I) -> Value {
        Value::Array(it.into_iter().collect())
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

/// Reads a value of ours back from JSON (what a derived `Deserialize` did); None when it does not fit.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Option<Self>;
}

impl FromJson for Value {
    fn from_json(v: &Value) -> Option<Value> {
        Some(v.clone())
    }
}
impl FromJson for String {
    fn from_json(v: &Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }
}
impl<T: FromJson> FromJson for Vec<T> {
    /// A loop, not `collect::<Option<Vec<_>>>()`: the collect is a `GenericShunt` iterator per element type.
    fn from_json(v: &Value) -> Option<Vec<T>> {
        let mut out = Vec::new();
        for x in v.as_array()? {
            out.push(T::from_json(x)?);
        }
        Some(out)
    }
}

/// Builds a [`Value`] from JSON-like syntax: `json!({"a": x, "b": [1, y], "c": null})`; each value is any
/// expression of a [`ToJson`] type. An object's members are gathered into one array (key, value) and handed
/// to [`object`] in one call, an array's into one `Vec`: each use costs the wasm only its values' own code.
#[doc(hidden)]
#[macro_export]
macro_rules! json_value {
    // Object body: (key, value) pairs munched until a comma at this level, gathered in `[$($out)*]`.
    (@object [$($out:tt)*] ()) => {
        $crate::json::object(&mut *::core::mem::ManuallyDrop::new([$($out)*]))
    };
    (@object [$($out:tt)*] ($key:literal : null $(, $($rest:tt)*)?)) => {
        $crate::json::json!(@object [$($out)* ($key, $crate::json::Value::Null),] ($($($rest)*)?))
    };
    (@object [$($out:tt)*] ($key:literal : {$($inner:tt)*} $(, $($rest:tt)*)?)) => {
        $crate::json::json!(@object [$($out)* ($key, $crate::json::json!({$($inner)*})),] ($($($rest)*)?))
    };
    (@object [$($out:tt)*] ($key:literal : [$($inner:tt)*] $(, $($rest:tt)*)?)) => {
        $crate::json::json!(@object [$($out)* ($key, $crate::json::json!([$($inner)*])),] ($($($rest)*)?))
    };
    (@object [$($out:tt)*] ($key:literal : $value:expr $(, $($rest:tt)*)?)) => {
        $crate::json::json!(@object [$($out)* ($key, $crate::json::ToJson::to_json(&$value)),] ($($($rest)*)?))
    };
    // Array body, gathered in `[$($out)*]`.
    (@array [$($out:tt)*] ()) => {
        $crate::json::Value::Array(::std::vec![$($out)*])
    };
    (@array [$($out:tt)*] (null $(, $($rest:tt)*)?)) => {
        $crate::json::json!(@array [$($out)* $crate::json::Value::Null,] ($($($rest)*)?))
    };
    (@array [$($out:tt)*] ({$($inner:tt)*} $(, $($rest:tt)*)?)) => {
        $crate::json::json!(@array [$($out)* $crate::json::json!({$($inner)*}),] ($($($rest)*)?))
    };
    (@array [$($out:tt)*] ([$($inner:tt)*] $(, $($rest:tt)*)?)) => {
        $crate::json::json!(@array [$($out)* $crate::json::json!([$($inner)*]),] ($($($rest)*)?))
    };
    (@array [$($out:tt)*] ($value:expr $(, $($rest:tt)*)?)) => {
        $crate::json::json!(@array [$($out)* $crate::json::ToJson::to_json(&$value),] ($($($rest)*)?))
    };
    (null) => { $crate::json::Value::Null };
    ({}) => { $crate::json::Value::Object($crate::json::Map::new()) };
    ({ $($body:tt)+ }) => { $crate::json::json!(@object [] ($($body)+)) };
    ([]) => { $crate::json::Value::Array(::std::vec::Vec::new()) };
    ([ $($body:tt)+ ]) => { $crate::json::json!(@array [] ($($body)+)) };
    ($value:expr) => { $crate::json::ToJson::to_json(&$value) };
}
pub use crate::json_value as json;

/// An object from [`json!`]'s members in writing order (a repeated key keeps its last value). The values are
/// taken out (left `Null`); the macro's array is never dropped, so no use site carries its drop code.
#[doc(hidden)]
#[inline(never)]
pub fn object(members: &mut [(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in members.iter_mut() {
        m.insert((*k).to_string(), std::mem::take(v));
    }
    Value::Object(m)
}

/// Why a text is not JSON, and where (1-based line and column of the character at fault).
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    what: &'static str,
    line: usize,
    column: usize,
}

impl Error {
    pub fn line(&self) -> usize {
        self.line
    }
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)?;
        f.write_str(" at line ")?;
        fmt::Display::fmt(&self.line, f)?;
        f.write_str(" column ")?;
        fmt::Display::fmt(&self.column, f)
    }
}

impl std::error::Error for Error {}

/// Reads a whole JSON text (surrounding whitespace allowed, nothing else after the value).
/// How deep `v` nests (a scalar is 0, `[]` and `{}` are 1). Recursive: call it on values the reader made (at most
/// 128 deep) or on values whose construction was bounded.
pub fn depth(v: &Value) -> usize {
    let mut d = 0;
    match v {
        Value::Array(a) => {
            for x in a {
                d = d.max(depth(x));
            }
        }
        Value::Object(o) => {
            for (_, x) in o.iter() {
                d = d.max(depth(x));
            }
        }
        _ => return 0,
    }
    1 + d
}

pub fn parse(text: &str) -> Result<Value, Error> {
    let mut r = Reader { b: text.as_bytes(), i: 0 };
    let v = r.value(0)?;
    r.ws();
    if r.i < r.b.len() {
        return Err(r.err("trailing characters"));
    }
    Ok(v)
}

/// Reads a JSON text as a `T` (None when it is not JSON or does not fit `T`).
pub fn from_str<T: FromJson>(text: &str) -> Option<T> {
    T::from_json(&parse(text).ok()?)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn err(&self, what: &'static str) -> Error {
        let upto = &self.b[..self.i.min(self.b.len())];
        let line = 1 + upto.iter().filter(|&&c| c == b'\n').count();
        let column = 1 + upto.iter().rev().take_while(|&&c| c != b'\n').count();
        Error { what, line, column }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn word(&mut self, w: &[u8], v: Value) -> Result<Value, Error> {
        if self.b[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.err("expected value"))
        }
    }
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        self.ws();
        let Some(c) = self.peek() else { return Err(self.err("EOF while parsing a value")) };
        match c {
            b'n' => self.word(b"null", Value::Null),
            b't' => self.word(b"true", Value::Bool(true)),
            b'f' => self.word(b"false", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' | b'{' => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("recursion limit exceeded"));
                }
                self.i += 1;
                if c == b'[' {
                    self.array(depth + 1)
                } else {
                    self.object(depth + 1)
                }
            }
            _ => Err(self.err("expected value")),
        }
    }
    /// After `[`.
    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        let mut a = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(a));
        }
        loop {
            a.push(self.value(depth)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(a));
                }
                None => return Err(self.err("EOF while parsing a list")),
                _ => return Err(self.err("expected `,` or `]`")),
            }
        }
    }
    /// After `{`. The members are collected in order and sorted once at the end (inserting each in its
    /// place would take quadratic time for a hostile object with many keys in descending order).
    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        let mut m: Vec<(String, Value)> = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(Map { v: m }));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err(if self.peek().is_none() { "EOF while parsing an object" } else { "key must be a string" }));
            }
            let k = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected `:`"));
            }
            self.i += 1;
            let v = self.value(depth)?;
            m.push((k, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(Map::from_members(m)));
                }
                None => return Err(self.err("EOF while parsing an object")),
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
    }
    fn hex4(&mut self) -> Result<u32, Error> {
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("invalid escape")),
            };
            n = n * 16 + d as u32;
            self.i += 1;
        }
        Ok(n)
    }
    /// At `"`; the text's bytes are valid UTF-8 already (it came as `&str`).
    fn string(&mut self) -> Result<String, Error> {
        self.i += 1;
        let mut s = String::new();
        let mut start = self.i;
        loop {
            let Some(c) = self.peek() else { return Err(self.err("EOF while parsing a string")) };
            match c {
                b'"' => {
                    s.push_str(self.slice(start));
                    self.i += 1;
                    return Ok(s);
                }
                b'\\' => {
                    s.push_str(self.slice(start));
                    self.i += 1;
                    let Some(e) = self.peek() else { return Err(self.err("EOF while parsing a string")) };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => {
                            self.i -= 1;
                            return Err(self.err("invalid escape"));
                        }
                    };
                    s.push(ch);
                    start = self.i;
                }
                0..=0x1f => return Err(self.err("control character (\\u0000-\\u001F) found while parsing a string")),
                _ => self.i += 1,
            }
        }
    }
    fn slice(&self, start: usize) -> &str {
        // Both ends sit at ASCII bytes of a valid UTF-8 text, so this is a whole-character slice.
        std::str::from_utf8(&self.b[start..self.i]).unwrap_or_default()
    }
    /// After `\u`: one character, from a surrogate pair when it takes two escapes.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let hi = self.hex4()?;
        let code = match hi {
            0xDC00..=0xDFFF => return Err(self.err("lone trailing surrogate in hex escape")),
            0xD800..=0xDBFF => {
                if !self.b[self.i..].starts_with(b"\\u") {
                    return Err(self.err("lone leading surrogate in hex escape"));
                }
                self.i += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err(self.err("lone leading surrogate in hex escape"));
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            n => n,
        };
        char::from_u32(code).ok_or_else(|| self.err("invalid unicode code point"))
    }
    fn digits(&mut self) -> usize {
        let s = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - s
    }
    fn number(&mut self) -> Result<Value, Error> {
        let start = self.i;
        let neg = self.peek() == Some(b'-');
        if neg {
            self.i += 1;
        }
        let int_start = self.i;
        match self.digits() {
            0 => return Err(self.err("invalid number")),
            n if n > 1 && self.b[int_start] == b'0' => return Err(self.err("invalid number")),
            _ => {}
        }
        let int_end = self.i;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
            float = true;
        }
        if !float {
            // Exact when it fits: u64 for a positive integer, i64 for a negative one.
            let mut n: u64 = 0;
            let mut fits = true;
            for &d in &self.b[int_start..int_end] {
                match n.checked_mul(10).and_then(|n| n.checked_add((d - b'0') as u64)) {
                    Some(m) => n = m,
                    None => {
                        fits = false;
                        break;
                    }
                }
            }
            if fits && !neg {
                return Ok(Value::Number(Number(N::Pos(n))));
            }
            if fits && n <= i64::MAX as u64 + 1 {
                return Ok(Value::Number(Number(if n == 0 { N::Pos(0) } else { N::Neg((n as i64).wrapping_neg()) })));
            }
        }
        let f = parse_float(self.slice(start));
        if !f.is_finite() {
            return Err(self.err("number out of range"));
        }
        Ok(Value::Number(Number(N::Float(f))))
    }
}

#[cfg(target_arch = "wasm32")]
fn parse_float(s: &str) -> f64 {
    js_sys::parse_float(s)
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_float(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

/// Compact JSON text of `v`.
pub fn to_string(v: &impl ToJson) -> String {
    let mut out = String::new();
    write(&mut out, &v.to_json());
    out
}

/// Appends the compact JSON text of `v`.
pub fn write(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write(out, x);
            }
            out.push('}');
        }
    }
}

pub fn write_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

fn write_number(out: &mut String, n: &Number) {
    match n.0 {
        N::Pos(n) => write_u64(out, n),
        N::Neg(n) => {
            out.push('-');
            write_u64(out, n.unsigned_abs());
        }
        N::Float(f) if !f.is_finite() => out.push_str("null"),
        N::Float(f) => {
            let start = out.len();
            write_float(out, f);
            // Kept a float when read back (as serde_json writes `1.0`).
            if !crate::text::from(out, start).contains(['.', 'e', 'E']) {
                out.push_str(".0");
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn write_float(out: &mut String, f: f64) {
    // The browser's shortest round-trip form (`1e+21`, `0.1`, `-5`).
    if let Ok(s) = js_sys::Number::from(f).to_string_with_radix(10) {
        out.push_str(&String::from(s));
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn write_float(out: &mut String, f: f64) {
    use std::fmt::Write;
    let _ = write!(out, "{f}");
}

/// `s` as a JSON string: quotes, backslash and control characters escaped (U+2028/2029 are valid JSON as is).
pub fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(crate::text::cut(s, start, i));
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(crate::text::from(s, start));
    out.push('"');
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "json_fuzz.rs"]
mod fuzz;
