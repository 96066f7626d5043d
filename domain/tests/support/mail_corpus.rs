//! A generated corpus of RFC 5322 messages for the e-mail-to-ticket tests (inbound parsing).
//!
//! Every function returns the raw message as bytes with CRLF line endings. Only example.com,
//! example.org and example.net addresses and made-up names are used. Message-id arguments may
//! be given with or without angle brackets; they are always written as `<id>`, and a parser
//! reports them without the brackets. Decoded text bodies keep their CRLF line endings, so
//! compare them after normalising line endings and trimming.
#![allow(dead_code)]

/// The `Date:` header of every generated message (5 January 2026 was a Monday).
pub const DATE: &str = "Mon, 05 Jan 2026 10:00:00 +0000";

/// Base64 (unwrapped) of a valid 1x1 RGBA PNG of 70 bytes; messages wrap it at 76 columns.
pub const PNG_1X1_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mOQz9/yHwAENQJCohKFywAAAABJRU5ErkJggg==";

/// The bytes of `report.pdf` in [`related_inline_image`] (83 bytes, starts with `%PDF-1.4`).
pub const PDF_BYTES: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

// ---------------------------------------------------------------------------------------------
// Small encoders (std only).

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends the unwrapped base64 of `input` to `out`.
fn b64_into(input: &[u8], out: &mut Vec<u8>) {
    let mut chunks = input.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend_from_slice(&[
            B64[(n >> 18) as usize & 63],
            B64[(n >> 12) as usize & 63],
            B64[(n >> 6) as usize & 63],
            B64[n as usize & 63],
        ]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[B64[(n >> 18) as usize & 63], B64[(n >> 12) as usize & 63]]);
            out.extend_from_slice(b"==");
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[
                B64[(n >> 18) as usize & 63],
                B64[(n >> 12) as usize & 63],
                B64[(n >> 6) as usize & 63],
            ]);
            out.push(b'=');
        }
        _ => {}
    }
}

/// Base64 of `input` without line breaks.
pub fn base64(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len().div_ceil(3) * 4);
    b64_into(input, &mut out);
    String::from_utf8(out).expect("base64 is ASCII")
}

/// Base64 of `input` wrapped at 76 columns, every line (the last too) ending in CRLF.
pub fn base64_lines(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len().div_ceil(57) * 78);
    for line in input.chunks(57) {
        b64_into(line, &mut out);
        out.extend_from_slice(b"\r\n");
    }
    String::from_utf8(out).expect("base64 is ASCII")
}

/// Quoted-printable (RFC 2045) of `input`; LF or CRLF line breaks become CRLF, lines are
/// soft-wrapped so that no encoded line exceeds 76 characters.
pub fn quoted_printable(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len() * 2);
    let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    for (idx, line) in lines.iter().enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut col = 0;
        for (i, &b) in line.iter().enumerate() {
            let blank = b == b' ' || b == b'\t';
            let literal = (blank && i + 1 < line.len()) || ((33..=126).contains(&b) && b != b'=');
            let enc = if literal {
                char::from(b).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + enc.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            col += enc.len();
            out.push_str(&enc);
        }
        if idx + 1 < lines.len() {
            out.push_str("\r\n");
        }
    }
    out
}

/// `s` unchanged when ASCII, otherwise as RFC 2047 `=?UTF-8?B?...?=` words folded with CRLF SP.
fn encode_words(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    words.join("\r\n ")
}

/// `<id>` for `id` or `<id>`.
fn angle(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{id}>")
}

/// Converts every bare LF to CRLF (existing CRLFs stay as they are).
fn crlf(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 16);
    let mut prev = 0u8;
    for &b in s.as_bytes() {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// ISO-8859-1 bytes of `s` (characters above U+00FF become `?`).
fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// windows-1252 bytes of `s` (the common punctuation of 0x80..0x9F, else ISO-8859-1).
fn cp1252(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            c => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Messages.

/// A single-part `text/plain; charset=utf-8` message, quoted-printable.
///
/// `from`/`to` are written verbatim (e.g. `Alice Example <alice@example.com>`); a non-ASCII
/// `subject` is written as RFC 2047 UTF-8 encoded words. A parser must extract exactly
/// `subject`, the `from` address, `message_id`, and `body` as the text body (CRLF line
/// endings; a trailing CRLF is added when `body` has none). No attachments.
pub fn plain(from: &str, to: &str, subject: &str, message_id: &str, body: &str) -> Vec<u8> {
    let (subject, id, body) = (
        encode_words(subject),
        angle(message_id),
        quoted_printable(body.as_bytes()),
    );
    let eol = if body.ends_with("\r\n") { "" } else { "\n" };
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {DATE}\nMessage-ID: {id}\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\
         Content-Transfer-Encoding: quoted-printable\n\n{body}{eol}"
    ))
}

