//! Runs the data-driven corpus in `tests/corpus/` (at the workspace root).
//!
//! Each file: `{"source": URL, "base": CASE?, "cases": [{"name", "source"?, "case", "expect"}]}`.
//! A case is merged over `base`: top-level fields replace, `request` fields replace one by
//! one, and `request.context` keys replace one by one (`null` removes a request field or key). Every case
//! cites the AWS documentation page it pins, in its own `source` or the file's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Map, Value};
use vaultward_iam::{authorize, evaluate, parse_case, CaseParser, PolicySetSource};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusFile {
    source: String,
    #[serde(default)]
    base: Option<Value>,
    cases: Vec<CorpusCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusCase {
    name: String,
    #[serde(default)]
    source: Option<String>,
    case: Value,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// `allow`, `explicit_deny`, `implicit_deny`, `undecided`, or `invalid` (the case must
    /// be rejected).
    decision: String,
    /// The `statement_ref`s of the deciding statements (order does not matter).
    #[serde(default)]
    statements: Option<Vec<String>>,
    /// Text that some reason (or, for `invalid`, some error) must contain.
    #[serde(default)]
    reason_contains: Option<String>,
    /// Finding codes that must be reported about the case's policies.
    #[serde(default)]
    findings: Vec<String>,
    /// The context keys the answer depends on (the residual's), when a value is
    /// unknown; `[]` says the answer depends on none.
    #[serde(default)]
    depends_on: Option<Vec<String>>,
}

fn merge(base: &Value, over: &Value) -> Value {
    let (Some(b), Some(o)) = (base.as_object(), over.as_object()) else {
        return over.clone();
    };
    let mut out: Map<String, Value> = b.clone();
    for (k, v) in o {
        let merged = match (k.as_str(), out.get(k)) {
            ("request", Some(bv)) => {
                let mut r = bv.as_object().cloned().unwrap_or_default();
                for (rk, rv) in v.as_object().unwrap() {
                    if rk == "context" {
                        let mut c = r
                            .get("context")
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_default();
                        for (ck, cv) in rv.as_object().unwrap() {
                            if cv.is_null() {
                                c.remove(ck);
                            } else {
                                c.insert(ck.clone(), cv.clone());
                            }
                        }
                        r.insert("context".into(), Value::Object(c));
                    } else if rv.is_null() {
                        r.remove(rk);
                    } else {
                        r.insert(rk.clone(), rv.clone());
                    }
                }
                Value::Object(r)
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), merged);
    }
    Value::Object(out)
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

/// Every corpus case: its id, its text (pretty-printed, as the corpus test reads it) and
/// what it must give.
fn corpus_cases() -> Vec<(String, String, Expect)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let cf: CorpusFile =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            cf.source.starts_with("https://docs.aws.amazon.com/"),
            "{}: source must be an AWS documentation page",
            file.display()
        );
        for c in cf.cases {
            let id = format!(
                "{}::{}",
                file.file_name().unwrap().to_string_lossy(),
                c.name
            );
            assert!(names.insert(id.clone()), "duplicate case name {id}");
            if let Some(s) = &c.source {
                assert!(
                    s.starts_with("https://docs.aws.amazon.com/"),
                    "{id}: source must be an AWS documentation page"
                );
            }
            let case_json = match &cf.base {
                Some(b) => merge(b, &c.case),
                None => c.case.clone(),
            };
            let src = serde_json::to_string_pretty(&case_json).unwrap();
            out.push((id, src, c.expect));
        }
    }
    out
}

