#!/usr/bin/env python3
"""Moves texts added as `pub const NAME: &str = "...";` (or small `pub fn name(..) -> String { format!("...") }`)
in src/strings.rs into the language catalogues (src/strings/en.rs, and a marked placeholder in every other
language), and rewrites the call sites `t::NAME` / `strings::NAME` to `t::NAME()` across src/ and tests/.
It also re-applies the known moves of inline texts into the catalogue (INLINE below) and lists string literals
in views that look like English texts still written inline.

Run from anywhere:  python3 scripts/lang-migrate.py            (does it)
                    python3 scripts/lang-migrate.py --dry-run  (only tells)
                    python3 scripts/lang-migrate.py --from OLD_STRINGS_RS
                        (also takes the texts of another version of src/strings.rs, e.g. a merged branch's
                         `git show BRANCH:src/strings.rs > /tmp/s.rs`: new consts and fns are moved in, an English
                         text changed there replaces ours and its translations are marked untranslated)
It is idempotent: a second run changes nothing. New texts get `untranslated("English text")` in the other
languages: the build warns (deprecated) and `cargo test --lib strings` fails until someone translates them.
Exit status: 0 when all went through, 1 when something needs a human (listed on stderr).
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
STRINGS = os.path.join(SRC, "strings.rs")
CAT_DIR = os.path.join(SRC, "strings")
EN = os.path.join(CAT_DIR, "en.rs")
DRY = "--dry-run" in sys.argv
FROM = sys.argv[sys.argv.index("--from") + 1] if "--from" in sys.argv else None
# Keys that were removed on purpose: never brought back from an older src/strings.rs.
RETIRED = {"SECONDS_LEFT"}

# A Rust string literal (plain, with escapes); raw strings are not used for texts.
LIT = r'"(?:[^"\\]|\\.)*"'
DOCS = r'((?:[ \t]*///[^\n]*\n)*)'
CONST_RE = re.compile(DOCS + r"[ \t]*pub const ([A-Z][A-Z0-9_]*): &(?:'static )?str =\s*(" + LIT + r");[ \t]*\n", re.S)
FN_RE = re.compile(DOCS + r"[ \t]*pub fn ([a-z][a-z0-9_]*)\(([^)]*)\) -> String \{\s*format!\((" + LIT + r")((?:\s*,\s*[^,()]+)*)\s*,?\s*\)\s*\}[ \t]*\n", re.S)
KEY_RE = re.compile(r"^[ \t]*([A-Z][A-Z0-9_]*):", re.M)

# Inline texts moved into the catalogue by the `lang` branch, re-applied after a merge brought back the old line:
# (file, old text, new text). Applied only when the old text is found; listed when neither is found.
INLINE = [
    ("src/ui/diagnostics.rs", 'row("Running",', 'row(t::RUNNING(),'),
    ("src/ui/diagnostics.rs", 'row("State",', 'row(t::STATE(),'),
    ("src/ui/diagnostics.rs", 'row("Received",', 'row(t::RECEIVED(),'),
    ("src/ui/diagnostics.rs", 'row("Accepted",', 'row(t::ACCEPTED(),'),
    ("src/ui/diagnostics.rs", 'row("Sent",', 'row(t::SENT(),'),
    ("src/ui/diagnostics.rs", 'row("Dropped",', 'row(t::DROPPED(),'),
    ("src/ui/diagnostics.rs",
     'format!("{} (origin {}, source {}, not text {}, malformed {}, oversized {}, unknown {}, other {})",\n'
     '                    c.dropped(), c.wrong_origin, c.wrong_source, c.not_a_string, c.malformed, c.oversized,\n'
     '                    c.unknown_event, c.not_openframe + c.unmatched_reply)',
     't::dropped_detail(c.dropped() as u64, [c.wrong_origin, c.wrong_source, c.not_a_string, c.malformed, c.oversized,\n'
     '                    c.unknown_event, c.not_openframe + c.unmatched_reply].map(|n| n as u64))'),
    ("src/ui/diagnostics.rs", 'format!("{} ms", desk.setup_ms.get().unwrap_or(0.0).round() as i64)',
     'crate::intl::milliseconds(desk.setup_ms.get().unwrap_or(0.0).round())'),
    ("src/ui/sip_prompts.rs", '>"Accept transfer"<', '>{t::ACCEPT_TRANSFER()}<'),
    ("src/ui/sip_prompts.rs", '>"Decline"<', '>{t::DECLINE()}<'),
    ("src/ui/sip_prompts.rs", 'aria-label="Dismiss"', 'aria-label=t::DISMISS()'),
    ("src/ui/sip_prompts.rs", 'use leptos::prelude::*;', 'use crate::strings as t;\nuse leptos::prelude::*;'),
    ("src/ui/shortcuts.rs", '{ACTIONS.iter().map(|(a, _, label)| {', '{ACTIONS.iter().map(|(a, _)| {'),
    ("src/ui/shortcuts.rs", '<dd>{*label}</dd>', '<dd>{t::shortcut_action(a)}</dd>'),
    ("src/ui/wrap_up.rs", 'format!("{}{}", l.max(0), t::SECONDS_LEFT())', 't::time_left(&crate::intl::seconds(l.max(0) as f64))'),
    ("src/ui/wrap_up.rs", 'format_duration(w.talk_ms)', 'crate::intl::duration(w.talk_ms)'),
    ("src/ui/recents.rs", 'let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(r.started_ms));\n'
     '                    let time = format!("{:02}:{:02}", when.get_hours(), when.get_minutes());',
     'let time = crate::intl::time_of_day(r.started_ms);'),
    ("src/ui/recents.rs", '{format_duration(r.talk_ms)}', '{crate::intl::duration(r.talk_ms)}'),
    ("src/phone/model.rs", 'AgentState::Offline => "Offline".into(),', 'AgentState::Offline => t::STATE_OFFLINE().into(),'),
    ("src/phone/model.rs", 'AgentState::Ready => "Ready".into(),', 'AgentState::Ready => t::STATE_READY().into(),'),
    ("src/phone/model.rs", 'AgentState::NotReady(None) => "Not Ready".into(),', 'AgentState::NotReady(None) => t::STATE_NOT_READY().into(),'),
    ("src/phone/model.rs", 'AgentState::NotReady(Some(r)) => format!("Not Ready: {r}"),', 'AgentState::NotReady(Some(r)) => t::not_ready(r).render(),'),
    ("src/phone/model.rs", 'AgentState::AfterCallWork => "After Call Work".into(),', 'AgentState::AfterCallWork => t::STATE_ACW().into(),'),
    ("src/phone/model.rs", 'AgentState::Missed => "Missed".into(),', 'AgentState::Missed => t::STATE_MISSED().into(),'),
    ("src/phone/model.rs", '    pub fn label(&self) -> String {\n        match self {', '    pub fn label(&self) -> String {\n        use crate::strings as t;\n        match self {'),
    ("src/phone/demo.rs", 'EndReason::Failed("The line is busy".into())', 'EndReason::Failed(crate::strings::Key::DEMO_BUSY.into())'),
    ("src/phone/demo.rs", 'EndReason::Failed("That number does not exist".into())', 'EndReason::Failed(crate::strings::Key::DEMO_NO_NUMBER.into())'),
    ("src/phone/wrapup.rs", 'Err("Choose a disposition before you finish the wrap-up.".into())', 'Err(crate::strings::NEED_DISPOSITION().into())'),
    ("src/phone/wrapup.rs", """Err(format!("'{d}' is not one of the dispositions; choose another."))""",
     'Err(crate::strings::fill(crate::strings::NOT_A_DISPOSITION(), &[("disposition", d)]))'),
    ("src/phone/wrapup.rs", 'Err(format!("The notes are {n} characters long; shorten them to {MAX_NOTES}."))',
     'Err(crate::strings::notes_too_long(n, MAX_NOTES).render())'),
    ("src/phone/sipline.rs", 'format!("Connection to the SIP server lost; reconnecting in {} s", delay / 1000)',
     'crate::strings::sip_reconnecting((delay / 1000) as u32)'),
    ("src/phone/sipline.rs", 'format!("Cannot reach the SIP server at {}; retrying in {} s. Check the address and your network.", l.url, delay / 1000)',
     'crate::strings::sip_unreachable(&l.url, (delay / 1000) as u32)'),
    ("src/phone/sipline.rs", 'EndReason::Failed("No answer".into())', 'EndReason::Failed(crate::strings::Key::NO_ANSWER.into())'),
    ("src/phone/sipline.rs", 'format!("Message from {who}: {text}")', 'crate::strings::sip_message_from(&who, &text)'),
    ("src/phone/sipline.rs", 'Some(format!("The other side pressed {digit}"))', 'Some(crate::strings::dtmf_received(digit).render())'),
    ("src/phone/media.rs", '"The browser refused the microphone inside ServiceNow\'s frame. \\\n'
     '            Ask your ServiceNow admin to set the OpenFrame configuration\'s allow field to \\"microphone; autoplay\\", \\\n'
     '            or pop the desktop out into its own tab."\n            .into(),',
     'crate::strings::MIC_REFUSED_IN_FRAME().into(),'),
    ("src/phone/media.rs", '"The microphone is blocked for this site: allow it in the browser\'s site settings, then try again.".into()',
     'crate::strings::MIC_BLOCKED().into()'),
    ("src/phone/media.rs", '"No microphone was found: plug one in or choose another device.".into()', 'crate::strings::MIC_NOT_FOUND().into()'),
    ("src/phone/media.rs", '"The microphone is in use by another application.".into()', 'crate::strings::MIC_IN_USE().into()'),
    ("src/phone/media.rs", 'format!("Audio could not start: {name} {msg}")', 'crate::strings::audio_failed(&name, &msg)'),
    ("src/servicenow/auth.rs", '.ok_or("The browser blocked the sign-in window: allow pop-ups for this site, then try again.")?',
     '.ok_or(crate::strings::SN_POPUP_BLOCKED())?'),
    ("src/servicenow/auth.rs", 'Err("The sign-in answer did not match this request (state mismatch); try again.".into())',
     'Err(crate::strings::SN_STATE_MISMATCH().into())'),
    ("src/servicenow/outbox.rs", 'Some("Waiting for you to sign in to ServiceNow again".into())', 'Some(crate::strings::SN_WAITING_SIGN_IN().into())'),
    ("src/servicenow/service.rs", 'format!("No case {} was found.", number.trim())', 'crate::strings::no_case_found(number.trim())'),
    ("src/phone/number.rs", """Err(format!("'{input}' is not a phone number"))""", 'Err(crate::strings::not_a_phone_number(&input.to_string()).render())'),
    ("src/phone/number.rs", """Err(format!("'{input}' has no country code and the default country {country} is unknown: write it as +<country code>..."))""",
     'Err(crate::strings::fill(crate::strings::NUMBER_NO_COUNTRY(), &[("input", &input.to_string()), ("country", &country.to_string())]))'),
    ("src/phone/number.rs", """Err(format!("'{input}' is not a valid number in {country}: expected 10 digits"))""",
     'Err(crate::strings::fill(crate::strings::NUMBER_NOT_VALID_IN(), &[("input", &input.to_string()), ("country", &country.to_string())]))'),
    ("src/phone/number.rs", """Err(format!("'{input}' is not a valid international number"))""",
     'Err(crate::strings::fill(crate::strings::NUMBER_NOT_INTERNATIONAL(), &[("input", &input.to_string())]))'),
    ("src/phone/demo.rs", """Err(format!("'{number}' is not a phone number"))""", 'Err(crate::strings::not_a_phone_number(&number.to_string()).render())'),
    # The desk's texts (src/desk.rs now; "*": wherever they live after the desk's restructuring).
    ("*", 'let by = by.map(|b| format!(" (referred by {b})")).unwrap_or_default();', 'let by = by.as_deref();'),
    ("*", 'let text = format!("{who} asks to transfer you to {target}{by}");', 'let text = crate::strings::transfer_ask(&who, &target, by);'),
    # The language follows the settings wherever they are applied (src/desk/shell/frame.rs).
    ("*", 'pub fn apply_settings(&self, settings: Settings, errors: Vec<ConfigError>) {\n',
     'pub fn apply_settings(&self, settings: Settings, errors: Vec<ConfigError>) {\n        let settings = crate::intl::adopt(settings);\n'),
    ("*", """Some(format!("'{target}' is not a phone number"))""", 'Some(crate::strings::not_a_phone_number(target).render())'),
]

problems = []
changed = []


def read(p):
    with open(p, encoding="utf-8") as f:
        return f.read()


def write(p, text):
    changed.append(os.path.relpath(p, ROOT))
    if not DRY:
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)


def rust_files(*dirs):
    for d in dirs:
        for base, subdirs, files in os.walk(os.path.join(ROOT, d)):
            subdirs[:] = [s for s in subdirs if s not in ("target", "node_modules")]
            for f in sorted(files):
                if f.endswith(".rs"):
                    yield os.path.join(base, f)


def languages():
    """The other languages' catalogues: files in src/strings/ holding `pub const XX: Texts = Texts {`."""
    out = []
    for f in sorted(os.listdir(CAT_DIR)):
        p = os.path.join(CAT_DIR, f)
        if f.endswith(".rs") and p != EN and re.search(r"pub (?:static|const) [A-Z_]+: Texts = Texts \{", read(p)):
            out.append(p)
    return out


