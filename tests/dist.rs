//! What we ship: static executables within their size budgets. Runs against
//! `PROMISE_BIN_DIR` (the release build `make test` makes); a debug build is
//! neither static nor small, so without it these tests say so and pass.

use std::path::Path;

use crate::util::SHIPPED;
use crate::util::promises::meta;

fn dist_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("PROMISE_BIN_DIR").map(std::path::PathBuf::from);
    if dir.is_none() {
        eprintln!("SKIP: PROMISE_BIN_DIR is not set; release binaries not checked");
    }
    dir
}

#[test]
fn release_binaries_fit_their_budgets() {
    let Some(dir) = dist_dir() else { return };
    // Each binary's budget is size-budget-kib in its Cargo.toml.
    for name in SHIPPED {
        let budget = meta(name).size_budget;
        let size = std::fs::metadata(dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .len();
        assert!(
            size <= budget,
            "{name} is {size} bytes, over its budget of {budget}"
        );
    }
}

#[test]
fn release_binaries_are_static() {
    let Some(dir) = dist_dir() else { return };
    for name in SHIPPED {
        let kinds = segment_kinds(&dir.join(name));
        assert!(
            !kinds.contains(&PT_INTERP),
            "{name} asks for a dynamic loader"
        );
        assert!(!kinds.contains(&PT_DYNAMIC), "{name} has a dynamic section");
    }
}

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;

/// The program header types of a 64-bit little-endian ELF file.
fn segment_kinds(path: &Path) -> Vec<u32> {
    let elf = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &elf[..6],
        b"\x7fELF\x02\x01",
        "{} is not a 64-bit LE ELF",
        path.display()
    );
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
    let phoff = usize::try_from(u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap())).unwrap();
    let (entry_size, count) = (usize::from(u16_at(0x36)), usize::from(u16_at(0x38)));
    (0..count).map(|i| u32_at(phoff + i * entry_size)).collect()
}
