//! Property tests (proptest, bounded) for the code that reads untrusted text: the search query
//! parser, the HTML sanitiser, DeskHero's editorjs rendering, HTML → text, and the shared-draft
//! document conversions (HTML → nodes → yrs document → HTML). Inputs are arbitrary strings and
//! structured ones: random tag trees with dangerous tags and attributes, and nesting up to 5000
//! levels deep.
//!
//! Each property runs in its own child process (the test binary again, `FUZZ_CHILD=<name>`), on
//! a thread with a 2 MiB stack like a tokio worker's: a stack overflow aborts only that child
//! and is reported as that property's failure, the others still run.
//!
//! Properties that fail today are listed in [`EXPECTED_TO_BE_FIXED`] and skipped, so the file
//! passes; remove a name once it is fixed. `FUZZ_ALL=1` runs them too.

mod support;

use std::time::Instant;

use markup5ever_rcdom::{Handle, NodeData, RcDom};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};
use serde_json::{Value, json};

use domain::dialects::deskhero;
use domain::search;
use domain::shared_drafts::{content, document};
use domain::tickets::{html_limits, html_text, sanitize};

/// Properties that fail today; skipped until fixed (see the report in each entry's comment).
const EXPECTED_TO_BE_FIXED: &[&str] = &[];

/// A tokio worker thread's stack (and Rust's default for spawned threads).
const STACK: usize = 2 * 1024 * 1024;

/// Number of cases for the ordinary properties; deep-nesting ones use [`DEEP_CASES`].
const CASES: u32 = 200;
const DEEP_CASES: u32 = 6;
const MAX_DEPTH: usize = 5000;

// ---------------------------------------------------------------------------------------------
// Running a property in its own process

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    }
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({} chars)", text.chars().count())
}

/// Runs `property` with `cases` cases of `strategy`; panics with the (shrunk) failing input.
fn check<S: Strategy>(
    cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(config(cases));
    match runner.run(&strategy, property) {
        Ok(()) => {}
        Err(TestError::Fail(reason, input)) => panic!(
            "property failed: {reason}\nminimal failing input: {}",
            short(&format!("{input:?}"), 2000)
        ),
        Err(TestError::Abort(reason)) => panic!("property aborted: {reason}"),
    }
}

/// Runs `body` in a child process (see the module comment); a no-op for skipped properties.
fn isolated(name: &str, body: fn()) {
    if std::env::var("FUZZ_CHILD").as_deref() == Ok(name) {
        let worker = std::thread::Builder::new()
            .name(name.to_string())
            .stack_size(STACK)
            .spawn(body)
            .expect("property thread");
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
        return;
    }
    if EXPECTED_TO_BE_FIXED.contains(&name) && std::env::var("FUZZ_ALL").as_deref() != Ok("1") {
        eprintln!("{name}: SKIPPED (EXPECTED_TO_BE_FIXED; FUZZ_ALL=1 runs it)");
        return;
    }
    let started = Instant::now();
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads", "1"])
        .env("FUZZ_CHILD", name)
        .output()
        .expect("run the property in a child process");
    eprintln!("{name}: {:.2?}", started.elapsed());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() || stdout.contains("running 1 test"),
        "{name}: the child process ran no test (renamed?): {stdout}"
    );
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = match stderr.find("panicked at") {
            Some(at) => {
                let mut from = at.saturating_sub(60);
                while !stderr.is_char_boundary(from) {
                    from -= 1;
                }
                short(&stderr[from..], 3000)
            }
            None => short(&stderr, 3000),
        };
        #[cfg(unix)]
        let signal = {
            use std::os::unix::process::ExitStatusExt;
            out.status.signal()
        };
        #[cfg(not(unix))]
        let signal: Option<i32> = None;
        let overflow = stderr.contains("has overflowed its stack");
        panic!(
            "{name} failed in its child process ({}{}):\n{why}",
            out.status,
            match (overflow, signal) {
                (true, _) => ", STACK OVERFLOW".to_string(),
                (false, Some(s)) => format!(", killed by signal {s}"),
                _ => String::new(),
            }
        );
    }
}

#[test]
fn skip_list_names_real_properties() {
    let source = include_str!("fuzz.rs");
    for name in EXPECTED_TO_BE_FIXED {
        assert!(
            source.contains(&format!("fn {name}()")),
            "EXPECTED_TO_BE_FIXED names an unknown property {name:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Generators

/// Nesting depths: mostly shallow, some deep, and the maximum itself (a deep HTML case costs
/// about a second in debug: html5ever's scope checks make parsing it quadratic).
fn deep() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => 1usize..300,
        1 => 300usize..MAX_DEPTH,
        1 => Just(MAX_DEPTH),
    ]
}

const TAGS: &[&str] = &[
    "p",
    "div",
    "span",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "a",
    "img",
    "br",
    "hr",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h6",
    "table",
    "tbody",
    "tr",
    "td",
    "th",
    "font",
    "sub",
    "sup",
    "mark",
    "small",
    "figure",
    "figcaption",
    "script",
    "style",
    "iframe",
    "svg",
    "math",
    "object",
    "embed",
    "textarea",
    "select",
    "option",
    "title",
    "noscript",
    "template",
    "form",
    "input",
    "button",
    "details",
    "summary",
    "xmp",
    "noembed",
    "plaintext",
    "frameset",
    "base",
    "meta",
    "link",
    "body",
    "html",
    "head",
    "foreignObject",
    "annotation-xml",
    "mi",
    "desc",
];

const ATTRS: &[&str] = &[
    "href",
    "src",
    "style",
    "class",
    "onclick",
    "onerror",
    "onload",
    "OnMouseOver",
    "formaction",
    "xlink:href",
    "srcdoc",
    "data-signature",
    "title",
    "alt",
    "target",
    "dir",
    "type",
    "cite",
    "action",
    "background",
    "poster",
    "width",
    "color",
    "face",
    "colspan",
    "is",
    "lang",
    "id",
];

const VALUES: &[&str] = &[
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "\u{1}javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/png;base64,iVBORw0KGgo=",
    "data:image/svg+xml;base64,PHN2Zz4=",
    "cid:x@y",
    "http://example.test/x",
    "mailto:a@b.c",
    "//evil.test",
    "expression(alert(1))",
    "color: red; background-image: url(javascript:alert(1))",
    "width: expression(alert(1))",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "language-rust",
    "cite",
    "",
    "x",
];

const TEXTS: &[&str] = &[
    "text",
    "Hello, world",
    "<script>alert(1)</script>",
    "&lt;script&gt;",
    "&amp;",
    "&#0;",
    "&nbsp;",
    "javascript:alert(1)",
    "onclick=alert(1)",
    "\u{0}",
    "\u{202e}",
    "🦀",
    " ",
    "\n",
    "<!--",
    "-->",
    "]]>",
    "<![CDATA[x]]>",
    "On Monday x wrote:",
    "> quoted",
    "-----Original Message-----",
];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(pool)
}

