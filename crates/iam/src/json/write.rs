//! Writing JSON strings as `serde_json` writes them, for output built straight into a
//! buffer (the bulk `authorize` path) that must be byte for byte what serializing the
//! same values gives.

use std::fmt;

/// Writes `s` as the contents of a JSON string (without the quotes), escaped as
/// `serde_json` escapes: `"` and `\`, the control characters `\b \t \n \f \r` by name and
/// the others as `\u00xx` (lowercase hex); everything else as it is.
pub fn write_escaped(out: &mut Vec<u8>, s: &str) {
    // Most text needs no escape: one pass over it without an early exit (which the
    // compiler vectorizes), then one copy.
    let plain = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let mut rest = s.as_bytes();
    while let Some(at) = super::string_stop(rest) {
        let Some((plain, tail)) = rest.split_at_checked(at) else {
            break;
        };
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        out.extend_from_slice(plain);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => {
                // A control character: `\u00` and two lowercase hex digits.
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let hex = |d: u8| HEX.get(usize::from(d)).copied().unwrap_or(b'0');
                out.extend_from_slice(b"\\u00");
                out.push(hex(b >> 4));
                out.push(hex(b & 0xf));
            }
        }
        rest = tail;
    }
    out.extend_from_slice(rest);
}

/// Writes `s` as a JSON string, quoted.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_escaped(out, s);
    out.push(b'"');
}

/// A [`fmt::Write`] that escapes what it is given into a JSON string's contents, so text
/// built with `write!` goes into the output without a `String` in between.
pub struct Escaping<'a>(pub &'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.0, s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("é€😀\u{2028}/</script>");
        for s in [
            String::new(),
            "plain".to_string(),
            "a \"quoted\" \\ back".to_string(),
            every,
        ] {
            let mut out = Vec::new();
            write_string(&mut out, &s);
            assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
    }
}
