//! The sandbox's access control, as an instance applies it to a REST user (pure): a token carries the
//! signed-in user's roles; a table the roles may not read or write is refused with 403; rows a read ACL
//! hides are left out of lists (and a single one reads as 404); fields a field read ACL hides are left
//! out of replies (`--hide-field`; writing them is a separate ACL, allowed here). `admin` passes every rule.

use serde_json::{json, Map, Value};

/// The test user's roles unless `--roles` says otherwise: what the README asks an admin to give agents.
pub const DEFAULT_ROLES: [&str; 2] = ["sn_customerservice_agent", "sn_openframe_user"];

const AGENT: &[&str] = &["sn_customerservice_agent"];
const OPENFRAME: &[&str] = &["sn_openframe_user"];
const ADMIN_ONLY: &[&str] = &["admin"];

/// Table rules: (table, roles that may read, roles that may write). An empty list: any signed-in user.
const TABLES: [(&str, &[&str], &[&str]); 8] = [
    ("sys_user", &[], ADMIN_ONLY),
    ("customer_contact", AGENT, AGENT),
    ("csm_consumer", AGENT, AGENT),
    ("sn_customerservice_case", AGENT, AGENT),
    ("interaction", AGENT, AGENT),
    ("sn_openframe_phone_log", OPENFRAME, OPENFRAME),
    // The journal itself and the dictionary: closed to agents' roles (their entries are read through the
    // record's journal fields with `sysparm_display_value=true`).
    ("sys_journal_field", ADMIN_ONLY, ADMIN_ONLY),
    ("sys_dictionary", ADMIN_ONLY, ADMIN_ONLY),
];

/// Roles that may read a row marked `u_restricted` (a row-level read ACL).
const RESTRICTED_READERS: [&str; 1] = ["sn_customerservice_manager"];

/// The roles a token was issued with and the fields a field ACL hides from them (`table.field`).
#[derive(Clone, Debug, Default)]
pub struct User {
    pub roles: Vec<String>,
    pub hidden_fields: Vec<String>,
}

impl User {
    fn has_any(&self, roles: &[&str]) -> bool {
        self.is_admin() || roles.is_empty() || roles.iter().any(|r| self.roles.iter().any(|x| x == r))
    }

    fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }

    fn rule(table: &str) -> Option<&'static (&'static str, &'static [&'static str], &'static [&'static str])> {
        TABLES.iter().find(|(t, _, _)| *t == table)
    }

    /// The table read ACL (a table without a rule is open only to admin).
    pub fn may_read(&self, table: &str) -> bool {
        Self::rule(table).map(|(_, r, _)| self.has_any(r)).unwrap_or(self.is_admin())
    }

    /// The table write ACL (create and update).
    pub fn may_write(&self, table: &str) -> bool {
        Self::rule(table).map(|(_, _, w)| self.has_any(w)).unwrap_or(self.is_admin())
    }

    /// The voice-interaction API's role.
    pub fn may_use_openframe_api(&self) -> bool {
        self.has_any(OPENFRAME)
    }

    /// A row-level read ACL: restricted rows only for their readers.
    pub fn may_see_row(&self, row: &Map<String, Value>) -> bool {
        row.get("u_restricted").and_then(Value::as_str) != Some("true") || self.has_any(&RESTRICTED_READERS)
    }

    /// A field-level read ACL: hidden fields are left out of what the user reads.
    pub fn may_read_field(&self, table: &str, field: &str) -> bool {
        self.is_admin() || !self.hidden_fields.iter().any(|f| f.split_once('.') == Some((table, field)))
    }

    /// A row as this user may see it: hidden fields left out.
    pub fn filter_fields(&self, table: &str, row: &Map<String, Value>) -> Map<String, Value> {
        row.iter().filter(|(k, _)| self.may_read_field(table, k)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// ServiceNow's refusal of a table read: 403 "User Not Authorized".
pub fn read_refusal(table: &str) -> Value {
    json!({"error": {"message": "User Not Authorized", "detail": format!("User is unauthorized to access table: {table}")}, "status": "failure"})
}

/// ServiceNow's refusal of a write by a write ACL: 403 "Operation Failed".
pub fn write_refusal(insert: bool) -> Value {
    let what = if insert { "Insert" } else { "Update" };
    json!({"error": {"message": "Operation Failed", "detail": format!("ACL Exception {what} Failed due to security constraints")}, "status": "failure"})
}

/// ServiceNow's answer to a table it does not have: 400 "Invalid table".
pub fn invalid_table(table: &str) -> Value {
    json!({"error": {"message": format!("Invalid table {table}"), "detail": null}, "status": "failure"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[&str]) -> User {
        User { roles: roles.iter().map(|r| r.to_string()).collect(), hidden_fields: vec!["sn_customerservice_case.work_notes".into()] }
    }

    #[test]
    fn the_documented_roles_read_and_write_what_the_desktop_needs() {
        let u = user(&DEFAULT_ROLES);
        for t in ["sys_user", "customer_contact", "csm_consumer", "sn_customerservice_case", "interaction", "sn_openframe_phone_log"] {
            assert!(u.may_read(t), "{t}");
        }
        for t in ["sn_customerservice_case", "interaction", "sn_openframe_phone_log"] {
            assert!(u.may_write(t), "{t}");
        }
        assert!(u.may_use_openframe_api());
        assert!(!u.may_write("sys_user"));
    }

    #[test]
    fn hostile_a_token_without_roles_reads_and_writes_nothing_but_users() {
        let u = user(&[]);
        assert!(u.may_read("sys_user"), "any signed-in user reads users");
        for t in ["customer_contact", "sn_customerservice_case", "interaction", "sn_openframe_phone_log", "sys_journal_field"] {
            assert!(!u.may_read(t) && !u.may_write(t), "{t}");
        }
        assert!(!u.may_use_openframe_api());
    }

    #[test]
    fn hostile_agents_cannot_read_the_journal_or_the_dictionary() {
        let u = user(&DEFAULT_ROLES);
        assert!(!u.may_read("sys_journal_field") && !u.may_read("sys_dictionary"));
        assert!(user(&["admin"]).may_read("sys_journal_field"));
    }

    #[test]
    fn rows_and_fields_an_acl_hides() {
        let row = json!({"sys_id": "x", "u_restricted": "true", "work_notes": "n", "number": "CS1"});
        let row = row.as_object().unwrap();
        assert!(!user(&DEFAULT_ROLES).may_see_row(row));
        assert!(user(&["sn_customerservice_manager"]).may_see_row(row));
        let shown = user(&DEFAULT_ROLES).filter_fields("sn_customerservice_case", row);
        assert!(shown.get("work_notes").is_none() && shown.get("number").is_some());
        assert!(user(&DEFAULT_ROLES).may_read_field("interaction", "work_notes"), "only the named table's field is hidden");
    }
}
