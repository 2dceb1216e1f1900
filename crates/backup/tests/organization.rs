//! One check across an organization (issue 29): each account with its own SCPs, the role
//! found by path and name, accounts not collected `unknown`, and the same SCP statement
//! blocking several accounts one cause listing them (AWS Organizations, "SCP evaluation":
//! an SCP attached to the root applies to every member account,
//! https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html;
//! SCPs do not apply to the management account,
//! https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_backup::check::Status;
use vaultward_backup::organization::{check_organization, OrgAccount, OrgOptions};
use vaultward_backup::{AssetType, CheckOptions, Op, Snapshot};

const ROLE: &str = "/vaultward/VaultwardBackupRole";

fn demo() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The demo account renumbered as `id`, with its clean bucket only, in `region`, under the
/// region-restriction SCP at the root.
fn account(id: &str, region: &str) -> Value {
    let text = demo().to_string().replace("111122223333", id);
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["buckets"]
        .as_array_mut()
        .unwrap()
        .retain(|b| b["name"] == "clean-bucket");
    v["buckets"][0]["region"] = json!(region);
    v["backup_vaults"] = json!([]);
    v["organization"] = json!({"id": "o-a1b2c3d4e5", "management_account": "999999999999", "scps": [[
        {"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
        {"name": "region-lock", "document": {"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyAllOutsideRequestedRegions", "Effect": "Deny",
            "NotAction": ["cloudfront:*", "iam:*", "route53:*", "support:*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}]}}
    ]], "rcps": [[]]});
    v
}

fn member(id: &str) -> OrgAccount {
    OrgAccount {
        id: id.into(),
        name: Some(format!("acct-{id}")),
        not_collected: None,
        management: false,
    }
}

#[test]
fn one_check_across_the_organization() {
    let snapshots = [
        ("210000000001", account("210000000001", "eu-west-1")),
        ("210000000002", account("210000000002", "us-east-1")),
        ("210000000003", account("210000000003", "us-west-2")),
        ("210000000005", {
            let mut v = account("210000000005", "eu-west-1");
            v["iam"]["RoleDetailList"] = json!([]);
            v
        }),
    ];
    let mut accounts: Vec<OrgAccount> = snapshots.iter().map(|(id, _)| member(id)).collect();
    accounts.push(OrgAccount {
        not_collected: Some("AccessDenied when assuming the member role".into()),
        ..member("210000000004")
    });
    let load = |a: &OrgAccount| -> Result<Snapshot, String> {
        let (_, v) = snapshots
            .iter()
            .find(|(id, _)| *id == a.id)
            .ok_or("no file")?;
        Snapshot::from_json(&format!("accounts/{}.json", a.id), &v.to_string())
            .map_err(|e| e.to_string())
    };
    let opts = OrgOptions {
        role: ROLE.into(),
        template: CheckOptions::new(
            "arn:aws:iam::0:role/x",
            [AssetType::S3].into_iter().collect(),
            [Op::Backup].into_iter().collect(),
        ),
        threads: 2,
    };
    let r = check_organization(&accounts, load, &opts);
    assert_eq!(r.status, Status::Blocked);
    let status = |id: &str| r.accounts.iter().find(|a| a.account == id).unwrap().status;
    assert_eq!(status("210000000001"), Status::Ok);
    assert_eq!(status("210000000002"), Status::Blocked);
    assert_eq!(status("210000000003"), Status::Blocked);
    assert_eq!(status("210000000004"), Status::Unknown);
    assert_eq!(status("210000000005"), Status::Unknown);
    let reason = |id: &str| {
        r.accounts
            .iter()
            .find(|a| a.account == id)
            .unwrap()
            .reason
            .clone()
            .unwrap()
    };
    assert!(reason("210000000004").contains("AccessDenied"));
    assert!(reason("210000000005").contains("not in the account's IAM export"));
    // The region SCP's statement is one cause, listing both accounts it blocks.
    let scp: Vec<_> = r
        .groups
        .iter()
        .filter(|g| g.code.as_str() == "scp-denies")
        .collect();
    assert_eq!(
        scp.len(),
        1,
        "{:?}",
        r.groups
            .iter()
            .map(|g| (g.code.as_str(), &g.accounts))
            .collect::<Vec<_>>()
    );
    assert_eq!(scp[0].accounts, vec!["210000000002", "210000000003"]);
    assert_eq!(
        scp[0].statement.as_deref(),
        Some("DenyAllOutsideRequestedRegions")
    );
    // The groups index the findings as `findings()` lists them.
    let all: Vec<_> = r.findings().collect();
    for g in &r.groups {
        for i in &g.findings {
            assert_eq!(all[*i].finding.code, g.code);
        }
    }
    // Totals sum the accounts'.
    let backup = r
        .totals
        .iter()
        .find(|t| t.operation == Some(Op::Backup))
        .unwrap();
    assert_eq!(backup.blocked, 2);
}

/// The organization's report in words, SARIF and HTML: each cause once with its accounts,
/// each account with its status; the SARIF's results located in their accounts' files.
#[test]
fn the_organizations_report_in_every_format() {
    use vaultward_backup::organization::{html_org, render_human, sarif_org};
    let snapshots = [
        ("210000000001", account("210000000001", "us-east-1")),
        ("210000000002", account("210000000002", "us-east-1")),
    ];
    let accounts: Vec<OrgAccount> = snapshots.iter().map(|(id, _)| member(id)).collect();
    let load = |a: &OrgAccount| -> Result<Snapshot, String> {
        let (_, v) = snapshots
            .iter()
            .find(|(id, _)| *id == a.id)
            .ok_or("no file")?;
        Snapshot::from_json("x", &v.to_string()).map_err(|e| e.to_string())
    };
    let opts = OrgOptions {
        role: ROLE.into(),
        template: CheckOptions::new(
            "arn:aws:iam::0:role/x",
            [AssetType::S3].into_iter().collect(),
            [Op::Backup].into_iter().collect(),
        ),
        threads: 1,
    };
    let r = check_organization(&accounts, load, &opts);
    let text = render_human(&r);
    assert!(text.starts_with("BLOCKED"), "{text}");
    assert_eq!(
        text.matches("[scp-denies]").count(),
        1,
        "one cause for both accounts:\n{text}"
    );
    assert!(
        text.contains("accounts: 210000000001, 210000000002 (2)"),
        "{text}"
    );
    let s = sarif_org(&r, "org");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), r.findings().count());
    assert!(results.iter().all(
        |x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.contains("accounts/21000000000"))
    ));
    let page = html_org(&r, None);
    assert!(
        page.contains("id=\"account-210000000002\"")
            && page.contains("href=\"#account-210000000001\"")
    );
    assert!(
        !page.contains("<script src") && !page.contains("<link"),
        "self-contained"
    );
}

/// One set of fixes: each account's own patches, and the SCP patch once, exempting the
/// role in every account, verified by the SMT comparison to open nothing for anyone else.
#[test]
fn one_scp_patch_for_every_account_it_unblocks() {
    use std::sync::Mutex;
    use vaultward_backup::organization::fix_organization;
    let snapshots = [
        ("210000000001", account("210000000001", "us-east-1")),
        ("210000000002", account("210000000002", "us-west-2")),
    ];
    let accounts: Vec<OrgAccount> = snapshots.iter().map(|(id, _)| member(id)).collect();
    let load = |a: &OrgAccount| -> Result<Snapshot, String> {
        let (_, v) = snapshots
            .iter()
            .find(|(id, _)| *id == a.id)
            .ok_or("no file")?;
        Snapshot::from_json("x", &v.to_string()).map_err(|e| e.to_string())
    };
    let opts = OrgOptions {
        role: ROLE.into(),
        template: CheckOptions::new(
            "arn:aws:iam::0:role/x",
            [AssetType::S3].into_iter().collect(),
            [Op::Backup].into_iter().collect(),
        ),
        threads: 2,
    };
    let emitted = Mutex::new(Vec::new());
    let org = fix_organization(&accounts, load, &opts, |a| emitted.lock().unwrap().push(a));
    assert_eq!(org.len(), 1, "{org:?}");
    let p = &org[0];
    assert_eq!((p.target, p.policy.as_str()), ("scp", "region-lock"));
    assert_eq!(p.accounts, vec!["210000000001", "210000000002"]);
    assert!(p.verified, "{}", p.compare);
    // The exemption names the role of each account it unblocks (a list that fits in an
    // SCP; beyond AWS's 5,120 characters, a pattern for every account).
    for id in ["210000000001", "210000000002"] {
        assert!(
            p.after.contains(&format!(
                "arn:aws:iam::{id}:role/vaultward/VaultwardBackupRole"
            )),
            "{}",
            p.after
        );
    }
    assert!(
        p.apply.contains("aws organizations update-policy")
            && p.apply.contains("organization/scp-region-lock.json"),
        "{}",
        p.apply
    );
    // The accounts' own reports no longer carry the SCP patch.
    for a in emitted.lock().unwrap().iter() {
        let r = a.report.as_ref().unwrap();
        assert!(r
            .entries
            .iter()
            .all(|e| !matches!(e, vaultward_backup::fix::Entry::Patch(p) if p.target == "scp")));
    }
}
