//! Ticket search (`/tickets/search`): a small Lucene-like query language compiled to SQL over
//! the database's own full-text index (FTS5 on SQLite, tsvector + GIN on PostgreSQL), always
//! inside the caller's ticket scope.
//!
//! Syntax: words and `"quoted phrases"` (full text over number, title and article subject,
//! body, from and to); `field:value` / `field:"a phrase"` for `state.name`, `priority.name`,
//! `group.name`, `owner.login`, `customer.email`, `customer.login`, `organization.name`,
//! `number`, `title`, `tags`; `created_at:[2024-01-01 TO *]` (also `updated_at`);
//! `AND`, `OR`, `NOT` / `-term`, and parentheses. Terms next to each other mean AND.
//!
//! Case: names (`state`, `priority`, `group`, `organization`, `tags`, logins and addresses)
//! are compared through copies folded in Rust (`storage::text`), so every script folds on
//! both databases. `*` is a wildcard in words (`pr*nt`, `*rinter`: matched against the words
//! the full-text index holds), in field values (`group:ärz*`, `owner:agent*`) and in numbers
//! (`number:4711*`); inside quotes it is literal, as in Elasticsearch.

pub mod overviews;

use sqlx::AnyConnection;

use crate::policy::TicketScope;
use crate::policy::access::{AccessLevel, Actor};
use crate::storage::paging::Page;
use crate::storage::store::is_postgres;
use crate::tickets::{COLUMNS, TicketRecord};
use crate::{Error, Result, storage::clock};

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Text(String),
    Field(String, String),
    Range(String, Option<String>, Option<String>),
    All,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Phrase(String),
    FieldWord(String, String),
    Range(String, String, String),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn tokenize(query: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = query.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let read_quoted = |i: &mut usize| -> Result<String> {
        *i += 1;
        let start = *i;
        while *i < chars.len() && chars[*i] != '"' {
            *i += 1;
        }
        if *i >= chars.len() {
            return Err(Error::unprocessable(
                "The search has a quotation mark (\") without its closing one: add it, or remove the quotation mark.",
            ));
        }
        let s: String = chars[start..*i].iter().collect();
        *i += 1;
        Ok(s)
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Token::Open);
            i += 1;
        } else if c == ')' {
            out.push(Token::Close);
            i += 1;
        } else if c == '"' {
            out.push(Token::Phrase(read_quoted(&mut i)?));
        } else if c == '-'
            && i + 1 < chars.len()
            && !chars[i + 1].is_whitespace()
            && (i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(')
        {
            out.push(Token::Not);
            i += 1;
        } else {
            let start = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '(' | ')' | ':' | '"')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if i < chars.len() && chars[i] == ':' && !word.is_empty() {
                i += 1;
                let field = word.to_lowercase();
                // `field: value` (a space after the colon) reads as `field:value`
                while i < chars.len() && chars[i].is_whitespace() {
                    i += 1;
                }
                if i < chars.len() && chars[i] == '(' {
                    // grouped values: `state:(new OR open)` = `(state:new OR state:open)`
                    let start = i + 1;
                    while i < chars.len() && chars[i] != ')' {
                        i += 1;
                    }
                    if i >= chars.len() {
                        return Err(Error::unprocessable(
                            "The search has a field with values in parentheses but no closing ')': write it like state:(new OR open).",
                        ));
                    }
                    let inner: String = chars[start..i].iter().collect();
                    i += 1;
                    out.push(Token::Open);
                    let mut previous_was_value = false;
                    for piece in inner.split_whitespace() {
                        match piece {
                            "OR" | "||" => {
                                out.push(Token::Or);
                                previous_was_value = false;
                            }
                            "AND" | "&&" => {
                                out.push(Token::And);
                                previous_was_value = false;
                            }
                            value => {
                                if previous_was_value {
                                    out.push(Token::Or); // Elasticsearch's default inside a group
                                }
                                out.push(Token::FieldWord(
                                    field.clone(),
                                    value.trim_matches('"').to_string(),
                                ));
                                previous_was_value = true;
                            }
                        }
                    }
                    out.push(Token::Close);
                } else if i < chars.len() && chars[i] == '"' {
                    out.push(Token::FieldWord(field, read_quoted(&mut i)?));
                } else if i < chars.len() && (chars[i] == '[' || chars[i] == '{') {
                    let start = i + 1;
                    while i < chars.len() && chars[i] != ']' && chars[i] != '}' {
                        i += 1;
                    }
                    if i >= chars.len() {
                        return Err(Error::unprocessable(
                            "The search has a range without its closing ']': write it like created_at:[2026-01-01 TO now].",
                        ));
                    }
                    let inner: String = chars[start..i].iter().collect();
                    i += 1;
                    let (from, to) = inner.split_once(" TO ").ok_or_else(|| {
                        Error::unprocessable("A range in the search needs TO between its two ends: write it like created_at:[2026-01-01 TO now].")
                    })?;
                    out.push(Token::Range(
                        field,
                        from.trim().to_string(),
                        to.trim().to_string(),
                    ));
                } else {
                    let start = i;
                    while i < chars.len()
                        && !chars[i].is_whitespace()
                        && !matches!(chars[i], '(' | ')')
                    {
                        i += 1;
                    }
                    out.push(Token::FieldWord(field, chars[start..i].iter().collect()));
                }
            } else {
                match word.as_str() {
                    "AND" | "&&" => out.push(Token::And),
                    "OR" | "||" => out.push(Token::Or),
                    "NOT" => out.push(Token::Not),
                    "" => i += 1,
                    _ => out.push(Token::Word(word)),
                }
            }
        }
    }
    Ok(out)
}

/// Deepest nesting of parentheses and `NOT`s a query may have (a clear 422 beyond; the
/// parser and the SQL compiler recurse once per level, so this also bounds their stack).
pub const MAX_QUERY_DEPTH: usize = 16;
/// Most terms (words, phrases, field values, ranges) in one query: each becomes an SQL
/// condition, and SQLite refuses expression trees deeper than 1,000.
pub const MAX_QUERY_TERMS: usize = 64;
/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 2_000;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Parentheses and `NOT`s open around the current position.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }
    fn or(&mut self) -> Result<Expr> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }
    fn and(&mut self) -> Result<Expr> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Token::And) => {
                    self.pos += 1;
                    parts.push(self.unary()?);
                }
                None | Some(Token::Or) | Some(Token::Close) => break,
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }
    fn unary(&mut self) -> Result<Expr> {
        let token = self
            .peek()
            .cloned()
            .ok_or_else(|| Error::unprocessable("The search ends where a word should follow (after AND, OR, NOT or a minus sign): add the word, or remove the operator."))?;
        self.pos += 1;
        Ok(match token {
            Token::Not => {
                self.enter()?;
                let inner = self.unary()?;
                self.depth -= 1;
                Expr::Not(Box::new(inner))
            }
            Token::Open => {
                self.enter()?;
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(Error::unprocessable(
                        "The search opens a parenthesis '(' that it does not close: add the ')', or remove the '('.",
                    ));
                }
                self.pos += 1;
                self.depth -= 1;
                inner
            }
            Token::Word(w) if w == "*" => Expr::All,
            Token::Word(w) => Expr::Text(w),
            // inside quotes `*` is no wildcard: the analyser drops it like any other symbol
            Token::Phrase(w) => Expr::Text(w.replace('*', " ")),
            Token::FieldWord(f, v) => Expr::Field(f, v),
            Token::Range(f, a, b) => {
                let bound = |s: String| if s == "*" { None } else { Some(s) };
                Expr::Range(f, bound(a), bound(b))
            }
            Token::And | Token::Or | Token::Close => {
                return Err(Error::unprocessable(
                    "The search has AND, OR or ')' where a word should be: put a word on each side of AND and OR.",
                ));
            }
        })
    }
}

