//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, defaults
//! `${aws:x, 'd'}` and the escapes `${*}`, `${?}`, `${$}`.
//!
//! Source: "IAM policy elements: Variables and tags", AWS IAM User Guide
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
//! A variable whose key is absent (or multivalued) and has no default leaves the
//! element unresolved, and an unresolved element matches nothing.

use crate::context::{Context, ContextValue};
use crate::glob::{push_wild_text, Glob, Token};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text in which `*` and `?` are wildcards (when the consumer allows them).
    Text(String),
    /// A character written as an escape: always literal.
    Escaped(char),
    Var {
        key: String,
        default: Option<String>,
    },
}

/// One piece of a template with variables, for tools that reason about templates
/// symbolically (the SMT encoding of `vaultward compare`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Text in which `*` and `?` are wildcards (when the consumer allows them).
    Text(&'a str),
    /// A character written as an escape (`${*}`, `${?}`, `${$}`): always literal.
    Escaped(char),
    /// A variable, and its default (`${key, 'default'}`).
    Var {
        key: &'a str,
        default: Option<&'a str>,
    },
}

/// A string from a policy that may hold variables, compiled once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The text as written, kept only when it has `${...}` (otherwise the glob says it).
    raw: Option<Box<str>>,
    parts: Vec<Part>,
    /// The compiled pattern when there are no variables.
    fixed: Option<Glob>,
    /// With variables: the pattern as tokens, the variables in place, for matching
    /// without building a pattern per request.
    tokens: Vec<Tok>,
}

/// One element of a template's pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(String),
    Star,
    One,
    /// A variable: its value, read literally, or the default.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// Why a `${...}` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSyntaxError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    /// Compiles `raw`. `substitute` is false for `Version` 2008-10-17 policies, whose
    /// `${...}` is plain text. `wildcards` says whether `*` and `?` are wildcards.
    pub fn new(
        raw: &str,
        substitute: bool,
        wildcards: bool,
    ) -> Result<Template, VariableSyntaxError> {
        if !(substitute && raw.contains("${")) {
            // No variables: compile straight away and keep the text for `resolve_text`.
            let glob = if wildcards {
                Glob::new(raw)
            } else {
                Glob::literal(raw)
            };
            return Ok(Template {
                raw: None,
                parts: Vec::new(),
                fixed: Some(glob),
                tokens: Vec::new(),
            });
        }
        let parts = split_parts(raw)?;
        let has_vars = parts.iter().any(|p| matches!(p, Part::Var { .. }));
        let mut t = Template {
            raw: Some(raw.into()),
            parts,
            fixed: None,
            tokens: Vec::new(),
        };
        if has_vars {
            t.tokens = compile(&t.parts, wildcards);
        } else {
            t.fixed = t.build(|_| None, wildcards);
        }
        Ok(t)
    }

    /// The pieces of a template that holds variables or escapes; `None` for plain text
    /// (whose glob [`Template::resolve`] gives directly).
    pub fn segments(&self) -> Option<Vec<Segment<'_>>> {
        if self.parts.is_empty() {
            return None;
        }
        Some(
            self.parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => Segment::Text(t),
                    Part::Escaped(c) => Segment::Escaped(*c),
                    Part::Var { key, default } => Segment::Var {
                        key,
                        default: default.as_deref(),
                    },
                })
                .collect(),
        )
    }

    /// The template as written in the policy.
    pub fn text(&self) -> String {
        match (&self.raw, &self.fixed) {
            (Some(raw), _) => raw.to_string(),
            (None, Some(g)) => g.pattern_text(),
            (None, None) => String::new(),
        }
    }

    pub fn has_variables(&self) -> bool {
        self.fixed.is_none()
    }

    /// Whether a variable names a key whose value is unknown in `ctx` (the key is
    /// present, so a default does not apply, and what it resolves to is not known).
    pub fn depends_on_unknown(&self, ctx: &Context) -> bool {
        self.fixed.is_none()
            && self.parts.iter().any(|p| {
                matches!(p, Part::Var { key, .. } if ctx.get(key).is_some_and(ContextValue::is_unknown))
            })
    }

    /// The keys of the variables in the template (lowercased).
    pub fn variable_keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// Whether `text` matches the template with its variables resolved against `ctx`
    /// (wildcards as the template was compiled with); `None` when a variable has no
    /// value and no default, and the template matches nothing. Builds nothing per call.
    pub fn matches(&self, ctx: &Context, text: &str) -> Option<bool> {
        if let Some(g) = &self.fixed {
            return Some(g.is_match(text));
        }
        for t in &self.tokens {
            if let Tok::Var { key, default } = t {
                var_value(ctx, key, default)?;
            }
        }
        Some(match_template(&self.tokens, text, ctx))
    }

    /// Resolves variables against `ctx`; `None` when one cannot be resolved.
    pub fn resolve(&self, ctx: &Context, wildcards: bool) -> Option<std::borrow::Cow<'_, Glob>> {
        if let Some(g) = &self.fixed {
            return Some(std::borrow::Cow::Borrowed(g));
        }
        self.build(|key| lookup_single(ctx, key), wildcards)
            .map(std::borrow::Cow::Owned)
    }

    /// Resolves to plain text (escapes become their characters); `None` when unresolved.
    pub fn resolve_text(&self, ctx: &Context) -> Option<String> {
        if let (Some(g), None) = (&self.fixed, &self.raw) {
            return Some(g.pattern_text());
        }
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(s) => out.push_str(s),
                Part::Escaped(c) => out.push(*c),
                Part::Var { key, default } => match lookup_single(ctx, key) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(default.as_deref()?),
                },
            }
        }
        Some(out)
    }

    fn build<'c>(&self, lookup: impl Fn(&str) -> Option<&'c str>, wildcards: bool) -> Option<Glob> {
        let mut tokens: Vec<Token> = Vec::new();
        for p in &self.parts {
            match p {
                Part::Text(s) if wildcards => push_wild_text(&mut tokens, s),
                Part::Text(s) => tokens.push(Token::Lit(s.clone())),
                Part::Escaped(c) => tokens.push(Token::Lit(c.to_string())),
                Part::Var { key, default } => {
                    let v = match lookup(key) {
                        Some(v) => v.to_string(),
                        None => default.clone()?,
                    };
                    tokens.push(Token::Lit(v));
                }
            }
        }
        Some(Glob::from_tokens(tokens))
    }
}

