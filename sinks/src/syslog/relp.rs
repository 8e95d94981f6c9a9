//! RELP, the Reliable Event Logging Protocol (rsyslog's `doc/relp.md`):
//! frames, the offers of `open`, and a parser for what the server sends.
//!
//! ```text
//! FRAME   = TXNR SP COMMAND SP DATALEN [SP DATA] LF
//! TXNR    = 1*9DIGIT   ; 1 for `open`, then increasing; 999999999 wraps to 1
//! COMMAND = 1*32ALPHA  ; open, syslog, close from the client; rsp, and the
//!                      ; hint serverclose (TXNR 0), from the server
//! DATALEN = 1*9DIGIT   ; bytes of DATA; no SP and no DATA when 0
//! RSP DATA = 3DIGIT [SP text] [LF data]   ; 200 is success, anything else failure
//! ```
//!
//! The parser takes whatever the socket gave, in any pieces, and never
//! panics or buffers without bound on hostile input: every field is checked
//! as it arrives, DATA is limited to [`MAX_RSP_DATA`] bytes, and any
//! violation is an error (after which the client drops the connection and
//! resends what was not acknowledged, as the specification asks).

use std::fmt;

/// Largest TXNR before it wraps to 1.
pub(crate) const MAX_TXNR: u32 = 999_999_999;
/// Largest DATA accepted from the server (responses are short; librelp's
/// limit for a whole frame is 128 KiB).
pub(crate) const MAX_RSP_DATA: usize = 128 * 1024;
/// Longest header: 9 digits, SP, 32 letters, SP, 9 digits.
const MAX_HEADER: usize = 9 + 1 + 32 + 1 + 9;

/// The offers of our `open`: protocol version 0 (what librelp speaks) and
/// the `syslog` command.
pub(crate) const OPEN_OFFERS: &[u8] = b"relp_version=0\nrelp_software=uringlog\ncommands=syslog";

/// The next TXNR after `t`.
pub(crate) fn next_txnr(t: u32) -> u32 {
    if t >= MAX_TXNR {
        1
    } else {
        t + 1
    }
}

/// How many TXNRs after `from` comes `to`, counting the wrap from
/// [`MAX_TXNR`] to 1.
pub(crate) fn txnr_distance(from: u32, to: u32) -> u32 {
    if to >= from {
        to - from
    } else {
        to + MAX_TXNR - from
    }
}

/// Appends one command frame.
pub(crate) fn push_command(out: &mut Vec<u8>, txnr: u32, command: &[u8], data: &[u8]) {
    use std::io::Write;
    let _ = write!(out, "{txnr} ");
    out.extend_from_slice(command);
    let _ = write!(out, " {}", data.len());
    if !data.is_empty() {
        out.push(b' ');
        out.extend_from_slice(data);
    }
    out.push(b'\n');
}

/// A frame the server sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ServerFrame {
    /// The answer to command `txnr`: `code` 200 is success.
    Rsp {
        txnr: u32,
        code: u16,
        /// The human-readable text after the code.
        text: String,
        /// What follows the first LF (the offers, for `open`).
        data: Vec<u8>,
    },
    /// The server is closing the session (hint, TXNR 0).
    ServerClose,
}

/// Why the server's bytes are not valid RELP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProtocolError(pub String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RELP protocol error: {}", self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError(msg.into()))
}

/// Collects the server's bytes and cuts them into frames.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    buf: Vec<u8>,
}