def keys_of(text):
    return dict((m.group(1), m.start()) for m in KEY_RE.finditer(text))


def en_value(en_text, key):
    m = re.search(r"^[ \t]*" + key + r":\s*(" + LIT + r"),", en_text, re.M | re.S)
    return m.group(1) if m else None


def insert_before_close(text, close_re, block):
    """Inserts `block` before the last match of `close_re` (the catalogue's closing line)."""
    last = None
    for m in re.finditer(close_re, text, re.M):
        last = m
    if last is None:
        return None
    return text[: last.start()] + block + text[last.start():]


def fn_template(lit, args):
    """A format! string and its positional arguments -> (template, [placeholder names]) or None."""
    body = lit[1:-1]
    if "{{" in body or "}}" in body:
        return None
    positional = [a.strip() for a in args.split(",") if a.strip()]
    names, out, i = [], [], 0
    for m in re.finditer(r"\{([^{}]*)\}", body):
        spec = m.group(1)
        if ":" in spec:
            return None
        if spec == "":
            if i >= len(positional) or not re.fullmatch(r"[a-z_][a-z0-9_]*", positional[i]):
                return None
            name = positional[i]
            i += 1
        elif re.fullmatch(r"[a-z_][a-z0-9_]*", spec):
            name = spec
        else:
            return None
        out.append((m.start(), m.end(), name))
        if name not in names:
            names.append(name)
    if i != len(positional):
        return None
    t = body
    for s, e, name in reversed(out):
        t = t[:s] + "{" + name + "}" + t[e:]
    return '"' + t + '"', names


