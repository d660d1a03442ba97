//! `--expect-content`: look for the text in the body as it streams in, stop as
//! soon as it is found, and never read more than a cap.

use std::io::{self, Read};

/// The most body bytes `--expect-content` reads.
pub const CAP: u64 = 10 * 1024 * 1024;

/// Bytes read at a time.
const CHUNK: usize = 16 * 1024;

/// What the search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The text is in the body.
    Yes,
    /// The whole body (this many bytes) was read without the text.
    No(u64),
    /// The first `cap` bytes hold no match and there is more.
    Capped,
}

/// Reads `body` until `needle` (not empty) shows up, the body ends, or `cap`
/// bytes were read. Memory: one chunk plus the needle.
///
/// # Errors
/// What reading the body ran into.
pub fn find(mut body: impl Read, needle: &[u8], cap: u64) -> io::Result<Found> {
    let overlap = needle.len().saturating_sub(1);
    let mut window: Vec<u8> = Vec::with_capacity(overlap + CHUNK);
    let mut total: u64 = 0;
    loop {
        let room = usize::try_from(cap - total).map_or(CHUNK, |left| left.min(CHUNK));
        // At the cap, one more byte tells a body of exactly `cap` from a longer one.
        let wanted = room.max(1);
        let kept = window.len();
        window.resize(kept + wanted, 0);
        let read = match body.read(&mut window[kept..]) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                window.truncate(kept);
                continue;
            }
            Err(e) => return Err(e),
        };
        window.truncate(kept + read);
        if read == 0 {
            return Ok(Found::No(total));
        }
        if room == 0 {
            return Ok(Found::Capped);
        }
        total += read as u64;
        if window.windows(needle.len()).any(|w| w == needle) {
            return Ok(Found::Yes);
        }
        window.drain(..window.len().saturating_sub(overlap));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes a call.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn finds_text_across_chunk_boundaries() {
        let mut body = vec![b'.'; 3 * CHUNK];
        body[CHUNK - 2..CHUNK + 3].copy_from_slice(b"HELLO");
        for step in [1, 7, CHUNK, 3 * CHUNK] {
            let reader = Trickle { data: &body, step };
            assert_eq!(find(reader, b"HELLO", CAP).unwrap(), Found::Yes, "{step}");
        }
        let reader = Trickle {
            data: &body,
            step: 5,
        };
        assert_eq!(
            find(reader, b"HELLO!", CAP).unwrap(),
            Found::No(3 * CHUNK as u64)
        );
    }

    #[test]
    fn stops_at_the_cap_and_tells_an_exact_fit() {
        let body = [b'a'; 100];
        assert_eq!(find(&body[..], b"b", 100).unwrap(), Found::No(100));
        assert_eq!(find(&body[..], b"b", 99).unwrap(), Found::Capped);
        assert_eq!(find(&body[..], b"a", 1).unwrap(), Found::Yes);
        let mut late = [b'a'; 100];
        late[99] = b'b';
        assert_eq!(find(&late[..], b"b", 99).unwrap(), Found::Capped);
    }

    #[test]
    fn reading_stops_once_found() {
        let mut body = b"xx needle".to_vec();
        body.extend(vec![b'z'; 10 * CHUNK]);
        let mut reader = Trickle {
            data: &body,
            step: 4,
        };
        assert_eq!(find(&mut reader, b"needle", CAP).unwrap(), Found::Yes);
        assert_eq!(reader.data.len(), body.len() - 12);
    }
}
