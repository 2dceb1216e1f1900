//! The organization layout (`DIR/organization.json` + `DIR/accounts/ACCOUNT.json`): read,
//! checked, each account's path and SCP levels derived, and bad input named by file and
//! JSON path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{json, Value};
use vaultward_snapshot::org::OrgLayout;

struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir = std::env::temp_dir().join(format!("vaultward-org-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("accounts")).unwrap();
        Folder(dir)
    }
    fn write(&self, rel: &str, v: &Value) {
        std::fs::write(self.0.join(rel), serde_json::to_string_pretty(v).unwrap()).unwrap();
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// AWS's region-restriction SCP example
/// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html#example-scp-deny-region).
fn region_deny() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllOutsideEU", "Effect": "Deny",
        "NotAction": ["iam:*", "organizations:*", "route53:*", "sts:*", "support:*"], "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}}}]})
}

fn layout() -> Value {
    json!({
        "format": "vaultward-organization/1",
        "id": "o-a1b2c3d4e5", "management_account": "000011112222", "root": "r-ab12",
        "enabled_policy_types": ["SERVICE_CONTROL_POLICY"],
        "units": [{"id": "ou-ab12-11111111", "name": "Workloads", "parent": "r-ab12"},
                  {"id": "ou-ab12-22222222", "name": "Prod", "parent": "ou-ab12-11111111"}],
        "accounts": [
            {"id": "000011112222", "name": "management", "status": "ACTIVE", "parent": "r-ab12", "management": true, "snapshot": "accounts/000011112222.json"},
            {"id": "111122223333", "name": "prod", "status": "ACTIVE", "parent": "ou-ab12-22222222", "snapshot": "accounts/111122223333.json"},
            {"id": "444455556666", "name": "legacy", "status": "ACTIVE", "parent": "ou-ab12-11111111", "not_collected": "AssumeRole arn:aws:iam::444455556666:role/vaultward/VaultwardInventoryRole: AccessDenied"}],
        "policies": [
            {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "aws_managed": true,
             "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
             "targets": ["r-ab12", "ou-ab12-11111111", "ou-ab12-22222222", "000011112222", "111122223333", "444455556666"]},
            {"id": "p-regions", "name": "eu-only", "type": "SERVICE_CONTROL_POLICY", "document": region_deny(), "targets": ["ou-ab12-11111111"]},
            {"id": "p-rcp", "name": "rcp", "type": "RESOURCE_CONTROL_POLICY", "document": {}, "targets": ["r-ab12"]}]
    })
}

#[test]
fn an_accounts_path_and_levels_come_from_the_tree() {
    let f = Folder::new("read");
    f.write("organization.json", &layout());
    for a in ["000011112222", "111122223333"] {
        f.write(&format!("accounts/{a}.json"), &json!({"account_id": a}));
    }
    let org = OrgLayout::load(&f.0).unwrap();
    assert_eq!(
        org.parents("111122223333").unwrap(),
        vec!["r-ab12", "ou-ab12-11111111", "ou-ab12-22222222"]
    );
    assert_eq!(
        org.org_path("111122223333").as_deref(),
        Some("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/")
    );
    let scps = org
        .levels("111122223333", "SERVICE_CONTROL_POLICY")
        .unwrap();
    assert_eq!(scps.len(), 4, "root, two OUs, the account");
    assert_eq!(
        scps[1].len(),
        2,
        "FullAWSAccess and the region Deny on Workloads"
    );
    assert!(scps[1].iter().any(|p| p["id"] == "p-regions"));
    // RCPs are not enabled here: they restrict nothing.
    assert!(org
        .levels("111122223333", "RESOURCE_CONTROL_POLICY")
        .unwrap()
        .is_empty());
    let accounts = &org.accounts;
    assert!(accounts[0].management);
    let prod = org.snapshot(&f.0, &accounts[1]).unwrap().unwrap();
    assert_eq!(prod.account_id, "111122223333");
    assert!(org.snapshot(&f.0, &accounts[2]).unwrap().is_none());
    assert!(accounts[2]
        .not_collected
        .as_deref()
        .unwrap()
        .contains("AccessDenied"));
}

#[test]
fn bad_input_names_the_file_and_the_json_path() {
    let f = Folder::new("bad");
    for a in ["000011112222", "111122223333"] {
        f.write(&format!("accounts/{a}.json"), &json!({"account_id": a}));
    }
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|v| v["accounts"][1]["status"] = json!(7)),
            "accounts[1].status",
            "invalid type",
        ),
        (
            Box::new(|v| v["accounts"][1]["colour"] = json!("red")),
            "accounts[1].colour",
            "unknown field",
        ),
        (
            Box::new(|v| v["accounts"][1]["parent"] = json!("ou-missing")),
            "accounts[1].parent",
            "ou-missing",
        ),
        (
            Box::new(|v| v["units"][1]["parent"] = json!("ou-nowhere")),
            "units[1].parent",
            "ou-nowhere",
        ),
        (
            Box::new(|v| v["policies"][1]["targets"][0] = json!("ou-gone")),
            "policies[1].targets[0]",
            "ou-gone",
        ),
        (
            Box::new(|v| v["accounts"][1]["snapshot"] = json!("accounts/999.json")),
            "accounts[1].snapshot",
            "--resume",
        ),
        (
            Box::new(|v| {
                v["accounts"][2]
                    .as_object_mut()
                    .unwrap()
                    .remove("not_collected");
            }),
            "accounts[2]",
            "neither",
        ),
        (
            Box::new(|v| v["format"] = json!("other/2")),
            "format",
            "vaultward-organization/1",
        ),
    ];
    for (edit, path, says) in cases {
        let mut v = layout();
        edit(&mut v);
        f.write("organization.json", &v);
        let e = OrgLayout::load(&f.0).unwrap_err();
        assert!(e.file.ends_with("organization.json"), "{e}");
        assert_eq!(e.path, path, "{e}");
        assert!(e.to_string().contains(says), "{e}");
    }
    // An account file that does not parse is named with its line and column.
    f.write("organization.json", &layout());
    std::fs::write(
        f.0.join("accounts/111122223333.json"),
        "{\"account_id\": 5}",
    )
    .unwrap();
    let org = OrgLayout::load(&f.0).unwrap();
    let e = org.snapshot(&f.0, &org.accounts[1]).unwrap_err();
    assert!(e.file.ends_with("accounts/111122223333.json"), "{e}");
    assert!(e.location.contains("line 1"), "{e}");
}

#[test]
fn a_written_layout_reads_back_whole_and_leaves_no_temporary_file() {
    let f = Folder::new("write");
    for a in ["000011112222", "111122223333"] {
        let path = f.0.join(vaultward_snapshot::org::account_file(a));
        vaultward_snapshot::org::write_atomically(
            &path,
            json!({"account_id": a}).to_string().as_bytes(),
        )
        .unwrap();
    }
    let layout: OrgLayout = serde_json::from_value(layout()).unwrap();
    layout.write(&f.0).unwrap();
    // Written again over itself (as `collect --org` does after the last account).
    layout.write(&f.0).unwrap();
    assert_eq!(OrgLayout::load(&f.0).unwrap(), layout);
    let mut names: Vec<String> = std::fs::read_dir(&f.0)
        .unwrap()
        .chain(std::fs::read_dir(f.0.join("accounts")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "000011112222.json",
            "111122223333.json",
            "accounts",
            "organization.json"
        ]
    );
    assert_eq!(
        vaultward_snapshot::org::role_arn("111122223333", "/vaultward/VaultwardInventoryRole"),
        "arn:aws:iam::111122223333:role/vaultward/VaultwardInventoryRole"
    );
}
