//! `--format stackset`: the permissions file for every account of an AWS Organization,
//! as CloudFormation StackSets with service-managed permissions deploy it.
//!
//! Two stack sets, so no role is created twice: IAM (global) in one Region of each account,
//! and the event topic and rules in each selected Region. Both templates take the account
//! (and the regional one the Region) from `AWS::AccountId`/`AWS::Region`: the bundle is
//! generated for two stand-in accounts (and every Region), each stand-in replaced by
//! `${AWS::AccountId}` in an `Fn::Sub`, and the templates must come out the same, or
//! nothing is written. StackSets never deploy to the management account
//! (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html),
//! so the same two templates are also given as plain stacks for it.

use serde_json::{json, Map, Value};

use crate::bundle::generate;
use crate::output::{pretty, template, Part};
use crate::params::{ParamError, Params};

/// Where the stack sets go.
#[derive(Debug, Clone, Default)]
pub struct Organization {
    /// The OUs (or the root, `r-...`) whose accounts get the stacks, and every account
    /// that joins them later.
    pub ous: Vec<String>,
    /// The organization's id (`o-...`): the vendor's side trusts the organization by it.
    pub org_id: String,
    /// The management account, if known: its plain stacks' commands check they run there.
    pub management_account: Option<String>,
}

/// One file of the stack-set directory, relative to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    pub path: String,
    pub text: String,
    /// A script to run (`deploy.sh`).
    pub executable: bool,
}

/// Stand-in accounts for the customer's: two that are neither the vendor's nor the
/// management account's.
const STAND_INS: [&str; 4] = [
    "111111111111",
    "222222222222",
    "333333333333",
    "444444444444",
];

/// Failure tolerance and concurrency of every stack-set operation: a tenth of the
/// accounts of a Region may fail, a quarter are worked on at once, Regions in parallel.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html
const PREFERENCES: &str = "RegionConcurrencyType=PARALLEL,FailureTolerancePercentage=10,MaxConcurrentPercentage=25,ConcurrencyMode=SOFT_FAILURE_TOLERANCE";

fn err(param: &'static str, message: impl Into<String>) -> ParamError {
    ParamError {
        param,
        message: message.into(),
    }
}

fn is_ou_or_root(id: &str) -> bool {
    // Organizations API reference, OrganizationalUnitId `^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`
    // and RootId `^r-[0-9a-z]{4,32}$`.
    let ok = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    if let Some(rest) = id.strip_prefix("ou-") {
        return rest
            .split_once('-')
            .is_some_and(|(root, ou)| ok(root, 4, 32) && ok(ou, 8, 32));
    }
    id.strip_prefix("r-").is_some_and(|r| ok(r, 4, 32))
}

