//! The buildout reader and the conversion of its parts: any text parses or is
//! one usage line; every section classifies (or is refused) without a panic,
//! and what a part maps to is validated as the binary would.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use recipe_generator::buildout::Buildout;
use recipe_generator::convert::{Context, Part, classify};
use recipe_generator::registry::Promise;

fuzz_target!(|text: &str| {
    let buildout = match Buildout::parse(text, "f.cfg") {
        Ok(buildout) => buildout,
        Err(usage) => {
            assert!(!usage.0.contains('\n'), "{:?}", usage.0);
            return;
        }
    };
    let context = Context {
        buildout: &buildout,
        promise_dir: Path::new("/p/etc/promise"),
        file: Path::new("/p/.installed.cfg"),
    };
    let names: Vec<String> = buildout.sections().map(|s| s.name.clone()).collect();
    for name in &names {
        let _ = buildout.is_macro_base(name);
        let _ = buildout.keys(name);
        match classify(&context, name) {
            Ok(Part::Promise(mapped)) => {
                if let Ok(promise) = Promise::find(mapped.promise) {
                    let _ = promise.validate(&mapped.args);
                }
            }
            Ok(Part::Skipped(_) | Part::Other) | Err(_) => {}
        }
    }
});