impl Parser {
    /// One level deeper (a parenthesis or a `NOT`), refused beyond [`MAX_QUERY_DEPTH`].
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_QUERY_DEPTH {
            return Err(Error::unprocessable(format!(
                "The search nests parentheses and NOTs more than {MAX_QUERY_DEPTH} levels deep: make it simpler."
            )));
        }
        Ok(())
    }
}

/// Parses a query (syntax in the module docs). Errors (422): unclosed quotes, ranges or
/// parentheses, misplaced operators, more than [`MAX_QUERY_CHARS`] characters, more than
/// [`MAX_QUERY_TERMS`] terms, nesting deeper than [`MAX_QUERY_DEPTH`]. Work and stack are
/// linear in the query's length and bounded by these limits.
pub fn parse(query: &str) -> Result<Expr> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::unprocessable(format!(
            "The search is longer than {MAX_QUERY_CHARS} characters: make it shorter."
        )));
    }
    let mut tokens = tokenize(query)?;
    if tokens.is_empty() {
        return Ok(Expr::All);
    }
    // Zammad's `append_wildcard_to_simple_query`: plain words only (no fields, phrases or
    // operators) find what starts with the last word too (`print` finds "Printer")
    if tokens.iter().all(|t| matches!(t, Token::Word(_)))
        && let Some(Token::Word(last)) = tokens.last_mut()
        && !last.ends_with('*')
        && last.chars().any(char::is_alphanumeric)
    {
        last.push('*');
    }
    let terms = tokens
        .iter()
        .filter(|t| {
            matches!(
                t,
                Token::Word(_) | Token::Phrase(_) | Token::FieldWord(..) | Token::Range(..)
            )
        })
        .count();
    if terms > MAX_QUERY_TERMS {
        return Err(Error::unprocessable(format!(
            "The search has more than {MAX_QUERY_TERMS} words and conditions: use fewer."
        )));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    if parser.pos != parser.tokens.len() {
        return Err(Error::unprocessable(
            "The search closes a parenthesis ')' that it did not open: remove the ')', or add the '('.",
        ));
    }
    Ok(expr)
}

/// Checks a query without running it: the 422 a search with it would answer (unknown
/// fields, values that are no dates or numbers, and everything [`parse`] refuses), or `Ok`.
pub fn validate(query: &str) -> Result<()> {
    let expr = parse(query)?;
    Compiler::new(false, None, true).compile(&expr)?;
    Ok(())
}

/// The words of a text term as both indexes split them.
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '_' && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// An FTS5 phrase query, over `columns` when given (`{number title} : "…"`), its last word
/// a prefix when `prefix`.
fn fts_query(columns: Option<&str>, words: &[String], prefix: bool) -> String {
    let phrase = words
        .iter()
        .map(|w| w.replace('"', ""))
        .collect::<Vec<_>>()
        .join(" ");
    let filter = columns.map_or(String::new(), |c| format!("{{{c}}} : "));
    let star = if prefix { " *" } else { "" };
    format!("{filter}\"{phrase}\"{star}")
}

/// Whether a text term has a wildcard other than a trailing one (`pr*nt`, `*rinter`): such a
/// term is matched word by word against the index's words ([`Compiler::word_pattern`]).
fn is_pattern(text: &str) -> bool {
    text.trim_end().trim_end_matches('*').contains('*')
}

/// The pieces of a text term with wildcards inside: its runs of letters, digits and `*`
/// (the indexes split words at everything else), each either a word pattern or plain words.
fn pattern_pieces(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '*')
        .filter(|p| p.chars().any(char::is_alphanumeric))
        .collect()
}

/// SQLite: a word pattern as FTS5's vocabulary holds words (lower case, diacritics removed by
/// `unicode61 remove_diacritics 2`): a `GLOB` pattern with every letter beyond ASCII as `?`
/// (any one character, since the index may hold it without its diacritic), and the literal
/// start before the first wildcard, which bounds the vocabulary range that is read.
fn fts_glob(piece: &str) -> (String, String) {
    let mut glob = String::with_capacity(piece.len());
    for c in piece.chars() {
        let g = match c {
            '*' => '*',
            c if c.is_ascii() => c.to_ascii_lowercase(),
            _ => '?',
        };
        if !(g == '*' && glob.ends_with('*')) {
            glob.push(g);
        }
    }
    let start: String = glob
        .chars()
        .take_while(|c| !matches!(c, '*' | '?'))
        .collect();
    (glob, start)
}

/// SQLite: the articles' FTS5 query for a text term (`None` when it has no words, or
/// wildcards inside that FTS5 cannot express).
fn article_fts_match(text: &str) -> Option<String> {
    if is_pattern(text) {
        return None;
    }
    let words = words_of(text);
    let prefix = text.trim_end().ends_with('*');
    (!words.is_empty()).then(|| fts_query(None, &words, prefix))
}

/// SQLite: whether an FTS5 query matches at least `common` articles (counting stops there).
async fn common_text(conn: &mut AnyConnection, fts_query: &str, common: i64) -> Result<bool> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM article_fts WHERE article_fts MATCH $1 LIMIT $2)",
    )
    .bind(fts_query)
    .bind(common)
    .fetch_one(conn)
    .await?;
    Ok(count >= common)
}

/// PostgreSQL: whether a text term (words, no wildcard inside) matches at least `common`
/// articles (counting stops there).
async fn common_text_postgres(conn: &mut AnyConnection, text: &str, common: i64) -> Result<bool> {
    let mut compiler = Compiler::new(true, None, true);
    let q = compiler.tsquery(&words_of(text), text.trim_end().ends_with('*'));
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM article_search WHERE tsv @@ {q} LIMIT {common}) matches"
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql);
    for b in &compiler.binds {
        query = query.bind(b.clone());
    }
    Ok(query.fetch_one(conn).await? >= common)
}

/// SQL for an expression: text with positional binds.
struct Compiler {
    postgres: bool,
    /// Probing: the tickets walked (SQL over `tickets`, see [`search`]). Text is then tested
    /// per ticket instead of every match materialised — PostgreSQL on each ticket's rows
    /// (`EXISTS …`), SQLite by reading the text indexes' matches only among these tickets and
    /// their articles.
    window: Option<String>,
    include_internal: bool,
    binds: Vec<String>,
}

