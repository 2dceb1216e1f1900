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
    let mut r = Reader(s.as_bytes());
    let year = r.digits(4)?;
    let (month, day) = if r.eat(b'-') {
        let month = r.digits(2)?;
        if r.eat(b'-') {
            (month, r.digits(2)?)
        } else if r.is_done() {
            (month, 1)
        } else {
            return None;
        }
    } else if r.is_done() {
        (1, 1)
    } else {
        return None;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut t = Time::default();
    if !r.is_done() {
        if !(r.eat(b'T') || r.eat(b't')) {
            return None;
        }
        t.hour = r.digits(2)?;
        if !r.eat(b':') {
            return None;
        }
        t.minute = r.digits(2)?;
        if r.eat(b':') {
            t.second = r.digits(2)?;
            if r.eat(b'.') {
                // Milliseconds: the first three digits of the fraction, the rest ignored.
                let frac = r.take_digits();
                if frac.is_empty() {
                    return None;
                }
                let mut ms = *b"000";
                for (m, d) in ms.iter_mut().zip(frac) {
                    *m = *d;
                }
                t.millis = std::str::from_utf8(&ms).ok()?.parse().ok()?;
            }
        }
        if t.hour > 23 || t.minute > 59 || t.second > 60 {
            return None;
        }
        if r.eat(b'Z') || r.eat(b'z') {
            if !r.is_done() {
                return None;
            }
        } else if let Some(east) = r.sign() {
            let oh = r.digits(2)?;
            r.eat(b':');
            let om = r.digits(2)?;
            if !r.is_done() || oh > 23 || om > 59 {
                return None;
            }
            t.offset = (east, oh, om);
        } else if !r.is_done() {
            return None;
        }
    }
    Some(epoch_millis(year, month, day, &t))
}

/// The unread rest of a date's text.
struct Reader<'s>(&'s [u8]);

impl Reader<'_> {
    fn is_done(&self) -> bool {
        self.0.is_empty()
    }

    /// Consumes `b` when it comes next.
    fn eat(&mut self, b: u8) -> bool {
        match self.0.split_first() {
            Some((&first, rest)) if first == b => {
                self.0 = rest;
                true
            }
            _ => false,
        }
    }

    /// `Some(true)` for `+`, `Some(false)` for `-`, consumed; `None` otherwise.
    fn sign(&mut self) -> Option<bool> {
        if self.eat(b'+') {
            Some(true)
        } else if self.eat(b'-') {
            Some(false)
        } else {
            None
        }
    }

    /// Exactly `n` (at most 4) decimal digits as a number.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let (head, rest) = self.0.split_at_checked(n)?;
        if n > 4 || !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0 = rest;
        std::str::from_utf8(head).ok()?.parse().ok()
    }

    /// The run of decimal digits that comes next, consumed.
    fn take_digits(&mut self) -> &[u8] {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

/// A time of day and its offset from UTC, as written.
#[derive(Default)]
struct Time {
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
    /// East of UTC (`+`), hours, minutes.
    offset: (bool, i64, i64),
}

/// Milliseconds since the epoch of a checked date and time.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "the reader takes at most four digits per field (year <= 9999, the others \
              range-checked), so every product and sum stays below 10^15, far inside i64"
)]
fn epoch_millis(year: i64, month: i64, day: i64, t: &Time) -> i64 {
    let days = days_from_civil(year, month, day);
    let (east, oh, om) = t.offset;
    let offset = (oh * 3600 + om * 60) * if east { 1 } else { -1 };
    let secs = t.hour * 3600 + t.minute * 60 + t.second - offset;
    (days * 86_400 + secs) * 1000 + t.millis
}

fn is_leap(y: i64) -> bool {
    y.rem_euclid(4) == 0 && y.rem_euclid(100) != 0 || y.rem_euclid(400) == 0
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
#[expect(
    clippy::arithmetic_side_effects,
    reason = "called only by `epoch_millis` with a four-digit year and a checked month and \
              day, so every intermediate is below 10^7"
)]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The earliest and latest instants [`format_date`] writes: years 0001 to 9999.
pub const DATE_RANGE: (i64, i64) = (-62_135_596_800_000, 253_402_300_799_999);

/// `ms` since the epoch as ISO 8601 with milliseconds (`2024-01-31T12:00:00.000Z`), which
/// [`parse_date`] reads back exactly; `None` outside years 0001 to 9999.
pub fn format_date(ms: i64) -> Option<String> {
    if !(DATE_RANGE.0..=DATE_RANGE.1).contains(&ms) {
        return None;
    }
    let (days, in_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (secs, millis) = (in_day.div_euclid(1000), in_day.rem_euclid(1000));
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        secs.div_euclid(3600),
        secs.div_euclid(60).rem_euclid(60),
        secs.rem_euclid(60)
    ))
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (the inverse of
/// `days_from_civil`).
#[expect(
    clippy::arithmetic_side_effects,
    reason = "called only by `format_date` with a day count of years 0001 to 9999 (under \
              3 * 10^6 in magnitude), so every intermediate is below 10^7"
)]
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::{format_date, parse_date, DATE_RANGE};

    #[test]
    fn formats_what_it_reads() {
        for ms in [
            0,
            1_577_836_800_500,
            -1,
            DATE_RANGE.0,
            DATE_RANGE.1,
            951_782_400_000, // 2000-02-29
            4_107_542_399_999,
        ] {
            let text = format_date(ms).unwrap();
            assert_eq!(parse_date(&text), Some(ms), "{text}");
        }
        assert_eq!(format_date(0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(format_date(DATE_RANGE.1 + 1), None);
    }

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
