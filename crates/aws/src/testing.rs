//! Test support: a moto server (the AWS emulator from PyPI) on 127.0.0.1 and a free port,
//! stopped when dropped, so also when a test fails.
//!
//! The server is `moto_server` from `VAULTWARD_MOTO_SERVER`, else from the workspace's
//! `.venv` (installed there, pinned, by `scripts/test`).
//!
//! Known gaps of the emulator (moto 5.2.5), asserted as such in the tests rather than
//! papered over in the product:
//! - AWS Backup: `GetBackupVaultAccessPolicy` and `PutBackupVaultAccessPolicy` are not
//!   implemented (an HTML 404); the collector records the vault's policy as not collected.
//! - S3 `GetBucketVersioning` answers with the root element `GetBucketVersioningResponse`
//!   where AWS sends `VersioningConfiguration`; the SDK cannot parse it, so versioning is
//!   recorded as not collected.
//! - S3 `ListBuckets` gives a fixed owner id that differs from the canonical id moto puts on
//!   the account's own objects, so in buckets with ACLs enabled the collector sees those
//!   objects as another account's (`canonical:...`). Tests that are not about ownership
//!   use `BucketOwnerEnforced` buckets, whose objects belong to the bucket owner.
//! - Organizations: a fresh server has no organization (`AWSOrganizationsNotInUseException`).
//! - IAM policies are enforced only after `INITIAL_NO_AUTH_ACTION_COUNT` unauthenticated
//!   calls; the partial-access tests start the server that way
//!   ([`MotoServer::start_enforcing`]).
//! - Systems Manager: `DescribeInstanceInformation` is not implemented (an HTML 404); the
//!   collector records `ssm_managed_instances` as not collected.
//! - AWS Backup: `ListRecoveryPointsByBackupVault` is not implemented; each vault records
//!   its `recovery_points` as not collected.
//! - S3 `ListBuckets` returns every bucket with no continuation token, so the collector's
//!   pagination of bucket listings is exercised on one page only.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The account moto puts every resource in.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

pub struct MotoServer {
    child: Child,
    pub endpoint: String,
}

fn binary() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("VAULTWARD_MOTO_SERVER") {
        return Ok(PathBuf::from(p));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
    if venv.exists() {
        return Ok(venv);
    }
    Err(format!(
        "moto_server not found at {} and VAULTWARD_MOTO_SERVER is not set: run scripts/test, \
         which installs moto[server] into .venv",
        venv.display()
    ))
}

/// The Python of moto's virtual environment (beside `moto_server`).
pub fn python() -> Result<PathBuf, String> {
    let bin = binary()?;
    let python = bin.with_file_name("python");
    if python.exists() {
        Ok(python)
    } else {
        Err(format!("no `python` beside {}", bin.display()))
    }
}

/// A script of the workspace's `tools/`.
pub fn tool(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools")
        .join(name)
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl MotoServer {
    /// Starts a server that allows every call (moto's default).
    pub fn start() -> Result<MotoServer, String> {
        MotoServer::spawn(None)
    }

    /// Starts a server that enforces IAM policies once `free_calls` unauthenticated calls
    /// have been made (moto's `INITIAL_NO_AUTH_ACTION_COUNT`), so a test can create users
    /// and policies first and then be refused.
    pub fn start_enforcing(free_calls: u32) -> Result<MotoServer, String> {
        MotoServer::spawn(Some(free_calls))
    }

    /// Starts moto behind `tools/moto-org.py serve`, which refuses `sts:AssumeRole` as AWS
    /// does (the role missing, its trust policy not naming the caller, the external id not
    /// matching); moto 5.2.5 itself grants every AssumeRole.
    pub fn start_refusing_assume_role() -> Result<MotoServer, String> {
        let port = free_port()?;
        let mut cmd = Command::new(python()?);
        cmd.arg(tool("moto-org.py"))
            .args(["serve", &port.to_string()]);
        MotoServer::wait_for(cmd, port)
    }

    fn spawn(free_calls: Option<u32>) -> Result<MotoServer, String> {
        let bin = binary()?;
        let port = free_port()?;
        let mut cmd = Command::new(&bin);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        if let Some(n) = free_calls {
            cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
        }
        MotoServer::wait_for(cmd, port)
    }

    fn wait_for(mut cmd: Command, port: u16) -> Result<MotoServer, String> {
        let bin = cmd.get_program().to_string_lossy().to_string();
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {bin}: {e}"))?;
        let mut server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("moto_server exited at start: {status}"));
            }
            if Instant::now() > deadline {
                return Err("moto_server did not listen within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// An SDK configuration for the server with static test credentials.
    pub fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_as("testing", "testing")
    }

    /// The same, signed with the given access key (a user created in the emulator).
    pub fn sdk_config_as(&self, access_key: &str, secret: &str) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    access_key,
                    secret,
                    None,
                    None,
                    "vaultward-tests",
                )),
            )
            .build()
    }

    /// The environment `vaultward collect` (or the SDK's default chain) needs to reach the
    /// server with the given keys, isolated from the user's own AWS configuration.
    pub fn env(&self, access_key: &str, secret: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", access_key.to_string()),
            ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
            ("AWS_REGION", REGION.to_string()),
            (
                "AWS_CONFIG_FILE",
                "/nonexistent/vaultward-test-config".into(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/vaultward-test-credentials".into(),
            ),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
