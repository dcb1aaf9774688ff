//! Screen-pop rules (pure): which ServiceNow record to open for a call, and when.
//!
//! Sources, in order: data the call carries (`X-SN-Table` + `X-SN-Sys-Id`, or `X-Case-Number`), then the
//! caller's number matched against contacts, consumers and users, then their open cases (newest first).

use crate::openframe::protocol::RecordRef;
use crate::phone::number::{normalize, Dialable};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// What the ServiceNow client reports to the desk about a call's screen pop.
#[derive(Clone, Debug, PartialEq)]
pub enum SnEvent {
    Pop { call: u32, decision: Decision },
    /// The look-up failed: the text says why (shown on the call).
    PopFailed { call: u32, message: String },
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

/// A ServiceNow sys_id: exactly 32 hexadecimal characters.
pub fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A task number such as `CS0001001`: 2 to 8 letters, then 1 to 12 digits.
pub fn is_task_number(s: &str) -> bool {
    let letters = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    let digits = s.len() - letters;
    (2..=8).contains(&letters) && (1..=12).contains(&digits) && s.bytes().skip(letters).all(|b| b.is_ascii_digit())
}

/// The table a call's `X-Case-Number` is looked up in.
pub const CASE_TABLE: &str = "sn_customerservice_case";

/// A caller's value as shown in a message: short, one line.
fn shown(v: &str) -> String {
    let mut s = String::new();
    for (i, c) in v.chars().enumerate() {
        if i == 40 {
            s.push('…');
            break;
        }
        s.push(if c.is_control() { ' ' } else { c });
    }
    s
}

/// What the call's own data names, after the checks, and why anything it named was ignored (for the agent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carried {
    pub data: Option<CarriedData>,
    pub ignored: Option<String>,
    /// A record header came more than once (a caller's own beside the SBC's): the data is only a hint.
    pub duplicated: bool,
}

impl Carried {
    /// The record the call names (not a case number, which needs a look-up).
    pub fn record(&self) -> Option<RecordRef> {
        match &self.data {
            Some(CarriedData::Record(r)) => Some(r.clone()),
            _ => None,
        }
    }

    /// Whether the data may choose the record by itself: the admin trusts call data (`trust`) and no
    /// record header came twice.
    pub fn trusted(&self, trust: bool) -> bool {
        trust && !self.duplicated
    }
}

pub use crate::phone::call::RECORD_HEADERS;

/// Reads the screen-pop data a call carries. Anyone can put these headers on a call, so a record is used
/// only when its table is in `tables` (the `screenPopTables` setting) and its id is a sys_id, and a case
/// number only when it looks like one and cases may be opened. Anything else is ignored (the caller's
/// number is matched instead) and [`Carried::ignored`] says why.
pub fn carried(headers: &[(String, String)], tables: &[String]) -> Carried {
    use crate::strings as tx;
    let allowed = |t: &str| tables.iter().any(|a| a == t);
    // The first value refused and why.
    let mut refused: Option<(&str, &str)> = None;
    let (t, id) = (header(headers, "X-SN-Table"), header(headers, "X-SN-Sys-Id"));
    let mut data = None;
    if t.is_some() || id.is_some() {
        let (t, id) = (t.unwrap_or(""), id.unwrap_or(""));
        if !allowed(t) {
            refused = Some((t, tx::CARRIED_TABLE_NOT_ALLOWED()));
        } else if !is_sys_id(id) {
            refused = Some((id, tx::CARRIED_NOT_SYS_ID()));
        } else {
            let id = id.to_ascii_lowercase();
            data = Some(CarriedData::Record(RecordRef { entity: t.into(), query: crate::openframe::protocol::sys_id_query(&id), sys_id: Some(id), ..Default::default() }));
        }
    }
    if let (None, Some(n)) = (&data, header(headers, "X-Case-Number")) {
        if !is_task_number(n) {
            refused = refused.or(Some((n, tx::CARRIED_NOT_NUMBER())));
        } else if !allowed(CASE_TABLE) {
            refused = refused.or(Some((n, tx::CARRIED_TABLE_NOT_ALLOWED())));
        } else {
            data = Some(CarriedData::CaseNumber(n.to_ascii_uppercase()));
        }
    }
    // A record that was used leaves nothing to explain.
    let ignored = refused.filter(|_| !matches!(data, Some(CarriedData::Record(_)))).map(|(v, why)| super::rest::concat(&[crate::strings::CARRIED_IGNORED(), " '", &shown(v), "' ", why]));
    let duplicated = RECORD_HEADERS.iter().any(|r| headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(r)).count() > 1);
    Carried { data, ignored, duplicated }
}