/// One start tag with 0–3 attributes from the pools (values quoted, single-quoted or bare).
fn start_tag() -> impl Strategy<Value = String> {
    (
        pick(TAGS),
        prop::collection::vec((pick(ATTRS), pick(VALUES), 0u8..3), 0..3),
    )
        .prop_map(|(tag, attrs)| {
            let mut s = format!("<{tag}");
            for (name, value, quote) in attrs {
                match quote {
                    0 => s.push_str(&format!(" {name}=\"{value}\"")),
                    1 => s.push_str(&format!(" {name}='{value}'")),
                    _ => s.push_str(&format!(" {name}={}", value.replace(' ', ""))),
                }
            }
            s.push('>');
            s
        })
}

#[derive(Debug, Clone)]
enum Tree {
    Text(String),
    Element {
        open: String,
        tag: String,
        children: Vec<Tree>,
        closed: bool,
    },
}

/// Random tag trees (up to 8 levels, closing tags sometimes left out).
fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        pick(TEXTS).prop_map(|t| Tree::Text(t.to_string())),
        "\\PC{0,12}".prop_map(Tree::Text),
    ];
    leaf.prop_recursive(8, 96, 4, |inner| {
        (
            start_tag(),
            prop::collection::vec(inner, 0..4),
            prop::bool::weighted(0.8),
        )
            .prop_map(|(open, children, closed)| {
                let tag = open[1..]
                    .split([' ', '>'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                Tree::Element {
                    open,
                    tag,
                    children,
                    closed,
                }
            })
    })
}

fn render_tree(t: &Tree, out: &mut String) {
    match t {
        Tree::Text(s) => out.push_str(s),
        Tree::Element {
            open,
            tag,
            children,
            closed,
        } => {
            out.push_str(open);
            for c in children {
                render_tree(c, out);
            }
            if *closed {
                out.push_str(&format!("</{tag}>"));
            }
        }
    }
}

/// HTML from random trees, sometimes with stray fragments between them.
fn html_doc() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => tree().prop_map(|t| {
                let mut s = String::new();
                render_tree(&t, &mut s);
                s
            }),
            1 => pick(&["</p>", "</div>", "<", ">", "</", "<!", "<?x", "&", "\"", "'", "=", "</b></i>", "<br/>", "</table>", "</li>"]).prop_map(str::to_string),
            1 => "\\PC{0,40}",
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

/// Deep nesting: `depth` random start tags (each from `tags`), a leaf, then the closing tags —
/// all of them, none, or in the wrong order.
fn deep_html(tags: &'static [&'static str]) -> impl Strategy<Value = String> {
    (deep(), any::<u64>(), 0u8..3)
        .prop_map(move |(depth, seed, closing)| deep_html_of(tags, depth, seed, closing))
}

/// One input of [`deep_html`].
fn deep_html_of(tags: &[&str], depth: usize, seed: u64, closing: u8) -> String {
    let mut rng = seed | 1;
    let mut next = || {
        // xorshift: the spine's tags, cheap and reproducible from the seed
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng as usize
    };
    let spine: Vec<&str> = (0..depth).map(|_| tags[next() % tags.len()]).collect();
    let mut s = String::new();
    for (i, tag) in spine.iter().enumerate() {
        match next() % 8 {
            0 => s.push_str(&format!("<{tag} style=\"color:red\" onclick=\"x{i}()\">")),
            1 => s.push_str(&format!("<{tag} href=\"javascript:alert({i})\">")),
            _ => s.push_str(&format!("<{tag}>")),
        }
    }
    s.push_str("leaf <script>alert(1)</script>");
    match closing {
        0 => spine
            .iter()
            .rev()
            .for_each(|t| s.push_str(&format!("</{t}>"))),
        1 => {}
        _ => spine.iter().for_each(|t| s.push_str(&format!("</{t}>"))),
    }
    s
}

/// The deepest input of [`deep_html`], unclosed: run once in every deep property, whatever
/// the random cases are.
fn deepest_html(tags: &[&str]) -> String {
    deep_html_of(tags, MAX_DEPTH, 0x5eed, 1)
}

