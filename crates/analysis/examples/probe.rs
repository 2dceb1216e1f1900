//! Compares two policy files and prints the outcome with the time it took (a debugging aid).
use vaultward_analysis::{compare, Options};
use vaultward_iam::PolicyKind;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (Some(old), Some(new), Some(kind)) = (a.get(1), a.get(2), a.get(3)) else {
        eprintln!("usage: probe OLD NEW KIND");
        return;
    };
    let old = std::fs::read_to_string(old).unwrap_or_default();
    let new = std::fs::read_to_string(new).unwrap_or_default();
    let kind = PolicyKind::parse(kind).unwrap_or(PolicyKind::Identity);
    let t = std::time::Instant::now();
    let r = compare(&old, &new, &Options::new(kind));
    println!("{r:?} in {:?}", t.elapsed());
}