/// Keeps the candidates whose phone numbers normalize to the caller's (the LIKE query over trailing digits
/// also finds near misses).
pub fn exact_matches(caller: &str, country: &str, candidates: &[Candidate]) -> Vec<RecordRef> {
    let Ok(Dialable::E164(want)) = normalize(caller, country) else { return Vec::new() };
    let mut out = Vec::new();
    for c in candidates {
        if c.phones.iter().any(|p| matches!(normalize(p, country), Ok(Dialable::E164(n)) if n == want)) {
            out.push(c.record.clone());
        }
    }
    out
}

/// The decision for a caller: one person with open cases pops the newest case; one person without, the
/// person; several people, a choice; nobody, an offer to create a contact.
pub fn decide(caller: &str, people: &[RecordRef], open_cases_newest_first: &[RecordRef]) -> Decision {
    match people.len() {
        0 => Decision::OfferNew {
            table: "customer_contact".into(),
            query: {
                let mut q = String::from("sys_id=-1&sysparm_query=phone=");
                for c in caller.chars() {
                    if c.is_ascii_digit() || c == '+' {
                        q.push(c);
                    }
                }
                q
            },
        },
        1 => Decision::Open(open_cases_newest_first.first().cloned().unwrap_or_else(|| people[0].clone())),
        _ => Decision::Choose(people.to_vec()),
    }
}