const HTML_ONLY_BODY: &str = "<html><head><title>Login problem</title></head><body>\n\
<p>Hello <b>support</b> team,</p>\n\
<p>I cannot log in since this morning.</p>\n\
<script>alert(1)</script>\n\
</body></html>\n";

/// A single-part `text/html; charset=utf-8` message (7bit) with no text alternative.
///
/// The HTML has `<p>Hello <b>support</b> team,</p>`, `<p>I cannot log in since this
/// morning.</p>` and `<script>alert(1)</script>`. A parser yields it as the HTML body; a text
/// rendering contains "Hello support team," and "I cannot log in since this morning.". A
/// sanitiser must keep the `<p>`/`<b>` and drop the script element including `alert(1)`.
pub fn html_only(from: &str, to: &str, subject: &str, message_id: &str) -> Vec<u8> {
    let (subject, id) = (encode_words(subject), angle(message_id));
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {DATE}\nMessage-ID: {id}\n\
         MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\
         Content-Transfer-Encoding: 7bit\n\n{HTML_ONLY_BODY}"
    ))
}

/// The text part of [`alternative`] (the HTML part carries the same sentences).
pub const ALTERNATIVE_TEXT: &str =
    "Grüße aus München!\nDer Preis beträgt 42 € pro Monat.\n日本語のテキストも含まれています。\n";

/// `multipart/alternative` with a UTF-8 quoted-printable text/plain part and a UTF-8 base64
/// text/html part, both with non-ASCII (ü, €, 日本).
///
/// Text body: [`ALTERNATIVE_TEXT`] (CRLF line endings). HTML body: the same three sentences in
/// `<p>` elements, with `<b>42 €</b>`. No attachments.
pub fn alternative(from: &str, to: &str, subject: &str, message_id: &str) -> Vec<u8> {
    let (subject, id) = (encode_words(subject), angle(message_id));
    let text = quoted_printable(ALTERNATIVE_TEXT.as_bytes());
    let html = base64_lines(
        "<html><body><p>Grüße aus München!</p><p>Der Preis beträgt <b>42 €</b> pro Monat.</p>\
         <p>日本語のテキストも含まれています。</p></body></html>\r\n"
            .as_bytes(),
    );
    let b = "=_alt_7f3a9c";
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {DATE}\nMessage-ID: {id}\n\
         MIME-Version: 1.0\nContent-Type: multipart/alternative;\n\tboundary=\"{b}\"\n\n\
         This is a multi-part message in MIME format.\n\n\
         --{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n\
         {text}\n--{b}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n\
         {html}--{b}--\n"
    ))
}

