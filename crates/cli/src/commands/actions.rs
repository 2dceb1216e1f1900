//! `vaultward actions expand PATTERN` and `vaultward actions show ACTION` (`--format json`).
//!
//! `expand` prints `service:Action  access level`, one per line (JSON: an array of
//! `{"action", "access_level"}`); exit 1 when nothing matches. `show` prints the action's
//! access level, resource types (with ARN formats and whether each is required) and
//! condition keys (JSON: the same as an object); exit 1 for an unknown action.

use std::process::ExitCode;

use serde::Serialize;
use vaultward_catalog::{global_key, Catalog};

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the actions a pattern such as `s3:Get*` matches.
    Expand {
        /// An action pattern: `service:Name` with `*` and `?` (`s3:Get*`).
        pattern: String,
        /// Output format.
        #[arg(long, default_value = "human", value_parser = ["human", "json"], ignore_case = true)]
        format: String,
    },
    /// Show one action's resource types, ARN formats and condition keys.
    Show {
        /// One action, `service:Name` (`s3:GetObject`).
        action: String,
        /// Output format.
        #[arg(long, default_value = "human", value_parser = ["human", "json"], ignore_case = true)]
        format: String,
    },
}

#[derive(Serialize)]
struct Expanded {
    action: String,
    access_level: &'static str,
}

#[derive(Serialize)]
struct Resource {
    name: &'static str,
    required: bool,
    arn_format: &'static str,
    condition_keys: Vec<&'static str>,
}

#[derive(Serialize)]
struct Key {
    name: &'static str,
    #[serde(rename = "type")]
    key_type: &'static str,
}

#[derive(Serialize)]
struct Shown {
    action: String,
    service: &'static str,
    access_level: &'static str,
    resource_types: Vec<Resource>,
    condition_keys: Vec<Key>,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::load()?;
    match cmd {
        Command::Expand { pattern, format } => {
            let found: Vec<Expanded> = catalog
                .expand(&pattern)
                .into_iter()
                .map(|(s, a)| Expanded {
                    action: format!("{}:{}", s.prefix, a.name),
                    access_level: a.access_level,
                })
                .collect();
            if format.eq_ignore_ascii_case("json") {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                let width = found.iter().map(|e| e.action.len()).max().unwrap_or(0);
                for e in &found {
                    println!("{:width$}  {}", e.action, e.access_level);
                }
            }
            if found.is_empty() {
                eprintln!("no action matches `{pattern}`");
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { action, format } => {
            let Some((service, a)) = catalog.action(&action) else {
                let hint = action
                    .split_once(':')
                    .and_then(|(svc, name)| {
                        catalog.service(svc).and_then(|s| {
                            catalog
                                .suggest_action(s, name)
                                .map(|n| format!("; did you mean `{}:{n}`?", s.prefix))
                        })
                    })
                    .unwrap_or_default();
                eprintln!("`{action}` is not an action in the catalog{hint}");
                return Ok(ExitCode::from(1));
            };
            let resource_types = a
                .resource_types
                .iter()
                .map(|r| {
                    let t = service.resource_type(r.name);
                    Resource {
                        name: r.name,
                        required: r.required,
                        arn_format: t.map_or("", |t| t.arn_format),
                        condition_keys: t.map(|t| t.condition_keys.clone()).unwrap_or_default(),
                    }
                })
                .collect();
            let condition_keys = a
                .condition_keys
                .iter()
                .map(|k| Key {
                    name: k,
                    key_type: service
                        .condition_key(k)
                        .map(|c| c.key_type)
                        .or_else(|| global_key(k).map(|g| g.key_type))
                        .unwrap_or("String"),
                })
                .collect();
            let shown = Shown {
                action: format!("{}:{}", service.prefix, a.name),
                service: service.name,
                access_level: a.access_level,
                resource_types,
                condition_keys,
            };
            if format.eq_ignore_ascii_case("json") {
                println!("{}", serde_json::to_string_pretty(&shown)?);
            } else {
                println!(
                    "{} ({}), access level: {}",
                    shown.action, shown.service, shown.access_level
                );
                if shown.resource_types.is_empty() {
                    println!("resource types: none (the action supports only \"Resource\": \"*\")");
                } else {
                    println!("resource types:");
                    for r in &shown.resource_types {
                        println!(
                            "  {}{}  {}",
                            r.name,
                            if r.required { " (required)" } else { "" },
                            r.arn_format
                        );
                    }
                }
                println!("condition keys:");
                for k in &shown.condition_keys {
                    println!("  {}  {}", k.name, k.key_type);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
