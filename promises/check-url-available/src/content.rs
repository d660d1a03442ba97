//! `--expect-content`: look for the text in the body as it streams in, stop as
//! soon as it is found, and never read more than a cap.
//!
//! The search is Knuth-Morris-Pratt, byte by byte across chunks: linear in the
//! body whatever the server sends. Comparing the text at every offset costs
//! the length of the text per byte against a body made to almost match it
//! (`aaaa…` for `aaa…ab`), which a hostile server can send for 10 MiB.

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
/// bytes were read. Memory: one chunk and a table as long as the needle.
///
/// # Errors
/// What reading the body ran into.
pub fn find(mut body: impl Read, needle: &[u8], cap: u64) -> io::Result<Found> {
    let Some(mut search) = Search::new(needle) else {
        return Ok(Found::Yes);
    };
    let mut chunk = vec![0u8; CHUNK];
    let mut total: u64 = 0;
    loop {
        let room = usize::try_from(cap - total).map_or(CHUNK, |left| left.min(CHUNK));
        // At the cap, one more byte tells a body of exactly `cap` from a longer one.
        let wanted = room.max(1);
        let read = match body.read(&mut chunk[..wanted]) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if read == 0 {
            return Ok(Found::No(total));
        }
        if room == 0 {
            return Ok(Found::Capped);
        }
        total += read as u64;
        if search.feed(&chunk[..read]) {
            return Ok(Found::Yes);
        }
    }
}

/// A Knuth-Morris-Pratt search that can be fed a stream piece by piece.
struct Search<'a> {
    needle: &'a [u8],
    /// For each prefix length `i + 1`, the length of its longest proper
    /// prefix that is also its suffix.
    fallback: Vec<usize>,
    /// How much of the needle the bytes fed so far end with.
    matched: usize,
}

impl<'a> Search<'a> {
    /// `None` for an empty needle, which every body contains.
    fn new(needle: &'a [u8]) -> Option<Search<'a>> {
        if needle.is_empty() {
            return None;
        }
        let mut fallback = vec![0; needle.len()];
        let mut length = 0;
        for i in 1..needle.len() {
            while length > 0 && needle[i] != needle[length] {
                length = fallback[length - 1];
            }
            if needle[i] == needle[length] {
                length += 1;
            }
            fallback[i] = length;
        }
        Some(Search {
            needle,
            fallback,
            matched: 0,
        })
    }

    /// Whether the needle ends within `bytes` (given what came before).
    fn feed(&mut self, bytes: &[u8]) -> bool {
        for &byte in bytes {
            while self.matched > 0 && self.needle[self.matched] != byte {
                self.matched = self.fallback[self.matched - 1];
            }
            if self.needle[self.matched] == byte {
                self.matched += 1;
                if self.matched == self.needle.len() {
                    return true;
                }
            }
        }
        false
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

    /// The plain definition, to check the search against.
    fn naive(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    proptest::proptest! {
        #[test]
        fn the_search_agrees_with_the_definition(
            haystack in proptest::collection::vec(0u8..3, 0..200),
            needle in proptest::collection::vec(0u8..3, 1..8),
            step in 1usize..20,
        ) {
            let reader = Trickle { data: &haystack, step };
            let found = find(reader, &needle, CAP).unwrap() == Found::Yes;
            proptest::prop_assert_eq!(found, naive(&haystack, &needle));
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
    fn a_body_made_to_almost_match_is_searched_in_linear_time() {
        let mut needle = vec![b'a'; 4095];
        needle.push(b'b');
        let body = vec![b'a'; 4 * 1024 * 1024];
        let started = std::time::Instant::now();
        assert_eq!(
            find(&body[..], &needle, CAP).unwrap(),
            Found::No(body.len() as u64)
        );
        // Comparing at every offset would be 16 G byte comparisons.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let mut late = body.clone();
        late.extend_from_slice(&needle);
        let reader = Trickle {
            data: &late,
            step: 1000,
        };
        assert_eq!(find(reader, &needle, CAP).unwrap(), Found::Yes);
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
