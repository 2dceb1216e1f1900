//! A small YAML writer for CloudFormation templates. Strings are written double-quoted
//! (JSON's escapes are valid in YAML's double-quoted style), so no value is misread.

use serde_json::Value;

/// Writes `v` as a YAML document.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    write_block(&mut out, v, 0);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
        && !k.contains(": ")
        && !k.ends_with(':')
        // YAML 1.1 reads these as null or booleans (`Null` is an IAM condition operator).
        && !matches!(k.to_ascii_lowercase().as_str(), "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n");
    if plain {
        k.to_string()
    } else {
        scalar(&Value::String(k.to_string()))
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        other => other.to_string(),
    }
}

fn is_block(v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty()) || matches!(v, Value::Object(m) if !m.is_empty())
}

fn write_block(out: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, val) in m {
                if is_block(val) {
                    out.push_str(&format!("{pad}{}:\n", key(k)));
                    let child = if matches!(val, Value::Array(_)) {
                        indent
                    } else {
                        indent + 2
                    };
                    write_block(out, val, child);
                } else {
                    out.push_str(&format!("{pad}{}: {}\n", key(k), scalar(val)));
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for item in a {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        // The first key goes on the dash line.
                        let mut inner = String::new();
                        write_block(&mut inner, item, indent + 2);
                        let trimmed = inner.trim_start_matches(' ');
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                    Value::Array(x) if !x.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        write_block(out, item, indent + 2);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::to_yaml;
    use serde_json::json;

    #[test]
    fn writes_maps_lists_and_scalars() {
        let v = json!({"A": {"b": [1, "x", {"c": true, "d": []}], "e:f": "g\"h"}, "Empty": {}, "Null": {"k": "true"}});
        assert_eq!(
            to_yaml(&v),
            "A:\n  b:\n  - 1\n  - \"x\"\n  - c: true\n    d: []\n  e:f: \"g\\\"h\"\nEmpty: {}\n\"Null\":\n  k: \"true\"\n"
        );
    }
}
