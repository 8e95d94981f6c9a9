//! Rust's format-string grammar, as `format_args!` reads it.
//!
//! ```text
//! format_string := text [ maybe_format text ] *
//! maybe_format  := '{' '{' | '}' '}' | format
//! format        := '{' [ argument ] [ ':' format_spec ] '}'
//! argument      := integer | identifier
//! format_spec   := [[fill]align][sign]['#']['0'][width]['.' precision]type
//! count         := integer | argument '$'        precision may also be '*'
//! type          := '' | '?' | 'x?' | 'X?' | 'x' | 'X' | 'o' | 'b' | 'e' | 'E' | 'p'
//! ```
//!
//! Anything this parser does not accept makes the macro fall back to
//! `format_args!` in the caller, which then reports the error itself: the
//! parser never has to reproduce rustc's diagnostics.

/// Which argument a placeholder (or a width / precision) refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgRef {
    /// The next implicit positional argument (`{}`).
    Next,
    /// `{2}`, `2$`.
    Index(usize),
    /// `{name}`, `name$`: a named argument or a captured variable.
    Name(String),
}

/// A width or precision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Count {
    /// Written in the string.
    Lit(usize),
    /// `N$` / `name$`.
    Arg(ArgRef),
    /// `.*`: the next positional argument (precision only).
    Star,
}

/// The part after `:`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    pub fill: Option<char>,
    pub align: Option<char>,
    pub sign: Option<char>,
    pub alternate: bool,
    pub zero: bool,
    pub width: Option<Count>,
    pub precision: Option<Count>,
    /// `""`, `"?"`, `"x?"`, `"X?"`, `"x"`, `"X"`, `"o"`, `"b"`, `"e"`, `"E"`, `"p"`.
    pub ty: String,
}

impl Spec {
    /// `{}`: `Display` with no option.
    pub fn is_plain_display(&self) -> bool {
        *self == Spec::default()
    }

    /// The spec written back with width and precision arguments renamed:
    /// `width` / `precision` replace their `N$` / `name$` / `*` (the caller
    /// passes the positions they take in the new argument list).
    pub fn render(&self, width: Option<usize>, precision: Option<usize>) -> String {
        let mut s = String::new();
        if let Some(a) = self.align {
            if let Some(f) = self.fill {
                s.push(f);
            }
            s.push(a);
        }
        if let Some(c) = self.sign {
            s.push(c);
        }
        if self.alternate {
            s.push('#');
        }
        if self.zero {
            s.push('0');
        }
        match (&self.width, width) {
            (Some(Count::Lit(n)), _) => s.push_str(&n.to_string()),
            (Some(_), Some(i)) => s.push_str(&format!("{i}$")),
            _ => {}
        }
        match (&self.precision, precision) {
            (Some(Count::Lit(n)), _) => s.push_str(&format!(".{n}")),
            (Some(_), Some(i)) => s.push_str(&format!(".{i}$")),
            _ => {}
        }
        s.push_str(&self.ty);
        s
    }
}

/// One `{…}` with its argument resolved to a position in the argument
/// list, where positional arguments come first, then named ones, then
/// captured variables (in order of first use).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub arg: usize,
    pub spec: Spec,
    /// Argument positions of a `N$` / `name$` / `*` width and precision.
    pub width_arg: Option<usize>,
    pub precision_arg: Option<usize>,
}

/// A parsed format string: `pieces.len() == placeholders.len() + 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub pieces: Vec<String>,
    pub placeholders: Vec<Placeholder>,
    /// Names used but not given as named arguments: captured variables.
    pub captures: Vec<String>,
}

