//! The route: tenant, version and ticket id.

use crate::{Error, Result};

use super::*;

/// The tenant (at least 2 characters, the configured one) and the version (`v1`); else 404.
pub fn check_route(tenant: &str, configured_tenant: &str, version: &str) -> Result<(), FieldError> {
    if tenant.chars().count() < 2 || tenant != configured_tenant {
        return Err(FieldError::new(
            "tenant",
            Error::NotFound(format!("Unknown tenant '{tenant}'")),
        ));
    }
    if version != VERSION {
        return Err(FieldError::new(
            "version",
            Error::NotFound(format!("Unsupported API version '{version}'")),
        ));
    }
    Ok(())
}

pub fn parse_ticket_id(text: &str) -> Result<i64, FieldError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| FieldError::bad("ticket_id", "ticket_id must be a positive integer"))
}
