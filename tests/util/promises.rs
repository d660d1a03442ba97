//! The one list of promises, as the tests read it: the names come from
//! recipe-generator's registry, and what a test needs to know of a promise
//! (arguments that are valid, arguments that hang, numeric options, size
//! budget) from that promise's own `Cargo.toml`, under
//! `[package.metadata.native-promises]`. A new promise is covered by every
//! test that loops over [`PROMISES`] without editing any of them.

use std::path::{Path, PathBuf};

/// A list of binary names computed when read; used like the array it
/// replaces (`for name in PROMISES`, `.iter()`, `.contains(&name)`).
#[derive(Clone, Copy)]
pub struct Names(fn() -> Vec<&'static str>);

/// The promise binaries, in the registry's order.
pub const PROMISES: Names = Names(promise_names);

/// Every binary the release ships, in name order: the promises and recipe-generator.
pub const SHIPPED: Names = Names(shipped_names);

fn promise_names() -> Vec<&'static str> {
    recipe_generator::registry::PROMISES
        .iter()
        .map(|p| p.name)
        .collect()
}

fn shipped_names() -> Vec<&'static str> {
    let mut names = promise_names();
    names.push("recipe-generator");
    names.sort_unstable();
    names
}

impl Names {
    pub fn iter(self) -> std::vec::IntoIter<&'static str> {
        (self.0)().into_iter()
    }

    pub fn contains(self, name: &&str) -> bool {
        (self.0)().contains(name)
    }
}

impl IntoIterator for Names {
    type Item = &'static str;
    type IntoIter = std::vec::IntoIter<&'static str>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The workspace root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The crate folder of shipped binary `name`.
pub fn crate_dir(name: &str) -> PathBuf {
    match name {
        "recipe-generator" => root().join(name),
        _ => root().join("promises").join(name),
    }
}

/// The folders under `promises/`, in name order.
pub fn promise_folders() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("promises"))
        .expect("promises/")
        .map(|e| e.expect("an entry of promises/"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().expect("a UTF-8 folder name"))
        .collect();
    names.sort();
    names
}

/// A numeric option: the arguments that make the rest valid, and what its
/// error says it expected.
#[derive(Debug, Clone)]
pub struct Numeric {
    pub option: String,
    pub valid_args: Vec<String>,
    pub expected: String,
}

/// What binary `name`'s `Cargo.toml` tells the tests.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The `[package] name`, which must be the binary's.
    pub package: String,
    /// Size budget of the static, stripped release binary, in bytes.
    pub size_budget: u64,
    /// Arguments that pass parsing and `plan()` and end at once.
    pub valid_args: Vec<String>,
    /// Arguments with which the check blocks until ended, with the
    /// placeholders `{hanging-port}` and `{hanging-url}`; `None` when it cannot.
    pub hanging_args: Option<Vec<String>>,
    /// Numeric options besides `--timeout`.
    pub numeric: Vec<Numeric>,
    /// Whether running a child process is the check (check-command): the
    /// test that no binary forks leaves it to the promise's own tests.
    pub runs_a_child: bool,
    /// Options that take any value up to the kernel's limit, which the check
    /// then judges (check-parameter's `--value`) or runs (check-command's
    /// `--command`): given a huge value, they end in a verdict, not a refusal.
    pub any_value: Vec<String>,
}

/// Reads binary `name`'s metadata; panics, naming the file and key, when a
/// required key is missing.
pub fn meta(name: &str) -> Meta {
    let path = crate_dir(name).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let package = manifest["package"].as_table().expect("[package]");
    let section = "[package.metadata.native-promises]";
    let ours = package
        .get("metadata")
        .and_then(|m| m.get("native-promises"))
        .and_then(toml::Value::as_table)
        .unwrap_or_else(|| panic!("{} has no {section}", path.display()));
    let strings = |value: &toml::Value, key: &str| -> Vec<String> {
        value
            .as_array()
            .unwrap_or_else(|| panic!("{}: {key} is not an array", path.display()))
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect()
    };
    let required = |key: &str| {
        ours.get(key)
            .unwrap_or_else(|| panic!("{} lacks {key} in {section}", path.display()))
    };
    let is_promise = name != "recipe-generator";
    let numeric = ours
        .get("numeric")
        .and_then(toml::Value::as_array)
        .map(|all| {
            all.iter()
                .map(|n| Numeric {
                    option: n["option"].as_str().expect("option").to_owned(),
                    valid_args: strings(&n["valid-args"], "numeric.valid-args"),
                    expected: n["expected"].as_str().expect("expected").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    Meta {
        package: package["name"].as_str().expect("name").to_owned(),
        size_budget: u64::try_from(
            required("size-budget-kib")
                .as_integer()
                .expect("size-budget-kib is a number"),
        )
        .expect("a positive budget")
            * 1024,
        valid_args: if is_promise {
            strings(required("valid-args"), "valid-args")
        } else {
            Vec::new()
        },
        hanging_args: ours.get("hanging-args").map(|v| strings(v, "hanging-args")),
        numeric,
        runs_a_child: ours
            .get("runs-a-child")
            .is_some_and(|v| v.as_bool().expect("runs-a-child is true or false")),
        any_value: ours
            .get("any-value")
            .map(|v| strings(v, "any-value"))
            .unwrap_or_default(),
    }
}