/// The template's pattern as tokens (adjacent text merged, variables in place).
fn compile(parts: &[Part], wildcards: bool) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let lit = |out: &mut Vec<Tok>, s: &str| match out.last_mut() {
        Some(Tok::Lit(l)) => l.push_str(s),
        _ => out.push(Tok::Lit(s.to_string())),
    };
    for p in parts {
        match p {
            Part::Text(s) if wildcards => {
                let mut tokens = Vec::new();
                push_wild_text(&mut tokens, s);
                for t in tokens {
                    match t {
                        Token::Lit(l) => lit(&mut out, &l),
                        Token::Star => out.push(Tok::Star),
                        Token::One => out.push(Tok::One),
                    }
                }
            }
            Part::Text(s) => lit(&mut out, s),
            Part::Escaped(c) => lit(&mut out, &c.to_string()),
            Part::Var { key, default } => out.push(Tok::Var {
                key: key.clone(),
                default: default.clone(),
            }),
        }
    }
    out
}

/// A variable's value in `ctx`, or its default.
fn var_value<'a>(ctx: &'a Context, key: &str, default: &'a Option<String>) -> Option<&'a str> {
    lookup_single(ctx, key).or(default.as_deref())
}

/// [`crate::glob`]'s single-star backtracking over a template's tokens, each variable
/// read as its value (the caller has checked that every variable resolves).
fn match_template(tokens: &[Tok], text: &str, ctx: &Context) -> bool {
    let (mut toks, mut rest) = (tokens, text);
    // The tokens after the last star, and the text it has not swallowed.
    let mut star: Option<(&[Tok], &str)> = None;
    let literal = |s: &str, rest: &str| -> Option<usize> {
        rest.get(..s.len())
            .filter(|head| *head == s)
            .map(|_| s.len())
    };
    loop {
        let step = match toks.split_first() {
            Some((Tok::Star, after)) => {
                star = Some((after, rest));
                Some((after, rest))
            }
            Some((Tok::Lit(s), after)) => {
                literal(s, rest).map(|n| (after, rest.get(n..).unwrap_or_default()))
            }
            Some((Tok::Var { key, default }, after)) => var_value(ctx, key, default)
                .and_then(|v| literal(v, rest))
                .map(|n| (after, rest.get(n..).unwrap_or_default())),
            Some((Tok::One, after)) => {
                let mut chars = rest.chars();
                chars.next().map(|_| (after, chars.as_str()))
            }
            None if rest.is_empty() => return true,
            None => None,
        };
        if let Some((t, r)) = step {
            (toks, rest) = (t, r);
            continue;
        }
        // Mismatch: let the last star swallow one more character.
        let Some((after, from)) = star else {
            return false;
        };
        let mut chars = from.chars();
        if chars.next().is_none() {
            return false;
        }
        star = Some((after, chars.as_str()));
        (toks, rest) = (after, chars.as_str());
    }
}

