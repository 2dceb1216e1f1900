//! `vaultward fix SNAPSHOT --role ARN --out DIR`: for every blocking finding, a verified
//! patch of the document that decided it (with the AWS CLI command that applies it) or a
//! manual entry saying what a person must do and why. Writes each patched document and its
//! diff, `fixes.json`, and `patched-snapshot.json` (the snapshot with every verified patch
//! applied, to check again). Exit 0 when everything is fixed (the patched snapshot checks
//! `ok`), 1 when something remains, 2 for bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use vaultward_backup::fix::{fixes, Applier, Entry, FindingRef, FixReport, FixStatus};

use crate::output::write_atomically;
use crate::selection;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: selection::CheckArgs,
    /// The folder to write the fixes into (created if needed).
    #[arg(long)]
    out: PathBuf,
}

fn findings_line(list: &[FindingRef]) -> String {
    let mut codes: Vec<String> = list.iter().map(|f| f.code.to_string()).collect();
    codes.dedup();
    let mut resources: Vec<&str> = list.iter().map(|f| f.resource.as_str()).collect();
    resources.sort_unstable();
    resources.dedup();
    let n = list.len();
    format!(
        "{n} finding{} ({}) on {}",
        if n == 1 { "" } else { "s" },
        codes.join(", "),
        resources.join(", ")
    )
}

