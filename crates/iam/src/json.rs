//! A small JSON reader that keeps where every value stands in the source.
//!
//! `serde_json` forgets positions once a value is built; policy diagnostics need
//! the line and column of the offending element, so policies are read with this
//! reader first. The tree lives in an [`Arena`]: strings borrow from the source when
//! they hold no escapes, and nothing in the tree needs dropping, so a document is read
//! with a handful of allocations and freed at once.

/// The arena a JSON tree is allocated in.
pub type Arena = bumpalo::Bump;

mod err;
mod write;
pub use err::JsonError;
pub use write::{write_escaped, write_string, Escaping};

/// Byte offsets `[start, end)` of a value in its source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from byte offsets (documents are limited to 4 GiB).
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start.min(u32::MAX as usize) as u32,
            end: end.min(u32::MAX as usize) as u32,
        }
    }
}

/// A JSON value with the span it was read from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Json<'a> {
    pub value: Value<'a>,
    pub span: Span,
}

/// An object member: its key (with the key's span) and its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member<'a> {
    pub key: &'a str,
    pub key_span: Span,
    pub value: Json<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// The number as written, so that `1.0` and `1` stay distinguishable.
    Number(&'a str),
    String(&'a str),
    Array(&'a [Json<'a>]),
    /// Members in source order; duplicate keys are kept so validation can report them.
    Object(&'a [Member<'a>]),
}

impl<'a> Json<'a> {
    /// The kind of value in the words used by error messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&'a [Member<'a>]> {
        match self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The first member named `key` (exact match).
    pub fn get(&self, key: &str) -> Option<&'a Json<'a>> {
        self.as_object()?
            .iter()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// Converts to a `serde_json::Value` (used to re-serialize policies).
    pub fn to_serde(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::from_str(n).unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(items) => items.iter().map(Json::to_serde).collect(),
            Value::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.to_string(), m.value.to_serde()))
                    .collect(),
            ),
        }
    }
}

/// Containers nested deeper than this are refused rather than risking the stack: 127, as
/// serde_json refuses the 128th level, so the reader is never looser (found by the fuzzer).
pub const MAX_DEPTH: usize = 127;

/// Parses one JSON document into `arena`; trailing non-space text is an error.
pub fn parse<'a>(src: &'a str, arena: &'a Arena) -> Result<Json<'a>, JsonError> {
    let mut p = Parser {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        arena,
        items: Vec::with_capacity(16),
        members: Vec::with_capacity(16),
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(JsonError::TrailingText { offset: p.pos });
    }
    Ok(v)
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    arena: &'a Arena,
    /// Scratch stacks: a container's children gather here, then are copied into the arena.
    items: Vec<Json<'a>>,
    members: Vec<Member<'a>>,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.advance(1);
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The bytes not read yet.
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Moves on `n` bytes. The reader only moves over bytes it has seen, so the position
    /// stays within the text and cannot overflow; saturating says so without a panic path.
    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    fn unexpected(&self, expected: &'static str) -> JsonError {
        match self.src.get(self.pos..).and_then(|s| s.chars().next()) {
            None => JsonError::UnexpectedEnd {
                expected,
                offset: self.pos,
            },
            Some(found) => JsonError::Unexpected {
                expected,
                found,
                offset: self.pos,
            },
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        // `depth` containers enclose this value; opening one more must stay within the limit.
        if depth >= MAX_DEPTH && matches!(self.peek(), Some(b'{' | b'[')) {
            return Err(JsonError::TooDeep { offset: self.pos });
        }
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.unexpected("a JSON value")),
        };
        Ok(Json {
            value,
            span: Span::new(start, self.pos),
        })
    }

    fn literal(&mut self, word: &'static str, v: Value<'a>) -> Result<Value<'a>, JsonError> {
        if self.rest().starts_with(word.as_bytes()) {
            self.advance(word.len());
            Ok(v)
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value<'a>, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.advance(1);
        }
        match self.peek() {
            Some(b'0') => self.advance(1),
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.advance(1);
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.advance(1);
            if let Some(b'+' | b'-') = self.peek() {
                self.advance(1);
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit"));
            }
            self.digits();
        }
        Ok(Value::Number(self.slice(start, self.pos)?))
    }

    /// The text between two positions the reader reached (always on character boundaries:
    /// it stops only at ASCII bytes).
    fn slice(&self, from: usize, to: usize) -> Result<&'a str, JsonError> {
        self.src
            .get(from..to)
            .ok_or(JsonError::NotCharBoundary { offset: from })
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.advance(1);
        }
    }

    fn string(&mut self) -> Result<&'a str, JsonError> {
        let open = self.pos;
        self.advance(1);
        let start = self.pos;
        // Fast path: no escapes, borrow the slice.
        let stop = string_stop(self.rest());
        match stop {
            None => return Err(JsonError::UnterminatedString { offset: open }),
            Some(n) => {
                self.advance(n);
                match self.peek() {
                    Some(b'"') => {
                        let s = self.slice(start, self.pos)?;
                        self.advance(1);
                        return Ok(s);
                    }
                    Some(b'\\') => {}
                    _ => return Err(JsonError::ControlCharacter { offset: self.pos }),
                }
            }
        }
        let mut out = String::from(self.slice(start, self.pos)?);
        loop {
            match self.peek() {
                None => return Err(JsonError::UnterminatedString { offset: open }),
                Some(b'"') => {
                    self.advance(1);
                    return Ok(self.arena.alloc_str(&out));
                }
                Some(b'\\') => {
                    self.advance(1);
                    let esc = self
                        .peek()
                        .ok_or(JsonError::UnterminatedString { offset: open })?;
                    self.advance(1);
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            return Err(JsonError::BadEscape {
                                offset: self.pos.saturating_sub(2),
                            })
                        }
                    }
                }
                Some(c) if c < 0x20 => {
                    return Err(JsonError::ControlCharacter { offset: self.pos })
                }
                Some(_) => {
                    let run = self.pos;
                    while let Some(c) = self.peek() {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        self.advance(1);
                    }
                    out.push_str(self.slice(run, self.pos)?);
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let at = self.pos;
        let digits = self
            .src
            .get(at..at.saturating_add(4))
            .ok_or(JsonError::BadEscape { offset: at })?;
        // Four hex digits exactly: `from_str_radix` alone would take a sign (`\u+Ace`,
        // found by the fuzzer).
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(JsonError::BadEscape { offset: at });
        }
        let v = u16::from_str_radix(digits, 16).map_err(|_| JsonError::BadEscape { offset: at })?;
        self.advance(4);
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let at = self.pos.saturating_sub(2);
        let hi = self.hex4()?;
        let lo = if (0xD800..0xDC00).contains(&hi) {
            if !self.rest().starts_with(b"\\u") {
                return Err(JsonError::BadEscape { offset: at });
            }
            self.advance(2);
            Some(self.hex4()?)
        } else {
            None
        };
        // A high surrogate needs a low one after it; a lone low surrogate is refused.
        let mut units = char::decode_utf16(std::iter::once(hi).chain(lo));
        match (units.next(), units.next()) {
            (Some(Ok(c)), None) => Ok(c),
            _ => Err(JsonError::BadEscape { offset: at }),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        self.advance(1);
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.advance(1);
            return Ok(Value::Array(&[]));
        }
        let base = self.items.len();
        loop {
            self.skip_ws();
            let v = self.value(depth.saturating_add(1))?;
            self.items.push(v);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.advance(1),
                Some(b']') => {
                    self.advance(1);
                    let items = self
                        .arena
                        .alloc_slice_copy(self.items.get(base..).unwrap_or_default());
                    self.items.truncate(base);
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected("`,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        self.advance(1);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.advance(1);
            return Ok(Value::Object(&[]));
        }
        let base = self.members.len();
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a member name in double quotes"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = Span::new(key_start, self.pos);
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("`:`"));
            }
            self.advance(1);
            self.skip_ws();
            let value = self.value(depth.saturating_add(1))?;
            self.members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.advance(1),
                Some(b'}') => {
                    self.advance(1);
                    let members = self
                        .arena
                        .alloc_slice_copy(self.members.get(base..).unwrap_or_default());
                    self.members.truncate(base);
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
    }
}

