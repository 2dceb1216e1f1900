//! Amazon Resource Names, split into their six parts.
//!
//! Source: "IAM identifiers" and "Amazon Resource Names (ARNs)", AWS documentation
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).

use crate::glob::Glob;

/// `arn:partition:service:region:account-id:resource` (the resource may hold `:` and `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        // `arn:partition:service:region:account:resource`, the resource holding any
        // further colons; split on bytes (a colon is ASCII), as `splitn(6, ':')` would.
        let mut rest = s.strip_prefix("arn:")?;
        let mut part = || -> Option<&'a str> {
            let at = rest.bytes().position(|b| b == b':')?;
            let (head, tail) = (rest.get(..at)?, rest.get(at.saturating_add(1)..)?);
            rest = tail;
            Some(head)
        };
        let partition = part()?;
        let service = part()?;
        let region = part()?;
        let account = part()?;
        let resource = rest;
        if partition.is_empty() || service.is_empty() {
            return None;
        }
        Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    fn parts(&self) -> [&'a str; 5] {
        [
            self.partition,
            self.service,
            self.region,
            self.account,
            self.resource,
        ]
    }
}

/// Whether `text` is a 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `ArnLike`/`ArnEquals`: each of the six parts is compared on its own and may
/// hold `*` and `?`. A value that is not an ARN matches nothing.
///
/// Source: "IAM JSON policy elements: Condition operators", ARN condition operators
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnPattern {
    /// `*`: any ARN.
    Any,
    Parts(Box<[Glob; 5]>),
    /// Not an ARN pattern: matches nothing.
    Invalid,
}

impl ArnPattern {
    pub fn new(pattern: &str) -> ArnPattern {
        if pattern == "*" {
            return ArnPattern::Any;
        }
        match Arn::parse(pattern) {
            Some(p) => ArnPattern::Parts(Box::new(p.parts().map(Glob::new))),
            None => ArnPattern::Invalid,
        }
    }

    /// The pattern as text (`None` for an invalid one, whose text is not kept).
    pub fn text(&self) -> Option<String> {
        match self {
            ArnPattern::Any => Some("*".into()),
            ArnPattern::Parts(globs) => {
                let parts: Vec<String> = globs.iter().map(Glob::pattern_text).collect();
                Some(format!("arn:{}", parts.join(":")))
            }
            ArnPattern::Invalid => None,
        }
    }

    pub fn is_match(&self, value: &str) -> bool {
        let Some(v) = Arn::parse(value) else {
            return false;
        };
        match self {
            ArnPattern::Any => true,
            ArnPattern::Parts(globs) => globs
                .iter()
                .zip(v.parts())
                .all(|(g, part)| g.is_match(part)),
            ArnPattern::Invalid => false,
        }
    }
}

/// One-off form of [`ArnPattern::is_match`].
pub fn arn_like(pattern: &str, value: &str) -> bool {
    ArnPattern::new(pattern).is_match(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_six_parts() {
        let a = Arn::parse("arn:aws:iam::111122223333:role/path/Name").unwrap();
        assert_eq!(a.service, "iam");
        assert_eq!(a.region, "");
        assert_eq!(a.account, "111122223333");
        assert_eq!(a.resource, "role/path/Name");
        let s3 = Arn::parse("arn:aws:s3:::bucket/key:with:colons").unwrap();
        assert_eq!(s3.resource, "bucket/key:with:colons");
        assert!(Arn::parse("arn:aws:s3").is_none());
        assert!(Arn::parse("not-an-arn").is_none());
    }

    /// The parts are what splitting on the first five colons gives, for texts with every
    /// count of colons and empty parts (the byte splitter replaced `splitn(6, ':')`).
    #[test]
    fn parts_are_the_first_five_colons_apart() {
        let reference = |s: &str| -> Option<[String; 5]> {
            let p: Vec<&str> = s.splitn(6, ':').collect();
            (p.len() == 6 && p[0] == "arn" && !p[1].is_empty() && !p[2].is_empty())
                .then(|| [1, 2, 3, 4, 5].map(|i| p[i].to_string()))
        };
        let pieces = ["", "arn", "aws", "s3", "é", "a:b", "::", "x/y:z"];
        let mut checked = 0;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for tail in ["", ":", ":::", "::::", ":::::k", "::::::"] {
                        let s = format!("{a}:{b}:{c}{tail}");
                        let got = Arn::parse(&s).map(|a| a.parts().map(str::to_string));
                        assert_eq!(got, reference(&s), "{s}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn arn_like_compares_part_by_part() {
        assert!(arn_like(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/x/y"
        ));
        assert!(arn_like(
            "arn:aws:sts::111122223333:assumed-role/R/daebaksrv-*",
            "arn:aws:sts::111122223333:assumed-role/R/daebaksrv-42"
        ));
        // A wildcard in the account part does not spill into the resource part.
        assert!(!arn_like(
            "arn:aws:iam::1*",
            "arn:aws:iam::111122223333:role/x"
        ));
        assert!(!arn_like("arn:aws:iam::*:role/x", "not-an-arn"));
        assert!(arn_like("*", "arn:aws:s3:::b"));
        assert!(!arn_like("*", "b"));
    }

    #[test]
    fn account_ids() {
        assert!(is_account_id("111122223333"));
        assert!(!is_account_id("11112222333"));
        assert!(!is_account_id("11112222333a"));
    }
}
