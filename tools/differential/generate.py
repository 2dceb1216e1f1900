#!/usr/bin/env python3
"""Generates random Vaultward cases (JSON Lines) for the differential test.

Usage: generate.py N SEED > cases.jsonl

The cases use real actions, resource ARNs of the right type for each action, and
global condition keys, so that the oracle's own input validation accepts them.
"""
import json
import random
import sys

ACCT, OTHER = "111122223333", "444455556666"
PRINCIPALS = [
    f"arn:aws:sts::{ACCT}:assumed-role/BackupRole/s1",
    f"arn:aws:iam::{ACCT}:user/alice",
    f"arn:aws:sts::{OTHER}:assumed-role/Reader/r1",
    f"arn:aws:iam::{OTHER}:user/bob",
    "*",
    ACCT,
    "backup.amazonaws.com",
]
REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::data-bucket/backup/a.bin", ACCT),
    ("s3:PutObject", "arn:aws:s3:::data-bucket/restore/b.bin", ACCT),
    ("s3:ListBucket", "arn:aws:s3:::data-bucket", ACCT),
    ("s3:GetObject", "arn:aws:s3:::other-bucket/x", OTHER),
    ("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", ACCT),
    ("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCT}:table/app-prod", ACCT),
    ("ec2:CreateSnapshot", f"arn:aws:ec2:us-east-1:{ACCT}:volume/vol-0123456789abcdef0", ACCT),
    ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:queue1", ACCT),
    ("kms:GenerateDataKey", f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", ACCT),
    ("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/Target", ACCT),
]
ACTIONS = ["sts:AssumeRole", "kms:GenerateDataKey*", "s3:GetObject", "s3:Get*", "s3:*", "*", "s3:PutObject", "s3:List*", "kms:Decrypt", "kms:*",
           "dynamodb:GetItem", "dynamodb:*", "ec2:CreateSnapshot", "ec2:*", "sqs:*", "S3:getobject", "s3:?etObject"]
RESOURCES = ["*", "arn:aws:s3:::data-bucket/*", "arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/backup/*",
             "arn:aws:s3:::other-bucket/*", "arn:aws:s3:::*", f"arn:aws:kms:us-east-1:{ACCT}:key/*",
             f"arn:aws:dynamodb:us-east-1:{ACCT}:table/app-*", f"arn:aws:ec2:*:{ACCT}:volume/*",
             "arn:aws:s3:::data-bucket/${aws:PrincipalTag/team}/*", f"arn:aws:sqs:us-east-1:{ACCT}:*",
             f"arn:aws:iam::{ACCT}:role/*"]
PRINCIPAL_ELEMENTS = ["*", {"AWS": "*"}, {"AWS": ACCT}, {"AWS": f"arn:aws:iam::{ACCT}:root"},
                      {"AWS": f"arn:aws:iam::{ACCT}:role/BackupRole"},
                      {"AWS": f"arn:aws:sts::{ACCT}:assumed-role/BackupRole/s1"},
                      {"AWS": f"arn:aws:iam::{ACCT}:user/alice"}, {"AWS": OTHER},
                      {"AWS": f"arn:aws:iam::{OTHER}:role/Reader"}, {"AWS": f"arn:aws:iam::{OTHER}:user/bob"},
                      {"Service": "backup.amazonaws.com"}]
