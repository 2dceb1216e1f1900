//! SMT-LIB text: literals, regular expressions for globs and ARN patterns, the principal's
//! derived strings, and the solver process (Z3 or cvc5) with its answer and model.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::CompareError;

/// A string literal: `"` doubled, anything outside printable ASCII (and `\`) as `\u{..}`.
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len().saturating_add(2));
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\"\""),
            '\\' => out.push_str("\\u{5c}"),
            ' '..='~' => out.push(c),
            other => out.push_str(&format!("\\u{{{:x}}}", u32::from(other))),
        }
    }
    out.push('"');
    out
}

/// A symbol for a context key: letters and digits kept, anything else as `_xx`.
pub fn ident(key: &str) -> String {
    let mut out = String::from("k_");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

pub fn or(v: &[String]) -> String {
    match v {
        [] => "false".into(),
        [one] => one.clone(),
        many => format!("(or {})", many.join(" ")),
    }
}

pub fn and(v: &[String]) -> String {
    match v {
        [] => "true".into(),
        [one] => one.clone(),
        many => format!("(and {})", many.join(" ")),
    }
}

fn concat(parts: Vec<String>) -> String {
    match parts.len() {
        0 => "(str.to_re \"\")".into(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("(re.++ {})", parts.join(" ")),
    }
}

/// Printable ASCII except `:` (one part of an ARN).
const NOT_COLON: &str = "(re.union (re.range \" \" \"9\") (re.range \";\" \"~\"))";

/// A glob (`*` any run, `?` one character) as a regular expression over whole strings;
/// `any`/`one` say what the wildcards stand for.
fn re_of_glob_with(text: &str, any: &str, one: &str) -> String {
    let mut parts = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        match c {
            '*' | '?' => {
                if !run.is_empty() {
                    parts.push(format!("(str.to_re {})", lit(&run)));
                    run.clear();
                }
                parts.push(if c == '*' {
                    any.to_string()
                } else {
                    one.to_string()
                });
            }
            c => run.push(c),
        }
    }
    if !run.is_empty() {
        parts.push(format!("(str.to_re {})", lit(&run)));
    }
    concat(parts)
}

/// Text matched ignoring case: each ASCII letter in either case, other characters as
/// they are; a non-ASCII letter (whose folding is Unicode's) is not modelled.
pub fn re_ignore_case(text: &str) -> Result<String, String> {
    let mut parts = Vec::new();
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            parts.push(format!(
                "(re.union (str.to_re {}) (str.to_re {}))",
                lit(&c.to_ascii_lowercase().to_string()),
                lit(&c.to_ascii_uppercase().to_string())
            ));
        } else if c.is_alphabetic() {
            return Err(format!(
                "`...IgnoreCase` on `{text}`: folding the letter `{c}` is not modelled"
            ));
        } else {
            parts.push(format!("(str.to_re {})", lit(&c.to_string())));
        }
    }
    Ok(concat(parts))
}

/// A policy glob (action, resource, `StringLike`).
pub fn re_of_glob(text: &str) -> String {
    re_of_glob_with(text, "re.all", "re.allchar")
}

/// What `Arn::parse` accepts: `arn:` and five more parts, the last one free.
pub const ARN_RE: &str = "(re.++ (str.to_re \"arn:\") (re.* (re.union (re.range \" \" \"9\") (re.range \";\" \"~\"))) (str.to_re \":\") (re.* (re.union (re.range \" \" \"9\") (re.range \";\" \"~\"))) (str.to_re \":\") (re.* (re.union (re.range \" \" \"9\") (re.range \";\" \"~\"))) (str.to_re \":\") (re.* (re.union (re.range \" \" \"9\") (re.range \";\" \"~\"))) (str.to_re \":\") re.all)";

/// `ArnLike`/`ArnEquals`: each part compared on its own, wildcards within it.
pub fn re_of_arn_pattern(text: &str) -> String {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    if parts.len() != 6 || parts.first() != Some(&"arn") {
        return "re.none".into();
    }
    let not_colon_any = format!("(re.* {NOT_COLON})");
    let mut out = vec!["(str.to_re \"arn:\")".to_string()];
    for (i, p) in parts.iter().enumerate().skip(1) {
        if i < 5 {
            out.push(re_of_glob_with(p, &not_colon_any, NOT_COLON));
            out.push("(str.to_re \":\")".into());
        } else {
            out.push(re_of_glob(p));
        }
    }
    concat(out)
}