/// Runs `property` on one fixed input first (the worst case), then `cases` random ones.
fn check_worst_then<S: Strategy>(
    worst: S::Value,
    cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    if let Err(e) = property(worst) {
        panic!("property failed on the deepest input: {e}");
    }
    check(cases, strategy, property);
}

const BLOCK_TAGS: &[&str] = &[
    "div",
    "p",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "tr",
    "td",
    "h2",
    "pre",
    "span",
];
const INLINE_TAGS: &[&str] = &[
    "b", "i", "u", "s", "code", "a", "span", "strong", "em", "font",
];
const DRAFT_TAGS: &[&str] = &[
    "ul",
    "li",
    "ol",
    "blockquote",
    "p",
    "div",
    "b",
    "i",
    "s",
    "u",
    "code",
    "a",
    "strong",
    "em",
    "pre",
    "h1",
    "span",
];

// ---------------------------------------------------------------------------------------------
// Checks

const FORBIDDEN_TAGS: &[&str] = &[
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "svg",
    "math",
    "frame",
    "frameset",
    "base",
    "meta",
    "link",
    "form",
    "input",
    "button",
    "textarea",
    "template",
    "noscript",
    "xmp",
    "noembed",
    "plaintext",
];

/// Attributes whose value a browser loads or navigates to.
const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "poster",
    "cite",
    "xlink:href",
    "srcset",
    "data",
    "codebase",
    "lowsrc",
    "dynsrc",
    "longdesc",
    "usemap",
    "ping",
    "manifest",
    "icon",
    "srcdoc",
];

/// What makes sanitised HTML unsafe, as a browser would parse it: a script-capable element,
/// an event handler, a `javascript:`/`vbscript:`/`data:text` URL, a CSS expression. The walk is
/// iterative, so deep documents cannot overflow the checker itself.
fn unsafe_parts(html: &str, data_images_allowed: bool) -> Vec<String> {
    use html5ever::tendril::TendrilSink;
    let mut found = Vec::new();
    let lower = html.to_ascii_lowercase();
    if lower.contains("<script") {
        found.push("the text `<script` is in the output".into());
    }
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let mut stack: Vec<Handle> = vec![dom.document.clone()];
    while let Some(node) = stack.pop() {
        if let NodeData::Element {
            name,
            attrs,
            template_contents,
            ..
        } = &node.data
        {
            let tag = name.local.to_string().to_ascii_lowercase();
            if FORBIDDEN_TAGS.contains(&tag.as_str()) {
                found.push(format!("<{tag}> element"));
            }
            for a in attrs.borrow().iter() {
                let attr = a.name.local.to_string().to_ascii_lowercase();
                if attr.starts_with("on") {
                    found.push(format!("{attr}= on <{tag}>"));
                }
                let value: String = a
                    .value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                // URLs only where a browser follows them (`javascript:` in a `title` or a
                // `<font color>` is inert text)
                if URL_ATTRS.contains(&attr.as_str()) {
                    if value.starts_with("javascript:")
                        || value.starts_with("vbscript:")
                        || value.starts_with("data:text")
                        || value.starts_with("data:image/svg")
                    {
                        found.push(format!("{attr}={value:?} on <{tag}>"));
                    } else if value.starts_with("data:")
                        && !(data_images_allowed && tag == "img" && attr == "src")
                    {
                        found.push(format!("data: URL in {attr} on <{tag}>"));
                    }
                }
                if attr == "style"
                    && (value.contains("expression(") || value.contains("javascript:"))
                {
                    found.push(format!("style={value:?} on <{tag}>"));
                }
            }
            if let Some(t) = template_contents.borrow().as_ref() {
                stack.push(t.clone());
            }
        }
        stack.extend(node.children.borrow().iter().cloned());
    }
    found
}

fn assert_safe(output: &str, input: &str, data_images_allowed: bool) -> Result<(), TestCaseError> {
    let found = unsafe_parts(output, data_images_allowed);
    prop_assert!(
        found.is_empty(),
        "unsafe output {:?}\nfrom input {:?}\noutput {:?}",
        found,
        short(input, 600),
        short(output, 600)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Search query parser

/// Query-language tokens, joined at random: balanced or not, operators anywhere.
fn query_tokens() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        pick(&[
            "(",
            ")",
            "AND",
            "OR",
            "NOT",
            "&&",
            "||",
            "-",
            "\"",
            ":",
            "[",
            "]",
            "{",
            "}",
            "TO",
            "*",
            "-x",
            "title:",
            "state.name:open",
            "created_at:[",
            "created_at:[2024-01-01 TO *]",
            "updated_at:{* TO 2020}",
            "tags:\"a b\"",
            "number:42",
            "\"a phrase\"",
            "\"",
            "customer.email:a@b.c",
            "x:[",
            "x:{",
            "::",
            "-(",
            "NOT(",
            "( )",
            "printer",
            "🦀",
            "\u{0}",
            "\u{3000}",
            "\t",
        ])
        .prop_map(str::to_string),
        "[a-z]{1,6}",
        "\\PC{1,4}",
    ];
    prop::collection::vec((token, pick(&[" ", "", "  ", "\n"])), 0..40).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(t, sep)| format!("{t}{sep}"))
            .collect()
    })
}

/// Deep nesting of each kind the grammar has, up to [`MAX_DEPTH`] levels, sometimes unbalanced.
fn deep_query() -> impl Strategy<Value = String> {
    (
        deep(),
        pick(&[
            "(", "NOT ", "-", "NOT (", "(\"", "title:(", "((a OR ", "(-", "( NOT",
        ]),
        pick(&[")", "", ")\"", "))", " )"]),
        pick(&[
            "printer",
            "a",
            "\"x y\"",
            "title:x",
            "created_at:[* TO *]",
            "",
        ]),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(depth, open, close, leaf, balanced)| {
            let closes = if balanced { depth } else { depth / 2 };
            format!("{}{leaf}{}", open.repeat(depth), close.repeat(closes))
        })
}

