//! The one error type of the domain. The HTTP layer maps each variant to one status code.

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No credentials were sent for something that needs them (Zammad answers 403
    /// "Authentication required" here, not 401).
    #[error("Authentication required")]
    CredentialsMissing,
    /// Credentials were sent but are wrong, expired or belong to a locked/inactive user (401).
    #[error("{0}")]
    CredentialsRejected(String),
    /// The client failed too often: try again after this many seconds (429 with `Retry-After`).
    #[error("Too many failed logins from this client. Try again in {retry_after_seconds} seconds.")]
    TooManyAttempts { retry_after_seconds: u64 },
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Bad parameters, failed validation, unknown lookup values, constraint violations.
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The HTTP status this error answers with (the one mapping, used by the REST API and the
    /// web app's server functions).
    pub fn status_code(&self) -> u16 {
        match self {
            Error::CredentialsMissing | Error::Forbidden(_) => 403,
            Error::CredentialsRejected(_) => 401,
            Error::NotFound(_) => 404,
            Error::Unprocessable(_) => 422,
            Error::PreconditionFailed(_) => 412,
            Error::PayloadTooLarge(_) => 413,
            Error::TooManyAttempts { .. } => 429,
            Error::Database(_) | Error::Internal(_) => 500,
        }
    }

    pub fn not_authorized() -> Self {
        Error::Forbidden("Not authorized".into())
    }

    pub fn not_found(model: &str, id: impl std::fmt::Display) -> Self {
        Error::NotFound(format!("Couldn't find {model} with 'id'={id}"))
    }

    pub fn unprocessable(msg: impl Into<String>) -> Self {
        Error::Unprocessable(msg.into())
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return Error::Unprocessable("This object already exists.".into());
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return Error::Unprocessable("A referenced object does not exist.".into());
                }
                sqlx::error::ErrorKind::NotNullViolation
                | sqlx::error::ErrorKind::CheckViolation => {
                    return Error::Unprocessable(format!("Invalid value: {}", db.message()));
                }
                _ => {}
            }
        }
        Error::Database(err)
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::Internal(format!("JSON: {err}"))
    }
}
