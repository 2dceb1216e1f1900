//! IAM wildcards: `*` matches any run of characters (including `/` and `:`),
//! `?` exactly one character. Everything else is literal.
//!
//! Source: "IAM JSON policy elements: Resource" and "Action", AWS IAM User Guide
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Lit(String),
    Star,
    One,
}

/// A compiled wildcard pattern, with fast paths for the common shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    /// Only stars: matches everything.
    Any,
    Exact(String),
    /// `prefix*`
    Prefix(String),
    General(Vec<Token>),
}

impl Glob {
    /// Compiles `pattern`, treating `*` and `?` as wildcards.
    pub fn new(pattern: &str) -> Glob {
        Glob::from_string(pattern.to_string())
    }

    /// Compiles an owned pattern, reusing its buffer for the common shapes.
    pub fn from_string(mut pattern: String) -> Glob {
        match pattern.bytes().position(|b| b == b'*' || b == b'?') {
            None => Glob::Exact(pattern),
            Some(i) if pattern.get(i..) == Some("*") => {
                pattern.truncate(i);
                if pattern.is_empty() {
                    Glob::Any
                } else {
                    Glob::Prefix(pattern)
                }
            }
            Some(_) => {
                let mut tokens = Vec::new();
                push_wild_text(&mut tokens, &pattern);
                Glob::from_tokens(tokens)
            }
        }
    }

    /// A pattern that matches exactly `text`, with no wildcards.
    pub fn literal(text: &str) -> Glob {
        Glob::Exact(text.to_string())
    }

    pub fn from_tokens(mut tokens: Vec<Token>) -> Glob {
        // Merge adjacent literals and collapse runs of stars.
        let mut merged: Vec<Token> = Vec::with_capacity(tokens.len());
        for t in tokens.drain(..) {
            match (merged.last_mut(), t) {
                (Some(Token::Lit(a)), Token::Lit(b)) => a.push_str(&b),
                (Some(Token::Star), Token::Star) => {}
                (_, Token::Lit(b)) if b.is_empty() => {}
                (_, t) => merged.push(t),
            }
        }
        match merged.as_slice() {
            [] => Glob::Exact(String::new()),
            [Token::Star] => Glob::Any,
            [Token::Lit(s)] => Glob::Exact(s.clone()),
            [Token::Lit(s), Token::Star] => Glob::Prefix(s.clone()),
            _ => Glob::General(merged),
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(s) => s == text,
            Glob::Prefix(p) => text.starts_with(p.as_str()),
            Glob::General(tokens) => match_tokens(tokens, text, false),
        }
    }

    /// Matching that ignores ASCII case (for action names).
    pub fn is_match_ignore_ascii_case(&self, text: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(s) => s.eq_ignore_ascii_case(text),
            Glob::Prefix(p) => text
                .as_bytes()
                .get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes())),
            Glob::General(tokens) => match_tokens(tokens, text, true),
        }
    }

    /// The pattern written back as text (`*` and `?` for wildcards).
    pub fn pattern_text(&self) -> String {
        match self {
            Glob::Any => "*".into(),
            Glob::Exact(s) => s.clone(),
            Glob::Prefix(p) => format!("{p}*"),
            Glob::General(tokens) => tokens
                .iter()
                .map(|t| match t {
                    Token::Lit(s) => s.as_str(),
                    Token::Star => "*",
                    Token::One => "?",
                })
                .collect(),
        }
    }
}

/// What a pattern says about every text that starts with a given prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixClass {
    /// Every text that starts with the prefix matches (beyond the prefix itself).
    Always,
    /// No text that starts with the prefix matches.
    Never,
    /// It depends on what follows the prefix (or cannot be told cheaply).
    Depends,
}

impl Glob {
    /// Classifies the texts `prefix` + a non-empty suffix: whether all match, none does,
    /// or it depends on the suffix. Sound: `Always` and `Never` are exact, and anything
    /// else is `Depends`. The check uses it to evaluate only the patterns that can tell a
    /// bucket's objects apart.
    pub fn on_prefix(&self, prefix: &str) -> PrefixClass {
        match self {
            Glob::Any => PrefixClass::Always,
            Glob::Exact(s) if s.starts_with(prefix) && s.len() > prefix.len() => {
                PrefixClass::Depends
            }
            Glob::Exact(_) => PrefixClass::Never,
            Glob::Prefix(p) if prefix.starts_with(p.as_str()) => PrefixClass::Always,
            Glob::Prefix(p) if p.starts_with(prefix) => PrefixClass::Depends,
            Glob::Prefix(_) => PrefixClass::Never,
            Glob::General(tokens) => general_on_prefix(tokens, prefix),
        }
    }
}

/// Runs the pattern as an automaton over `prefix`: the states left decide the class.
#[expect(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "positions `i` run over `0..n` and the state sets hold `n + 1` entries, so `i`, \
              `i + 1` and `elems[i..]` are always in bounds and `n + 1` is a vector's length plus one"
)]
fn general_on_prefix(tokens: &[Token], prefix: &str) -> PrefixClass {
    #[derive(Clone, Copy, PartialEq)]
    enum Elem {
        Char(char),
        One,
        Star,
    }
    let elems: Vec<Elem> = tokens
        .iter()
        .flat_map(|t| match t {
            Token::Lit(s) => s.chars().map(Elem::Char).collect::<Vec<_>>(),
            Token::Star => vec![Elem::Star],
            Token::One => vec![Elem::One],
        })
        .collect();
    let n = elems.len();
    // A set of positions in `elems`, closed under skipping stars.
    let close = |set: &mut Vec<bool>| {
        for i in 0..n {
            if set[i] && elems[i] == Elem::Star {
                set[i + 1] = true;
            }
        }
    };
    let mut cur = vec![false; n + 1];
    cur[0] = true;
    close(&mut cur);
    for c in prefix.chars() {
        let mut next = vec![false; n + 1];
        for i in 0..n {
            if !cur[i] {
                continue;
            }
            match elems[i] {
                Elem::Star => next[i] = true,
                Elem::One => next[i + 1] = true,
                Elem::Char(e) if e == c => next[i + 1] = true,
                Elem::Char(_) => {}
            }
        }
        close(&mut next);
        cur = next;
        if !cur.iter().any(|&b| b) {
            return PrefixClass::Never;
        }
    }
    // From a position followed only by stars (at least one), every suffix matches.
    let all_stars = (0..n).any(|i| cur[i] && elems[i..].iter().all(|e| *e == Elem::Star));
    if all_stars {
        PrefixClass::Always
    } else {
        PrefixClass::Depends
    }
}