pub const ACCOUNT_RE: &str = "((_ re.loop 12 12) (re.range \"0\" \"9\"))";
pub const NAME_RE: &str = "(re.+ (re.union (re.range \"a\" \"z\") (re.range \"A\" \"Z\") (re.range \"0\" \"9\") (str.to_re \"+\") (str.to_re \"=\") (str.to_re \",\") (str.to_re \".\") (str.to_re \"@\") (str.to_re \"_\") (str.to_re \"-\")))";
/// An IAM path: `/`, or `/a/b/`.
pub const PATH_RE: &str = "(re.++ (str.to_re \"/\") (re.* (re.++ (re.+ (re.union (re.range \"a\" \"z\") (re.range \"A\" \"Z\") (re.range \"0\" \"9\") (str.to_re \"-\") (str.to_re \"_\") (str.to_re \".\"))) (str.to_re \"/\"))))";
pub const SERVICE_RE: &str = "(re.+ (re.union (re.range \"a\" \"z\") (re.range \"0\" \"9\") (str.to_re \".\") (str.to_re \"-\")))";
pub const ACTION_RE: &str = "(re.++ (re.+ (re.union (re.range \"a\" \"z\") (re.range \"0\" \"9\") (str.to_re \"-\"))) (str.to_re \":\") (re.+ (re.union (re.range \"a\" \"z\") (re.range \"0\" \"9\") (str.to_re \"-\") (str.to_re \"_\"))))";
pub const ROLE_RE: &str = "(re.++ (str.to_re \"arn:aws:iam::\") ((_ re.loop 12 12) (re.range \"0\" \"9\")) (str.to_re \":role/\") (re.+ (re.union (re.range \"a\" \"z\") (re.range \"A\" \"Z\") (re.range \"0\" \"9\") (str.to_re \"+\") (str.to_re \"=\") (str.to_re \",\") (str.to_re \".\") (str.to_re \"@\") (str.to_re \"_\") (str.to_re \"-\"))))";
pub const TRUST_ACTION_RE: &str = "(re.union (str.to_re \"sts:assumerole\") (str.to_re \"sts:assumerolewithsaml\") (str.to_re \"sts:assumerolewithwebidentity\") (str.to_re \"sts:tagsession\") (str.to_re \"sts:setsourceidentity\") (str.to_re \"sts:setcontext\"))";

/// The principal's strings: `parn` (its ARN as the request names it) and `prole` (a
/// session's role). pkind: 0 user, 1 role session, 2 root, 3 service.
pub fn principal_defs() -> String {
    "(define-fun parn () String (ite (= pkind 0) (str.++ \"arn:aws:iam::\" pacct \":user/\" pname) (ite (= pkind 1) (str.++ \"arn:aws:sts::\" pacct \":assumed-role/\" pname \"/vaultward\") (ite (= pkind 2) (str.++ \"arn:aws:iam::\" pacct \":root\") psvc))))\n(define-fun prole () String (str.++ \"arn:aws:iam::\" pacct \":role\" ppath pname))\n".into()
}

/// A key derived from the request's principal and resource, never free: when it is
/// present and its value, as terms over the request's variables.
pub struct Derived {
    /// The key, lowercase.
    pub key: &'static str,
    /// When the request carries it, as far as its principal decides (`pkind < 3`: a
    /// principal of an account).
    pub present: &'static str,
    pub value: &'static str,
    /// Whether the engine derives it from the case's request itself (`Request::new`).
    /// The others are set where AWS sends them (`request_context::fill`, from the
    /// request-context model, whose presence the encoding adds) and the witness writes
    /// them out.
    pub by_engine: bool,
}

const fn by_engine(key: &'static str, present: &'static str, value: &'static str) -> Derived {
    Derived {
        key,
        present,
        value,
        by_engine: true,
    }
}

/// The derived keys. `kms:CallerAccount` is "the AWS account ID of the caller" (AWS KMS
/// Developer Guide, "AWS KMS condition keys",
/// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account),
/// the account `aws:PrincipalAccount` names too (IAM User Guide, "AWS global condition
/// context keys"); a service principal has neither.
pub const DERIVED: &[Derived] = &[
    by_engine(
        "aws:principalarn",
        "(< pkind 3)",
        "(ite (= pkind 1) prole parn)",
    ),
    by_engine("aws:principalaccount", "(< pkind 3)", "pacct"),
    by_engine("aws:resourceaccount", "true", "racct"),
    by_engine(
        "aws:principaltype",
        "true",
        "(ite (= pkind 0) \"User\" (ite (= pkind 1) \"AssumedRole\" (ite (= pkind 2) \"Account\" \"Service\")))",
    ),
    by_engine(
        "aws:principalisawsservice",
        "true",
        "(ite (= pkind 3) \"true\" \"false\")",
    ),
    by_engine("aws:username", "(= pkind 0)", "pname"),
    by_engine("aws:userid", "(= pkind 2)", "pacct"),
    by_engine("aws:principalservicename", "(= pkind 3)", "psvc"),
    Derived {
        key: "kms:calleraccount",
        present: "(< pkind 3)",
        value: "pacct",
        by_engine: false,
    },
    // "s3:ResourceAccount: the resource owner's AWS account ID" (Amazon S3's condition
    // keys, https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html),
    // on S3 requests (the request-context model), as the engine's model fills it.
    Derived {
        key: "s3:resourceaccount",
        present: "true",
        value: "racct",
        by_engine: false,
    },
];

