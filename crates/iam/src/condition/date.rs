//! Dates for the `Date*` operators: ISO 8601 (W3C profile) or epoch seconds.
//!
//! Source: "Date condition operators", AWS IAM User Guide
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date).

/// Milliseconds since the Unix epoch, or `None` when `s` is not a date.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = num(0, 4)?;
    let (month, day, mut i) = match (b.get(4), b.get(7)) {
        (Some(b'-'), Some(b'-')) => (num(5, 2)?, num(8, 2)?, 10),
        (Some(b'-'), _) if b.len() == 7 => (num(5, 2)?, 1, 7),
        _ if b.len() == 4 => (1, 1, 4),
        _ => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut secs = 0i64;
    let mut millis = 0i64;
    let mut offset = 0i64;
    if i < b.len() {
        if b[i] != b'T' && b[i] != b't' {
            return None;
        }
        let hour = num(i + 1, 2)?;
        if b.get(i + 3) != Some(&b':') {
            return None;
        }
        let minute = num(i + 4, 2)?;
        i += 6;
        let mut second = 0;
        if b.get(i) == Some(&b':') {
            second = num(i + 1, 2)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                if end == start {
                    return None;
                }
                let frac = s.get(start..end.min(start + 3))?;
                millis = frac.parse::<i64>().ok()? * 10i64.pow(3 - frac.len() as u32);
                i = end;
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs = hour * 3600 + minute * 60 + second;
        match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => {}
            Some(sign @ (b'+' | b'-')) => {
                let oh = num(i + 1, 2)?;
                let om = match b.get(i + 3) {
                    Some(b':') => num(i + 4, 2)?,
                    _ => num(i + 3, 2)?,
                };
                let consumed = if b.get(i + 3) == Some(&b':') { 6 } else { 5 };
                if i + consumed != b.len() || oh > 23 || om > 59 {
                    return None;
                }
                offset = (oh * 3600 + om * 60) * if *sign == b'+' { 1 } else { -1 };
            }
            None => {}
            _ => return None,
        }
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + secs - offset) * 1000 + millis)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn reads_iso_8601_and_epoch() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(1_577_836_800_000));
        assert_eq!(parse_date("2020-01-01"), Some(1_577_836_800_000));
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800_000));
        assert_eq!(
            parse_date("2020-01-01T01:00:00+01:00"),
            Some(1_577_836_800_000)
        );
        assert_eq!(
            parse_date("2020-01-01T00:00:00.5Z"),
            Some(1_577_836_800_500)
        );
        assert!(parse_date("2024-02-29T00:00:00Z").is_some());
        for bad in [
            "2023-02-29",
            "2020-13-01",
            "yesterday",
            "2020-01-01T25:00:00Z",
            "2020-01-01T00:00:00Zjunk",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