/// The decision for a record an untrusted call names (`refs`: its own sys_id and its contact, consumer,
/// caller references): it opens only when it is or names a person matched by the caller's number;
/// otherwise it is one choice among those people and their cases, for the agent (nothing is attached).
pub fn decide_named(named: RecordRef, refs: &[String], people: &[RecordRef], cases: &[RecordRef]) -> Decision {
    if people.iter().any(|p| p.sys_id.as_ref().is_some_and(|id| refs.contains(id))) {
        return Decision::Open(named);
    }
    let mut list = vec![named];
    for r in people.iter().chain(cases) {
        if !list.contains(r) {
            list.push(r.clone());
        }
    }
    Decision::Choose(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(table: &str, id: &str) -> RecordRef {
        RecordRef { entity: table.into(), sys_id: Some(id.into()), query: format!("sys_id={id}"), ..Default::default() }
    }

    fn tables() -> Vec<String> {
        crate::config::DEFAULT_TASK_TABLES.iter().map(|t| t.to_string()).collect()
    }

    fn hdrs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    const CASE: &str = "ca5e0000000000000000000000000001";

    #[test]
    fn carried_data_comes_first_and_is_validated() {
        let h = hdrs(&[("X-Sn-Table", "sn_customerservice_case"), ("X-Sn-Sys-Id", "CA5E0000000000000000000000000001")]);
        assert_eq!(carried(&h, &tables()), Carried { data: Some(CarriedData::Record(rec("sn_customerservice_case", CASE))), ignored: None, duplicated: false });
        let n = hdrs(&[("X-Case-Number", "CS0001001")]);
        assert_eq!(carried(&n, &tables()).data, Some(CarriedData::CaseNumber("CS0001001".into())));
        assert_eq!(carried(&[], &tables()), Carried::default());
        // An admin can allow more tables.
        let more = vec!["incident".to_string()];
        assert!(carried(&hdrs(&[("X-SN-Table", "incident"), ("X-SN-Sys-Id", CASE)]), &more).record().is_some());
        // A bad record with a good case number: the case number is used, and the agent learns why not the record.
        let both = hdrs(&[("X-SN-Table", "sys_user"), ("X-SN-Sys-Id", CASE), ("X-Case-Number", "CS0001001")]);
        let c = carried(&both, &tables());
        assert_eq!(c.data, Some(CarriedData::CaseNumber("CS0001001".into())));
        assert!(c.ignored.unwrap().contains("'sys_user'"));
    }

    /// Call data that must not choose the record: nothing is opened or written from it, the number match
    /// runs instead, and the agent sees why.
    macro_rules! hostile_carried {
        ($($name:ident: [$($h:expr),*];)*) => {$(
            #[test]
            fn $name() {
                let h = hdrs(&[$($h),*]);
                let c = carried(&h, &tables());
                assert_eq!(c.data, None, "{h:?} was used");
                let why = c.ignored.expect("the agent sees why");
                assert!(why.starts_with(crate::strings::CARRIED_IGNORED()) && why.chars().count() < 300, "{why}");
                assert!(!why.contains('\n') && !why.contains('\r'), "{why:?}");
            }
        )*};
    }
    hostile_carried! {
        hostile_carried_table_not_allowed: [("X-SN-Table", "sys_user"), ("X-SN-Sys-Id", CASE)];
        hostile_carried_table_without_work_notes: [("X-SN-Table", "customer_contact"), ("X-SN-Sys-Id", CASE)];
        hostile_carried_table_query_injection: [("X-SN-Table", "sn_customerservice_case^ORactive=true"), ("X-SN-Sys-Id", CASE)];
        hostile_carried_table_path_traversal: [("X-SN-Table", "../../api/now/table/sys_user"), ("X-SN-Sys-Id", CASE)];
        hostile_carried_table_case_variant: [("X-SN-Table", "SN_CUSTOMERSERVICE_CASE"), ("X-SN-Sys-Id", CASE)];
        hostile_carried_sys_id_short: [("X-SN-Table", "sn_customerservice_case"), ("X-SN-Sys-Id", "ca5e01")];
        hostile_carried_sys_id_long: [("X-SN-Table", "sn_customerservice_case"), ("X-SN-Sys-Id", "ca5e00000000000000000000000000010")];
        hostile_carried_sys_id_not_hex: [("X-SN-Table", "sn_customerservice_case"), ("X-SN-Sys-Id", "ca5e000000000000000000000000000g")];
        hostile_carried_sys_id_query: [("X-SN-Table", "sn_customerservice_case"), ("X-SN-Sys-Id", "-1^ORsys_idISNOTEMPTY")];
        hostile_carried_sys_id_path: [("X-SN-Table", "sn_customerservice_case"), ("X-SN-Sys-Id", "../sys_user/6816f79cc0a8016401c5a33be04be441")];
        hostile_carried_sys_id_without_table: [("X-SN-Sys-Id", CASE)];
        hostile_carried_table_without_sys_id: [("X-SN-Table", "sn_customerservice_case")];
        hostile_carried_case_number_query: [("X-Case-Number", "CS0001001^ORnumberISNOTEMPTY")];
        hostile_carried_case_number_overlong: [("X-Case-Number", "CS00000000000000000000000000001")];
        hostile_carried_case_number_newline: [("X-Case-Number", "CS0001001\r\nX-Other: 1")];
    }

    #[test]
    fn hostile_carried_case_number_when_cases_are_not_allowed() {
        let c = carried(&hdrs(&[("X-Case-Number", "CS0001001")]), &["incident".to_string()]);
        assert_eq!(c.data, None);
        assert!(c.ignored.is_some());
    }

    #[test]
    fn a_named_record_of_the_matched_caller_opens() {
        let (beth, case) = (rec("customer_contact", "beth"), rec("sn_customerservice_case", CASE));
        assert_eq!(decide_named(case.clone(), &[CASE.into(), "beth".into()], std::slice::from_ref(&beth), &[]), Decision::Open(case));
        // The call names the person herself.
        assert_eq!(decide_named(beth.clone(), &["beth".into()], std::slice::from_ref(&beth), &[]), Decision::Open(beth));
        assert!(!Carried::default().trusted(false) && Carried::default().trusted(true));
    }

    /// A caller names a record that belongs to someone else (any guessable sys_id or case number): it is
    /// offered among the caller's own matches, never opened or attached by itself.
    #[test]
    fn hostile_named_record_of_another_customer_is_only_offered() {
        let (beth, mine, theirs) = (rec("customer_contact", "beth"), rec("sn_customerservice_case", "c1"), rec("sn_customerservice_case", CASE));
        let d = decide_named(theirs.clone(), &[CASE.into(), "fred".into()], std::slice::from_ref(&beth), std::slice::from_ref(&mine));
        assert_eq!(d, Decision::Choose(vec![theirs, beth, mine]));
    }

    #[test]
    fn hostile_named_record_with_no_matched_caller_is_only_offered() {
        let theirs = rec("sn_customerservice_case", CASE);
        assert_eq!(decide_named(theirs.clone(), &[CASE.into(), "fred".into()], &[], &[]), Decision::Choose(vec![theirs]));
    }

    /// The caller's own header beside the one the SBC appends: neither is trusted to choose the record.
    macro_rules! hostile_duplicated {
        ($($name:ident: $dup:expr;)*) => {$(
            #[test]
            fn $name() {
                let mut h = hdrs(&[("X-SN-Table", "sn_customerservice_case"), ("X-SN-Sys-Id", CASE), ("X-Case-Number", "CS0001001")]);
                h.insert(0, ($dup.0.to_string(), $dup.1.to_string()));
                let c = carried(&h, &tables());
                assert!(c.duplicated && !c.trusted(true), "{h:?}");
            }
        )*};
    }
    hostile_duplicated! {
        hostile_duplicated_sys_id_header: ("x-sn-sys-id", "ca5e0000000000000000000000000002");
        hostile_duplicated_table_header: ("X-SN-TABLE", "interaction");
        hostile_duplicated_case_number_header: ("X-Case-Number", "CS0009999");
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
