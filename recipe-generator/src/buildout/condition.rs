//! `[name:condition]` headers: what the condition is worth on a SlapOS
//! partition, or that it cannot be known here.
//!
//! zc.buildout evaluates the condition with Python's `eval` against
//! `sys`, `os`, `platform` and names it precomputes (`linux`, `python3`,
//! `python311`, `bits64`...). What a partition is does not change: Linux, a
//! POSIX system, buildout running on CPython 3, and zc.buildout 6 requires
//! Python 3.10 or later. What does change (the exact minor version, the
//! machine, files on disk) is unknown unless every CPython 3.10+ gives the
//! same answer: `sys.version_info < (3,10)` is false everywhere, while
//! `sys.version_info < (3,11)` or `python311` is unknown. `and`, `or`, `not`
//! follow three-valued logic (`python311 or linux` holds); anything outside
//! this small grammar, or a name buildout itself would not know, is unknown
//! as a whole.

/// The lowest minor version of Python 3 that zc.buildout 6 runs on
/// (`Requires-Python: >=3.10`).
const MIN_MINOR: i64 = 10;

/// What `text` is worth: `Some` when known on every partition.
pub(super) fn evaluate(text: &str) -> Option<bool> {
    let tokens = tokens(text)?;
    let mut parser = Parser { tokens, at: 0 };
    let value = parser.or()?;
    (parser.at == parser.tokens.len())
        .then_some(value)
        .flatten()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Str(String),
    Int(i64),
    Op(&'static str),
}

fn tokens(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '\'' || c == '"' {
            chars.next();
            let end = text[i + 1..].find(c)? + i + 1;
            let inner = &text[i + 1..end];
            if inner.contains('\\') {
                return None;
            }
            out.push(Token::Str(inner.to_owned()));
            while chars.peek().is_some_and(|&(j, _)| j <= end) {
                chars.next();
            }
        } else if c.is_ascii_digit() {
            let end = text[i..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(text.len(), |n| n + i);
            out.push(Token::Int(text[i..end].parse().ok()?));
            while chars.peek().is_some_and(|&(j, _)| j < end) {
                chars.next();
            }
        } else if c.is_alphabetic() || c == '_' {
            let end = text[i..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .map_or(text.len(), |n| n + i);
            out.push(Token::Name(text[i..end].to_owned()));
            while chars.peek().is_some_and(|&(j, _)| j < end) {
                chars.next();
            }
        } else {
            let op = ["==", "!=", "<=", ">=", "<", ">", "(", ")", ","]
                .into_iter()
                .find(|op| text[i..].starts_with(op))?;
            out.push(Token::Op(op));
            for _ in 0..op.len() {
                chars.next();
            }
        }
    }
    Some(out)
}

/// A value of the grammar: a truth value (`None`: unknown here), a string,
/// `sys.version_info`, or a tuple of integers.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Bool(Option<bool>),
    Str(String),
    Version,
    Tuple(Vec<i64>),
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

/// Parsing returns `None` for what is outside the grammar; a known value
/// may still be an unknown truth value.
impl Parser {
    fn next_is(&self, token: &Token) -> bool {
        self.tokens.get(self.at) == Some(token)
    }

    fn eat(&mut self, token: &Token) -> bool {
        let found = self.next_is(token);
        self.at += usize::from(found);
        found
    }

    fn or(&mut self) -> Option<Option<bool>> {
        self.chain("or", true, Parser::and)
    }

    fn and(&mut self) -> Option<Option<bool>> {
        self.chain("and", false, Parser::not)
    }

    /// Operands of `next` joined by `word`, in three-valued logic: one
    /// operand worth `absorbing` decides (`true` for `or`, `false` for `and`),
    /// else an unknown one leaves the whole unknown.
    fn chain(
        &mut self,
        word: &str,
        absorbing: bool,
        next: fn(&mut Parser) -> Option<Option<bool>>,
    ) -> Option<Option<bool>> {
        let mut value = next(self)?;
        while self.eat(&Token::Name(word.into())) {
            let right = next(self)?;
            value = match (value, right) {
                (Some(v), _) | (_, Some(v)) if v == absorbing => Some(absorbing),
                (Some(_), Some(_)) => Some(!absorbing),
                _ => None,
            };
        }
        Some(value)
    }

    fn not(&mut self) -> Option<Option<bool>> {
        if self.eat(&Token::Name("not".into())) {
            return Some(self.not()?.map(|v| !v));
        }
        let left = self.operand()?;
        let op = match self.tokens.get(self.at) {
            Some(Token::Op(op @ ("==" | "!=" | "<" | "<=" | ">" | ">="))) => *op,
            Some(Token::Name(name)) if name == "in" => "in",
            _ => {
                return match left {
                    Value::Bool(value) => Some(value),
                    _ => None,
                };
            }
        };
        self.at += 1;
        let right = self.operand()?;
        compare(&left, op, &right)
    }

    fn operand(&mut self) -> Option<Value> {
        let token = self.tokens.get(self.at)?.clone();
        self.at += 1;
        match token {
            Token::Op("(") => {
                if let Some(Token::Int(_)) = self.tokens.get(self.at) {
                    return self.tuple();
                }
                let value = self.or()?;
                self.eat(&Token::Op(")")).then_some(Value::Bool(value))
            }
            Token::Str(text) => Some(Value::Str(text)),
            Token::Name(name) => name_value(&name),
            _ => None,
        }
    }

    /// The rest of `(3, 10)` after its `(`.
    fn tuple(&mut self) -> Option<Value> {
        let mut items = Vec::new();
        loop {
            match self.tokens.get(self.at) {
                Some(Token::Int(n)) => items.push(*n),
                _ => return None,
            }
            self.at += 1;
            if self.eat(&Token::Op(")")) {
                return Some(Value::Tuple(items));
            }
            if !self.eat(&Token::Op(",")) {
                return None;
            }
            if self.eat(&Token::Op(")")) {
                return Some(Value::Tuple(items));
            }
        }
    }
}

/// What a name is on a partition, as buildout's `_default_globals` define it.
fn name_value(name: &str) -> Option<Value> {
    let known = |v: bool| Some(Value::Bool(Some(v)));
    match name {
        "True" => known(true),
        "False" => known(false),
        "linux" | "posix" | "python3" | "cpython" => known(true),
        "windows" | "cygwin" | "solaris" | "macosx" | "python2" | "pypy" | "jython"
        | "ironpython" => known(false),
        "bits64" => known(cfg!(target_pointer_width = "64")),
        "bits32" => known(cfg!(target_pointer_width = "32")),
        "little_endian" => known(cfg!(target_endian = "little")),
        "big_endian" => known(cfg!(target_endian = "big")),
        "os.name" => Some(Value::Str("posix".into())),
        "sys.platform" => Some(Value::Str("linux".into())),
        "sys.version_info" => Some(Value::Version),
        _ => {
            // python24 ... python319, as buildout lists them: a 3.x name
            // below 3.10 is false, one from 3.10 on depends on the Python.
            let digits = name.strip_prefix("python")?;
            let known_names = [
                "24", "25", "26", "27", "30", "31", "32", "33", "34", "35", "36", "37", "38", "39",
                "310", "311", "312", "313", "314", "315", "316", "317", "318", "319",
            ];
            if !known_names.contains(&digits) {
                return None;
            }
            let minor: i64 = digits[1..].parse().ok()?;
            if digits.starts_with('2') || minor < MIN_MINOR {
                known(false)
            } else {
                Some(Value::Bool(None))
            }
        }
    }
}

fn compare(left: &Value, op: &str, right: &Value) -> Option<Option<bool>> {
    use std::cmp::Ordering;
    let holds = |ordering: Ordering| match op {
        "==" => ordering == Ordering::Equal,
        "!=" => ordering != Ordering::Equal,
        "<" => ordering == Ordering::Less,
        "<=" => ordering != Ordering::Greater,
        ">" => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    };
    match (left, right) {
        (Value::Str(a), Value::Str(b)) => match op {
            "==" | "!=" => Some(Some(holds(a.cmp(b)))),
            "in" => Some(Some(b.contains(a.as_str()))),
            _ => None,
        },
        (Value::Version, Value::Tuple(t)) => Some(versions(t, |v| holds(v.cmp(t)))),
        (Value::Tuple(t), Value::Version) if op != "in" => {
            Some(versions(t, |v| holds(t.as_slice().cmp(v))))
        }
        _ => None,
    }
}

/// `test` applied to `sys.version_info` of every CPython 3.10 or later, as
/// far as comparing with `tuple` can tell them apart: the answer when they
/// all agree. Tuples longer than three items would compare the release
/// level, a string, with an integer: unknown.
fn versions(tuple: &[i64], test: impl Fn(&[i64]) -> bool) -> Option<bool> {
    if tuple.len() > 3 {
        return None;
    }
    let around = |n: Option<&i64>, floor: i64| -> Vec<i64> {
        let n = n.copied().unwrap_or(floor);
        [floor, n - 1, n, n + 1, n + 1000]
            .into_iter()
            .filter(|&v| v >= floor)
            .collect()
    };
    let mut answers = Vec::new();
    for minor in around(tuple.get(1), MIN_MINOR) {
        for micro in around(tuple.get(2), 0) {
            // (major, minor, micro, releaselevel, serial): the last two
            // only make it longer than any tuple of three.
            answers.push(test(&[3, minor, micro, 0, 0]));
        }
    }
    let first = answers[0];
    answers.iter().all(|&a| a == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::evaluate;

    #[test]
    fn what_every_partition_shares_is_known() {
        for (text, value) in [
            ("linux", Some(true)),
            ("linux and not windows", Some(true)),
            ("(bits32 or bits64)", Some(true)),
            ("os.name == 'posix'", Some(true)),
            ("os.name=='nt'", Some(false)),
            ("os.name != \"posix\"", Some(false)),
            ("sys.platform == 'linux'", Some(true)),
            ("sys.platform != 'linux'", Some(false)),
            ("sys.platform == 'darwin'", Some(false)),
            ("'linux' in sys.platform", Some(true)),
            ("sys.version_info < (3,10)", Some(false)),
            ("sys.version_info < (3, 8)", Some(false)),
            ("sys.version_info >= (3, 10)", Some(true)),
            ("sys.version_info > (3,)", Some(true)),
            ("sys.version_info < (4,)", Some(true)),
            ("(3, 10) <= sys.version_info", Some(true)),
            ("sys.version_info >= (3, 9)", Some(true)),
            ("sys.version_info == (3, 10)", Some(false)),
            ("python2", Some(false)),
            ("python27", Some(false)),
            ("python39", Some(false)),
            ("python310", None),
            ("python311", None),
            ("python311 or linux", Some(true)),
            ("python311 and windows", Some(false)),
            ("windows and python311", Some(false)),
            ("linux or python311", Some(true)),
            ("linux and python311", None),
            ("windows or linux", Some(true)),
            ("not python311", None),
            ("sys.version_info < (3,11)", None),
            ("sys.version_info >= (3, 12, 1)", None),
            ("sys.version_info < (3, 10, 0, 'final', 0)", None),
            ("pypy or sys.version_info >= (3,13)", None),
            ("linux and platform.machine() == 'x86_64'", None),
            ("python320", None),
            ("unknown_name or linux", None),
            ("sys.version_info < (3, 10) or (", None),
            ("", None),
        ] {
            assert_eq!(evaluate(text), value, "{text}");
        }
    }
}
