//! ServiceNow encoded queries built from typed values (pure). User text never becomes query syntax:
//! values containing `^` (the condition separator) or line breaks are refused, never pasted.

use crate::phone::number::trailing_digits;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    NotEq,
    Like,
    StartsWith,
    EndsWith,
    In,
}

impl Op {
    fn text(&self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::NotEq => "!=",
            Op::Like => "LIKE",
            Op::StartsWith => "STARTSWITH",
            Op::EndsWith => "ENDSWITH",
            Op::In => "IN",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An encoded query: conditions joined by `^` (AND) or `^OR` (OR, binding to the condition before it),
/// then ORDERBY clauses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    parts: Vec<String>,
    order: Vec<String>,
}

fn check_field(f: &str) -> Result<(), QueryError> {
    if f.is_empty() || !f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        return Err(QueryError(format!("'{f}' is not a field name")));
    }
    Ok(())
}

fn check_value(v: &str) -> Result<(), QueryError> {
    if v.contains('^') || v.contains(['\n', '\r']) {
        return Err(QueryError(format!("'{v}' cannot be searched for: it contains ^ or a line break")));
    }
    Ok(())
}

impl Query {
    pub fn new() -> Query {
        Query::default()
    }

    /// Adds a condition, after `sep` unless it is the first (one writer for AND and OR, no format!).
    fn cond(&mut self, sep: &str, field: &str, op: Op, value: &str) -> Result<(), QueryError> {
        check_field(field)?;
        check_value(value)?;
        let sep = if self.parts.is_empty() { "" } else { sep };
        self.parts.push(crate::servicenow::rest::concat(&[sep, field, op.text(), value]));
        Ok(())
    }

    /// AND condition.
    pub fn and(mut self, field: &str, op: Op, value: &str) -> Result<Query, QueryError> {
        self.cond("^", field, op, value)?;
        Ok(self)
    }

    /// OR condition (binds to the condition before it).
    pub fn or(mut self, field: &str, op: Op, value: &str) -> Result<Query, QueryError> {
        self.cond("^OR", field, op, value)?;
        Ok(self)
    }

    pub fn order_by(mut self, field: &str, descending: bool) -> Result<Query, QueryError> {
        check_field(field)?;
        self.order.push(crate::servicenow::rest::concat(&[if descending { "ORDERBYDESC" } else { "ORDERBY" }, field]));
        Ok(self)
    }

    pub fn encode(&self) -> String {
        let mut s = self.parts.concat();
        for o in &self.order {
            if !s.is_empty() {
                s.push('^');
            }
            s.push_str(o);
        }
        s
    }
}

/// Phone columns of the tables the desk searches.
pub fn phone_fields(table: &str) -> &'static [&'static str] {
    match table {
        "sys_user" | "customer_contact" => &["phone", "mobile_phone", "home_phone"],
        "csm_consumer" => &["business_phone", "mobile_phone", "home_phone"],
        _ => &[],
    }
}

/// The columns a caller or directory read asks for: the id, the name and [`phone_fields`] (as written,
/// no text built at run time).
pub fn read_fields(table: &str) -> &'static str {
    match table {
        "sys_user" | "customer_contact" => "sys_id,name,phone,mobile_phone,home_phone",
        "csm_consumer" => "sys_id,name,business_phone,mobile_phone,home_phone",
        _ => "sys_id,name,",
    }
}

/// How many trailing digits a phone lookup matches on: the last four digits of a number are written
/// together in every common format ("(415) 555-0123", "415.555.0123", "+1 415 555 0123").
pub const LOOKUP_DIGITS: usize = 4;

/// A lookup of a caller's number: the trailing digits, LIKE on every phone column (free-text phone fields
/// defeat an exact match); the client keeps only candidates whose normalized number equals the caller's.
pub fn phone_lookup(table: &str, number: &str) -> Result<Query, QueryError> {
    let tail = trailing_digits(number, LOOKUP_DIGITS);
    if tail.len() < 4 {
        return Err(QueryError(format!("'{number}' has too few digits to look up")));
    }
    let mut q = Query::new();
    for f in phone_fields(table) {
        q = q.or(f, Op::Like, &tail)?;
    }
    Ok(q)
}

