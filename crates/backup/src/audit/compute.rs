//! The account's compute that runs as a role, as the snapshot lists it: what a method
//! that takes over existing compute can reach. A list the snapshot does not hold is
//! `Err` (why, and what would settle it): a path that needs it is possible, never clean.

use vaultward_snapshot::Snapshot;

use super::methods::Compute;

/// One piece of compute: its ARN and the role it runs as.
#[derive(Debug, Clone)]
pub(super) struct Running {
    pub arn: String,
    pub runs_as: RunsAs,
}

/// The role compute runs as.
#[derive(Debug, Clone)]
pub(super) enum RunsAs {
    Role(String),
    /// None: it has no credentials of its own (a stack without a service role runs as its
    /// caller, a task definition without a task role, an instance without a profile).
    Nothing,
    /// The snapshot does not say: why.
    Unknown(String),
}

/// The compute of `kind` the snapshot lists, or why it does not.
pub(super) fn listed(s: &Snapshot, kind: Compute) -> Result<Vec<Running>, String> {
    // The snapshot's instances carry no instance profile; the other lists are not in the
    // snapshot format yet.
    let why = match kind {
        Compute::Instances | Compute::ManagedInstances
            if s.not_collected.contains_key("ec2_instances") =>
        {
            "the snapshot does not list the account's EC2 instances".to_string()
        }
        Compute::Instances | Compute::ManagedInstances => {
            "the snapshot lists the account's EC2 instances without their instance profiles"
                .to_string()
        }
        _ => format!("the snapshot does not list the account's {}", kind.noun()),
    };
    Err(format!(
        "{why}: which role each runs as decides this path (collect the account's {})",
        kind.noun()
    ))
}
