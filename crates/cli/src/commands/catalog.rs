//! `vaultward catalog info [--format json]`: where the embedded action catalog comes from.

use std::process::ExitCode;

use serde::Serialize;
use vaultward_catalog::{Catalog, Source};

#[derive(clap::Subcommand)]
pub enum Command {
    /// The catalog's source package, version and size.
    Info {
        /// Output format.
        #[arg(long, default_value = "human", value_parser = ["human", "json"], ignore_case = true)]
        format: String,
    },
}

#[derive(Serialize)]
struct Info<'a> {
    source: &'a Source,
    services: usize,
    actions: usize,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let Command::Info { format } = cmd;
    let catalog = Catalog::load()?;
    let actions = catalog.services().map(|s| s.actions.len()).sum();
    let info = Info {
        source: catalog.source(),
        services: catalog.service_count(),
        actions,
    };
    if format.eq_ignore_ascii_case("json") {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        let s = info.source;
        println!(
            "source:   {} {} (data updated {})",
            s.package, s.version, s.updated
        );
        println!("license:  {}", s.license);
        println!("services: {}", info.services);
        println!("actions:  {}", info.actions);
    }
    Ok(ExitCode::SUCCESS)
}