fn lookup_single<'c>(ctx: &'c Context, key: &str) -> Option<&'c str> {
    match ctx.get(key)? {
        ContextValue::Single(s) => Some(s.as_str()),
        // Multivalued keys cannot be used as variables; an unknown value resolves to
        // nothing (callers ask `depends_on_unknown` first).
        ContextValue::Multi(_) | ContextValue::Unknown(_) => None,
    }
}

fn split_parts(raw: &str) -> Result<Vec<Part>, VariableSyntaxError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = raw;
    let mut offset = 0usize;
    while let Some(i) = rest.find("${") {
        // `find` and `find_close` return positions of ASCII characters (`$`, `}`), so every
        // slice below is on character boundaries; `get` keeps that a checked fact.
        text.push_str(rest.get(..i).unwrap_or_default());
        let body_start = i.saturating_add(2);
        let Some(close) = rest.get(body_start..).and_then(find_close) else {
            return Err(VariableSyntaxError {
                offset: offset.saturating_add(i),
                message: "policy variable `${` is not closed with `}`".into(),
            });
        };
        let body = rest
            .get(body_start..body_start.saturating_add(close))
            .unwrap_or_default();
        let part = parse_body(body).map_err(|message| VariableSyntaxError {
            offset: offset.saturating_add(i),
            message,
        })?;
        if !text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut text)));
        }
        parts.push(part);
        let consumed = body_start.saturating_add(close).saturating_add(1);
        offset = offset.saturating_add(consumed);
        rest = rest.get(consumed..).unwrap_or_default();
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

/// Finds the `}` that closes a variable, skipping over a quoted default (where `''` is
/// a quote).
fn find_close(s: &str) -> Option<usize> {
    let mut in_quote = false;
    let mut bytes = s.bytes().enumerate().peekable();
    while let Some((i, b)) = bytes.next() {
        match b {
            b'\'' if in_quote && bytes.next_if(|&(_, n)| n == b'\'').is_some() => {}
            b'\'' => in_quote = !in_quote,
            b'}' if !in_quote => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_body(body: &str) -> Result<Part, String> {
    match body {
        "*" => return Ok(Part::Escaped('*')),
        "?" => return Ok(Part::Escaped('?')),
        "$" => return Ok(Part::Escaped('$')),
        _ => {}
    }
    let (key, default) = match body.split_once(',') {
        None => (body.trim(), None),
        Some((k, d)) => {
            let d = d.trim();
            let inner = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .ok_or_else(|| {
                    format!("default value in `${{{body}}}` must be in single quotes")
                })?;
            (k.trim(), Some(inner.replace("''", "'")))
        }
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(format!("`${{{body}}}` does not name a context key"));
    }
    Ok(Part::Var {
        key: key.to_ascii_lowercase(),
        default,
    })
}

#[cfg(test)]
mod tests;