/// `multipart/mixed` containing a `multipart/related` (HTML + inline PNG) and a PDF attachment.
///
/// - HTML body: `<p>Please find our logo below and the report attached.</p>` and
///   `<img src="cid:logo@example.com" alt="Example logo">`.
/// - Inline part: `image/png`, name `logo.png`, `Content-ID: <logo@example.com>` (content id
///   `logo@example.com`), `Content-Disposition: inline`; decodes to a valid 1x1 PNG
///   of 70 bytes whose base64 is [`PNG_1X1_BASE64`].
/// - Attachment: `application/pdf`, name `report.pdf`, decodes to [`PDF_BYTES`] (83 bytes).
pub fn related_inline_image(from: &str, to: &str, subject: &str, message_id: &str) -> Vec<u8> {
    let (subject, id) = (encode_words(subject), angle(message_id));
    let png: Vec<&str> = PNG_1X1_BASE64
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    let (png, pdf) = (png.join("\r\n"), base64_lines(PDF_BYTES));
    let (mixed, related) = ("=_mixed_5d21e0", "=_related_9b44c1");
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {DATE}\nMessage-ID: {id}\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{mixed}\"\n\n\
         --{mixed}\nContent-Type: multipart/related; type=\"text/html\";\n\tboundary=\"{related}\"\n\n\
         --{related}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n\
         <html><body><p>Please find our logo below and the report attached.</p>\n\
         <img src=\"cid:logo@example.com\" alt=\"Example logo\"></body></html>\n\
         --{related}\nContent-Type: image/png; name=\"logo.png\"\nContent-Transfer-Encoding: base64\n\
         Content-ID: <logo@example.com>\nContent-Disposition: inline; filename=\"logo.png\"\n\n\
         {png}\n--{related}--\n\n\
         --{mixed}\nContent-Type: application/pdf; name=\"report.pdf\"\n\
         Content-Disposition: attachment; filename=\"report.pdf\"\nContent-Transfer-Encoding: base64\n\n\
         {pdf}--{mixed}--\n"
    ))
}

/// A `text/plain` reply: subject `Re: {subject}` (no second prefix when `subject` already
/// starts with "Re:"), `In-Reply-To: <in_reply_to>`, `References:` with every id of the
/// whitespace-separated `references` in angle brackets.
///
/// The text body is `body`, a blank line, `On Mon, 05 Jan 2026 09:00:00 +0000, {to} wrote:`
/// and the quoted lines `> Thank you for contacting support.` and
/// `> Your ticket number is #1042.`. A parser reports in_reply_to/references without brackets.
pub fn reply(
    from: &str,
    to: &str,
    subject: &str,
    message_id: &str,
    in_reply_to: &str,
    references: &str,
    body: &str,
) -> Vec<u8> {
    let subject = if subject
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("re:"))
    {
        encode_words(subject)
    } else {
        encode_words(&format!("Re: {subject}"))
    };
    let (id, irt) = (angle(message_id), angle(in_reply_to));
    let refs = references
        .split_whitespace()
        .map(angle)
        .collect::<Vec<_>>()
        .join(" ");
    let text = format!(
        "{body}\n\nOn Mon, 05 Jan 2026 09:00:00 +0000, {to} wrote:\n\
         > Thank you for contacting support.\n> Your ticket number is #1042.\n"
    );
    let text = quoted_printable(text.as_bytes());
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {DATE}\nMessage-ID: {id}\n\
         In-Reply-To: {irt}\nReferences: {refs}\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n\
         {text}"
    ))
}

/// A forward as attachment: subject `Fwd: {subject}`, `multipart/mixed` with a text part
/// "Please see the forwarded message below." and a `message/rfc822` attachment named
/// `forwarded-message.eml`.
///
/// The attached message: From `Original Sender <original.sender@example.org>`, To `from`,
/// subject `subject`, Message-ID `forwarded-inner-1@example.org`, text body
/// "The printer on floor 3 shows a paper jam again." A parser must not mistake the inner
/// message's headers for the outer ones.
pub fn forwarded(from: &str, to: &str, subject: &str, message_id: &str) -> Vec<u8> {
    let (outer_subject, inner_subject) = (
        encode_words(&format!("Fwd: {subject}")),
        encode_words(subject),
    );
    let id = angle(message_id);
    let b = "=_fwd_31c8aa";
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: {outer_subject}\nDate: {DATE}\nMessage-ID: {id}\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{b}\"\n\n\
         --{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n\
         Please see the forwarded message below.\n\n\
         --{b}\nContent-Type: message/rfc822; name=\"forwarded-message.eml\"\n\
         Content-Disposition: attachment; filename=\"forwarded-message.eml\"\n\n\
         From: Original Sender <original.sender@example.org>\nTo: {from}\nSubject: {inner_subject}\n\
         Date: Sun, 04 Jan 2026 16:30:00 +0100\nMessage-ID: <forwarded-inner-1@example.org>\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n\
         The printer on floor 3 shows a paper jam again.\n\n--{b}--\n"
    ))
}

