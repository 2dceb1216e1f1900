//! `vaultward permissions --format stackset` deployed for real: the generated `deploy.sh`
//! runs with the AWS CLI against moto, which emulates AWS Organizations and StackSets with
//! service-managed permissions, creating each stack instance in its member account. Every
//! account of the targeted OU ends up with the roles and policies `--format json` gives
//! for that account alone, and the topic and rules in each Region; an account outside the
//! OU gets nothing, and the management account only when asked
//! (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html:
//! StackSets do not deploy to the management account).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use vaultward_aws::testing::{MotoServer, ACCOUNT};

/// The AWS CLI installed beside moto (`scripts/test` pins both in `.venv`).
fn aws_cli_dir() -> PathBuf {
    let moto = std::env::var("VAULTWARD_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server")
        });
    let dir = moto.parent().unwrap().to_path_buf();
    assert!(
        dir.join("aws").exists(),
        "no AWS CLI beside {}: run scripts/test, which installs awscli into .venv",
        moto.display()
    );
    dir
}

struct Aws {
    endpoint: String,
    keys: (String, String, Option<String>),
}

impl Aws {
    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        let path = format!(
            "{}:{}",
            aws_cli_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.env("PATH", path)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.keys.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.keys.1)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent/vaultward-test-config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/vaultward-test-credentials",
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        if let Some(t) = &self.keys.2 {
            c.env("AWS_SESSION_TOKEN", t);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Value {
        let out = self
            .command(&aws_cli_dir().join("aws"))
            .args(args)
            .args(["--output", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "aws {args:?}: {}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// The same emulator, as `OrganizationAccountAccessRole` in `account`.
    fn in_account(&self, account: &str) -> Aws {
        let role = format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole");
        let c = self.run(&[
            "sts",
            "assume-role",
            "--role-arn",
            &role,
            "--role-session-name",
            "vaultward-test",
        ])["Credentials"]
            .clone();
        let s = |k: &str| c[k].as_str().unwrap().to_string();
        Aws {
            endpoint: self.endpoint.clone(),
            keys: (
                s("AccessKeyId"),
                s("SecretAccessKey"),
                Some(s("SessionToken")),
            ),
        }
    }

    fn roles(&self) -> Vec<String> {
        let mut v: Vec<String> = self.run(&["iam", "list-roles"])["Roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Arn"].as_str().unwrap().to_string())
            .filter(|a| a.contains(":role/vaultward/"))
            .collect();
        v.sort();
        v
    }

    fn rules(&self, region: &str) -> usize {
        self.run(&["events", "list-rules", "--region", region])["Rules"]
            .as_array()
            .unwrap()
            .len()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn vaultward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(args)
        .output()
        .unwrap()
}

/// An empty directory of this test run.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("vaultward-stackset-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const COMMON: [&str; 8] = [
    "--vendor-account",
    "999988887777",
    "--external-id",
    "ext-42",
    "--regions",
    "us-east-1,eu-west-1",
    "--assets",
    "s3,dynamodb,ec2",
];

#[test]
fn the_stack_sets_reach_every_account_of_the_ous_and_only_them() {
    let moto = MotoServer::start().unwrap();
    let mgmt = Aws {
        endpoint: moto.endpoint.clone(),
        keys: ("testing".into(), "testing".into(), None),
    };
    mgmt.run(&[
        "organizations",
        "create-organization",
        "--feature-set",
        "ALL",
    ]);
    let org = mgmt.run(&["organizations", "describe-organization"])["Organization"]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let root = mgmt.run(&["organizations", "list-roots"])["Roots"][0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let ou = |name: &str| {
        mgmt.run(&[
            "organizations",
            "create-organizational-unit",
            "--parent-id",
            &root,
            "--name",
            name,
        ])["OrganizationalUnit"]["Id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (prod, sandbox) = (ou("Prod"), ou("Sandbox"));
    let account = |name: &str, parent: &str| {
        let id = mgmt.run(&[
            "organizations",
            "create-account",
            "--email",
            &format!("{name}@example.com"),
            "--account-name",
            name,
        ])["CreateAccountStatus"]["AccountId"]
            .as_str()
            .unwrap()
            .to_string();
        mgmt.run(&[
            "organizations",
            "move-account",
            "--account-id",
            &id,
            "--source-parent-id",
            &root,
            "--destination-parent-id",
            parent,
        ]);
        id
    };
    let members = [account("prod-a", &prod), account("prod-b", &prod)];
    let outside = account("sandbox", &sandbox);

    let dir = scratch("deploy");
    let out = dir.join("org");
    let mut args = vec!["permissions", "--format", "stackset", "--continuous-s3"];
    args.extend(COMMON);
    args.extend([
        "--ous",
        &prod,
        "--org-id",
        &org,
        "--management-account",
        ACCOUNT,
        "--out",
        out.to_str().unwrap(),
    ]);
    let written = vaultward(&args);
    assert!(written.status.success(), "{}", text(&written));
    // A second run never half-replaces the first directory.
    let again = vaultward(&args);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        text(&again).contains("exists and is not empty"),
        "{}",
        text(&again)
    );

    let deployed = mgmt.command(&out.join("deploy.sh")).output().unwrap();
    assert!(deployed.status.success(), "deploy.sh: {}", text(&deployed));

    for member in &members {
        let there = mgmt.in_account(member);
        assert_eq!(
            there.roles(),
            [
                format!("arn:aws:iam::{member}:role/vaultward/VaultwardBackupRole"),
                format!("arn:aws:iam::{member}:role/vaultward/VaultwardS3ContinuousBackupEventBridgeRole"),
            ],
            "{member}"
        );
        // Each managed policy is the one `--format json` writes for this account alone.
        let mut one = vec![
            "permissions",
            "--format",
            "json",
            "--continuous-s3",
            "--account",
            member,
        ];
        one.extend(COMMON);
        let own = vaultward(&one);
        assert!(own.status.success(), "{}", text(&own));
        let bundle: Value = serde_json::from_slice(&own.stdout).unwrap();
        for p in bundle["policies"].as_array().unwrap() {
            let arn = p["arn"].as_str().unwrap();
            let version = there.run(&["iam", "get-policy", "--policy-arn", arn])["Policy"]
                ["DefaultVersionId"]
                .as_str()
                .unwrap()
                .to_string();
            let doc = there.run(&[
                "iam",
                "get-policy-version",
                "--policy-arn",
                arn,
                "--version-id",
                &version,
            ])["PolicyVersion"]["Document"]
                .clone();
            assert_eq!(doc, p["document"], "{member}: {arn}");
        }
        for region in ["us-east-1", "eu-west-1"] {
            assert_eq!(there.rules(region), 2, "{member} {region}");
        }
    }
    assert!(
        mgmt.in_account(&outside).roles().is_empty(),
        "outside the OU"
    );
    assert!(
        mgmt.roles().is_empty(),
        "StackSets skip the management account"
    );

    let own = mgmt
        .command(&out.join("deploy.sh"))
        .arg("--management-account-only")
        .output()
        .unwrap();
    assert!(own.status.success(), "{}", text(&own));
    assert_eq!(mgmt.roles().len(), 2);
    assert_eq!(mgmt.rules("eu-west-1"), 2);
}

#[test]
fn stackset_needs_its_directory_and_the_organization() {
    let mut args = vec!["permissions", "--format", "stackset"];
    args.extend(COMMON);
    let out = vaultward(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--out DIR"), "{}", text(&out));
    let dir = scratch("usage");
    let target = dir.join("o");
    let mut with_out = args.clone();
    with_out.extend(["--out", target.to_str().unwrap()]);
    let out = vaultward(&with_out);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("`--ous`"), "{}", text(&out));
    assert!(text(&out).contains("`--org-id`"), "{}", text(&out));
    assert!(!target.exists(), "nothing is written");
    let mut with_account = with_out.clone();
    with_account.extend(["--account", "111122223333"]);
    let out = vaultward(&with_account);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("AWS::AccountId"), "{}", text(&out));
}
