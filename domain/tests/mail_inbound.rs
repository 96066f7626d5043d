//! Every message shape of the corpus (`support/mail_corpus.rs`) read by
//! `domain::mail::inbound::read` (mail-parser underneath): sender, subject, body, threading
//! ids, attachments with RFC 2231 names, charsets, automatic mail, bounces, broken messages.

mod support;

use domain::mail::inbound::{self, Unreadable};
use support::mail_corpus as corpus;

const FROM: &str = "Carla Customer <carla@example.org>";
const TO: &str = "Support <support@example.com>";

#[test]
fn every_shape_is_read_or_refused_with_a_reason() {
    for (name, raw) in corpus::all_shapes() {
        match inbound::read(&raw) {
            Ok(mail) => {
                assert!(!mail.from_address.is_empty(), "{name}: sender");
            }
            Err(why) => assert_eq!(why, Unreadable::NoSender, "{name} refused: {why}"),
        }
    }
}

#[test]
fn plain_text_keeps_its_text_and_ids() {
    let mail = inbound::read(&corpus::plain(
        FROM,
        TO,
        "Printer",
        "m1@example.org",
        "Line one.\r\nLine two.",
    ))
    .unwrap();
    assert_eq!(mail.from_address, "carla@example.org");
    assert_eq!(mail.from_name.as_deref(), Some("Carla Customer"));
    assert_eq!(mail.subject, "Printer");
    assert_eq!(mail.message_id.as_deref(), Some("<m1@example.org>"));
    assert_eq!(mail.content_type, "text/plain");
    assert!(mail.body.contains("Line one.") && mail.body.contains("Line two."));
    assert!(mail.automatic.is_none());
}

#[test]
fn html_and_alternative_bodies_prefer_the_html() {
    let html = inbound::read(&corpus::html_only(FROM, TO, "Login", "h1@example.org")).unwrap();
    assert_eq!(html.content_type, "text/html");
    assert!(html.body.contains("<b>support</b>"));
    let alt = inbound::read(&corpus::alternative(FROM, TO, "Preis €", "a1@example.org")).unwrap();
    assert_eq!(alt.content_type, "text/html");
    assert!(alt.body.contains("42 €"), "{}", alt.body);
    assert!(alt.body.contains("日本語"));
    assert!(
        alt.text_body
            .as_deref()
            .unwrap()
            .contains("Grüße aus München!")
    );
    assert_eq!(alt.subject, "Preis €");
}

#[test]
fn inline_images_keep_their_content_id_and_attachments_their_names() {
    let mail = inbound::read(&corpus::related_inline_image(
        FROM,
        TO,
        "Logo",
        "r1@example.org",
    ))
    .unwrap();
    let logo = mail
        .files
        .iter()
        .find(|f| f.filename == "logo.png")
        .expect("logo");
    assert_eq!(logo.content_id.as_deref(), Some("logo@example.com"));
    assert!(logo.inline);
    assert_eq!(logo.mime_type, "image/png");
    assert!(logo.bytes.starts_with(b"\x89PNG"));
    let pdf = mail
        .files
        .iter()
        .find(|f| f.filename == "report.pdf")
        .expect("pdf");
    assert_eq!(pdf.bytes, corpus::PDF_BYTES);
    assert!(!pdf.inline && pdf.content_id.is_none());
    assert!(mail.body.contains("cid:logo@example.com"));
}

#[test]
fn replies_carry_in_reply_to_and_references_with_brackets() {
    let mail = inbound::read(&corpus::reply(
        FROM,
        TO,
        "Printer [Ticket#31001]",
        "c2@example.org",
        "p1@tandem.test",
        "p0@tandem.test p1@tandem.test",
        "Still broken.",
    ))
    .unwrap();
    assert_eq!(mail.subject, "Re: Printer [Ticket#31001]");
    assert_eq!(mail.in_reply_to, vec!["<p1@tandem.test>"]);
    assert_eq!(
        mail.references,
        vec!["<p0@tandem.test>", "<p1@tandem.test>"]
    );
}

#[test]
fn a_forwarded_message_becomes_an_eml_attachment() {
    let mail = inbound::read(&corpus::forwarded(FROM, TO, "Invoice", "f1@example.org")).unwrap();
    assert_eq!(mail.subject, "Fwd: Invoice");
    let eml = mail
        .files
        .iter()
        .find(|f| f.mime_type == "message/rfc822")
        .expect("forwarded part");
    assert!(eml.filename.ends_with(".eml"), "{}", eml.filename);
    assert!(String::from_utf8_lossy(&eml.bytes).contains("forwarded-inner-1@example.org"));
}