#[test]
fn corpus() {
    let cases = corpus_cases();
    let total = cases.len();
    let mut failures = Vec::new();
    for (id, src, expect) in &cases {
        if let Err(msg) = check(src, expect) {
            failures.push(format!("{id}: {msg}"));
        }
    }
    assert!(
        total >= 150,
        "the corpus must hold at least 150 cases, it holds {total}"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The corpus read as a stream, policies from the cache: every case gives what it gives
/// alone (the same request, policies, findings at the same places, errors, and answer),
/// whether its policies were read before or not. Each case is read as written and on one
/// line, twice, the second time in the other order, so most reads of the second pass come
/// from the cache and documents stand at other places than where they were first read.
#[test]
fn corpus_read_through_the_cache_gives_what_each_case_gives_alone() {
    let cases = corpus_cases();
    let mut texts: Vec<String> = Vec::new();
    for (_, src, _) in &cases {
        let v: Value = serde_json::from_str(src).unwrap();
        texts.push(src.clone());
        texts.push(serde_json::to_string(&v).unwrap());
    }
    let mut parser = CaseParser::new();
    let order: Vec<usize> = (0..texts.len()).chain((0..texts.len()).rev()).collect();
    let mut hits = 0;
    for i in order {
        let src = &texts[i];
        let alone = parse_case(src);
        let cached = parser.parse(src);
        match (alone, cached) {
            (Ok(a), Ok(c)) => {
                assert_eq!(a.request, c.request, "{src}");
                assert_eq!(a.policies, *c.policies, "{src}");
                assert_eq!(a.findings, c.findings, "{src}");
                assert_eq!(
                    authorize(&a.request, &a.policies),
                    authorize(&c.request, &c.policies),
                    "{src}"
                );
                hits += 1;
            }
            (Err(a), Err(c)) => assert_eq!(a.findings, c.findings, "{src}"),
            (a, c) => panic!("alone {:?}, cached {:?}: {src}", a.is_ok(), c.is_ok()),
        }
    }
    assert!(hits > 300, "{hits}");
}

/// Each valid corpus case as a policy set and a request (`authorize --policies
/// --requests`): the same answer, and the same findings, located in the set.
#[test]
fn corpus_as_a_policy_set_and_a_request_gives_the_case_answer() {
    let mut parser = CaseParser::new();
    let mut compared = 0;
    for (id, src, _) in corpus_cases() {
        let Ok(alone) = parse_case(&src) else {
            continue;
        };
        let mut v: Value = serde_json::from_str(&src).unwrap();
        let request = v.as_object_mut().unwrap().remove("request").unwrap();
        let set_text = serde_json::to_string_pretty(&v).unwrap();
        let mut set = PolicySetSource::new(set_text.clone()).unwrap();
        let streamed = parser
            .parse_request(&mut set, &serde_json::to_string(&request).unwrap())
            .unwrap_or_else(|e| panic!("{id}: {:?}", e.findings));
        assert_eq!(alone.request, streamed.request, "{id}");
        assert_eq!(alone.policies, *streamed.policies, "{id}");
        assert_eq!(
            authorize(&alone.request, &alone.policies),
            authorize(&streamed.request, &streamed.policies),
            "{id}"
        );
        // The findings are the set's own, located in its text: the same as the case's
        // once the case is written as the set with its request after it.
        let mut as_case = set_text.trim_end().trim_end_matches('}').to_string();
        if v.as_object().unwrap().is_empty() {
            as_case = "{".into();
        } else {
            as_case.push(',');
        }
        as_case.push_str("\n  \"request\": ");
        as_case.push_str(&serde_json::to_string(&request).unwrap());
        as_case.push_str("\n}");
        let written = parse_case(&as_case).unwrap_or_else(|e| panic!("{id}: {:?}", e.findings));
        assert_eq!(written.findings, streamed.findings, "{id}");
        compared += 1;
    }
    assert!(compared > 150, "{compared}");
}

/// The response written straight as JSON (`Evaluation::write_json`, the bulk
/// `authorize` path) is byte for byte what serializing `authorize`'s response gives, for
/// every corpus case: every kind of verdict, reasons with and without conditions, SCP
/// levels, unknowns and residuals.
#[test]
fn responses_written_straight_are_the_serialized_responses() {
    let mut compared = 0;
    let mut out = Vec::new();
    for (id, src, _) in corpus_cases() {
        let Ok(case) = parse_case(&src) else {
            continue;
        };
        out.clear();
        evaluate(&case.request, &case.policies)
            .write_json(&mut out)
            .unwrap();
        let want = serde_json::to_vec(&authorize(&case.request, &case.policies)).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&want),
            "{id}"
        );
        compared += 1;
    }
    assert!(compared > 150, "{compared}");
}

fn check(src: &str, expect: &Expect) -> Result<(), String> {
    let case = match parse_case(src) {
        Ok(c) => c,
        Err(e) => {
            if expect.decision == "invalid" {
                let all: String = e
                    .findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{} {} {} ",
                            f.code,
                            f.message,
                            f.help.as_deref().unwrap_or("")
                        )
                    })
                    .collect();
                if let Some(want) = &expect.reason_contains {
                    if !all.contains(want.as_str()) {
                        return Err(format!("errors do not mention `{want}`: {all}"));
                    }
                }
                for code in &expect.findings {
                    if !e.findings.iter().any(|f| f.code == code) {
                        return Err(format!("missing error `{code}`: {all}"));
                    }
                }
                return Ok(());
            }
            return Err(format!(
                "case rejected: {:?}",
                e.findings
                    .iter()
                    .map(|f| (&f.path, &f.message))
                    .collect::<Vec<_>>()
            ));
        }
    };
    if expect.decision == "invalid" {
        return Err("case was accepted but should be invalid".into());
    }
    let r = authorize(&case.request, &case.policies);
    let got = serde_json::to_value(r.decision).unwrap();
    if got != Value::String(expect.decision.clone()) {
        return Err(format!(
            "decision {got}, expected {}; reasons: {:?}",
            expect.decision,
            r.reasons.iter().map(|r| &r.message).collect::<Vec<_>>()
        ));
    }
    if let Some(want) = &expect.statements {
        let got: BTreeSet<String> = r
            .reasons
            .iter()
            .filter_map(|r| r.statement_ref.clone())
            .collect();
        let want: BTreeSet<String> = want.iter().cloned().collect();
        if got != want {
            return Err(format!("deciding statements {got:?}, expected {want:?}"));
        }
    }
    if let Some(want) = &expect.reason_contains {
        let all: Vec<&str> = r
            .reasons
            .iter()
            .map(|r| r.message.as_str())
            .chain(r.notes.iter().map(String::as_str))
            .collect();
        if !all.iter().any(|m| m.contains(want.as_str())) {
            return Err(format!("no reason mentions `{want}`: {all:?}"));
        }
    }
    if let Some(want) = &expect.depends_on {
        let got: BTreeSet<String> = r
            .residual
            .iter()
            .flat_map(|res| res.depends_on.iter().flat_map(|d| d.keys.iter().cloned()))
            .map(|k| k.to_ascii_lowercase())
            .collect();
        let want: BTreeSet<String> = want.iter().map(|k| k.to_ascii_lowercase()).collect();
        if got != want {
            return Err(format!("depends on {got:?}, expected {want:?}"));
        }
    }
    for code in &expect.findings {
        if !case.findings.iter().any(|f| f.code == code) {
            return Err(format!(
                "expected finding `{code}`, got {:?}",
                case.findings.iter().map(|f| f.code).collect::<Vec<_>>()
            ));
        }
    }
    Ok(())
}