CONDITIONS = [
    {"Bool": {"aws:SecureTransport": "true"}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}},
    {"StringEquals": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}},
    {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}},
    {"StringLike": {"aws:PrincipalTag/team": "back*"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
    {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCT}:role/Backup*"]}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}},
    {"StringEquals": {"aws:PrincipalAccount": ACCT}},
    {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
    {"Null": {"aws:SourceVpc": "true"}},
    {"Null": {"aws:SourceVpc": "false"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "BACKUP"}},
    {"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": ["o-abc/r-1/ou-a/"]}},
    {"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": ["o-abc/*"]}},
    {"StringLike": {"aws:PrincipalServiceName": "*.amazonaws.com"}},
    {"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "30"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
    {"DateLessThanIfExists": {"aws:TokenIssueTime": "2030-01-01T00:00:00Z"}},
]
CONTEXTS = [
    {},
    {"aws:SecureTransport": "true", "aws:SourceVpc": "vpc-1"},
    {"aws:SecureTransport": "false", "aws:SourceIp": "10.1.2.3"},
    {"aws:SourceIp": "203.0.113.9", "aws:PrincipalTag/team": "backup", "aws:CurrentTime": "2025-01-01T00:00:00Z"},
    {"aws:PrincipalOrgID": "o-abc", "aws:MultiFactorAuthAge": "60", "aws:SecureTransport": "true"},
    {"aws:PrincipalOrgPaths": ["o-abc/r-1/ou-a/", "o-abc/r-1/ou-b/"], "aws:MultiFactorAuthPresent": "false"},
    {"aws:PrincipalOrgPaths": ["o-abc/r-1/ou-a/"], "aws:TokenIssueTime": "2025-06-01T00:00:00Z", "aws:SourceIp": "10.9.9.9"},
]


def pick_list(rng, pool, k=3):
    items = rng.sample(pool, rng.randint(1, k))
    return items[0] if len(items) == 1 and rng.random() < 0.5 else items


def statement(rng, resource_based, effect=None):
    s = {}
    if rng.random() < 0.5:
        s["Sid"] = f"S{rng.randint(0, 99999)}"
    s["Effect"] = effect or rng.choice(["Allow", "Allow", "Deny"])
    if resource_based:
        s["Principal"] = rng.choice(PRINCIPAL_ELEMENTS)
    if resource_based and s["Effect"] == "Deny" and rng.random() < 0.1:
        del s["Principal"]
        s["NotPrincipal"] = rng.choice(PRINCIPAL_ELEMENTS[2:])
    if s["Effect"] == "Deny" and rng.random() < 0.15:
        s["NotAction"] = pick_list(rng, ACTIONS)
    else:
        s["Action"] = pick_list(rng, ACTIONS)
    if s["Effect"] == "Deny" and rng.random() < 0.15:
        s["NotResource"] = pick_list(rng, RESOURCES)
    else:
        s["Resource"] = pick_list(rng, RESOURCES)
    if rng.random() < 0.5:
        cond = {}
        for c in rng.sample(CONDITIONS, rng.randint(1, 2)):
            for op, kv in c.items():
                cond.setdefault(op, {}).update(kv)
        s["Condition"] = cond
    return s


def policy(rng, resource_based, n=4):
    return {"Version": "2012-10-17", "Statement": [statement(rng, resource_based) for _ in range(rng.randint(1, n))]}


def case(rng):
    action, resource, account = rng.choice(REQUESTS)
    principal = rng.choice(PRINCIPALS)
    c = {"request": {"principal": principal, "action": action, "resource": resource,
                     "resource_account": account, "context": dict(rng.choice(CONTEXTS))},
         "identity_policies": [policy(rng, False) for _ in range(rng.randint(0, 3))]}
    if principal in ("*", ACCT, "backup.amazonaws.com"):
        # Neither anonymous callers nor the root user have identity policies.
        c["identity_policies"] = []
    if rng.random() < 0.6:
        c["resource_policy"] = policy(rng, True)
    if rng.random() < 0.2 and principal not in ("*", ACCT, "backup.amazonaws.com"):
        c["permissions_boundary"] = policy(rng, False, 2)
    if rng.random() < 0.1 and ":assumed-role/" in principal:
        c["session_policy"] = policy(rng, False, 2)
    if rng.random() < 0.3:
        full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        c["scps"] = [[full] + ([policy(rng, False, 2)] if rng.random() < 0.5 else [])]
    if rng.random() < 0.2:
        # RCPs accept only Deny, `"Principal": "*"`, Action (not NotAction) without a lone `*` (RCP syntax).
        s = statement(rng, True, "Deny")
        s.pop("NotPrincipal", None)
        s["Principal"] = "*"
        acts = s.pop("NotAction", None) or s["Action"]
        acts = acts if isinstance(acts, list) else [acts]
        s["Action"] = ["s3:*" if a == "*" else a for a in acts]
        c["rcps"] = [[{"Version": "2012-10-17", "Statement": [s]}]]
    return c


def main():
    n, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    for _ in range(n):
        print(json.dumps(case(rng), separators=(",", ":")))


if __name__ == "__main__":
    main()