/// Long flat queries: many terms joined by one operator.
fn wide_query() -> impl Strategy<Value = String> {
    (
        1usize..3000,
        pick(&[" OR ", " AND ", " ", " OR NOT ", " -"]),
        pick(&[
            "printer",
            "title:x",
            "\"a b\"",
            "created_at:[2024 TO *]",
            "(a)",
        ]),
    )
        .prop_map(|(n, op, term)| vec![term; n].join(op))
}

fn parse_is_total(query: String) -> Result<(), TestCaseError> {
    // Ok or a 4xx error, never a panic (a panic fails the case, proptest catches it)
    if let Err(err) = search::parse(&query) {
        prop_assert!(
            err.status_code() < 500,
            "parse error is not a client error: {err:?} for {:?}",
            short(&query, 300)
        );
    }
    Ok(())
}

#[test]
fn search_parse_arbitrary_strings() {
    isolated("search_parse_arbitrary_strings", || {
        check(CASES, "\\PC{0,300}", parse_is_total);
        check(CASES, any::<String>(), parse_is_total);
    });
}

#[test]
fn search_parse_token_soup() {
    isolated("search_parse_token_soup", || {
        check(CASES, query_tokens(), parse_is_total);
    });
}

#[test]
fn search_parse_deep_nesting() {
    isolated("search_parse_deep_nesting", || {
        let deepest = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        check_worst_then(deepest, CASES, deep_query(), parse_is_total);
        check_worst_then(
            "NOT ".repeat(MAX_DEPTH),
            DEEP_CASES * 4,
            wide_query(),
            parse_is_total,
        );
    });
}

/// Well-formed queries within the documented limits (shallow, few terms, short) parse.
#[test]
fn search_parse_accepts_well_formed_queries() {
    isolated("search_parse_accepts_well_formed_queries", || {
        let atom = prop_oneof![
            "[a-z]{1,8}".prop_filter("not an operator", |w| w != "to"),
            "[a-z ]{0,10}".prop_map(|p| format!("\"{p}\"")),
            (
                "(state\\.name|title|tags|number|group\\.name)",
                "[a-z0-9]{1,6}"
            )
                .prop_map(|(f, v)| format!("{f}:{v}")),
            Just("created_at:[2024-01-01 TO *]".to_string()),
        ];
        // at most 3 levels of 1–3 parts: 27 terms, 6 levels of nesting, well within the limits
        let expr = atom.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                (
                    prop::collection::vec(inner.clone(), 1..4),
                    pick(&[" AND ", " OR ", " "])
                )
                    .prop_map(|(parts, op)| parts.join(op)),
                inner.clone().prop_map(|e| format!("({e})")),
                inner.prop_map(|e| format!("NOT ({e})")),
            ]
        });
        check(CASES, expr, |query| {
            let parsed = search::parse(&query);
            prop_assert!(parsed.is_ok(), "{query:?} refused: {parsed:?}");
            Ok(())
        });
    });
}

// ---------------------------------------------------------------------------------------------
// HTML sanitiser

fn sanitisers_are_safe(input: String) -> Result<(), TestCaseError> {
    let clean = sanitize::html(&input);
    assert_safe(&clean, &input, false)?;
    let draft = sanitize::draft_html(&input);
    assert_safe(&draft, &input, true)?;
    let (with_images, images) =
        sanitize::html_with_inline_images(&input, || "1.cid@tandem.test".to_string());
    assert_safe(&with_images, &input, false)?;
    for image in &images {
        prop_assert!(
            ["image/png", "image/jpeg", "image/gif", "image/webp"]
                .contains(&image.mime_type.as_str()),
            "extracted {} from {:?}",
            image.mime_type,
            short(&input, 300)
        );
    }
    // sanitising what was sanitised keeps it safe
    assert_safe(&sanitize::html(&clean), &clean, false)?;
    Ok(())
}

#[test]
fn sanitize_arbitrary_strings() {
    isolated("sanitize_arbitrary_strings", || {
        check(CASES, "\\PC{0,400}", sanitisers_are_safe);
    });
}

#[test]
fn sanitize_random_tag_trees() {
    isolated("sanitize_random_tag_trees", || {
        check(CASES, html_doc(), sanitisers_are_safe);
    });
}

#[test]
fn sanitize_deep_nesting() {
    isolated("sanitize_deep_nesting", || {
        check_worst_then(
            deepest_html(BLOCK_TAGS),
            DEEP_CASES,
            deep_html(BLOCK_TAGS),
            sanitisers_are_safe,
        );
        check(DEEP_CASES, deep_html(TAGS), sanitisers_are_safe);
    });
}

#[test]
fn escape_text_is_inert() {
    isolated("escape_text_is_inert", || {
        check(CASES, "\\PC{0,200}", |text| {
            let escaped = domain::tickets::html_text::escape(&text);
            prop_assert!(
                !escaped.contains('<') && !escaped.contains('>'),
                "{escaped:?}"
            );
            Ok(())
        });
    });
}

// ---------------------------------------------------------------------------------------------
// HTML → text (DeskHero's previews, the search index)

fn html_to_text_is_total(input: String) -> Result<(), TestCaseError> {
    for newest_only in [false, true] {
        let text = domain::tickets::html_text::html_to_text(&input, newest_only);
        let _ = deskhero::plain_preview(&text);
        prop_assert!(deskhero::read_minutes(&text) >= 1);
    }
    Ok(())
}

