//! The Tandem server: REST API, web app hosting and WebSockets over the domain services.
#![recursion_limit = "512"]

pub mod config;
pub mod draft_socket;
pub mod http;
pub mod listener;
pub mod state;
pub mod tab_socket;
pub mod web;
