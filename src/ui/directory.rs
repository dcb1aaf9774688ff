//! The directory: one search over speed dials, queues and recent callers (ServiceNow users and contacts
//! join here with the ServiceNow data), keyboard navigation, call or transfer from a result, favourites.

use crate::browser;
use crate::desk::use_desk;
use crate::phone::call::CallState;
use crate::strings as t;
use leptos::prelude::*;

/// localStorage key of the favourite numbers.
pub const FAVOURITES_KEY: &str = "agent-desktop.favourites";
/// At most this many results are drawn; the search itself covers every entry.
pub const MAX_SHOWN: usize = 50;

pub use crate::servicenow::directory::Entry;

/// Filters entries by every word of the query (name or number digits), favourites first. Pure.
pub fn search(entries: &[Entry], query: &str, favourites: &[String]) -> Vec<Entry> {
    let mut words: Vec<String> = Vec::new();
    for w in query.split_whitespace() {
        words.push(crate::browser::fold_case(w));
    }
    let digits_of = |s: &str| {
        let mut d = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                d.push(c);
            }
        }
        d
    };
    // Favourites first, each part in directory order (a stable partition: a sort would add ~4 KB of wasm).
    let (mut hits, mut rest): (Vec<&Entry>, Vec<&Entry>) = (Vec::new(), Vec::new());
    let mut listed = 0;
    for e in entries {
        if e.kind != "speed" && e.kind != "queue" && e.kind != "recent" {
            listed += 1;
        }
        let name = crate::browser::fold_case(&e.name);
        let num = digits_of(&e.number);
        let found = words.iter().all(|w| {
            let wd = digits_of(w);
            crate::text::contains(&name, w) || (!wd.is_empty() && wd.len() == w.chars().filter(|c| !crate::text::one_of(*c, "+-() .")).count() && crate::text::contains(&num, &wd))
        });
        if found {
            if favourites.contains(&e.number) { hits.push(e) } else { rest.push(e) }
        }
    }
    hits.extend(rest);
    hits.truncate(MAX_SHOWN.max(listed));
    let mut out = Vec::with_capacity(hits.len());
    for e in hits {
        out.push(e.clone());
    }
    out
}

/// What to tell the agent about a ServiceNow directory search, from each table's request: None when it
/// worked. A table this instance refuses for good (400, 403, 404: a plugin not installed, no read access) while
/// another answered only leaves its part out; a failure that may pass (network, CORS, sign-in, rate limit,
/// 5xx) or no table answering at all is said, with what to do. Pure.
pub fn search_failure(outcomes: &[Result<(), crate::servicenow::rest::RestError>]) -> Option<t::Msg> {
    use crate::servicenow::rest::RestError;
    let lasting = |e: &RestError| matches!(e, RestError::Status(c, _) if (400..500).contains(c));
    // One pass (no Vec of the errors collected): the first error that may pass, else the first error when
    // nothing answered.
    let (mut passing, mut first, mut answered) = (None, None, false);
    for o in outcomes {
        match o {
            Ok(()) => answered = true,
            Err(e) => {
                first = first.or(Some(e));
                if passing.is_none() && !lasting(e) {
                    passing = Some(e);
                }
            }
        }
    }
    let said = passing.or(if answered { None } else { first })?;
    Some(t::Key::DIRECTORY_SEARCH_FAILED.arg_msg("reason", said.msg()))
}

