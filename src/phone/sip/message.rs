//! SIP messages (RFC 3261 section 7 and 25): parsing and serialization, pure.
//!
//! Malformed input is an error value, never a panic. Header names are canonicalized (compact forms expanded,
//! known names in their usual case); values are kept as received and parsed on demand by the helpers below.

use crate::strings::{Key, Msg};
use std::fmt::{self, Write as _};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed SIP message: {}", self.0)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(m: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(m.into()))
}

/// "`what` `"value"`" (the value quoted and escaped by [`push_quoted`]): one formatting site for every error that
/// names the bad text.
#[inline(never)]
fn bad(what: &str, value: &str) -> ParseError {
    let mut s = String::from(what);
    s.push(' ');
    push_quoted(&mut s, value);
    ParseError(s)
}

/// `value` in double quotes, escaped as Rust's `{:?}` writes it (`\"`, `\\`, `\t`, `\r`, `\n`, `\0`, other
/// control characters as `\u{1b}`), and so are invisible and direction-changing characters (zero-width,
/// bidi controls and isolates, line and paragraph separators, BOM): received text never ends a line or
/// reorders what a person reads. (Not `{:?}`: str's Debug links `char::escape_debug` and Unicode tables.)
/// The writer is the call state's ([`crate::text::quoted_with`]: the same escapes, in the same order), with
/// this set of characters written as `\u{hex}`.
pub fn push_quoted(out: &mut String, value: &str) {
    crate::text::quoted_with(out, value, |c| {
        c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
    });
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    /// Headers in order: (canonical name, value).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Compact forms (RFC 3261 7.3.3 and extensions) and canonical spellings.
const CANONICAL: &[(&str, &str)] = &[
    ("i", "Call-ID"),
    ("m", "Contact"),
    ("e", "Content-Encoding"),
    ("l", "Content-Length"),
    ("c", "Content-Type"),
    ("f", "From"),
    ("s", "Subject"),
    ("k", "Supported"),
    ("t", "To"),
    ("v", "Via"),
    ("r", "Refer-To"),
    ("b", "Referred-By"),
    ("o", "Event"),
    ("u", "Allow-Events"),
    ("x", "Session-Expires"),
    ("call-id", "Call-ID"),
    ("cseq", "CSeq"),
    ("www-authenticate", "WWW-Authenticate"),
    ("proxy-authenticate", "Proxy-Authenticate"),
    ("proxy-authorization", "Proxy-Authorization"),
    ("max-forwards", "Max-Forwards"),
    ("record-route", "Record-Route"),
    ("content-length", "Content-Length"),
    ("content-type", "Content-Type"),
    ("user-agent", "User-Agent"),
    ("refer-to", "Refer-To"),
    ("referred-by", "Referred-By"),
    ("subscription-state", "Subscription-State"),
    ("min-expires", "Min-Expires"),
    ("retry-after", "Retry-After"),
    ("p-asserted-identity", "P-Asserted-Identity"),
    ("allow-events", "Allow-Events"),
];

/// Headers whose comma-separated values are separate entries (RFC 3261 7.3.1).
const LIST_HEADERS: &[&str] =
    &["Via", "Route", "Record-Route", "Contact", "Allow", "Supported", "Require", "Proxy-Require", "Unsupported", "Accept", "Allow-Events"];

/// The canonical spelling of a header name.
pub fn canonical_name(name: &str) -> String {
    let mut s = name.to_ascii_lowercase();
    if let Some((_, c)) = CANONICAL.iter().find(|(k, _)| *k == s) {
        return c.to_string();
    }
    // Title-Case each dash-separated part in place: "x-case-id" -> "X-Case-Id".
    let mut at = Some(0);
    while let Some(i) = at {
        if let Some(c) = s.get_mut(i..i + 1) {
            c.make_ascii_uppercase();
        }
        at = crate::text::from(&s, i).find('-').map(|j| i + j + 1);
    }
    s
}

/// Whether `s` has a control character other than `except` (a space, which is none, to allow none).
#[inline(never)]
pub fn has_control(s: &str, except: char) -> bool {
    s.chars().any(|c| c.is_control() && c != except)
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || crate::text::one_of(c, "-.!%*_+`'~")
}

/// Splits on `sep` outside quotes and angle brackets.
pub fn split_outside(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            c if c == sep && !quoted && !angle => {
                out.push(crate::text::cut(s, start, i));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(crate::text::from(s, start));
    out
}

impl Message {
    /// Parses one SIP message (one WebSocket frame).
    pub fn parse(input: &str) -> Result<Message, ParseError> {
        // Leading CRLFs are keep-alives between messages (RFC 5626): skip them.
        let input = crate::text::trim_start_of(input, "\r\n");
        let (head, rest) = match crate::text::split_once(input, "\r\n\r\n") {
            Some(parts) => parts,
            None => match crate::text::split_once(input, "\n\n") {
                Some(parts) => parts,
                None => return err("no empty line after the headers"),
            },
        };
        let mut lines = crate::text::split_byte(head, b'\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let first = lines.next().ok_or(ParseError("empty message".into()))?;
        if has_control(first, ' ') {
            return err("control character in the start line");
        }
        let start = parse_start_line(first)?;
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            // A bare CR, NUL or other control character inside a header (or a folded line of one) could become a
            // line of its own when the value is echoed (header injection): refuse the message.
            if has_control(line, '\t') {
                return Err(bad("control character in header line", line));
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                // Folded continuation line (LWS).
                match headers.last_mut() {
                    Some((_, v)) => {
                        v.push(' ');
                        v.push_str(line.trim());
                    }
                    None => return err("continuation line before any header"),
                }
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(bad("header line without a colon:", line));
            };
            let name = name.trim_end();
            if name.is_empty() || !name.chars().all(is_token_char) {
                return Err(bad("bad header name", name));
            }
            headers.push((canonical_name(name), value.trim().to_string()));
        }
        let mut msg = Message { start, headers, body: String::new() };
        let lengths: Vec<&str> = msg.header_values("Content-Length");
        let body = match lengths.first() {
            Some(l) => {
                if lengths.len() > 1 && lengths.iter().any(|x| x != l) {
                    return err("conflicting Content-Length headers");
                }
                let n: usize = crate::uint(l.trim()).ok_or_else(|| bad("bad Content-Length", l))?;
                if rest.len() < n {
                    return Err(bad("Content-Length longer than the body:", l));
                }
                if !rest.is_char_boundary(n) {
                    return err("Content-Length ends inside a character");
                }
                crate::text::upto(rest, n)
            }
            // Message-based transports (WebSocket, RFC 7118) may leave Content-Length out.
            None => rest,
        };
        msg.body = body.to_string();
        // Content-Length is derived from the body when serializing.
        msg.remove("Content-Length");
        msg.validate()?;
        Ok(msg)
    }

    fn validate(&self) -> Result<(), ParseError> {
        for h in ["Via", "From", "To", "Call-ID", "CSeq"] {
            if self.header(h).is_none() {
                return Err(bad("missing", h));
            }
        }
        let (seq, method) = self.cseq().ok_or(ParseError("bad CSeq".into()))?;
        if seq > 0x7fff_ffff {
            return err("CSeq number out of range");
        }
        if let StartLine::Request { method: m, .. } = &self.start {
            if *m != method {
                return Err(bad("CSeq method does not match the request method:", &method));
            }
        }
        if let Some(mf) = self.header("Max-Forwards") {
            if crate::uint::<u8>(mf).is_none() {
                return Err(bad("bad Max-Forwards", mf));
            }
        }
        Ok(())
    }

    pub fn request(method: &str, uri: &str) -> Message {
        Message { start: StartLine::Request { method: method.into(), uri: uri.into() }, headers: Vec::new(), body: String::new() }
    }

    pub fn response(code: u16, reason: &str) -> Message {
        Message { start: StartLine::Response { code, reason: reason.into() }, headers: Vec::new(), body: String::new() }
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            _ => None,
        }
    }

    pub fn code(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            _ => None,
        }
    }

    /// The first value of a header (for list headers, the first entry).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }

    /// All values of a header, list headers split into entries.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        let name = canonical_name(name);
        let list = LIST_HEADERS.contains(&name.as_str());
        let mut out = Vec::new();
        for (n, v) in &self.headers {
            if *n == name {
                if list {
                    out.extend(split_outside(v, ',').into_iter().map(str::trim).filter(|s| !s.is_empty()));
                } else {
                    out.push(v.as_str());
                }
            }
        }
        out
    }

    pub fn add(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.headers.push((canonical_name(name), value.into()));
        self
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.remove(name);
        self.add(name, value)
    }

    pub fn remove(&mut self, name: &str) -> &mut Self {
        let name = canonical_name(name);
        self.headers.retain(|(n, _)| *n != name);
        self
    }

    pub fn with_body(&mut self, content_type: &str, body: impl Into<String>) -> &mut Self {
        self.body = body.into();
        self.set("Content-Type", content_type)
    }

    /// `(number, method)` of the CSeq header.
    pub fn cseq(&self) -> Option<(u32, String)> {
        let v = self.header("CSeq")?;
        let mut it = v.split_whitespace();
        let n = crate::uint::<u32>(it.next()?)?;
        let m = it.next()?;
        if it.next().is_some() || !m.chars().all(is_token_char) {
            return None;
        }
        Some((n, m.to_string()))
    }

    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID")
    }

    pub fn from(&self) -> Option<NameAddr> {
        NameAddr::parse(self.header("From")?).ok()
    }

    pub fn to(&self) -> Option<NameAddr> {
        NameAddr::parse(self.header("To")?).ok()
    }

    /// The top Via.
    pub fn via(&self) -> Option<Via> {
        Via::parse(self.header("Via")?).ok()
    }

    /// The top Via's branch (when that Via is well formed; only its parameters are parsed).
    #[inline(never)]
    pub fn branch(&self) -> Option<String> {
        let (.., params) = via_parts(self.header("Via")?)?;
        parse_params(params).into_iter().find(|(k, _)| k == "branch")?.1
    }

    /// Headers starting with `X-` (data an IVR or another desk attached to the call).
    pub fn x_headers(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (n, v) in &self.headers {
            if n.starts_with("X-") {
                out.push((n.clone(), v.clone()));
            }
        }
        out
    }

    /// The wire form, with a correct Content-Length.
    pub fn serialize(&self) -> String {
        let mut s = String::with_capacity(512 + self.body.len());
        match &self.start {
            StartLine::Request { method, uri } => {
                s.push_str(method);
                s.push(' ');
                s.push_str(uri);
                s.push_str(" SIP/2.0\r\n");
            }
            StartLine::Response { code, reason } => {
                let _ = write!(s, "SIP/2.0 {code} {reason}\r\n");
            }
        }
        for (n, v) in &self.headers {
            if n == "Content-Length" {
                continue;
            }
            s.push_str(n);
            s.push_str(": ");
            s.push_str(v);
            s.push_str("\r\n");
        }
        let _ = write!(s, "Content-Length: {}\r\n\r\n", self.body.len());
        s.push_str(&self.body);
        s
    }
}