impl Compiler {
    fn new(postgres: bool, window: Option<String>, include_internal: bool) -> Compiler {
        Compiler {
            postgres,
            window,
            include_internal,
            binds: Vec::new(),
        }
    }

    fn bind(&mut self, value: String) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    fn text(&mut self, text: &str) -> String {
        if is_pattern(text) {
            return self.pattern_text(text, false);
        }
        let words = words_of(text);
        if words.is_empty() {
            // symbols only (`🚀`, `!!!`): the tickets whose title holds them, not every ticket
            let p = self.bind(format!("%{}%", crate::accounts::users::escape_like(text)));
            return format!("t.title LIKE {p} ESCAPE '\\'");
        }
        let prefix = text.trim_end().ends_with('*');
        let ticket = self.ticket_text(&words, prefix);
        let articles = self.article_text(&words, prefix);
        format!("({ticket} OR {articles})")
    }

    /// A text term with wildcards inside (`pr*nt*`): each piece ([`pattern_pieces`]) must
    /// match, a piece with a wildcard inside as a word pattern, others as words; against the
    /// ticket's number and title and its articles, or (`articles_only`) the articles only.
    fn pattern_text(&mut self, text: &str, articles_only: bool) -> String {
        let pieces = pattern_pieces(text);
        if pieces.is_empty() {
            return "1 = 0".into();
        }
        let parts: Vec<String> = pieces
            .into_iter()
            .map(|piece| {
                if is_pattern(piece) || piece.starts_with('*') {
                    let articles = self.article_word_pattern(piece);
                    if articles_only {
                        articles
                    } else {
                        let ticket = self.ticket_word_pattern(piece, None);
                        format!("({ticket} OR {articles})")
                    }
                } else {
                    let words = words_of(piece);
                    let prefix = piece.ends_with('*');
                    let articles = self.article_text(&words, prefix);
                    if articles_only {
                        articles
                    } else {
                        let ticket = self.ticket_text(&words, prefix);
                        format!("({ticket} OR {articles})")
                    }
                }
            })
            .collect();
        format!("({})", parts.join(" AND "))
    }

    /// The ticket's number or title (`column`: one of them) holds a word matching `piece`.
    /// SQLite reads the matching words' rows from FTS5's vocabulary (`fts5vocab` instance
    /// table, only the range of words starting with the pattern's literal start);
    /// PostgreSQL tests the lexemes of the candidates the start finds in the GIN index (all
    /// rows when the pattern starts with `*`). Both: linear in what the index holds under
    /// that start, no backtracking.
    fn ticket_word_pattern(&mut self, piece: &str, column: Option<&str>) -> String {
        if self.postgres {
            let (prefilter, like) = self.lexeme_pattern(piece, "ts.tsv");
            return format!(
                "t.id IN (SELECT ts.ticket_id FROM ticket_search ts WHERE {prefilter}\
                 EXISTS (SELECT 1 FROM unnest(ts.tsv) u WHERE u.lexeme LIKE {like} ESCAPE '\\'))"
            );
        }
        let terms = self.vocabulary_terms(piece);
        let column = column.map_or(String::new(), |c| format!(" AND col = '{c}'"));
        format!("t.id IN (SELECT doc FROM ticket_fts_instances WHERE {terms}{column})")
    }

    /// One of the ticket's articles (public ones for customers) holds a word matching
    /// `piece` (see [`Compiler::ticket_word_pattern`]).
    fn article_word_pattern(&mut self, piece: &str) -> String {
        let visible = self.visible_articles();
        if self.postgres {
            let (prefilter, like) = self.lexeme_pattern(piece, "s.tsv");
            return format!(
                "t.id IN (SELECT a.ticket_id FROM article_search s JOIN ticket_articles a \
                 ON a.id = s.article_id WHERE {prefilter}\
                 EXISTS (SELECT 1 FROM unnest(s.tsv) u WHERE u.lexeme LIKE {like} ESCAPE '\\'){visible})"
            );
        }
        let terms = self.vocabulary_terms(piece);
        format!(
            "t.id IN (SELECT a.ticket_id FROM ticket_articles a WHERE a.id IN \
             (SELECT doc FROM article_fts_instances WHERE {terms}){visible})"
        )
    }

    /// SQLite: the condition on an `fts5vocab` table's `term` for a word pattern.
    fn vocabulary_terms(&mut self, piece: &str) -> String {
        let (glob, start) = fts_glob(piece);
        let g = self.bind(glob);
        if start.is_empty() {
            format!("term GLOB {g}")
        } else {
            let from = self.bind(start.clone());
            let to = self.bind(format!("{start}\u{10FFFF}"));
            format!("term >= {from} AND term < {to} AND term GLOB {g}")
        }
    }

    /// PostgreSQL: a word pattern as a `LIKE` over lexemes (folded like the `simple`
    /// configuration folds), and the GIN prefix query on its literal start (`""` when it
    /// starts with `*`), ending in ` AND `.
    fn lexeme_pattern(&mut self, piece: &str, tsv: &str) -> (String, String) {
        let folded = crate::storage::text::fold(piece);
        let start: String = folded.chars().take_while(|c| *c != '*').collect();
        let prefilter = if start.is_empty() {
            String::new()
        } else {
            let q = self.bind(format!("{start}:*"));
            format!("{tsv} @@ to_tsquery('simple', {q}) AND ")
        };
        let like = self.bind(crate::storage::text::wildcard_like(&folded));
        (prefilter, like)
    }

    /// A text term against the articles' rows only (`article.body`).
    fn article_body(&mut self, text: &str) -> String {
        if is_pattern(text) {
            return self.pattern_text(text, true);
        }
        let words = words_of(text);
        if words.is_empty() {
            return self.text(text);
        }
        let prefix = text.trim_end().ends_with('*');
        self.article_text(&words, prefix)
    }

