//! SQL tokens with their byte offsets, for both dialects.
//!
//! Identifiers keep their spelling (keywords are identifiers compared ignoring case);
//! `"x"` and `` `x` `` are quoted identifiers; `'x'` strings take `''` and backslash escapes
//! (ClickHouse accepts both). Comments `-- …`, `/* … */` and hints `/*+ … */` are skipped.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    QuotedIdent(String),
    Str(String),
    Number(String),
    /// Punctuation and operators: `( ) , . * = != <> < <= > >= + - / % ; ?`.
    Sym(&'static str),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// Byte offset of the token's first byte in the SQL text.
    pub at: usize,
    /// Byte offset just past the token's last byte.
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub at: usize,
    pub message: String,
}

const SYMBOLS: &[&str] = &[
    "!=", "<>", "<=", ">=", "||", "(", ")", ",", ".", "*", "=", "<", ">", "+", "-", "/", "%", ";",
    "?", ":",
];

pub fn tokenize(sql: &str) -> Result<Vec<Token>, LexError> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let rest = sql.get(i..).unwrap_or_default();
        if b.is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with("--") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            let end = rest.get(2..).and_then(|r| r.find("*/")).ok_or(LexError {
                at: i,
                message: "unterminated comment".into(),
            })?;
            i += end + 4;
        } else if b == b'\'' {
            let (text, used) = quoted(rest, b'\'', true).ok_or(LexError {
                at: i,
                message: "unterminated string literal".into(),
            })?;
            out.push(Token {
                tok: Tok::Str(text),
                at: i,
                end: i + used,
            });
            i += used;
        } else if b == b'"' || b == b'`' {
            let (text, used) = quoted(rest, b, false).ok_or(LexError {
                at: i,
                message: "unterminated quoted identifier".into(),
            })?;
            out.push(Token {
                tok: Tok::QuotedIdent(text),
                at: i,
                end: i + used,
            });
            i += used;
        } else if b.is_ascii_digit()
            || (b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let mut j = i;
            while bytes
                .get(j)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_')
                || (matches!(bytes.get(j), Some(b'+' | b'-'))
                    && matches!(bytes.get(j.wrapping_sub(1)), Some(b'e' | b'E'))
                    && !sql.get(i..j).unwrap_or_default().starts_with("0x"))
            {
                j += 1;
            }
            out.push(Token {
                tok: Tok::Number(sql.get(i..j).unwrap_or_default().to_owned()),
                at: i,
                end: j,
            });
            i = j;
        } else if b.is_ascii_alphabetic() || b == b'_' || b == b'$' || b >= 0x80 {
            let mut j = i;
            while bytes.get(j).is_some_and(|c| {
                c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$' || *c >= 0x80
            }) {
                j += 1;
            }
            out.push(Token {
                tok: Tok::Ident(sql.get(i..j).unwrap_or_default().to_owned()),
                at: i,
                end: j,
            });
            i = j;
        } else if let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            out.push(Token {
                tok: Tok::Sym(sym),
                at: i,
                end: i + sym.len(),
            });
            i += sym.len();
        } else {
            let c = rest.chars().next().unwrap_or('?');
            return Err(LexError {
                at: i,
                message: format!("unexpected character `{c}`"),
            });
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        at: sql.len(),
        end: sql.len(),
    });
    Ok(out)
}

/// Reads a quoted run starting at `text[0] == quote`; a doubled quote is one quote.
/// Returns the content and the bytes used, or `None` if unterminated.
fn quoted(text: &str, quote: u8, backslash: bool) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        let b = *bytes.get(i)?;
        if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                out.push(quote);
                i += 2;
                continue;
            }
            return Some((String::from_utf8(out).ok()?, i + 1));
        }
        if b == b'\\' && backslash {
            let e = *bytes.get(i + 1)?;
            out.push(match e {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'0' => 0,
                other => other,
            });
            i += 2;
            continue;
        }
        out.push(b);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(sql: &str) -> Vec<Tok> {
        tokenize(sql).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_of_a_query() {
        assert_eq!(
            toks("SELECT id, 'it''s' FROM \"T\" WHERE v>=1.5e-3 -- c\n/*+ hint */;"),
            vec![
                Tok::Ident("SELECT".into()),
                Tok::Ident("id".into()),
                Tok::Sym(","),
                Tok::Str("it's".into()),
                Tok::Ident("FROM".into()),
                Tok::QuotedIdent("T".into()),
                Tok::Ident("WHERE".into()),
                Tok::Ident("v".into()),
                Tok::Sym(">="),
                Tok::Number("1.5e-3".into()),
                Tok::Sym(";"),
                Tok::Eof,
            ]
        );
        assert_eq!(
            toks("a-1"),
            vec![
                Tok::Ident("a".into()),
                Tok::Sym("-"),
                Tok::Number("1".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn err_unterminated_string_names_its_offset() {
        assert_eq!(
            tokenize("select 'abc").unwrap_err(),
            LexError {
                at: 7,
                message: "unterminated string literal".into()
            }
        );
        assert_eq!(tokenize("select #").unwrap_err().at, 7);
    }
}
