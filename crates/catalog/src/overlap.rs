//! Whether a policy's resource pattern can name a resource of a given type: do the two
//! patterns have a string in common? An ARN format's `${Placeholder}` reads as `*`, which
//! errs towards "they overlap" (fewer warnings, never a false one), except a bucket name,
//! which holds no `/` ("Bucket naming rules", Amazon S3 User Guide): so `bucket/*` names
//! objects, never the bucket.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Char(char),
    One,
    Star,
    /// Any text without `/` (a bucket name).
    Segment,
}

fn tokens(pattern: &str, placeholders: bool) -> Vec<Tok> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            '$' if chars.peek() == Some(&'{') => {
                // `${...}` (a placeholder, or a policy variable): any text.
                let mut name = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    name.push(c);
                }
                out.push(if placeholders && name == "{BucketName" {
                    Tok::Segment
                } else {
                    Tok::Star
                });
            }
            _ if placeholders && c == '<' => {
                for c in chars.by_ref() {
                    if c == '>' {
                        break;
                    }
                }
                out.push(Tok::Star);
            }
            c => out.push(Tok::Char(c)),
        }
    }
    out
}

/// Whether some ARN matches both the policy pattern and the ARN format. The first five
/// parts are compared one by one (a wildcard there does not reach past a `:`), the
/// resource part as a whole.
pub fn overlaps(policy_pattern: &str, arn_format: &str) -> bool {
    if policy_pattern == "*" {
        return true;
    }
    let p: Vec<&str> = policy_pattern.splitn(6, ':').collect();
    let f: Vec<&str> = arn_format.splitn(6, ':').collect();
    if p.len() != 6 || f.len() != 6 {
        return part_overlaps(policy_pattern, arn_format);
    }
    p.iter().zip(&f).all(|(a, b)| part_overlaps(a, b))
}

fn part_overlaps(policy_pattern: &str, arn_format: &str) -> bool {
    let a = tokens(policy_pattern, false);
    let b = tokens(arn_format, true);
    // reach[i][j]: a[i..] and b[j..] can still match a common string.
    let (n, m) = (a.len(), b.len());
    let mut reach = vec![vec![false; m + 1]; n + 1];
    reach[n][m] = true;
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            if i == n && j == m {
                continue;
            }
            let r = match (a.get(i), b.get(j)) {
                (Some(Tok::Star), _) => reach[i + 1][j] || (j < m && reach[i][j + 1]),
                (_, Some(Tok::Star)) => reach[i][j + 1] || (i < n && reach[i + 1][j]),
                (x, Some(Tok::Segment)) => {
                    reach[i][j + 1] || (x.is_some_and(|x| *x != Tok::Char('/')) && reach[i + 1][j])
                }
                (Some(x), Some(y)) => {
                    let same = match (x, y) {
                        (Tok::Char(p), Tok::Char(q)) => p == q,
                        _ => true,
                    };
                    same && reach[i + 1][j + 1]
                }
                _ => false,
            };
            reach[i][j] = r;
        }
    }
    reach[0][0]
}

#[cfg(test)]
mod tests {
    use super::overlaps;

    #[test]
    fn overlap_table() {
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        for (p, f, want) in [
            ("arn:aws:s3:::b", bucket, true),
            ("arn:aws:s3:::b", object, false),
            ("arn:aws:s3:::b/*", object, true),
            ("arn:aws:s3:::b/*", bucket, false),
            ("arn:aws:s3:::b*", bucket, true),
            ("arn:aws:s3:::b/k.txt", object, true),
            ("arn:aws:s3:::*", bucket, true),
            ("*", object, true),
            ("arn:aws:dynamodb:us-east-1:1:table/t", bucket, false),
            ("arn:aws:s3:::b?", bucket, true),
            (
                "arn:aws:ec2:*:*:volume/*",
                "arn:${Partition}:ec2:${Region}:${Account}:volume/${VolumeId}",
                true,
            ),
            (
                "arn:aws:ec2:*:*:snapshot/*",
                "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}",
                true,
            ),
            (
                "arn:aws:ec2:*:*:volume/*",
                "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}",
                false,
            ),
        ] {
            assert_eq!(overlaps(p, f), want, "{p} ~ {f}");
        }
    }
}
