#!/usr/bin/env python3
"""Generates the organization-check benchmark's organization in the layout `collect --org`
writes (docs/snapshot.md, "An organization"): DIR/organization.json and
DIR/accounts/ACCOUNT.json.

Default: 1,000 member accounts in 10 OUs under two top-level OUs, plus the management
account; in each account 100 buckets and 10 KMS keys with the usual mix of denials (a
bucket policy Deny on GetObject, a VPC-only Deny, a prefix-scoped Deny, ObjectWriter
buckets, a key that omits the account statement), the generated backup role, and SCPs
at the root (FullAWSAccess), on one top-level OU (AWS's region-restriction example) and
on one OU below it (a Deny on s3:DeleteObject); RCPFullAWSAccess everywhere; one account
in a hundred not collected (its member role refused), one suspended.

Usage: tools/gen-bench-org.py OUT_DIR [ACCOUNTS BUCKETS KEYS] [path/to/vaultward]
"""
import json
import os
import subprocess
import sys
import urllib.parse

out = sys.argv[1]
accounts = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
buckets = int(sys.argv[3]) if len(sys.argv) > 3 else 100
keys = int(sys.argv[4]) if len(sys.argv) > 4 else 10
vaultward = sys.argv[5] if len(sys.argv) > 5 else "target/release/vaultward"
MANAGEMENT, VENDOR = "000000000001", "999988887777"
ORG, ROOT = "o-bench00001", "r-bn01"
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1"]

# The role and its policies as `vaultward permissions` generates them, for an account id
# placeholder replaced per account (the documents name the account).
PLACEHOLDER = "123456789012"
bundle_text = subprocess.run(
    [vaultward, "permissions", "--account", PLACEHOLDER, "--vendor-account", VENDOR,
     "--external-id", "bench", "--regions", ",".join(REGIONS), "--format", "json"],
    check=True, capture_output=True, text=True).stdout


def iam_for(acct):
    bundle = json.loads(bundle_text.replace(PLACEHOLDER, acct))
    role = bundle["roles"][0]
    return {
        "UserDetailList": [], "GroupDetailList": [],
        "RoleDetailList": [{
            "Path": role["path"], "RoleName": role["name"], "Arn": role["arn"],
            "AssumeRolePolicyDocument": urllib.parse.quote(json.dumps(role["trust_policy"])),
            "RolePolicyList": [], "Tags": [], "InstanceProfileList": [],
            "AttachedManagedPolicies": [{"PolicyName": p["name"], "PolicyArn": p["arn"]} for p in bundle["policies"]],
        }],
        "Policies": [{"PolicyName": p["name"], "Arn": p["arn"], "DefaultVersionId": "v1",
                      "PolicyVersionList": [{"Document": p["document"], "VersionId": "v1", "IsDefaultVersion": True}]}
                     for p in bundle["policies"]],
    }


FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
# AWS's example: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html#example-scp-deny-region
REGION_DENY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyAllOutsideEU", "Effect": "Deny",
    "NotAction": ["a4b:*", "acm:*", "aws-marketplace-management:*", "aws-marketplace:*", "aws-portal:*",
                  "budgets:*", "ce:*", "chime:*", "cloudfront:*", "config:*", "cur:*", "directconnect:*",
                  "ec2:DescribeRegions", "ec2:DescribeTransitGateways", "ec2:DescribeVpnGateways", "fms:*",
                  "globalaccelerator:*", "health:*", "iam:*", "importexport:*", "kms:*", "mobileanalytics:*",
                  "networkmanager:*", "organizations:*", "pricing:*", "route53:*", "route53domains:*",
                  "route53-recovery-cluster:*", "route53-recovery-control-config:*", "route53-recovery-readiness:*",
                  "s3:GetAccountPublic*", "s3:ListAllMyBuckets", "s3:ListMultiRegionAccessPoints",
                  "s3:PutAccountPublic*", "shield:*", "sts:*", "support:*", "trustedadvisor:*", "waf-regional:*",
                  "waf:*", "wafv2:*", "wellarchitected:*"],
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}}}]}
NO_DELETE = {"Version": "2012-10-17", "Statement": [{"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}

tops = [{"id": "ou-bn01-top00000", "name": "Workloads", "parent": ROOT},
        {"id": "ou-bn01-top00001", "name": "Sandbox", "parent": ROOT}]
units = list(tops) + [{"id": f"ou-bn01-unit{u:04d}", "name": f"Team {u}", "parent": tops[u % 2]["id"]} for u in range(10)]
leaves = units[2:]

os.makedirs(os.path.join(out, "accounts"), exist_ok=True)
members = [f"{100000000000 + i:012d}" for i in range(accounts)]
listed = [{"id": MANAGEMENT, "name": "management", "status": "ACTIVE", "parent": ROOT, "management": True}]
for i, acct in enumerate(members):
    listed.append({"id": acct, "name": f"account-{i:04d}", "status": "SUSPENDED" if i % 250 == 249 else "ACTIVE",
                   "parent": leaves[i % len(leaves)]["id"]})
all_ids = [a["id"] for a in listed]
policies = [
    {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "aws_managed": True,
     "document": FULL, "targets": [ROOT] + [u["id"] for u in units] + all_ids},
    {"id": "p-RCPFullAWSAccess", "name": "RCPFullAWSAccess", "type": "RESOURCE_CONTROL_POLICY", "aws_managed": True,
     "document": RCP_FULL, "targets": [ROOT] + [u["id"] for u in units] + all_ids},
    {"id": "p-bn01region", "name": "eu-only", "type": "SERVICE_CONTROL_POLICY", "document": REGION_DENY, "targets": [tops[0]["id"]]},
    {"id": "p-bn01nodel", "name": "no-deletes", "type": "SERVICE_CONTROL_POLICY", "document": NO_DELETE, "targets": [leaves[0]["id"]]},
]
parent_of = {u["id"]: u["parent"] for u in units}


def path(acct_parent):
    up = [acct_parent]
    while up[-1] != ROOT:
        up.append(parent_of[up[-1]])
    return list(reversed(up))


def levels(acct, parent, kind):
    targets = path(parent) + [acct]
    return [[{"name": p["name"], "id": p["id"], "document": p["document"]}
             for p in policies if p["type"] == kind and t in p["targets"]] for t in targets]


def account_snapshot(acct, parent, management):
    key_arn = lambda k: f"arn:aws:kms:{REGIONS[k % 3]}:{acct}:key/00000000-0000-0000-0000-{k:012d}"
    kms = []
    for k in range(keys):
        statements = [{"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:role/Admin"}, "Action": "kms:*", "Resource": "*"}]
        if k % 10 != 9:  # one key in ten omits the account statement
            statements.append({"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*", "Resource": "*"})
        kms.append({"arn": key_arn(k), "manager": "CUSTOMER", "aliases": [f"alias/key-{k}"],
                    "policy": {"Version": "2012-10-17", "Statement": statements}})
    bucket_list = []
    for b in range(buckets):
        name = f"bench-{acct}-{b:03d}"
        bucket = {"name": name, "region": REGIONS[b % 3],
                  "ownership": "ObjectWriter" if b % 25 == 0 else "BucketOwnerEnforced",
                  "default_encryption": {"sse": "aws:kms", "kms_key_id": key_arn(b % keys), "bucket_key_enabled": b % 2 == 0},
                  "objects": [{"key": f"data/{o:04d}.parquet", "size": 1024 * (o + 1), "owner_account": acct} for o in range(3)]}
        if b % 20 == 0:
            bucket["policy"] = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllReads", "Effect": "Deny", "Principal": "*",
                                "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}
        elif b % 20 == 7:
            bucket["policy"] = {"Version": "2012-10-17", "Statement": [{"Sid": "VpcOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                                "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}}]}
        elif b % 10 == 5:
            bucket["policy"] = {"Version": "2012-10-17", "Statement": [{"Sid": "NoArchiveReads", "Effect": "Deny", "Principal": "*",
                                "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/data/0001*"}]}
        else:
            bucket["policy"] = None
        bucket_list.append(bucket)
    return {
        "account_id": acct,
        "organization": {"id": ORG, "management_account": MANAGEMENT,
                         "path": "/".join([ORG] + path(parent)) + "/",
                         "scps": [] if management else levels(acct, parent, "SERVICE_CONTROL_POLICY"),
                         "rcps": [] if management else levels(acct, parent, "RESOURCE_CONTROL_POLICY")},
        "iam": iam_for(acct), "buckets": bucket_list, "kms_keys": kms,
        "dynamodb_tables": [], "ec2_instances": [], "ebs_volumes": [], "backup_vaults": [], "recovery_points": [],
        "notes": [],
    }


for i, a in enumerate(listed):
    if a["status"] != "ACTIVE":
        a["not_collected"] = f"account is {a['status']}: not collected"
        continue
    if i % 100 == 50:
        a["not_collected"] = (f"AssumeRole arn:aws:iam::{a['id']}:role/vaultward/VaultwardInventoryRole: AccessDenied: "
                              "User is not authorized to perform: sts:AssumeRole")
        continue
    rel = f"accounts/{a['id']}.json"
    tmp = os.path.join(out, rel + ".tmp")
    with open(tmp, "w") as f:
        json.dump(account_snapshot(a["id"], a["parent"], a.get("management", False)), f)
    os.replace(tmp, os.path.join(out, rel))
    a["snapshot"] = rel

organization = {"format": "vaultward-organization/1", "id": ORG, "management_account": MANAGEMENT, "root": ROOT,
                "enabled_policy_types": ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
                "units": units, "accounts": listed, "policies": policies}
with open(os.path.join(out, "organization.json.tmp"), "w") as f:
    json.dump(organization, f, indent=1)
os.replace(os.path.join(out, "organization.json.tmp"), os.path.join(out, "organization.json"))
collected = sum(1 for a in listed if "snapshot" in a)
print(f"wrote {out}: {len(listed)} accounts ({collected} collected), {len(units)} OUs, {len(policies)} policies; "
      f"{buckets} buckets and {keys} keys per account")
