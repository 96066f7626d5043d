pub mod account;
pub mod bell;
pub mod composer;
pub mod form;
pub mod layout;
pub mod live;
pub mod status;
pub mod time;