fn is_org_id(id: &str) -> bool {
    // Organizations API reference, Organization.Id: `^o-[a-z0-9]{10,32}$`.
    id.strip_prefix("o-").is_some_and(|r| {
        (10..=32).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

impl Organization {
    fn validate(&self, p: &Params) -> Vec<ParamError> {
        let mut errors = Vec::new();
        if self.ous.is_empty() {
            errors.push(err("ous", "name the OUs to deploy to (`ou-...`, comma-separated), or the root (`r-...`) for the whole organization: `aws organizations list-roots`"));
        }
        for ou in &self.ous {
            if !is_ou_or_root(ou) {
                errors.push(err(
                    "ous",
                    format!(
                        "`{ou}` is neither an OU id (`ou-xxxx-xxxxxxxx`) nor a root id (`r-xxxx`)"
                    ),
                ));
            }
        }
        if !is_org_id(&self.org_id) {
            errors.push(err(
                "org-id",
                format!("`{}` is not an organization id (`o-` and 10 to 32 lowercase letters or digits): `aws organizations describe-organization`", self.org_id),
            ));
        }
        if let Some(m) = &self.management_account {
            if !vaultward_iam::arn::is_account_id(m) {
                errors.push(err(
                    "management-account",
                    format!("`{m}` is not a 12-digit AWS account id"),
                ));
            } else if *m == p.vendor_account {
                errors.push(err(
                    "management-account",
                    "the vendor's account cannot be the customer's management account",
                ));
            }
        }
        errors
    }
}

/// Every string holding `account` (or `region`) becomes an `Fn::Sub` of
/// `${AWS::AccountId}` (`${AWS::Region}`); a `${` already there, a policy variable, is
/// written `${!` so that it stays literal. A key holding either cannot be substituted.
fn parametrize(v: &Value, account: &str, region: Option<&str>) -> Result<Value, String> {
    let holds = |s: &str| s.contains(account) || region.is_some_and(|r| s.contains(r));
    Ok(match v {
        Value::String(s) if s == account => json!({"Ref": "AWS::AccountId"}),
        Value::String(s) if region == Some(s.as_str()) => json!({"Ref": "AWS::Region"}),
        Value::String(s) if holds(s) => {
            let mut sub = s.replace("${", "${!").replace(account, "${AWS::AccountId}");
            if let Some(r) = region {
                sub = sub.replace(r, "${AWS::Region}");
            }
            json!({"Fn::Sub": sub})
        }
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| parametrize(x, account, region))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                if holds(k) {
                    return Err(format!("the key `{k}` names the account or Region"));
                }
                out.insert(k.clone(), parametrize(x, account, region)?);
            }
            Value::Object(out)
        }
        v => v.clone(),
    })
}

/// The template of `part` for `account` (and one `region`, for the regional part), with
/// the account and Region replaced by the pseudo parameters.
fn parametrized(
    p: &Params,
    part: Part,
    account: &str,
    region: Option<&str>,
) -> Result<Value, Vec<ParamError>> {
    let mut q = Params {
        account: account.to_string(),
        ..p.clone()
    };
    if let Some(r) = region {
        q.regions = vec![r.to_string()];
    }
    let bundle = generate(&q)?;
    parametrize(&template(&bundle, part), account, region).map_err(|e| {
        vec![err(
            "format",
            format!("the {part:?} template cannot take the account from AWS::AccountId: {e}"),
        )]
    })
}

/// The two templates, each proved the same whatever the account (and Region) it is
/// deployed in.
fn templates(p: &Params, stand_ins: [&str; 2]) -> Result<(Value, Value), Vec<ParamError>> {
    let [a, b] = stand_ins;
    let iam = parametrized(p, Part::Iam, a, None)?;
    if parametrized(p, Part::Iam, b, None)? != iam {
        return Err(vec![err("format", "the IAM template depends on the account in a way AWS::AccountId cannot express; use --format cloudformation per account")]);
    }
    let first = p.regions.first().map(String::as_str).unwrap_or("us-east-1");
    let regional = parametrized(p, Part::Regional, a, Some(first))?;
    // Every selected Region, and one more, so that a single Region is tried against another.
    let other = if first == "eu-west-1" {
        "us-east-1"
    } else {
        "eu-west-1"
    };
    for (account, region) in p
        .regions
        .iter()
        .map(|r| (a, r.as_str()))
        .chain([(b, first), (a, other)])
    {
        if parametrized(p, Part::Regional, account, Some(region))? != regional {
            return Err(vec![err("format", format!("the regional template differs in {region}; use --format cloudformation per account and Region"))]);
        }
    }
    Ok((iam, regional))
}

/// A stack set or stack name from the name token: letters, digits and `-`, starting with a letter.
fn stack_name(token: &str, part: &str) -> String {
    let clean: String = token
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let start = if clean.starts_with(|c: char| c.is_ascii_alphabetic()) {
        ""
    } else {
        "S"
    };
    format!("{start}{clean}-{part}")
}

