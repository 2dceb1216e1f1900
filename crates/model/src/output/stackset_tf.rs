//! `stackset.tf`: the stack sets of [`super::stackset`] in Terraform, with
//! `aws_cloudformation_stack_set` and `aws_cloudformation_stack_set_instance`, laid out as
//! `terraform fmt` leaves it. Provider 6.41 or later: `auto_deployment.depends_on_stack_sets`
//! and the per-resource `region` of the management account's stacks.

use crate::output::stackset::{home_region, Organization};
use crate::params::Params;

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The configuration; `iam` and `regional` are the stack sets' names.
pub fn terraform(p: &Params, org: &Organization, iam: &str, regional: &str) -> String {
    let home = home_region(p);
    let ous = list(&org.ous);
    let regions = list(&p.regions);
    format!(
        r#"# The backup service's permissions for every account of {ous_text}, through CloudFormation
# StackSets with service-managed permissions. Apply with the credentials of the management
# account, or of a delegated administrator for StackSets with call_as = "DELEGATED_ADMIN".
# Written by `vaultward permissions --format stackset`; see README.md.

terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 6.41"
    }}
  }}
}}

variable "call_as" {{
  description = "SELF in the management account, DELEGATED_ADMIN in a delegated administrator account"
  type        = string
  default     = "SELF"
}}

variable "protect_management_account" {{
  description = "StackSets never deploy to the management account: give it the same stacks directly"
  type        = bool
  default     = false
}}

locals {{
  organizational_unit_ids = {ous}
  regions                 = {regions}
}}

# IAM is global: once per account, in {home}.
resource "aws_cloudformation_stack_set" "iam" {{
  name             = "{iam}"
  description      = "Vaultward: the backup service's roles and policies"
  permission_model = "SERVICE_MANAGED"
  call_as          = var.call_as
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = file("${{path.module}}/iam.template.json")

  auto_deployment {{
    enabled                          = true
    retain_stacks_on_account_removal = false
  }}

  managed_execution {{
    active = true
  }}

  lifecycle {{
    ignore_changes = [administration_role_arn]
  }}
}}

resource "aws_cloudformation_stack_set_instance" "iam" {{
  stack_set_name            = aws_cloudformation_stack_set.iam.name
  call_as                   = var.call_as
  stack_set_instance_region = "{home}"

  deployment_targets {{
    organizational_unit_ids = local.organizational_unit_ids
  }}

  operation_preferences {{
    concurrency_mode             = "SOFT_FAILURE_TOLERANCE"
    failure_tolerance_percentage = 10
    max_concurrent_percentage    = 25
    region_concurrency_type      = "PARALLEL"
  }}
}}

# The event topic and rules, in each Region; auto-deployed after the IAM stack.
resource "aws_cloudformation_stack_set" "regional" {{
  name             = "{regional}"
  description      = "Vaultward: the backup service's event topic and rules"
  permission_model = "SERVICE_MANAGED"
  call_as          = var.call_as
  template_body    = file("${{path.module}}/regional.template.json")

  auto_deployment {{
    enabled                          = true
    retain_stacks_on_account_removal = false
    depends_on_stack_sets            = [aws_cloudformation_stack_set.iam.arn]
  }}

  managed_execution {{
    active = true
  }}

  lifecycle {{
    ignore_changes = [administration_role_arn]
  }}
}}

resource "aws_cloudformation_stack_set_instance" "regional" {{
  for_each = toset(local.regions)

  stack_set_name            = aws_cloudformation_stack_set.regional.name
  call_as                   = var.call_as
  stack_set_instance_region = each.value

  deployment_targets {{
    organizational_unit_ids = local.organizational_unit_ids
  }}

  operation_preferences {{
    concurrency_mode             = "SOFT_FAILURE_TOLERANCE"
    failure_tolerance_percentage = 10
    max_concurrent_percentage    = 25
  }}

  depends_on = [aws_cloudformation_stack_set_instance.iam]
}}

# The management account, when it is to be protected: plain stacks, applied with its own
# credentials.
resource "aws_cloudformation_stack" "management_iam" {{
  count = var.protect_management_account ? 1 : 0

  name          = "{iam}"
  region        = "{home}"
  capabilities  = ["CAPABILITY_NAMED_IAM"]
  template_body = file("${{path.module}}/iam.template.json")
}}

resource "aws_cloudformation_stack" "management_regional" {{
  for_each = var.protect_management_account ? toset(local.regions) : toset([])

  name          = "{regional}"
  region        = each.value
  template_body = file("${{path.module}}/regional.template.json")

  depends_on = [aws_cloudformation_stack.management_iam]
}}
"#,
        ous_text = org.ous.join(", "),
    )
}
