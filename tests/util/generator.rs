//! Running `recipe-generator` as the tests of values and secrets need it.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use super::{Outcome, bin, run};

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// `dir/bin`, a link to the binaries under test, short enough for the direct
/// form; or, when `deep`, one too deep for a `#!` line (the shell form).
pub fn bin_dir(dir: &Path, deep: bool) -> PathBuf {
    let parent = if deep {
        dir.join("d".repeat(100)).join("e".repeat(40))
    } else {
        dir.to_owned()
    };
    fs::create_dir_all(&parent).unwrap();
    let link = parent.join("bin");
    symlink(bin("check-port-listening").parent().unwrap(), &link).unwrap();
    link
}

/// `recipe-generator write` of `promise` to `output`, with `options` (such as
/// `--mode 750`) and the baked `args`.
pub fn write(
    output: &Path,
    promise: &str,
    bins: &Path,
    options: &[&str],
    args: &[&str],
) -> Outcome {
    let mut argv = vec![
        "write".to_owned(),
        "--output".into(),
        s(output),
        "--promise".into(),
        promise.into(),
        "--bin-dir".into(),
        s(bins),
    ];
    argv.extend(options.iter().map(|a| (*a).to_owned()));
    argv.push("--".into());
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    run("recipe-generator", argv)
}

/// `recipe-generator convert` of a buildout file holding `cfg`, written in
/// `dir`; wrappers of plugins go to the returned `dir/etc/promise`.
pub fn convert(dir: &Path, cfg: &str) -> (Outcome, PathBuf) {
    let bins = bin_dir(dir, false);
    let promise_dir = dir.join("etc/promise");
    fs::create_dir_all(&promise_dir).unwrap();
    let file = dir.join("instance.cfg");
    fs::write(&file, cfg).unwrap();
    let out = run(
        "recipe-generator",
        [
            "convert",
            &s(&file),
            "--bin-dir",
            &s(&bins),
            "--promise-dir",
            &s(&promise_dir),
        ],
    );
    (out, promise_dir)
}