#[test]
fn outlook_html_in_windows_1252_is_decoded() {
    let mail = inbound::read(&corpus::outlook_html(FROM, TO, "Drucker", "o1@example.org")).unwrap();
    assert_eq!(mail.content_type, "text/html");
    assert!(mail.body.contains("Papierstau"), "{}", mail.body);
    assert!(mail.body.contains("120 €"));
    assert!(mail.body.contains("Grüßen"));
}

#[test]
fn iso_8859_1_headers_and_body_are_decoded() {
    let mail = inbound::read(&corpus::iso_8859_1_headers(TO, "i1@example.org")).unwrap();
    assert_eq!(mail.subject, corpus::ISO_SUBJECT);
    assert_eq!(mail.from_name.as_deref(), Some(corpus::ISO_FROM_NAME));
    assert_eq!(mail.from_address, "juergen.mueller@example.org");
    assert!(
        mail.body
            .replace("\r\n", "\n")
            .contains("Können Sie das ändern?"),
        "{}",
        mail.body
    );
}

#[test]
fn rfc2231_continued_file_names_are_joined_and_decoded() {
    let mail = inbound::read(&corpus::rfc2231_filename(FROM, TO, "n1@example.org")).unwrap();
    assert!(
        mail.files
            .iter()
            .any(|f| f.filename == corpus::RFC2231_NAME),
        "{:?}",
        mail.files.iter().map(|f| &f.filename).collect::<Vec<_>>()
    );
}

#[test]
fn a_delivery_status_notification_is_a_bounce_naming_the_original() {
    let mail = inbound::read(&corpus::dsn_bounce(
        "orig-1@tandem.test",
        "nobody@example.org",
        "support@example.com",
        "b1@example.net",
    ))
    .unwrap();
    let bounce = mail.bounce.expect("bounce");
    assert_eq!(
        bounce.original_message_id.as_deref(),
        Some("<orig-1@tandem.test>")
    );
    assert_eq!(bounce.status.as_deref(), Some("5.1.1"));
    assert_eq!(bounce.action.as_deref(), Some("failed"));
    assert!(bounce.is_permanent());
    assert!(bounce.summary().contains("5.1.1"));
    assert!(mail.automatic.is_some());
}

#[test]
fn automatic_mail_is_recognised_by_its_headers() {
    let auto = inbound::read(&corpus::autoresponder(FROM, TO, "o2@example.org", "p1@x")).unwrap();
    assert!(
        auto.automatic
            .as_deref()
            .unwrap()
            .contains("Auto-Submitted")
    );
    let bulk = inbound::read(&corpus::bulk(FROM, TO, "b2@example.org")).unwrap();
    assert_eq!(bulk.automatic.as_deref(), Some("Precedence: bulk"));
    let list = inbound::read(&corpus::list(FROM, TO, "l2@example.org")).unwrap();
    assert_eq!(list.automatic.as_deref(), Some("Precedence: list"));
    let person = inbound::read(&corpus::plain(FROM, TO, "Hi", "p2@example.org", "Hi")).unwrap();
    assert!(person.automatic.is_none());
}

#[test]
fn a_20_mb_attachment_arrives_whole() {
    let size = 20 * 1024 * 1024;
    let mail = inbound::read(&corpus::large_attachment(size, FROM, TO, "big@example.org")).unwrap();
    let file = mail
        .files
        .iter()
        .find(|f| f.filename == "large.bin")
        .expect("large.bin");
    assert_eq!(file.bytes.len(), size);
    assert!(file.bytes == corpus::large_attachment_bytes(size));
}

#[test]
fn broken_and_senderless_messages_are_refused_or_read_without_panic() {
    let broken = inbound::read(&corpus::malformed()).expect("still readable");
    assert_eq!(broken.from_address, "broken@example.com");
    assert!(broken.subject.starts_with("Broken") && broken.subject.ends_with("subject"));
    assert_eq!(
        inbound::read(&corpus::no_from()).unwrap_err(),
        Unreadable::NoSender
    );
    assert!(inbound::read(b"\xff\xfe\x00garbage").is_err());
    assert_eq!(inbound::read(b"").unwrap_err(), Unreadable::NotAMessage);
}

#[test]
fn deep_multipart_nesting_is_read_without_recursion() {
    // 20,000 nested multipart/mixed parts: linear work, no stack overflow
    let depth = 20_000;
    let mut raw = String::from("From: deep@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
    for i in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\ninnermost\r\n");
    let mail = inbound::read(raw.as_bytes()).expect("read");
    assert_eq!(mail.from_address, "deep@example.org");
}