#[component]
pub fn DirectoryPanel() -> impl IntoView {
    let desk = use_desk();
    let query = crate::ui::sig(String::new());
    let search_seq = crate::ui::sig(0usize);
    let page = crate::ui::sig(0usize);
    let selected = crate::ui::sig(0usize);
    // The favourites are kept outside the arena; `favourites_seq` (a usize signal, a type this panel already has)
    // tells their readers they changed (no RwSignal<Vec<String>> code, issue #16).
    let favourites = std::sync::Arc::new(std::sync::Mutex::new(browser::load(FAVOURITES_KEY).and_then(|f| crate::json::from_str::<Vec<String>>(&f)).unwrap_or_default()));
    let favourites_seq = crate::ui::sig(0usize);
    let favs = favourites.clone();
    // One memo: the directory's entries are built inside the results' memo (one arena entry less, issue #16).
    let results = crate::ui::Kept::new(Vec::new(), move || {
        let mut list: Vec<Entry> = Vec::new();
        desk.settings.with(|s| {
            for (all, kind) in [(&s.speed_dials, "speed"), (&s.queues, "queue")] {
                for d in all {
                    list.push(Entry { name: d.name.clone(), number: d.number.clone(), kind });
                }
            }
        });
        desk.recents.with(|r| {
            for c in r {
                if !list.iter().any(|e| e.number == c.number) {
                    list.push(Entry { name: c.name.as_ref().unwrap_or(&c.number).clone(), number: c.number.clone(), kind: "recent" });
                }
            }
        });
        desk.extra_directory.with(|x| list.extend_from_slice(x));
        favourites_seq.track();
        let f = favs.lock().map(|f| f.clone()).unwrap_or_default();
        query.with(|q| search(&list, q, &f))
    });
    let active_call = move || desk.calls.with(|c| c.iter().find(|c| c.state == CallState::Connected).map(|c| c.id));
    let act = move |e: &Entry| match active_call() {
        // With a call in progress a result is a transfer target.
        Some(id) => desk.transfer(id, &e.number, None),
        None => {
            desk.dial(&e.number, None);
        }
    };
    let (r1, r2, r3) = (results.clone(), results.clone(), results);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = r1.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                selected.update(|s| *s = (*s + 1).min(n - 1));
            }
            "ArrowUp" => {
                ev.prevent_default();
                selected.update(|s| *s = s.saturating_sub(1));
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(e) = r1.with(|r| r.get(selected.get_untracked()).cloned()) {
                    act(&e);
                }
            }
            _ => {}
        }
    };
    let favs = favourites.clone();
    let toggle_fav = move |number: String| {
        if let Ok(mut f) = favs.lock() {
            if let Some(i) = f.iter().position(|x| *x == number) {
                f.remove(i);
            } else {
                f.push(number);
            }
            browser::save(FAVOURITES_KEY, &crate::json::to_string(&*f));
        }
        favourites_seq.update(|n| *n += 1);
    };
    view! {
        <input type="search" class="input search" aria-label=t::SEARCH_DIRECTORY() {..crate::ui::cattr("placeholder", t::SEARCH_DIRECTORY())}
            data-testid="directory-search" {..crate::ui::cattr("id", "directory-search")} role="combobox" {..crate::ui::cattr("aria-controls", "directory-results")}
            {..crate::ui::cattr("aria-expanded", "true")} {..crate::ui::attr("aria-activedescendant", move || format!("dir-{}", selected.get()))}
            prop:value=crate::ui::text_fn(move || query.get()) on:input:capture=crate::ui::on_event(move |ev| {
                let text = event_target_value(&ev);
                query.set(text.clone());
                selected.set(0);
                // ServiceNow users and contacts, debounced: only the last keystroke's search runs.
                let seq = search_seq.get_untracked() + 1;
                search_seq.set(seq);
                browser::after(300, move || {
                    if search_seq.get_untracked() == seq {
                        page.set(0);
                        crate::servicenow::service::search(desk, text);
                    }
                });
            })
            on:keydown:capture=crate::ui::on_key(on_key)/>
        <p class="notice error" role="alert" data-testid="directory-error" {..crate::ui::battr("hidden", move || desk.directory_error.with(Option::is_none))}>
            {crate::ui::dynv(move || desk.directory_error.with(|e| e.as_ref().map(|e| e.render())))}
        </p>
        // "No matches" only when the search worked: a failed one says so above.
        {crate::ui::when_else(move || !r2.with(Vec::is_empty), move || view! {
            <ul class="list" {..crate::ui::cattr("id", "directory-results")} role="listbox" data-testid="directory-results" aria-label=t::TAB_DIRECTORY()>
                {let favourites = favourites.clone(); let toggle_fav = toggle_fav.clone(); let results = r3.clone(); crate::ui::dynv(move || { favourites_seq.track(); results.with(|rs| { let mut rows: Vec<AnyView> = Vec::new(); for (i, e) in rs.iter().enumerate() {
                    let fav = favourites.lock().is_ok_and(|f| f.contains(&e.number));
                    let toggle_fav = toggle_fav.clone();
                    let number = e.number.clone();
                    let e2 = e.clone();
                    rows.push(view! {
                        <li {..crate::ui::attr("class", move || { if selected.get() == i { "row selected" } else { "row" } }.to_string())} {..crate::ui::sattr("id", format!("dir-{i}"))} role="option"
                            {..crate::ui::attr("aria-selected", move || (selected.get() == i).to_string())} data-testid="directory-entry">
                            <button type="button" class="star" {..crate::ui::sattr("aria-pressed", fav.to_string())} {..crate::ui::sattr("aria-label", crate::ui::cat(&[t::FAVOURITE(), " ", &e.name]))}
                                on:click:capture=crate::ui::click(move |_| toggle_fav(number.clone()))>{if fav { "★" } else { "☆" }}</button>
                            <span class="name">{e.name.clone()}</span>
                            <span class="number">{e.number.clone()}</span>
                            <button type="button" class="btn" {..crate::ui::sattr("aria-label", crate::ui::cat(&[t::CALL(), " ", &e.name]))} on:click:capture=crate::ui::click(move |_| act(&e2))>{t::CALL()}</button>
                        </li>
                    }.into_any());
                } rows }) })}
            </ul>
        }, move || view! {
            <p class="empty" data-testid="no-matches" {..crate::ui::battr("hidden", move || desk.directory_error.with(Option::is_some))}>{t::NO_MATCHES()}</p>
        })}
        {crate::ui::when(move || desk.directory_more.get(), move || view! {
            {crate::ui::btn("btn link-btn", Some("directory-more"), t::MORE_RESULTS(), move |_| {
                page.update(|p| *p += 1);
                crate::servicenow::service::search_page(desk, query.get_untracked(), page.get_untracked());
            })}
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, number: &str) -> Entry {
        Entry { name: name.into(), number: number.into(), kind: "speed" }
    }

    #[test]
    fn a_failed_search_is_said_unless_only_a_table_missing_here_was_left_out() {
        use crate::servicenow::rest::RestError;
        let ok = || Ok(());
        assert_eq!(search_failure(&[ok(), ok(), ok()]), None);
        // The consumer table is not installed on this instance: users and contacts answered.
        assert_eq!(search_failure(&[ok(), ok(), Err(RestError::Status(400, "Invalid table csm_consumer".into()))]), None);
        // Nothing answered: even a lasting refusal is said, with its reason.
        let all_refused = search_failure(&[Err(RestError::Status(403, "ACL".into())), Err(RestError::Status(403, "ACL".into()))]).unwrap();
        assert!(all_refused.contains("403") && all_refused.contains("could not be searched"), "{all_refused}");
        // A failure that may pass is said even when another table answered.
        let partial = search_failure(&[ok(), Err(RestError::Status(500, "Injected failure".into())), ok()]).unwrap();
        assert!(partial.contains("500") && partial.contains("search again"), "{partial}");
        for e in [RestError::Network("The network is down".into()), RestError::Unauthorized, RestError::RetryAfter(None), RestError::Blocked("CORS".into())] {
            assert!(search_failure(&[ok(), Err(e.clone())]).is_some(), "{e:?}");
        }
    }

    #[test]
    fn searches_names_and_digits_with_favourites_first() {
        let list = vec![e("Service Desk", "+1 415 555 0100"), e("Billing queue", "+1 415 555 0101"), e("Beth Anglin", "(415) 555-0123")];
        assert_eq!(search(&list, "bill", &[]).len(), 1);
        assert_eq!(search(&list, "555-0123", &[])[0].name, "Beth Anglin");
        assert_eq!(search(&list, "4155550123", &[])[0].name, "Beth Anglin");
        assert_eq!(search(&list, "", &["(415) 555-0123".into()])[0].name, "Beth Anglin");
        assert!(search(&list, "nobody", &[]).is_empty());
        assert_eq!(search(&list, "desk 0100", &[]).len(), 1);
        let many: Vec<Entry> = (0..30_000).map(|i| e(&format!("Person {i}"), &format!("+1415{i:07}"))).collect();
        let r = search(&many, "Person 2999", &[]);
        // "Person 2999", "Person 29990".."29999", and numbers ending in 2999 (12999, 22999).
        assert_eq!(r.len(), 13);
        assert_eq!(search(&many, "", &[]).len(), MAX_SHOWN);
    }
}