#[test]
fn html_to_text_random_trees() {
    isolated("html_to_text_random_trees", || {
        check(CASES, html_doc(), html_to_text_is_total);
    });
}

#[test]
fn html_to_text_deep_nesting() {
    isolated("html_to_text_deep_nesting", || {
        check_worst_then(
            deepest_html(&["blockquote", "div", "li"]),
            DEEP_CASES,
            deep_html(BLOCK_TAGS),
            html_to_text_is_total,
        );
    });
}

// ---------------------------------------------------------------------------------------------
// DeskHero editorjs (through the public entry point: `render_editorjs` is private)

/// editorjs inline HTML: fragments of markup, hostile ones included.
fn inline_html() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            pick(&[
                "<b>",
                "</b>",
                "<i>",
                "</i>",
                "<a href=\"javascript:alert(1)\">",
                "</a>",
                "<a href=\"https://x.test\">",
                "<script>alert(1)</script>",
                "<style>x</style>",
                "<img src=x onerror=alert(1)>",
                "<span style=\"color:red\" onclick=\"x()\">",
                "</span>",
                "<br>",
                "&amp;",
                "&lt;script&gt;",
                "\"",
                "'",
                "<",
                ">",
                "\u{0}",
                "🦀",
                "<mark>",
                "<code>",
                "text",
                " ",
                "<svg onload=alert(1)>",
            ])
            .prop_map(str::to_string),
            "\\PC{0,8}",
        ],
        0..20,
    )
    .prop_map(|parts| parts.concat())
}

/// Nested list items (list 2.x objects or 1.x strings), up to 14 levels (the limit is 10).
fn list_items() -> impl Strategy<Value = Value> {
    let leaf = inline_html().prop_map(Value::String);
    let item = leaf.prop_recursive(14, 48, 3, |inner| {
        (inline_html(), prop::collection::vec(inner, 0..3), any::<bool>()).prop_map(
            |(content, items, checked)| {
                json!({"content": content, "items": items, "meta": {"checked": checked}})
            },
        )
    });
    prop::collection::vec(item, 0..4).prop_map(Value::Array)
}

fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(5)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!(true)),
        Just(json!([])),
        Just(json!({})),
        Just(json!("x")),
    ]
}

fn editorjs_block() -> impl Strategy<Value = Value> {
    prop_oneof![
        inline_html().prop_map(|t| json!({"type": "paragraph", "data": {"text": t}})),
        (inline_html(), prop_oneof![(0i64..9).prop_map(|l| json!(l)), odd_value()])
            .prop_map(|(t, level)| json!({"type": "header", "data": {"text": t, "level": level}})),
        (pick(&["ordered", "unordered", "checklist", "zigzag"]), list_items())
            .prop_map(|(style, items)| json!({"type": "list", "data": {"style": style, "items": items}})),
        (inline_html(), inline_html())
            .prop_map(|(t, c)| json!({"type": "quote", "data": {"text": t, "caption": c}})),
        "\\PC{0,40}".prop_map(|code| json!({"type": "code", "data": {"code": code}})),
        Just(json!({"type": "delimiter"})),
        (pick(&[
            "https://x.test/a.png", "http://x", "javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo=",
            "data:text/html,<script>", "https://x.test/\"onerror=\"alert(1)", " ", "", "//x",
        ]), inline_html())
            .prop_map(|(url, caption)| json!({"type": "image", "data": {"file": {"url": url}, "caption": caption}})),
        (pick(&["paragraph", "header", "list", "quote", "code", "image", "raw", "embed", ""]), odd_value())
            .prop_map(|(kind, data)| json!({"type": kind, "data": data})),
        (pick(&["paragraph", "quote", "list"]), odd_value())
            .prop_map(|(kind, v)| json!({"type": kind, "data": {"text": v, "items": v, "caption": v}})),
    ]
}

fn editorjs_request() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(editorjs_block(), 0..6),
        pick(&["NOTE_PUBLIC", "NOTE_PRIVATE", "REPLY_OUTBOUND", "SUGGESTED_REPLY"]),
        prop_oneof![Just(json!(1700000000)), odd_value()],
    )
        .prop_map(|(blocks, kind, time)| {
            json!([{"type": kind, "sys_content_rich": {"editorjs": {"time": time, "version": "2.28", "blocks": blocks}}}])
        })
}

/// A deeply nested editorjs list (what fits in a JSON request: serde refuses more than 128
/// levels) and deeply nested inline HTML.
fn deep_editorjs_request() -> impl Strategy<Value = Value> {
    (1usize..40, deep(), pick(INLINE_TAGS)).prop_map(|(list_depth, html_depth, tag)| {
        let mut items = json!([]);
        for i in 0..list_depth {
            items = json!([{"content": format!("<{tag}>{i}"), "items": items}]);
        }
        let text = format!(
            "{}x{}",
            format!("<{tag}>").repeat(html_depth),
            format!("</{tag}>").repeat(html_depth / 2)
        );
        json!([{"type": "NOTE_PUBLIC", "sys_content_rich": {"editorjs": {"blocks": [
            {"type": "list", "data": {"style": "ordered", "items": items}},
            {"type": "paragraph", "data": {"text": text}},
        ]}}}])
    })
}

/// A SQLite desk with the demo accounts and one ticket of Nicole's; requests run in a
/// transaction that is rolled back.
struct DeskHeroBench {
    rt: tokio::runtime::Runtime,
    db: support::TestDb,
    desk: domain::desk::Desk,
    agent: domain::Actor,
    ticket: i64,
}

