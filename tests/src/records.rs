//! Random records for the format properties: strings and bytes rich in what
//! escaping must handle, and field values of every kind a `FieldValue` has.

use proptest::prelude::*;
use uringlog::FieldValue;

/// Characters that formats treat specially, to be mixed into strings.
const SPECIAL: &[char] = &[
    '\\', '"', '\n', '\r', '\t', ' ', '=', ':', '\0', '\u{1b}', '\u{7f}', '\u{85}', '\u{2028}',
    '\u{2029}', '\u{84}', '\u{2027}', '#', '{', '}', 'n', 'x', 'u', '-', '0', 'é', '✓', '𝄞',
];

/// A string of up to `max` characters, about half of them special.
pub fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    let c = prop_oneof![
        proptest::sample::select(SPECIAL),
        any::<char>(),
        proptest::char::range('a', 'z'),
    ];
    proptest::collection::vec(c, 0..=max).prop_map(|v| v.into_iter().collect())
}

/// Bytes with valid and invalid UTF-8, line separators and their pieces.
pub fn nasty_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let b = prop_oneof![
        any::<u8>(),
        proptest::sample::select(&[0xc2u8, 0x85, 0xe2, 0x80, 0xa8, 0xa9, 0xff, b'\\', b'"'][..]),
        proptest::char::range('a', 'z').prop_map(|c| c as u8),
    ];
    proptest::collection::vec(b, 0..=max)
}

/// One field value of any kind.
#[derive(Clone, Debug)]
pub enum Gen {
    /// `&str`
    Str(String),
    /// `&[u8]`
    Bytes(Vec<u8>),
    /// `i64`
    I64(i64),
    /// `u64`
    U64(u64),
    /// `f64`
    F64(f64),
    /// `f32`
    F32(f32),
    /// `bool`
    Bool(bool),
    /// `char`
    Char(char),
    /// `None::<u8>`
    None,
    /// `uringlog::display(..)` of a string
    Display(String),
}

const NONE: Option<u8> = None;

impl Gen {
    /// The value as the logging API takes it.
    pub fn as_field(&self) -> &dyn FieldValue {
        match self {
            Gen::Str(s) | Gen::Display(s) => s,
            Gen::Bytes(b) => b,
            Gen::I64(v) => v,
            Gen::U64(v) => v,
            Gen::F64(v) => v,
            Gen::F32(v) => v,
            Gen::Bool(v) => v,
            Gen::Char(c) => c,
            Gen::None => &NONE,
        }
    }

    /// The strings a string-like value should read back as (`Str`,
    /// `Display`, `Char`: its UTF-8; `Bytes`: the bytes).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            Gen::Str(s) | Gen::Display(s) => Some(s.clone().into_bytes()),
            Gen::Char(c) => Some(c.to_string().into_bytes()),
            Gen::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }
}

/// Any field value, strings and bytes made nasty.
pub fn field_value() -> impl Strategy<Value = Gen> {
    prop_oneof![
        nasty_string(12).prop_map(Gen::Str),
        nasty_bytes(12).prop_map(Gen::Bytes),
        any::<i64>().prop_map(Gen::I64),
        any::<u64>().prop_map(Gen::U64),
        any::<f64>().prop_map(Gen::F64),
        any::<f32>().prop_map(Gen::F32),
        any::<bool>().prop_map(Gen::Bool),
        any::<char>().prop_map(Gen::Char),
        Just(Gen::None),
        // Strings that look like other types.
        proptest::sample::select(
            &["42", "-1", "1.5", "true", "false", "null", "NaN", "inf", "-inf", ".5", "+3", ""][..]
        )
        .prop_map(|s| Gen::Display(s.to_owned())),
    ]
}

/// Up to `max` fields with nasty keys, some repeated.
pub fn fields(max: usize) -> impl Strategy<Value = Vec<(String, Gen)>> {
    let key = prop_oneof![
        nasty_string(6),
        proptest::sample::select(
            &["msg", "ts", "level", "target", "thread", "id", "msg#2", "id#2"][..]
        )
        .prop_map(str::to_owned),
    ];
    proptest::collection::vec((key, field_value()), 0..=max)
}
