//! The one line a promise prints.
//!
//! slapgrid merges stdout and stderr, decodes them strictly as UTF-8 and parses
//! anything shaped like its own log records, so a promise prints exactly one
//! line: valid UTF-8, no control characters, bounded in length, starting with the
//! status word (which also means it can never look like a log record). The line
//! goes to stdout whatever the status: Nagios Core and Naemon read only stdout
//! (a line on stderr shows as `(No output on stdout) stderr: ...`), and slapgrid,
//! Docker, Kubernetes and Icinga 2 merge both streams. Nothing goes to stderr.
//!
//! The deadline's timer may fire while the check is printing its own line; an
//! atomic flag makes sure only the first of them prints.

use std::borrow::Cow;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::status::Status;

/// The longest message we print, in characters (slapgrid keeps 5000).
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// Whether someone has taken the right to print the one line.
static CLAIMED: AtomicBool = AtomicBool::new(false);

/// A successful verdict: OK, or WARNING for an opt-in soft threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `Ok` or `Warning`.
    pub status: Status,
    /// What was checked and what was found, without the status word.
    pub message: String,
    /// Nagios performance data (`time=0.000120s;;;0`), printed with `--perfdata`.
    pub perfdata: String,
}

impl Report {
    /// The service works.
    pub fn ok(message: impl Into<String>) -> Report {
        Report {
            status: Status::Ok,
            message: message.into(),
            perfdata: String::new(),
        }
    }

    /// The service works but crossed a soft threshold.
    pub fn warning(message: impl Into<String>) -> Report {
        Report {
            status: Status::Warning,
            message: message.into(),
            perfdata: String::new(),
        }
    }

    /// Adds one performance value, `label=value` in Nagios' syntax
    /// (`value[UOM];[warn];[crit];[min];[max]`).
    #[must_use]
    pub fn with_perf(mut self, label: &str, value: &str) -> Report {
        if !self.perfdata.is_empty() {
            self.perfdata.push(' ');
        }
        self.perfdata.push_str(label);
        self.perfdata.push('=');
        self.perfdata.push_str(value);
        self
    }

    /// Prints the line (unless `quiet` and OK), with the performance data after
    /// a `|` when `perfdata` is asked for, and returns the exit code.
    pub fn emit(&self, quiet: bool, perfdata: bool) -> ExitCode {
        let silent = quiet && self.status == Status::Ok;
        if perfdata && !self.perfdata.is_empty() {
            // Nagios reads everything after the first `|` as performance data.
            let message = self.message.replace('|', "/");
            emit(
                self.status,
                &format!("{message} | {}", self.perfdata),
                silent,
            )
        } else {
            emit(self.status, &self.message, silent)
        }
    }
}

/// Seconds as Nagios performance data wants them (`0.000123`; the caller adds
/// the `s` unit to the value, never to thresholds), without float formatting.
#[must_use]
pub fn perf_seconds(duration: std::time::Duration) -> String {
    format!("{}.{:06}", duration.as_secs(), duration.subsec_micros())
}

