//! The audit in words, and as SARIF.

use serde_json::{json, Value};

use super::compute::field;
use super::methods::{Compute, How, METHODS};
use super::{Audit, PathClass, Verdict};

/// The audit in words.
pub fn render_human(a: &Audit) -> String {
    let mut out = format!(
        "audit of {}: {}\n",
        a.role,
        match a.verdict {
            Verdict::Clean => "no escalation, exposure or destruction path".to_string(),
            Verdict::Paths => format!(
                "{} path(s) open",
                a.paths.iter().filter(|p| !p.possible).count()
            ),
            Verdict::Unknown if a.paths.iter().any(|p| p.possible) => format!(
                "unknown: {} path(s) possible, depending on what the snapshot does not hold",
                a.paths.iter().filter(|p| p.possible).count()
            ),
            Verdict::Unknown => "unknown: part of the role's side could not be read".to_string(),
        }
    );
    let mut class = None;
    for p in &a.paths {
        if class != Some(p.class) {
            out.push_str(&format!(
                "\n{}: {}\n",
                p.class.name(),
                p.class.description()
            ));
            class = Some(p.class);
        }
        let possible = if p.possible { " (possible)" } else { "" };
        out.push_str(&format!("  [{}]{possible} {}\n", p.code, p.title));
        for h in &p.chain {
            out.push_str(&format!("    hop [{}]: {} -> {}\n", h.code, h.from, h.to));
        }
        for (i, s) in p.steps.iter().enumerate() {
            out.push_str(&format!(
                "    {}. {}{} on {}{} (allowed by {})\n",
                i + 1,
                s.principal
                    .as_deref()
                    .map(|r| format!("as {r}: "))
                    .unwrap_or_default(),
                s.action,
                s.resource,
                if s.context.is_empty() {
                    String::new()
                } else {
                    format!(
                        " with {}",
                        s.context
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                s.allowed_by.join("; ")
            ));
            if let Some(d) = &s.depends_on {
                out.push_str(&format!("       {d}\n"));
            }
        }
        if let Some(r) = &p.reaches {
            // The title already says what; this says whose, and what else that role opens.
            out.push_str(&format!(
                "    reaches: [{}] {} as {}{}\n",
                r.code,
                r.class.name(),
                r.role,
                if r.more > 0 {
                    format!(" (and {} more path(s) of that role)", r.more)
                } else {
                    String::new()
                }
            ));
        }
        for d in &p.depends_on {
            out.push_str(&format!("    depends on: {d}\n"));
        }
        out.push_str(&format!("    fix: {}\n", p.fix));
    }
    for u in &a.unknown {
        out.push_str(&format!("\nunknown: {u}\n"));
    }
    for n in &a.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out
}

/// The audit as SARIF 2.1.0: one rule per path class, one result per path.
///
/// `source` is the snapshot file as named, `text` its content: each result is located at the
/// audited role's entry of the snapshot (a relative URI, as GitHub code scanning wants).
pub fn sarif(a: &Audit, source: &str, text: Option<&str>) -> Value {
    let (uri, relative) = crate::check::artifact_uri(source);
    let line = text
        .and_then(|t| {
            t.find(&format!("\"{}\"", a.role))
                .map(|at| vaultward_iam::json::line_col(t, at).0)
        })
        .unwrap_or(1);
    let mut artifact = json!({"uri": uri});
    if relative {
        artifact["uriBaseId"] = json!("%SRCROOT%");
    }
    let help_uri = concat!(
        env!("CARGO_PKG_REPOSITORY"),
        "/blob/main/README.md#vaultward-audit"
    );
    let classes = PathClass::ALL;
    let rules: Vec<Value> = classes
        .iter()
        .map(|c| {
            json!({
                "id": c.name(),
                "name": crate::check::pascal_case(c.name()),
                "shortDescription": {"text": c.description()},
                "fullDescription": {"text": c.description()},
                "help": {"text": format!("{} Each result lists the requests the engine allowed and the statements that allowed them; its fix closes the first step.", c.description())},
                "helpUri": help_uri,
                "defaultConfiguration": {"level": "error"}
            })
        })
        .collect();
    let results: Vec<Value> = a
        .paths
        .iter()
        .map(|p| {
            let steps: Vec<String> = p
                .steps
                .iter()
                .map(|s| {
                    let who = s.principal.as_deref().map(|r| format!("as {r}: ")).unwrap_or_default();
                    format!("{who}{} on {} (allowed by {})", s.action, s.resource, s.allowed_by.join("; "))
                })
                .collect();
            json!({
                "ruleId": p.class.name(),
                // A path possible only for some values the snapshot lacks is a warning.
                "level": if p.possible { "warning" } else { "error" },
                "message": {"text": format!("{}. Steps: {}. Fix: {}.", p.title, steps.join("; then "), p.fix)},
                "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line}}}],
                "properties": {"code": p.code, "target": p.target, "chain": p.chain, "reaches": p.reaches, "dependsOn": p.depends_on}
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "vaultward-audit", "version": env!("CARGO_PKG_VERSION"), "informationUri": env!("CARGO_PKG_REPOSITORY"), "rules": rules}},
            "results": results
        }]
    })
}

