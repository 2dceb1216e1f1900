//! The `vaultward` command line. Each subcommand lives in its own small file under
//! `commands/`, parses its arguments, calls one library function and prints.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

// Parsing policies allocates many small values; mimalloc makes that about a third
// faster than the system allocator (see docs/performance.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod commands;
mod input;
mod organization;
mod output;
mod selection;
mod served;

#[derive(Parser)]
#[command(
    name = "vaultward",
    version,
    about = "The access-control plane of a cloud backup service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate requests against policies, as AWS does, and explain the decision.
    Authorize(commands::authorize::Args),
    /// Validate a policy: every check of IAM Access Analyzer's policy check reference, offline, and Vaultward's own.
    #[command(after_long_help = commands::validate::checks_help())]
    Validate(commands::validate::Args),
    /// Generate the backup service's permissions file (IAM JSON, CloudFormation, Terraform).
    Permissions(commands::permissions::Args),
    /// Check an account: will every backup and restore work, and if not, why?
    ///
    /// Exit codes: 0 every resource × operation pair was decided ok; 1 something blocks;
    /// 3 nothing blocks but some pair is unknown (not collected, unreadable, a sample of
    /// the objects, the organization's policies not read); 2 bad input.
    Check(commands::check::Args),
    /// Compare two policies: does NEW allow any request OLD does not? (SMT, offline)
    ///
    /// Exit codes: 0 no new access; 1 new access (a witness case is printed); 3 undecided;
    /// 2 bad input.
    Compare(commands::compare::Args),
    /// Audit a role: every privilege-escalation, exposure and destruction path its
    /// effective permissions open, confirmed by the engine.
    ///
    /// Exit codes: 0 no path; 1 a path is open; 3 part of the role's side could not be
    /// read; 2 bad input.
    Audit(commands::audit::Args),
    /// Who can destroy, read or give away the backups: for every vault and resource type
    /// of its recovery points, over every principal, through AWS Backup, each service's
    /// own API and the keys.
    ///
    /// Exit codes: 0 no principal can; 1 some principal can; 3 none is confirmed but the
    /// snapshot lacks what would settle one; 2 bad input.
    Exposure(commands::exposure::Args),
    /// Read an account's state, read-only, with the AWS SDK, into a snapshot.
    Collect(commands::collect::Args),
    /// Serve backup vaults behind the AWS Backup API, enforced by the engine.
    Serve(commands::serve::Args),
    /// Build account snapshots.
    #[command(subcommand)]
    Snapshot(commands::snapshot::Command),
    /// Write verified fixes for what `check` finds.
    Fix(commands::fix::Args),
    /// Compare deployed roles and policies with the permissions file.
    Drift(commands::drift::Args),
    /// The embedded AWS action catalog.
    #[command(subcommand)]
    Catalog(commands::catalog::Command),
    /// Look up actions in the catalog.
    #[command(subcommand)]
    Actions(commands::actions::Command),
    /// Print shell completions for `vaultward` (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum, ignore_case = true)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output: `vaultward man | man -l -`.
    Man,
}

/// A reader that goes away (`vaultward ... | head`) ends the process quietly, as it ends
/// other Unix tools (exit 141, 128 + SIGPIPE), instead of `print!`'s panic and backtrace.
/// (Restoring SIGPIPE's default action would need `unsafe`, which the workspace forbids.)
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_broken_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Authorize(a) => commands::authorize::run(a),
        Command::Validate(a) => commands::validate::run(a),
        Command::Catalog(c) => commands::catalog::run(c),
        Command::Permissions(a) => commands::permissions::run(a),
        Command::Drift(a) => commands::drift::run(a),
        Command::Check(a) => commands::check::run(a),
        Command::Audit(a) => commands::audit::run(a),
        Command::Exposure(a) => commands::exposure::run(a),
        Command::Compare(a) => commands::compare::run(a),
        Command::Collect(a) => commands::collect::run(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Fix(a) => commands::fix::run(a),
        Command::Snapshot(c) => commands::snapshot::run(c),
        Command::Actions(c) => commands::actions::run(c),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "vaultward",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map(|()| ExitCode::SUCCESS)
            .map_err(anyhow::Error::from),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option and argument of every subcommand says what it is for.
    #[test]
    fn every_option_has_help_text() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "vaultward", &mut missing);
        assert!(missing.is_empty(), "options without help: {missing:?}");
    }
}
