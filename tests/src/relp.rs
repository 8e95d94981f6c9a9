//! A throwaway RELP server's side of the protocol, for tests that play a
//! receiver: reading the client's frames and answering them.

use std::io::{Read, Write};
use std::net::TcpStream;

/// One frame from the client: TXNR, command, data; `None` at the end
/// of the stream (or an error).
pub fn read_frame(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(u32, String, Vec<u8>)> {
    loop {
        if let Some(f) = parse(buf) {
            return Some(f);
        }
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Cuts one whole frame off the front of `buf`, if it holds one.
fn parse(buf: &mut Vec<u8>) -> Option<(u32, String, Vec<u8>)> {
    let text = buf.iter().take(64).map(|&b| b as char).collect::<String>();
    let mut it = text.splitn(3, ' ');
    let txnr: u32 = it.next()?.parse().ok()?;
    let cmd = it.next()?.to_owned();
    let rest = it.next()?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let len: usize = digits.parse().ok()?;
    let head = txnr.to_string().len() + 1 + cmd.len() + 1 + digits.len();
    let data_at = if len == 0 { head } else { head + 1 };
    if buf.len() < data_at + len + 1 {
        return None;
    }
    let data = buf[data_at..data_at + len].to_vec();
    buf.drain(..data_at + len + 1);
    Some((txnr, cmd, data))
}

/// Answers command `txnr` with `body` (a status code and text).
pub fn rsp(s: &mut TcpStream, txnr: u32, body: &str) {
    let _ = s.write_all(format!("{txnr} rsp {} {body}\n", body.len()).as_bytes());
}