    /// The article rows' condition: internal articles count only for agents; which ticket an
    /// article belongs to is read from `ticket_articles`.
    fn visible_articles(&self) -> &'static str {
        if self.include_internal {
            ""
        } else {
            " AND a.internal = 0"
        }
    }

    /// PostgreSQL: the tsquery of a phrase (`print*`: the last word as a prefix).
    fn tsquery(&mut self, words: &[String], prefix: bool) -> String {
        if prefix {
            let query = words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let w: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
                    if i + 1 == words.len() {
                        format!("{w}:*")
                    } else {
                        w
                    }
                })
                .filter(|w| !w.is_empty() && w != ":*")
                .collect::<Vec<_>>()
                .join(" <-> ");
            let p = self.bind(query);
            format!("to_tsquery('simple', {p})")
        } else {
            let p = self.bind(words.join(" "));
            format!("phraseto_tsquery('simple', {p})")
        }
    }

    /// The ticket's own row (number, title) holds the phrase.
    fn ticket_text(&mut self, words: &[String], prefix: bool) -> String {
        if self.postgres {
            let q = self.tsquery(words, prefix);
            if self.window.is_some() {
                // `OFFSET 0` keeps PostgreSQL from turning the test into a hashed set of
                // every match
                return format!(
                    "EXISTS (SELECT 1 FROM ticket_search ts WHERE ts.ticket_id = t.id AND ts.tsv @@ {q} OFFSET 0)"
                );
            }
            return format!("t.id IN (SELECT ticket_id FROM ticket_search WHERE tsv @@ {q})");
        }
        let p = self.bind(fts_query(Some("number title"), words, prefix));
        if let Some(window) = &self.window {
            // the index's matches among the walked tickets (`+rowid`: tested on each match,
            // not a lookup in the index per walked ticket, which costs up to milliseconds
            // while recent rows sit in many small segments)
            format!(
                "t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH {p} \
                 AND +rowid IN (SELECT id FROM tickets WHERE {window}))"
            )
        } else {
            format!("t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH {p})")
        }
    }

    /// One of the ticket's articles (public ones for customers) holds the phrase.
    fn article_text(&mut self, words: &[String], prefix: bool) -> String {
        let visible = self.visible_articles();
        if self.postgres {
            let q = self.tsquery(words, prefix);
            if self.window.is_some() {
                // the ticket's articles through `ticket_articles (ticket_id)`, each tested
                // on its row (see `ticket_text`)
                return format!(
                    "EXISTS (SELECT 1 FROM ticket_articles a JOIN article_search s ON s.article_id = a.id \
                     WHERE a.ticket_id = t.id AND s.tsv @@ {q}{visible} OFFSET 0)"
                );
            }
            return format!(
                "t.id IN (SELECT a.ticket_id FROM article_search s JOIN ticket_articles a \
                 ON a.id = s.article_id WHERE s.tsv @@ {q}{visible})"
            );
        }
        // materialised once per statement, also when the ticket rows are probed: probing
        // each article by rowid re-reads a common (or prefix) term's whole doclist per
        // article, which measured 61 s for `printer*` over the newest 2,000 tickets of
        // 100,000 (the materialised set: 0.2 s). Probing a window, only the matches among
        // its tickets' articles are joined to their tickets (0.06 s there).
        let p = self.bind(fts_query(None, words, prefix));
        if let Some(window) = &self.window {
            return format!(
                "t.id IN (SELECT a.ticket_id FROM article_fts f JOIN ticket_articles a ON a.id = f.rowid \
                 WHERE article_fts MATCH {p} AND +f.rowid IN (SELECT w.id FROM ticket_articles w \
                 WHERE w.ticket_id IN (SELECT id FROM tickets WHERE {window})){visible})"
            );
        }
        format!(
            "t.id IN (SELECT a.ticket_id FROM ticket_articles a WHERE a.id IN \
             (SELECT rowid FROM article_fts WHERE article_fts MATCH {p}){visible})"
        )
    }

    /// The ids of the tickets whose own row (number, title) or one of whose articles (public
    /// ones for customers) holds the phrase: a `SELECT` of `ticket_id`, one row per matching
    /// ticket row or article (a ticket may come more than once), in the indexes' order, so
    /// that a reader can stop once it has enough.
    fn text_ticket_ids(&mut self, words: &[String], prefix: bool) -> String {
        let visible = self.visible_articles();
        if self.postgres {
            // each article's ticket looked up by its primary key as the match comes (a NULL
            // for an article the caller may not see), not a join PostgreSQL would plan as a
            // hash of every article
            let q = self.tsquery(words, prefix);
            return format!(
                "SELECT ticket_id FROM ticket_search WHERE tsv @@ {q} UNION ALL \
                 SELECT (SELECT a.ticket_id FROM ticket_articles a WHERE a.id = s.article_id{visible}) \
                 FROM article_search s WHERE s.tsv @@ {q}"
            );
        }
        let ticket = self.bind(fts_query(Some("number title"), words, prefix));
        let article = self.bind(fts_query(None, words, prefix));
        format!(
            "SELECT rowid AS ticket_id FROM ticket_fts WHERE ticket_fts MATCH {ticket} UNION ALL \
             SELECT a.ticket_id FROM article_fts f JOIN ticket_articles a ON a.id = f.rowid \
             WHERE article_fts MATCH {article}{visible}"
        )
    }

    /// A name compared without regard to case in any script: `column` holds it folded in Rust
    /// (`name_downcase`; logins and addresses are stored folded), the value is folded the
    /// same way; a `*` in the value is a wildcard.
    fn by_name(&mut self, table: &str, column: &str, ticket_column: &str, value: &str) -> String {
        let condition = self.folded_equals(column, value);
        format!("t.{ticket_column} IN (SELECT id FROM {table} WHERE {condition})")
    }

    /// `column = value` (folded), or `LIKE` when the value holds a `*`.
    fn folded_equals(&mut self, column: &str, value: &str) -> String {
        use crate::storage::text::{fold, has_wildcard, wildcard_like};
        let value = fold(value);
        if has_wildcard(&value) {
            let p = self.bind(wildcard_like(&value));
            format!("{column} LIKE {p} ESCAPE '\\'")
        } else {
            let p = self.bind(value);
            format!("{column} = {p}")
        }
    }

    /// `_exists_:field`, `field:*`: the attribute has a value.
    fn exists(&mut self, field: &str) -> Result<String> {
        Ok(match field.trim_start_matches("ticket.") {
            "owner" | "owner_id" | "owner.login" | "owner.email" => {
                format!("t.owner_id <> {}", crate::accounts::users::SYSTEM_USER_ID)
            }
            "organization" | "organization_id" | "organization.name" => {
                "t.organization_id IS NOT NULL".into()
            }
            "tags" | "tag" => {
                "EXISTS (SELECT 1 FROM ticket_tags tg WHERE tg.ticket_id = t.id)".into()
            }
            "note" => "(t.note IS NOT NULL AND t.note <> '')".into(),
            column @ ("pending_time"
            | "close_at"
            | "first_response_at"
            | "last_contact_at"
            | "last_contact_agent_at"
            | "last_contact_customer_at"
            | "last_close_at") => {
                format!("t.{column} IS NOT NULL")
            }
            "title" | "number" | "state" | "state_id" | "priority" | "priority_id" | "group"
            | "group_id" | "customer" | "customer_id" | "created_at" | "updated_at" | "id" => {
                "1 = 1".into()
            }
            other => {
                return Err(unknown_field(other));
            }
        })
    }

    fn field(&mut self, field: &str, value: &str) -> Result<String> {
        let field = field.trim_start_matches("ticket.");
        match field {
            "_exists_" => return self.exists(value),
            "_missing_" => return Ok(format!("NOT ({})", self.exists(value)?)),
            _ if value == "*" => return self.exists(field),
            _ => {}
        }
        if let Some(column) = id_column(field) {
            let id: i64 = value.trim().parse().map_err(|_| {
                Error::unprocessable(format!(
                    "The search field '{field}' takes a number, not {value:?}."
                ))
            })?;
            return Ok(format!("t.{column} = {id}"));
        }
        if let Some((op, bound)) = comparison(value)
            && (date_column(field).is_some() || field == "article_count")
        {
            return self.compare(field, op, bound);
        }
        Ok(match field {
            "state.name" | "state" => {
                self.by_name("ticket_states", "name_downcase", "state_id", value)
            }
            "priority.name" | "priority" => {
                self.by_name("ticket_priorities", "name_downcase", "priority_id", value)
            }
            "group.name" | "group" => self.by_name("groups", "name_downcase", "group_id", value),
            "organization.name" | "organization" => {
                self.by_name("organizations", "name_downcase", "organization_id", value)
            }
            "owner.login" | "owner" => self.by_name("users", "login", "owner_id", value),
            "owner.email" => self.by_name("users", "email", "owner_id", value),
            "customer.email" => self.by_name("users", "email", "customer_id", value),
            "customer.login" | "customer" => self.by_name("users", "login", "customer_id", value),
            "number" => {
                if crate::storage::text::has_wildcard(value) {
                    let p = self.bind(crate::storage::text::wildcard_like(value.trim()));
                    format!("t.number LIKE {p} ESCAPE '\\'")
                } else {
                    let p = self.bind(value.to_string());
                    format!("t.number = {p}")
                }
            }
            "title" => {
                let value = value.trim_end_matches('*');
                let p = self.bind(format!(
                    "%{}%",
                    crate::storage::text::wildcard_like(&value.to_lowercase())
                ));
                let like = format!("lower(t.title) LIKE {p} ESCAPE '\\'");
                let words = words_of(value);
                if self.postgres || words.is_empty() {
                    like // PostgreSQL's lower() folds every script
                } else if is_pattern(value) || value.starts_with('*') {
                    // SQLite: words with wildcards inside through the title's indexed words
                    let parts: Vec<String> = pattern_pieces(value)
                        .into_iter()
                        .map(|piece| {
                            if piece.contains('*') {
                                self.ticket_word_pattern(piece, Some("title"))
                            } else {
                                let w = words_of(piece);
                                let q = self.bind(fts_query(Some("title"), &w, true));
                                format!(
                                    "t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH {q})"
                                )
                            }
                        })
                        .collect();
                    format!("({like} OR ({}))", parts.join(" AND "))
                } else {
                    // SQLite's lower() folds ASCII only: the title's words through FTS5
                    // (unicode61 folds case in every script), as prefixes like the LIKE
                    let phrase = words
                        .iter()
                        .map(|w| format!("\"{}\" *", w.replace('"', "")))
                        .collect::<Vec<_>>()
                        .join(" AND ");
                    let q = self.bind(format!("{{title}} : ({phrase})"));
                    format!(
                        "({like} OR t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH {q}))"
                    )
                }
            }
            "article.from" | "article.to" | "article.cc" | "article.subject" => {
                let column = match field {
                    "article.from" => "from_address",
                    "article.to" => "to_address",
                    "article.cc" => "cc",
                    _ => "subject",
                };
                // PostgreSQL's lower() folds every script; SQLite's only ASCII, so there the
                // other letters match in either case through a GLOB class
                let test = if self.postgres {
                    let p = self.bind(format!(
                        "%{}%",
                        crate::storage::text::wildcard_like(&value.to_lowercase())
                    ));
                    format!("lower(a.{column}) LIKE {p} ESCAPE '\\'")
                } else {
                    let p = self.bind(crate::storage::text::contains_glob(value));
                    format!("lower(a.{column}) GLOB {p}")
                };
                let visible = if self.include_internal {
                    ""
                } else {
                    " AND a.internal = 0"
                };
                format!(
                    "EXISTS (SELECT 1 FROM ticket_articles a WHERE a.ticket_id = t.id{visible} \
                     AND {test})"
                )
            }
            // the articles' text as the full-text index holds it (public text for customers)
            "article.body" => self.article_body(value),
            "tags" | "tag" => {
                // tag_items.name_downcase is folded in Rust (every script); lower() only ASCII
                // on SQLite, for names the migration folded
                let folded = self.folded_equals("name_downcase", value);
                let p = self.bind(value.to_lowercase());
                format!(
                    "EXISTS (SELECT 1 FROM ticket_tags tg WHERE tg.ticket_id = t.id AND tg.name IN \
                     (SELECT name FROM tag_items WHERE {folded} OR lower(name) = {p}))"
                )
            }
            "id" => {
                let id: i64 = value.parse().map_err(|_| {
                    Error::unprocessable(format!(
                        "The search field 'id' takes a number, not {value:?}."
                    ))
                })?;
                format!("t.id = {id}")
            }
            other => {
                return Err(unknown_field(other));
            }
        })
    }

    fn range(&mut self, field: &str, from: &Option<String>, to: &Option<String>) -> Result<String> {
        let field = field.trim_start_matches("ticket.");
        if field == "article_count" {
            let mut parts = Vec::new();
            if let Some(from) = from {
                parts.push(self.compare(field, ">=", from)?);
            }
            if let Some(to) = to {
                parts.push(self.compare(field, "<=", to)?);
            }
            return Ok(if parts.is_empty() {
                "1 = 1".into()
            } else {
                format!("({})", parts.join(" AND "))
            });
        }
        let column = date_column(field).ok_or_else(|| {
            Error::unprocessable(format!(
                "The search field '{field}' has no range: ranges and comparisons work on dates \
                 (created_at, updated_at, close_at, pending_time, …) and article_count."
            ))
        })?;
        let mut parts = vec![format!("{column} IS NOT NULL")];
        if let Some(from) = from {
            let (at, _) = when(from)?;
            let p = self.bind(clock::format(at));
            parts.push(format!("{column} >= {p}"));
        }
        if let Some(to) = to {
            let (mut at, whole_day) = when(to)?;
            if whole_day {
                at += chrono::Duration::days(1); // a plain date includes that whole day
            }
            let p = self.bind(clock::format(at));
            parts.push(format!("{column} < {p}"));
        }
        Ok(format!("({})", parts.join(" AND ")))
    }

    /// `created_at:>now-1h`, `article_count:>=3`: one bound.
    fn compare(&mut self, field: &str, op: &str, bound: &str) -> Result<String> {
        if field == "article_count" {
            let n: i64 = bound.trim().parse().map_err(|_| {
                Error::unprocessable(format!(
                    "The search field 'article_count' takes a number, not {bound:?}."
                ))
            })?;
            return Ok(format!("t.article_count {op} {n}"));
        }
        let column = date_column(field).ok_or_else(|| {
            Error::unprocessable(format!(
                "The search field '{field}' has no range: ranges and comparisons work on dates \
                 (created_at, updated_at, close_at, pending_time, …) and article_count."
            ))
        })?;
        let (mut at, whole_day) = when(bound)?;
        let op = match (op, whole_day) {
            // a plain date: `>2026-01-31` means after that day, `<=2026-01-31` up to its end
            (">", true) => {
                at += chrono::Duration::days(1);
                ">="
            }
            ("<=", true) => {
                at += chrono::Duration::days(1);
                "<"
            }
            (op, _) => op,
        };
        let p = self.bind(clock::format(at));
        Ok(format!("({column} IS NOT NULL AND {column} {op} {p})"))
    }

    fn compile(&mut self, expr: &Expr) -> Result<String> {
        Ok(match expr {
            Expr::All => "1 = 1".into(),
            Expr::Text(t) => self.text(t),
            Expr::Field(f, v) => self.field(f, v)?,
            Expr::Range(f, a, b) => self.range(f, a, b)?,
            Expr::Not(inner) => format!("NOT ({})", self.compile(inner)?),
            Expr::And(parts) => {
                let sql: Result<Vec<String>> = parts.iter().map(|p| self.compile(p)).collect();
                format!("({})", sql?.join(" AND "))
            }
            Expr::Or(parts) => {
                let sql: Result<Vec<String>> = parts.iter().map(|p| self.compile(p)).collect();
                format!("({})", sql?.join(" OR "))
            }
        })
    }
}