const OUTLOOK_HTML: &str = r##"<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><meta name=Generator content="Microsoft Word 15 (filtered medium)">
<!--[if !mso]><style>v\:* {behavior:url(#default#VML);}
o\:* {behavior:url(#default#VML);}
</style><![endif]--><style><!--
p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]-->
</head>
<body lang=DE link="#0563C1" vlink="#954F72" style='word-wrap:break-word'><div class=WordSection1>
<p class=MsoNormal>Hallo Support-Team,<o:p></o:p></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<p class=MsoNormal style='margin-bottom:12.0pt'>der Drucker im 3. Stock zeigt „Papierstau“ – die Reparatur kostet 120 €.<o:p></o:p></p>
<p class=MsoNormal><span style='font-size:10.0pt;color:#1F497D'>Mit freundlichen Grüßen<o:p></o:p></span></p>
<p class=MsoNormal><!--[if gte vml 1]><v:shape id="Picture_x0020_1" o:spid="_x0000_i1025" type="#_x0000_t75" style='width:48pt;height:48pt'><v:imagedata src="cid:image001.png@01DC7E3A.5F0B2C10" o:title="logo"/></v:shape><![endif]--><o:p></o:p></p>
</div></body></html>
"##;

/// An Outlook/Word-generated `text/html; charset="windows-1252"` message, quoted-printable:
/// `xmlns:o/v` namespaces, `<!--[if gte mso 9]>` and `<!--[if gte vml 1]>` conditional
/// comments, `<o:p>`, `class=MsoNormal`, inline styles and a `<v:shape>` (referring to a cid
/// that is NOT in the message).
///
/// Decoded (windows-1252) text must contain "Hallo Support-Team,",
/// "der Drucker im 3. Stock zeigt „Papierstau“ – die Reparatur kostet 120 €." and
/// "Mit freundlichen Grüßen". No attachments.
pub fn outlook_html(from: &str, to: &str, subject: &str, message_id: &str) -> Vec<u8> {
    let (subject, id) = (encode_words(subject), angle(message_id));
    let html = quoted_printable(&cp1252(OUTLOOK_HTML));
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {DATE}\nMessage-ID: {id}\n\
         Thread-Topic: {subject}\nX-Mailer: Microsoft Outlook 16.0\nMIME-Version: 1.0\n\
         Content-Type: text/html; charset=\"windows-1252\"\n\
         Content-Transfer-Encoding: quoted-printable\n\n{html}"
    ))
}

/// The decoded subject of [`iso_8859_1_headers`].
pub const ISO_SUBJECT: &str = "Größe der Anhänge";
/// The decoded From display name of [`iso_8859_1_headers`] (address juergen.mueller@example.org).
pub const ISO_FROM_NAME: &str = "Jürgen Müller";
/// The decoded text body of [`iso_8859_1_headers`] (CRLF line endings in the message).
pub const ISO_BODY: &str = "Guten Tag,\n\ndie Größe der Anhänge ist auf 10 MB begrenzt. Können Sie das ändern?\n\nMit freundlichen Grüßen\nJürgen Müller\n";

/// Subject `=?ISO-8859-1?Q?Gr=F6=DFe_der_Anh=E4nge?=` (decodes to [`ISO_SUBJECT`]), From
/// `=?ISO-8859-1?Q?J=FCrgen_M=FCller?= <juergen.mueller@example.org>` (display name
/// [`ISO_FROM_NAME`]), and a `text/plain; charset=ISO-8859-1` 8bit body whose raw bytes are
/// Latin-1 (not UTF-8) and decode to [`ISO_BODY`].
pub fn iso_8859_1_headers(to: &str, message_id: &str) -> Vec<u8> {
    let id = angle(message_id);
    let mut m = crlf(&format!(
        "From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <juergen.mueller@example.org>\nTo: {to}\n\
         Subject: =?ISO-8859-1?Q?Gr=F6=DFe_der_Anh=E4nge?=\nDate: {DATE}\nMessage-ID: {id}\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=\"ISO-8859-1\"\n\
         Content-Transfer-Encoding: 8bit\n\n"
    ));
    m.extend(latin1(&String::from_utf8(crlf(ISO_BODY)).expect("utf-8")));
    m
}

/// The decoded attachment name of [`rfc2231_filename`].
pub const RFC2231_NAME: &str = "Prüfbericht 2026.txt";

/// `multipart/mixed` with a text part "The test report is attached." and a `text/plain`
/// attachment whose name is given only as RFC 2231 continuations in Content-Disposition:
/// `filename*0*=UTF-8''Pr%C3%BCfbericht%20; filename*1*=2026.txt`, decoded
/// [`RFC2231_NAME`] ("Prüfbericht 2026.txt"). The attachment decodes to
/// "Prüfbericht 2026: alle Tests bestanden.\r\n" (UTF-8, quoted-printable).
pub fn rfc2231_filename(from: &str, to: &str, message_id: &str) -> Vec<u8> {
    let id = angle(message_id);
    let content = quoted_printable("Prüfbericht 2026: alle Tests bestanden.\n".as_bytes());
    let b = "=_rfc2231_0e6b12";
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: Test report attached\nDate: {DATE}\nMessage-ID: {id}\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{b}\"\n\n\
         --{b}\nContent-Type: text/plain; charset=utf-8\n\nThe test report is attached.\n\n\
         --{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\
         Content-Disposition: attachment;\n filename*0*=UTF-8''Pr%C3%BCfbericht%20;\n filename*1*=2026.txt\n\n\
         {content}--{b}--\n"
    ))
}

