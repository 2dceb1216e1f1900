pub mod actions;
pub mod authorize;
pub mod catalog;
pub mod validate;