/// 422 for a field the search does not know, naming the common ones.
fn unknown_field(field: &str) -> Error {
    Error::unprocessable(format!(
        "Unknown search field '{field}'. Fields are e.g. title, number, state, priority, group, \
         organization, owner, customer.email, tags, article.subject, article.body and created_at."
    ))
}

/// The ticket column of an id field (`group_id:3`).
fn id_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "group_id" => "group_id",
        "owner_id" => "owner_id",
        "organization_id" => "organization_id",
        "customer_id" => "customer_id",
        "state_id" => "state_id",
        "priority_id" => "priority_id",
        "created_by_id" => "created_by_id",
        "updated_by_id" => "updated_by_id",
        _ => return None,
    })
}

/// The ticket column of a date field.
fn date_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "created_at" => "t.created_at",
        "updated_at" => "t.updated_at",
        "close_at" => "t.close_at",
        "pending_time" => "t.pending_time",
        "first_response_at" => "t.first_response_at",
        "last_contact_at" => "t.last_contact_at",
        "last_contact_agent_at" => "t.last_contact_agent_at",
        "last_contact_customer_at" => "t.last_contact_customer_at",
        "last_close_at" => "t.last_close_at",
        _ => return None,
    })
}

/// `>x`, `>=x`, `<x`, `<=x`: the operator and the bound.
fn comparison(value: &str) -> Option<(&'static str, &str)> {
    for op in [">=", "<=", ">", "<"] {
        if let Some(rest) = value.strip_prefix(op) {
            return Some((op, rest));
        }
    }
    None
}