/// Prints `STATUS: message` once, on stdout whatever the status.
pub fn emit(status: Status, message: &str, silent: bool) -> ExitCode {
    if claim_line() && !silent {
        let line = format_line(status, message);
        // A closed pipe must not turn a verdict into a panic: the exit code still counts.
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
    status.into()
}

/// Takes the right to print the one line; false if it was taken already.
/// Async-signal-safe (one atomic swap), for the deadline's handler.
pub fn claim_line() -> bool {
    !CLAIMED.swap(true, Ordering::AcqRel)
}

/// The complete line: `STATUS: sanitised message` and a newline.
#[must_use]
pub fn format_line(status: Status, message: &str) -> String {
    let message = if is_clean(message.as_bytes(), MAX_MESSAGE_CHARS) {
        Cow::Borrowed(message)
    } else {
        Cow::Owned(fold(message, MAX_MESSAGE_CHARS))
    };
    let label = status.label();
    // Built by hand: `format!` costs about 3,000 instructions a line in
    // core::fmt and reallocations, on every run (the timer's line included).
    let mut line = String::with_capacity(label.len() + 2 + message.len() + 1);
    line.push_str(label);
    line.push_str(": ");
    line.push_str(&message);
    line.push('\n');
    line
}

/// Prints `--help` or `--version` text on stdout and exits 0.
pub fn info(text: &str) -> ExitCode {
    let _ = writeln!(std::io::stdout().lock(), "{}", text.trim_end());
    ExitCode::SUCCESS
}

/// Makes text safe for the report line: control and invisible formatting
/// characters become spaces, runs of white space fold into one, and the result
/// is cut to `max_chars` characters (ending in `…` when cut).
#[must_use]
pub fn sanitize(text: &str, max_chars: usize) -> String {
    if is_clean(text.as_bytes(), max_chars) {
        return text.to_owned();
    }
    fold(text, max_chars)
}

/// [`sanitize`] char by char.
pub(crate) fn fold(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || is_unsafe(c) {
            pending_space = count > 0;
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if count + needed > max_chars {
            truncate_with_ellipsis(&mut out, max_chars);
            return out;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        count += needed;
    }
    out
}

/// Whether [`sanitize`] would return `text` unchanged, decided on bytes: the
/// lines we build ourselves are printable ASCII with single spaces, and the
/// char-by-char path costs every run thousands of instructions per line.
fn is_clean(text: &[u8], max_chars: usize) -> bool {
    if text.len() > max_chars {
        return false;
    }
    // Starting as if after a space rejects a leading space like a double one.
    let mut previous = b' ';
    for &b in text {
        if !(b' '..=b'~').contains(&b) || (b == b' ' && previous == b' ') {
            return false;
        }
        previous = b;
    }
    previous != b' ' || text.is_empty()
}

/// [`sanitize`] for bytes a peer sent: invalid UTF-8 becomes U+FFFD first.
#[must_use]
pub fn sanitize_bytes(bytes: &[u8], max_chars: usize) -> String {
    sanitize(&String::from_utf8_lossy(bytes), max_chars)
}

/// An OS error as a message fragment: `permission denied`, `name or service not
/// known`, without the `(os error N)` tail or the lookup prefix std adds.
#[must_use]
pub fn describe_io(error: &std::io::Error) -> String {
    let full = error.to_string();
    let text = full.split(" (os error").next().unwrap_or(&full);
    let text = text
        .strip_prefix("failed to lookup address information: ")
        .unwrap_or(text);
    let mut text = text.to_owned();
    // ASCII only: Unicode case tables would cost the static binaries kilobytes.
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    text
}

/// Control characters, and the invisible ones that reorder or hide text.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn truncate_with_ellipsis(out: &mut String, max_chars: usize) {
    let keep = max_chars.saturating_sub(1);
    if let Some((index, _)) = out.char_indices().nth(keep) {
        out.truncate(index);
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_single_spaces() {
        assert_eq!(sanitize("a\r\n\tb\x1b[31mc\u{7f}d", 100), "a b [31mc d");
        assert_eq!(sanitize("\n  lead and trail \n", 100), "lead and trail");
    }

    #[test]
    fn bidi_and_line_separators_are_removed() {
        assert_eq!(sanitize("x\u{202E}y\u{2028}z\u{FEFF}", 100), "x y z");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_on_a_char_boundary() {
        let cut = sanitize(&"é".repeat(50), 10);
        assert_eq!(cut.chars().count(), 10);
        assert!(cut.ends_with('…'));
        assert_eq!(sanitize("abcdef", 6), "abcdef");
        assert_eq!(sanitize("abc defg", 6), "abc d…");
    }

    #[test]
    fn perfdata_is_seconds_with_six_decimals() {
        assert_eq!(
            perf_seconds(std::time::Duration::from_micros(1_000_123)),
            "1.000123"
        );
        let report = Report::ok("a|b")
            .with_perf("time", "0.1s;;;0")
            .with_perf("size", "5B");
        assert_eq!(report.perfdata, "time=0.1s;;;0 size=5B");
    }

    #[test]
    fn io_errors_lose_their_code_and_capital() {
        let error = std::io::Error::from_raw_os_error(13);
        assert_eq!(describe_io(&error), "permission denied");
        let error = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        assert_eq!(describe_io(&error), "name or service not known");
    }

    #[test]
    fn clean_text_takes_the_byte_path_with_the_same_result() {
        for (text, max) in [
            (
                "127.0.0.1:80 is listening (0.1 ms) | time=0.000100s;;;0;10",
                100,
            ),
            ("", 5),
            ("abcdef", 6),
        ] {
            assert!(is_clean(text.as_bytes(), max), "{text:?}");
            assert_eq!(sanitize(text, max), fold(text, max));
        }
        for (text, max) in [
            (" lead", 100),
            ("trail ", 100),
            ("two  spaces", 100),
            ("tab\there", 100),
            ("del\u{7f}", 100),
            ("caf\u{e9}", 100),
            ("abcdefg", 6),
        ] {
            assert!(!is_clean(text.as_bytes(), max), "{text:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(sanitize_bytes(b"ok\xff\xfe!", 100), "ok\u{FFFD}\u{FFFD}!");
    }
}
