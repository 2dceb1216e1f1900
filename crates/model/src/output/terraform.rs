//! Terraform (HCL) for the `aws` provider, laid out as `terraform fmt` leaves it: two-space
//! indents, `=` aligned within each run of single-line attributes, and every multi-line
//! value (a policy document as a heredoc) in a run of its own.

use serde_json::Value;

use crate::bundle::Bundle;

fn snake(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push('_');
        }
    }
    out
}

fn quote(s: &str) -> String {
    // HCL strings take JSON's escapes, plus `${` and `%{` must be doubled.
    serde_json::to_string(s)
        .unwrap_or_default()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// A heredoc holding `doc` as JSON; `${...}` is escaped unless `keep` says otherwise.
fn heredoc(doc: &Value, substitutions: &[(&str, &str)]) -> String {
    let mut json = serde_json::to_string_pretty(doc)
        .unwrap_or_default()
        .replace("${", "$${")
        .replace("%{", "%%{");
    for (from, to) in substitutions {
        json = json.replace(&format!("\"{from}\""), &format!("\"{to}\""));
    }
    let body: Vec<String> = json.lines().map(|l| format!("    {l}")).collect();
    format!("<<-EOT\n{}\n  EOT", body.join("\n"))
}

struct Block {
    header: String,
    /// Runs of attributes; each run is aligned on its own.
    runs: Vec<Vec<(String, String)>>,
}

impl Block {
    fn render(&self) -> String {
        let mut out = format!("{} {{\n", self.header);
        let mut first = true;
        for run in &self.runs {
            if run.is_empty() {
                continue;
            }
            if !first {
                out.push('\n');
            }
            first = false;
            let width = run.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            for (k, v) in run {
                out.push_str(&format!("  {k:width$} = {v}\n"));
            }
        }
        out.push_str("}\n");
        out
    }
}

/// The bundle as a Terraform configuration.
pub fn terraform(b: &Bundle) -> String {
    let mut blocks: Vec<String> = vec![
        "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \">= 5.0\"\n    }\n  }\n}\n".into(),
    ];
    iam(b, &mut blocks);
    regional(b, &mut blocks);
    blocks.push(
        "output \"backup_role_arn\" {\n  description = \"Give this ARN to the backup service\"\n  value       = aws_iam_role.backup_role.arn\n}\n".into(),
    );
    blocks.join("\n")
}

/// The roles, their policies and attachments: global, created once.
fn iam(b: &Bundle, blocks: &mut Vec<String>) {
    for p in &b.policies {
        blocks.push(
            Block {
                header: format!("resource \"aws_iam_policy\" \"{}\"", snake(&p.id)),
                runs: vec![
                    vec![
                        ("name".into(), quote(&p.name)),
                        ("path".into(), quote(&p.path)),
                        ("description".into(), quote(&p.description)),
                    ],
                    vec![("policy".into(), heredoc(&p.document, &[]))],
                ],
            }
            .render(),
        );
    }
    for r in &b.roles {
        let role = snake(&r.id);
        let mut attrs = vec![
            ("name".into(), quote(&r.name)),
            ("path".into(), quote(&r.path)),
            ("description".into(), quote(&r.description)),
            ("max_session_duration".into(), "3600".into()),
        ];
        if let Some(pb) = &r.permissions_boundary {
            attrs.push(("permissions_boundary".into(), quote(pb)));
        }
        blocks.push(
            Block {
                header: format!("resource \"aws_iam_role\" \"{role}\""),
                runs: vec![
                    attrs,
                    vec![("assume_role_policy".into(), heredoc(&r.trust_policy, &[]))],
                ],
            }
            .render(),
        );
        for m in &r.managed_policies {
            blocks.push(
                Block {
                    header: format!(
                        "resource \"aws_iam_role_policy_attachment\" \"{role}_{}\"",
                        snake(m)
                    ),
                    runs: vec![vec![
                        ("role".into(), format!("aws_iam_role.{role}.name")),
                        (
                            "policy_arn".into(),
                            format!("aws_iam_policy.{}.arn", snake(m)),
                        ),
                    ]],
                }
                .render(),
            );
        }
        for i in &r.inline_policies {
            blocks.push(
                Block {
                    header: format!("resource \"aws_iam_role_policy\" \"{}\"", snake(&i.name)),
                    runs: vec![
                        vec![
                            ("name".into(), quote(&i.name)),
                            ("role".into(), format!("aws_iam_role.{role}.id")),
                        ],
                        vec![("policy".into(), heredoc(&i.document, &[]))],
                    ],
                }
                .render(),
            );
        }
    }
}

/// Each region's topic and rules, through a provider per region when there are several.
fn regional(b: &Bundle, blocks: &mut Vec<String>) {
    // EventBridge rules and S3 notifications are regional: with several regions, a
    // provider per region, and each region's topic and rules created through it.
    let regions = &b.parameters.regions;
    let multi = regions.len() > 1;
    let provider = |region: &str| -> Vec<(String, String)> {
        if multi {
            vec![(
                "provider".into(),
                format!("aws.{}", region.replace('-', "_")),
            )]
        } else {
            Vec::new()
        }
    };
    if multi {
        for r in regions {
            blocks.push(
                Block {
                    header: "provider \"aws\"".into(),
                    runs: vec![vec![
                        ("alias".into(), quote(&r.replace('-', "_"))),
                        ("region".into(), quote(r)),
                    ]],
                }
                .render(),
            );
        }
    }
    for t in &b.topics {
        let id = snake(&t.id);
        blocks.push(
            Block {
                header: format!("resource \"aws_sns_topic\" \"{id}\""),
                runs: vec![provider(&t.region), vec![("name".into(), quote(&t.name))]]
                    .into_iter()
                    .filter(|r| !r.is_empty())
                    .collect(),
            }
            .render(),
        );
        let arn_ref = format!("${{aws_sns_topic.{id}.arn}}");
        blocks.push(
            Block {
                header: format!("resource \"aws_sns_topic_policy\" \"{id}\""),
                runs: vec![
                    provider(&t.region),
                    vec![("arn".into(), format!("aws_sns_topic.{id}.arn"))],
                    vec![("policy".into(), heredoc(&t.policy, &[(&t.arn, &arn_ref)]))],
                ]
                .into_iter()
                .filter(|r| !r.is_empty())
                .collect(),
            }
            .render(),
        );
    }
    for r in &b.rules {
        let id = snake(&r.id);
        blocks.push(
            Block {
                header: format!("resource \"aws_cloudwatch_event_rule\" \"{id}\""),
                runs: vec![
                    provider(&r.region),
                    vec![("name".into(), quote(&r.name))],
                    vec![("event_pattern".into(), heredoc(&r.event_pattern, &[]))],
                ]
                .into_iter()
                .filter(|r| !r.is_empty())
                .collect(),
            }
            .render(),
        );
        let mut attrs = provider(&r.region);
        attrs.push((
            "rule".into(),
            format!("aws_cloudwatch_event_rule.{id}.name"),
        ));
        match (&r.target_arn, &r.role) {
            (Some(arn), Some(role)) => {
                attrs.push(("target_id".into(), quote("VendorEventBus")));
                attrs.push(("arn".into(), quote(arn)));
                attrs.push((
                    "role_arn".into(),
                    format!("aws_iam_role.{}.arn", snake(role)),
                ));
            }
            _ => {
                attrs.push(("target_id".into(), quote("EventTopic")));
                attrs.push((
                    "arn".into(),
                    format!("aws_sns_topic.{}.arn", snake(&r.topic)),
                ));
            }
        }
        blocks.push(
            Block {
                header: format!("resource \"aws_cloudwatch_event_target\" \"{id}\""),
                runs: vec![attrs],
            }
            .render(),
        );
    }
}
