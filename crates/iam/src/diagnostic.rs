//! Findings about a policy: what is wrong, where, and what to do.

use serde::Serialize;

use crate::json::{line_col, Span};

pub mod checks;
pub mod sarif;
pub use checks::Check;

/// How serious a finding is, in the spirit of IAM Access Analyzer's policy validation
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-validation.html).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// AWS rejects the policy, or it cannot mean what it says.
    Error,
    /// The policy grants more than it seems to.
    SecurityWarning,
    Warning,
    Suggestion,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::SecurityWarning => "security warning",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

/// One finding. `code` is stable and kebab-case; `path` is a JSON path such as
/// `$.Statement[0].Condition.StringEquals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[help]
    pub help: Option<String>,
    /// Whether the policy cannot be evaluated because of this finding.
    #[serde(skip)]
    pub fatal: bool,
    /// The check of [`checks::ALL`] that made the finding, when one did.
    #[serde(skip)]
    pub check: Option<&'static Check>,
}

impl Finding {
    pub fn new(
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        path: impl Into<String>,
    ) -> Self {
        Finding {
            severity,
            code,
            message: message.into(),
            path: path.into(),
            line: None,
            column: None,
            help: None,
            fatal: false,
            check: None,
        }
    }

    /// A finding of `check`: its code (the reader's, see [`Check::reader_code`]) and severity.
    pub fn of(check: &'static Check, message: impl Into<String>, path: impl Into<String>) -> Self {
        Finding {
            check: Some(check),
            ..Finding::new(check.severity, check.reader_code(), message, path)
        }
    }

    /// The finding under its check's own id (rather than a legacy reader code), as
    /// `validate` reports it.
    pub fn named(mut self) -> Self {
        if let Some(c) = self.check {
            self.code = c.id;
        } else if let Some(c) = checks::by_code(self.code) {
            self.code = c.id;
            self.check = Some(c);
        }
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Marks the finding as one that makes the policy impossible to evaluate.
    pub fn fatal(mut self) -> Self {
        self.fatal = true;
        self
    }

    /// Places the finding at `span` in `src`.
    pub fn at(mut self, src: &str, span: Span) -> Self {
        let (line, column) = line_col(src, span.start as usize);
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Prefixes the JSON path (for a policy embedded in a larger document).
    pub fn under(mut self, prefix: &str) -> Self {
        if let Some(rest) = self.path.strip_prefix('$') {
            self.path = format!("{prefix}{rest}");
        }
        self
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Renders findings as `file:line:col: severity[code]: message (at path)` lines, with help.
pub fn render(file: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let loc = match (f.line, f.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            _ => file.to_string(),
        };
        out.push_str(&format!(
            "{loc}: {}[{}]: {} (at {})\n",
            f.severity, f.code, f.message, f.path
        ));
        if let Some(h) = &f.help {
            out.push_str(&format!("  help: {h}\n"));
        }
    }
    out
}