/// Parses `s` given the number of positional arguments and the names of
/// the named ones; `None` for anything unusual (the caller falls back).
pub fn parse(s: &str, positional: usize, named: &[String]) -> Option<Parsed> {
    let raw = split(s)?;
    let mut out = Parsed {
        pieces: Vec::new(),
        placeholders: Vec::new(),
        captures: Vec::new(),
    };
    let mut next = 0usize;
    let resolve = |r: &ArgRef, captures: &mut Vec<String>, next: &mut usize| -> usize {
        match r {
            ArgRef::Next => {
                *next += 1;
                *next - 1
            }
            ArgRef::Index(i) => *i,
            ArgRef::Name(n) => match named.iter().position(|m| m == n) {
                Some(i) => positional + i,
                None => {
                    let i = match captures.iter().position(|m| m == n) {
                        Some(i) => i,
                        None => {
                            captures.push(n.clone());
                            captures.len() - 1
                        }
                    };
                    positional + named.len() + i
                }
            },
        }
    };
    for item in raw {
        match item {
            Raw::Text(t) => match (out.pieces.len(), out.placeholders.len()) {
                (p, h) if p == h => out.pieces.push(t),
                _ => out.pieces.last_mut()?.push_str(&t),
            },
            Raw::Ph(arg, spec) => {
                if out.pieces.len() == out.placeholders.len() {
                    out.pieces.push(String::new());
                }
                // rustc's order: a width argument, then `.*`, then the value.
                let width_arg = match &spec.width {
                    Some(Count::Arg(r)) => Some(resolve(r, &mut out.captures, &mut next)),
                    _ => None,
                };
                let precision_arg = match &spec.precision {
                    Some(Count::Arg(r)) => Some(resolve(r, &mut out.captures, &mut next)),
                    Some(Count::Star) => Some(resolve(&ArgRef::Next, &mut out.captures, &mut next)),
                    _ => None,
                };
                let arg = resolve(&arg, &mut out.captures, &mut next);
                out.placeholders.push(Placeholder {
                    arg,
                    spec,
                    width_arg,
                    precision_arg,
                });
            }
        }
    }
    if out.pieces.len() == out.placeholders.len() {
        out.pieces.push(String::new());
    }
    let total = positional + named.len() + out.captures.len();
    let refs = out.placeholders.iter().flat_map(|p| {
        [Some(p.arg), p.width_arg, p.precision_arg]
            .into_iter()
            .flatten()
    });
    for r in refs {
        if r >= total {
            return None;
        }
    }
    Some(out)
}

enum Raw {
    Text(String),
    Ph(ArgRef, Spec),
}

/// Splits `s` into text (with `{{` and `}}` unescaped) and placeholders.
fn split(s: &str) -> Option<Vec<Raw>> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            '{' if it.peek().map(|x| x.1) == Some('{') => {
                it.next();
                text.push('{');
            }
            '}' if it.peek().map(|x| x.1) == Some('}') => {
                it.next();
                text.push('}');
            }
            '}' => return None,
            '{' => {
                let end = s[i..].find('}')? + i;
                if !text.is_empty() {
                    out.push(Raw::Text(std::mem::take(&mut text)));
                }
                let (arg, spec) = placeholder(&s[i + 1..end])?;
                out.push(Raw::Ph(arg, spec));
                while it.peek().is_some_and(|x| x.0 <= end) {
                    it.next();
                }
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        out.push(Raw::Text(text));
    }
    Some(out)
}

/// The inside of `{…}`.
fn placeholder(s: &str) -> Option<(ArgRef, Spec)> {
    let (arg, spec) = match s.find(':') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let arg = arg_ref(arg.trim_end())?;
    let spec = match spec {
        Some(sp) => format_spec(sp.trim_end())?,
        None => Spec::default(),
    };
    Some((arg, spec))
}

fn arg_ref(s: &str) -> Option<ArgRef> {
    if s.is_empty() {
        return Some(ArgRef::Next);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().map(ArgRef::Index);
    }
    is_ident(s).then(|| ArgRef::Name(s.to_owned()))
}

