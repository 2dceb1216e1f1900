#!/usr/bin/env python3
"""moto (5.2.5) with AWS's refusals of sts:AssumeRole, and an organization to collect.

moto's AssumeRole accepts any role ARN, whether the role exists or not, and never reads
trust policies. `serve` runs moto's own WSGI application behind a middleware that answers
AssumeRole as AWS does before moto sees it: AccessDenied (HTTP 403, the STS query error
XML) when the role does not exist in the target account, when no Allow statement of its
trust policy names the caller (its account, the account's root, or its exact ARN) for
sts:AssumeRole, or when a statement's `sts:ExternalId` condition does not match the
request's ExternalId (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html,
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). A condition on
any other key is not evaluated and refuses (fail closed). Everything else is moto's.

`populate` builds an organization in such a server (through moto's `x-moto-account-id`
header, to act in member accounts without a role) and prints it as JSON:
the management account (moto's default, 123456789012), two OUs (`Workloads`,
`Sandbox`) with MEMBERS accounts alternating between them, SCPs at the root (AWS's
example that denies leaving the organization) and on `Sandbox` (AWS's region-restriction
example), and in every member but the last the member role (`/vaultward/
VaultwardInventoryRole` with the generated inventory policy, trusting the management
account with the external id); in the first DENIALS members and in the management
account the generated backup role and a bucket with objects; in the first DENIALS members
the seed's denials (a bucket policy that denies every request not from one VPC, and a
second bucket encrypted with a KMS key whose policy does not let IAM policies grant its
use).

Usage:
  tools/moto-org.py serve PORT
  tools/moto-org.py populate ENDPOINT MEMBERS DENIALS path/to/vaultward|- EXTERNAL_ID
"""
import io
import json
import sys
import urllib.parse
import uuid

MANAGEMENT = "123456789012"
VENDOR = "999988887777"
REGION = "us-east-1"
MEMBER_ROLE = ("/vaultward/", "VaultwardInventoryRole")


# ---------------------------------------------------------------------------------------
# serve


def denied(start_response, message):
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
    start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def caller_of(environ):
    """The caller's account and ARN, from the access key the request is signed with."""
    from moto.iam.models import get_account_id_from
    from moto.sts.models import sts_backends

    auth = environ.get("HTTP_AUTHORIZATION", "")
    key = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
    account = get_account_id_from(key)
    for acct, partitions in list(sts_backends.items()):
        role = partitions["aws"].get_assumed_role_from_access_key(key)
        if role:
            return acct, role.role_arn
    return account, f"arn:aws:iam::{account}:root"


def as_list(v):
    return v if isinstance(v, list) else [v]


def trusts(doc, caller_account, caller_arn, external_id):
    """Whether the trust policy lets the caller assume the role (see the module's doc)."""
    names = {caller_account, f"arn:aws:iam::{caller_account}:root", caller_arn}
    allowed = False
    for s in as_list(doc.get("Statement", [])):
        actions = as_list(s.get("Action", []))
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principals = s.get("Principal", {})
        aws = ["*"] if principals == "*" else as_list(principals.get("AWS", []))
        if not any(p == "*" or p in names for p in aws):
            continue
        ok = True
        for op, keys in s.get("Condition", {}).items():
            for k, v in keys.items():
                if op == "StringEquals" and k.lower() == "sts:externalid":
                    ok = ok and external_id in as_list(v)
                else:
                    ok = False
        if s.get("Effect") == "Deny" and ok:
            return False
        if s.get("Effect") == "Allow" and ok:
            allowed = True
    return allowed


class RefuseAsAws:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "/sts/aws4_request" in environ.get("HTTP_AUTHORIZATION", "") and form.get("Action") == ["AssumeRole"]:
            why = self.refusal(environ, form)
            if why:
                return denied(start_response, why)
        return self.app(environ, start_response)

    def refusal(self, environ, form):
        from moto.iam.models import iam_backends

        arn = form.get("RoleArn", [""])[0]
        external_id = form.get("ExternalId", [None])[0]
        caller_account, caller_arn = caller_of(environ)
        message = f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {arn}"
        try:
            account = arn.split(":")[4]
            role = iam_backends[account]["global"].get_role_by_arn(arn)
        except Exception:
            return message
        try:
            doc = json.loads(urllib.parse.unquote(role.assume_role_policy_document))
        except (ValueError, TypeError):
            return message
        return None if trusts(doc, caller_account, caller_arn, external_id) else message


def serve(port):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.server import MotoRequestHandler
    from werkzeug.serving import run_simple

    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, RefuseAsAws(app), threaded=True, request_handler=MotoRequestHandler)


# ---------------------------------------------------------------------------------------
# populate

# AWS's example SCPs, https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html
# ("Deny access to AWS based on the requested AWS Region", as published), and
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html#example-scp-leave-org
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
NO_LEAVING = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Action": ["organizations:LeaveOrganization"], "Resource": "*"}]}


