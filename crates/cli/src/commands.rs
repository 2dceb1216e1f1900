pub mod actions;
pub mod authorize;
pub mod catalog;
pub mod check;
pub mod drift;
pub mod fix;
pub mod permissions;
pub mod validate;