/// A point in time as Elasticsearch's date math reads it: RFC 3339, a plain date (`true`: the
/// whole day is meant), `now`, or `now` plus or minus an amount in `s`, `m`, `h`, `d`, `w`,
/// `M` (30 days) or `y` (365 days), e.g. `now-7d`. 422 otherwise.
fn when(text: &str) -> Result<(chrono::DateTime<chrono::Utc>, bool)> {
    let text = text.trim();
    let invalid = || {
        Error::unprocessable(format!(
            "The search has {text:?} where a date should be: write a date like 2026-01-31, a time \
             like 2026-01-31T08:00:00Z, or a time relative to now like now-7d."
        ))
    };
    if let Some(rest) = text.strip_prefix("now") {
        let now = chrono::Utc::now();
        if rest.is_empty() {
            return Ok((now, false));
        }
        let (sign, amount) = match rest.split_at(1) {
            ("-", a) => (-1, a),
            ("+", a) => (1, a),
            _ => return Err(invalid()),
        };
        let unit = amount.chars().last().ok_or_else(invalid)?;
        let n: i64 = amount[..amount.len() - unit.len_utf8()]
            .parse()
            .map_err(|_| invalid())?;
        if n > 100_000 {
            return Err(invalid());
        }
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            'M' => 30 * 86_400,
            'y' => 365 * 86_400,
            _ => return Err(invalid()),
        };
        return Ok((now + chrono::Duration::seconds(sign * n * seconds), false));
    }
    let at = clock::parse_lenient(text).ok_or_else(invalid)?;
    Ok((at, clock::parse(text).is_none()))
}

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub page: Page,
    /// Columns to sort by, first to last (unknown ones are ignored; none: `updated_at`).
    pub sort_by: Vec<String>,
    /// `asc`/`desc` for the column at the same position (missing: `desc`).
    pub order_by: Vec<String>,
    /// Count all matches (only `with_total_count`, `only_total_count` and `full` report it).
    pub want_total: bool,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            page: 1,
            per_page: 50,
        }
    }
}

const SORTABLE: [&str; 24] = [
    "id",
    "number",
    "title",
    "created_at",
    "updated_at",
    "state_id",
    "priority_id",
    "group_id",
    "owner_id",
    "customer_id",
    "organization_id",
    "article_count",
    "pending_time",
    "close_at",
    "last_close_at",
    "first_response_at",
    "last_contact_at",
    "last_contact_agent_at",
    "last_contact_customer_at",
    "last_owner_update_at",
    "created_by_id",
    "updated_by_id",
    "time_unit",
    "create_article_type_id",
];

/// The [`SORTABLE`] columns declared `NOT NULL` (migrations `0002_tickets.sql`).
const NOT_NULL_SORTABLE: [&str; 13] = [
    "id",
    "number",
    "title",
    "group_id",
    "priority_id",
    "state_id",
    "owner_id",
    "customer_id",
    "article_count",
    "created_by_id",
    "updated_by_id",
    "created_at",
    "updated_at",
];

/// The thresholds of the plan choice (see [`search`]); tests make them small.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Tickets examined newest-first before falling back to the index-driven plan.
    pub probe_window: i64,
    /// Text that matches fewer tickets than this counts as rare.
    pub common_text: i64,
    /// The most matches a total counts ([`TOTAL_COUNT_LIMIT`]).
    pub total_limit: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            probe_window: 2_000,
            common_text: 3_000,
            total_limit: TOTAL_COUNT_LIMIT,
        }
    }
}

/// The sort columns with their directions (`sort_by` / `order_by`, Zammad's arrays): known
/// columns only, each once; `updated_at DESC` when none is left.
fn sort_order<'a>(sort_by: &'a [String], order_by: &[String]) -> Vec<(&'a str, &'static str)> {
    let mut order: Vec<(&str, &str)> = Vec::new();
    for (i, column) in sort_by.iter().enumerate() {
        let column = column.trim().trim_start_matches("ticket.");
        let direction = match order_by.get(i).map(|o| o.trim().to_ascii_lowercase()) {
            Some(o) if o == "asc" => "ASC",
            _ => "DESC",
        };
        if let Some(known) = SORTABLE.iter().find(|c| **c == column)
            && !order.iter().any(|(c, _)| c == known)
        {
            order.push((known, direction));
        }
    }
    if order.is_empty() {
        order.push(("updated_at", "DESC"));
    }
    order
}

