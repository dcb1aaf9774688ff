use super::*;

fn p(t: &str) -> Value {
    parse(t).unwrap_or_else(|e| panic!("{t}: {e}"))
}

#[test]
fn reads_every_kind_of_value() {
    let v = p(r#" { "a" : [1, -2, 3.5, -0.25e2, 1E3, true, false, null, "x"], "b": {}, "c": [], "d": {"e": "\u00e9\n"} } "#);
    assert_eq!(v["a"][0].as_u64(), Some(1));
    assert_eq!(v["a"][1].as_i64(), Some(-2));
    assert_eq!(v["a"][1].as_u64(), None);
    assert_eq!(v["a"][2].as_f64(), Some(3.5));
    assert_eq!(v["a"][2].as_u64(), None, "a fraction is not an integer");
    assert_eq!(v["a"][3].as_f64(), Some(-25.0));
    assert_eq!(v["a"][4].as_f64(), Some(1000.0));
    assert_eq!(v["a"][4].as_u64(), None, "an exponent makes a float (as serde_json reads it)");
    assert_eq!(v["a"][5], true);
    assert_eq!(v["a"][6].as_bool(), Some(false));
    assert!(v["a"][7].is_null());
    assert_eq!(v["a"][8], "x");
    assert_eq!(v["b"], Value::Object(Map::new()));
    assert_eq!(v["c"], Value::Array(vec![]));
    assert_eq!(v["d"]["e"], "é\n");
    assert!(v["missing"]["deeper"].is_null() && v["a"][99].is_null() && v.get(0).is_none() && v["a"].get(0).is_some());
    assert_eq!(p("-0").as_u64(), Some(0));
    assert_eq!(p("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(p("-9223372036854775808").as_i64(), Some(i64::MIN));
}

#[test]
fn writes_compact_json_with_sorted_keys() {
    let v = json!({"b": [1, -2, 2.5, null, true], "a": "q\"\\/", "c": {"z": 1.0, "y": {}}, "d": []});
    assert_eq!(v.to_string(), r#"{"a":"q\"\\/","b":[1,-2,2.5,null,true],"c":{"y":{},"z":1.0},"d":[]}"#);
    assert_eq!(p(&v.to_string()), v);
    assert_eq!(to_string(&f64::NAN), "null");
    assert_eq!(to_string(&f64::INFINITY), "null");
    assert_eq!(to_string(&(-1.5e300)), to_string(&p(&to_string(&(-1.5e300)))));
    assert_eq!(to_string(&Some(3u32)), "3");
    assert_eq!(to_string(&None::<u32>), "null");
    assert_eq!(to_string(&vec!["a".to_string()]), r#"["a"]"#);
    assert_eq!(to_string(&i64::MIN), "-9223372036854775808");
}

#[test]
fn a_repeated_key_keeps_its_last_value_and_the_map_stays_sorted() {
    let v = p(r#"{"k": 1, "a": 0, "k": 2}"#);
    assert_eq!(v["k"].as_u64(), Some(2));
    assert_eq!(v.as_object().unwrap().keys().cloned().collect::<Vec<_>>(), ["a", "k"]);
    let mut m = Map::new();
    assert_eq!(m.insert("b".into(), json!(1)), None);
    assert_eq!(m.insert("a".into(), json!(2)), None);
    assert_eq!(m.insert("b".into(), json!(3)), Some(json!(1)));
    assert_eq!(m.remove("a"), Some(json!(2)));
    assert!(!m.contains_key("a") && m.len() == 1);
    let mut v = Value::Null;
    v["x"] = json!("y");
    assert_eq!(v, json!({"x": "y"}));
}

/// Every string a hostile sender could pick is written so that JSON.parse-compatible readers (this one,
/// and serde_json's rules) read the very same string back.
#[test]
fn hostile_strings_round_trip_exactly() {
    let mut all_controls = String::new();
    for c in 0u8..0x20 {
        all_controls.push(c as char);
    }
    let cases = [
        "".to_string(),
        "\"".into(),
        "\\".into(),
        "\\\"".into(),
        "\"},{\"admin\":true".into(),
        "</script><script>alert(1)</script>".into(),
        "\u{2028}\u{2029}".into(),
        "\u{7f}\u{80}\u{ffff}\u{10ffff}😀".into(),
        "\\u0000".into(),
        all_controls,
        "a\u{0}b".into(),
        "x".repeat(100_000),
    ];
    for s in cases {
        let text = to_string(&s);
        assert!(!text[1..text.len() - 1].bytes().any(|b| b < 0x20), "no raw control character is written: {text:?}");
        assert_eq!(parse(&text).unwrap(), Value::String(s.clone()), "{text:?}");
        // Inside an object, as a key too.
        let mut m = Map::new();
        m.insert(s.clone(), Value::String(s.clone()));
        let back = parse(&to_string(&Value::Object(m))).unwrap();
        assert_eq!(back.get(s.as_str()), Some(&Value::String(s.clone())));
    }
    assert_eq!(to_string(&"\u{1}\u{1f}\u{8}\u{c}"), r#""\u0001\u001f\b\f""#);
}

#[test]
fn surrogate_pairs_in_escapes_make_one_character() {
    assert_eq!(p(r#""\ud83d\ude00""#), "😀");
    assert_eq!(p(r#""\uD83D\uDE00x""#), "😀x");
    assert_eq!(p(r#""\u0041\u00e9\u20ac""#), "Aé€");
}

#[test]
fn hostile_lone_surrogates_and_bad_escapes_are_refused() {
    for bad in [
        r#""\ud800""#,
        r#""\ud800x""#,
        r#""\ud800\u0041""#,
        r#""\udc00""#,
        r#""\ude00\ud83d""#,
        r#""\u12""#,
        r#""\u12g4""#,
        r#""\x41""#,
        r#""\'""#,
        r#""\"#,
        "\"\\",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

/// Many keys in descending order, and many repeats of one key: read in one sort, the last value kept.
#[test]
fn hostile_objects_with_many_keys_read_sorted_and_last_wins() {
    let n = 200_000;
    let mut t = String::from("{");
    for i in (0..n).rev() {
        t.push_str(&format!("\"k{i:06}\":{i},"));
    }
    for i in 0..1000 {
        t.push_str(&format!("\"k000007\":{},", 1_000_000 + i));
    }
    t.push_str("\"k000007\":\"last\"}");
    let v = p(&t);
    let m = v.as_object().unwrap();
    assert_eq!(m.len(), n);
    assert!(m.keys().zip(m.keys().skip(1)).all(|(a, b)| a < b), "sorted, one of each");
    assert_eq!(v["k000007"], "last");
    assert_eq!(v["k199999"].as_u64(), Some(199_999));
    assert_eq!(p(r#"{"b":1,"a":2,"b":3,"a":4,"c":5}"#).to_string(), r#"{"a":4,"b":3,"c":5}"#);
}

#[test]
fn hostile_control_characters_in_strings_are_refused() {
    for c in 0u8..0x20 {
        let t = format!("\"a{}b\"", c as char);
        assert!(parse(&t).is_err(), "raw {c:#x}");
    }
    // DEL and above are fine as they are.
    assert_eq!(p("\"\u{7f}\""), "\u{7f}");
}

#[test]
fn hostile_deep_nesting_is_refused_without_overflowing_the_stack() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&ok).is_ok());
    let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(parse(&too_deep).unwrap_err().what, "recursion limit exceeded");
    // Far deeper, unclosed, mixed: refused at the limit, long before the stack could run out.
    for t in ["[".repeat(1_000_000), "{\"a\":".repeat(200_000), "[{\"a\":".repeat(100_000)] {
        assert_eq!(parse(&t).unwrap_err().what, "recursion limit exceeded");
    }
}

#[test]
fn hostile_numbers_are_read_or_refused_never_wrapped() {
    // Past u64/i64: a float, never a wrapped integer.
    let big = p("184467440737095516160");
    assert_eq!(big.as_u64(), None);
    assert_eq!(big.as_f64(), Some(1.8446744073709552e20));
    let neg = p("-9223372036854775809");
    assert_eq!(neg.as_i64(), None);
    assert!(neg.as_f64().unwrap() < -9.2e18);
    assert_eq!(p(&"9".repeat(300)).as_f64(), Some(1e300));
    assert_eq!(p("1e-400").as_f64(), Some(0.0));
    // Not numbers JSON has.
    for bad in ["1e400", "-1e400", &"9".repeat(400), "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "1.5.5", "--1", "1_000"] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn hostile_trailing_text_and_broken_structure_are_refused() {
    for bad in [
        "",
        "   ",
        "{} {}",
        "{}x",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{,}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{a:1}",
        "{'a':1}",
        "{1:2}",
        "[1 2]",
        "[1",
        "{\"a\":1",
        "\"abc",
        "tru",
        "nul",
        "True",
        "null x",
        "[] // comment",
        "\u{feff}{}",
        "{\"a\":1}\u{0}",
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    // Whitespace JSON allows around values.
    assert_eq!(p(" \t\r\n[ 1 ,\n2 ] \n"), json!([1, 2]));
}

#[test]
fn errors_say_where() {
    let e = parse("{\n  \"a\": x\n}").unwrap_err();
    assert_eq!((e.line(), e.column()), (2, 8));
    assert_eq!(e.to_string(), "expected value at line 2 column 8");
    assert_eq!(parse("[1] 2").unwrap_err().to_string(), "trailing characters at line 1 column 5");
}

#[test]
fn hostile_typed_reads_refuse_what_does_not_fit() {
    assert_eq!(from_str::<Vec<String>>(r#"["a","b"]"#), Some(vec!["a".to_string(), "b".to_string()]));
    for bad in [r#"["a",1]"#, r#"{"a":"b"}"#, r#""a""#, "null", r#"["a""#] {
        assert_eq!(from_str::<Vec<String>>(bad), None, "{bad}");
    }
}

#[test]
fn the_macro_builds_what_it_says() {
    let name: Option<String> = None;
    let n = 5u32;
    let list = vec![1u8, 2];
    let v = json!({"n": n, "neg": -3, "f": 0.5, "s": "x".repeat(2), "name": name, "null": null, "list": list,
        "nested": {"a": [1, {"b": null}, [true]], "e": {}}, "t": true});
    assert_eq!(
        v.to_string(),
        r#"{"f":0.5,"list":[1,2],"n":5,"name":null,"neg":-3,"nested":{"a":[1,{"b":null},[true]],"e":{}},"null":null,"s":"xx","t":true}"#
    );
    assert_eq!(json!([]), Value::Array(vec![]));
    assert_eq!(json!(null), Value::Null);
    assert_eq!(json!("a"), Value::String("a".into()));
}