/// A delivery-status notification (RFC 3464) from `MAILER-DAEMON@example.net` to `to`:
/// `multipart/report; report-type=delivery-status` with
/// 1. a text/plain explanation,
/// 2. `message/delivery-status`: `Final-Recipient: rfc822; {failed_recipient}`,
///    `Action: failed`, `Status: 5.1.1`, `Diagnostic-Code: smtp; 550 5.1.1 ... User unknown`,
/// 3. `text/rfc822-headers` of the original message, including
///    `Message-ID: <original_message_id>` and subject "[#1042] Your request has been received".
///
/// Subject "Undelivered Mail Returned to Sender", `Auto-Submitted: auto-replied`.
pub fn dsn_bounce(
    original_message_id: &str,
    failed_recipient: &str,
    to: &str,
    message_id: &str,
) -> Vec<u8> {
    let (orig, id, rcpt) = (
        angle(original_message_id),
        angle(message_id),
        failed_recipient,
    );
    let b = "=_dsn_4a90f2";
    crlf(&format!(
        "From: Mail Delivery System <MAILER-DAEMON@example.net>\nTo: {to}\n\
         Subject: Undelivered Mail Returned to Sender\nDate: {DATE}\nMessage-ID: {id}\n\
         Auto-Submitted: auto-replied\nMIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"{b}\"\n\n\
         This is a MIME-encapsulated message.\n\n\
         --{b}\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n\
         This is the mail system at host mx.example.net.\n\n\
         I'm sorry to have to inform you that your message could not\n\
         be delivered to one or more recipients.\n\n\
         <{rcpt}>: host mx.example.org[192.0.2.25] said: 550 5.1.1\n    <{rcpt}>: Recipient address rejected: User unknown\n\n\
         --{b}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n\
         Reporting-MTA: dns; mx.example.net\nArrival-Date: Mon, 05 Jan 2026 09:59:58 +0000\n\n\
         Final-Recipient: rfc822; {rcpt}\nOriginal-Recipient: rfc822; {rcpt}\nAction: failed\n\
         Status: 5.1.1\nRemote-MTA: dns; mx.example.org\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown\n\n\
         --{b}\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n\
         From: Helpdesk <{to}>\nTo: {rcpt}\nSubject: [#1042] Your request has been received\n\
         Date: Mon, 05 Jan 2026 09:59:57 +0000\nMessage-ID: {orig}\n\n--{b}--\n"
    ))
}

/// An out-of-office reply: `Auto-Submitted: auto-replied`, `X-Autoreply: yes`,
/// `In-Reply-To: <in_reply_to>`, subject "Automatic reply: Out of office", text body
/// "I am out of the office until 12 January 2026 ...". No Precedence header.
pub fn autoresponder(from: &str, to: &str, message_id: &str, in_reply_to: &str) -> Vec<u8> {
    let (id, irt) = (angle(message_id), angle(in_reply_to));
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: Automatic reply: Out of office\nDate: {DATE}\n\
         Message-ID: {id}\nIn-Reply-To: {irt}\nAuto-Submitted: auto-replied\nX-Autoreply: yes\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n\
         I am out of the office until 12 January 2026 with no access to e-mail.\n"
    ))
}