/// Text every match must contain: a lone term, or the terms at the top level of an AND.
fn required_texts(expr: &Expr) -> Vec<&str> {
    match expr {
        Expr::Text(t) => vec![t.as_str()],
        Expr::And(parts) => parts
            .iter()
            .filter_map(|p| match p {
                Expr::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Runs a search inside the caller's scope: the page of tickets and the total count (-1 when
/// not requested; exact up to [`TOTAL_COUNT_LIMIT`]).
///
/// Newest-first, text every match must contain: neither database can stop early when it
/// reads matches from its text index (they come in index order and must all be sorted),
/// which costs ~0.5 µs per match on SQLite (half a second for a word in most of a million
/// tickets) and more on PostgreSQL (each match's row is visited and joined to its article).
/// So first a bounded count asks the index whether the text is common. Rare text: the
/// index-driven plan is the fast one. Common text: the newest `probe_window` tickets are
/// walked newest-first and each is tested (PostgreSQL: its own row and its articles' rows;
/// SQLite: its own row, its articles against the index's matches), stopping at a full page;
/// a full page found there is exactly the answer (every match outside the window is older
/// than all inside it). Otherwise (common text, but rare together with the other
/// conditions), the index-driven plan after all.
pub async fn search(
    conn: &mut AnyConnection,
    actor: &Actor,
    request: &SearchRequest,
) -> Result<(Vec<TicketRecord>, i64)> {
    search_with(conn, actor, request, Thresholds::default()).await
}

/// [`search`] reading the page and the total at the same time, each on a connection of its
/// own from `store` (a total of a common word costs as much as the page). Neither read holds
/// a connection while it waits for another, so concurrent searches cannot starve the pool.
pub async fn search_in(
    store: &crate::Store,
    actor: &Actor,
    request: &SearchRequest,
) -> Result<(Vec<TicketRecord>, i64)> {
    if !request.want_total {
        return search(&mut *store.read().await?, actor, request).await;
    }
    let page_only = SearchRequest {
        want_total: false,
        ..request.clone()
    };
    let page = async { search(&mut *store.read().await?, actor, &page_only).await };
    let total = async {
        let expr = parse(&request.query)?;
        total_count(&mut *store.read().await?, actor, &expr, TOTAL_COUNT_LIMIT).await
    };
    let ((rows, _), total) = tokio::try_join!(page, total)?;
    Ok((rows, total))
}

/// The total of a search for `expr` ([`count_matches`] in the caller's scope), exact up to
/// `limit`.
async fn total_count(
    conn: &mut AnyConnection,
    actor: &Actor,
    expr: &Expr,
    limit: i64,
) -> Result<i64> {
    let scope = TicketScope::for_actor(actor, AccessLevel::Read);
    let mut compiler = Compiler::new(is_postgres(conn), None, sees_internal_text(actor));
    count_matches(conn, &scope, expr, &mut compiler, limit).await
}

/// Internal text only counts for agents; a customer-only caller searches public text.
fn sees_internal_text(actor: &Actor) -> bool {
    actor.is_agent()
}

/// [`search`] with other thresholds.
pub async fn search_with(
    conn: &mut AnyConnection,
    actor: &Actor,
    request: &SearchRequest,
    thresholds: Thresholds,
) -> Result<(Vec<TicketRecord>, i64)> {
    let scope = TicketScope::for_actor(actor, AccessLevel::Read);
    let expr = parse(&request.query)?;
    let postgres = is_postgres(conn);
    let order = sort_order(&request.sort_by, &request.order_by);
    let newest_first = order == [("updated_at", "DESC")];
    let order_clause = format!(
        "ORDER BY {}, t.id {}",
        order
            .iter()
            .map(|(column, direction)| {
                // nulls last; said only for columns that may hold one, so that PostgreSQL
                // walks an index of a NOT NULL column (its nulls come first when descending)
                let nulls = if NOT_NULL_SORTABLE.contains(column) {
                    ""
                } else {
                    " NULLS LAST"
                };
                format!("t.{column} {direction}{nulls}")
            })
            .collect::<Vec<_>>()
            .join(", "),
        order[0].1
    );
    let include_internal = sees_internal_text(actor);

    // SQLite: whether text every match must contain is common (see above); asked only when
    // a plan depends on it
    let common = newest_first
        && if postgres {
            match required_texts(&expr)
                .into_iter()
                .find(|t| !is_pattern(t) && !words_of(t).is_empty())
            {
                Some(text) => common_text_postgres(conn, text, thresholds.common_text).await?,
                None => false,
            }
        } else {
            let required = required_texts(&expr)
                .into_iter()
                .filter_map(article_fts_match)
                .collect::<Vec<_>>();
            !required.is_empty()
                && common_text(conn, &required.join(" AND "), thresholds.common_text).await?
        };
    let total = if request.want_total {
        total_count(conn, actor, &expr, thresholds.total_limit).await?
    } else {
        -1
    };

    if common && newest_first {
        // the newest `probe_window` tickets, as a condition on `tickets` under `alias`
        let window = |alias: &str| {
            format!(
                "({alias}updated_at, {alias}id) >= (SELECT updated_at, id FROM tickets \
                 ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET {})",
                thresholds.probe_window - 1
            )
        };
        let mut compiler = Compiler::new(postgres, Some(window("")), include_internal);
        let condition = compiler.compile(&expr)?;
        let window = window("t.");
        let rows = fetch_page(
            conn,
            "tickets",
            &format!("{window} AND {} AND {condition}", scope.sql_condition()),
            &order_clause,
            &compiler.binds,
            request.page,
        )
        .await?;
        if rows.len() as i64 == request.page.per_page {
            return Ok((rows, total));
        }
    }

    let mut compiler = Compiler::new(postgres, None, include_internal);
    let condition = compiler.compile(&expr)?;
    let filter = format!("{} AND {condition}", scope.sql_condition());
    let rows = fetch_page(
        conn,
        "tickets",
        &filter,
        &order_clause,
        &compiler.binds,
        request.page,
    )
    .await?;
    Ok((rows, total))
}

/// The most matches a total counts: a search matching more reports this many. Zammad's
/// search backend (`lib/search_index_backend.rb`) asks Elasticsearch for hits without
/// `track_total_hits`, so Elasticsearch 7 and later count exactly up to 10,000 and report
/// 10,000 for anything beyond; Tandem promises the same, and a total costs at most 10,000
/// matches' work, however common the word.
pub const TOTAL_COUNT_LIMIT: i64 = 10_000;

/// A text term every match must contain whose tickets the indexes can list (words, no
/// wildcard inside), and the rest of `expr` (the other terms of its top-level AND).
fn driving_text(expr: &Expr) -> Option<(&str, Expr)> {
    let drives = |e: &Expr| matches!(e, Expr::Text(t) if !is_pattern(t) && !words_of(t).is_empty());
    match expr {
        Expr::Text(text) if drives(expr) => Some((text, Expr::All)),
        Expr::And(parts) => {
            let i = parts.iter().position(drives)?;
            let Expr::Text(text) = &parts[i] else {
                return None;
            };
            let mut rest = parts.clone();
            rest.remove(i);
            let rest = match rest.len() {
                0 => Expr::All,
                1 => rest.remove(0),
                _ => Expr::And(rest),
            };
            Some((text, rest))
        }
        _ => None,
    }
}

/// The number of tickets in `scope` matching `expr`, exact up to `limit`.
///
/// With a text every match must contain ([`driving_text`]), the count is driven by the
/// index: the tickets holding it are read from the ticket and article indexes as they come
/// ([`Compiler::text_ticket_ids`]), each checked against the scope and the rest of the query
/// by its primary key, until `limit` distinct tickets are found. A word in most tickets costs
/// `limit` tickets' work, not one index lookup per ticket nor every match sorted first.
/// Otherwise the tickets in scope are tested against the whole condition, up to `limit`.
///
/// SQLite's `DISTINCT … LIMIT` stops at `limit` tickets. PostgreSQL's `DISTINCT` reads all
/// its input first (a hash or a sort), so there the matches are streamed instead: the first
/// `2 × limit` matches in scope (a `MATERIALIZED` CTE is read only as far as its reader
/// asks, and its bitmap index scan is planned without the `LIMIT`), counted with and without
/// repeats; only when they all came from fewer than `limit` tickets and more followed is the
/// whole `DISTINCT` asked.
async fn count_matches(
    conn: &mut AnyConnection,
    scope: &TicketScope,
    expr: &Expr,
    compiler: &mut Compiler,
    limit: i64,
) -> Result<i64> {
    let scope = scope.sql_condition();
    let sql = match driving_text(expr) {
        Some((text, rest)) => {
            let words = words_of(text);
            let prefix = text.trim_end().ends_with('*');
            let source = compiler.text_ticket_ids(&words, prefix);
            let rest = compiler.compile(&rest)?;
            if compiler.postgres {
                let streamed = limit.saturating_mul(2);
                let sql = format!(
                    "WITH m AS MATERIALIZED ({source}) \
                     SELECT COUNT(DISTINCT ticket_id), COUNT(*) FROM (SELECT m.ticket_id FROM m \
                     WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.id = m.ticket_id AND {scope} \
                     AND {rest} OFFSET 0) LIMIT {streamed}) matches"
                );
                let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
                for b in &compiler.binds {
                    query = query.bind(b.clone());
                }
                let (tickets, rows) = query.fetch_one(&mut *conn).await?;
                if tickets >= limit || rows < streamed {
                    return Ok(tickets.min(limit));
                }
            }
            format!(
                "SELECT COUNT(*) FROM (SELECT DISTINCT t.id FROM ({source}) m \
                 JOIN tickets t ON t.id = m.ticket_id WHERE {scope} AND {rest} LIMIT {limit}) matches"
            )
        }
        None => {
            let condition = compiler.compile(expr)?;
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM tickets t WHERE {scope} AND {condition} LIMIT {limit}) matches"
            )
        }
    };
    let mut query = sqlx::query_scalar::<_, i64>(&sql);
    for b in &compiler.binds {
        query = query.bind(b.clone());
    }
    Ok(query.fetch_one(&mut *conn).await?)
}

async fn fetch_page(
    conn: &mut AnyConnection,
    source: &str,
    filter: &str,
    order_clause: &str,
    binds: &[String],
    page: Page,
) -> Result<Vec<TicketRecord>> {
    let n = binds.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM {source} t WHERE {filter} {order_clause} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query_as::<_, TicketRecord>(&sql);
    for b in binds {
        query = query.bind(b.clone());
    }
    Ok(query
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_inside_words() {
        // a plain word gets Zammad's trailing wildcard, also one with a wildcard inside
        assert_eq!(parse("pr*nt").unwrap(), Expr::Text("pr*nt*".into()));
        assert!(is_pattern("pr*nt*") && is_pattern("*rinter") && !is_pattern("print*"));
        assert_eq!(pattern_pieces("foo-pr*nt*"), vec!["foo", "pr*nt*"]);
        assert_eq!(pattern_pieces("** !"), Vec::<&str>::new());
        assert_eq!(fts_glob("PR**nt*"), ("pr*nt*".into(), "pr".into()));
        // letters beyond ASCII may be indexed without their diacritic: any one character
        assert_eq!(fts_glob("Drü*er"), ("dr?*er".into(), "dr".into()));
        assert_eq!(fts_glob("*rinter"), ("*rinter".into(), String::new()));
        // inside quotes `*` is literal (dropped like other symbols)
        assert_eq!(parse("\"pr*nt\"").unwrap(), Expr::Text("pr nt".into()));
        // validate: what a search would refuse, without running it
        assert!(validate("group:ärz* number:4711* pr*nt").is_ok());
        assert!(matches!(
            validate("bogus.field:x"),
            Err(Error::Unprocessable(_))
        ));
        assert!(matches!(validate("\"open"), Err(Error::Unprocessable(_))));
    }

    #[test]
    fn parses_fields_phrases_ranges_and_operators() {
        let e = parse(r#"printer state.name:open AND NOT title:"out of paper" OR created_at:[2024-01-01 TO *]"#).unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                Expr::And(vec![
                    Expr::Text("printer".into()),
                    Expr::Field("state.name".into(), "open".into()),
                    Expr::Not(Box::new(Expr::Field("title".into(), "out of paper".into()))),
                ]),
                Expr::Range("created_at".into(), Some("2024-01-01".into()), None),
            ])
        );
        assert_eq!(
            parse("-spam (a OR b)").unwrap(),
            Expr::And(vec![
                Expr::Not(Box::new(Expr::Text("spam".into()))),
                Expr::Or(vec![Expr::Text("a".into()), Expr::Text("b".into())]),
            ])
        );
        assert_eq!(parse("").unwrap(), Expr::All);
        assert!(parse("\"open").is_err());
        assert!(parse("(a").is_err());
        assert!(parse("a)").is_err());
        // nesting, terms and length are bounded (a 422, never a stack overflow)
        let deep = format!("{}a{}", "(".repeat(2000), ")".repeat(2000));
        assert!(matches!(parse(&deep), Err(Error::Unprocessable(_))));
        assert!(matches!(
            parse(&"NOT ".repeat(1000)),
            Err(Error::Unprocessable(_))
        ));
        let many = vec!["a"; 1000].join(" OR ");
        assert!(matches!(parse(&many), Err(Error::Unprocessable(_))));
        let fine = format!(
            "{}a{}",
            "(".repeat(MAX_QUERY_DEPTH),
            ")".repeat(MAX_QUERY_DEPTH)
        );
        assert!(parse(&fine).is_ok());
        assert!(parse(&vec!["a"; MAX_QUERY_TERMS].join(" OR ")).is_ok());
    }
}