/// A directory search: a number (no letters, 4+ digits) searches every phone column by its last digits;
/// anything else searches names (LIKE) and emails (STARTSWITH). Active users only.
pub fn directory_search(table: &str, text: &str) -> Result<Query, QueryError> {
    let t = text.trim();
    check_value(t)?;
    // Phone numbers are ASCII digits and punctuation: any letter (or non-ASCII character) makes it a name.
    let has_letters = t.chars().any(|c| c.is_ascii_alphabetic() || !c.is_ascii());
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let mut q = if !has_letters && digits >= 4 {
        let tail = trailing_digits(t, LOOKUP_DIGITS);
        let mut q = Query::new();
        for f in phone_fields(table) {
            q = q.or(f, Op::Like, &tail)?;
        }
        q
    } else {
        Query::new().or("name", Op::Like, t)?.or("email", Op::StartsWith, t)?
    };
    if table == "sys_user" {
        q = q.and("active", Op::Eq, "true")?;
    }
    q.order_by("name", false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_fields_are_the_id_the_name_and_the_phone_columns() {
        for t in ["sys_user", "customer_contact", "csm_consumer", "x"] {
            assert_eq!(read_fields(t), format!("sys_id,name,{}", phone_fields(t).join(",")), "{t}");
        }
    }

    #[test]
    fn builds_encoded_queries() {
        let q = Query::new().and("active", Op::Eq, "true").unwrap().and("name", Op::Like, "beth").unwrap().or("email", Op::StartsWith, "beth").unwrap();
        assert_eq!(q.encode(), "active=true^nameLIKEbeth^ORemailSTARTSWITHbeth");
        let q = Query::new().and("contact", Op::Eq, "abc").unwrap().and("state", Op::In, "1,10,18").unwrap().order_by("sys_created_on", true).unwrap();
        assert_eq!(q.encode(), "contact=abc^stateIN1,10,18^ORDERBYDESCsys_created_on");
        assert_eq!(Query::new().order_by("name", false).unwrap().encode(), "ORDERBYname");
    }

    #[test]
    fn refuses_injection() {
        assert!(Query::new().and("name", Op::Like, "x^active=false").is_err());
        assert!(Query::new().and("name^x", Op::Eq, "y").is_err());
        assert!(Query::new().and("name", Op::Eq, "a\nb").is_err());
        assert!(directory_search("sys_user", "bob^ORactive=false").is_err());
    }

    #[test]
    fn phone_lookups_use_trailing_digits_on_every_column() {
        assert_eq!(
            phone_lookup("customer_contact", "+1 (415) 555-0123").unwrap().encode(),
            "phoneLIKE0123^ORmobile_phoneLIKE0123^ORhome_phoneLIKE0123"
        );
        assert_eq!(
            phone_lookup("csm_consumer", "+14155550123").unwrap().encode(),
            "business_phoneLIKE0123^ORmobile_phoneLIKE0123^ORhome_phoneLIKE0123"
        );
        assert!(phone_lookup("sys_user", "12").is_err());
        let q = directory_search("sys_user", "Beth").unwrap().encode();
        assert_eq!(q, "nameLIKEBeth^ORemailSTARTSWITHBeth^active=true^ORDERBYname");
        let q = directory_search("customer_contact", "(415) 555-0123").unwrap().encode();
        assert_eq!(q, "phoneLIKE0123^ORmobile_phoneLIKE0123^ORhome_phoneLIKE0123^ORDERBYname");
        // A name in another script is a name, even with digits in it.
        let q = directory_search("sys_user", "Зоя 2024").unwrap().encode();
        assert!(q.starts_with("nameLIKEЗоя 2024"), "{q}");
    }
}
