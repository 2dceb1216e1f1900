//! The account each scenario builds, as a snapshot, and what the scenarios read of the
//! answers.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use vaultward_backup::vaults::{exposure, Exposure, ExposureOptions, Question};
use vaultward_backup::Snapshot;

pub(crate) const ACCT: &str = "111122223333";
pub(crate) const VAULT: &str = "arn:aws:backup:us-east-1:111122223333:backup-vault:prod";
pub(crate) const KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0000-4000-8000-00000000cafe";
pub(crate) const SNAP: &str = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0";
pub(crate) const ROOT: &str = "arn:aws:iam::111122223333:root";

pub(crate) fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

pub(crate) fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:role/{name}")
}

pub(crate) fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:user/{name}")
}

/// The account, built up by each scenario.
pub(crate) struct Account {
    pub(crate) roles: Vec<Value>,
    pub(crate) users: Vec<Value>,
    pub(crate) policies: Vec<Value>,
    pub(crate) scps: Vec<Value>,
    pub(crate) vaults: Vec<Value>,
    pub(crate) points: Vec<Value>,
    pub(crate) keys: Vec<Value>,
    pub(crate) groups: Vec<Value>,
}

impl Account {
    /// An account with AWS Backup's service role (what a restore passes) and no vault.
    pub(crate) fn new() -> Account {
        let mut a = Account {
            roles: Vec::new(),
            users: Vec::new(),
            policies: Vec::new(),
            scps: Vec::new(),
            vaults: Vec::new(),
            points: Vec::new(),
            keys: Vec::new(),
            groups: Vec::new(),
        };
        a.role_trusting(
            "BackupService",
            json!([{"Effect": "Allow", "Action": "ec2:CreateSnapshot", "Resource": "*"}]),
            None,
            json!({"Service": "backup.amazonaws.com"}),
        );
        a
    }

