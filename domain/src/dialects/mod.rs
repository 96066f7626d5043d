//! Dialects: APIs other than Zammad's that Tandem speaks, translated onto the use cases.

pub mod deskhero;