/// The derived key `lower`, if it is one.
pub fn derived(lower: &str) -> Option<&'static Derived> {
    DERIVED.iter().find(|d| d.key == lower)
}

/// A real from the model (`3.0`, `-2.5`, `/ 1 2`, `/ -1 3` as the model reader flattens
/// `(/ 1 2)`) as a decimal the engine reads back (the closest f64; the engine confirms the
/// witness anyway).
pub fn decimal(raw: &str) -> String {
    let parts: Vec<&str> = raw
        .split_whitespace()
        .filter(|p| *p != "(" && *p != ")")
        .collect();
    let num = |s: &str| s.parse::<f64>().ok();
    let value = match parts.as_slice() {
        ["/", p, q] => num(p).zip(num(q)).map(|(p, q)| p / q),
        ["-", "/", p, q] | ["/", "-", p, q] => num(p).zip(num(q)).map(|(p, q)| -(p / q)),
        ["-", x] => num(x).map(|x| -x),
        [x] => num(x),
        _ => None,
    };
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        Some(v) => format!("{v}"),
        None => raw.to_string(),
    }
}

/// A 128-bit vector as an IPv6 address.
pub fn ipv6(bv: &str) -> String {
    let n = if let Some(h) = bv.strip_prefix("#x") {
        u128::from_str_radix(h, 16).unwrap_or(0)
    } else if let Some(b) = bv.strip_prefix("#b") {
        u128::from_str_radix(b, 2).unwrap_or(0)
    } else {
        0
    };
    std::net::Ipv6Addr::from(n).to_string()
}

/// `#x0a000001` (or `#b...`) as `10.0.0.1`.
pub fn dotted(bv: &str) -> String {
    let n = if let Some(h) = bv.strip_prefix("#x") {
        u32::from_str_radix(h, 16).unwrap_or(0)
    } else if let Some(b) = bv.strip_prefix("#b") {
        u32::from_str_radix(b, 2).unwrap_or(0)
    } else {
        0
    };
    std::net::Ipv4Addr::from(n).to_string()
}

/// The solver's answer.
pub enum Answer {
    Sat(Model),
    Unsat,
    Unknown(String),
}

/// Values of the model, as text (strings decoded, integers in decimal).
pub type Model = BTreeMap<String, String>;

/// Runs the solver on `script`, asking for `outputs` when satisfiable.
pub fn solve(
    solver: &str,
    script: &str,
    timeout: Duration,
    outputs: &[String],
) -> Result<Answer, CompareError> {
    let ms = timeout.as_millis().max(1);
    let name = std::path::Path::new(solver)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(solver);
    let args: Vec<String> = if name.starts_with("cvc5") {
        vec![
            "--lang=smt2".into(),
            "--produce-models".into(),
            "--strings-exp".into(),
            format!("--tlimit-per={ms}"),
        ]
    } else {
        vec!["-in".into(), "-smt2".into(), format!("-t:{ms}")]
    };
    let mut child = Command::new(solver)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CompareError::Solver {
            solver: solver.to_string(),
            why: format!("{e} (install Z3: `apt-get install z3`, or set VAULTWARD_SMT_SOLVER)"),
        })?;
    let mut text = script.to_string();
    if let Ok(dir) = std::env::var("VAULTWARD_SMT_DUMP") {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let _ = std::fs::write(format!("{dir}/q{n}.smt2"), script);
    }
    text.push_str(&format!("(get-value ({}))\n", outputs.join(" ")));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| CompareError::Solver {
                solver: solver.to_string(),
                why: e.to_string(),
            })?;
    }
    // A hard limit beyond the solver's own: never wait forever.
    let deadline = Instant::now() + timeout + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(Answer::Unknown("the solver did not stop in time".into()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                return Err(CompareError::Solver {
                    solver: solver.to_string(),
                    why: e.to_string(),
                })
            }
        }
    }
    let mut out = String::new();
    if let Some(mut so) = child.stdout.take() {
        let _ = so.read_to_string(&mut out);
    }
    let first = out.lines().next().unwrap_or("").trim();
    match first {
        "unsat" => Ok(Answer::Unsat),
        "sat" => {
            let rest = out.get(first.len()..).unwrap_or("");
            Ok(Answer::Sat(parse_model(rest)))
        }
        "unknown" | "timeout" => Ok(Answer::Unknown(first.to_string())),
        other => {
            let mut err = String::new();
            if let Some(mut se) = child.stderr.take() {
                let _ = se.read_to_string(&mut err);
            }
            Err(CompareError::Solver {
                solver: solver.to_string(),
                why: format!("unexpected answer `{other}` {}", err.trim()),
            })
        }
    }
}

