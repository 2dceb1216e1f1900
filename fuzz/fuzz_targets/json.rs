//! The JSON reader on arbitrary bytes: never a panic; what it accepts, serde_json accepts
//! too (the reader is stricter, never looser), but for numbers beyond f64's range, which
//! JSON's grammar allows and the reader keeps as text while serde_json refuses them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let arena = vaultward_iam::json::Arena::with_capacity(text.len() * 2);
    if let Ok(j) = vaultward_iam::json::parse(text, &arena) {
        let _ = j.span;
        if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
            assert!(
                e.to_string().contains("number out of range"),
                "the reader accepted what serde_json refuses ({e}): {text:?}"
            );
        }
    }
});
