//! `--expect-content`'s streaming search against the plain definition, with
//! the body cut into pieces of any size.
#![no_main]

use std::io::Read;

use check_url_available::parsers::{Found, find};
use libfuzzer_sys::fuzz_target;

struct Pieces<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let Some((&step, rest)) = rest.split_first() else { return };
    let at = usize::from(split).min(rest.len());
    let (needle, body) = rest.split_at(at);
    if needle.is_empty() {
        return;
    }
    let body_reader = Pieces { data: body, step: usize::from(step) + 1 };
    let found = find(body_reader, needle, 1 << 20).expect("reading a slice cannot fail");
    let expected = body.windows(needle.len()).any(|w| w == needle);
    assert_eq!(found == Found::Yes, expected, "{needle:?} in {body:?}");
});
