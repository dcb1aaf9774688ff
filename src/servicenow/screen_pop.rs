//! Screen-pop rules (pure): which ServiceNow record to open for a call, and when.
//!
//! Sources, in order: data the call carries (`X-SN-Table` + `X-SN-Sys-Id`, or `X-Case-Number`), then the
//! caller's number matched against contacts, consumers and users, then their open cases (newest first).

use crate::openframe::protocol::RecordRef;
use crate::phone::number::{normalize, Dialable};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum When {
    OnAlert,
    OnAnswer,
    Never,
}

/// A record found for a caller, with the phone numbers it lists.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub record: RecordRef,
    pub phones: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Open this record's form.
    Open(RecordRef),
    /// Several matches: let the agent choose (classic UI may also show them as a list).
    Choose(Vec<RecordRef>),
    /// Nothing matched: offer a new record prefilled with the caller's number.
    OfferNew { table: String, query: String },
    /// No pop for this call.
    Cancel,
}

/// What the call itself names: a table and sys_id, or a case number (looked up by the edge).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CarriedData {
    Record(RecordRef),
    CaseNumber(String),
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

fn token_ok(s: &str) -> bool {
    s.len() <= 80 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Reads the screen-pop data a call carries. Values that are not plain tokens are ignored.
pub fn carried(headers: &[(String, String)]) -> Option<CarriedData> {
    if let (Some(t), Some(id)) = (header(headers, "X-SN-Table"), header(headers, "X-SN-Sys-Id")) {
        if token_ok(t) && token_ok(id) {
            return Some(CarriedData::Record(RecordRef { entity: t.into(), sys_id: Some(id.into()), query: format!("sys_id={id}"), ..Default::default() }));
        }
    }
    header(headers, "X-Case-Number").filter(|n| token_ok(n)).map(|n| CarriedData::CaseNumber(n.to_string()))
}

/// Keeps the candidates whose phone numbers normalize to the caller's (the LIKE query over trailing digits
/// also finds near misses).
pub fn exact_matches(caller: &str, country: &str, candidates: &[Candidate]) -> Vec<RecordRef> {
    let Ok(Dialable::E164(want)) = normalize(caller, country) else { return Vec::new() };
    candidates
        .iter()
        .filter(|c| c.phones.iter().any(|p| matches!(normalize(p, country), Ok(Dialable::E164(n)) if n == want)))
        .map(|c| c.record.clone())
        .collect()
}

/// The decision for a caller: one person with open cases pops the newest case; one person without, the
/// person; several people, a choice; nobody, an offer to create a contact.
pub fn decide(caller: &str, people: &[RecordRef], open_cases_newest_first: &[RecordRef]) -> Decision {
    match people.len() {
        0 => Decision::OfferNew {
            table: "customer_contact".into(),
            query: format!("sys_id=-1&sysparm_query=phone={}", caller.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>()),
        },
        1 => Decision::Open(open_cases_newest_first.first().cloned().unwrap_or_else(|| people[0].clone())),
        _ => Decision::Choose(people.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(table: &str, id: &str) -> RecordRef {
        RecordRef { entity: table.into(), sys_id: Some(id.into()), query: format!("sys_id={id}"), ..Default::default() }
    }

    #[test]
    fn carried_data_comes_first_and_is_validated() {
        let h = vec![("X-Sn-Table".to_string(), "sn_customerservice_case".to_string()), ("X-Sn-Sys-Id".to_string(), "ca5e01".to_string())];
        assert_eq!(carried(&h), Some(CarriedData::Record(rec("sn_customerservice_case", "ca5e01"))));
        let bad = vec![("X-SN-Table".to_string(), "incident^ORx".to_string()), ("X-SN-Sys-Id".to_string(), "1".to_string())];
        assert_eq!(carried(&bad), None);
        let n = vec![("X-Case-Number".to_string(), "CS0001001".to_string())];
        assert_eq!(carried(&n), Some(CarriedData::CaseNumber("CS0001001".into())));
        assert_eq!(carried(&[]), None);
    }

    #[test]
    fn free_text_phone_fields_match_exactly_after_normalization() {
        let cands = vec![
            Candidate { record: rec("customer_contact", "beth"), phones: vec!["(415) 555-0123".into(), "".into()] },
            Candidate { record: rec("customer_contact", "near"), phones: vec!["+1 212 555 0123".into()] },
            Candidate { record: rec("sys_user", "fred"), phones: vec!["415.555.0123 ".into()] },
        ];
        let m = exact_matches("+14155550123", "US", &cands);
        assert_eq!(m, vec![rec("customer_contact", "beth"), rec("sys_user", "fred")]);
    }

    #[test]
    fn decisions() {
        let beth = rec("customer_contact", "beth");
        let case = rec("sn_customerservice_case", "c1");
        assert_eq!(decide("+1", &[beth.clone()], &[case.clone()]), Decision::Open(case));
        assert_eq!(decide("+1", &[beth.clone()], &[]), Decision::Open(beth.clone()));
        assert_eq!(decide("+1", &[beth.clone(), beth.clone()], &[]), Decision::Choose(vec![beth.clone(), beth]));
        assert_eq!(
            decide("+1 (415) 555-0123", &[], &[]),
            Decision::OfferNew { table: "customer_contact".into(), query: "sys_id=-1&sysparm_query=phone=+14155550123".into() }
        );
    }
}
