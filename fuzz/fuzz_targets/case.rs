//! Authorization cases on arbitrary text: parsing never panics, and a case that parses is
//! decided (evaluation is total).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(case) = vaultward_iam::parse_case(text) {
        let r = vaultward_iam::authorize(&case.request, &case.policies);
        let _ = r.decision;
    }
});
