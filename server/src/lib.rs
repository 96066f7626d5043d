//! The Tandem server: REST API, web app hosting and WebSockets over the domain services.

pub mod config;
pub mod http;
pub mod live;
pub mod state;
pub mod web;
