//! DeskHero's field errors: `{"success": false, "errors": [{"field", "message"}]}`.

use crate::Error;

/// A refused request: the domain error decides the status (422 is DeskHero's 400); `field`
/// names what it is about (`[0].email_addresses[1].email`, `ticket_id`, `body`), empty for the
/// request as a whole.
#[derive(Debug)]
pub struct FieldError {
    pub field: String,
    pub error: Error,
}

impl FieldError {
    pub fn new(field: impl Into<String>, error: Error) -> Self {
        FieldError {
            field: field.into(),
            error,
        }
    }

    pub(super) fn bad(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError::new(field, Error::Unprocessable(message.into()))
    }
}

impl From<Error> for FieldError {
    fn from(error: Error) -> Self {
        FieldError::new("", error)
    }
}