/// The sources `docs/escalation.md` cites, with where they are and their licenses.
const SOURCES: &str = "\
- **Rhino #N**: Rhino Security Labs, \"AWS IAM Privilege Escalation – Methods and Mitigation\" \
(https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/) and the list \
it keeps at https://github.com/RhinoSecurityLabs/AWS-IAM-Privilege-Escalation (BSD-3-Clause), \
by the method's number there.
- **iam-vulnerable**: BishopFox, https://github.com/BishopFox/iam-vulnerable (BSD-3-Clause), \
one deliberately vulnerable principal per method, by its Terraform module in \
`modules/free-resources/privesc-paths/`.
- **pathfinding.cloud**: Datadog, https://pathfinding.cloud and its labs, \
https://github.com/DataDog/pathfinding-labs, by path id.
- **Hacking the Cloud**: \"AWS IAM Privilege Escalation Techniques\", \
https://hackingthe.cloud/aws/exploitation/iam_privilege_escalation/.
- **PMapper**: NCC Group, https://github.com/nccgroup/PMapper, by edge module \
(`principalmapper/graphing/<service>_edges.py`); AGPL: only its list of methods is used, \
no code.
- **Cloudsplaining**: Salesforce, https://github.com/salesforce/cloudsplaining, its \
privilege-escalation list (`docs/glossary/privilege-escalation.md`), by name.
";

fn how(h: How) -> String {
    match h {
        How::Assume => "assumes a role of the export (its trust policy decides)".into(),
        How::Pass { service } => format!("`iam:PassRole` of a role `{service}` may assume"),
        How::PassProfile => {
            "`iam:PassRole` of a role `ec2.amazonaws.com` may assume, in its instance profile"
                .into()
        }
        How::Existing(c) => format!("existing compute: the snapshot's {}", c.noun()),
        How::PassToExisting { service, compute } => format!(
            "`iam:PassRole` of a role `{service}` may assume, to the snapshot's {}",
            compute.noun()
        ),
        How::ServiceRole { service } => {
            format!("a service role of the export that `{service}` may assume")
        }
        How::Iam => "an IAM write".into(),
    }
}