impl DeskHeroBench {
    fn new() -> DeskHeroBench {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (db, desk, agent, ticket) = rt.block_on(async {
            let db = support::sqlite().await;
            let mut tx = db.store.write().await.unwrap();
            let ids = support::demo_accounts(&mut tx).await;
            tx.commit().await.unwrap();
            let files = domain::storage::files::FileStore::new(
                std::env::temp_dir().join(format!("tandem-fuzz-files-{}", std::process::id())),
            );
            let desk = domain::desk::Desk::new(db.store.clone(), files);
            let mut conn = db.store.read().await.unwrap();
            let agent = domain::policy::access::load_actor(&mut conn, ids.agent1, None)
                .await
                .unwrap();
            drop(conn);
            let request = domain::dialects::zammad::requests::ticket_changes(json!({
                "title": "fuzz", "group": "Users", "customer_id": ids.nicole,
                "article": {"body": "first", "type": "note"}}))
            .unwrap();
            let created = desk.create_ticket(&agent, request).await.unwrap();
            (db, desk, agent, created.ticket.id)
        });
        DeskHeroBench {
            rt,
            db,
            desk,
            agent,
            ticket,
        }
    }

    fn post(&self, body: &Value) -> Result<(), TestCaseError> {
        self.rt.block_on(async {
            let mut tx = self.db.store.write().await.unwrap();
            let result = deskhero::create_conversations(
                &mut tx,
                &self.desk.drafts,
                &self.desk.files,
                &self.agent,
                self.ticket,
                body,
                Vec::new(),
            )
            .await;
            let request = short(&body.to_string(), 600);
            match result {
                Ok(created) => {
                    for c in &created.conversations {
                        let html = &c.sys_content_rich.html;
                        // a SUGGESTED_REPLY (6) is a shared draft: raster data: images stay
                        let found = unsafe_parts(html, c.kind == 6);
                        prop_assert!(
                            found.is_empty(),
                            "unsafe stored HTML {found:?}: {:?}\nfrom {request}",
                            short(html, 600)
                        );
                    }
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty(), "no error given for {request}");
                    for e in &errors {
                        prop_assert!(
                            e.error.status_code() < 500,
                            "{} on {}: {:?}\nfrom {request}",
                            e.error.status_code(),
                            e.field,
                            e.error
                        );
                    }
                }
            }
            // dropped without commit: rolled back
            drop(tx);
            Ok(())
        })
    }
}

#[test]
fn deskhero_editorjs_random_documents() {
    isolated("deskhero_editorjs_random_documents", || {
        let bench = DeskHeroBench::new();
        check(CASES, editorjs_request(), |body| bench.post(&body));
    });
}

#[test]
fn deskhero_editorjs_deep_nesting() {
    isolated("deskhero_editorjs_deep_nesting", || {
        let bench = DeskHeroBench::new();
        check(DEEP_CASES, deep_editorjs_request(), |body| {
            bench.post(&body)
        });
    });
}