def main():
    if not os.path.exists(EN):
        sys.exit("src/strings/en.rs is missing: run this on a tree that has the language catalogues")
    strings = read(STRINGS)
    en = read(EN)
    others = {p: read(p) for p in languages()}
    en_keys = keys_of(en)
    new_en, new_other = [], []

    def add(key, docs, lit):
        if key in en_keys or key in [k for k, _, _ in new_en]:
            old = en_value(en, key)
            if old is not None and old != lit:
                problems.append(f"{key}: the catalogue already has another text ({old}), not {lit}: rename one of them")
                return False
            return True
        new_en.append((key, docs, lit))
        return True

    # 0. --from FILE: the texts of another version of src/strings.rs (a merged branch's, in the one-file form).
    if FROM:
        other = read(FROM)
        for m in CONST_RE.finditer(other):
            key, lit = m.group(2), m.group(3)
            if key in RETIRED:
                continue
            old = en_value(en, key)
            if old is None:
                if not re.search(r"pub const " + key + r":", strings):
                    strings += m.group(0)
            elif old != lit:
                # The English text changed on that branch: take it, and the translations must follow.
                en = re.sub(r"^([ \t]*" + key + r":\s*)" + re.escape(old) + ",", lambda x: x.group(1) + lit + ",", en, count=1, flags=re.M)
                write(EN, en)
                for p in list(others):
                    others[p] = re.sub(r"^([ \t]*" + key + r":).*,[ \t]*$", lambda x: x.group(1) + f" untranslated({lit}),", others[p], count=1, flags=re.M)
                    write(p, others[p])
                print(f"{key}: the English text changed to {lit}: translate it again")
        for m in FN_RE.finditer(other):
            if not re.search(r"pub fn " + m.group(2) + r"\(", strings):
                strings += m.group(0)
        for m in re.finditer(r"pub fn ([a-z][a-z0-9_]*)\(", other):
            if not re.search(r"pub fn " + m.group(1) + r"\(", strings):
                problems.append(f"{FROM}: fn {m.group(1)} is not a simple format!: copy it into src/strings.rs as a template by hand")

    # 1. pub const NAME: &str = "...";
    def take_const(m):
        docs, key, lit = m.group(1), m.group(2), m.group(3)
        return "" if add(key, docs, lit) else m.group(0)

    strings = CONST_RE.sub(take_const, strings)

    # 2. pub fn name(..) -> String { format!("...") }
    def take_fn(m):
        docs, name, params, lit, args = m.groups()
        tpl = fn_template(lit, args)
        if tpl is None:
            problems.append(f"src/strings.rs: fn {name}: its format! is not simple ({{name}} or {{}} with plain names): turn it into a template by hand")
            return m.group(0)
        template, names = tpl
        key = name.upper()
        if not add(key, docs, template):
            return m.group(0)
        types = dict((p.split(":")[0].strip(), p.split(":", 1)[1].strip()) for p in params.split(",") if ":" in p)
        vals = []
        for n in names:
            ty = types.get(n)
            if ty is None:
                problems.append(f"src/strings.rs: fn {name}: {{{n}}} is not a parameter: turn it into a template by hand")
                return m.group(0)
            vals.append(f'("{n}", {n})' if ty in ("&str", "&'static str") else f'("{n}", &{n}.to_string())')
        indent = re.match(r"[ \t]*", m.group(0)[len(docs):]).group(0)
        return (f"{docs}{indent}pub fn {name}({params}) -> String {{\n{indent}    fill(tr().{key}, &[{', '.join(vals)}])\n{indent}}}\n")

    strings = FN_RE.sub(take_fn, strings)
    strings = re.sub(r"\n{3,}", "\n\n", strings)
    for m in re.finditer(r"pub const ([A-Z][A-Z0-9_]*): &(?:'static )?str\b", strings):
        problems.append(f"src/strings.rs: const {m.group(1)} is not a plain string literal: move it into src/strings/en.rs by hand")

    if new_en:
        block = ""
        for k, d, lit in new_en:
            block += "".join("    " + l.strip() + "\n" for l in d.splitlines() if l.strip())
            block += f"    {k}: {lit},\n"
        en2 = insert_before_close(en, r"^\}[ \t]*$", block)
        if en2 is None:
            sys.exit("src/strings/en.rs: the closing `}` of `catalogue! {` was not found")
        write(EN, en2)
        en = en2
        en_keys = keys_of(en)
        write(STRINGS, strings)
    # Every language gets every English key it lacks, marked untranslated.
    for p, text in others.items():
        have = keys_of(text)
        missing = [k for k in en_keys if k not in have]
        if missing:
            block = "".join(f"    {k}: untranslated({en_value(en, k)}),\n" for k in missing)
            t2 = insert_before_close(text, r"^\};[ \t]*$", block)
            if t2 is None:
                problems.append(f"{os.path.relpath(p, ROOT)}: the closing `}};` of the catalogue was not found")
                continue
            write(p, t2)
            others[p] = t2
        extra = [k for k in have if k not in en_keys]
        for k in extra:
            problems.append(f"{os.path.relpath(p, ROOT)}: {k} is not in the English catalogue: remove it")

    # 3. Inline texts moved by hand once, re-applied.
    for rel, old, new in INLINE:
        if rel == "*":
            # Wherever it lives now (the desk's code moves between files).
            hits = [p for p in rust_files("src") if old in read(p) or new in read(p)]
            if not hits:
                problems.append(f"neither `{old}` nor `{new}` found in src/: check that text by hand")
            for p in hits:
                text = read(p)
                if old in text and new not in text:
                    write(p, text.replace(old, new, 1))
            continue
        p = os.path.join(ROOT, rel)
        if not os.path.exists(p):
            continue
        text = read(p)
        if old in new and new in text:
            continue
        if old in text:
            write(p, text.replace(old, new))
        elif new not in text:
            problems.append(f"{rel}: neither `{old}` nor `{new}` found: check that text by hand")

    # 3b. The pure clock format is no longer used by views that now format through `intl`: drop its import.
    for p in rust_files("src/ui"):
        text = read(p)
        if re.search(r"\bformat_duration\b", text) and not re.search(r"(?<!use crate::phone::call::)\bformat_duration\(", text):
            text2 = re.sub(r"use crate::phone::call::format_duration;\n", "", text)
            text2 = re.sub(r"(use crate::phone::call::\{[^}]*?)\bformat_duration, ", r"\1", text2)
            text2 = re.sub(r"(use crate::phone::call::\{[^}]*?), format_duration\b", r"\1", text2)
            text2 = re.sub(r"use crate::phone::call::\{(\w+)\};", r"use crate::phone::call::\1;", text2)
            if text2 != text:
                write(p, text2)

    # 4. Call sites: t::NAME / strings::NAME -> t::NAME().
    keys = set(en_keys)
    site = re.compile(r"(?<![\w:])((?:(?:crate|agent_desktop)::)?strings|t)::([A-Z][A-Z0-9_]*)\b(?!\s*\()")
    for p in rust_files("src", "tests", "benches"):
        if p == STRINGS or p.startswith(CAT_DIR + os.sep):
            continue
        text = read(p)
        text2 = site.sub(lambda m: m.group(0) + "()" if m.group(2) in keys else m.group(0), text)
        if text2 != text:
            write(p, text2)
        rel = os.path.relpath(p, ROOT)
        for m in re.finditer(r"use (?:crate|agent_desktop)::strings::\{([^}]*)\}", text2):
            names = [n.strip() for n in m.group(1).split(",") if n.strip() in keys]
            if names:
                problems.append(f"{rel}: imports texts by name ({', '.join(names)}): use `crate::strings as t` and `t::NAME()`")
        for m in site.finditer(text2):
            if m.group(2) not in keys and not re.match(r"[A-Z][a-z]", m.group(2)):
                problems.append(f"{rel}: {m.group(0)} is not in the catalogue")

    # 5. Report: placeholders still to translate, inline texts in views.
    for p, text in others.items():
        n = text.count("untranslated(")
        if n:
            print(f"{os.path.relpath(p, ROOT)}: {n} text(s) to translate (search for `untranslated(`)")
    inline = []
    attr = re.compile(r'(?:aria-label|title|placeholder|alt)=("[^"{}]*[A-Za-z]{2}[^"{}]*")')
    child = re.compile(r'>\s*("[^"<>{}]*[A-Za-z]{3}[^"<>{}]*")\s*<')
    for p in rust_files("src/ui"):
        for n, line in enumerate(read(p).splitlines(), 1):
            for m in list(attr.finditer(line)) + list(child.finditer(line)):
                inline.append(f"{os.path.relpath(p, ROOT)}:{n}: {m.group(1)}")
    if inline:
        print("Texts that look written inline in views (move them into the catalogue):")
        for i in inline:
            print("  " + i)
    for c in dict.fromkeys(changed):
        print(("would change " if DRY else "changed ") + c)
    if new_en:
        print(f"moved {len(new_en)} text(s) into the catalogues: {', '.join(k for k, _, _ in new_en)}")
    for pr in problems:
        print("NEEDS A HUMAN: " + pr, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
