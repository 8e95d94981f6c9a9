//! A strict parser for the text line, written from the grammar documented
//! on `uringlog::Format` (not from the formatter's code): it refuses any
//! character a part may not hold and any unknown escape.

/// Which optional parts a line has (they follow from the format's options).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// A timestamp comes first.
    pub timestamp: bool,
    /// `[thread] ` follows the level.
    pub thread: bool,
    /// `target: ` precedes the body.
    pub target: bool,
}

/// A field value as the text shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum TextValue {
    /// A string (quoted, or a bare token that reads as none of the others).
    Str(Vec<u8>),
    /// An integer.
    Int(i128),
    /// A float, as its token (`0.1`, `NaN`, `-inf`).
    Float(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// One parsed line.
#[derive(Clone, Debug, PartialEq)]
pub struct TextLine {
    /// The RFC 3339 timestamp, as written.
    pub timestamp: Option<String>,
    /// The level's name, without padding.
    pub level: String,
    /// The thread id.
    pub thread: Option<u64>,
    /// The target, unescaped.
    pub target: Option<Vec<u8>>,
    /// The message, unescaped.
    pub message: Vec<u8>,
    /// The fields, for a quoted message; `None` for a bare one.
    pub fields: Option<Vec<(Vec<u8>, TextValue)>>,
}

/// What a part of the line may hold unescaped.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    Bare,
    Target,
    Quoted,
    Token,
}

impl Class {
    fn allows(self, c: char) -> bool {
        let breaks = matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}');
        let control = (c as u32) < 0x20 || c == '\u{7f}';
        if breaks
            || c == '\\'
            || (control && !(c == '\t' && matches!(self, Class::Bare | Class::Target)))
        {
            return false;
        }
        match self {
            Class::Bare => c != '"',
            Class::Target => c != ' ',
            Class::Quoted => c != '"',
            Class::Token => !matches!(c, ' ' | '"' | '='),
        }
    }
}

struct Cursor<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.s[self.at..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn expect(&mut self, want: &str) -> Result<(), String> {
        if self.s[self.at..].starts_with(want) {
            self.at += want.len();
            Ok(())
        } else {
            Err(format!("expected {want:?} at {} in {:?}", self.at, self.s))
        }
    }

    /// Text up to (not including) the next `c`.
    fn until(&mut self, c: char) -> Result<&'a str, String> {
        let end = self.s[self.at..]
            .find(c)
            .ok_or_else(|| format!("no {c:?} after {} in {:?}", self.at, self.s))?;
        let t = &self.s[self.at..self.at + end];
        self.at += end;
        Ok(t)
    }

    /// Characters of `class` and escapes, until a character the class
    /// refuses (or the end); unescaped.
    fn text(&mut self, class: Class) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if c == '\\' {
                self.bump();
                self.escape(&mut out)?;
            } else if class.allows(c) {
                self.bump();
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            } else {
                break;
            }
        }
        Ok(out)
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let bad = |s: &Cursor<'_>| format!("bad escape at {} in {:?}", s.at, s.s);
        match self.bump().ok_or_else(|| bad(self))? {
            '\\' => out.push(b'\\'),
            '"' => out.push(b'"'),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'x' => {
                let hex = self.s.get(self.at..self.at + 2).ok_or_else(|| bad(self))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad(self))?);
                self.at += 2;
            }
            'u' => {
                self.expect("{")?;
                let hex = self.until('}')?;
                self.at += 1;
                let c = u32::from_str_radix(hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|_| (1..=6).contains(&hex.len()))
                    .ok_or_else(|| bad(self))?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            _ => return Err(bad(self)),
        }
        Ok(())
    }

    fn quoted(&mut self) -> Result<Vec<u8>, String> {
        self.expect("\"")?;
        let t = self.text(Class::Quoted)?;
        self.expect("\"")?;
        Ok(t)
    }

    /// A key or value: quoted, or a bare token (`None` if empty).
    fn token_or_quoted(&mut self) -> Result<(Vec<u8>, bool), String> {
        if self.peek() == Some('"') {
            return Ok((self.quoted()?, true));
        }
        let t = self.text(Class::Token)?;
        if t.is_empty() {
            return Err(format!("empty token at {} in {:?}", self.at, self.s));
        }
        Ok((t, false))
    }
}

/// How a bare token reads.
fn typed(token: Vec<u8>) -> Result<TextValue, String> {
    let s = String::from_utf8(token).map_err(|e| e.to_string())?;
    Ok(match s.as_str() {
        "true" => TextValue::Bool(true),
        "false" => TextValue::Bool(false),
        "null" => TextValue::Null,
        "NaN" | "inf" | "-inf" => TextValue::Float(s),
        _ if s.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
            let digits = s.strip_prefix('-').unwrap_or(&s);
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                TextValue::Int(s.parse().map_err(|e| format!("{s:?}: {e}"))?)
            } else {
                s.parse::<f64>().map_err(|e| format!("{s:?}: {e}"))?;
                TextValue::Float(s)
            }
        }
        _ => TextValue::Str(s.into_bytes()),
    })
}

