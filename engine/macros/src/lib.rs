//! Compile-time half of uringlog's logging macros.
//!
//! `uringlog::info!(logger, "id={} user={}", id, user)` reaches
//! [`deferred!`] through `uringlog::log!`. It parses the format string once,
//! at compile time, and expands to:
//!
//! - a `static` call site (`uringlog::__private::CallSite`): level, target,
//!   file, line, the literal pieces of the string and one slot per
//!   placeholder — plain `{}` slots rendered by the writer with its own
//!   integer, float and string code, other specs (`{:>8}`, `{:x}`, `{:.3}`,
//!   `{:#?}`, …) with a `core::fmt` closure holding that exact spec;
//! - the logger expression, evaluated once, then the level check;
//! - the call: each argument is evaluated and borrowed once and handed over
//!   as a plain value (integers, floats, `bool`, `char`, strings, byte
//!   slices: copied in binary by the engine) or, for any other type, as a
//!   closure that formats it in the caller with its spec; width and
//!   precision arguments are checked as `core::fmt` checks them, and a
//!   float's `{:e}` at precision 65535 fails as `core::fmt` fails there;
//! - beside the call, a never-executed `format_args!` of the original
//!   string over the borrowed arguments, so rustc checks it exactly as
//!   `format!` would (a misspelled placeholder, a missing argument or a
//!   type without the trait is still a compile error) without evaluating
//!   an argument twice.
//!
//! A format string this crate does not parse (not a literal, or an unusual
//! form) expands to the engine's pre-formatted path, `format_args!` in the
//! caller, which also reports any error.

mod spec;

use proc_macro::TokenStream;
use proc_macro2::{Delimiter, Group, Span, TokenStream as Tokens, TokenTree};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Token};

/// The logging call behind `uringlog::log!`; not for direct use.
///
/// Input: `(crate path) (logger) (level) (target, or nothing for the
/// module path) "format string", args…`.
#[proc_macro]
pub fn deferred(input: TokenStream) -> TokenStream {
    match syn::parse::<Input>(input) {
        Ok(i) => expand(i).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// One argument as written: `expr` or `name = expr`.
struct Arg {
    name: Option<Ident>,
    expr: Expr,
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Arg> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            return Ok(Arg {
                name: Some(name),
                expr: input.parse()?,
            });
        }
        Ok(Arg {
            name: None,
            expr: input.parse()?,
        })
    }
}

struct Input {
    krate: Tokens,
    logger: Tokens,
    level: Tokens,
    target: Tokens,
    /// The format string and its arguments, as written.
    rest: Tokens,
    /// The literal and the parsed arguments, when the string is a literal.
    parsed: Option<(LitStr, Vec<Arg>)>,
}

fn group(input: ParseStream<'_>) -> syn::Result<Tokens> {
    let g: Group = input.parse()?;
    Ok(g.stream())
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Input> {
        let krate = group(input)?;
        let logger = group(input)?;
        let level = group(input)?;
        let target = group(input)?;
        let rest: Tokens = input.parse()?;
        let parsed = syn::parse::Parser::parse2(
            |s: ParseStream<'_>| {
                let lit = literal(s)?;
                let args = if s.is_empty() {
                    Punctuated::<Arg, Token![,]>::new()
                } else {
                    s.parse::<Token![,]>()?;
                    Punctuated::<Arg, Token![,]>::parse_terminated(s)?
                };
                Ok((lit, args.into_iter().collect::<Vec<_>>()))
            },
            rest.clone(),
        )
        .ok();
        Ok(Input {
            krate,
            logger,
            level,
            target,
            rest,
            parsed,
        })
    }
}

/// A string literal, also when a `macro_rules!` wrapped it in an invisible group.
fn literal(s: ParseStream<'_>) -> syn::Result<LitStr> {
    if let Ok(l) = s.fork().parse::<LitStr>() {
        s.parse::<LitStr>()?;
        return Ok(l);
    }
    let g: Group = s.parse()?;
    if g.delimiter() != Delimiter::None {
        return Err(syn::Error::new(g.span(), "not a literal"));
    }
    syn::parse2::<LitStr>(g.stream())
}

