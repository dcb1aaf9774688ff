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
             "contact": "c1a1d0c0000000000000000000000003", "state": "18", "account": "Sandman"}
        ]
    })
}

#[cfg(test)]
mod tests {
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
