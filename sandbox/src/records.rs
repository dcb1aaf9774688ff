//! The sandbox's record store: a few cases and the contacts they belong to (seed data).

use serde_json::{json, Value};

/// Seed records, keyed by table, in ServiceNow's field names.
pub fn seed() -> Value {
    json!({
        "customer_contact": [
            {"sys_id": "c1a1d0c0000000000000000000000001", "name": "Beth Anglin", "email": "beth.anglin@example.com",
             "phone": "(415) 555-0123", "mobile_phone": "+1 415 555 0124", "account": "Boxeo"},
            {"sys_id": "c1a1d0c0000000000000000000000002", "name": "Fred Luddy", "email": "fred.luddy@example.com",
             "phone": "415.555.0142", "mobile_phone": "", "account": "Aceler"},
            {"sys_id": "c1a1d0c0000000000000000000000003", "name": "Charlie Whitherspoon", "email": "charlie@example.com",
             "phone": "+44 20 7946 0958", "mobile_phone": "07700 900123", "account": "Sandman"}
        ],
        "sn_customerservice_case": [
            {"sys_id": "ca5e0000000000000000000000000001", "number": "CS0001001", "short_description": "Router keeps dropping the connection",
             "contact": "c1a1d0c0000000000000000000000001", "state": "10", "account": "Boxeo"},
            {"sys_id": "ca5e0000000000000000000000000002", "number": "CS0001002", "short_description": "Invoice shows the wrong address",
             "contact": "c1a1d0c0000000000000000000000002", "state": "1", "account": "Aceler"},
            {"sys_id": "ca5e0000000000000000000000000003", "number": "CS0001003", "short_description": "Cannot sign in to the portal",
             "contact": "c1a1d0c0000000000000000000000003", "state": "18", "account": "Sandman"},
            {"sys_id": "ca5e0000000000000000000000000004", "number": "CS0001004", "short_description": "Legal hold: restricted case",
             "contact": "c1a1d0c0000000000000000000000003", "state": "10", "account": "Sandman", "u_restricted": "true",
             "sys_created_on": "2026-11-30 09:00:00"}
        ]
    })
}

