//! Loads an organization directory and every account in it, and prints what it holds.
//! Usage: cargo run -p vaultward-snapshot --example load-org -- DIR
fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: load-org DIR");
        return std::process::ExitCode::from(2);
    };
    let dir = std::path::PathBuf::from(dir);
    let org = match vaultward_snapshot::org::OrgLayout::load(&dir) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let (mut collected, mut buckets) = (0, 0);
    for a in &org.accounts {
        match org.snapshot(&dir, a) {
            Ok(Some(s)) => {
                collected += 1;
                buckets += s.buckets.len();
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    println!(
        "{}: {} accounts ({collected} collected, {buckets} buckets), {} OUs, {} policies",
        org.id,
        org.accounts.len(),
        org.units.len(),
        org.policies.len()
    );
    std::process::ExitCode::SUCCESS
}