/// The stack-set directory for `p` (its `account` is ignored: each account is its own).
pub fn stackset(p: &Params, org: &Organization) -> Result<Vec<OutFile>, Vec<ParamError>> {
    let mut errors = org.validate(p);
    let taken = [
        Some(p.vendor_account.as_str()),
        org.management_account.as_deref(),
    ];
    let mut free = STAND_INS
        .iter()
        .copied()
        .filter(|s| !taken.contains(&Some(s)));
    let (Some(a), Some(b)) = (free.next(), free.next()) else {
        return Err(vec![err("vendor-account", "no stand-in account left")]);
    };
    let checked = Params {
        account: a.to_string(),
        ..p.clone()
    }
    .validate();
    if let Err(e) = checked {
        errors.extend(e);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (iam, regional) = templates(p, [a, b])?;
    let names = Names {
        iam: stack_name(&p.name_token, "iam"),
        regional: stack_name(&p.name_token, "regional"),
    };
    let mut files = vec![
        OutFile {
            path: "iam.template.json".into(),
            text: pretty(&iam),
            executable: false,
        },
        OutFile {
            path: "regional.template.json".into(),
            text: pretty(&regional),
            executable: false,
        },
        OutFile {
            path: "deploy.sh".into(),
            text: deploy_script(p, org, &names),
            executable: true,
        },
        OutFile {
            path: "stackset.tf".into(),
            text: super::stackset_tf::terraform(p, org, &names.iam, &names.regional),
            executable: false,
        },
    ];
    files.extend(vendor_side(p, org));
    files.push(OutFile {
        path: "README.md".into(),
        text: readme(p, org, &names, &files),
        executable: false,
    });
    Ok(files)
}

pub(crate) struct Names {
    pub iam: String,
    pub regional: String,
}

/// The one Region of each account where the IAM stack is created.
pub(crate) fn home_region(p: &Params) -> &str {
    p.regions.first().map(String::as_str).unwrap_or("us-east-1")
}

fn deploy_script(p: &Params, org: &Organization, n: &Names) -> String {
    let home = home_region(p);
    let regions = p.regions.join(" ");
    let ous = org.ous.join(",");
    let management = org.management_account.as_deref().unwrap_or("");
    format!(
        r#"#!/bin/sh
# Deploys the backup service's permissions to every account of the OUs {ous} and,
# through auto-deployment, to every account that joins them later.
# Written by `vaultward permissions --format stackset`. Run it from anywhere, with the
# credentials of the organization's management account, or of a delegated administrator
# for StackSets with CALL_AS=DELEGATED_ADMIN. See README.md.
set -eu
cd "$(dirname "$0")"

CALL_AS="${{CALL_AS:-SELF}}"
# The Region where the stack sets themselves live.
ADMIN_REGION="${{ADMIN_REGION:-{home}}}"
OUS="{ous}"
PREFERENCES="{PREFERENCES}"
cfn() {{ aws cloudformation --region "$ADMIN_REGION" "$@"; }}

# Waits for a stack-set operation: stack set, operation id.
wait_for() {{
  while :; do
    status=$(cfn describe-stack-set-operation --call-as "$CALL_AS" --stack-set-name "$1" \
      --operation-id "$2" --query StackSetOperation.Status --output text)
    case "$status" in
      SUCCEEDED) return 0 ;;
      FAILED | STOPPED)
        echo "stack set $1: operation $2 ended $status; see: aws cloudformation list-stack-set-operation-results --stack-set-name $1 --operation-id $2" >&2
        return 1 ;;
    esac
    sleep 15
  done
}}

if [ "${{1:-}}" != "--management-account-only" ]; then
  # 1. IAM, once per account, in {home}.
  cfn create-stack-set --call-as "$CALL_AS" --stack-set-name {iam} \
    --description "Vaultward: the backup service's roles and policies" \
    --template-body file://iam.template.json \
    --permission-model SERVICE_MANAGED \
    --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \
    --managed-execution Active=true \
    --capabilities CAPABILITY_NAMED_IAM
  op=$(cfn create-stack-instances --call-as "$CALL_AS" --stack-set-name {iam} \
    --deployment-targets "OrganizationalUnitIds=$OUS" \
    --regions {home} \
    --operation-preferences "$PREFERENCES" \
    --query OperationId --output text)
  wait_for {iam} "$op"

  # 2. The event topic and rules, in each of {regions}; auto-deployed after the IAM stack.
  iam_arn=$(cfn describe-stack-set --call-as "$CALL_AS" --stack-set-name {iam} \
    --query StackSet.StackSetARN --output text)
  cfn create-stack-set --call-as "$CALL_AS" --stack-set-name {regional} \
    --description "Vaultward: the backup service's event topic and rules" \
    --template-body file://regional.template.json \
    --permission-model SERVICE_MANAGED \
    --auto-deployment "Enabled=true,RetainStacksOnAccountRemoval=false,DependsOn=$iam_arn" \
    --managed-execution Active=true
  op=$(cfn create-stack-instances --call-as "$CALL_AS" --stack-set-name {regional} \
    --deployment-targets "OrganizationalUnitIds=$OUS" \
    --regions {regions} \
    --operation-preferences "$PREFERENCES" \
    --query OperationId --output text)
  wait_for {regional} "$op"
fi

# 3. StackSets never deploy to the management account. To protect it too, run
#    `./deploy.sh --management-account-only` (or `PROTECT_MANAGEMENT_ACCOUNT=1 ./deploy.sh`)
#    with the management account's own credentials: the same templates, as plain stacks.
if [ "${{1:-}}" = "--management-account-only" ] || [ "${{PROTECT_MANAGEMENT_ACCOUNT:-0}}" = 1 ]; then
  caller=$(aws sts get-caller-identity --query Account --output text)
  expected="{management}"
  if [ -n "$expected" ] && [ "$caller" != "$expected" ]; then
    echo "these credentials are of account $caller, not of the management account $expected" >&2
    exit 1
  fi
  aws cloudformation deploy --region {home} --stack-name {iam} \
    --template-file iam.template.json --capabilities CAPABILITY_NAMED_IAM
  for region in {regions}; do
    aws cloudformation deploy --region "$region" --stack-name {regional} \
      --template-file regional.template.json
  done
fi
"#,
        iam = n.iam,
        regional = n.regional,
    )
}

