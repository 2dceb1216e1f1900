//! Reading input files (or standard input for `-`) with errors that name the file.

use std::io::Read;
use std::path::Path;

use anyhow::Context as _;

/// Reads the whole of `path`, or standard input when it is `-`, as UTF-8 text. A UTF-8
/// byte-order mark is dropped (see [`has_utf8_bom`]); UTF-16 and UTF-32 text, and bytes that
/// are not UTF-8, are refused with the encoding named and how to convert.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = read_bytes(path)?;
    decode(&display_name(path), &bytes)
}

/// The raw bytes of `path` (or standard input).
pub fn read_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        Ok(b)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
    }
}

/// Whether the text starts with a UTF-8 byte-order mark.
pub fn has_utf8_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xEF, 0xBB, 0xBF])
}

/// The wide encoding the bytes are in, from a byte-order mark or the zero bytes of ASCII
/// text (JSON starts with an ASCII character).
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => Some("UTF-32 LE"),
        [0, 0, 0xFE, 0xFF, ..] => Some("UTF-32 BE"),
        [0xFF, 0xFE, ..] => Some("UTF-16 LE"),
        [0xFE, 0xFF, ..] => Some("UTF-16 BE"),
        [a, 0, 0, 0, ..] if *a != 0 => Some("UTF-32 LE"),
        [0, 0, 0, a, ..] if *a != 0 => Some("UTF-32 BE"),
        [a, 0, ..] if *a != 0 => Some("UTF-16 LE"),
        [0, a, ..] if *a != 0 => Some("UTF-16 BE"),
        _ => None,
    }
}

pub fn decode(name: &str, bytes: &[u8]) -> anyhow::Result<String> {
    if let Some(enc) = wide_encoding(bytes) {
        anyhow::bail!("`{name}` is {enc} text; Vaultward, like AWS, reads JSON as UTF-8: convert it (`iconv -f {} -t UTF-8`)", enc.replace(' ', ""));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => anyhow::bail!(
            "`{name}` is not UTF-8 text: the byte at offset {} is not valid UTF-8 (save it as UTF-8)",
            e.valid_up_to().saturating_add(bytes.len().saturating_sub(body.len()))
        ),
    }
}

/// The name to show for `path` in messages.
pub fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_named_and_a_bom_is_dropped() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("{}".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let e = decode("p.json", &utf16).unwrap_err().to_string();
        assert!(e.contains("UTF-16 LE"), "{e}");
        let no_bom: Vec<u8> = "{}".encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert!(decode("p.json", &no_bom)
            .unwrap_err()
            .to_string()
            .contains("UTF-16 BE"));
        assert_eq!(decode("p.json", b"\xEF\xBB\xBF{}").unwrap(), "{}");
        assert!(has_utf8_bom(b"\xEF\xBB\xBF{}"));
        assert!(decode("p.json", b"{\"a\": \"\xFF\"}")
            .unwrap_err()
            .to_string()
            .contains("not UTF-8"));
    }
}
