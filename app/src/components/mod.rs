pub mod bell;
pub mod composer;
pub mod layout;
pub mod live;
