//! Policy parsing of every kind on arbitrary text: never a panic, and the findings stay
//! capped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaultward_iam::PolicyKind;

const KINDS: [PolicyKind; 9] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Scp,
    PolicyKind::Rcp,
    PolicyKind::Boundary,
    PolicyKind::Session,
    PolicyKind::Key,
    PolicyKind::Vault,
];

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = KINDS[usize::from(k) % KINDS.len()];
    let parsed = vaultward_iam::parse_policy(text, kind);
    // The capped findings, the size limit, and the summary of what was left out.
    assert!(parsed.findings.len() <= vaultward_iam::policy::MAX_FINDINGS + 2);
});
