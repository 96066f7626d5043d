//! Accounts: users, organisations, groups and roles, passwords, sign-in (sessions, Basic,
//! tokens) and personal access tokens.

pub mod auth;
pub mod groups;
pub mod login_guard;
pub mod organizations;
pub mod passwords;
pub mod roles;
pub mod tokens;
pub mod users;
