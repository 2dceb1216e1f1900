#![allow(clippy::string_slice)]

use super::*;

fn parse(src: &str) -> Result<Json<'static>, JsonError> {
    let arena: &'static Arena = Box::leak(Box::new(Arena::new()));
    let src: &'static str = Box::leak(src.to_string().into_boxed_str());
    super::parse(src, arena)
}

#[test]
fn reads_nested_values_with_spans() {
    let src = r#"{"a": [1, "x\n", true, null], "b": {"c": -2.5e3}}"#;
    let v = parse(src).unwrap();
    let a = v.get("a").unwrap();
    assert_eq!(
        &src[a.span.start as usize..a.span.end as usize],
        r#"[1, "x\n", true, null]"#
    );
    let Value::Array(items) = &a.value else {
        panic!()
    };
    assert_eq!(items[1].as_str(), Some("x\n"));
    assert_eq!(
        v.get("b").unwrap().get("c").unwrap().value,
        Value::Number("-2.5e3")
    );
}

#[test]
fn keeps_duplicate_keys_in_order() {
    let v = parse(r#"{"k": 1, "k": 2}"#).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 2);
}

#[test]
fn decodes_unicode_escapes_and_surrogates() {
    let v = parse(r#""\u00e9\ud83d\ude00""#).unwrap();
    assert_eq!(v.as_str(), Some("é😀"));
}

#[test]
fn reports_errors_with_offsets() {
    for (src, offset) in [
        ("{\"a\" 1}", 5),
        ("[1,]", 3),
        ("\"abc", 0),
        ("{} x", 3),
        ("", 0),
        ("01", 1),
        ("\"\\q\"", 1),
    ] {
        let e = parse(src).unwrap_err();
        assert_eq!(e.offset(), offset, "{src:?}: {e}");
    }
}

#[test]
fn refuses_deep_nesting_without_overflow() {
    let src = "[".repeat(10_000);
    assert!(matches!(parse(&src), Err(JsonError::TooDeep { .. })));
}

/// The limit is serde_json's, to the level: 127 nested containers read, 128 refused by both
/// (an input the fuzzer found took the reader one level past serde_json).
#[test]
fn nesting_limit_is_serde_jsons() {
    for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
        for levels in [super::MAX_DEPTH, super::MAX_DEPTH + 1] {
            for inner in ["", "1"] {
                let inner = if open == "[" { inner } else { "0" };
                let src = format!("{}{inner}{}", open.repeat(levels), close.repeat(levels));
                let ours = parse(&src).is_ok();
                let theirs = serde_json::from_str::<serde_json::Value>(&src).is_ok();
                assert_eq!(ours, theirs, "{levels} levels of {open}");
                assert_eq!(
                    ours,
                    levels <= super::MAX_DEPTH,
                    "{levels} levels of {open}"
                );
            }
        }
    }
}

#[test]
fn line_and_column_are_one_based() {
    let src = "{\n  \"a\": é1\n}";
    assert_eq!(line_col(src, 0), (1, 1));
    let off = src.find('1').unwrap();
    assert_eq!(line_col(src, off), (2, 9));
}

/// The locator answers as `line_col` does, in order and out of order.
#[test]
fn the_locator_agrees_with_line_col() {
    let src = "{\n  \"a\": \"\u{e9}t\u{e9}\",\n\n  \"b\": [1,\n 2]\n}";
    let offsets: Vec<usize> = (0..=src.len())
        .filter(|&o| src.is_char_boundary(o))
        .collect();
    let mut l = super::Locator::new(src);
    for &o in &offsets {
        assert_eq!(l.locate(o), line_col(src, o), "{o}");
    }
    for &o in offsets.iter().rev() {
        assert_eq!(l.locate(o), line_col(src, o), "{o}");
    }
    for &o in offsets.iter().step_by(3).chain(offsets.iter().step_by(2)) {
        assert_eq!(l.locate(o), line_col(src, o), "{o}");
    }
}

/// Found by the fuzzer: a sign is not a hex digit.
#[test]
fn a_unicode_escape_takes_four_hex_digits_and_no_sign() {
    for bad in [r#""\u+Ace""#, r#""\u-001""#, r#""\u 123""#] {
        assert!(parse(bad).is_err(), "{bad}");
    }
    assert!(parse(r#""\u00e9""#).is_ok());
    assert_eq!(crate::policy::percent_decode("%+1"), None);
}

/// The word-at-a-time scan finds what a byte-at-a-time scan finds: every byte value at
/// every place of texts up to three words long, after every other kind of byte.
#[test]
fn string_stop_agrees_with_a_byte_scan() {
    let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
    for len in 0..24 {
        for at in 0..len {
            for filler in [b'a', 0x7f, 0x80, 0xff, b'!', b'#', b']', b' '] {
                for v in 0..=255u8 {
                    let mut text = vec![filler; len];
                    text[at] = v;
                    assert_eq!(super::string_stop(&text), naive(&text), "{text:?}");
                }
            }
        }
    }
}

/// The policy size counts what `char::is_whitespace` counts, on ASCII and beyond.
#[test]
fn packed_length_counts_as_char_is_whitespace_does() {
    for text in [
        "",
        " a\tb\nc\u{b}d\u{c}e\rf",
        "x\u{a0}y\u{2003}z \u{85}",
        "{\"a\": [1, 2]}",
    ] {
        let want = text.chars().filter(|c| !c.is_whitespace()).count();
        assert_eq!(crate::policy::packed_len(text), want, "{text:?}");
    }
    for b in 0..128u8 {
        let text = format!("a{}b", b as char);
        let want = text.chars().filter(|c| !c.is_whitespace()).count();
        assert_eq!(crate::policy::packed_len(&text), want, "{b}");
    }
}
