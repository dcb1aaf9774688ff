//! The desk: the one reactive store the components read, and the only place state changes.

use crate::browser;
use crate::config::{self, ConfigError, Settings};
use leptos::prelude::*;

/// The desktop's sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Phone,
    Directory,
    Recents,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::Phone, Tab::Directory, Tab::Recents];

    pub fn key(self) -> &'static str {
        match self {
            Tab::Phone => "phone",
            Tab::Directory => "directory",
            Tab::Recents => "recents",
        }
    }

    pub fn from_key(k: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.key() == k)
    }
}

/// Where the desktop is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Inside ServiceNow's OpenFrame iframe (a topDomain is configured).
    Embedded,
    /// In its own tab, or without a topDomain: OpenFrame features are off.
    Standalone,
}

/// localStorage key of the last section the agent looked at (a UI preference, not a secret).
pub const TAB_KEY: &str = "agent-desktop.tab";

#[derive(Clone, Copy)]
pub struct Desk {
    pub settings: RwSignal<Settings>,
    pub errors: RwSignal<Vec<ConfigError>>,
    pub loaded: RwSignal<bool>,
    pub tab: RwSignal<Tab>,
}

impl Desk {
    /// A desk with default settings, before config.json has been read.
    pub fn new() -> Desk {
        let tab = browser::load(TAB_KEY).and_then(|k| Tab::from_key(&k)).unwrap_or(Tab::Phone);
        Desk {
            settings: RwSignal::new(Settings::default()),
            errors: RwSignal::new(Vec::new()),
            loaded: RwSignal::new(false),
            tab: RwSignal::new(tab),
        }
    }

    /// Applies resolved settings (from [`config::resolve`]).
    pub fn apply_settings(&self, settings: Settings, errors: Vec<ConfigError>) {
        self.settings.set(settings);
        self.errors.set(errors);
        self.loaded.set(true);
    }

    /// Loads the settings: URL query, then the config file it names (config.json by default).
    pub async fn load_settings(&self) {
        let query = browser::query_string();
        let (params, _) = config::parse_query(&query);
        let path = params.config.unwrap_or_else(|| "config.json".to_string());
        let (settings, mut errors) = match browser::fetch_text(&path).await {
            Ok(text) => config::resolve(&query, Some(&text)),
            Err(reason) => {
                let (s, mut e) = config::resolve(&query, None);
                e.insert(
                    0,
                    ConfigError {
                        source: config::Source::ConfigFile,
                        key: path.clone(),
                        message: crate::strings::config_load_failed(&path, &reason),
                    },
                );
                (s, e)
            }
        };
        errors.dedup();
        self.apply_settings(settings, errors);
    }

    pub fn mode(&self) -> Mode {
        if self.settings.with(|s| s.top_domain.is_some()) {
            Mode::Embedded
        } else {
            Mode::Standalone
        }
    }

    /// Switches section and remembers it for the next visit.
    pub fn select_tab(&self, tab: Tab) {
        self.tab.set(tab);
        browser::save(TAB_KEY, tab.key());
    }

    pub fn dismiss_errors(&self) {
        self.errors.set(Vec::new());
    }
}

impl Default for Desk {
    fn default() -> Self {
        Desk::new()
    }
}

/// The desk provided by the nearest [`crate::app::App`] (or a test harness).
pub fn use_desk() -> Desk {
    expect_context::<Desk>()
}
