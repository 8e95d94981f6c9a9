//! Exact bytes per dialect, the chunk property, and read-back.

use super::*;
use proptest::prelude::*;

fn esc<D: Dialect>(s: &[u8]) -> String {
    let mut out = Vec::new();
    push::<D>(&mut out, s);
    String::from_utf8(out).expect("escaped output is UTF-8")
}

/// Reads the text escapes back (the inverse of every text dialect).
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((_, c)) = it.next() {
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            continue;
        }
        let (i, e) = it.next().expect("an escape is complete");
        match e {
            '\\' | '"' => out.push(e as u8),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'x' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                it.next();
                it.next();
            }
            'u' => {
                let end = s[i..].find('}').unwrap() + i;
                let c = char::from_u32(u32::from_str_radix(&s[i + 2..end], 16).unwrap()).unwrap();
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                while it.next().map(|(_, c)| c) != Some('}') {}
            }
            other => panic!("unknown escape \\{other} in {s:?}"),
        }
    }
    out
}

/// Byte strings rich in what the escapers care about: specials, line
/// separators, multi-byte characters, truncated and invalid sequences.
fn nasty() -> impl Strategy<Value = Vec<u8>> {
    let special: Vec<Vec<u8>> = [
        &b"\\"[..],
        b"\"",
        b"\n",
        b"\r",
        b"\t",
        b" ",
        b"=",
        b"\x7f",
        b"\0",
        b"\\n",
        "\u{85}".as_bytes(),
        "\u{2028}".as_bytes(),
        "\u{2029}".as_bytes(),
        "\u{2027}".as_bytes(),
        "\u{84}".as_bytes(),
        "é✓𝄞".as_bytes(),
        b"\xe2\x80",
        b"\xf0\x9d",
        b"\xc2",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xc0\xaf",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    let atom = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        proptest::sample::select(special),
        any::<char>().prop_map(|c| c.to_string().into_bytes()),
        "[a-z]{1,9}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(atom, 0..24).prop_map(|v| v.concat())
}

#[test]
fn separators_backslashes_and_controls_have_exact_escapes() {
    let s = "a\u{85}b\u{2028}c\u{2029}d\\n\ne\r\tf\u{1b}\u{7f}\"g";
    assert_eq!(
        esc::<Bare>(s.as_bytes()),
        r#"a\u{85}b\u{2028}c\u{2029}d\\n\ne\r	f\x1b\x7f"g"#
    );
    assert_eq!(
        esc::<Quoted>(s.as_bytes()),
        r#"a\u{85}b\u{2028}c\u{2029}d\\n\ne\r\tf\x1b\x7f\"g"#
    );
    assert_eq!(esc::<TargetText>(b"my app\\x"), r"my\x20app\\x");
    assert_eq!(
        esc::<Json>(s.as_bytes()),
        r#"a\u0085b\u2028c\u2029d\\n\ne\r\tf\u001b"#.to_owned() + "\u{7f}" + r#"\"g"#
    );
    // Characters next to the separators pass untouched.
    assert_eq!(
        esc::<Bare>("\u{84}\u{2027}\u{202a}".as_bytes()),
        "\u{84}\u{2027}\u{202a}"
    );
}

#[test]
fn only_a_leading_quote_is_escaped_in_a_bare_message() {
    assert_eq!(esc::<Bare>(br#""hi" she said"#), r#"\"hi" she said"#);
    assert_eq!(esc::<TargetText>(br#""t""#), r#""t""#);
    let mut out = Vec::new();
    let mut e = Escaper::<Bare>::new();
    e.push(&mut out, b"");
    e.push(&mut out, b"\"a");
    e.push(&mut out, b"\"b");
    e.finish(&mut out);
    assert_eq!(out, br#"\"a"b"#);
}

#[test]
fn invalid_utf8_is_hex_in_text_and_replaced_in_json() {
    let s = b"ok\xff\xe2\x80!\xf0\x9d";
    assert_eq!(esc::<Quoted>(s), r"ok\xff\xe2\x80!\xf0\x9d");
    assert_eq!(esc::<Json>(s), "ok\u{fffd}\u{fffd}!\u{fffd}");
    assert_eq!(esc::<Json>(s), String::from_utf8_lossy(s));
}

#[test]
fn tokens_are_plain_nonempty_words() {
    for ok in ["alice", "a.b-c:d/e", "h\u{e9}", "42", "\u{2027}"] {
        assert!(is_token(ok.as_bytes()), "{ok:?}");
    }
    let bad: [&[u8]; 10] = [
        b"",
        b"a b",
        b"a=b",
        b"a\"",
        b"a\\",
        b"a\tb",
        b"\x7f",
        b"\xff",
        "\u{2028}".as_bytes(),
        "\u{85}x".as_bytes(),
    ];
    for b in bad {
        assert!(!is_token(b), "{b:?}");
    }
    let mut out = Vec::new();
    push_text_token(&mut out, b"k ey", false);
    out.push(b'=');
    push_text_token(&mut out, b"12", true);
    assert_eq!(out, br#""k ey"="12""#);
}

/// Escapes `s` in the chunks that `cuts` (positions, any order) make.
fn in_chunks<D: Dialect>(s: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (s.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut e = Escaper::<D>::new();
    let mut from = 0;
    for c in cuts.into_iter().chain([s.len()]) {
        e.push(&mut out, &s[from..c]);
        from = c;
    }
    e.finish(&mut out);
    out
}

fn whole<D: Dialect>(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    push::<D>(&mut out, s);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Escaping in pieces, cut anywhere (even inside a character), gives
    /// the bytes of escaping the whole, in every dialect.
    #[test]
    fn pieces_escape_like_the_whole(s in nasty(), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        prop_assert_eq!(in_chunks::<Bare>(&s, &cuts), whole::<Bare>(&s));
        prop_assert_eq!(in_chunks::<TargetText>(&s, &cuts), whole::<TargetText>(&s));
        prop_assert_eq!(in_chunks::<Quoted>(&s, &cuts), whole::<Quoted>(&s));
        prop_assert_eq!(in_chunks::<Json>(&s, &cuts), whole::<Json>(&s));
    }

    /// Text dialects: one line, no raw separator, no byte the dialect
    /// excludes, and the escapes read back to the input exactly.
    #[test]
    fn text_escapes_read_back_exactly(s in nasty()) {
        for (out, banned) in [
            (esc::<Bare>(&s), &[b'\n', b'\r', 0][..]),
            (esc::<TargetText>(&s), &[b'\n', b'\r', b' '][..]),
            (esc::<Quoted>(&s), &[b'\n', b'\r', b'\t'][..]),
        ] {
            prop_assert!(!out.bytes().any(|b| banned.contains(&b)), "{:?}", out);
            let breaks = ['\u{85}', '\u{2028}', '\u{2029}'];
            prop_assert!(!out.contains(breaks), "{:?}", out);
            prop_assert_eq!(unescape(&out), s.clone());
        }
        let q = esc::<Quoted>(&s);
        prop_assert!(!q.replace("\\\\", "").replace("\\\"", "").contains('"'));
    }

    /// JSON strings parse back as `from_utf8_lossy` of the input.
    #[test]
    fn json_strings_parse_back(s in nasty()) {
        let out = format!("\"{}\"", esc::<Json>(&s));
        let breaks = ['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'];
        prop_assert!(!out.contains(breaks), "{:?}", out);
        let back: String = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(back, String::from_utf8_lossy(&s));
    }

    /// `find` agrees with a byte-by-byte search for every word test: none
    /// misses a byte it looks for.
    #[test]
    fn word_tests_find_the_first_hit(bytes in proptest::collection::vec(
        prop_oneof![
            any::<u8>(),
            proptest::sample::select(&[0u8, 0x1f, 0x20, 0x21, b'"', b'=', b'\\', 0x7e, 0x7f, 0x80, 0xc2, 0xe2, 0xff][..]),
        ],
        8..20)
    ) {
        fn agree(b: &[u8], flags: impl Fn(u64) -> u64, hit: impl Fn(u8) -> bool + Copy) -> bool {
            super::scan::find(b, flags, hit) == b.iter().position(|&x| hit(x))
        }
        fn check<D: Dialect>(b: &[u8]) -> bool {
            agree(b, D::word_flags, |x| x >= 0x80 || D::is_special(x))
                && agree(b, |w| D::ascii_word_flags(w) | super::scan::separator_lead(w), |x| {
                    D::is_special(x) || x == 0xc2 || x == 0xe2
                })
                && !(0x80..=0xff).any(D::is_special)
        }
        prop_assert!(check::<Bare>(&bytes));
        prop_assert!(check::<TargetText>(&bytes));
        prop_assert!(check::<Quoted>(&bytes));
        prop_assert!(check::<Json>(&bytes));
        // The byte-by-byte check from the start is the reference.
        prop_assert_eq!(is_token(&bytes), is_token_slow(&bytes));
    }

    /// The whole-string test before the fast copy flags a string exactly
    /// when one of its bytes alone is flagged by the dialect's word test
    /// (so never when it holds a byte to escape or a non-ASCII byte), at
    /// every length (the short ones are read as overlapping loads).
    #[test]
    fn any_flagged_is_exact_at_every_length(bytes in proptest::collection::vec(
        prop_oneof![
            8 => proptest::sample::select(&b"azAZ09 .:/-=_"[..]),
            1 => proptest::sample::select(&[0u8, 0x1f, b'\t', b'"', b'\\', 0x7f, 0x80, 0xc2, 0xe2, 0xff][..]),
        ],
        0..20)
    ) {
        fn agree<D: Dialect>(b: &[u8]) -> bool {
            let alone = |x: u8| super::scan::flagged(D::word_flags(u64::from_le_bytes(*b"AAAAAAAA") & !0xff | x as u64));
            let flagged = super::scan::any_flagged(b, D::word_flags);
            flagged == b.iter().any(|&x| alone(x))
                && (flagged || !b.iter().any(|&x| x >= 0x80 || D::is_special(x)))
        }
        prop_assert!(agree::<Bare>(&bytes));
        prop_assert!(agree::<TargetText>(&bytes));
        prop_assert!(agree::<Quoted>(&bytes));
        prop_assert!(agree::<Json>(&bytes));
    }

    /// The short-part test agrees with the whole-string test on the part
    /// alone, whatever the bytes after it in the 16 loaded (bytes to
    /// escape, non-ASCII, nothing at all).
    #[test]
    fn is_plain_part16_ignores_the_bytes_after_the_part(
        part in proptest::collection::vec(
            prop_oneof![
                6 => proptest::sample::select(&b"azAZ09 .:/-=_"[..]),
                1 => proptest::sample::select(&[0u8, 0x1f, b'\t', b'"', b'\\', 0x7f, 0x80, 0xc2, 0xff][..]),
            ],
            1..=16,
        ),
        after in proptest::collection::vec(any::<u8>(), 16),
    ) {
        let mut w = part.clone();
        w.extend_from_slice(&after[..16 - part.len()]);
        let w: [u8; 16] = w.try_into().unwrap();
        fn agree<D: Dialect>(part: &[u8], w: [u8; 16]) -> bool {
            is_plain_part16::<D>(w, part.len()) == is_plain_part::<D>(part)
        }
        prop_assert!(agree::<Bare>(&part, w));
        prop_assert!(agree::<TargetText>(&part, w));
        prop_assert!(agree::<Quoted>(&part, w));
        prop_assert!(agree::<Json>(&part, w));
    }

    /// Valid UTF-8 escapes the same whether it is validated or known valid.
    #[test]
    fn known_utf8_escapes_like_checked(s in nasty()) {
        let s = String::from_utf8_lossy(&s).into_owned().into_bytes();
        fn both<D: Dialect>(s: &[u8]) -> (Vec<u8>, Vec<u8>) {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            push::<D>(&mut a, s);
            push_utf8::<D>(&mut b, s);
            (a, b)
        }
        let (a, b) = both::<Bare>(&s);
        prop_assert_eq!(a, b);
        let (a, b) = both::<TargetText>(&s);
        prop_assert_eq!(a, b);
        let (a, b) = both::<Quoted>(&s);
        prop_assert_eq!(a, b);
        let (a, b) = both::<Json>(&s);
        prop_assert_eq!(a, b);
    }

    /// Input without anything to escape is copied as is.
    #[test]
    fn clean_input_is_copied(s in "[a-zA-Z0-9 .:/éß✓-]{0,40}") {
        prop_assert_eq!(esc::<Bare>(s.as_bytes()), s.clone());
        prop_assert_eq!(esc::<Quoted>(s.as_bytes()), s.clone());
        prop_assert_eq!(esc::<Json>(s.as_bytes()), s);
    }
}

/// Every byte value, at every place in a short part, after clean bytes:
/// the 16-byte test flags exactly what the word test does, per dialect.
#[test]
fn is_plain_part16_knows_every_byte() {
    fn agree<D: Dialect>(part: &[u8]) {
        let mut w = [b'a'; 16];
        w[..part.len()].copy_from_slice(part);
        assert_eq!(
            is_plain_part16::<D>(w, part.len()),
            is_plain_part::<D>(part),
            "{part:?}"
        );
        // The byte just after the part is ignored.
        if part.len() < 16 {
            let b = part[part.len() - 1];
            w[..part.len() - 1].fill(b'a');
            w[part.len() - 1] = b'a';
            w[part.len()] = b;
            assert!(is_plain_part16::<D>(w, part.len()));
        }
    }
    for b in 0..=255u8 {
        for len in 1..=16 {
            let mut part = vec![b'a'; len];
            part[len - 1] = b;
            agree::<Bare>(&part);
            agree::<TargetText>(&part);
            agree::<Quoted>(&part);
            agree::<Json>(&part);
        }
    }
}

/// Every byte value at every position of clean strings of 0 to 40 bytes
/// (each length read differently: overlapping short loads, whole words,
/// an overlapping last word): the word scan calls a part plain exactly
/// when the byte-by-byte test does — every byte ASCII, not below the
/// dialect's `BELOW` and not in its `EXTRA` — and never when a byte needs
/// escaping (a tab in `Bare` is looked at though it stays as it is).
#[test]
fn is_plain_part_agrees_with_a_byte_walk_for_every_byte_at_every_place() {
    fn by_bytes<D: Dialect>(s: &[u8]) -> bool {
        s.iter()
            .all(|&b| b < 0x80 && b >= D::BELOW && !D::EXTRA.contains(&b))
    }
    fn agree<D: Dialect>(s: &[u8]) {
        let plain = is_plain_part::<D>(s);
        assert_eq!(plain, by_bytes::<D>(s), "{s:?}");
        assert!(!plain || !s.iter().any(|&b| b >= 0x80 || D::is_special(b)), "{s:?}");
    }
    let mut s = Vec::with_capacity(40);
    for len in 0..=40 {
        s.clear();
        s.extend((0..len).map(|i| b"azAZ09 .:/-=_"[i % 13]));
        agree::<Bare>(&s);
        agree::<Json>(&s);
        for at in 0..len {
            for b in 0..=255u8 {
                s[at] = b;
                agree::<Bare>(&s);
                agree::<TargetText>(&s);
                agree::<Quoted>(&s);
                agree::<Json>(&s);
            }
            s[at] = b"azAZ09 .:/-=_"[at % 13];
        }
    }
}

/// Two pages, the second unreadable: a string placed to end where the
/// first does is tested and escaped without a read past its last byte
/// (a read there would fault), and exactly as a copy of it elsewhere.
#[test]
fn a_string_that_ends_at_an_unreadable_page_is_read_within_its_bytes() {
    // SAFETY: `sysconf` has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    // SAFETY: an anonymous private mapping of two fresh pages; nothing
    // else refers to them.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            2 * page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED, "{}", std::io::Error::last_os_error());
    let base = map.cast::<u8>();
    // SAFETY: the second page of the mapping made above.
    let r = unsafe { libc::mprotect(base.add(page).cast(), page, libc::PROT_NONE) };
    assert_eq!(r, 0, "{}", std::io::Error::last_os_error());
    fn agree<D: Dialect>(s: &[u8], copy: &[u8]) {
        assert_eq!(is_plain_part::<D>(s), is_plain_part::<D>(copy), "{copy:?}");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        push_utf8_part::<D>(&mut a, s);
        push_utf8_part::<D>(&mut b, copy);
        assert_eq!(a, b, "{copy:?}");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        push::<D>(&mut a, s);
        push::<D>(&mut b, copy);
        assert_eq!(a, b, "{copy:?}");
    }
    let specials: [&[u8]; 6] = [b"\x01", b"\"", b"\\", b"\x7f", "é".as_bytes(), "\u{2028}".as_bytes()];
    for len in 0..=80usize {
        for at in 0..=len {
            for sp in specials {
                let mut copy = vec![b'a'; len];
                if at + sp.len() <= len {
                    copy[at..at + sp.len()].copy_from_slice(sp);
                }
                // SAFETY: the last `len` bytes of the first (readable,
                // writable) page; the copy is a separate allocation.
                let s = unsafe {
                    let start = base.add(page - len);
                    std::ptr::copy_nonoverlapping(copy.as_ptr(), start, len);
                    std::slice::from_raw_parts(start, len)
                };
                agree::<Bare>(s, &copy);
                agree::<TargetText>(s, &copy);
                agree::<Quoted>(s, &copy);
                agree::<Json>(s, &copy);
            }
        }
    }
    // SAFETY: the mapping made above; `s` is no longer used.
    assert_eq!(unsafe { libc::munmap(map, 2 * page) }, 0);
}
