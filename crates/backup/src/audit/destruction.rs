//! Data destruction: deletes and protection changes on resources the role did not create.

use std::collections::BTreeMap;

use vaultward_snapshot::Snapshot;

use super::{Auditor, PathClass};

impl Auditor<'_, '_> {
    /// Deletes and protection changes on resources the role did not create: the snapshot's
    /// own (with their tags) and, for each type, one without tags.
    pub(super) fn destruction(&mut self, snapshot: &Snapshot) {
        let region = self.region.clone();
        let mut tables: Vec<(String, BTreeMap<String, String>)> = snapshot
            .dynamodb_tables
            .iter()
            .map(|t| (t.arn.clone(), t.tags.clone()))
            .collect();
        tables.push((
            self.arn("dynamodb", "table/vaultward-audit"),
            BTreeMap::new(),
        ));
        let mut volumes: Vec<(String, BTreeMap<String, String>)> = snapshot
            .ebs_volumes
            .iter()
            .map(|v| (v.arn.clone(), v.tags.clone()))
            .collect();
        volumes.push((
            self.arn("ec2", "volume/vol-0vaultwardaudit"),
            BTreeMap::new(),
        ));
        let mut instances: Vec<(String, BTreeMap<String, String>)> = snapshot
            .ec2_instances
            .iter()
            .map(|i| (i.arn.clone(), i.tags.clone()))
            .collect();
        instances.push((
            self.arn("ec2", "instance/i-0vaultwardaudit"),
            BTreeMap::new(),
        ));
        let mut cases: Vec<(&str, String, BTreeMap<String, String>)> = Vec::new();
        for (arn, tags) in &tables {
            for a in [
                "dynamodb:DeleteTable",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            ] {
                cases.push((a, arn.clone(), tags.clone()));
            }
            cases.push((
                "dynamodb:DeleteBackup",
                format!("{arn}/backup/01234567890123-abcdef01"),
                BTreeMap::new(),
            ));
        }
        for (arn, tags) in &volumes {
            for a in ["ec2:DeleteVolume", "ec2:DetachVolume"] {
                cases.push((a, arn.clone(), tags.clone()));
            }
        }
        for (arn, tags) in &instances {
            for a in ["ec2:TerminateInstances", "ec2:StopInstances"] {
                cases.push((a, arn.clone(), tags.clone()));
            }
        }
        cases.push((
            "ec2:DeleteSnapshot",
            format!("arn:aws:ec2:{region}::snapshot/snap-0vaultwardaudit"),
            BTreeMap::new(),
        ));
        cases.push((
            "ec2:DeregisterImage",
            format!("arn:aws:ec2:{region}::image/ami-0vaultwardaudit"),
            BTreeMap::new(),
        ));
        let vault = self.arn("backup", "backup-vault:vaultward-audit");
        cases.push(("backup:DeleteBackupVault", vault.clone(), BTreeMap::new()));
        cases.push((
            "backup:DeleteRecoveryPoint",
            self.arn("backup", "recovery-point:vaultward-audit"),
            BTreeMap::new(),
        ));
        for a in [
            "rds:DeleteDBInstance",
            "rds:DeleteDBCluster",
            "rds:DeleteDBSnapshot",
        ] {
            let kind = match a {
                "rds:DeleteDBInstance" => "db:vaultward-audit",
                "rds:DeleteDBCluster" => "cluster:vaultward-audit",
                _ => "snapshot:vaultward-audit",
            };
            cases.push((a, self.arn("rds", kind), BTreeMap::new()));
        }
        for (action, resource, tags) in cases {
            let c: Vec<(String, String)> = tags
                .iter()
                .map(|(k, v)| (format!("aws:ResourceTag/{k}"), v.clone()))
                .collect();
            self.path(PathClass::DataDestruction, "data-destruction", format!("`{action}` on `{resource}`, which the role did not create"), &resource, &[(action, resource.clone(), c, None)], format!("remove `{action}`, or limit it to what the role creates: a tag set only at creation (`ec2:CreateAction`) or a name prefix"));
        }
    }
}