/// A plain ASCII identifier other than `_` (anything else falls back).
fn is_ident(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && s != "_"
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn format_spec(s: &str) -> Option<Spec> {
    let mut spec = Spec::default();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '^' | '>');
    if chars.len() >= 2 && is_align(chars[1]) {
        spec.fill = Some(chars[0]);
        spec.align = Some(chars[1]);
        i = 2;
    } else if chars.first().copied().is_some_and(is_align) {
        spec.align = Some(chars[0]);
        i = 1;
    }
    if let Some(&c @ ('+' | '-')) = chars.get(i) {
        spec.sign = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        spec.alternate = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') && chars.get(i + 1) != Some(&'$') {
        spec.zero = true;
        i += 1;
    }
    let rest: String = chars[i..].iter().collect();
    let (width, rest) = count(&rest);
    spec.width = width;
    let rest = match rest.strip_prefix('.') {
        Some(r) => {
            if let Some(r) = r.strip_prefix('*') {
                spec.precision = Some(Count::Star);
                r
            } else {
                let (p, r) = count(r);
                spec.precision = Some(p?);
                r
            }
        }
        None => rest,
    };
    match rest {
        "" | "?" | "x?" | "X?" | "x" | "X" | "o" | "b" | "e" | "E" | "p" => {
            spec.ty = rest.to_owned();
            Some(spec)
        }
        _ => None,
    }
}

/// A leading count (`8`, `1$`, `w$`) and what follows it.
fn count(s: &str) -> (Option<Count>, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let (word, rest) = s.split_at(end);
    if word.is_empty() {
        return (None, s);
    }
    if let Some(after) = rest.strip_prefix('$') {
        return match arg_ref(word) {
            Some(r @ (ArgRef::Index(_) | ArgRef::Name(_))) => (Some(Count::Arg(r)), after),
            _ => (None, s),
        };
    }
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return (None, s);
    }
    match word[..digits].parse() {
        Ok(n) => (Some(Count::Lit(n)), &s[digits..]),
        Err(_) => (None, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, positional: usize, named: &[&str]) -> Option<Parsed> {
        let named: Vec<String> = named.iter().map(|s| s.to_string()).collect();
        parse(s, positional, &named)
    }

    #[test]
    fn pieces_and_positions() {
        let r = p("a{}b{{c}}{}", 2, &[]).unwrap();
        assert_eq!(r.pieces, ["a", "b{c}", ""]);
        assert_eq!(r.placeholders[0].arg, 0);
        assert_eq!(r.placeholders[1].arg, 1);
        let r = p("{1} {0} {}", 2, &[]).unwrap();
        let args: Vec<usize> = r.placeholders.iter().map(|h| h.arg).collect();
        assert_eq!(args, [1, 0, 0]);
    }

    #[test]
    fn named_captured_and_counts() {
        let r = p("{x} {n:>w$.p$} {:.*} {y}", 2, &["n", "w"]).unwrap();
        assert_eq!(r.captures, ["x", "p", "y"]);
        let h = &r.placeholders;
        assert_eq!(h[0].arg, 4); // x: first capture
        assert_eq!(
            (h[1].arg, h[1].width_arg, h[1].precision_arg),
            (2, Some(3), Some(5))
        );
        // `.*`: the precision takes the next positional first, then the value.
        assert_eq!((h[2].precision_arg, h[2].arg), (Some(0), 1));
        assert_eq!(h[3].arg, 6);
    }

    #[test]
    fn specs_round_trip() {
        for s in [
            "", ">8", "*^9", "+", "#x", "08", ".3", "e", "#?", "x?", "-<5.2", "#010b", "p", " >3",
        ] {
            let spec = format_spec(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(spec.render(None, None), s);
        }
        let spec = format_spec("0$").unwrap();
        assert_eq!(spec.width, Some(Count::Arg(ArgRef::Index(0))));
        assert!(!spec.zero);
        assert_eq!(
            format_spec(">w$.*").unwrap().render(Some(1), Some(2)),
            ">1$.2$"
        );
    }

    #[test]
    fn odd_strings_fall_back() {
        assert!(p("{", 0, &[]).is_none());
        assert!(p("}", 0, &[]).is_none());
        assert!(p("{:y}", 1, &[]).is_none());
        assert!(p("{_}", 1, &[]).is_none());
        assert!(p("{é}", 1, &[]).is_none());
        assert!(p("{3}", 1, &[]).is_none());
        assert!(p("{}", 0, &[]).is_none());
    }
}
