#!/usr/bin/env python3
"""Writes examples/demo-account.json: an account with the backup role deployed from
`vaultward permissions`, and one bucket per kind of trouble the check finds:

- hd-test: the seed's bucket policy denying everything outside one VPC;
- finance-encrypted: objects under a customer managed key whose policy omits the role;
- partner-uploads: Object Ownership `ObjectWriter`, with objects written by another account;
- clean-bucket: nothing wrong.

Usage: tools/make-demo-account.py [path/to/vaultward]
"""
import json
import subprocess
import sys
import urllib.parse

ACCT, VENDOR, PARTNER = "111122223333", "999988887777", "444455556666"
vaultward = sys.argv[1] if len(sys.argv) > 1 else "target/release/vaultward"
bundle = json.loads(subprocess.run(
    [vaultward, "permissions", "--account", ACCT, "--vendor-account", VENDOR, "--external-id", "demo-external-id", "--format", "json"],
    check=True, capture_output=True, text=True).stdout)

roles = []
for r in bundle["roles"]:
    roles.append({
        "Path": r["path"], "RoleName": r["name"], "RoleId": "AROADEMO" + r["id"].upper()[:10], "Arn": r["arn"],
        "AssumeRolePolicyDocument": urllib.parse.quote(json.dumps(r["trust_policy"])),
        "RolePolicyList": [{"PolicyName": i["name"], "PolicyDocument": urllib.parse.quote(json.dumps(i["document"]))} for i in r["inline_policies"]],
        "AttachedManagedPolicies": [{"PolicyName": p["name"], "PolicyArn": p["arn"]} for p in bundle["policies"] if p["id"] in r["managed_policies"]],
        "Tags": [{"Key": "team", "Value": "backup"}],
    })
policies = [{"PolicyName": p["name"], "Arn": p["arn"], "Path": p["path"], "DefaultVersionId": "v1",
             "PolicyVersionList": [{"Document": p["document"], "VersionId": "v1", "IsDefaultVersion": True}]} for p in bundle["policies"]]

FINANCE_KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
VOLUME_KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/11111111-2222-3333-4444-555555555555"
vpc_deny = {
    "Version": "2012-10-17", "Id": "Policy1415115909153",
    "Statement": [{"Sid": "Access-to-specific-VPC-only", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                   "Resource": ["arn:aws:s3:::hd-test", "arn:aws:s3:::hd-test/*"],
                   "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-12345678"}}}],
}
snapshot = {
    "account_id": ACCT,
    "organization": {"scps": [[{"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]], "rcps": [[]]},
    "iam": {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies},
    "buckets": [
        {"name": "hd-test", "region": "us-east-1", "policy": json.dumps(vpc_deny), "ownership": "BucketOwnerEnforced",
         "objects": [{"key": f"reports/2024/{i:02}.csv", "version_id": f"v{i}", "size": 1_048_576 * (i + 1), "owner_account": ACCT} for i in range(3)]},
        {"name": "finance-encrypted", "region": "us-east-1", "policy": None, "ownership": "BucketOwnerEnforced",
         "default_encryption": {"sse": "aws:kms", "kms_key_id": FINANCE_KEY},
         "objects": [{"key": f"ledger/{i}.parquet", "size": 5_242_880, "owner_account": ACCT, "kms_key_id": FINANCE_KEY} for i in range(4)]},
        {"name": "partner-uploads", "region": "us-east-1", "policy": None, "ownership": "ObjectWriter",
         "objects": [
             {"key": "incoming/a.json", "size": 2048, "owner_account": PARTNER},
             {"key": "incoming/b.json", "size": 4096, "owner_account": PARTNER},
             {"key": "processed/c.json", "size": 1024, "owner_account": ACCT},
         ]},
        {"name": "clean-bucket", "region": "us-east-1", "policy": None, "ownership": "BucketOwnerEnforced",
         "default_encryption": {"sse": "AES256"},
         "objects": [{"key": "a.txt", "size": 10, "owner_account": ACCT}, {"key": "b.txt", "size": 20, "owner_account": ACCT}]},
    ],
    "kms_keys": [
        {"arn": FINANCE_KEY, "manager": "CUSTOMER", "policy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "KeyAdministrators", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/FinanceAdmin"}, "Action": "kms:*", "Resource": "*"}]}},
        {"arn": VOLUME_KEY, "manager": "CUSTOMER", "policy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*", "Resource": "*"}]}},
    ],
    "dynamodb_tables": [{"arn": f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders", "kms_key_id": None, "tags": {"env": "prod"}}],
    "ec2_instances": [{"arn": f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-0abc123def4567890", "tags": {"Name": "web"}, "volumes": ["vol-0abc123def4567890"]}],
    "ebs_volumes": [{"arn": f"arn:aws:ec2:us-east-1:{ACCT}:volume/vol-0abc123def4567890", "kms_key_id": VOLUME_KEY, "tags": {}}],
    "backup_vaults": [{"name": "Default", "arn": f"arn:aws:backup:us-east-1:{ACCT}:backup-vault:Default", "access_policy": None}],
    "notes": ["demo account: generated by tools/make-demo-account.py"],
}
with open("examples/demo-account.json", "w") as f:
    json.dump(snapshot, f, indent=1)
    f.write("\n")
