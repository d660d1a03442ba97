//! The end of what the command printed, in a fixed amount of memory.
//!
//! We read the command's output as fast as it comes (a full pipe would block
//! it) but keep only the last [`KEEP`] bytes: the line we print shows the last
//! non-empty line, and a command that prints forever must not grow us.

/// How many bytes of output we keep: far more than the line shows.
pub const KEEP: usize = 4096;

/// How many characters of the command's last line the report shows.
pub const SHOWN_LINE_CHARS: usize = 300;

/// The last [`KEEP`] bytes of a stream.
#[derive(Debug)]
pub struct Tail {
    bytes: Vec<u8>,
    /// Whether bytes were dropped from the front.
    cut: bool,
}

impl Default for Tail {
    fn default() -> Tail {
        Tail::new()
    }
}

impl Tail {
    /// An empty tail; its buffer is allocated once, here.
    #[must_use]
    pub fn new() -> Tail {
        Tail {
            bytes: Vec::with_capacity(2 * KEEP),
            cut: false,
        }
    }

    /// Appends `chunk`, dropping the oldest bytes beyond [`KEEP`].
    pub fn push(&mut self, chunk: &[u8]) {
        let chunk = if chunk.len() > KEEP {
            self.bytes.clear();
            self.cut = true;
            &chunk[chunk.len() - KEEP..]
        } else {
            chunk
        };
        let excess = (self.bytes.len() + chunk.len()).saturating_sub(KEEP);
        if excess > 0 {
            self.bytes.drain(..excess);
            self.cut = true;
        }
        self.bytes.extend_from_slice(chunk);
    }

    /// The last line with something visible on it, with `secrets` as `***`,
    /// sanitised and cut for the report; `…` in front when its start was dropped.
    #[must_use]
    pub fn last_line(&self, secrets: &[String]) -> Option<String> {
        let text = String::from_utf8_lossy(&self.bytes);
        let clean = |line: &str| {
            shared::report::sanitize(&crate::shown::redact(line, secrets), SHOWN_LINE_CHARS)
        };
        let (start, line) = text
            .rsplit(['\n', '\r'])
            .map(|line| (line.as_ptr(), clean(line)))
            .find(|(_, line)| !line.is_empty())?;
        let is_first = start == text.as_ptr();
        Some(if is_first && self.cut {
            format!("…{line}")
        } else {
            line
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(chunks: &[&[u8]]) -> Tail {
        let mut tail = Tail::new();
        for chunk in chunks {
            tail.push(chunk);
        }
        tail
    }

    #[test]
    fn the_last_non_empty_line_is_shown() {
        let t = tail(&[b"first\nsecond", b" half\n\n  \r\n"]);
        assert_eq!(t.last_line(&[]).as_deref(), Some("second half"));
        assert_eq!(
            tail(&[b"one line"]).last_line(&[]).as_deref(),
            Some("one line")
        );
        assert_eq!(tail(&[b"\n \n\t\n"]).last_line(&[]), None);
        assert_eq!(tail(&[]).last_line(&[]), None);
    }

    #[test]
    fn secrets_are_hidden() {
        let t = tail(&[b"connecting with s3cret\n"]);
        assert_eq!(
            t.last_line(&["s3cret".to_owned()]).as_deref(),
            Some("connecting with ***")
        );
    }

    #[test]
    fn control_characters_and_bad_utf8_are_cleaned() {
        let t = tail(&[b"ok\nerr\x1b[31m red\xff\x00 end\n"]);
        assert_eq!(
            t.last_line(&[]).as_deref(),
            Some("err [31m red\u{FFFD} end")
        );
        let t = tail(&[b"progress 10%\rprogress 100%\r"]);
        assert_eq!(t.last_line(&[]).as_deref(), Some("progress 100%"));
    }

    #[test]
    fn memory_stays_bounded_and_a_cut_line_says_so() {
        let mut t = Tail::new();
        let capacity = t.bytes.capacity();
        for _ in 0..10_000 {
            t.push(&[b'x'; 1000]);
        }
        t.push(b"\nlast words");
        assert_eq!(t.bytes.len(), KEEP);
        assert_eq!(t.bytes.capacity(), capacity);
        assert_eq!(t.last_line(&[]).as_deref(), Some("last words"));
        let mut t = Tail::new();
        t.push(&vec![b'y'; 3 * KEEP]);
        let line = t.last_line(&[]).expect("a line");
        assert!(line.starts_with("…y"), "{line}");
        assert!(line.ends_with('…'), "{line}");
        assert_eq!(line.chars().count(), 1 + SHOWN_LINE_CHARS);
    }
}
