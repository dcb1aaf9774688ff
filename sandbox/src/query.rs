//! ServiceNow encoded queries, evaluated against the sandbox's records: `=`, `!=`, `LIKE`, `STARTSWITH`,
//! `ENDSWITH`, `IN`, `^` (AND), `^OR` (OR, binding to the condition before it), `ORDERBY`/`ORDERBYDESC`.
//! Like an instance, parts that do not parse are ignored.

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
struct Cond {
    field: String,
    op: &'static str,
    value: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// AND of OR-groups.
    groups: Vec<Vec<Cond>>,
    order: Vec<(String, bool)>,
}

const OPS: [&str; 6] = ["!=", "STARTSWITH", "ENDSWITH", "LIKE", "IN", "="];

fn cond(s: &str) -> Option<Cond> {
    let mut best: Option<(usize, &'static str)> = None;
    for op in OPS {
        if let Some(i) = s.find(op) {
            if i > 0 && best.map(|(b, _)| i < b).unwrap_or(true) {
                best = Some((i, op));
            }
        }
    }
    let (i, op) = best?;
    let field = &s[..i];
    if !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        return None;
    }
    Some(Cond { field: field.to_string(), op, value: s[i + op.len()..].to_string() })
}

pub fn parse(q: &str) -> Parsed {
    let mut p = Parsed::default();
    for (n, part) in q.split('^').enumerate() {
        if part.is_empty() {
            continue;
        }
        if let Some(f) = part.strip_prefix("ORDERBYDESC") {
            p.order.push((f.to_string(), true));
        } else if let Some(f) = part.strip_prefix("ORDERBY") {
            p.order.push((f.to_string(), false));
        } else if let Some(rest) = part.strip_prefix("OR").filter(|_| n > 0) {
            if let Some(c) = cond(rest) {
                match p.groups.last_mut() {
                    Some(g) => g.push(c),
                    None => p.groups.push(vec![c]),
                }
            }
        } else if let Some(c) = cond(part) {
            p.groups.push(vec![c]);
        }
    }
    p
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn holds(c: &Cond, rec: &Map<String, Value>) -> bool {
    let have = text(rec.get(&c.field)).to_lowercase();
    let want = c.value.to_lowercase();
    match c.op {
        "=" => have == want,
        "!=" => have != want,
        "LIKE" => have.contains(&want),
        "STARTSWITH" => have.starts_with(&want),
        "ENDSWITH" => have.ends_with(&want),
        "IN" => want.split(',').any(|w| w.trim() == have),
        _ => false,
    }
}

impl Parsed {
    pub fn matches(&self, rec: &Map<String, Value>) -> bool {
        self.groups.iter().all(|g| g.iter().any(|c| holds(c, rec)))
    }

    pub fn sort(&self, recs: &mut [Map<String, Value>]) {
        for (field, desc) in self.order.iter().rev() {
            recs.sort_by(|a, b| {
                let o = text(a.get(field)).to_lowercase().cmp(&text(b.get(field)).to_lowercase());
                if *desc {
                    o.reverse()
                } else {
                    o
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn and_or_like_in_order() {
        let recs = vec![
            rec(json!({"name": "Beth Anglin", "phone": "(415) 555-0123", "active": "true", "n": "2"})),
            rec(json!({"name": "Fred Luddy", "phone": "415.555.0142", "active": "false", "n": "1"})),
            rec(json!({"name": "Bethany", "mobile_phone": "+1 415 555 0123", "active": "true", "n": "3"})),
        ];
        let p = parse("phoneLIKE555-0123^ORmobile_phoneLIKE555 0123^active=true");
        assert_eq!(recs.iter().filter(|r| p.matches(r)).count(), 2);
        let p = parse("nameSTARTSWITHbeth^ORDERBYDESCn");
        let mut hits: Vec<_> = recs.iter().filter(|r| p.matches(r)).cloned().collect();
        p.sort(&mut hits);
        assert_eq!(hits[0]["name"], "Bethany");
        assert_eq!(recs.iter().filter(|r| parse("nIN1,3").matches(r)).count(), 2);
        assert_eq!(recs.iter().filter(|r| parse("active!=true").matches(r)).count(), 1);
        assert_eq!(recs.iter().filter(|r| parse("nameENDSWITHluddy").matches(r)).count(), 1);
        // Garbage parts are ignored, like an instance does.
        assert_eq!(recs.iter().filter(|r| parse("bogus^^").matches(r)).count(), 3);
    }
}