/// Where the first `"`, `\\` or control character of `bytes` is: eight bytes at a time
/// (the reader spends most of its time in strings).
fn string_stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte below `n` (for `n` at most 0x80); exact for the lowest such
    // byte, which is the one wanted (bytes are read little-endian).
    let below = |w: u64, n: u64| w.wrapping_sub(ONES.wrapping_mul(n)) & !w & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0usize;
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        let hits = below(w ^ ONES.wrapping_mul(u64::from(b'"')), 1)
            | below(w ^ ONES.wrapping_mul(u64::from(b'\\')), 1)
            | below(w, 0x20);
        if hits != 0 {
            return Some(at.saturating_add((hits.trailing_zeros() >> 3) as usize));
        }
        at = at.saturating_add(8);
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|n| at.saturating_add(n))
}

/// Lines and columns of many offsets in one text, in time linear in the text when the
/// offsets come in order (as a parser's findings do): each is counted on from the last.
pub struct Locator<'s> {
    src: &'s str,
    /// (byte offset, line, column) of the last answer.
    last: (usize, usize, usize),
    /// Byte offsets where lines start, built on the first backward request.
    line_starts: Option<Vec<usize>>,
}

impl<'s> Locator<'s> {
    pub fn new(src: &'s str) -> Self {
        Locator {
            src,
            last: (0, 1, 1),
            line_starts: None,
        }
    }

    /// Line and column (1-based, column in characters) of a byte offset.
    pub fn locate(&mut self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.src.len());
        while !self.src.is_char_boundary(offset) {
            offset = offset.saturating_sub(1);
        }
        let (from, mut line, mut col) = self.last;
        if offset < from {
            let starts = self.line_starts.get_or_insert_with(|| {
                std::iter::once(0)
                    .chain(
                        self.src
                            .match_indices('\n')
                            .map(|(i, _)| i.saturating_add(1)),
                    )
                    .collect()
            });
            let l = starts.partition_point(|&s| s <= offset);
            let start = starts.get(l.saturating_sub(1)).copied().unwrap_or(0);
            let col = self
                .src
                .get(start..offset)
                .map_or(0, |t| t.chars().count())
                .saturating_add(1);
            self.last = (offset, l.max(1), col);
            return (l.max(1), col);
        }
        for c in self.src.get(from..offset).unwrap_or("").chars() {
            if c == '\n' {
                line = line.saturating_add(1);
                col = 1;
            } else {
                col = col.saturating_add(1);
            }
        }
        self.last = (offset, line, col);
        (line, col)
    }
}

/// Line and column (both 1-based, column in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        .saturating_add(1);
    let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    let col = before
        .get(line_start..)
        .map_or(0, |t| t.chars().count())
        .saturating_add(1);
    (line, col)
}

#[cfg(test)]
mod tests;