/// A newsletter with `Precedence: bulk` (and no Auto-Submitted / List-Id), subject
/// "Newsletter: January product update".
pub fn bulk(from: &str, to: &str, message_id: &str) -> Vec<u8> {
    let id = angle(message_id);
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: Newsletter: January product update\nDate: {DATE}\n\
         Message-ID: {id}\nPrecedence: bulk\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=us-ascii\n\nHere is what is new this month.\n"
    ))
}

/// A mailing-list message with `Precedence: list` and
/// `List-Id: Helpdesk users <helpdesk-users.lists.example.org>` (list id
/// `helpdesk-users.lists.example.org`), subject "[helpdesk-users] Weekly digest".
pub fn list(from: &str, to: &str, message_id: &str) -> Vec<u8> {
    let id = angle(message_id);
    crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: [helpdesk-users] Weekly digest\nDate: {DATE}\n\
         Message-ID: {id}\nPrecedence: list\nList-Id: Helpdesk users <helpdesk-users.lists.example.org>\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nThree new threads this week.\n"
    ))
}

const BLOCK_LINES: usize = 256;
const BLOCK: usize = 57 * BLOCK_LINES; // 57 input bytes = one 76-column base64 line

fn pattern_block() -> Vec<u8> {
    (0..BLOCK as u32)
        .map(|j| {
            let x = j.wrapping_mul(0x9E37_79B1).rotate_left(7);
            (x ^ (x >> 13)) as u8
        })
        .collect()
}

/// The decoded content of the `large.bin` attachment of [`large_attachment`] (`size_bytes`
/// deterministic bytes covering all 256 values, repeating every 14592 bytes).
pub fn large_attachment_bytes(size_bytes: usize) -> Vec<u8> {
    let block = pattern_block();
    let mut v = Vec::with_capacity(size_bytes);
    while v.len() < size_bytes {
        let take = (size_bytes - v.len()).min(BLOCK);
        v.extend_from_slice(&block[..take]);
    }
    v
}

/// `multipart/mixed` with a text part "See the attached file." and an
/// `application/octet-stream` attachment `large.bin`, base64 wrapped at 76 columns, decoding
/// to [`large_attachment_bytes`]`(size_bytes)`. Builds by copying pre-encoded lines, so even
/// 20 MB is fast in debug builds. Subject "Large attachment".
pub fn large_attachment(size_bytes: usize, from: &str, to: &str, message_id: &str) -> Vec<u8> {
    let id = angle(message_id);
    let b = "=_large_c0ffee";
    let mut m = crlf(&format!(
        "From: {from}\nTo: {to}\nSubject: Large attachment\nDate: {DATE}\nMessage-ID: {id}\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{b}\"\n\n\
         --{b}\nContent-Type: text/plain; charset=us-ascii\n\nSee the attached file.\n\n\
         --{b}\nContent-Type: application/octet-stream; name=\"large.bin\"\n\
         Content-Disposition: attachment; filename=\"large.bin\"\nContent-Transfer-Encoding: base64\n\n"
    ));
    let block = pattern_block();
    let encoded = base64_lines(&block).into_bytes(); // BLOCK_LINES lines of 78 bytes
    let (full_lines, rem) = (size_bytes / 57, size_bytes % 57);
    m.reserve((full_lines + 1) * 78 + 64);
    for _ in 0..full_lines / BLOCK_LINES {
        m.extend_from_slice(&encoded);
    }
    let rest = full_lines % BLOCK_LINES;
    m.extend_from_slice(&encoded[..rest * 78]);
    if rem > 0 {
        b64_into(&block[rest * 57..rest * 57 + rem], &mut m);
        m.extend_from_slice(b"\r\n");
    }
    m.extend(crlf(&format!("--{b}--\n")));
    m
}