fn parse_start_line(line: &str) -> Result<StartLine, ParseError> {
    if let Some(rest) = line.strip_prefix("SIP/") {
        let mut it = crate::text::splitn_byte(rest, 3, b' ');
        let version = it.next().unwrap_or("");
        if version != "2.0" {
            return Err(bad("unsupported SIP version", version));
        }
        let code = it.next().unwrap_or("");
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad("bad status code", code));
        }
        let Some(n) = crate::uint::<u16>(code).filter(|n| (100..700).contains(n)) else {
            return Err(bad("status code out of range:", code));
        };
        let code = n;
        return Ok(StartLine::Response { code, reason: it.next().unwrap_or("").to_string() });
    }
    let mut parts = crate::text::split_byte(line, b' ');
    let (Some(method), Some(uri), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad("bad request line", line));
    };
    if method.is_empty() || !method.chars().all(is_token_char) {
        return Err(bad("bad method", method));
    }
    if version != "SIP/2.0" {
        return Err(bad("unsupported version", version));
    }
    if uri.is_empty() || !uri.contains(':') || has_control(uri, ' ') {
        return Err(bad("bad Request-URI", uri));
    }
    Ok(StartLine::Request { method: method.to_string(), uri: uri.to_string() })
}

/// `;name=value;flag` parameters.
pub type Params = Vec<(String, Option<String>)>;

