//! Builds the desk, loads the settings and shows the shell.

use crate::desk::Desk;
use crate::ui::shell::Shell;
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let desk = Desk::new();
    provide_context(desk);
    leptos::task::spawn_local(async move { desk.start().await });
    view! { <Shell/> }
}