/// Whether `t` is an RFC 3339 time as the format writes it:
/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z` or `+HH:MM` /
/// `-HH:MM`, and nothing else (a line holding the start of another, torn
/// before its own, is refused).
fn rfc3339(t: &str) -> bool {
    let b = t.as_bytes();
    let shape = |s: &[u8], pattern: &[u8]| {
        s.len() == pattern.len()
            && (s.iter().zip(pattern)).all(|(c, p)| match p {
                b'd' => c.is_ascii_digit(),
                _ => c == p,
            })
    };
    if b.len() < 20 || !shape(&b[..19], b"dddd-dd-ddTdd:dd:dd") {
        return false;
    }
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &tail[digits..];
    }
    rest == b"Z" || rest.len() == 6 && matches!(rest[0], b'+' | b'-') && shape(&rest[1..], b"dd:dd")
}

/// Parses one line (with or without its newline) of the given shape.
pub fn parse(line: &str, shape: Shape) -> Result<TextLine, String> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let mut c = Cursor { s: line, at: 0 };
    let timestamp = if shape.timestamp {
        let t = c.until(' ')?.to_owned();
        c.expect(" ")?;
        if !rfc3339(&t) {
            return Err(format!("bad timestamp {t:?}"));
        }
        Some(t)
    } else {
        None
    };
    let level = line.get(c.at..c.at + 5).ok_or("short line")?;
    if !["ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"].contains(&level) {
        return Err(format!("bad level {level:?}"));
    }
    c.at += 5;
    c.expect(" ")?;
    let thread = if shape.thread {
        c.expect("[")?;
        let t = c.until(']')?.parse().map_err(|e| format!("thread: {e}"))?;
        c.expect("] ")?;
        Some(t)
    } else {
        None
    };
    let target = if shape.target {
        // No raw space in a target: it ends at the first ": ".
        let raw = c.until(' ')?;
        let raw = raw
            .strip_suffix(':')
            .ok_or_else(|| format!("no \": \" after the target in {line:?}"))?;
        let mut t = Cursor { s: raw, at: 0 };
        let text = t.text(Class::Target)?;
        if t.at != raw.len() {
            return Err(format!("bad target {raw:?}"));
        }
        c.expect(" ")?;
        Some(text)
    } else {
        None
    };
    let (message, fields) = body(&mut c)?;
    Ok(TextLine {
        timestamp,
        level: level.trim_end().to_owned(),
        thread,
        target,
        message,
        fields,
    })
}

type Body = (Vec<u8>, Option<Vec<(Vec<u8>, TextValue)>>);

/// A quoted message and its fields, or a bare message to the end.
fn body(c: &mut Cursor<'_>) -> Result<Body, String> {
    if c.peek() != Some('"') {
        // Quotes may follow the first character unescaped.
        let mut m = c.text(Class::Bare)?;
        while c.peek() == Some('"') {
            c.bump();
            m.push(b'"');
            m.extend(c.text(Class::Bare)?);
        }
        if c.at != c.s.len() {
            return Err(format!(
                "unexpected {:?} at {} in {:?}",
                c.peek(),
                c.at,
                c.s
            ));
        }
        return Ok((m, None));
    }
    let message = c.quoted()?;
    let mut fields = Vec::new();
    while c.at < c.s.len() {
        c.expect(" ")?;
        let (key, _) = c.token_or_quoted()?;
        c.expect("=")?;
        let value = match c.token_or_quoted()? {
            (v, true) => TextValue::Str(v),
            (v, false) => typed(v)?,
        };
        fields.push((key, value));
    }
    Ok((message, Some(fields)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Shape = Shape {
        timestamp: true,
        thread: true,
        target: true,
    };

    #[test]
    fn a_line_with_every_part() {
        let l = parse(
            r#"2026-11-28T04:56:49.123+05:30 WARN  [12] my\x20app: "a \"b\"\u{2028}" k=1 "k ey"=-2.5 s="12" b=true n=null x=word"#,
            ALL,
        )
        .unwrap();
        assert_eq!(
            l.timestamp.as_deref(),
            Some("2026-11-28T04:56:49.123+05:30")
        );
        assert_eq!((l.level.as_str(), l.thread), ("WARN", Some(12)));
        assert_eq!(l.target.as_deref(), Some(&b"my app"[..]));
        assert_eq!(l.message, "a \"b\"\u{2028}".as_bytes());
        let f = l.fields.unwrap();
        assert_eq!(f[0], (b"k".to_vec(), TextValue::Int(1)));
        assert_eq!(f[1], (b"k ey".to_vec(), TextValue::Float("-2.5".into())));
        assert_eq!(f[2], (b"s".to_vec(), TextValue::Str(b"12".to_vec())));
        assert_eq!(f[3].1, TextValue::Bool(true));
        assert_eq!(f[4].1, TextValue::Null);
        assert_eq!(f[5].1, TextValue::Str(b"word".to_vec()));
    }

    #[test]
    fn a_bare_message_keeps_inner_quotes_and_reads_escapes() {
        let s = Shape {
            timestamp: false,
            thread: false,
            target: false,
        };
        let l = parse(r#"INFO  \"a" b\\n\n\xff"#, s).unwrap();
        assert_eq!(l.message, b"\"a\" b\\n\n\xff");
        assert_eq!(l.fields, None);
    }

    #[test]
    fn what_the_grammar_refuses() {
        let s = Shape {
            timestamp: false,
            thread: false,
            target: true,
        };
        for bad in [
            "INFO  t: a\u{2028}b",
            "INFO  t: a\\qb",
            "INFO  t: a\rb",
            "INFO  t t: m",
            "INFO  t: \"m\" k ey=1",
            "INFO  t: \"m\" k=",
            "INFO  t: \"m",
            "LOUD  t: m",
        ] {
            assert!(parse(bad, s).is_err(), "{bad:?}");
        }
    }
}
