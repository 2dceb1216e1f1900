#!/usr/bin/env python3
"""Generates the check benchmark's account: 10,000 buckets (one in ten with a prefix-scoped
bucket policy), 1,000 KMS keys, and an S3 Inventory listing of 10,000,000 objects
(streamed by `vaultward check --inventory`).

Usage: tools/gen-bench-account.py OUT_DIR [BUCKETS KEYS OBJECTS] [path/to/vaultward]
Writes OUT_DIR/snapshot.json and OUT_DIR/inventory.csv.
"""
import json
import os
import subprocess
import sys
import urllib.parse

out = sys.argv[1]
buckets = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
keys = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000
objects = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000_000
vaultward = sys.argv[5] if len(sys.argv) > 5 else "target/release/vaultward"
ACCT, VENDOR, PARTNER = "111122223333", "999988887777", "444455556666"
os.makedirs(out, exist_ok=True)

bundle = json.loads(subprocess.run(
    [vaultward, "permissions", "--account", ACCT, "--vendor-account", VENDOR, "--external-id", "bench", "--format", "json"],
    check=True, capture_output=True, text=True).stdout)
role = bundle["roles"][0]
iam = {
    "UserDetailList": [], "GroupDetailList": [],
    "RoleDetailList": [{
        "Path": role["path"], "RoleName": role["name"], "Arn": role["arn"],
        "AssumeRolePolicyDocument": urllib.parse.quote(json.dumps(role["trust_policy"])),
        "RolePolicyList": [], "Tags": [],
        "AttachedManagedPolicies": [{"PolicyName": p["name"], "PolicyArn": p["arn"]} for p in bundle["policies"]],
    }],
    "Policies": [{"PolicyName": p["name"], "Arn": p["arn"], "PolicyVersionList": [{"Document": p["document"], "IsDefaultVersion": True}]} for p in bundle["policies"]],
}
key_arn = lambda k: f"arn:aws:kms:us-east-1:{ACCT}:key/00000000-0000-0000-0000-{k:012d}"
kms = []
for k in range(keys):
    statements = [{"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/Admin"}, "Action": "kms:*", "Resource": "*"}]
    if k % 10:  # nine keys in ten delegate to IAM, one in ten omits the role
        statements.append({"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*", "Resource": "*"})
    kms.append({"arn": key_arn(k), "manager": "CUSTOMER", "policy": {"Version": "2012-10-17", "Statement": statements}})
bucket_list = []
for i in range(buckets):
    name = f"bench-{i:05d}"
    b = {"name": name, "region": "us-east-1", "ownership": "ObjectWriter" if i % 50 == 0 else "BucketOwnerEnforced",
         "default_encryption": {"sse": "aws:kms", "kms_key_id": key_arn(i % keys)}}
    if i % 100 == 0:
        b["policy"] = {"Version": "2012-10-17", "Statement": [{"Sid": "VpcOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"], "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}}]}
    elif i % 10 == 5:
        # One bucket in ten has a prefix-scoped policy: its objects fall in two groups.
        b["policy"] = {"Version": "2012-10-17", "Statement": [{"Sid": "NoArchiveReads", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{name}/data/00001*"}]}
    else:
        b["policy"] = None
    bucket_list.append(b)
snapshot = {"account_id": ACCT, "organization": {"scps": [[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]]},
            "iam": iam, "buckets": bucket_list, "kms_keys": kms,
            "dynamodb_tables": [], "ec2_instances": [], "ebs_volumes": [], "backup_vaults": []}
with open(os.path.join(out, "snapshot.json"), "w") as f:
    json.dump(snapshot, f)

per_bucket = max(1, objects // buckets)
with open(os.path.join(out, "inventory.csv"), "w") as f:
    f.write("Bucket,Key,Size,ObjectOwner,KMSKeyArn\n")
    written = 0
    for i in range(buckets):
        name = f"bench-{i:05d}"
        other = key_arn((i + 1) % keys)
        rows = []
        n = min(per_bucket, objects - written)
        for j in range(n):
            owner = PARTNER if (i % 50 == 0 and j % 4 == 0) else ACCT
            key = other if j % 8 == 0 else ""
            rows.append(f"{name},data/{j:07d}.bin,{(j % 997) * 1024},{owner},{key}\n")
        f.write("".join(rows))
        written += n
print(json.dumps({"buckets": buckets, "keys": keys, "objects": written}))