fn parse_params(s: &str) -> Params {
    let mut out = Params::new();
    for p in split_outside(s, ';') {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        out.push(match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().to_string())),
            None => (p.to_ascii_lowercase(), None),
        });
    }
    out
}

pub fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref())
}

fn write_params(out: &mut fmt::Formatter<'_>, params: &Params) -> fmt::Result {
    for (k, v) in params {
        out.write_str(";")?;
        out.write_str(k)?;
        if let Some(v) = v {
            out.write_str("=")?;
            out.write_str(v)?;
        }
    }
    Ok(())
}

/// Unquotes a quoted-string, resolving backslash escapes; a token is returned as is.
pub fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        let mut out = String::new();
        let mut esc = false;
        for c in crate::text::cut(s, 1, s.len() - 1).chars() {
            if esc {
                out.push(c);
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else {
                out.push(c);
            }
        }
        out
    } else {
        s.to_string()
    }
}

pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        if !c.is_control() {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// Decodes `%XX` escapes (URI user parts).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = crate::config::form::hex2(b[i + 1], b[i + 2]);
            if let Some(v) = h {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A SIP or SIPS URI (RFC 3261 19.1), or a tel URI kept whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri {
    pub scheme: String,
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
    pub headers: Option<String>,
}

impl Uri {
    pub fn parse(s: &str) -> Result<Uri, ParseError> {
        let s = s.trim();
        // CR, LF and other control characters never belong in a URI (RFC 3261 25.1 escapes them); one kept in
        // a parameter or header would end the line it is written into (header injection).
        if has_control(s, ' ') {
            return Err(bad("control character in URI", s));
        }
        let (scheme, rest) = s.split_once(':').ok_or_else(|| bad("URI without scheme:", s))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || crate::text::one_of(c, "+-.")) {
            return Err(bad("bad URI scheme", &scheme));
        }
        if scheme == "tel" {
            let (num, params) = rest.split_once(';').unwrap_or((rest, ""));
            return Ok(Uri { scheme, user: Some(num.to_string()), host: String::new(), port: None, params: parse_params(params), headers: None });
        }
        if scheme != "sip" && scheme != "sips" {
            return Err(bad("unsupported URI scheme", &scheme));
        }
        let (rest, headers) = match rest.split_once('?') {
            Some((r, h)) => (r, Some(h.to_string())),
            None => (rest, None),
        };
        // The user part cannot hold a raw `@` (RFC 3261 25.1 escapes it): with two, parsers disagree on the host
        // (`sip:1900@evil.example;x=@sip.example.com`), so such a URI is refused outright.
        if rest.bytes().filter(|b| *b == b'@').count() > 1 {
            return Err(bad("more than one '@' in URI", s));
        }
        let (userinfo, hostpart) = match rest.split_once('@') {
            Some((user, host)) => (Some(user), host),
            None => (None, rest),
        };
        let (hostport, params) = hostpart.split_once(';').unwrap_or((hostpart, ""));
        let (host, port) = if hostport.starts_with('[') {
            let end = hostport.find(']').ok_or(ParseError("unclosed IPv6 host".into()))?;
            let port = crate::text::from(hostport, end + 1).strip_prefix(':');
            (crate::text::upto(hostport, end + 1), port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '<' || c == '>' || c == '"') {
            return Err(bad("bad URI host", host));
        }
        let port = match port {
            Some(p) => Some(crate::uint::<u16>(p).ok_or_else(|| bad("bad URI port", p))?),
            None => None,
        };
        let user = userinfo.map(|u| u.split_once(':').map(|(u, _)| u).unwrap_or(u).to_string());
        if user.as_deref().map(|u| u.is_empty() || u.chars().any(char::is_whitespace)).unwrap_or(false) {
            return err("bad URI user part");
        }
        Ok(Uri { scheme, user, host: host.to_ascii_lowercase(), port, params: parse_params(params), headers })
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    pub fn has_param(&self, name: &str) -> bool {
        self.params.iter().any(|(k, _)| k == name)
    }

    /// The user part, percent-decoded.
    pub fn user_decoded(&self) -> Option<String> {
        self.user.as_deref().map(percent_decode)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        f.write_str(":")?;
        if self.scheme == "tel" {
            f.write_str(self.user.as_deref().unwrap_or(""))?;
        } else {
            if let Some(u) = &self.user {
                f.write_str(u)?;
                f.write_str("@")?;
            }
            f.write_str(&self.host)?;
            if let Some(p) = self.port {
                write!(f, ":{p}")?;
            }
        }
        write_params(f, &self.params)?;
        if let Some(h) = &self.headers {
            f.write_str("?")?;
            f.write_str(h)?;
        }
        Ok(())
    }
}

/// A name-addr or addr-spec with header parameters: From, To, Contact, Route, Refer-To, P-Asserted-Identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr {
    pub display: Option<String>,
    pub uri: Uri,
    pub params: Params,
}

impl NameAddr {
    pub fn parse(s: &str) -> Result<NameAddr, ParseError> {
        let s = s.trim();
        if let Some(lt) = find_outside_quotes(s, '<') {
            let gt = crate::text::from(s, lt).find('>').map(|i| i + lt).ok_or_else(|| bad("unclosed '<' in", s))?;
            let display = crate::text::upto(s, lt).trim();
            let display = (!display.is_empty()).then(|| unquote(display));
            let uri = Uri::parse(crate::text::cut(s, lt + 1, gt))?;
            let params = parse_params(crate::text::from(s, gt + 1));
            Ok(NameAddr { display, uri, params })
        } else {
            // addr-spec: parameters after the URI belong to the header (RFC 3261 20.10).
            let (u, p) = s.split_once(';').unwrap_or((s, ""));
            if u.contains(' ') || u.contains('"') {
                return Err(bad("bad address", s));
            }
            Ok(NameAddr { display: None, uri: Uri::parse(u)?, params: parse_params(p) })
        }
    }

    pub fn tag(&self) -> Option<&str> {
        param(&self.params, "tag")
    }

    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        self.params.retain(|(k, _)| k != name);
        self.params.push((name.to_string(), value.map(str::to_string)));
    }
}

fn find_outside_quotes(s: &str, target: char) -> Option<usize> {
    let (mut quoted, mut esc) = (false, false);
    for (i, c) in s.char_indices() {
        if esc {
            esc = false;
            continue;
        }
        match c {
            '\\' if quoted => esc = true,
            '"' => quoted = !quoted,
            c if c == target && !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            f.write_str(&quote(d))?;
            f.write_str(" ")?;
        }
        write!(f, "<{}>", self.uri)?;
        write_params(f, &self.params)
    }
}

/// One Via entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    pub fn parse(s: &str) -> Result<Via, ParseError> {
        let (proto, host, port, params) = via_parts(s).ok_or_else(|| bad("bad Via", s))?;
        let transport = crate::text::rsplit_once_byte(&proto, b'/').map_or(proto.as_str(), |(_, l)| l).trim().to_ascii_uppercase();
        Ok(Via { transport, host: host.to_string(), port, params: parse_params(params) })
    }

    pub fn branch(&self) -> Option<&str> {
        param(&self.params, "branch")
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write_params(f, &self.params)
    }
}