/// Appends `text` to `tokens`, reading `*` and `?` as wildcards.
pub fn push_wild_text(tokens: &mut Vec<Token>, text: &str) {
    let mut lit = String::new();
    for c in text.chars() {
        match c {
            '*' | '?' => {
                if !lit.is_empty() {
                    tokens.push(Token::Lit(std::mem::take(&mut lit)));
                }
                tokens.push(if c == '*' { Token::Star } else { Token::One });
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        tokens.push(Token::Lit(lit));
    }
}

/// Matches tokens against text with single-star backtracking (linear in
/// practice, quadratic at worst; no recursion).
fn match_tokens(tokens: &[Token], text: &str, fold: bool) -> bool {
    let (mut toks, mut rest) = (tokens, text);
    // The tokens after the last star, and the text it has not swallowed.
    let mut star: Option<(&[Token], &str)> = None;
    loop {
        let step = match toks.split_first() {
            Some((Token::Star, after)) => {
                star = Some((after, rest));
                Some((after, rest))
            }
            // `get` also refuses a literal that would end inside a character.
            Some((Token::Lit(s), after)) => rest.get(..s.len()).and_then(|head| {
                let hit = if fold {
                    head.eq_ignore_ascii_case(s)
                } else {
                    head == s
                };
                hit.then(|| (after, rest.get(s.len()..).unwrap_or_default()))
            }),
            Some((Token::One, after)) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `on_prefix` against brute force: every suffix up to 4 characters over the
    /// pattern's alphabet plus one other character.
    #[test]
    fn prefix_class_agrees_with_brute_force() {
        let mut patterns = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for p in &patterns {
                for c in ['a', 'b', '/', '*', '?'] {
                    next.push(format!("{p}{c}"));
                }
            }
            patterns.extend(next);
        }
        patterns.sort();
        patterns.dedup();
        let mut suffixes = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for s in &suffixes {
                for c in ['a', 'b', '/', 'x'] {
                    next.push(format!("{s}{c}"));
                }
            }
            suffixes.extend(next);
        }
        suffixes.retain(|s| !s.is_empty());
        suffixes.sort();
        suffixes.dedup();
        let prefixes = ["", "a", "ab", "a/", "b/a", "ab/"];
        for p in &patterns {
            let g = Glob::new(p);
            for prefix in prefixes {
                let class = g.on_prefix(prefix);
                let hits = suffixes
                    .iter()
                    .filter(|s| g.is_match(&format!("{prefix}{s}")))
                    .count();
                match class {
                    PrefixClass::Always => assert_eq!(hits, suffixes.len(), "{p} on {prefix}"),
                    PrefixClass::Never => assert_eq!(hits, 0, "{p} on {prefix}"),
                    PrefixClass::Depends => {}
                }
            }
        }
        // The shapes of real policies are decided without looking at the suffix.
        let bucket = "arn:aws:s3:::b/";
        assert_eq!(
            Glob::new("arn:aws:s3:::b/*").on_prefix(bucket),
            PrefixClass::Always
        );
        assert_eq!(
            Glob::new("arn:aws:s3:::*/*").on_prefix(bucket),
            PrefixClass::Always
        );
        assert_eq!(
            Glob::new("arn:aws:s3:::c/*").on_prefix(bucket),
            PrefixClass::Never
        );
        assert_eq!(
            Glob::new("arn:aws:s3:::b").on_prefix(bucket),
            PrefixClass::Never
        );
        assert_eq!(
            Glob::new("arn:aws:s3:::b/x/*").on_prefix(bucket),
            PrefixClass::Depends
        );
    }

    #[test]
    fn wildcard_table() {
        for (pattern, text, expected) in [
            ("*", "", true),
            ("*", "arn:aws:s3:::b/k", true),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", true),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b", false),
            ("arn:aws:s3:::*/k", "arn:aws:s3:::b/x/k", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("*a*b*c", "xxaybzc", true),
            ("*a*b*c", "xxaybz", false),
            ("s3:get*", "s3:getobject", true),
            ("s3:get*", "s3:putobject", false),
            ("**", "x", true),
            ("a*", "a", true),
            ("*.txt", "x.txt.txt", true),
            ("*?", "", false),
            ("literal", "literal", true),
            ("literal", "Literal", false),
        ] {
            assert_eq!(
                Glob::new(pattern).is_match(text),
                expected,
                "{pattern} ~ {text}"
            );
        }
    }

    #[test]
    fn fast_paths_are_chosen() {
        assert_eq!(Glob::new("**"), Glob::Any);
        assert_eq!(Glob::new("ab*"), Glob::Prefix("ab".into()));
        assert_eq!(Glob::new("ab"), Glob::Exact("ab".into()));
    }

    #[test]
    fn pathological_pattern_finishes() {
        let p = Glob::new(&"*a".repeat(30));
        assert!(!p.is_match(&"a".repeat(29)));
    }
}
