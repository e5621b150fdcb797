//! The head of a ClickHouse `INSERT INTO t [(cols)] [SETTINGS …] FORMAT name` whose data
//! follows in the same stream (the query parameter, a newline, then the body; reference
//! proton-api.md §2.5). Only the head is text: the data may be binary (Native, RowBinary)
//! and gigabytes long, so it is never tokenized, only found.
//!
//! `split` looks at the bytes read so far and says whether they start such a statement,
//! where its data begins, or that more bytes are needed. It reads at most the head, so a
//! caller can stop reading the body into memory the moment the data starts.
//!
//! Invariants:
//! - The data starts after the format name, the spaces and tabs after it, and at most one
//!   line break, as ClickHouse's `ParserInsertQuery` has it.
//! - Anything but `INSERT INTO … FORMAT` (SELECT, `INSERT … VALUES`) is `NotInsertFormat`:
//!   the caller parses the whole text as before.
//! - Every loop advances through the bytes given; nothing here recurses or allocates more
//!   than the names it returns.

/// What the bytes read so far hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// The head is not complete yet.
    NeedMore,
    /// Not an `INSERT … FORMAT` statement.
    NotInsertFormat,
    Insert(InsertHead),
    /// An `INSERT … FORMAT` head that cannot be parsed; the text says where.
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertHead {
    pub table: String,
    /// Empty: every column, in table order.
    pub columns: Vec<String>,
    /// `SETTINGS k = v, …`, names lower-cased, values as written (strings unquoted).
    pub settings: Vec<(String, String)>,
    pub format: String,
    /// Offset of the first data byte.
    pub data_at: usize,
}

enum Tok {
    /// The text ended (only when no byte follows).
    End,
    Word(String),
    Quoted(String),
    Str(String),
    Sym(u8),
}

struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
    at_end: bool,
}

/// `None` from a scanner step: the bytes ran out before the token ended.
type Step<T> = Result<Option<T>, String>;

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// Skips whitespace and comments; `None` if the text ends inside a comment.
    fn skip_space(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => self.at += 1,
                Some(b'-') if self.text.get(self.at + 1) == Some(&b'-') => {
                    let rest = self.text.get(self.at..).unwrap_or_default();
                    let end = rest.iter().position(|&b| b == b'\n')?;
                    self.at += end + 1;
                }
                Some(b'/') if self.text.get(self.at + 1) == Some(&b'*') => {
                    let rest = self.text.get(self.at + 2..).unwrap_or_default();
                    let end = rest.windows(2).position(|w| w == b"*/")?;
                    self.at += 2 + end + 2;
                }
                // A comment may start with the next piece's first byte.
                Some(b'-' | b'/') if self.at + 1 == self.text.len() && !self.at_end => {
                    return None;
                }
                _ => return Some(()),
            }
        }
    }

    /// The next token, or `None` when the text ends before it does.
    fn token(&mut self) -> Step<Tok> {
        if self.skip_space().is_none() {
            return Ok(None);
        }
        let Some(first) = self.peek() else {
            return Ok(self.at_end.then_some(Tok::End));
        };
        if first.is_ascii_alphanumeric() || first == b'_' || first >= 0x80 {
            let start = self.at;
            while self
                .peek()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80)
            {
                self.at += 1;
            }
            if self.at == self.text.len() && !self.at_end {
                // The word may go on in the next piece.
                return Ok(None);
            }
            let word = self.text.get(start..self.at).unwrap_or_default();
            return Ok(Some(Tok::Word(String::from_utf8_lossy(word).into_owned())));
        }
        if matches!(first, b'`' | b'"' | b'\'') {
            let Some(text) = self.quoted(first)? else {
                return Ok(None);
            };
            return Ok(Some(if first == b'\'' {
                Tok::Str(text)
            } else {
                Tok::Quoted(text)
            }));
        }
        self.at += 1;
        Ok(Some(Tok::Sym(first)))
    }

    /// A quoted run: a doubled quote or a backslash escape stands for the next byte.
    fn quoted(&mut self, quote: u8) -> Step<String> {
        let mut out = Vec::new();
        let mut i = self.at + 1;
        loop {
            let Some(&b) = self.text.get(i) else {
                return if self.at_end {
                    Err("an unterminated quoted name or string".into())
                } else {
                    Ok(None)
                };
            };
            if b == b'\\' {
                let Some(&next) = self.text.get(i + 1) else {
                    return if self.at_end {
                        Err("an unterminated quoted name or string".into())
                    } else {
                        Ok(None)
                    };
                };
                out.push(next);
                i += 2;
            } else if b == quote {
                if self.text.get(i + 1) == Some(&quote) {
                    out.push(quote);
                    i += 2;
                } else if i + 1 == self.text.len() && !self.at_end {
                    // A doubled quote may be split across pieces.
                    return Ok(None);
                } else {
                    self.at = i + 1;
                    return Ok(Some(String::from_utf8_lossy(&out).into_owned()));
                }
            } else {
                out.push(b);
                i += 1;
            }
        }
    }
}

