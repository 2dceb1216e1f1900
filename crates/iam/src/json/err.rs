use thiserror::Error;

/// A JSON syntax error, with the byte offset where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JsonError {
    #[error("expected {expected}, found `{found}`")]
    Unexpected {
        expected: &'static str,
        found: char,
        offset: usize,
    },
    #[error("expected {expected}, found the end of the input")]
    UnexpectedEnd {
        expected: &'static str,
        offset: usize,
    },
    #[error("string is not closed")]
    UnterminatedString { offset: usize },
    #[error("invalid escape sequence in string")]
    BadEscape { offset: usize },
    #[error("control character inside a string must be escaped")]
    ControlCharacter { offset: usize },
    #[error("text after the end of the JSON document")]
    TrailingText { offset: usize },
    #[error("JSON nested too deeply")]
    TooDeep { offset: usize },
    /// A position inside a character: never expected, reported rather than a panic.
    #[error("the reader lost its place inside a character")]
    NotCharBoundary { offset: usize },
}

impl JsonError {
    pub fn offset(&self) -> usize {
        match *self {
            JsonError::Unexpected { offset, .. }
            | JsonError::UnexpectedEnd { offset, .. }
            | JsonError::UnterminatedString { offset }
            | JsonError::BadEscape { offset }
            | JsonError::ControlCharacter { offset }
            | JsonError::TrailingText { offset }
            | JsonError::TooDeep { offset }
            | JsonError::NotCharBoundary { offset } => offset,
        }
    }
}