    pub(crate) fn role_trusting(
        &mut self,
        name: &str,
        statements: Value,
        boundary: Option<&str>,
        trust: Value,
    ) -> &mut Self {
        let mut r = json!({"RoleName": name, "Arn": role_arn(name), "Path": "/",
            "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": trust, "Action": "sts:AssumeRole"}])),
            "RolePolicyList": [{"PolicyName": format!("{name}-inline"), "PolicyDocument": doc(statements.clone())}],
            "AttachedManagedPolicies": [], "InstanceProfileList": []});
        // A role without policies has none (a policy with no statement is not valid).
        if statements.as_array().is_some_and(|a| a.is_empty()) {
            r["RolePolicyList"] = json!([]);
        }
        if let Some(b) = boundary {
            r["PermissionsBoundary"] =
                json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b});
        }
        self.roles.push(r);
        self
    }

    /// A role only EC2 may assume (no principal of the account hops into it).
    pub(crate) fn role(&mut self, name: &str, statements: Value) -> &mut Self {
        self.role_trusting(
            name,
            statements,
            None,
            json!({"Service": "ec2.amazonaws.com"}),
        )
    }

    pub(crate) fn user(
        &mut self,
        name: &str,
        statements: Value,
        boundary: Option<&str>,
    ) -> &mut Self {
        let mut u = json!({"UserName": name, "Arn": user_arn(name), "Path": "/", "GroupList": [],
            "UserPolicyList": [{"PolicyName": format!("{name}-inline"), "PolicyDocument": doc(statements.clone())}],
            "AttachedManagedPolicies": []});
        if statements.as_array().is_some_and(|a| a.is_empty()) {
            u["UserPolicyList"] = json!([]);
        }
        if let Some(b) = boundary {
            u["PermissionsBoundary"] =
                json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b});
        }
        self.users.push(u);
        self
    }

    pub(crate) fn managed(&mut self, name: &str, statements: Value) -> String {
        let arn = format!("arn:aws:iam::{ACCT}:policy/{name}");
        self.policies.push(json!({"PolicyName": name, "Arn": arn, "Path": "/", "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": doc(statements), "VersionId": "v1", "IsDefaultVersion": true}]}));
        arn
    }

    pub(crate) fn vault(&mut self, name: &str, policy: Value, lock: Value) -> &mut Self {
        self.vaults.push(json!({"name": name, "arn": format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:{name}"),
            "access_policy": policy, "encryption_key_arn": KEY, "lock": lock}));
        self
    }

    /// An EBS recovery point in `vault`, under `key` (`None`: not encrypted).
    pub(crate) fn ebs_point(
        &mut self,
        vault: &str,
        snapshot: &str,
        key: Option<&str>,
    ) -> &mut Self {
        self.points.push(json!({"arn": snapshot, "vault_arn": format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:{vault}"),
            "resource_type": "EBS", "resource_arn": format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-0a"),
            "encryption_key_arn": key, "is_encrypted": key.is_some(), "status": "COMPLETED"}));
        self
    }

    /// A recovery point of `resource_type` at `arn` in `vault`, under `key` (`None`: not
    /// encrypted).
    pub(crate) fn point(
        &mut self,
        vault: &str,
        arn: &str,
        resource_type: &str,
        key: Option<&str>,
    ) -> &mut Self {
        self.points.push(json!({"arn": arn, "vault_arn": format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:{vault}"),
            "resource_type": resource_type, "encryption_key_arn": key, "is_encrypted": key.is_some(), "status": "COMPLETED"}));
        self
    }

    /// A customer managed key: the default key policy (the account's IAM policies decide)
    /// and `extra` statements.
    pub(crate) fn key(&mut self, arn: &str, extra: Value) -> &mut Self {
        let mut st = vec![
            json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}),
        ];
        st.extend(extra.as_array().cloned().unwrap_or_default());
        self.keys.push(
            json!({"arn": arn, "manager": "CUSTOMER", "aliases": [], "policy": doc(json!(st)), "origin": "AWS_KMS", "grants": []}),
        );
        self
    }

    pub(crate) fn scp(&mut self, statements: Value) -> &mut Self {
        self.scps
            .push(json!({"name": "guard", "document": doc(statements)}));
        self
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let full = json!({"name": "FullAWSAccess", "document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))});
        let mut level = vec![full];
        level.extend(self.scps.iter().cloned());
        let v = json!({
            "account_id": ACCT,
            "organization": {"id": "o-a1b2c3d4e5", "management_account": "999999999999", "scps": [level], "rcps": [[]]},
            "iam": {"UserDetailList": self.users, "GroupDetailList": self.groups, "RoleDetailList": self.roles, "Policies": self.policies},
            "buckets": [], "kms_keys": self.keys, "dynamodb_tables": [], "ec2_instances": [], "ebs_volumes": [],
            "backup_vaults": self.vaults, "recovery_points": self.points,
            "lambda_functions": [], "lambda_event_source_mappings": [], "cloudformation_stacks": [],
            "sagemaker_notebook_instances": [], "glue_dev_endpoints": [], "codebuild_projects": [],
            "ecs_task_definitions": [], "ssm_managed_instances": []
        });
        Snapshot::from_json("exposure-test", &v.to_string()).unwrap()
    }
}

pub(crate) fn unlocked() -> Value {
    json!({"locked": false})
}

pub(crate) fn run(s: &Snapshot) -> Exposure {
    exposure(s, &ExposureOptions::default()).unwrap()
}

pub(crate) fn answer<'e>(
    e: &'e Exposure,
    vault: &str,
    q: Question,
) -> &'e vaultward_backup::vaults::Answer {
    answer_of(e, vault, "EBS", q)
}

/// The answer to `q` for recovery points of `resource_type` in `vault`.
pub(crate) fn answer_of<'e>(
    e: &'e Exposure,
    vault: &str,
    resource_type: &str,
    q: Question,
) -> &'e vaultward_backup::vaults::Answer {
    let v = e.vaults.iter().find(|v| v.name == vault).unwrap();
    let t = v
        .types
        .iter()
        .find(|t| t.resource_type == resource_type)
        .unwrap();
    t.answers.iter().find(|a| a.question == q).unwrap()
}

pub(crate) fn who(e: &Exposure, vault: &str, q: Question) -> BTreeSet<String> {
    answer(e, vault, q)
        .principals
        .iter()
        .map(|p| p.principal.clone())
        .collect()
}

pub(crate) fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn routes(e: &Exposure, vault: &str, q: Question, principal: &str) -> BTreeSet<String> {
    answer(e, vault, q)
        .principals
        .iter()
        .filter(|p| p.principal == principal)
        .flat_map(|p| p.routes.iter().map(|r| r.code.clone()))
        .collect()
}
