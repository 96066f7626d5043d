//! Dialects: the APIs Tandem speaks (Zammad's REST JSON, DeskHero's conversations), read into
//! the typed requests of the use cases and translated back.

pub mod deskhero;
pub mod zammad;
