//! A CSV listing read by several threads gives what one thread gives: the same rows in the
//! same order, and on bad input the same first error at the same line. Rows mix the forms
//! a listing takes: quoted and bare fields, `""` escapes, commas in quotes, CRLF line ends,
//! empty lines, and keys longer than a range.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use vaultward_inventory::{read_path, read_path_split_above, Collect};

fn field(text: &str, quote: bool) -> String {
    if quote {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[derive(Debug, Clone)]
struct Line {
    bucket: u8,
    key: String,
    size: u32,
    quote: bool,
    crlf: bool,
    empty_after: bool,
}

fn line() -> impl Strategy<Value = Line> {
    (
        0u8..4,
        "[a-z0-9/\",. é]{0,40}",
        0u32..5000,
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(bucket, key, size, quote, crlf, empty_after)| Line {
            bucket,
            key,
            size,
            quote,
            crlf,
            empty_after,
        })
}

fn listing(lines: &[Line], bad: Option<usize>) -> String {
    let mut s = String::from("Bucket,Key,Size,ObjectOwner\n");
    for (i, l) in lines.iter().enumerate() {
        // A key with `"` or `,` must be quoted to be one field.
        let quote = l.quote || l.key.contains(['"', ',']) || l.key.starts_with('"');
        let size = if bad == Some(i) {
            "ten".to_string()
        } else {
            l.size.to_string()
        };
        s.push_str(&format!(
            "{},{},{},111122223333{}",
            field(&format!("b{}", l.bucket), l.quote),
            field(&l.key, quote),
            field(&size, l.quote),
            if l.crlf { "\r\n" } else { "\n" }
        ));
        if l.empty_after {
            s.push('\n');
        }
    }
    s
}

fn path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "vaultward-split-{name}-{}-{:?}.csv",
        std::process::id(),
        std::thread::current().id()
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn split_reading_gives_the_sequential_answer(
        lines in prop::collection::vec(line(), 0..120),
        threads in 2usize..6,
        bad in prop::option::weighted(0.3, any::<prop::sample::Index>()),
    ) {
        let bad = bad.filter(|_| !lines.is_empty()).map(|i| i.index(lines.len()));
        let p = path("prop");
        std::fs::write(&p, listing(&lines, bad)).unwrap();
        let mut one = Collect::default();
        let one = read_path(&p, &mut one).map(|_| one).map_err(|e| e.to_string());
        let mut many = Collect::default();
        let many = read_path_split_above(&p, &mut many, threads, 0)
            .map(|_| many)
            .map_err(|e| e.to_string());
        std::fs::remove_file(&p).unwrap();
        prop_assert_eq!(&one, &many);
        if bad.is_some() {
            prop_assert!(one.is_err());
        }
    }
}

#[test]
fn a_bad_row_is_named_at_its_line_whichever_thread_reads_it() {
    let rows: Vec<String> = (0..1000)
        .map(|i| format!("b,k{i},{i},111122223333"))
        .collect();
    for bad in [0, 1, 499, 500, 998, 999] {
        let mut r = rows.clone();
        r[bad] = format!("b,k{bad},many,111122223333");
        let p = path("bad");
        std::fs::write(
            &p,
            format!("Bucket,Key,Size,ObjectOwner\n{}\n", r.join("\n")),
        )
        .unwrap();
        for threads in [1, 2, 3, 7] {
            let e = read_path_split_above(&p, &mut Collect::default(), threads, 0).unwrap_err();
            assert_eq!(e.line, bad as u64 + 2, "threads {threads}: {e}");
            assert!(e.message.contains("`Size` is `many`"), "{e}");
        }
        std::fs::remove_file(&p).unwrap();
    }
}
