#!/usr/bin/env python3
"""End-to-end test of `vaultward serve` with the real AWS CLI (awscli from PyPI) and boto3.

Starts the service on 127.0.0.1 and a free port with a fresh data directory, drives it,
and stops it at the end, also when an assertion fails. Run by scripts/test:

    .venv/bin/python tools/server-e2e/e2e.py target/debug/vaultward

What it shows: a vault, an access policy denying backup:DeleteRecoveryPoint to everyone but
an admin role (NotPrincipal with the role, its session and the account, as AWS requires),
the wildcard-Action rejection, backup jobs whose recovery point ARNs follow each resource
type's format, a denied delete and an allowed one, a copy with tags merged (the job's win),
the 50-tag failure of a backup and of a copy, a cross-account refusal, Vault Lock rules,
unsigned and badly signed requests refused, and the data surviving a restart. Then, on a
service whose clock the test moves (`--clock offset-file:`, the CLI's clock moved with it by
aws_at.py), the outside tester's retention scenarios of issue 26: lock, then back up, move
the clock, delete, update the lifecycle, expire.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.exceptions

ACCT, OTHER, REGION = "111122223333", "444455556666", "us-east-1"
ORG = "o-exampleorg1"
ADMIN_ROLE = f"arn:aws:iam::{ACCT}:role/BackupAdmin"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["backup:*", "iam:PassRole"], "Resource": "*"}]}
KEYS = {
    "operator": ("AKIAOPERATOR00000001", "operator-secret"),
    "admin": ("AKIABACKUPADMIN00001", "admin-secret"),
    "partner": ("AKIAPARTNER000000001", "partner-secret"),
    "root": ("AKIAROOT000000000001", "root-secret"),
    "passer": ("AKIAPASSER0000000001", "passer-secret"),
    "nopass": ("AKIANOPASS0000000001", "nopass-secret"),
}
# AWS's recommended iam:PassRole statement for AWS Backup ("IAM: Pass an IAM role to a
# specific AWS service", IAM User Guide; the IamPassRole statement of AWS Backup's managed
# policies), and a Deny on passing roles to AWS Backup.
PASS_TO_BACKUP = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                  "Condition": {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}}
NO_PASS_TO_BACKUP = {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
                     "Condition": {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}}
VOLUME = f"arn:aws:ec2:{REGION}:{ACCT}:volume/vol-0123456789abcdef0"
BUSY_TABLE = f"arn:aws:dynamodb:{REGION}:{ACCT}:table/busy"
COPY_SOURCE = f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:file-system/fs-0123"


def config(copy_source_tags):
    return {"region": REGION, "accounts": [
        {"id": ACCT, "organization": {"id": ORG, "path": f"{ORG}/r-ab12/ou-ab12-11111111/"},
         "root": {"access_key_id": KEYS["root"][0], "secret_access_key": KEYS["root"][1]},
         "users": [{"name": "operator", "access_key_id": KEYS["operator"][0],
                    "secret_access_key": KEYS["operator"][1], "policies": [ALLOW_ALL]},
                   {"name": "passer", "access_key_id": KEYS["passer"][0],
                    "secret_access_key": KEYS["passer"][1], "policies": [{"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": "backup:*", "Resource": "*"}, PASS_TO_BACKUP]}]},
                   {"name": "nopass", "access_key_id": KEYS["nopass"][0],
                    "secret_access_key": KEYS["nopass"][1], "policies": [{"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": ["backup:*", "iam:PassRole"], "Resource": "*"},
                        NO_PASS_TO_BACKUP]}]}],
         "roles": [{"name": "BackupAdmin", "access_key_id": KEYS["admin"][0],
                    "secret_access_key": KEYS["admin"][1], "policies": [ALLOW_ALL],
                    "trust_policy": {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/operator"},
                        "Action": "sts:AssumeRole"}]}}],
         "resources": [
             {"arn": VOLUME, "tags": {"team": "storage", "env": "prod", "owner": "ops"}},
             {"arn": BUSY_TABLE, "tags": {f"k{i}": "v" for i in range(45)}},
             {"arn": COPY_SOURCE, "tags": copy_source_tags},
         ]},
        {"id": OTHER,
         "users": [{"name": "partner", "access_key_id": KEYS["partner"][0],
                    "secret_access_key": KEYS["partner"][1], "policies": [ALLOW_ALL]}]},
    ]}


class Server:
    def __init__(self, binary, workdir, cfg, extra=(), clock=False):
        self.binary, self.workdir, self.extra = binary, workdir, list(extra)
        # The seconds the service's clock (and the CLI's, through aws_at.py) is moved on.
        self.offset = 0
        if clock:
            self.clock_file = os.path.join(workdir, "clock")
            with open(self.clock_file, "w") as f:
                f.write("0")
            self.extra += ["--clock", f"offset-file:{self.clock_file}", "--sweep-interval", "1"]
        self.start(cfg)

    def move_clock(self, days):
        """Moves the service's clock (and the CLI's) `days` further on."""
        self.offset += days * 86400
        with open(self.clock_file, "w") as f:
            f.write(str(self.offset))

    def start(self, cfg):
        path = os.path.join(self.workdir, "identities.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.log = open(os.path.join(self.workdir, "server.log"), "a")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--config", path, "--data-dir",
             os.path.join(self.workdir, "data"), "--listen", "127.0.0.1:0", *self.extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"listening on (http://\S+)", line)
        assert m, f"server did not start: {line!r}"
        self.url = m.group(1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def log_text(self):
        with open(os.path.join(self.workdir, "server.log")) as f:
            return f.read()


def cli(server, who, *args, service="backup"):
    """Runs the real AWS CLI against the service; returns (exit code, parsed stdout, stderr)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEYS[who][0], AWS_SECRET_ACCESS_KEY=KEYS[who][1],
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/nonexistent",
               AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_PAGER="")
    env.pop("AWS_SESSION_TOKEN", None)
    aws = [os.path.join(os.path.dirname(sys.executable), "aws")]
    if server.offset:
        # The same AWS CLI, signing with the service's moved time.
        aws = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "aws_at.py")]
        env["VAULTWARD_E2E_CLOCK_OFFSET"] = str(server.offset)
    p = subprocess.run([*aws, "--endpoint-url", server.url, "--output", "json", service, *args],
                       env=env, capture_output=True, text=True, timeout=60)
    out = json.loads(p.stdout) if p.stdout.strip() else {}
    return p.returncode, out, p.stderr


