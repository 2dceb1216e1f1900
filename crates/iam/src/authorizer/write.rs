//! The response written as JSON straight into a buffer, for streams of decisions: the
//! bytes `serde_json` writes for [`Evaluation::response`], without building the response
//! (the deciding statements' words go into the buffer as they are written, with no
//! `String` per reason).

use std::fmt::Write as _;

use super::explain::{write_explanation, write_label};
use super::judge::{deciding, reasons, root_reason, Verdict};
use super::{Atoms, Evaluated, Evaluation, Hit};
use crate::json::{write_escaped, write_string, Escaping};
use crate::policy::Effect;
use crate::request::Request;

impl Evaluation<'_> {
    /// Writes the response as JSON (compact) into `out`: exactly what
    /// `serde_json::to_writer(out, &self.response())` writes.
    pub fn write_json(self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let (scanned, verdict, req) = match self.inner {
            Evaluated::Known {
                scanned,
                verdict,
                req,
            } => (scanned, verdict, req),
            Evaluated::Done(r) => return serde_json::to_writer(out, &r),
        };
        let applies = |h: &Hit| h.needs == 0;
        out.extend_from_slice(b"{\"decision\":");
        write_string(out, verdict.decision().name());
        out.extend_from_slice(b",\"reasons\":");
        if matches!(verdict, Verdict::Denied(_)) {
            let r = reasons(&verdict, &scanned, req, &Atoms::default(), &applies);
            serde_json::to_writer(&mut *out, &r)?;
        } else {
            out.push(b'[');
            let mut first = true;
            // Each text is written plain into `text`, then escaped into `out` at once.
            let mut text = String::new();
            deciding(&verdict, &scanned, &applies, &mut |h| {
                if !first {
                    out.push(b',');
                }
                first = false;
                h.write_json(req, out, &mut text);
            });
            if first && matches!(verdict, Verdict::AllowWithout(_)) {
                serde_json::to_writer(&mut *out, &root_reason())?;
            }
            out.push(b']');
        }
        // A response judged with every value known has no notes and no residual.
        out.push(b'}');
        Ok(())
    }
}

impl Hit<'_> {
    /// The [`super::Reason`] of a hit that applies whatever is unknown (`needs` 0), as JSON.
    fn write_json(&self, req: &Request, out: &mut Vec<u8>, text: &mut String) {
        let st = self.statement;
        // Writing into a `String` or a `Vec` does not fail; numbers and the words
        // written as they are need no escaping.
        let mut escaped = |out: &mut Vec<u8>, write: &dyn Fn(&mut String) -> std::fmt::Result| {
            text.clear();
            let _ = write(text);
            write_escaped(out, text);
        };
        out.extend_from_slice(b"{\"policy_type\":\"");
        out.extend_from_slice(self.ty.key().as_bytes());
        out.extend_from_slice(b"\",\"policy\":");
        write_string(out, &self.policy.name);
        if let Some(l) = self.level {
            out.extend_from_slice(b",\"level\":");
            let _ = write!(Escaping(out), "{l}");
        }
        out.extend_from_slice(b",\"statement\":\"");
        escaped(out, &|t| write_label(t, st, self.index));
        out.extend_from_slice(b"\",\"statement_index\":");
        let _ = write!(Escaping(out), "{}", self.index);
        out.extend_from_slice(match st.effect {
            Effect::Allow => b",\"effect\":\"Allow\",\"statement_ref\":\"",
            Effect::Deny => b",\"effect\":\"Deny\",\"statement_ref\":\"",
        });
        escaped(out, &|t| self.write_statement_ref(t));
        out.extend_from_slice(b"\",\"message\":\"");
        escaped(out, &|t| {
            write_explanation(t, self.ty.words(), &self.policy.name, st, self.index, req)
        });
        out.extend_from_slice(b"\"}");
    }
}
