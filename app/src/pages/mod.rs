pub mod admin;
pub mod home;
pub mod login;
pub mod new_ticket;
pub mod overview;
pub mod profile;
pub mod ticket;
pub mod user;
