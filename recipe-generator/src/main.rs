//! `recipe-generator`: writes promise wrappers with baked arguments.

use std::process::ExitCode;

fn main() -> ExitCode {
    recipe_generator::run(std::env::args_os().skip(1).collect())
}