/// What the vendor's own account writes so that one policy trusts the whole organization:
/// the control-plane role may assume the backup role in any account of it
/// (`aws:ResourceOrgID`), and, for continuous S3 backup, the vendor's event buses take
/// events from the EventBridge role of any account of it (`aws:PrincipalOrgID`).
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid
pub fn vendor_side(p: &Params, org: &Organization) -> Vec<OutFile> {
    let role = |name: &str| format!("arn:aws:iam::*:role{}{name}", p.role_path);
    let mut roles = vec![role(&p.role_name())];
    if p.support_role {
        roles.push(role(&format!("{}SupportRole", p.name_token)));
    }
    let mut files = vec![OutFile {
        path: "vendor/control-plane-policy.json".into(),
        text: pretty(&json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "AssumeTheBackupRoleInTheCustomersOrganization",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": roles,
            "Condition": {"StringEquals": {"aws:ResourceOrgID": org.org_id}}
        }]})),
        executable: false,
    }];
    if p.continuous_s3 {
        for region in &p.regions {
            files.push(OutFile {
                path: format!("vendor/event-bus-policy.{region}.json"),
                text: pretty(&json!({"Version": "2012-10-17", "Statement": [{
                    "Sid": "EventsFromTheCustomersOrganization",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "events:PutEvents",
                    "Resource": format!("arn:aws:events:{region}:{}:event-bus/default", p.vendor_account),
                    "Condition": {
                        "StringEquals": {"aws:PrincipalOrgID": org.org_id},
                        "ArnLike": {"aws:PrincipalArn": role(&format!("{}S3ContinuousBackupEventBridgeRole", p.name_token))}
                    }
                }]})),
                executable: false,
            });
        }
    }
    files
}