/// A damaged message that a parser must still read without panicking:
/// - the Subject contains raw bytes 0xFF 0xFE (invalid UTF-8): "Broken \xFF\xFE subject";
///   the decoded subject is parser-dependent (U+FFFD replacement or Latin-1 "ÿþ") but keeps
///   "Broken" and "subject";
/// - a header line without a colon ("This header line has no colon") ends the header block
///   (it comes last, so From `broken@example.com`, Message-ID `malformed-1@example.com` and
///   the multipart Content-Type are parsed whichever way it is treated);
/// - `multipart/mixed; boundary="=_never_closed"`: the close delimiter never appears;
/// - part 1: `text/plain; charset="x-unknown-42"` with ASCII text
///   "This part declares an unknown charset; its text is plain ASCII.";
/// - part 2: `application/octet-stream` `broken.bin`, `base64` with invalid base64 content
///   (decoding may yield empty, partial or raw bytes, but must not fail the whole message).
pub fn malformed() -> Vec<u8> {
    let b = "=_never_closed";
    let mut m =
        crlf("From: Broken Mailer <broken@example.com>\nTo: support@example.com\nSubject: Broken ");
    m.extend_from_slice(&[0xff, 0xfe]);
    m.extend(crlf(&format!(
        " subject\nDate: {DATE}\nMessage-ID: <malformed-1@example.com>\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"{b}\"\nThis header line has no colon\n\n\
         --{b}\nContent-Type: text/plain; charset=\"x-unknown-42\"\nContent-Transfer-Encoding: 8bit\n\n\
         This part declares an unknown charset; its text is plain ASCII.\n\n\
         --{b}\nContent-Type: application/octet-stream; name=\"broken.bin\"\n\
         Content-Disposition: attachment; filename=\"broken.bin\"\nContent-Transfer-Encoding: base64\n\n\
         This is *not* valid base64 !!! @@@ ###\n====AAAA====\nQUJD%%%\n"
    )));
    m
}

/// A message with neither `From` nor `Message-ID` (To `support@example.com`, subject
/// "Message without sender", text body "This message has neither a From nor a Message-ID
/// header."). A parser must cope; the helpdesk should store it as failed.
pub fn no_from() -> Vec<u8> {
    crlf(&format!(
        "To: support@example.com\nSubject: Message without sender\nDate: {DATE}\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=us-ascii\n\n\
         This message has neither a From nor a Message-ID header.\n"
    ))
}

/// One message of every shape, with fixed example arguments (`large_attachment` at 1 MiB).
pub fn all_shapes() -> Vec<(&'static str, Vec<u8>)> {
    let (a, d) = ("Alice <alice@example.com>", "Support <support@example.com>");
    let (b, c) = ("Bob <bob@example.org>", "Carla <carla@example.net>");
    let text = "Hello,\nthe printer in room 101 is broken.\nGrüße, Alice\n";
    let desk = "desk-1042@example.com";
    let refs = "plain-1@example.com desk-1042@example.com";
    let again = "Still broken.";
    let names = [
        "plain",
        "html_only",
        "alternative",
        "related_inline_image",
        "reply",
        "forwarded",
        "outlook_html",
        "iso_8859_1_headers",
        "rfc2231_filename",
        "dsn_bounce",
        "autoresponder",
        "bulk",
        "list",
        "large_attachment",
        "malformed",
        "no_from",
    ];
    let messages = vec![
        plain(a, d, "Printer broken", "plain-1@example.com", text),
        html_only(a, d, "Login problem", "html-1@example.com"),
        alternative(a, d, "Grüße – 42 € – 日本", "alt-1@example.com"),
        related_inline_image(a, d, "Logo", "rel-1@example.com"),
        reply(a, d, "Printer", "re-1@example.com", desk, refs, again),
        forwarded(b, d, "Paper jam", "fwd-1@example.org"),
        outlook_html(c, d, "Drucker", "outlook-1@example.net"),
        iso_8859_1_headers(d, "iso-1@example.org"),
        rfc2231_filename(a, d, "rfc2231-1@example.com"),
        dsn_bounce(desk, "nobody@example.org", d, "dsn-1@example.net"),
        autoresponder(b, d, "ooo-1@example.org", desk),
        bulk("News <news@example.net>", d, "bulk-1@example.net"),
        list("Erin <erin@example.org>", d, "list-1@example.org"),
        large_attachment(1 << 20, a, d, "large-1@example.com"),
        malformed(),
        no_from(),
    ];
    names.into_iter().zip(messages).collect()
}