/// Tokens with invisible groups (from `macro_rules!` fragments) removed
/// at the top level.
fn flat(t: &Tokens) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for tt in t.clone() {
        match tt {
            TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
                out.extend(flat(&g.stream()))
            }
            tt => out.push(tt),
        }
    }
    out
}

/// `Some(level)` for the static when the level is written as a path to a
/// `Level` variant (every level macro, and `log!(l, Level::Warn, …)`).
fn static_level(level: &Tokens) -> Tokens {
    let t = flat(level);
    let names = ["Trace", "Debug", "Info", "Warn", "Error"];
    let n = t.len();
    let is = |i: usize, s: &str| matches!(t.get(i), Some(TokenTree::Ident(x)) if x == s);
    let punct = |i: usize| matches!(t.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':');
    if n >= 4
        && names.iter().any(|v| is(n - 1, v))
        && punct(n - 2)
        && punct(n - 3)
        && is(n - 4, "Level")
    {
        quote!(::core::option::Option::Some(#level))
    } else {
        quote!(::core::option::Option::None)
    }
}

/// The target: `(static, runtime)`. A string literal, a path to a constant
/// (see [`is_constant_path`]) or the default module path lives in the
/// static, so a call copies no target bytes; any other expression is
/// passed at run time.
fn targets(target: &Tokens) -> (Tokens, Tokens) {
    let t = flat(target);
    let is_lit = matches!(t.as_slice(), [TokenTree::Literal(l)]
        if syn::parse2::<LitStr>(TokenTree::Literal(l.clone()).into()).is_ok());
    if t.is_empty() {
        (
            quote!(::core::option::Option::Some(::core::module_path!())),
            quote!(""),
        )
    } else if is_lit || is_constant_path(&t) {
        (quote!(::core::option::Option::Some(#target)), quote!(""))
    } else {
        (quote!(::core::option::Option::None), target.clone())
    }
}

/// Whether `t` is a path to a constant or static as Rust names them: the
/// last segment in upper case, every segment before it a module (lower
/// case: `TARGET`, `crate::names::TARGET`), which a static initializer may
/// read. `Self::TARGET` and `T::TARGET` (a type's associated constant,
/// perhaps generic) are left to run time: a static cannot name them. A
/// local variable named in upper case would not compile here (the naming
/// convention is the only hint a macro has); name it in lower case.
fn is_constant_path(t: &[TokenTree]) -> bool {
    let Some((TokenTree::Ident(last), before)) = t.split_last() else {
        return false;
    };
    let name = last.to_string();
    let upper = name.bytes().any(|b| b.is_ascii_uppercase())
        && !name.bytes().any(|b| b.is_ascii_lowercase());
    upper
        && before.iter().all(|tt| match tt {
            TokenTree::Ident(i) => !i.to_string().bytes().any(|b| b.is_ascii_uppercase()),
            TokenTree::Punct(p) => p.as_char() == ':',
            _ => false,
        })
}

fn expand(input: Input) -> Tokens {
    let Some((lit, args)) = &input.parsed else {
        return fallback(&input);
    };
    let positional = args.iter().take_while(|a| a.name.is_none()).count();
    if args[positional..].iter().any(|a| a.name.is_none()) {
        return fallback(&input);
    }
    // A raw identifier names the argument the string names without `r#`
    // (`{type}` for `r#type = 1`), as `format_args!` reads it.
    let named: Vec<String> = args[positional..]
        .iter()
        .filter_map(|a| a.name.as_ref().map(|n| n.unraw().to_string()))
        .collect();
    let Some(parsed) = spec::parse(&lit.value(), positional, &named) else {
        return fallback(&input);
    };
    deferred_call(&input, lit, args, &parsed)
}

/// The engine's pre-formatted path: `format_args!` in the caller.
fn fallback(input: &Input) -> Tokens {
    let Input {
        krate,
        logger,
        level,
        target,
        rest,
        ..
    } = input;
    let target = if target.is_empty() {
        quote!(::core::module_path!())
    } else {
        target.clone()
    };
    quote! {{
        let __level: #krate::Level = #level;
        match ((#logger).__by_ref(), #target) {
            (__logger, __target) => {
                if __logger.enabled_for(__level, __target) {
                    __logger.__log_args(
                        __level,
                        __target,
                        (::core::file!(), ::core::line!()),
                        ::core::format_args!(#rest),
                    );
                }
            }
        }
    }}
}

fn deferred_call(input: &Input, lit: &LitStr, args: &[Arg], parsed: &spec::Parsed) -> Tokens {
    let Input {
        krate,
        logger,
        level,
        target,
        ..
    } = input;
    let (static_target, runtime_target) = targets(target);
    let static_level = static_level(level);
    // Every argument, borrowed once: positional, named, then captured.
    let mut exprs: Vec<Tokens> = args
        .iter()
        .map(|a| {
            let e = &a.expr;
            quote!(#e)
        })
        .collect();
    for c in &parsed.captures {
        let id = captured(c, lit.span());
        exprs.push(quote!(#id));
    }
    let (bindings, check_args) = bindings(lit, args, parsed);
    let pieces = &parsed.pieces;
    let slots = parsed.placeholders.iter().map(|h| slot(krate, h));
    let mut elements = Vec::new();
    for h in &parsed.placeholders {
        elements.push(element(krate, h, &bindings));
        for extra in [h.width_arg, h.precision_arg].into_iter().flatten() {
            let b = &bindings[extra];
            elements.push(quote!(#krate::__private::PlainArg::count(#b)));
        }
    }
    let mut tuple = nest(elements);
    if parsed
        .placeholders
        .iter()
        .any(|h| !h.spec.is_plain_display())
    {
        // As `CallSite::new` finds from the slots (`any_custom`), but known
        // at compile time: crash-safe mode's direct path is left out.
        tuple = quote!(#krate::__private::CustomSpecs(#tuple));
    }
    quote! {{
        static __URINGLOG_CALLSITE: #krate::__private::CallSite = #krate::__private::CallSite::new(
            #static_level,
            #static_target,
            ::core::file!(),
            ::core::line!(),
            ::core::module_path!(),
            &[#(#pieces),*],
            &[#(#slots),*],
        );
        let __level: #krate::Level = #level;
        match ((#logger).__by_ref(), #runtime_target) {
            (__logger, __target) => {
                if __logger.__enabled_at_site(__level, &__URINGLOG_CALLSITE, __target) {
                    #[allow(unused_imports)]
                    use #krate::__private::{ViaCopy as _, ViaFmt as _, ViaPlain as _};
                    match (#(&(#exprs),)*) {
                        (#(#bindings,)*) => {
                            if false {
                                let _ = ::core::format_args!(#lit #(, #check_args)*);
                            }
                            __logger.__log_deferred(&__URINGLOG_CALLSITE, __level, __target, #tuple);
                        }
                    }
                }
            }
        }
    }}
}

/// The variable a name in the string captures (`{x}`, `{:w$}`): a
/// keyword is a raw identifier's name (`{type}` reads `r#type`), as
/// `format_args!` reads it; the keywords no raw identifier can spell
/// (`self`, …) stay as written.
fn captured(name: &str, span: Span) -> Ident {
    let unrawable = matches!(name, "self" | "Self" | "super" | "crate");
    if unrawable || syn::parse_str::<Ident>(name).is_ok() {
        Ident::new(name, span)
    } else {
        Ident::new_raw(name, span)
    }
}

/// One name per argument (positional, named, then captured), and the
/// arguments of the compile-time check written over those names: the
/// check must not evaluate an argument again (one that moves a value,
/// `opt.unwrap()`, `r?`, `fut.await`, could not be used twice).
fn bindings(lit: &LitStr, args: &[Arg], parsed: &spec::Parsed) -> (Vec<Ident>, Vec<Tokens>) {
    // Each name points where its argument is written, for rustc's messages.
    let spans = args
        .iter()
        .map(|a| a.expr.span())
        .chain(parsed.captures.iter().map(|_| lit.span()));
    let bindings: Vec<Ident> = spans
        .enumerate()
        .map(|(i, span)| Ident::new(&format!("__arg{i}"), Span::call_site().located_at(span)))
        .collect();
    let check = args
        .iter()
        .zip(&bindings)
        .map(|(a, b)| {
            let v = quote_spanned!(a.expr.span()=> *#b);
            match &a.name {
                Some(n) => quote!(#n = #v),
                None => v,
            }
        })
        .collect();
    (bindings, check)
}

/// Arguments of a spec rewritten for a closure: `(value, width, precision)`.
fn closure_spec(h: &spec::Placeholder) -> String {
    let w = h.width_arg.map(|_| 1);
    let p = h.precision_arg.map(|_| 1 + w.is_some() as usize);
    format!("{{:{}}}", h.spec.render(w, p))
}

/// The static slot: plain `{}`, or a `core::fmt` closure with the spec.
fn slot(krate: &Tokens, h: &spec::Placeholder) -> Tokens {
    if h.spec.is_plain_display() {
        return quote!(#krate::__private::Slot::DISPLAY);
    }
    let variant = Ident::new(
        match h.spec.ty.as_str() {
            "" => "Display",
            "?" | "x?" | "X?" => "Debug",
            "x" => "LowerHex",
            "X" => "UpperHex",
            "o" => "Octal",
            "b" => "Binary",
            "e" => "LowerExp",
            "E" => "UpperExp",
            _ => "Pointer",
        },
        Span::call_site(),
    );
    let fmt = LitStr::new(&closure_spec(h), Span::call_site());
    let w = h.width_arg.is_some();
    let p = h.precision_arg.is_some();
    let (wp, wa) = if w {
        (quote!(__w), quote!(, __w))
    } else {
        (quote!(_), quote!())
    };
    let (pp, pa) = if p {
        (quote!(__p), quote!(, __p))
    } else {
        (quote!(_), quote!())
    };
    quote! {
        #krate::__private::Slot::custom(
            #krate::__private::CustomFmt::#variant(|__o, __v, #wp, #pp| ::core::write!(__o, #fmt, __v #wa #pa)),
            #w,
            #p,
        )
    }
}

/// The call's value for a placeholder: plain data, or a closure that
/// formats the argument in the caller with the placeholder's spec.
fn element(krate: &Tokens, h: &spec::Placeholder, bindings: &[Ident]) -> Tokens {
    let v = &bindings[h.arg];
    let fmt = LitStr::new(&closure_spec(h), Span::call_site());
    let extra = [h.width_arg, h.precision_arg]
        .into_iter()
        .flatten()
        .map(|i| {
            let b = &bindings[i];
            quote!(, *#b)
        });
    let closure =
        quote!(|__o: &mut dyn ::core::fmt::Write| ::core::write!(__o, #fmt, *#v #(#extra)*));
    if h.spec.ty == "p" {
        // An address is only meaningful in the caller.
        return quote!(#krate::__private::FmtArg::new(#closure));
    }
    let value =
        quote_spanned!(Span::call_site()=> (&&#krate::__private::Wrap(#v)).__defer(#closure));
    // `core::fmt` panics on a float's exponent form at precision
    // `u16::MAX`: the call fails in the caller then (see
    // `ExpPrecision`), for a literal precision only at that one.
    let precision = match (&h.spec.precision, h.precision_arg) {
        (Some(spec::Count::Lit(n)), _) if *n == usize::from(u16::MAX) => Some(quote!(#n)),
        (_, Some(i)) => {
            let b = &bindings[i];
            Some(quote!(*#b))
        }
        _ => None,
    };
    match precision {
        Some(p) if matches!(h.spec.ty.as_str(), "e" | "E") => {
            quote!(#krate::__private::ExpPrecision::__exp_precision(#value, #p))
        }
        _ => value,
    }
}

/// A tuple of tuples, at most `MAX_TUPLE` wide at each level.
fn nest(mut elements: Vec<Tokens>) -> Tokens {
    const MAX_TUPLE: usize = 12;
    while elements.len() > MAX_TUPLE {
        elements = elements
            .chunks(MAX_TUPLE)
            .map(|c| quote!((#(#c,)*)))
            .collect();
    }
    quote!((#(#elements,)*))
}
