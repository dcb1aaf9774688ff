//! The sandbox is as strict as an instance: unknown tables, unknown fields, roles, row and field ACLs.

use super::*;

const CASE: &str = "ca5e0000000000000000000000000001";
const RESTRICTED: &str = "ca5e0000000000000000000000000004";

fn instance_with(cfg: impl FnOnce(&mut ApiConfig), roles: &[&str]) -> (Shared, HeaderMap) {
    let mut c = ApiConfig::new("agent-desktop", "http://localhost:1/oauth-callback.html");
    cfg(&mut c);
    let inst = Instance::new(c, crate::records::tables());
    let grant = Grant { expires: Instant::now() + Duration::from_secs(60), roles: roles.iter().map(|r| r.to_string()).collect() };
    inst.store.lock().unwrap().tokens.insert("t".into(), grant);
    let mut h = HeaderMap::new();
    h.insert("authorization", HeaderValue::from_static("Bearer t"));
    h.insert("content-type", HeaderValue::from_static("application/json"));
    (inst, h)
}

fn agent() -> (Shared, HeaderMap) {
    instance_with(|_| {}, &acl::DEFAULT_ROLES)
}

async fn body(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn q(pairs: &[(&str, &str)]) -> Query<HashMap<String, String>> {
    Query(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn js(v: Value) -> Bytes {
    Bytes::from(v.to_string())
}

#[tokio::test]
async fn hostile_unknown_table_is_400_invalid_table_and_never_created() {
    let (inst, h) = agent();
    let (status, v) = body(list(State(inst.clone()), Path("u_made_up".into()), q(&[]), h.clone()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v, json!({"error": {"message": "Invalid table u_made_up", "detail": null}, "status": "failure"}));
    let (status, _) = body(create(State(inst.clone()), Path("u_made_up".into()), h.clone(), js(json!({"name": "x"}))).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = body(update(State(inst.clone()), Path(("u_made_up".into(), CASE.into())), h.clone(), js(json!({"name": "x"}))).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = body(get_one(State(inst.clone()), Path(("u_made_up".into(), CASE.into())), q(&[]), h.clone()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!inst.store.lock().unwrap().tables.contains_key("u_made_up"), "a write never creates a table");
}

#[tokio::test]
async fn hostile_unknown_fields_in_a_body_are_ignored_and_read_back_absent() {
    let (inst, h) = agent();
    let (status, v) = body(create(State(inst.clone()), Path("interaction".into()), h.clone(), js(json!({"type": "phone", "u_bogus": "kept?", "sys_id": "ffff"}))).await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(v["result"].get("u_bogus").is_none(), "{v}");
    let id = v["result"]["sys_id"].as_str().unwrap().to_string();
    assert_ne!(id, "ffff", "the instance sets sys_id");
    let (_, back) = body(get_one(State(inst.clone()), Path(("interaction".into(), id.clone())), q(&[]), h.clone()).await).await;
    assert_eq!(back["result"]["type"], "phone");
    assert!(back["result"].get("u_bogus").is_none());
    let (status, v) = body(update(State(inst.clone()), Path(("sn_customerservice_case".into(), CASE.into())), h.clone(), js(json!({"u_other": 1, "state": "18"}))).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["result"].get("u_other").is_none() && v["result"]["state"] == "18", "{v}");
}

#[tokio::test]
async fn hostile_a_write_to_a_dropped_field_is_ignored() {
    let (inst, h) = instance_with(|c| c.dropped_fields = vec!["sn_openframe_phone_log.task".into()], &acl::DEFAULT_ROLES);
    let (status, v) = body(create(State(inst.clone()), Path("sn_openframe_phone_log".into()), h.clone(), js(json!({"call_id": "c1", "task": CASE}))).await).await;
    assert_eq!(status, StatusCode::CREATED, "the write still answers 201");
    assert!(v["result"].get("task").is_none());
    assert!(inst.store.lock().unwrap().tables["sn_openframe_phone_log"].iter().all(|r| r.get("task").is_none()));
    // The dictionary says so (for admins: agents cannot read it).
    let (status, _) = body(list(State(inst.clone()), Path("sys_dictionary".into()), q(&[("sysparm_query", "name=sn_openframe_phone_log")]), h.clone()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn hostile_a_token_without_roles_is_refused_403_and_nothing_is_written() {
    let (inst, h) = instance_with(|_| {}, &[]);
    let (status, v) = body(list(State(inst.clone()), Path("sn_customerservice_case".into()), q(&[]), h.clone()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["message"], "User Not Authorized");
    assert_eq!(v["error"]["detail"], "User is unauthorized to access table: sn_customerservice_case");
    let (status, v) = body(update(State(inst.clone()), Path(("sn_customerservice_case".into(), CASE.into())), h.clone(), js(json!({"work_notes": "Call ID: x\n"}))).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["detail"], "ACL Exception Update Failed due to security constraints");
    let (status, v) = body(create(State(inst.clone()), Path("interaction".into()), h.clone(), js(json!({"type": "phone", "work_notes": "n"}))).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["detail"], "ACL Exception Insert Failed due to security constraints");
    let vi = js(json!({"interaction": {"clientSessionId": "c"}, "phoneLogs": [{"call_id": "c", "notes": "n"}], "relatedRecords": [{"documentTable": "sn_customerservice_case", "documentId": CASE}]}));
    let (status, _) = body(voice_interaction(State(inst.clone()), h.clone(), vi).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let s = inst.store.lock().unwrap();
    assert!(s.tables["sys_journal_field"].is_empty() && s.tables["interaction"].is_empty() && s.tables["sn_openframe_phone_log"].is_empty());
}

#[tokio::test]
async fn hostile_rows_a_read_acl_hides_are_left_out_and_read_as_404() {
    let (inst, h) = agent();
    let (status, v) = body(list(State(inst.clone()), Path("sn_customerservice_case".into()), q(&[("sysparm_query", "numberSTARTSWITHCS000100")]), h.clone()).await).await;
    assert_eq!(status, StatusCode::OK);
    let numbers: Vec<&str> = v["result"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["CS0001001", "CS0001002", "CS0001003"], "CS0001004 is restricted");
    let (status, _) = body(get_one(State(inst.clone()), Path(("sn_customerservice_case".into(), RESTRICTED.into())), q(&[]), h.clone()).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = body(update(State(inst.clone()), Path(("sn_customerservice_case".into(), RESTRICTED.into())), h.clone(), js(json!({"work_notes": "n"}))).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(inst.store.lock().unwrap().tables["sys_journal_field"].is_empty());
    let (inst, h) = instance_with(|_| {}, &["sn_customerservice_agent", "sn_customerservice_manager"]);
    let (status, _) = body(get_one(State(inst.clone()), Path(("sn_customerservice_case".into(), RESTRICTED.into())), q(&[]), h.clone()).await).await;
    assert_eq!(status, StatusCode::OK, "a manager reads it");
}

#[tokio::test]
async fn hostile_a_field_a_read_acl_hides_is_absent_from_every_read() {
    let (inst, h) = instance_with(|c| c.hidden_fields = vec!["sn_customerservice_case.work_notes".into()], &acl::DEFAULT_ROLES);
    let path = || Path(("sn_customerservice_case".to_string(), CASE.to_string()));
    let (status, _) = body(update(State(inst.clone()), path(), h.clone(), js(json!({"work_notes": "Call ID: abc\n"}))).await).await;
    assert_eq!(status, StatusCode::OK, "writing is a separate ACL");
    let (_, v) = body(get_one(State(inst.clone()), path(), q(&[("sysparm_fields", "work_notes,number"), ("sysparm_display_value", "true")]), h.clone()).await).await;
    assert_eq!(v["result"], json!({"number": "CS0001001"}));
    let (_, v) = body(list(State(inst.clone()), Path("sn_customerservice_case".into()), q(&[("sysparm_query", "number=CS0001001"), ("sysparm_display_value", "true")]), h.clone()).await).await;
    assert!(v["result"][0].get("work_notes").is_none(), "{v}");
}

#[tokio::test]
async fn hostile_a_request_without_a_valid_token_takes_no_fault() {
    let (inst, h) = agent();
    inst.store.lock().unwrap().faults.push_back(Fault::Status(500));
    let (status, _) = body(list(State(inst.clone()), Path("sys_user".into()), q(&[]), HeaderMap::new()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = body(list(State(inst.clone()), Path("sys_user".into()), q(&[("sysparm_limit", "1")]), h.clone()).await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "the fault waited for an authenticated request");
}