/// Reads `((name value) ...)` as printed by `get-value`.
fn parse_model(text: &str) -> Model {
    let tokens = tokenize(text);
    let mut out = Model::new();
    let mut i = 0usize;
    // Each pair: "(" name value ")" where value may be an s-expression.
    while i < tokens.len() {
        if tokens.get(i).map(String::as_str) == Some("(")
            && tokens
                .get(i.saturating_add(1))
                .is_some_and(|t| t != "(" && t != ")")
        {
            let name = tokens.get(i.saturating_add(1)).cloned().unwrap_or_default();
            let (value, next) = value_at(&tokens, i.saturating_add(2));
            out.insert(name, value);
            i = next.saturating_add(1);
        } else {
            i = i.saturating_add(1);
        }
    }
    out
}

/// A value starting at token `i`: an atom, or `(- n)`; returns it and the index after it.
fn value_at(tokens: &[String], i: usize) -> (String, usize) {
    match tokens.get(i).map(String::as_str) {
        Some("(") => {
            // (- 5) or another expression: take the atoms inside.
            let mut depth = 0usize;
            let mut j = i;
            let mut atoms = Vec::new();
            while let Some(t) = tokens.get(j) {
                match t.as_str() {
                    "(" => depth = depth.saturating_add(1),
                    ")" => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                    a => atoms.push(a.to_string()),
                }
                j = j.saturating_add(1);
            }
            let v = if atoms.len() == 2 && atoms.first().map(String::as_str) == Some("-") {
                format!("-{}", atoms.get(1).cloned().unwrap_or_default())
            } else {
                atoms.join(" ")
            };
            (v, j.saturating_add(1))
        }
        Some(a) => (a.to_string(), i.saturating_add(1)),
        None => (String::new(), i),
    }
}

fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' | ')' => out.push(c.to_string()),
            c if c.is_whitespace() => {}
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            s.push('"');
                        }
                        Some('"') | None => break,
                        Some(ch) => s.push(ch),
                    }
                }
                out.push(unescape(&s));
            }
            c => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n == '(' || n == ')' || n.is_whitespace() {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                out.push(s);
            }
        }
    }
    out
}

/// Decodes `\u{..}` (and Z3's older `\x..`) escapes.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(pos) = rest.find('\\') {
        out.push_str(rest.get(..pos).unwrap_or(""));
        let after = rest.get(pos.saturating_add(1)..).unwrap_or("");
        if let Some(body) = after.strip_prefix("u{") {
            if let Some(end) = body.find('}') {
                if let Some(c) = body
                    .get(..end)
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                {
                    out.push(c);
                    rest = body.get(end.saturating_add(1)..).unwrap_or("");
                    continue;
                }
            }
        }
        out.push('\\');
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_models_round_trip() {
        assert_eq!(lit("a\"b\\c\u{e9}"), "\"a\"\"b\\u{5c}c\\u{e9}\"");
        let m = parse_model("((action \"s3:getobject\")\n (pkind 1)\n (k_x_int (- 5))\n (k_ip #x0a000001)\n (resource \"a\"\"b\\u{5c}\"))");
        assert_eq!(m["action"], "s3:getobject");
        assert_eq!(m["pkind"], "1");
        assert_eq!(m["k_x_int"], "-5");
        assert_eq!(dotted(&m["k_ip"]), "10.0.0.1");
        assert_eq!(m["resource"], "a\"b\\");
        let r = parse_model("((a (/ 1 2)) (b (- (/ 1 4))) (c (/ (- 3) 2)) (d 7.0) (e (- 2.5)))");
        assert_eq!(decimal(&r["a"]), "0.5");
        assert_eq!(decimal(&r["b"]), "-0.25");
        assert_eq!(decimal(&r["c"]), "-1.5");
        assert_eq!(decimal(&r["d"]), "7");
        assert_eq!(decimal(&r["e"]), "-2.5");
    }
}