/// `docs/escalation.md`, written from the method table.
pub fn escalation_markdown() -> String {
    let mut out = String::from("# Privilege-escalation methods `vaultward audit` finds\n\n");
    out.push_str("Every method the public catalogs of AWS IAM privilege escalation list, as `vaultward audit` \
models it: its code (the path's `code`), its class, how it comes to act with more, the requests it \
takes (each evaluated by the engine for the audited role) and what it reaches. A method that makes \
the role act as another role is a hop: it is reported only when that role opens a path, followed \
hop by hop. A method on existing compute the snapshot does not list is reported as possible \
(exit 3). Written from `crates/backup/src/audit/methods.rs` by `cargo test -p vaultward-backup \
--test audit_methods` (`VAULTWARD_BLESS=1` rewrites it); each method has a test with the smallest \
vulnerable role and a near miss that stays clean.\n\n");
    out.push_str("In the requests, `{region}` and `{account}` are the account's, `{role}` the role assumed, \
`{self}` the audited role, and `{target}` the existing compute's ARN as the snapshot lists it. A role \
passed to EC2 (and to what launches instances) goes in an instance profile the export lists \
(`InstanceProfileList`, whose ARN is the request's `ec2:InstanceProfile`), or, when it is in none, \
in a new one (`iam:CreateInstanceProfile`, `iam:AddRoleToInstanceProfile`).\n\n");
    out.push_str("| code | class | how | requests | reaches | sources |\n| --- | --- | --- | --- | --- | --- |\n");
    for m in METHODS {
        let calls: Vec<String> = m
            .calls
            .iter()
            .map(|(a, r)| format!("`{a}` on `{r}`"))
            .collect();
        let sources: Vec<String> = m.sources.iter().map(|s| s.cite()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            m.code,
            m.class.name(),
            how(m.how),
            calls.join(", "),
            m.reaches,
            sources.join(", ")
        ));
    }
    out.push_str("\n## Existing compute\n\nWhat a method on existing compute reads from the snapshot (`docs/snapshot.md`), \
and so which role it reaches. A list in the snapshot's `not_collected`, or one the snapshot format does \
not hold, makes the method's path possible (exit 3), never clean; an empty list means there is none.\n\n\
| compute | snapshot field |\n| --- | --- |\n");
    let mut kinds: Vec<Compute> = METHODS
        .iter()
        .filter_map(|m| match m.how {
            How::Existing(c) | How::PassToExisting { compute: c, .. } => Some(c),
            _ => None,
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    for c in kinds {
        let f = match field(c) {
            Some(f) => format!("`{f}`"),
            None => "not in the snapshot format: possible whenever the requests are allowed".into(),
        };
        out.push_str(&format!("| {} | {f} |\n", c.noun()));
    }
    out.push_str("\n## Sources\n\n");
    out.push_str(SOURCES);
    out
}

/// The audit part of `docs/codes.md`: each path class and the codes it reports.
pub fn codes_markdown() -> String {
    let mut out = String::from("## Audit\n\nThe path classes of `vaultward audit` (the SARIF rule ids) and the codes of each \
(the JSON report's `code`). The escalation methods, with their requests and sources, are in \
[escalation.md](escalation.md).\n");
    let others: &[(PathClass, &[&str])] = &[
        (PathClass::TagThenAct, &["tag-then-act"]),
        (
            PathClass::ResourcePolicyWrite,
            &["bucket-policy-write", "resource-policy-write"],
        ),
        (
            PathClass::PublicExposure,
            &[
                "s3-object-acl",
                "s3-public-upload",
                "s3-bucket-acl",
                "s3-public-access-block",
                "s3-account-public-access-block",
                "ec2-share-snapshot",
                "ec2-share-image",
                "rds-share-snapshot",
            ],
        ),
        (
            PathClass::KmsAbuse,
            &[
                "kms-key-policy-write",
                "kms-grant-to-anyone",
                "kms-delete-key",
                "kms-disable-key",
            ],
        ),
        (PathClass::SecretsRead, &["secrets-read"]),
        (
            PathClass::DataDestruction,
            &["s3-delete", "data-destruction"],
        ),
    ];
    for c in PathClass::ALL {
        let mut codes: Vec<&str> = METHODS
            .iter()
            .filter(|m| m.class == c)
            .map(|m| m.code)
            .collect();
        if let Some((_, more)) = others.iter().find(|(k, _)| *k == c) {
            codes.extend(more.iter());
        }
        out.push_str(&format!(
            "\n### {}\n\n{}\n\n**Codes.** {}\n",
            c.name(),
            c.description(),
            codes
                .iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}