def client(service, endpoint, account):
    import boto3

    c = boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                     aws_access_key_id="testing", aws_secret_access_key="testing")

    def header(request, **_):
        request.headers["x-moto-account-id"] = account

    c.meta.events.register("before-sign.*.*", header)
    return c


def bundle_for(vaultward, account, external_id):
    import subprocess

    if vaultward == "-":
        # No vaultward binary (the collector crate's own tests): the member role gets a
        # stand-in policy, and no backup role is deployed.
        return None

    text = subprocess.run(
        [vaultward, "permissions", "--account", account, "--vendor-account", VENDOR,
         "--external-id", external_id, "--regions", REGION, "--format", "json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(text)


def create_policy(iam, p):
    return iam.create_policy(PolicyName=p["name"], Path=p["path"],
                             PolicyDocument=json.dumps(p["document"]))["Policy"]["Arn"]


def member_role(iam, bundle, external_id):
    inventory = next(p for p in bundle["policies"] if p["name"].endswith("InventoryPolicy")) if bundle else {
        "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]}
    iam.create_role(Path=MEMBER_ROLE[0], RoleName=MEMBER_ROLE[1], AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=MEMBER_ROLE[1], PolicyName="Inventory",
                        PolicyDocument=json.dumps(inventory["document"]))


def backup_role(iam, bundle):
    if bundle is None:
        return
    role = bundle["roles"][0]
    iam.create_role(Path=role["path"], RoleName=role["name"],
                    AssumeRolePolicyDocument=json.dumps(role["trust_policy"]))
    for p in bundle["policies"]:
        iam.attach_role_policy(RoleName=role["name"], PolicyArn=create_policy(iam, p))


def bucket(endpoint, account, name, denials):
    """A bucket with three objects; with the denials, the seed's bucket policy on it and a
    second bucket encrypted with the seed's key."""
    s3 = client("s3", endpoint, account)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    for i in range(3):
        s3.put_object(Bucket=name, Key=f"data/{i}.csv", Body=b"x" * (100 * (i + 1)))
    if not denials:
        return
    # The seed's bucket policy: every request not from one VPC is denied (the collector's
    # HeadObject too, in AWS as in moto: the objects' keys are then not collected).
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Access-to-specific-VPC-only", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-12345678"}}}]}))
    # The seed's key: its policy names only an administrator, so no IAM policy can grant
    # its use (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
    kms = client("kms", endpoint, account)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AdminsOnly", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/Admin"},
        "Action": "kms:*", "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    keyed = f"keyed-{account}"
    s3.create_bucket(Bucket=keyed)
    s3.put_bucket_ownership_controls(Bucket=keyed, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_encryption(Bucket=keyed, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
    for i in range(3):
        s3.put_object(Bucket=keyed, Key=f"data/{i}.csv", Body=b"y" * (100 * (i + 1)),
                      ServerSideEncryption="aws:kms", SSEKMSKeyId=key)


def populate(endpoint, members, denials, vaultward, external_id):
    org = client("organizations", endpoint, MANAGEMENT)
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    for t in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        if not any(p["Type"] == t and p["Status"] == "ENABLED" for p in org.list_roots()["Roots"][0]["PolicyTypes"]):
            org.enable_policy_type(RootId=root, PolicyType=t)
    ous = {n: org.create_organizational_unit(ParentId=root, Name=n)["OrganizationalUnit"]["Id"]
           for n in ("Workloads", "Sandbox")}
    for name, doc, target in (("no-leaving", NO_LEAVING, root), ("eu-only", REGION_DENY, ous["Sandbox"])):
        p = org.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=json.dumps(doc))
        org.attach_policy(PolicyId=p["Policy"]["PolicySummary"]["Id"], TargetId=target)
    out = {"organization": org_id, "root": root, "management": MANAGEMENT, "ous": ous, "members": []}
    iam = client("iam", endpoint, MANAGEMENT)
    backup_role(iam, bundle_for(vaultward, MANAGEMENT, external_id))
    bucket(endpoint, MANAGEMENT, f"backups-{MANAGEMENT}", False)
    for i in range(members):
        status = org.create_account(AccountName=f"member-{i}", Email=f"member-{i}@example.com")["CreateAccountStatus"]
        acct = status["AccountId"]
        ou = "Workloads" if i % 2 == 0 else "Sandbox"
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ous[ou])
        has_member_role = i != members - 1
        iam = client("iam", endpoint, acct)
        bundle = bundle_for(vaultward, acct, external_id)
        if has_member_role:
            member_role(iam, bundle, external_id)
        with_denials = i < denials
        # The backup role everywhere but the one account without the member role and the
        # one before it (collected, but its role not deployed yet).
        has_backup_role = i < members - 2 and vaultward != "-"
        if has_backup_role:
            backup_role(iam, bundle)
        bucket(endpoint, acct, f"data-{acct}", with_denials)
        out["members"].append({"id": acct, "name": f"member-{i}", "ou": ou, "member_role": has_member_role,
                               "backup_role": has_backup_role, "denials": with_denials})
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 7 and sys.argv[1] == "populate":
        populate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        sys.exit(__doc__)
