pub mod authorize;
pub mod validate;
