#!/bin/sh
# Deploys the backup service's permissions to every account of the OUs ou-ab12-cdef3456,ou-ab12-99990000 and,
# through auto-deployment, to every account that joins them later.
# Written by `vaultward permissions --format stackset`. Run it from anywhere, with the
# credentials of the organization's management account, or of a delegated administrator
# for StackSets with CALL_AS=DELEGATED_ADMIN. See README.md.
set -eu
cd "$(dirname "$0")"

CALL_AS="${CALL_AS:-SELF}"
# The Region where the stack sets themselves live.
ADMIN_REGION="${ADMIN_REGION:-us-east-1}"
OUS="ou-ab12-cdef3456,ou-ab12-99990000"
PREFERENCES="RegionConcurrencyType=PARALLEL,FailureTolerancePercentage=10,MaxConcurrentPercentage=25,ConcurrencyMode=SOFT_FAILURE_TOLERANCE"
cfn() { aws cloudformation --region "$ADMIN_REGION" "$@"; }

# Waits for a stack-set operation: stack set, operation id.
wait_for() {
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
}

if [ "${1:-}" != "--management-account-only" ]; then
  # 1. IAM, once per account, in us-east-1.
  cfn create-stack-set --call-as "$CALL_AS" --stack-set-name Vaultward-iam \
    --description "Vaultward: the backup service's roles and policies" \
    --template-body file://iam.template.json \
    --permission-model SERVICE_MANAGED \
    --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \
    --managed-execution Active=true \
    --capabilities CAPABILITY_NAMED_IAM
  op=$(cfn create-stack-instances --call-as "$CALL_AS" --stack-set-name Vaultward-iam \
    --deployment-targets "OrganizationalUnitIds=$OUS" \
    --regions us-east-1 \
    --operation-preferences "$PREFERENCES" \
    --query OperationId --output text)
  wait_for Vaultward-iam "$op"

  # 2. The event topic and rules, in each of us-east-1 eu-west-1; auto-deployed after the IAM stack.
  iam_arn=$(cfn describe-stack-set --call-as "$CALL_AS" --stack-set-name Vaultward-iam \
    --query StackSet.StackSetARN --output text)
  cfn create-stack-set --call-as "$CALL_AS" --stack-set-name Vaultward-regional \
    --description "Vaultward: the backup service's event topic and rules" \
    --template-body file://regional.template.json \
    --permission-model SERVICE_MANAGED \
    --auto-deployment "Enabled=true,RetainStacksOnAccountRemoval=false,DependsOn=$iam_arn" \
    --managed-execution Active=true
  op=$(cfn create-stack-instances --call-as "$CALL_AS" --stack-set-name Vaultward-regional \
    --deployment-targets "OrganizationalUnitIds=$OUS" \
    --regions us-east-1 eu-west-1 \
    --operation-preferences "$PREFERENCES" \
    --query OperationId --output text)
  wait_for Vaultward-regional "$op"
fi

# 3. StackSets never deploy to the management account. To protect it too, run
#    `./deploy.sh --management-account-only` (or `PROTECT_MANAGEMENT_ACCOUNT=1 ./deploy.sh`)
#    with the management account's own credentials: the same templates, as plain stacks.
if [ "${1:-}" = "--management-account-only" ] || [ "${PROTECT_MANAGEMENT_ACCOUNT:-0}" = 1 ]; then
  caller=$(aws sts get-caller-identity --query Account --output text)
  expected="123412341234"
  if [ -n "$expected" ] && [ "$caller" != "$expected" ]; then
    echo "these credentials are of account $caller, not of the management account $expected" >&2
    exit 1
  fi
  aws cloudformation deploy --region us-east-1 --stack-name Vaultward-iam \
    --template-file iam.template.json --capabilities CAPABILITY_NAMED_IAM
  for region in us-east-1 eu-west-1; do
    aws cloudformation deploy --region "$region" --stack-name Vaultward-regional \
      --template-file regional.template.json
  done
fi