#[test]
fn deskhero_html_deep_nesting() {
    isolated("deskhero_html_deep_nesting", || {
        let bench = DeskHeroBench::new();
        let post = |html: String| {
            bench.post(&json!([{"type": "NOTE_PRIVATE", "sys_content_rich": {"html": html}}]))
        };
        check_worst_then(
            deepest_html(BLOCK_TAGS),
            DEEP_CASES,
            deep_html(BLOCK_TAGS),
            post,
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Shared drafts: HTML → nodes → yrs → HTML

/// HTML → nodes → a yrs fragment → nodes → HTML, as a REST write and a read do it.
fn draft_roundtrip(input: String) -> Result<(), TestCaseError> {
    use yrs::Transact;
    let clean = sanitize::draft_html(&input);
    let nodes = content::from_html(&clean);
    let doc = document::new_doc();
    let fragment = doc.get_or_insert_xml_fragment(document::BODY);
    {
        let mut txn = doc.transact_mut();
        content::insert_nodes(&mut txn, &fragment, 0, &nodes);
    }
    let read = content::read_children(&doc.transact(), &fragment);
    let html = content::to_html(&read);
    let _ = content::plain_text(&read);
    prop_assert_eq!(
        sanitize::draft_html(&html),
        sanitize::draft_html(&content::to_html(&nodes)),
        "the yrs document changed the body of {:?}",
        short(&input, 400)
    );
    assert_safe(&sanitize::draft_html(&html), &input, true)?;
    Ok(())
}

/// The REST write and projection, and the snapshot and reload.
fn draft_document(input: String) -> Result<(), TestCaseError> {
    let doc = document::new_doc();
    let article = json!({"body": input, "content_type": "text/html", "type": "note"});
    document::apply_rest(
        &doc,
        article.as_object(),
        Some(&serde_json::Map::new()),
        None,
    );
    let first = document::project(&doc);
    assert_safe(&first.body_html, &input, true)?;
    let reloaded = document::load(&document::snapshot(&doc), &[]);
    prop_assert_eq!(
        &document::project(&reloaded),
        &first,
        "snapshot + load changed the draft"
    );
    let _ = document::is_blank(&doc);
    Ok(())
}

/// A client's GET then PUT of the body it read (with the blocks as read: a merge) changes
/// nothing.
fn draft_write_back(input: String) -> Result<(), TestCaseError> {
    let doc = document::new_doc();
    let article = json!({"body": input, "content_type": "text/html", "type": "note"});
    document::apply_rest(&doc, article.as_object(), None, None);
    let first = document::project(&doc);
    let seen = document::seen_blocks(&doc);
    let again = json!({"body": first.body_html, "content_type": "text/html", "type": "note"});
    document::apply_rest(&doc, again.as_object(), None, Some(seen.as_slice()));
    let second = document::project(&doc);
    prop_assert_eq!(
        &second.body_html,
        &first.body_html,
        "writing back what was read changed the body of {:?}",
        short(&input, 400)
    );
    Ok(())
}

/// Only the HTML → nodes → HTML step (no yrs).
fn draft_nodes(input: String) -> Result<(), TestCaseError> {
    let nodes = content::from_html(&sanitize::draft_html(&input));
    let html = content::to_html(&nodes);
    let _ = content::plain_text(&nodes);
    assert_safe(&sanitize::draft_html(&html), &input, true)?;
    Ok(())
}

/// A body nested `depth` levels deep in the composer's schema, built directly as nodes.
fn deep_nodes(depth: usize, kind: u8) -> Vec<content::Node> {
    use content::Node;
    let element = |name: &str, children: Vec<Node>| Node::Element {
        name: name.to_string(),
        attrs: vec![],
        children,
    };
    let mut inner = element(
        "paragraph",
        vec![Node::Text {
            text: "leaf".into(),
            marks: vec![],
        }],
    );
    for i in 0..depth {
        inner = match (kind as usize + i) % 3 {
            0 => element("blockquote", vec![inner]),
            1 => element("bulletList", vec![element("listItem", vec![inner])]),
            _ => element("orderedList", vec![element("listItem", vec![inner])]),
        };
    }
    vec![inner]
}

/// Nodes → yrs → nodes → HTML, for a deep body.
fn draft_yrs_deep((depth, kind): (usize, u8)) -> Result<(), TestCaseError> {
    use yrs::Transact;
    let nodes = deep_nodes(depth, kind);
    let doc = document::new_doc();
    let fragment = doc.get_or_insert_xml_fragment(document::BODY);
    {
        let mut txn = doc.transact_mut();
        content::insert_nodes(&mut txn, &fragment, 0, &nodes);
    }
    let read = content::read_children(&doc.transact(), &fragment);
    let _ = content::to_html(&read);
    let _ = document::project(&doc);
    let _ = document::load(&document::snapshot(&doc), &[]);
    Ok(())
}

#[test]
fn shared_draft_roundtrip_random_trees() {
    isolated("shared_draft_roundtrip_random_trees", || {
        check(CASES, html_doc(), draft_roundtrip);
    });
}

#[test]
fn shared_draft_document_random_trees() {
    isolated("shared_draft_document_random_trees", || {
        check(CASES, html_doc(), draft_document);
    });
}

#[test]
fn shared_draft_write_back_is_stable() {
    isolated("shared_draft_write_back_is_stable", || {
        check(CASES, html_doc(), draft_write_back);
    });
}

#[test]
fn shared_draft_from_html_deep_nesting() {
    isolated("shared_draft_from_html_deep_nesting", || {
        check_worst_then(
            deepest_html(DRAFT_TAGS),
            DEEP_CASES,
            deep_html(DRAFT_TAGS),
            draft_nodes,
        );
    });
}

#[test]
fn shared_draft_yrs_deep_nesting() {
    isolated("shared_draft_yrs_deep_nesting", || {
        check_worst_then((MAX_DEPTH, 1), DEEP_CASES, (deep(), 0u8..3), draft_yrs_deep);
    });
}

#[test]
fn shared_draft_document_deep_nesting() {
    isolated("shared_draft_document_deep_nesting", || {
        check_worst_then(
            deepest_html(DRAFT_TAGS),
            DEEP_CASES,
            deep_html(DRAFT_TAGS),
            draft_document,
        );
    });
}

#[test]
fn shared_draft_plain_text_lines() {
    isolated("shared_draft_plain_text_lines", || {
        check(CASES, "\\PC{0,300}", |text| {
            let doc = document::new_doc();
            let article = json!({"body": text, "content_type": "text/plain"});
            document::apply_rest(&doc, article.as_object(), None, None);
            let projected = document::project(&doc);
            assert_safe(&projected.body_html, &text, true)?;
            Ok(())
        });
    });
}

/// A document as a live-editing peer could send it (y-sync updates are not HTML: no
/// `html_limits` check applies): elements nested `depth` deep, built with yrs directly.
fn peer_deep_update(depth: usize, kind: u8) -> Vec<u8> {
    use yrs::types::xml::{XmlElementPrelim, XmlElementRef, XmlTextPrelim};
    use yrs::{Transact, XmlFragment};
    const NAMES: [&str; 6] = [
        "blockquote",
        "bulletList",
        "listItem",
        "paragraph",
        "orderedList",
        "div",
    ];
    let doc = document::new_doc();
    let fragment = doc.get_or_insert_xml_fragment(document::BODY);
    {
        let mut txn = doc.transact_mut();
        let mut parent: XmlElementRef =
            fragment.insert(&mut txn, 0, XmlElementPrelim::empty("blockquote"));
        for i in 0..depth {
            let name = NAMES[(kind as usize + i) % NAMES.len()];
            parent = parent.insert(&mut txn, 0, XmlElementPrelim::empty(name));
        }
        parent.insert(&mut txn, 0, XmlTextPrelim::new("leaf"));
    }
    document::snapshot(&doc)
}

/// Loading and projecting (REST GET) a deep peer document.
fn peer_document_read((depth, kind): (usize, u8)) -> Result<(), TestCaseError> {
    let doc = document::load(&peer_deep_update(depth, kind), &[]);
    let _ = document::project(&doc);
    let _ = document::seen_blocks(&doc);
    let _ = document::snapshot(&doc);
    Ok(())
}

/// Overwriting a deep peer document (REST PUT): its old blocks are deleted.
fn peer_document_overwrite((depth, kind): (usize, u8)) -> Result<(), TestCaseError> {
    let doc = document::load(&peer_deep_update(depth, kind), &[]);
    let article = json!({"body": "<p>replaced</p>", "content_type": "text/html"});
    document::apply_rest(&doc, article.as_object(), None, None);
    prop_assert_eq!(document::project(&doc).body_html, "<p>replaced</p>");
    Ok(())
}

#[test]
fn shared_draft_peer_deep_document_read() {
    isolated("shared_draft_peer_deep_document_read", || {
        check_worst_then(
            (MAX_DEPTH, 1),
            DEEP_CASES,
            (deep(), 0u8..6),
            peer_document_read,
        );
    });
}

#[test]
fn shared_draft_peer_deep_document_overwrite() {
    isolated("shared_draft_peer_deep_document_overwrite", || {
        check_worst_then(
            (MAX_DEPTH, 1),
            DEEP_CASES,
            (deep(), 0u8..6),
            peer_document_overwrite,
        );
    });
}

// ---------------------------------------------------------------------------------------------
// The HTML depth guard (`tickets::html_limits::check`): what it accepts builds a bounded tree

/// The deepest element nesting html5ever builds for `html` (iteratively).
fn dom_depth(html: &str) -> usize {
    use html5ever::tendril::TendrilSink;
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let mut deepest = 0;
    let mut stack: Vec<(Handle, usize)> = vec![(dom.document.clone(), 0)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        for child in node.children.borrow().iter() {
            stack.push((child.clone(), depth + 1));
        }
    }
    deepest
}

/// HTML the guard accepts stays within its bound (open elements plus re-opened formatting
/// elements, plus `html` and `body`), and the recursive converters downstream survive it.
fn guard_bounds_the_tree(input: String) -> Result<(), TestCaseError> {
    if html_limits::check("body", &input).is_err() {
        return Ok(());
    }
    let bound = html_limits::MAX_HTML_DEPTH + html_limits::MAX_OPEN_FORMATTING + 3;
    let depth = dom_depth(&input);
    prop_assert!(
        depth <= bound,
        "accepted HTML builds a tree {} deep (bound {}): {:?}",
        depth,
        bound,
        short(&input, 600)
    );
    // what accepted HTML goes through next
    let _ = html_text::html_to_text(&sanitize::html(&input), true);
    let _ = content::to_html(&content::from_html(&sanitize::draft_html(&input)));
    Ok(())
}

/// Tag soup meant to confuse a simulation of the tree builder: formatting elements with
/// distinct attributes (no Noah's-ark merging), blocks that close them implicitly, unmatched
/// end tags, tables, foreign content, templates.
fn guard_soup() -> impl Strategy<Value = String> {
    let token = (
        pick(&[
            "<p>",
            "</p>",
            "<div>",
            "</div>",
            "<b title=N>",
            "</b>",
            "<i title=N>",
            "</i>",
            "<u>",
            "</u>",
            "<a href=N>",
            "</a>",
            "<font color=N>",
            "</font>",
            "<nobr>",
            "x",
            "<table>",
            "</table>",
            "<tr>",
            "<td>",
            "</td>",
            "<li>",
            "<ul>",
            "</ul>",
            "<h1>",
            "</h1>",
            "<svg>",
            "</svg>",
            "<math>",
            "<template>",
            "</template>",
            "<select>",
            "<option>",
            "<button>",
            "</button>",
            "<object>",
            "</object>",
            "<br>",
            "</br>",
            "<marquee>",
            "<applet>",
            "<caption>",
            "<dd>",
            "<pre>",
            "<form>",
            "</form>",
            "<frameset>",
            "<body>",
            "</body>",
            "</html>",
            "<image>",
            "<isindex>",
            "<textarea>",
        ]),
        0u32..100_000,
    )
        .prop_map(|(t, n)| t.replace('N', &n.to_string()));
    prop::collection::vec(token, 0..600).prop_map(|parts| parts.concat())
}

/// Formatting elements closed implicitly by a block end (they stay in the list of active
/// formatting elements), then unmatched end tags of another formatting tag, repeated: the
/// text at the end re-opens all of them, nested.
fn guard_bypass() -> impl Strategy<Value = String> {
    (
        1usize..20,
        1usize..128,
        pick(&[
            "b", "i", "u", "s", "em", "strong", "font", "code", "a", "nobr", "big",
        ]),
        pick(&[
            "b", "i", "u", "s", "em", "strong", "font", "code", "tt", "small",
        ]),
        pick(&["p", "div", "li", "h1", "blockquote", "td"]),
    )
        .prop_map(|(rounds, per, open, close, block)| {
            let mut s = String::new();
            for r in 0..rounds {
                s.push_str(&format!("<{block}>"));
                for k in 0..per {
                    s.push_str(&format!("<{open} title=\"{r}-{k}\">"));
                }
                s.push_str(&format!("</{block}>"));
                if close != open {
                    s.push_str(&format!("</{close}>").repeat(per));
                }
            }
            s.push_str(&format!("<{block}>x</{block}>"));
            s
        })
}

#[test]
fn html_limits_guard_holds_for_tag_soup() {
    isolated("html_limits_guard_holds_for_tag_soup", || {
        check(CASES, guard_soup(), guard_bounds_the_tree);
    });
}

#[test]
fn html_limits_guard_holds_for_reopened_formatting() {
    isolated("html_limits_guard_holds_for_reopened_formatting", || {
        check(DEEP_CASES * 8, guard_bypass(), guard_bounds_the_tree);
    });
}