/// The report for people.
fn render(r: &FixReport, dir: &str, role: &str) -> String {
    let mut out = String::new();
    for e in &r.entries {
        match e {
            Entry::Patch(p) => {
                let v = &p.verification;
                out.push_str(&format!(
                    "PATCH {} {}: {}\n  closes: {}\n",
                    if v.verified() {
                        "verified"
                    } else {
                        "NOT VERIFIED (not applied to the patched snapshot)"
                    },
                    p.target,
                    p.description,
                    findings_line(&p.findings)
                ));
                out.push_str(&format!(
                    "  verification: findings gone with the patch: {}; compare (every principal but the role, every action, resource and context): {}; probes ({} principals x {} actions): {}\n",
                    if v.finding_cleared { "yes" } else { "NO" },
                    v.compare,
                    v.principals_checked,
                    v.actions_checked,
                    if v.gained.is_empty() { "nothing new" } else { "NEW ACCESS" },
                ));
                for g in v.gained.iter().take(5) {
                    out.push_str(&format!("  would open: {g}\n"));
                }
                let by = match &p.applied_by {
                    Applier::Account { account } => {
                        format!("an administrator of account {account}")
                    }
                    Applier::ManagementAccount => {
                        "the organization's management account".to_string()
                    }
                };
                out.push_str(&format!("  apply (as {by}): cd {dir} && {}\n", p.apply));
                for c in &p.caveats {
                    out.push_str(&format!("  caveat: {c}\n"));
                }
                out.push_str(&format!("  wrote {} and {}.diff\n\n", p.file, p.file));
            }
            Entry::Manual(m) => {
                out.push_str(&format!(
                    "MANUAL {}\n  why: {}\n",
                    findings_line(&m.findings),
                    m.why
                ));
                for (i, s) in m.steps.iter().enumerate() {
                    out.push_str(&format!("  {}. {s}\n", i + 1));
                }
                out.push('\n');
            }
        }
    }
    let patches: Vec<_> = r.patches().collect();
    let verified = patches.iter().filter(|p| p.verification.verified()).count();
    let manual = r.manuals().count();
    out.push_str(&match r.status {
        FixStatus::Fixed if patches.is_empty() => "NOTHING TO FIX: the check finds nothing blocking or unknown\n".to_string(),
        FixStatus::Fixed => format!(
            "FIXED: {verified} verified patch{} close every finding; with them applied, `check` is ok\n",
            if verified == 1 { "" } else { "es" }
        ),
        FixStatus::Incomplete => format!(
            "NOT FIXED: {verified} of {} patches verified, {manual} finding group{} a person (MANUAL above); with the verified patches applied, `check` is {} with {} finding{} left\n",
            patches.len(),
            if manual == 1 { " needs" } else { "s need" },
            r.after.name(),
            r.remaining.len(),
            if r.remaining.len() == 1 { "" } else { "s" },
        ),
    });
    out.push_str(&format!(
        "wrote {dir}/fixes.json and {dir}/patched-snapshot.json; check the result with: vaultward check {dir}/patched-snapshot.json --role {role}\n"
    ));
    out
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.target.is_organization() {
        return run_org(args);
    }
    let (snapshot, opts) = match args.target.load()? {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let report = match fixes(&snapshot, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create `{}`", args.out.display()))?;
    for p in report.patches() {
        write_atomically(&args.out.join(&p.file), p.after.as_bytes())?;
        write_atomically(
            &args.out.join(format!("{}.diff", p.file)),
            p.diff.as_bytes(),
        )?;
    }
    write_atomically(
        &args.out.join("patched-snapshot.json"),
        format!("{}\n", serde_json::to_string_pretty(&report.patched)?).as_bytes(),
    )?;
    write_atomically(
        &args.out.join("fixes.json"),
        format!("{}\n", serde_json::to_string_pretty(&report)?).as_bytes(),
    )?;
    print!(
        "{}",
        render(&report, &args.out.display().to_string(), &opts.role_arn)
    );
    Ok(ExitCode::from(report.exit_code()))
}

/// An account of an organization's fixes: its id, why it was not fixed, its status.
type AccountLine = (String, Option<String>, Option<FixStatus>);

/// `fix DIR --out FIXES`: each account's fixes under `FIXES/ACCOUNT/`, each SCP or RCP
/// patch once under `FIXES/organization/`, and `FIXES/fixes.json` for all of them.
fn run_org(args: Args) -> anyhow::Result<ExitCode> {
    use std::sync::Mutex;
    use vaultward_backup::organization::{fix_organization, AccountFixes};
    let dir = args.target.snapshot.clone();
    let out = args.out.clone();
    let (org, opts) = match args.target.load_org()? {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create `{}`", out.display()))?;
    // Each account's files are written as soon as its fixes are made, then let go.
    let summary: Mutex<Vec<AccountLine>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let write_account = |a: AccountFixes| -> anyhow::Result<()> {
        let into = out.join(&a.account);
        if let Some(r) = &a.report {
            std::fs::create_dir_all(&into)?;
            for p in r.patches() {
                write_atomically(&into.join(&p.file), p.after.as_bytes())?;
                write_atomically(&into.join(format!("{}.diff", p.file)), p.diff.as_bytes())?;
            }
            write_atomically(
                &into.join("patched-snapshot.json"),
                format!("{}\n", serde_json::to_string_pretty(&r.patched)?).as_bytes(),
            )?;
            write_atomically(
                &into.join("fixes.json"),
                format!("{}\n", serde_json::to_string_pretty(r)?).as_bytes(),
            )?;
        }
        if let Ok(mut s) = summary.lock() {
            s.push((
                a.account.clone(),
                a.reason.clone(),
                a.report.as_ref().map(|r| r.status),
            ));
        }
        Ok(())
    };
    let org_patches = fix_organization(
        &org.accounts,
        |a| org.snapshot(&dir, a),
        &opts,
        |a| {
            if let Err(e) = write_account(a) {
                if let Ok(mut f) = failure.lock() {
                    f.get_or_insert(e);
                }
            }
        },
    );
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    for p in &org_patches {
        let file = out.join(&p.file);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        write_atomically(&file, p.after.as_bytes())?;
    }
    let mut summary = summary.into_inner().unwrap_or_default();
    summary.sort_by(|a, b| a.0.cmp(&b.0));
    let json = serde_json::json!({
        "organization": org.layout.id,
        "role": opts.role,
        "organization_patches": org_patches,
        "accounts": summary.iter().map(|(a, why, st)| serde_json::json!({"account": a, "not_fixed": why, "status": st})).collect::<Vec<_>>(),
    });
    write_atomically(
        &out.join("fixes.json"),
        format!("{}\n", serde_json::to_string_pretty(&json)?).as_bytes(),
    )?;
    let mut text = String::new();
    for p in &org_patches {
        text.push_str(&format!(
            "PATCH {} {} {}: {}\n  accounts: {}\n  verification: {}\n  apply (as the management account): cd {} && {}\n",
            if p.verified { "verified" } else { "NOT VERIFIED" },
            p.target,
            p.policy,
            p.description,
            p.accounts.join(", "),
            p.compare,
            out.display(),
            p.apply
        ));
    }
    let fixed = summary
        .iter()
        .filter(|(_, _, s)| *s == Some(FixStatus::Fixed))
        .count();
    for (a, why, st) in &summary {
        match (why, st) {
            (Some(why), _) => text.push_str(&format!("ACCOUNT {a}: not fixed: {why}\n")),
            (None, Some(FixStatus::Fixed)) => text.push_str(&format!(
                "ACCOUNT {a}: fixed (see {}/{a}/fixes.json)\n",
                out.display()
            )),
            (None, _) => text.push_str(&format!(
                "ACCOUNT {a}: incomplete (see {}/{a}/fixes.json)\n",
                out.display()
            )),
        }
    }
    let all = fixed == summary.len() && org_patches.iter().all(|p| p.verified);
    text.push_str(&format!(
        "{}: {fixed} of {} account(s) fixed; wrote {}/fixes.json\n",
        if all { "FIXED" } else { "INCOMPLETE" },
        summary.len(),
        out.display()
    ));
    print!("{text}");
    Ok(ExitCode::from(if all { 0 } else { 1 }))
}