fn is_word(tok: &Tok, word: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
}

/// Reads the head in `text` (`at_end`: no byte follows). See the module comment.
pub fn split(text: &[u8], at_end: bool) -> Split {
    let mut s = Scanner {
        text,
        at: 0,
        at_end,
    };
    match head(&mut s) {
        Ok(Some(split)) => split,
        Ok(None) => Split::NeedMore,
        Err(message) => Split::Invalid(format!("{message} (at byte {})", s.at)),
    }
}

/// `Ok(None)`: more bytes are needed.
fn head(s: &mut Scanner) -> Result<Option<Split>, String> {
    // A statement that ends before its FORMAT is the SQL parser's to report.
    macro_rules! next {
        () => {
            match s.token()? {
                Some(Tok::End) => return Ok(Some(Split::NotInsertFormat)),
                Some(t) => t,
                None => return Ok(None),
            }
        };
    }
    if !is_word(&next!(), "insert") {
        return Ok(Some(Split::NotInsertFormat));
    }
    if !is_word(&next!(), "into") {
        return Ok(Some(Split::NotInsertFormat));
    }
    let mut tok = next!();
    if is_word(&tok, "table") {
        tok = next!();
    }
    let mut table = match tok {
        Tok::Word(w) | Tok::Quoted(w) => w,
        _ => return Err("expected a stream name after INSERT INTO".into()),
    };
    let mut tok = next!();
    while matches!(tok, Tok::Sym(b'.')) {
        match next!() {
            Tok::Word(w) | Tok::Quoted(w) => {
                table.push('.');
                table.push_str(&w);
            }
            _ => return Err("expected a name after `.`".into()),
        }
        tok = next!();
    }
    let mut columns = Vec::new();
    if matches!(tok, Tok::Sym(b'(')) {
        loop {
            match next!() {
                Tok::Word(w) | Tok::Quoted(w) => columns.push(w),
                _ => return Err("expected a column name".into()),
            }
            match next!() {
                Tok::Sym(b',') => {}
                Tok::Sym(b')') => break,
                _ => return Err("expected `,` or `)` in the column list".into()),
            }
        }
        tok = next!();
    }
    let mut settings = Vec::new();
    if is_word(&tok, "settings") {
        loop {
            let name = match next!() {
                Tok::Word(w) | Tok::Quoted(w) => w.to_ascii_lowercase(),
                _ => return Err("expected a setting name".into()),
            };
            if !matches!(next!(), Tok::Sym(b'=')) {
                return Err(format!("expected `=` after the setting {name}"));
            }
            let value = match next!() {
                Tok::Word(w) | Tok::Quoted(w) | Tok::Str(w) => w,
                Tok::Sym(b) => char::from(b).to_string(),
                Tok::End => return Ok(Some(Split::NotInsertFormat)),
            };
            settings.push((name, value));
            tok = next!();
            if !matches!(tok, Tok::Sym(b',')) {
                break;
            }
        }
    }
    if !is_word(&tok, "format") {
        // `VALUES (…)` and `SELECT …` are whole statements the SQL parser reads.
        return Ok(Some(Split::NotInsertFormat));
    }
    let format = match next!() {
        Tok::Word(w) | Tok::Quoted(w) => w,
        _ => return Err("expected a format name after FORMAT".into()),
    };
    let mut at = s.at;
    while matches!(s.text.get(at), Some(b' ' | b'\t' | b'\x0c')) {
        at += 1;
    }
    if at == s.text.len() && !s.at_end {
        return Ok(None);
    }
    if s.text.get(at) == Some(&b';') {
        // ClickHouse's text: the data would start with `;`.
        return Err("You have excessive ';' symbol before data for INSERT".into());
    }
    if s.text.get(at) == Some(&b'\r') {
        at += 1;
        if at == s.text.len() && !s.at_end {
            return Ok(None);
        }
    }
    if s.text.get(at) == Some(&b'\n') {
        at += 1;
    }
    Ok(Some(Split::Insert(InsertHead {
        table,
        columns,
        settings,
        format,
        data_at: at,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(table: &str, columns: &[&str], format: &str, data_at: usize) -> Split {
        Split::Insert(InsertHead {
            table: table.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            settings: Vec::new(),
            format: format.into(),
            data_at,
        })
    }

    /// Splits `text` whole, and every prefix of it: a prefix is `NeedMore` or the same answer.
    fn split_every_prefix(text: &[u8]) -> Split {
        let whole = split(text, true);
        for i in 0..text.len() {
            let part = split(text.get(..i).unwrap(), false);
            let same_or_more = part == Split::NeedMore
                || part == whole
                || (part == Split::NotInsertFormat && whole == Split::NotInsertFormat);
            // A complete head with its data begun is found before the text ends.
            assert!(same_or_more, "prefix {i}: {part:?} vs {whole:?}");
        }
        whole
    }

    #[test]
    fn driver_heads() {
        let t = b"INSERT INTO `s` (`id`, `name`) FORMAT Native\n\x02\x02";
        assert_eq!(
            split_every_prefix(t),
            head("s", &["id", "name"], "Native", 45)
        );
        let t = b"INSERT INTO s FORMAT JSONEachRow\n{\"id\":1}";
        assert_eq!(split_every_prefix(t), head("s", &[], "JSONEachRow", 33));
        let t = b"insert into table default.s format CSV   \r\n1,2\n";
        assert_eq!(split_every_prefix(t), head("default.s", &[], "CSV", 43));
        // Without a line break the data starts after the spaces.
        let t = b"INSERT INTO s FORMAT TSV 1\t2";
        assert_eq!(split_every_prefix(t), head("s", &[], "TSV", 25));
        // The query parameter alone: the data is the (empty) rest.
        assert_eq!(
            split(b"INSERT INTO s FORMAT CSV", true),
            head("s", &[], "CSV", 24)
        );
    }

    #[test]
    fn settings_and_comments() {
        let t = b"/* c */ INSERT INTO s -- x\n SETTINGS a = 1, b='x' FORMAT CSV\n";
        let Split::Insert(h) = split_every_prefix(t) else {
            panic!()
        };
        assert_eq!(
            h.settings,
            vec![("a".into(), "1".into()), ("b".into(), "x".into())]
        );
        assert_eq!(h.data_at, t.len());
    }

    #[test]
    fn other_statements_are_not_insert_format() {
        for t in [
            &b""[..],
            b"  \n",
            b"INSERT INTO s",
            b"INSERT INTO s (a, b",
            &b"SELECT 1"[..],
            b"INSERT INTO s VALUES (1)",
            b"INSERT INTO s (a) SELECT 1",
            b"DESCRIBE s",
        ] {
            assert_eq!(split_every_prefix(t), Split::NotInsertFormat, "{t:?}");
        }
    }

    #[test]
    fn err_bad_heads() {
        assert_eq!(
            split(b"INSERT INTO s FORMAT CSV;1,2", true),
            Split::Invalid(
                "You have excessive ';' symbol before data for INSERT (at byte 24)".into()
            )
        );
        assert!(matches!(
            split(b"INSERT INTO (a) FORMAT CSV", true),
            Split::Invalid(_)
        ));
        assert!(matches!(
            split(b"INSERT INTO s (a b) FORMAT CSV", true),
            Split::Invalid(_)
        ));
        assert!(matches!(
            split(b"INSERT INTO `s FORMAT CSV", true),
            Split::Invalid(_)
        ));
        assert_eq!(split(b"INSERT INTO `s FORMAT CSV", false), Split::NeedMore);
    }
}