impl Parser {
    /// Adds bytes read from the socket.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Forgets everything (a new connection).
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
    }

    /// The next complete frame, `None` until one has arrived, or an error.
    pub(crate) fn next_frame(&mut self) -> Result<Option<ServerFrame>, ProtocolError> {
        let Some((txnr, cmd, len, data_at)) = self.header()? else {
            return Ok(None);
        };
        let end = data_at + len;
        if self.buf.len() <= end {
            return Ok(None);
        }
        if self.buf[end] != b'\n' {
            return err(format!(
                "frame {txnr} does not end with LF after {len} bytes"
            ));
        }
        let data = self.buf[data_at..end].to_vec();
        let cmd = cmd.to_owned();
        self.buf.drain(..=end);
        frame(txnr, &cmd, data).map(Some)
    }

    /// TXNR, command, DATALEN and where DATA starts, once the header is in.
    fn header(&self) -> Result<Option<(u32, String, usize, usize)>, ProtocolError> {
        let b = &self.buf;
        let mut fields = [0usize; 3];
        let mut at = 0;
        for (i, field) in fields.iter_mut().enumerate() {
            let start = at;
            while at < b.len() && at - start <= 32 && b[at] != b' ' && b[at] != b'\n' {
                at += 1;
            }
            if at == b.len() {
                return match b.len() > MAX_HEADER {
                    true => err("header too long"),
                    false => Ok(None),
                };
            }
            *field = at;
            let sep = b[at];
            if at == start {
                return err(format!("empty header field {i}"));
            }
            if i == 0 {
                number(&b[..at], "TXNR")?;
            }
            match (i, sep) {
                (0 | 1, b' ') | (2, _) => {}
                _ => return err("header ends early"),
            }
            at += 1;
        }
        let txnr = number(&b[..fields[0]], "TXNR")?;
        let cmd = &b[fields[0] + 1..fields[1]];
        if cmd.len() > 32 || !cmd.iter().all(u8::is_ascii_alphabetic) {
            return err(format!("bad command {:?}", String::from_utf8_lossy(cmd)));
        }
        let len = number(&b[fields[1] + 1..fields[2]], "DATALEN")? as usize;
        let sep = b[fields[2]];
        let data_at = match (len, sep) {
            (0, b'\n') => fields[2],
            (0, _) => return err("DATALEN 0 followed by data"),
            (_, b' ') => fields[2] + 1,
            _ => return err("DATALEN not followed by SP"),
        };
        if len > MAX_RSP_DATA {
            return err(format!("frame of {len} bytes (limit {MAX_RSP_DATA})"));
        }
        let cmd = String::from_utf8_lossy(cmd).into_owned();
        Ok(Some((txnr, cmd, len, data_at)))
    }
}

/// A decimal field of one to nine digits.
fn number(b: &[u8], what: &str) -> Result<u32, ProtocolError> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return err(format!("bad {what} {:?}", String::from_utf8_lossy(b)));
    }
    Ok(b.iter().fold(0u32, |n, d| n * 10 + (d - b'0') as u32))
}

/// Interprets a complete frame.
fn frame(txnr: u32, cmd: &str, data: Vec<u8>) -> Result<ServerFrame, ProtocolError> {
    match cmd {
        "serverclose" if txnr == 0 => Ok(ServerFrame::ServerClose),
        "rsp" if txnr > 0 => {
            let (code, text, data) = rsp_data(&data)?;
            Ok(ServerFrame::Rsp {
                txnr,
                code,
                text,
                data,
            })
        }
        _ => err(format!("unexpected command {cmd:?} with TXNR {txnr}")),
    }
}

/// Splits a response's DATA into code, text and the data after the first LF.
fn rsp_data(d: &[u8]) -> Result<(u16, String, Vec<u8>), ProtocolError> {
    if d.len() < 3 || !d[..3].iter().all(u8::is_ascii_digit) {
        return err(format!(
            "response without a status code: {:?}",
            String::from_utf8_lossy(&d[..d.len().min(40)])
        ));
    }
    let code = d[..3].iter().fold(0u16, |n, c| n * 10 + (c - b'0') as u16);
    let rest = &d[3..];
    let (line, data) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let text = match line {
        [] => "",
        [b' ', t @ ..] => std::str::from_utf8(t).unwrap_or("(not UTF-8)"),
        _ => return err("status code not followed by SP or LF"),
    };
    let text: String = text.chars().take(80).collect();
    Ok((code, text, data.to_vec()))
}

/// Checks the server's answer to `open`: it must offer `relp_version` and
/// the `syslog` command.
pub(crate) fn check_open_offers(data: &[u8]) -> Result<(), ProtocolError> {
    let text = String::from_utf8_lossy(data);
    let mut version = false;
    let mut syslog = false;
    for line in text.split('\n') {
        let (name, value) = line.split_once('=').unwrap_or((line, ""));
        match name {
            "relp_version" => version = !value.is_empty(),
            "commands" => syslog = value.split(',').any(|c| c == "syslog"),
            _ => {}
        }
    }
    match (version, syslog) {
        (true, true) => Ok(()),
        (false, _) => err("the server's open response has no relp_version offer"),
        (true, false) => err("the server does not offer the syslog command"),
    }
}

#[cfg(test)]
mod tests;