/// The seed as tables, plus a few hundred generated users, contacts, consumers and cases with phone numbers in
/// mixed free-text formats (as real instances have them). Two contacts share one number (for the chooser).
pub fn tables() -> std::collections::HashMap<String, Vec<serde_json::Map<String, Value>>> {
    let mut t: std::collections::HashMap<String, Vec<serde_json::Map<String, Value>>> = std::collections::HashMap::new();
    let seed = seed();
    for (table, rows) in seed.as_object().unwrap() {
        t.insert(table.clone(), rows.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect());
    }
    let first = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena", "Milo", "Nia", "Omar", "Pia"];
    let last = ["Adams", "Brown", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Huang", "Ito", "Jones", "Khan", "Lopez", "Meyer", "Novak"];
    let fmt = |i: usize| -> String {
        let n = 2000 + i;
        match i % 5 {
            0 => format!("(212) 555-{n:04}"),
            1 => format!("+1 212 555 {n:04}"),
            2 => format!("212.555.{n:04}"),
            3 => format!("2125555{:03}", n % 1000),
            _ => format!("+1-212-555-{n:04}"),
        }
    };
    let name = |i: usize| format!("{} {}", first[i % first.len()], last[(i / first.len()) % last.len()]);
    let row = |v: Value| v.as_object().unwrap().clone();
    for i in 0..220 {
        t.entry("sys_user".into()).or_default().push(row(json!({"sys_id": format!("05e{i:029}"), "name": name(i), "user_name": format!("user{i}"),
            "email": format!("user{i}@example.com"), "active": if i % 17 == 0 { "false" } else { "true" }, "phone": fmt(i), "mobile_phone": "", "title": "Engineer"})));
    }
    for i in 0..160 {
        t.entry("customer_contact".into()).or_default().push(row(json!({"sys_id": format!("c0c{i:029}"), "name": name(i + 7), "email": format!("contact{i}@example.net"),
            "phone": fmt(i + 300), "mobile_phone": if i % 3 == 0 { fmt(i + 600) } else { String::new() }, "account": "Generated"})));
    }
    for i in 0..110 {
        t.entry("csm_consumer".into()).or_default().push(row(json!({"sys_id": format!("c05{i:029}"), "name": name(i + 31), "email": format!("consumer{i}@example.org"),
            "business_phone": "", "mobile_phone": fmt(i + 900), "home_phone": ""})));
    }
    // Two contacts that share a number: a screen pop must let the agent choose.
    for (i, n) in ["Dana Scully", "Fox Mulder"].iter().enumerate() {
        t.entry("customer_contact".into()).or_default().push(row(json!({"sys_id": format!("5ba4ed{i:026}"), "name": n,
            "email": format!("{}@example.com", n.split(' ').next().unwrap().to_lowercase()), "phone": "+1 (415) 555-0177", "mobile_phone": "", "account": "Bureau"})));
    }
    for i in 0..150 {
        let contact = format!("c0c{:029}", i % 160);
        let state = ["1", "10", "18", "6", "3"][i % 5];
        t.entry("sn_customerservice_case".into()).or_default().push(row(json!({"sys_id": format!("ca5{i:029}"), "number": format!("CS00{:05}", 2000 + i),
            "short_description": format!("Generated case {i}"), "contact": contact, "state": state,
            "sys_created_on": format!("2026-10-{:02} 10:00:00", 1 + i % 28)})));
    }
    for c in t.get_mut("sn_customerservice_case").unwrap().iter_mut() {
        c.entry("sys_created_on").or_insert(json!("2026-11-01 09:00:00"));
    }
    t
}

/// Fields every record has (set by the instance, never by a request body).
#[cfg(test)]
pub const SYSTEM_FIELDS: [&str; 5] = ["sys_id", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by"];

/// The instance's dictionary: the tables it has and their fields (besides [`SYSTEM_FIELDS`]). A request to
/// another table is answered 400 "Invalid table"; a field not listed here is ignored in a write, as an
/// instance ignores it. `sn_openframe_phone_log.task` is the phone log's reference to its task
/// (`--drop-field sn_openframe_phone_log.task` plays an instance where that field is named otherwise).
pub fn schema() -> std::collections::HashMap<&'static str, Vec<&'static str>> {
    let mut s = std::collections::HashMap::new();
    s.insert("sys_user", vec!["name", "user_name", "email", "active", "phone", "mobile_phone", "home_phone", "title", "department"]);
    s.insert("customer_contact", vec!["name", "email", "phone", "mobile_phone", "home_phone", "account", "title"]);
    s.insert("csm_consumer", vec!["name", "email", "business_phone", "mobile_phone", "home_phone"]);
    s.insert(
        "sn_customerservice_case",
        vec!["number", "short_description", "contact", "consumer", "account", "state", "work_notes", "comments", "u_restricted"],
    );
    s.insert("interaction", vec!["number", "type", "short_description", "opened_for", "client_session_id", "state", "work_notes", "comments"]);
    s.insert(
        "sn_openframe_phone_log",
        vec!["call_id", "phone_number", "contact", "agent", "start_time", "end_time", "duration", "notes", "interaction", "task"],
    );
    s.insert("sys_journal_field", vec!["name", "element_id", "element", "value"]);
    s.insert("sys_dictionary", vec!["name", "element", "internal_type", "reference"]);
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_tables_are_large_and_mixed() {
        let t = super::tables();
        assert!(t["sys_user"].len() >= 200 && t["customer_contact"].len() >= 150 && t["sn_customerservice_case"].len() >= 150);
        let phones: Vec<&str> = t["sys_user"].iter().take(5).map(|u| u["phone"].as_str().unwrap()).collect();
        assert_eq!(phones[0], "(212) 555-2000");
        assert_eq!(phones[1], "+1 212 555 2001");
        assert_eq!(t["customer_contact"].iter().filter(|c| c["phone"] == "+1 (415) 555-0177").count(), 2);
    }

    #[test]
    fn every_seeded_field_is_in_the_dictionary() {
        let schema = super::schema();
        for (table, rows) in super::tables() {
            let fields = &schema[table.as_str()];
            for r in rows {
                for k in r.keys() {
                    assert!(fields.contains(&k.as_str()) || super::SYSTEM_FIELDS.contains(&k.as_str()), "{table}.{k}");
                }
            }
        }
    }

    #[test]
    fn every_case_has_a_contact_with_a_phone() {
        let s = super::seed();
        let contacts = s["customer_contact"].as_array().unwrap();
        for case in s["sn_customerservice_case"].as_array().unwrap() {
            let c = contacts.iter().find(|c| c["sys_id"] == case["contact"]).expect("contact exists");
            assert!(!c["phone"].as_str().unwrap().is_empty());
        }
    }
}
