//! Setup: the seed data every instance starts with, and the demo accounts and tickets.

pub mod demo;
pub mod seeds;