fn readme(p: &Params, org: &Organization, n: &Names, files: &[OutFile]) -> String {
    let home = home_region(p);
    let list: String = files.iter().map(|f| format!("- `{}`\n", f.path)).collect();
    let bus = if p.continuous_s3 {
        format!("- `vendor/event-bus-policy.REGION.json`: the resource policy of the vendor's default event bus in each of {}, taking events only from the continuous-backup EventBridge role of an account of {} (`aws:PrincipalOrgID`): `aws events put-permission --region REGION --event-bus-name default --policy file://vendor/event-bus-policy.REGION.json`, in the vendor's account.\n", p.regions.join(", "), org.org_id)
    } else {
        String::new()
    };
    format!(
        r#"# The backup service's permissions for the whole organization {org_id}

Written by `vaultward permissions --format stackset`. Files:

{list}
## What is deployed where

- **`{iam}`** (`iam.template.json`): the roles and managed policies, once in each account,
  in {home}. IAM is global, so one stack per account; a second one would fail on the
  role's name.
- **`{regional}`** (`regional.template.json`): the event topic and the EventBridge rules, in
  each account and each of {regions}. It names roles by ARN, so it never creates one, and
  its auto-deployment waits for `{iam}` (`DependsOn`).

Both take the account from `AWS::AccountId` (and the Region from `AWS::Region`): the same
template is valid in every account. Both stack sets use service-managed permissions and
auto-deployment: an account that joins {ous} gets both stacks, and an account that leaves
has them deleted (`RetainStacksOnAccountRemoval=false`).

## Deploying

Once, in the management account: trusted access for StackSets,
`aws cloudformation activate-organizations-access`. To deploy from a delegated
administrator instead, register it from the management account
(`aws organizations register-delegated-administrator --service-principal
member.org.stacksets.cloudformation.amazonaws.com --account-id ID`) and run the script
there with `CALL_AS=DELEGATED_ADMIN`.

Then `./deploy.sh`: it creates both stack sets and their instances for the OUs, one after
the other, waiting for each operation. Each operation tolerates failures in a tenth of the
accounts of a Region and works on a quarter of them at once, Regions in parallel
(`{PREFERENCES}`); change `PREFERENCES` in the script to suit.

Terraform instead: `stackset.tf` declares the same two stack sets
(`aws_cloudformation_stack_set`) and their instances
(`aws_cloudformation_stack_set_instance`), reading the two templates from this directory.

## The management account

StackSets with service-managed permissions never deploy to the management account, even
when it is in a targeted OU or the root is targeted. If its resources are to be backed up,
give it the same two templates as plain stacks, with its own credentials:
`./deploy.sh --management-account-only` (or in Terraform, `protect_management_account =
true`). Remember too that SCPs and RCPs do not apply to the management account.

## The vendor's side

One policy for the whole organization, in the vendor's account:

- `vendor/control-plane-policy.json`: the identity policy of the vendor's control-plane role
  `{control_plane}`: it may assume the backup role in any account of {org_id}
  (`aws:ResourceOrgID`), and in no account outside it. Each account's role still trusts
  only this control-plane role, with the external id.
{bus}"#,
        org_id = org.org_id,
        iam = n.iam,
        regional = n.regional,
        regions = p.regions.join(", "),
        ous = org.ous.join(", "),
        control_plane = p.control_plane_arn(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A policy variable stays literal in `Fn::Sub` as `${!...}`; the account alone is a
    /// `Ref`; a key naming the account cannot be substituted.
    /// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
    #[test]
    fn substitution_keeps_policy_variables_literal() {
        let v = json!({"Resource": "arn:aws:s3:::b-111111111111/${aws:username}/*", "Account": "111111111111", "Other": "eu-west-1"});
        assert_eq!(
            parametrize(&v, "111111111111", Some("eu-west-1")).unwrap(),
            json!({"Resource": {"Fn::Sub": "arn:aws:s3:::b-${AWS::AccountId}/${!aws:username}/*"}, "Account": {"Ref": "AWS::AccountId"}, "Other": {"Ref": "AWS::Region"}})
        );
        assert!(parametrize(&json!({"111111111111": 1}), "111111111111", None).is_err());
    }
}