/// A Via entry's sent-protocol (spaces taken out), host, port and parameters (unparsed), when it is well formed.
fn via_parts(s: &str) -> Option<(String, &str, Option<u16>, &str)> {
    let s = s.trim();
    // sent-protocol, with optional spaces around each `/` (RFC 3261 25.1 SLASH; RFC 4475 3.1.1.1): the
    // words are joined until two slashes are in and neither this word ends nor the next starts with one.
    let mut proto = String::new();
    let mut rest = s;
    loop {
        let t = rest.trim_start();
        let end = t.find(char::is_whitespace).unwrap_or(t.len());
        if end == 0 {
            return None;
        }
        let (word, after) = crate::text::split_at(t, end);
        proto.push_str(word);
        rest = after;
        if proto.bytes().filter(|b| *b == b'/').count() >= 2 && !proto.ends_with('/') && !rest.trim_start().starts_with('/') {
            break;
        }
    }
    let mut parts = crate::text::split_byte(&proto, b'/');
    let (name, version) = (parts.next()?, parts.next()?);
    if parts.count() != 1 || !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
        return None;
    }
    let rest = rest.trim();
    let (sent_by, params) = rest.split_once(';').unwrap_or((rest, ""));
    let sent_by = sent_by.trim();
    // An IPv6 reference is closed by `]`, then the port (if any) follows a `:`; else the port is after the last `:`.
    let (host, port) = match sent_by.find(']').filter(|_| sent_by.starts_with('[')) {
        Some(end) => match crate::text::from(sent_by, end + 1) {
            "" => (crate::text::upto(sent_by, end + 1), None),
            p => (crate::text::upto(sent_by, end + 1), Some(p.strip_prefix(':')?)),
        },
        None if sent_by.starts_with('[') => return None,
        None => match crate::text::rsplit_once_byte(sent_by, b':') {
            Some((h, p)) => (h, Some(p)),
            None => (sent_by, None),
        },
    };
    let port = match port {
        Some(p) => Some(crate::uint::<u16>(p)?),
        None => None,
    };
    if host.is_empty() {
        return None;
    }
    Some((proto, host, port, params))
}

/// A human reason for a final failure response, for the agent (a catalogue text).
pub fn failure_text(code: u16) -> Key {
    match code {
        486 | 600 => Key::DEMO_BUSY,
        480 => Key::SIP_NOT_AVAILABLE,
        408 => Key::NO_ANSWER,
        404 | 604 => Key::DEMO_NO_NUMBER,
        484 => Key::SIP_INCOMPLETE,
        403 | 603 => Key::SIP_DECLINED,
        401 | 407 => Key::SIP_CREDENTIALS,
        487 => Key::SIP_CANCELLED,
        488 | 606 => Key::SIP_NO_COMMON_AUDIO,
        500..=599 => Key::SIP_SERVER_DOWN,
        _ => Key::SIP_NOT_CONNECTED,
    }
}

/// What the agent reads when a hold (or, with `resume`, taking off hold) was refused with `code`.
pub fn hold_failure_note(resume: bool, code: u16) -> Msg {
    let why = if code == 491 { Key::SIP_CHANGE_UNDER_WAY } else { failure_text(code) };
    (if resume { Key::RESUME_FAILED } else { Key::HOLD_FAILED }).arg_msg("why", why.into())
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "message_fuzz.rs"]
mod mutation_fuzz;
