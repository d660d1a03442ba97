//! The one list of promises holds: every folder under `promises/` is a promise
//! recipe-generator knows, the Makefile builds and the release ships, with the
//! metadata the tests need, and nothing else is. Forgetting the registry entry
//! of a new promise fails here, as does forgetting the `mod` line of a new
//! file under tests/ (the suite is the one target tests/main.rs).

use std::collections::BTreeSet;
use std::process::Command;

use crate::util::promises::{crate_dir, meta, promise_folders, root};
use crate::util::{PROMISES, SHIPPED};

fn set<S: ToString>(names: impl IntoIterator<Item = S>) -> BTreeSet<String> {
    names.into_iter().map(|n| n.to_string()).collect()
}

/// Asserts that `a` and `b` hold the same names; each message names one side's extras.
#[track_caller]
fn same(a: &BTreeSet<String>, b: &BTreeSet<String>, only_in_a: &str, only_in_b: &str) {
    let none = Vec::<&String>::new();
    assert_eq!(a.difference(b).collect::<Vec<_>>(), none, "{only_in_a}");
    assert_eq!(b.difference(a).collect::<Vec<_>>(), none, "{only_in_b}");
}

#[test]
fn every_folder_under_promises_is_in_the_registry_and_back() {
    same(
        &set(promise_folders()),
        &set(PROMISES),
        "folders under promises/ missing from recipe-generator/src/registry.rs",
        "registry entries with no folder under promises/",
    );
}

#[test]
fn every_shipped_binary_has_its_metadata_and_its_crate_s_name() {
    for name in SHIPPED {
        let meta = meta(name);
        assert_eq!(
            meta.package,
            name,
            "{}: the package must be named after its folder",
            crate_dir(name).display()
        );
        assert!(meta.size_budget > 0, "{name}: no size budget");
    }
    for name in PROMISES {
        assert!(
            !meta(name).valid_args.is_empty(),
            "{name}: valid-args is empty"
        );
    }
}

#[test]
fn the_makefile_builds_every_shipped_binary_and_no_other() {
    let output = Command::new("make")
        .args([
            "--no-print-directory",
            "-s",
            "--eval",
            "print-binaries: ; @echo $(BINARIES)",
            "print-binaries",
        ])
        .current_dir(root())
        .output();
    let Ok(output) = output else {
        crate::util::skip("make is not installed; the Makefile's BINARIES not checked");
        return;
    };
    assert!(output.status.success(), "{output:?}");
    let listed = set(String::from_utf8_lossy(&output.stdout).split_whitespace());
    assert_eq!(listed, set(SHIPPED), "the Makefile's BINARIES");
}

#[test]
fn the_release_holds_every_shipped_binary_and_no_other() {
    let Some(dir) = std::env::var_os("PROMISE_BIN_DIR") else {
        crate::util::skip("PROMISE_BIN_DIR is not set; the release's binaries not checked");
        return;
    };
    let found = set(std::fs::read_dir(&dir).expect("PROMISE_BIN_DIR").map(|e| {
        e.expect("an entry")
            .file_name()
            .to_string_lossy()
            .into_owned()
    }));
    assert_eq!(
        found,
        set(SHIPPED),
        "the binaries in {}",
        dir.to_string_lossy()
    );
}

/// The modules under tests/: each `NAME.rs` and `NAME/mod.rs` but main.rs,
/// where the black-box suite's only target (`autotests = false`) is.
fn test_files() -> BTreeSet<String> {
    let tests = root().join("tests");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&tests).expect("tests/") {
        let path = entry.expect("tests/ entry").path();
        let name = path.file_stem().expect("a name").to_string_lossy();
        if (path.extension().is_some_and(|e| e == "rs") && name != "main")
            || path.join("mod.rs").is_file()
        {
            names.insert(name.into_owned());
        }
    }
    names
}

/// The `mod NAME;` lines of tests/main.rs.
fn declared_modules() -> BTreeSet<String> {
    let main = std::fs::read_to_string(root().join("tests/main.rs")).expect("tests/main.rs");
    main.lines()
        .filter_map(|l| l.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .map(|name| name.trim().to_owned())
        .collect()
}

#[test]
fn every_file_under_tests_is_a_module_of_main_rs_and_back() {
    let files = test_files();
    let declared = declared_modules();
    assert!(
        files.contains("util") && files.contains("registry"),
        "{files:?}"
    );
    same(
        &files,
        &declared,
        "files under tests/ without their `mod` line in tests/main.rs: they never run",
        "`mod` lines in tests/main.rs with no tests/NAME.rs or tests/NAME/mod.rs",
    );
}
