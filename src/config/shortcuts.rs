//! Keyboard shortcut settings (pure): the actions that have shortcuts and the key combinations.

/// The actions that have shortcuts, with their default keys (what each does: `strings::shortcut_action`).
pub const ACTIONS: [(&str, &str); 6] = [("answer", "Alt+A"), ("reject", "Alt+R"), ("hangup", "Alt+H"), ("mute", "Alt+M"), ("hold", "Alt+O"), ("dialpad", "Alt+D")];

/// A parsed key combination such as `Alt+Shift+A`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Combo {
    pub alt: bool,
    pub ctrl: bool,
    pub shift: bool,
    pub meta: bool,
    pub key: String,
}

impl Combo {
    pub fn parse(s: &str) -> Result<Combo, crate::strings::Msg> {
        let mut c = Combo { alt: false, ctrl: false, shift: false, meta: false, key: String::new() };
        for part in crate::text::split_byte(s, b'+').map(str::trim) {
            match part.to_ascii_lowercase().as_str() {
                "alt" | "option" => c.alt = true,
                "ctrl" | "control" => c.ctrl = true,
                "shift" => c.shift = true,
                "meta" | "cmd" => c.meta = true,
                k if !k.is_empty() && c.key.is_empty() => c.key = k.to_string(),
                _ => return Err(crate::strings::Key::SC_NOT_COMBO.arg("value", &s)),
            }
        }
        if c.key.is_empty() || !(c.alt || c.ctrl || c.meta) {
            return Err(crate::strings::Key::SC_NEEDS_MODIFIER.arg("value", &s));
        }
        Ok(c)
    }

    /// Matches a keydown by `code` (layout-independent letters: "KeyA") or `key`.
    pub fn matches(&self, alt: bool, ctrl: bool, shift: bool, meta: bool, key: &str, code: &str) -> bool {
        if (self.alt, self.ctrl, self.shift, self.meta) != (alt, ctrl, shift, meta) {
            return false;
        }
        let code_key = code.strip_prefix("Key").or_else(|| code.strip_prefix("Digit")).unwrap_or(code).to_ascii_lowercase();
        code_key == self.key || key.to_ascii_lowercase() == self.key
    }
}