def ok(server, who, *args):
    rc, out, err = cli(server, who, *args)
    assert rc == 0, f"aws backup {' '.join(args)} failed: {err}"
    return out


def fails(server, who, code, *args):
    rc, _, err = cli(server, who, *args)
    assert rc != 0 and code in err, f"expected {code} from aws backup {' '.join(args)}, got rc={rc}: {err}"
    return err


def boto(server, who):
    return boto3.client("backup", endpoint_url=server.url, region_name=REGION,
                        aws_access_key_id=KEYS[who][0], aws_secret_access_key=KEYS[who][1])


def main(binary):
    workdir = tempfile.mkdtemp(prefix="vaultward-e2e-")
    server = Server(binary, workdir, config({"app": "files"}))
    try:
        run(server)
        attacks(server)
        assert "panicked" not in server.log_text(), server.log_text()[-3000:]
        print("server e2e: all checks passed")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    workdir = tempfile.mkdtemp(prefix="vaultward-e2e-retention-")
    server = Server(binary, workdir, config({"app": "files"}), clock=True)
    try:
        retention(server)
        assert "panicked" not in server.log_text(), server.log_text()[-3000:]
        print("server e2e: Vault Lock, lifecycle and expiry keep AWS Backup's promises")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    crash_consistency(binary)
    print("server e2e: every acknowledged write survives kill -9, no vault without its tags")
    workdir = tempfile.mkdtemp(prefix="vaultward-e2e-limits-")
    server = Server(binary, workdir, config({"app": "files"}),
                    ["--header-timeout", "2", "--body-timeout", "2", "--max-connections", "40"])
    try:
        transport_attacks(server)
        print("server e2e: transport limits hold")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run(server):
    # Vaults; names validated as AWS does.
    v = ok(server, "operator", "create-backup-vault", "--backup-vault-name", "main",
           "--backup-vault-tags", "purpose=e2e")
    assert v["BackupVaultArn"] == f"arn:aws:backup:{REGION}:{ACCT}:backup-vault:main", v
    fails(server, "operator", "InvalidParameterValueException", "create-backup-vault",
          "--backup-vault-name", "x")
    fails(server, "operator", "AlreadyExistsException", "create-backup-vault",
          "--backup-vault-name", "main")
    assert [x["BackupVaultName"] for x in ok(server, "operator", "list-backup-vaults")["BackupVaultList"]] == ["main"]

    # Access policy: a wildcard in Action is rejected; the NotPrincipal Deny is accepted.
    wildcard = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                        "Action": "backup:*", "Resource": "*"}]}
    fails(server, "operator", "InvalidParameterValueException", "put-backup-vault-access-policy",
          "--backup-vault-name", "main", "--policy", json.dumps(wildcard))
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "OnlyAdminDeletes", "Effect": "Deny",
        "NotPrincipal": {"AWS": [ADMIN_ROLE, f"arn:aws:sts::{ACCT}:assumed-role/BackupAdmin/vaultward",
                                 f"arn:aws:iam::{ACCT}:root"]},
        "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]}
    ok(server, "operator", "put-backup-vault-access-policy", "--backup-vault-name", "main",
       "--policy", json.dumps(policy))
    got = ok(server, "operator", "get-backup-vault-access-policy", "--backup-vault-name", "main")
    assert json.loads(got["Policy"]) == policy

    # Backup jobs, one per resource type; recovery point ARNs per the seed's table.
    resources = {
        VOLUME: r"^arn:aws:ec2:us-east-1::snapshot/snap-[0-9a-f]{17}$",
        f"arn:aws:ec2:{REGION}:{ACCT}:instance/i-0123456789abcdef0": r"^arn:aws:ec2:us-east-1::image/ami-[0-9a-f]{17}$",
        f"arn:aws:rds:{REGION}:{ACCT}:db:orders": rf"^arn:aws:rds:us-east-1:{ACCT}:snapshot:awsbackup:job-[0-9a-f-]{{36}}$",
        f"arn:aws:rds:{REGION}:{ACCT}:cluster:ledger": rf"^arn:aws:rds:us-east-1:{ACCT}:cluster-snapshot:awsbackup:job-[0-9a-f-]{{36}}$",
        f"arn:aws:dynamodb:{REGION}:{ACCT}:table/orders": rf"^arn:aws:backup:us-east-1:{ACCT}:recovery-point:[0-9A-F-]{{36}}$",
        COPY_SOURCE: rf"^arn:aws:backup:us-east-1:{ACCT}:recovery-point:[0-9A-F-]{{36}}$",
        "arn:aws:s3:::my-bucket": rf"^arn:aws:backup:us-east-1:{ACCT}:recovery-point:my-bucket-\d{{14}}-[0-9a-f]{{8}}$",
        f"arn:aws:fsx:{REGION}:{ACCT}:file-system/fs-0abc": rf"^arn:aws:fsx:us-east-1:{ACCT}:backup/backup-[0-9a-f]{{17}}$",
    }
    rp_of = {}
    for res in resources:
        tags = {"env": "backup", "job": "e2e"} if res == VOLUME else {}
        args = ["start-backup-job", "--backup-vault-name", "main", "--resource-arn", res,
                "--iam-role-arn", f"arn:aws:iam::{ACCT}:role/service-role/AWSBackupDefaultServiceRole",
                "--lifecycle", "DeleteAfterDays=35"]
        if tags:
            args += ["--recovery-point-tags", json.dumps(tags)]
        job = ok(server, "operator", *args)
        rp_of[res] = job["RecoveryPointArn"]
        d = ok(server, "operator", "describe-backup-job", "--backup-job-id", job["BackupJobId"])
        assert d["State"] == "COMPLETED", d
    listed = ok(server, "operator", "list-recovery-points-by-backup-vault", "--backup-vault-name", "main")["RecoveryPoints"]
    assert len(listed) == len(resources), listed
    for rp in listed:
        assert re.match(resources[rp["ResourceArn"]], rp["RecoveryPointArn"]), rp
    assert ok(server, "operator", "describe-backup-vault", "--backup-vault-name", "main")["NumberOfRecoveryPoints"] == len(resources)

    # Tags merged on backup: the job's win over the source's.
    tags = ok(server, "operator", "list-tags", "--resource-arn", rp_of[VOLUME])["Tags"]
    assert tags == {"team": "storage", "env": "backup", "owner": "ops", "job": "e2e"}, tags

    # The vault policy denies the operator's delete; the admin role's goes through.
    err = fails(server, "operator", "AccessDeniedException", "delete-recovery-point",
                "--backup-vault-name", "main", "--recovery-point-arn", rp_of[VOLUME])
    assert "explicit deny in a resource-based policy" in err, err
    log = server.log_text()
    assert "OnlyAdminDeletes" in log, log  # the deciding statement is in the server's log ...
    assert "OnlyAdminDeletes" not in err   # ... not in the caller's message
    s3_rp = rp_of["arn:aws:s3:::my-bucket"]
    ok(server, "admin", "delete-recovery-point", "--backup-vault-name", "main", "--recovery-point-arn", s3_rp)
    fails(server, "operator", "ResourceNotFoundException", "describe-recovery-point",
          "--backup-vault-name", "main", "--recovery-point-arn", s3_rp)

    # A vault with recovery points cannot be deleted.
    fails(server, "operator", "InvalidRequestException", "delete-backup-vault", "--backup-vault-name", "main")

    # Copy into another vault with tags merged: the recovery point's tags win over the
    # source resource's.
    dest = ok(server, "operator", "create-backup-vault", "--backup-vault-name", "copies")["BackupVaultArn"]
    copy = ok(server, "operator", "start-copy-job", "--recovery-point-arn", rp_of[VOLUME],
              "--source-backup-vault-name", "main", "--destination-backup-vault-arn", dest,
              "--iam-role-arn", f"arn:aws:iam::{ACCT}:role/service-role/AWSBackupDefaultServiceRole")
    cj = ok(server, "operator", "describe-copy-job", "--copy-job-id", copy["CopyJobId"])["CopyJob"]
    assert cj["State"] == "COMPLETED", cj
    copied = cj["DestinationRecoveryPointArn"]
    assert re.match(r"^arn:aws:ec2:us-east-1::snapshot/snap-[0-9a-f]{17}$", copied), copied
    assert ok(server, "operator", "list-tags", "--resource-arn", copied)["Tags"] == tags

    # The 50-tag failure on backup: 45 source tags + 10 job tags.
    job = ok(server, "operator", "start-backup-job", "--backup-vault-name", "main",
             "--resource-arn", BUSY_TABLE, "--iam-role-arn", f"arn:aws:iam::{ACCT}:role/r",
             "--recovery-point-tags", json.dumps({f"j{i}": "x" for i in range(10)}))
    d = ok(server, "operator", "describe-backup-job", "--backup-job-id", job["BackupJobId"])
    assert d["State"] == "FAILED" and "more than 50 tags" in d["StatusMessage"], d
    failed = ok(server, "operator", "list-backup-jobs", "--by-state", "FAILED")["BackupJobs"]
    assert [j["BackupJobId"] for j in failed] == [job["BackupJobId"]], failed

    # boto3: the same service through the Python SDK, including tagging a recovery point
    # up to 30 tags.
    b = boto(server, "operator")
    efs_rp = rp_of[COPY_SOURCE]
    b.tag_resource(ResourceArn=efs_rp, Tags={f"t{i}": "x" for i in range(29)})
    assert len(b.list_tags(ResourceArn=efs_rp)["Tags"]) == 30  # 29 + the source's `app`
    try:
        b.tag_resource(ResourceArn=efs_rp, Tags={f"u{i}": "x" for i in range(21)})
        raise AssertionError("51 tags were accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "LimitExceededException", e.response

    # Restart with the EFS file system now carrying 25 more tags: the data survived, and a
    # copy that merges them with the recovery point's 30 fails with AWS's message.
    server.stop()
    server.start(config({"app": "files", **{f"s{i}": "y" for i in range(25)}}))
    b = boto(server, "operator")
    assert len(b.list_recovery_points_by_backup_vault(BackupVaultName="main")["RecoveryPoints"]) == len(resources) - 1
    cj = b.start_copy_job(RecoveryPointArn=efs_rp, SourceBackupVaultName="main",
                          DestinationBackupVaultArn=dest, IamRoleArn=f"arn:aws:iam::{ACCT}:role/r")
    d = b.describe_copy_job(CopyJobId=cj["CopyJobId"])["CopyJob"]
    assert d["State"] == "FAILED" and "more than 50 tags" in d["StatusMessage"], d

    # Cross-account: only CopyIntoBackupVault crosses accounts, whatever the policy says.
    open_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": ["backup:DescribeBackupVault", "backup:CopyIntoBackupVault"], "Resource": "*"}]}
    b.put_backup_vault_access_policy(BackupVaultName="copies", Policy=json.dumps(open_policy))
    p = boto(server, "partner")
    try:
        p.describe_backup_vault(BackupVaultName="copies", BackupVaultAccountId=ACCT)
        raise AssertionError("a cross-account describe was allowed")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDeniedException", e.response

    # Vault Lock: rules checked at put time; retention outside the range fails the job.
    fails(server, "operator", "InvalidParameterValueException", "put-backup-vault-lock-configuration",
          "--backup-vault-name", "copies", "--min-retention-days", "30", "--max-retention-days", "7")
    fails(server, "operator", "InvalidParameterValueException", "put-backup-vault-lock-configuration",
          "--backup-vault-name", "copies", "--changeable-for-days", "1")
    ok(server, "operator", "put-backup-vault-lock-configuration", "--backup-vault-name", "copies",
       "--min-retention-days", "7", "--max-retention-days", "30", "--changeable-for-days", "3")
    desc = b.describe_backup_vault(BackupVaultName="copies")
    assert desc["Locked"] and desc["MinRetentionDays"] == 7 and "LockDate" in desc, desc
    job = b.start_backup_job(BackupVaultName="copies", ResourceArn=VOLUME,
                             IamRoleArn=f"arn:aws:iam::{ACCT}:role/r", Lifecycle={"DeleteAfterDays": 365})
    d = b.describe_backup_job(BackupJobId=job["BackupJobId"])
    assert d["State"] == "FAILED" and "Vault lock" in d["StatusMessage"], d
    # Within the grace time the lock can still be removed.
    ok(server, "operator", "delete-backup-vault-lock-configuration", "--backup-vault-name", "copies")

    # Lifecycle rules: cold storage needs 90 more days before deletion.
    try:
        b.update_recovery_point_lifecycle(BackupVaultName="main", RecoveryPointArn=efs_rp,
                                          Lifecycle={"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 60})
        raise AssertionError("a 30-day cold storage before a 60-day deletion was accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidParameterValueException", e.response
    out = b.update_recovery_point_lifecycle(BackupVaultName="main", RecoveryPointArn=efs_rp,
                                            Lifecycle={"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120})
    assert "DeleteAt" in out["CalculatedLifecycle"], out

    # Restore.
    r = b.start_restore_job(RecoveryPointArn=efs_rp, Metadata={"file-system-id": "fs-0123"},
                            IamRoleArn=f"arn:aws:iam::{ACCT}:role/r")
    assert b.describe_restore_job(RestoreJobId=r["RestoreJobId"])["Status"] == "COMPLETED"

    # STS AssumeRole: the operator may assume BackupAdmin (its trust policy names the user);
    # as the session `vaultward` it may delete, as any other session name it may not: the
    # vault policy's NotPrincipal names that one session (NotPrincipal's chain rule).
    rds_rp = rp_of[f"arn:aws:rds:{REGION}:{ACCT}:db:orders"]
    rds_rp2 = rp_of[f"arn:aws:rds:{REGION}:{ACCT}:cluster:ledger"]
    for session, allowed in [("other", False), ("vaultward", True)]:
        rc, out, err = cli(server, "operator", "assume-role", "--role-arn", ADMIN_ROLE,
                           "--role-session-name", session, service="sts")
        assert rc == 0, err
        c = out["Credentials"]
        assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCT}:assumed-role/BackupAdmin/{session}", out
        sess = boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                             aws_session_token=c["SessionToken"], region_name=REGION)
        who = sess.client("sts", endpoint_url=server.url).get_caller_identity()
        assert who["Arn"] == out["AssumedRoleUser"]["Arn"], who
        admin = sess.client("backup", endpoint_url=server.url)
        try:
            admin.delete_recovery_point(BackupVaultName="main", RecoveryPointArn=rds_rp)
            assert allowed, f"session {session} deleted a recovery point"
        except botocore.exceptions.ClientError as e:
            assert not allowed and e.response["Error"]["Code"] == "AccessDeniedException", e.response
    rc, _, err = cli(server, "partner", "assume-role", "--role-arn", ADMIN_ROLE,
                     "--role-session-name", "vaultward", service="sts")
    assert rc != 0 and "AccessDenied" in err, err
    # A session token that does not match is refused.
    forged = boto3.client("backup", endpoint_url=server.url, region_name=REGION,
                          aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                          aws_session_token="forged")
    try:
        forged.delete_recovery_point(BackupVaultName="main", RecoveryPointArn=rds_rp2)
        raise AssertionError("a forged session token was accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "UnrecognizedClientException", e.response

    # Unsigned and badly signed requests are refused.
    import urllib.request
    try:
        urllib.request.urlopen(f"{server.url}/backup-vaults/", timeout=10)
        raise AssertionError("an unsigned request was served")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and e.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    bad = boto3.client("backup", endpoint_url=server.url, region_name=REGION,
                       aws_access_key_id=KEYS["operator"][0], aws_secret_access_key="not-the-secret")
    try:
        bad.list_backup_vaults()
        raise AssertionError("a badly signed request was served")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidSignatureException", e.response
    unknown = boto3.client("backup", endpoint_url=server.url, region_name=REGION,
                           aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x")
    try:
        unknown.list_backup_vaults()
        raise AssertionError("an unknown key was served")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "UnrecognizedClientException", e.response


# --- Issue 26: the outside tester's retention scenarios, on a clock the test moves. ---

ROLE = f"arn:aws:iam::{ACCT}:role/service-role/AWSBackupDefaultServiceRole"
FILES = f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:file-system/fs-0123"
ORDERS = f"arn:aws:rds:{REGION}:{ACCT}:db:orders"


def backup_point(server, vault, resource, lifecycle, who="operator"):
    args = ["start-backup-job", "--backup-vault-name", vault, "--resource-arn", resource,
            "--iam-role-arn", ROLE]
    if lifecycle:
        args += ["--lifecycle", lifecycle]
    job = ok(server, who, *args)
    d = ok(server, who, "describe-backup-job", "--backup-job-id", job["BackupJobId"])
    assert d["State"] == "COMPLETED", d
    return job["RecoveryPointArn"]


def point_args(vault, rp):
    return ["--backup-vault-name", vault, "--recovery-point-arn", rp]


def until_swept(server, vault, rp):
    """Waits for the sweeper (every second) to delete `rp`; bounded so a broken sweeper
    fails instead of hanging."""
    for _ in range(60):
        rc, _, err = cli(server, "operator", "describe-recovery-point", *point_args(vault, rp))
        if rc != 0 and "ResourceNotFoundException" in err:
            return
        time.sleep(0.5)
    raise AssertionError(f"{rp} was not expired by the sweeper")


def retention(server):
    """Vault Lock (https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html):
    "If any user (including the root user) attempts to delete a backup or change the lifecycle
    properties in a locked vault, AWS Backup will deny the operation"; lifecycles
    (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html): "AWS Backup
    transitions and expires backups automatically"; the cold-storage rules; authorize before
    look; iam:PassedToService on the role passed to jobs."""
    # 1. A compliance lock (minimum 7 days, 3 days' grace), a point stored before it and
    # points backed up after it.
    ok(server, "operator", "create-backup-vault", "--backup-vault-name", "locked")
    before = backup_point(server, "locked", VOLUME, "DeleteAfterDays=365")
    forever = backup_point(server, "locked", FILES, None)
    ok(server, "operator", "put-backup-vault-lock-configuration", "--backup-vault-name", "locked",
       "--min-retention-days", "7", "--max-retention-days", "400", "--changeable-for-days", "3")
    kept = backup_point(server, "locked", ORDERS, "DeleteAfterDays=365")
    short = backup_point(server, "locked", f"arn:aws:ec2:{REGION}:{ACCT}:volume/vol-short",
                         "DeleteAfterDays=8")
    cold = backup_point(server, "locked", f"arn:aws:ec2:{REGION}:{ACCT}:volume/vol-cold",
                        "MoveToColdStorageAfterDays=1,DeleteAfterDays=95")
    # 2. Ten days on: past the grace time and the lock's minimum, within the retention.
    server.move_clock(10)
    for who in ["operator", "admin", "root"]:
        for rp in [before, forever, kept]:
            fails(server, who, "InvalidRequestException", "delete-recovery-point", *point_args("locked", rp))
        for days in ["7", "11"]:
            fails(server, who, "InvalidRequestException", "update-recovery-point-lifecycle",
                  *point_args("locked", before), "--lifecycle", f"DeleteAfterDays={days}")
        fails(server, who, "InvalidRequestException", "update-recovery-point-lifecycle",
              *point_args("locked", kept), "--lifecycle", "DeleteAfterDays=401")
        fails(server, who, "InvalidRequestException", "delete-backup-vault", "--backup-vault-name", "locked")
        fails(server, who, "InvalidRequestException", "delete-backup-vault-lock-configuration",
              "--backup-vault-name", "locked")
    out = ok(server, "operator", "update-recovery-point-lifecycle", *point_args("locked", kept),
             "--lifecycle", "DeleteAfterDays=380")
    assert out["Lifecycle"]["DeleteAfterDays"] == 380, out
    # 3. Expiry: the 8-day point is gone, and cannot be restored; the cold one moved.
    until_swept(server, "locked", short)
    fails(server, "operator", "ResourceNotFoundException", "start-restore-job", "--recovery-point-arn", short,
          "--iam-role-arn", ROLE, "--metadata", "volumeId=vol-short")
    d = ok(server, "operator", "describe-recovery-point", *point_args("locked", cold))
    assert d["StorageClass"] == "COLD", d
    for rp in [before, forever, kept]:
        ok(server, "operator", "describe-recovery-point", *point_args("locked", rp))
    # 4. Locks with only a maximum and with no settings at all (governance mode): the points
    # stay; the admin, allowed backup:DeleteBackupVaultLockConfiguration, removes the lock,
    # and then they may go.
    for vault, lock in [("max-only", ["--max-retention-days", "400"]), ("no-settings", [])]:
        ok(server, "operator", "create-backup-vault", "--backup-vault-name", vault)
        rp = backup_point(server, vault, VOLUME, None)
        ok(server, "operator", "put-backup-vault-lock-configuration", "--backup-vault-name", vault, *lock)
        for who in ["operator", "admin", "root"]:
            fails(server, who, "InvalidRequestException", "delete-recovery-point", *point_args(vault, rp))
            fails(server, who, "InvalidRequestException", "update-recovery-point-lifecycle",
                  *point_args(vault, rp), "--lifecycle", "DeleteAfterDays=30")
        ok(server, "admin", "delete-backup-vault-lock-configuration", "--backup-vault-name", vault)
        ok(server, "operator", "delete-recovery-point", *point_args(vault, rp))
    # 5. The cold-storage rules on every request that sets a lifecycle; -1 taken.
    fails(server, "operator", "InvalidParameterValueException", "start-backup-job", "--backup-vault-name",
          "locked", "--resource-arn", ORDERS, "--iam-role-arn", ROLE,
          "--lifecycle", "MoveToColdStorageAfterDays=30,DeleteAfterDays=365")
    fails(server, "operator", "InvalidParameterValueException", "update-recovery-point-lifecycle",
          *point_args("locked", kept), "--lifecycle", "MoveToColdStorageAfterDays=30,DeleteAfterDays=380")
    fails(server, "operator", "InvalidParameterValueException", "update-recovery-point-lifecycle",
          *point_args("locked", forever), "--lifecycle", "MoveToColdStorageAfterDays=30,DeleteAfterDays=119")
    ok(server, "operator", "create-backup-vault", "--backup-vault-name", "plain")
    job = ok(server, "operator", "start-backup-job", "--backup-vault-name", "plain", "--resource-arn", ORDERS,
             "--iam-role-arn", ROLE, "--lifecycle", "MoveToColdStorageAfterDays=-1,DeleteAfterDays=-1")
    d = ok(server, "operator", "describe-recovery-point", *point_args("plain", job["RecoveryPointArn"]))
    assert not d.get("CalculatedLifecycle"), d
    # 6. Another account's recovery point: the same answer whether it exists or not.
    ok(server, "partner", "create-backup-vault", "--backup-vault-name", "secret-vault")
    secret = ok(server, "partner", "start-backup-job", "--backup-vault-name", "secret-vault",
                "--resource-arn", f"arn:aws:elasticfilesystem:{REGION}:{OTHER}:file-system/fs-9",
                "--iam-role-arn", f"arn:aws:iam::{OTHER}:role/r")["RecoveryPointArn"]

    def probe():
        answers = []
        for args in [["describe-recovery-point", *point_args("secret-vault", secret),
                      "--backup-vault-account-id", OTHER],
                     ["describe-backup-vault", "--backup-vault-name", "secret-vault",
                      "--backup-vault-account-id", OTHER],
                     ["list-tags", "--resource-arn", secret],
                     ["start-restore-job", "--recovery-point-arn", secret, "--iam-role-arn", ROLE,
                      "--metadata", "file-system-id=fs-9"]]:
            rc, _, err = cli(server, "operator", *args)
            assert rc != 0, args
            answers.append(err.strip())
        return answers
    existing = probe()
    ok(server, "partner", "delete-recovery-point", *point_args("secret-vault", secret))
    ok(server, "partner", "delete-backup-vault", "--backup-vault-name", "secret-vault")
    assert probe() == existing, (existing, probe())
    assert all("(AccessDeniedException)" in a for a in existing), existing
    # 7. iam:PassedToService: AWS's recommended Allow lets a backup pass its role; a Deny on
    # passing roles to backup.amazonaws.com stops it.
    backup_point(server, "plain", VOLUME, None, who="passer")
    fails(server, "nopass", "AccessDeniedException", "start-backup-job", "--backup-vault-name", "plain",
          "--resource-arn", VOLUME, "--iam-role-arn", ROLE)
    fails(server, "nopass", "AccessDeniedException", "start-restore-job", "--recovery-point-arn", kept,
          "--iam-role-arn", ROLE, "--metadata", "dbInstanceIdentifier=orders-restored")


# --- Attacks of issue 13, as raw HTTP where the CLI cannot express them. ---

def sign(server, who, method, path, body=b"", headers=None, service="backup", region=REGION):
    """The headers botocore's SigV4 signer puts on a request (what the AWS CLI sends)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=server.url + path, data=body, headers=dict(headers or {}))
    SigV4Auth(Credentials(*KEYS[who]), service, region).add_auth(req)
    out = dict(req.headers.items())
    out.setdefault("Host", server.url.split("://", 1)[1])  # signed by botocore, sent by the HTTP client
    return out


def raw(server, method, path, headers, body=b""):
    """Sends exactly these headers (bytes allowed) and body; returns (status, error type, body)."""
    import http.client
    import urllib.parse
    u = urllib.parse.urlparse(server.url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers:
        c.putheader(k, v)
    if not any(k.lower() == "content-length" for k, _ in headers):
        c.putheader("Content-Length", str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("x-amzn-ErrorType"), data


def signed_call(server, who, method, path, body=b"", **kw):
    h = sign(server, who, method, path, body, **kw)
    return raw(server, method, path, list(h.items()), body)


def attacks(server):
    import hashlib
    ok(server, "operator", "create-backup-vault", "--backup-vault-name", "raw")
    mine = {"Version": "2012-10-17", "Statement": [{"Sid": "Mine", "Effect": "Deny", "Principal": "*",
                                                   "Action": "backup:DeleteBackupVault", "Resource": "*"}]}
    theirs = {"Version": "2012-10-17", "Statement": [{"Sid": "Attacker", "Effect": "Allow",
                                                     "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                                                     "Action": "backup:CopyIntoBackupVault", "Resource": "*"}]}
    body_a = json.dumps({"Policy": json.dumps(mine)}).encode()
    body_b = json.dumps({"Policy": json.dumps(theirs)}).encode()
    path = "/backup-vaults/raw/access-policy"
    # The raw signer works: the genuine request is applied.
    status, err, data = signed_call(server, "operator", "PUT", path, body_a)
    assert status == 200, (status, err, data)

    def policy_now():
        return json.loads(ok(server, "operator", "get-backup-vault-access-policy",
                             "--backup-vault-name", "raw")["Policy"])

    # 1. Body swap under a valid signature, with the original hash in an unsigned header.
    h = sign(server, "operator", "PUT", path, body_a)
    h["X-Amz-Content-SHA256"] = hashlib.sha256(body_a).hexdigest()
    status, err, _ = raw(server, "PUT", path, list(h.items()), body_b)
    assert status == 403 and err == "InvalidSignatureException", (status, err)
    # ... without the header: the server hashes the body itself.
    h = sign(server, "operator", "PUT", path, body_a)
    status, err, _ = raw(server, "PUT", path, list(h.items()), body_b)
    assert status == 403 and err == "InvalidSignatureException", (status, err)
    # ... with the header signed: the claim must be the body's hash.
    h = sign(server, "operator", "PUT", path, body_a,
             headers={"X-Amz-Content-SHA256": hashlib.sha256(body_a).hexdigest()})
    status, err, _ = raw(server, "PUT", path, list(h.items()), body_b)
    assert status == 403 and err == "InvalidSignatureException", (status, err)
    assert policy_now() == mine
    # UNSIGNED-PAYLOAD is for S3 only.
    h = sign(server, "operator", "PUT", path, body_b, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    status, err, _ = raw(server, "PUT", path, list(h.items()), body_b)
    assert status == 403, (status, err)
    assert policy_now() == mine

    # 2. A multi-byte character in X-Amz-Date: refused, no panic, the server goes on.
    h = sign(server, "operator", "GET", "/backup-vaults/")
    for bad in ["20260101\u00e9000000Z".encode("utf-8"), b"2026010\xff\xfe00000Z", "\u00e9".encode() * 8]:
        hh = [(k, bad if k.lower() == "x-amz-date" else v) for k, v in h.items()]
        status, err, _ = raw(server, "GET", "/backup-vaults/", hh)
        assert status == 403, (status, err)
    assert signed_call(server, "operator", "GET", "/backup-vaults/")[0] == 200

    # 3. Poison records are refused, and the listings still work after the attempts.
    role = f"arn:aws:iam::{ACCT}:role/r"
    for bad in [
        {"Lifecycle": "x"}, {"Lifecycle": [1]},
        {"Lifecycle": {"MoveToColdStorageAfterDays": 2**63 - 1, "DeleteAfterDays": 1}},
        {"Lifecycle": {"DeleteAfterDays": "35"}}, {"Lifecycle": {"Nonsense": 1}},
    ]:
        body = json.dumps({"BackupVaultName": "raw", "ResourceArn": VOLUME, "IamRoleArn": role, **bad}).encode()
        status, err, data = signed_call(server, "operator", "PUT", "/backup-jobs", body)
        assert status == 400 and err == "InvalidParameterValueException", (bad, status, err, data)
    for body in [b"[]", b'"x"', b"null", b"123"]:
        status, err, _ = signed_call(server, "operator", "PUT", "/backup-jobs", body)
        assert status == 400 and err == "SerializationException", (body, status, err)
    for key in [5, "not-an-arn", "arn:aws:s3:::bucket"]:
        body = json.dumps({"EncryptionKeyArn": key}).encode()
        status, err, _ = signed_call(server, "operator", "PUT", "/backup-vaults/poisoned", body)
        assert status == 400 and err == "InvalidParameterValueException", (key, status, err)
    ok(server, "operator", "list-backup-jobs")
    ok(server, "operator", "list-recovery-points-by-backup-vault", "--backup-vault-name", "main")

    # 7. Credential scope: another service or region is refused.
    for service, region in [("execute-api", "eu-west-1"), ("backup", "eu-west-1"), ("s3", REGION)]:
        status, err, _ = signed_call(server, "operator", "GET", "/backup-vaults/", service=service, region=region)
        assert status == 403 and err == "InvalidSignatureException", (service, region, status, err)

    # 11. STS answers with STS's error codes.
    for key, secret, code in [(KEYS["operator"][0], "wrong", "SignatureDoesNotMatch"),
                              ("AKIAUNKNOWN000000000", "x", "InvalidClientTokenId")]:
        try:
            boto3.client("sts", endpoint_url=server.url, region_name=REGION, aws_access_key_id=key,
                         aws_secret_access_key=secret).get_caller_identity()
            raise AssertionError("a bad STS call was served")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == code, e.response

    # 11. Two Authorization headers; a session token on a long-term key; a signed header
    # that is not sent.
    h = sign(server, "operator", "GET", "/backup-vaults/")
    status, err, _ = raw(server, "GET", "/backup-vaults/", list(h.items()) + [("Authorization", h["Authorization"])])
    assert status == 403, (status, err)
    h = sign(server, "operator", "GET", "/backup-vaults/", headers={"X-Amz-Security-Token": "garbage"})
    status, err, _ = raw(server, "GET", "/backup-vaults/", list(h.items()))
    assert status == 403 and err == "UnrecognizedClientException", (status, err)
    h = sign(server, "operator", "GET", "/backup-vaults/", headers={"X-Extra": "1"})
    status, err, _ = raw(server, "GET", "/backup-vaults/", [(k, v) for k, v in h.items() if k != "X-Extra"])
    assert status == 403, (status, err)

    # 8. Vault-policy Denies on every condition key the service fills apply (address, tags,
    # region, time, transport, user id, user agent, organization).
    ok(server, "operator", "create-backup-vault", "--backup-vault-name", "guarded",
       "--backup-vault-tags", "env=locked")
    for condition in [{"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
                      {"StringEquals": {"aws:ResourceTag/env": "locked"}},
                      {"StringEquals": {"aws:RequestedRegion": REGION}},
                      {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
                      {"NumericGreaterThan": {"aws:EpochTime": "1577836800"}},
                      {"Bool": {"aws:SecureTransport": "false"}},
                      {"StringLike": {"aws:userid": "AIDA*"}},
                      {"StringLike": {"aws:UserAgent": "aws-cli/*"}},
                      {"StringEquals": {"aws:PrincipalOrgID": ORG}},
                      {"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": f"{ORG}/r-ab12/*"}}]:
        guard = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                        "Action": "backup:DescribeBackupVault",
                                                        "Resource": "*", "Condition": condition}]}
        ok(server, "operator", "put-backup-vault-access-policy", "--backup-vault-name", "guarded",
           "--policy", json.dumps(guard))
        fails(server, "operator", "AccessDeniedException", "describe-backup-vault", "--backup-vault-name", "guarded")
    # The same Deny for another network does not apply.
    other_net = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                        "Action": "backup:DescribeBackupVault", "Resource": "*",
                                                        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    ok(server, "operator", "put-backup-vault-access-policy", "--backup-vault-name", "guarded",
       "--policy", json.dumps(other_net))
    ok(server, "operator", "describe-backup-vault", "--backup-vault-name", "guarded")
    # The request's own keys: a Deny on removing the `env` tag (`aws:TagKeys`) holds, while
    # other tags come and go.
    keep_env = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                       "Action": "backup:UntagResource", "Resource": "*",
                                                       "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}}]}
    ok(server, "operator", "put-backup-vault-access-policy", "--backup-vault-name", "guarded",
       "--policy", json.dumps(keep_env))
    guarded = f"arn:aws:backup:{REGION}:{ACCT}:backup-vault:guarded"
    fails(server, "operator", "AccessDeniedException", "untag-resource", "--resource-arn", guarded,
          "--tag-key-list", "env")
    ok(server, "operator", "tag-resource", "--resource-arn", guarded, "--tags", "cost=1")
    ok(server, "operator", "untag-resource", "--resource-arn", guarded, "--tag-key-list", "cost")
    sessions(server)
    # 11. A second server on the same data directory is refused.
    second = subprocess.run(
        [server.binary, "serve", "--config", os.path.join(server.workdir, "identities.json"),
         "--data-dir", os.path.join(server.workdir, "data"), "--listen", "127.0.0.1:0"],
        capture_output=True, text=True, timeout=30)
    assert second.returncode == 2 and "in use by another" in second.stderr, (second.returncode, second.stderr)
    # 6. A backup job never reaches another account's resource (nor its tags).
    p = boto(server, "partner")
    p.create_backup_vault(BackupVaultName="partner-vault")
    for res in [VOLUME, COPY_SOURCE]:
        try:
            p.start_backup_job(BackupVaultName="partner-vault", ResourceArn=res,
                               IamRoleArn=f"arn:aws:iam::{OTHER}:role/r")
            raise AssertionError(f"account {OTHER} backed up {res}")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
    assert p.list_recovery_points_by_backup_vault(BackupVaultName="partner-vault")["RecoveryPoints"] == []
    # 11. Whether another account's vault exists does not leak: AccessDenied either way.
    for name in ["main", "no-such-vault"]:
        try:
            p.describe_backup_vault(BackupVaultName=name, BackupVaultAccountId=ACCT)
            raise AssertionError("a cross-account describe was allowed")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDeniedException", (name, e.response)
    who = boto(server, "operator")
    caller = boto3.client("sts", endpoint_url=server.url, region_name=REGION,
                          aws_access_key_id=KEYS["operator"][0],
                          aws_secret_access_key=KEYS["operator"][1]).get_caller_identity()
    assert caller["UserId"].startswith("AIDA") and caller["UserId"] != caller["Arn"], caller
    del who


def sessions(server):
    """5. AssumeRole's session policy, session tags, source identity, external id and
    durations are enforced, not ignored."""
    sts = boto3.client("sts", endpoint_url=server.url, region_name=REGION,
                       aws_access_key_id=KEYS["operator"][0], aws_secret_access_key=KEYS["operator"][1])

    def session_client(c):
        return boto3.client("backup", endpoint_url=server.url, region_name=REGION,
                            aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                            aws_session_token=c["SessionToken"])

    def refused(code, **kw):
        try:
            sts.assume_role(RoleArn=ADMIN_ROLE, RoleSessionName="s1", **kw)
            raise AssertionError(f"AssumeRole accepted {kw}")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == code, (kw, e.response)

    deny_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    c = sts.assume_role(RoleArn=ADMIN_ROLE, RoleSessionName="s1", Policy=json.dumps(deny_all))["Credentials"]
    b = session_client(c)
    try:
        b.create_backup_vault(BackupVaultName="session-denied")
        raise AssertionError("a session whose session policy denies everything wrote")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
    # A session policy limits to its intersection with the role's policies.
    only_list = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "backup:ListBackupVaults", "Resource": "*"}]}
    c = sts.assume_role(RoleArn=ADMIN_ROLE, RoleSessionName="s2", Policy=json.dumps(only_list))["Credentials"]
    b = session_client(c)
    b.list_backup_vaults()
    try:
        b.describe_backup_vault(BackupVaultName="main")
        raise AssertionError("a session policy allowing only listing let describe through")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
    # What the service cannot honour is refused, not ignored.
    refused("ValidationError", PolicyArns=[{"arn": f"arn:aws:iam::{ACCT}:policy/Limits"}])
    refused("MalformedPolicyDocument", Policy="{not json")
    refused("ValidationError", DurationSeconds=7200)  # over the role's 1-hour maximum
    # The trust policy does not allow sts:TagSession or sts:SetSourceIdentity.
    refused("AccessDenied", Tags=[{"Key": "team", "Value": "x"}])
    refused("AccessDenied", SourceIdentity="alice")
    # Role chaining is capped at one hour.
    c = sts.assume_role(RoleArn=ADMIN_ROLE, RoleSessionName="s3")["Credentials"]
    chained = boto3.client("sts", endpoint_url=server.url, region_name=REGION,
                           aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                           aws_session_token=c["SessionToken"])
    try:
        chained.assume_role(RoleArn=ADMIN_ROLE, RoleSessionName="s4", DurationSeconds=3601)
        raise AssertionError("a chained session of more than an hour was issued")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] in ("ValidationError", "AccessDenied"), e.response


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def transport_attacks(server):
    import urllib.parse
    u = urllib.parse.urlparse(server.url)

    def connect():
        s = socket.create_connection((u.hostname, u.port), timeout=10)
        return s

    # 4. Unauthenticated 1 MiB bodies are not buffered: 300 clients each send the headers
    # of a 1 MiB request and half its body; the server answers 403 without reading it,
    # and its memory stays small.
    before = rss_kb(server.proc.pid)
    held = []
    for _ in range(300):
        try:
            s = connect()
            s.sendall(b"PUT /backup-vaults/x/access-policy HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
            s.sendall(b"a" * (512 * 1024))
            held.append(s)
        except OSError:
            pass  # over the connection cap: closed, which is the point
        if len(held) >= 30:
            for h in held:
                h.close()
            held = []
    peak = rss_kb(server.proc.pid)
    for h in held:
        h.close()
    assert peak < 100 * 1024, f"RSS grew from {before} KB to {peak} KB"

    # h2c is not spoken: an HTTP/2 preface gets an HTTP/1 error or a closed connection.
    # A reset (the connection dropped, also when the cap is still full of the clients
    # above) is a closed connection too.
    time.sleep(0.5)
    s = connect()
    try:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        reply = s.recv(64)
    except (ConnectionResetError, BrokenPipeError):
        reply = b""
    s.close()
    assert reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply

    # Slow headers and idle sockets are closed after the header timeout (2 s here).
    slow = connect()
    slow.sendall(b"GET /backup-vaults/ HTTP/1.1\r\nHost: x\r\n")
    idle = connect()
    time.sleep(3.5)
    for s in (slow, idle):
        try:
            data = s.recv(1024)
            assert data == b"" or data.startswith(b"HTTP/1.1 408"), data
        except ConnectionResetError:
            pass
        s.close()

    # A slow body is cut off after the body timeout.
    h = sign(server, "operator", "PUT", "/backup-vaults/slow", b"{}")
    s = connect()
    head = f"PUT /backup-vaults/slow HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "Content-Length: 2\r\n\r\n"
    s.sendall(head.encode() + b"{")
    time.sleep(3.5)
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    s.close()
    assert data.startswith(b"HTTP/1.1 408") or data == b"", data

    # The connection cap: beyond 40 open connections, new ones are closed at once, and
    # the service answers again once they go.
    conns = [connect() for _ in range(60)]
    time.sleep(0.5)
    closed = 0
    for c in conns[40:]:
        c.settimeout(1)
        try:
            if c.recv(1) == b"":
                closed += 1
        except (ConnectionResetError, socket.timeout):
            closed += 1 if isinstance(sys.exc_info()[1], ConnectionResetError) else 0
    for c in conns:
        c.close()
    assert closed >= 15, closed
    time.sleep(0.5)
    assert signed_call(server, "operator", "GET", "/backup-vaults/")[0] == 200


def crash_consistency(binary, cycles=15, writers=4):
    """kill -9 while writers create vaults with tags and delete some: after each restart every
    acknowledged create is there with all its tags, every acknowledged delete is gone, and no
    vault is left without the tags it was created with (a vault and its tags are written in one
    transaction; before, 7 of 40 kills left an untagged vault)."""
    import random
    import threading
    workdir = tempfile.mkdtemp(prefix="vaultward-e2e-crash-")
    cfg = config({"app": "files"})
    server = Server(binary, workdir, cfg)
    created, deleted, deleting = {}, set(), set()
    rng = random.Random(7)
    try:
        for cycle in range(cycles):
            stop = threading.Event()

            def writer(w):
                i = 0
                while not stop.is_set():
                    name = f"c{cycle}-w{w}-{i}"
                    i += 1
                    tags = {f"t{k}": name for k in range(5)}
                    body = json.dumps({"BackupVaultTags": tags}).encode()
                    try:
                        if signed_call(server, "operator", "PUT", f"/backup-vaults/{name}", body,
                                       headers={"Content-Type": "application/json"})[0] == 200:
                            created[name] = tags
                            if i % 3 == 0:
                                deleting.add(name)
                                if signed_call(server, "operator", "DELETE",
                                               f"/backup-vaults/{name}")[0] == 200:
                                    deleted.add(name)
                    except Exception:  # the server was killed mid-request
                        return
            threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 0.7))
            server.proc.kill()
            server.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            server.log.close()
            server.start(cfg)
            c = boto(server, "operator")
            present = {}
            for page in c.get_paginator("list_backup_vaults").paginate():
                for v in page["BackupVaultList"]:
                    present[v["BackupVaultName"]] = v["BackupVaultArn"]
            for name, arn in present.items():
                tags = c.list_tags(ResourceArn=arn)["Tags"]
                want = {f"t{k}": name for k in range(5)}
                assert tags == want, f"cycle {cycle}: vault {name} has tags {tags}, not {want}"
            for name in created:
                if name in deleted:
                    assert name not in present, f"cycle {cycle}: deleted vault {name} is back"
                elif name not in deleting:
                    assert name in present, f"cycle {cycle}: acknowledged vault {name} was lost"
        assert len(created) > 50, f"too few writes to judge: {len(created)}"
        assert "panicked" not in server.log_text()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/debug/vaultward"))
