//! `docs/permission-model.md`'s tables are written from the service table: this test writes
//! them and fails when the page holds something else. After a change to the table, run it
//! with `UPDATE_DOCS=1` and review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::path::PathBuf;

use vaultward_model::policies;
use vaultward_model::service::{
    Cond, Effect, Grant, Need, Op, Part, Policy, Purpose, Subject, Target, When, TABLE,
};
use vaultward_model::{AssetType, Params};

const BEGIN: &str = "<!-- service table: begin -->\n";
const END: &str = "<!-- service table: end -->\n";

fn code(s: &str) -> String {
    format!("`{s}`")
}

fn list(items: &[&str]) -> String {
    items.iter().map(|a| code(a)).collect::<Vec<_>>().join(", ")
}

fn policy_name(p: Policy) -> String {
    format!("`{}`", p.suffix())
}

fn on(need: &Need, subject: Option<Subject>) -> String {
    let what = subject.map_or("the resource", |s| match s {
        Subject::Bucket => "the bucket",
        Subject::Table => "the table",
        Subject::Volume => "the volume",
        Subject::Instance => "the instance",
        Subject::Vault => "the vault",
    });
    match need.target {
        Target::Resource => what.to_string(),
        Target::Objects => "each object (per group of objects alike)".into(),
        Target::Key => format!(
            "its KMS key, through `{}.<region>.amazonaws.com`",
            subject.map_or("?", Subject::service)
        ),
        Target::Arn(t) => code(t),
        Target::Vendor(t) => format!("{} (the vendor's account)", code(t)),
    }
}

fn context(need: &Need) -> String {
    need.context
        .iter()
        .map(|(k, v)| format!("`{k}` = `{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn when(w: When) -> String {
    w.describe().to_string()
}

fn condition(c: &Cond) -> String {
    let values = list(c.values);
    let only = match c.when {
        When::Always => String::new(),
        w => format!(" ({})", w.describe()),
    };
    format!("{} `{}` {values}{only}", c.operator, c.key)
}

fn placement(g: &Grant) -> String {
    g.policies
        .iter()
        .map(|p| policy_name(*p))
        .collect::<Vec<_>>()
        .join(", else ")
}

fn steps_section(out: &mut String) {
    out.push_str("### The steps, per asset and operation\n\n");
    out.push_str("What `vaultward check` evaluates, request by request (the requests on the data's KMS key last), and the statement of the permissions file that allows each (`grant`, described under [the grants](#the-grants)).\n\n");
    for subject in Subject::ALL {
        for op in [Op::Backup, Op::Restore] {
            let mut rows: Vec<(&Grant, &Need)> = TABLE
                .iter()
                .flat_map(|g| g.needs.iter().map(move |n| (g, n)))
                .filter(|(_, n)| n.part == Part::Step(subject, op))
                .collect();
            // In the order of the operation; the requests on the data's key last.
            rows.sort_by_key(|(_, n)| n.target == Target::Key);
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "#### {}: {}\n", subject.name(), op.name());
            out.push_str("| actions | on | context | when | why | grant |\n| --- | --- | --- | --- | --- | --- |\n");
            for (g, n) in rows {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    list(n.actions),
                    on(n, Some(subject)),
                    context(n),
                    when(n.when),
                    n.why,
                    code(g.sid)
                );
            }
            out.push('\n');
        }
    }
}

fn standing_section(out: &mut String) {
    out.push_str("### What no step needs, but the service must have\n\n");
    out.push_str("Declared in the same table with its reason (the seed's base, inventory, drift-detection and support policies are its source); `check` does not evaluate these.\n\n");
    out.push_str("| purpose | assets | actions | on | when | why | grant |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    for purpose in Purpose::ALL {
        for g in TABLE {
            for n in g.needs {
                let Part::Standing(p, asset) = n.part else {
                    continue;
                };
                if p != purpose {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    purpose.name(),
                    asset.map_or("any", AssetType::name),
                    list(n.actions),
                    on(n, None),
                    when(n.when),
                    n.why,
                    code(g.sid)
                );
            }
        }
    }
    out.push('\n');
}

fn grants_section(out: &mut String) {
    // Every option: the statements as the fullest file holds them.
    let p = Params {
        continuous_s3: true,
        support_role: true,
        restore_instance_roles: vec!["web-app".into()],
        account: "111122223333".into(),
        vendor_account: "999988887777".into(),
        external_id: "x".into(),
        ..Params::default()
    };
    out.push_str("### The grants\n\n");
    out.push_str("Every statement of the permissions file, in the file's order, with its resource patterns and conditions (templates: `{account}`, `{name_token}`, the tag keys...; lists: `{via_services}` is each selected asset's service in each region). A statement lists the actions of the rows above that apply to the selection, and is left out when none does; the actions shown are those of every asset type and option.\n\n");
    out.push_str("| grant | policy | effect | actions | resources | conditions |\n| --- | --- | --- | --- | --- | --- |\n");
    for g in TABLE {
        let actions: Vec<&str> = policies::statement(&p, g)
            .map(|s| s.actions)
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            code(g.sid),
            placement(g),
            if g.effect == Effect::Allow {
                "Allow"
            } else {
                "Deny"
            },
            list(&actions),
            list(g.resources),
            g.conditions
                .iter()
                .map(condition)
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    out.push('\n');
    out.push_str("A Deny lists the requests it refuses, whatever other policies allow:\n\n");
    out.push_str("| refused | on | context | why | grant |\n| --- | --- | --- | --- | --- |\n");
    for g in TABLE.iter().filter(|g| g.effect == Effect::Deny) {
        for n in g.needs {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                list(n.actions),
                on(n, None),
                context(n),
                n.why,
                code(g.sid)
            );
        }
    }
    out.push('\n');
}

fn tables() -> String {
    let mut out = String::from(
        "<!-- Written from crates/model/src/service/table.rs by `cargo test -p vaultward-model --test docs` (UPDATE_DOCS=1 rewrites it): edit the table, not this. -->\n\n",
    );
    steps_section(&mut out);
    standing_section(&mut out);
    grants_section(&mut out);
    out
}

#[test]
fn the_permission_models_tables_are_the_service_table() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/permission-model.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let (Some(b), Some(e)) = (page.find(BEGIN), page.find(END)) else {
        panic!(
            "docs/permission-model.md has no `{}` ... `{}` section",
            BEGIN.trim(),
            END.trim()
        );
    };
    let held = &page[b + BEGIN.len()..e];
    let written = tables();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let new = format!("{}{written}{}", &page[..b + BEGIN.len()], &page[e..]);
        std::fs::write(&path, new).unwrap();
        return;
    }
    if held != written {
        let line = held
            .lines()
            .zip(written.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(held.lines().count().min(written.lines().count()));
        panic!(
            "docs/permission-model.md's tables differ from the service table at their line {}:\n  page:  {}\n  table: {}\nrun `UPDATE_DOCS=1 cargo test -p vaultward-model --test docs` and review the diff",
            line + 1,
            held.lines().nth(line).unwrap_or("<end>"),
            written.lines().nth(line).unwrap_or("<end>")
        );
    }
}
