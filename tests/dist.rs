//! What we ship: static position-independent executables (static-pie) for the
//! architecture of their folder, within their size budgets (the same on both
//! architectures). Runs against `PROMISE_BIN_DIR` (the release builds `make
//! test` makes, `dist/bin/x86_64` and `dist/bin/aarch64`); a debug build is
//! neither static nor small, so without it these tests say so and pass.

use std::path::Path;

use crate::util::SHIPPED;
use crate::util::promises::meta;

fn dist_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("PROMISE_BIN_DIR").map(std::path::PathBuf::from);
    if dir.is_none() {
        crate::util::skip("PROMISE_BIN_DIR is not set; release binaries not checked");
    }
    dir
}

#[test]
fn release_binaries_fit_their_budgets() {
    let Some(dir) = dist_dir() else { return };
    // Each binary's budget is size-budget-kib in its Cargo.toml, the same on
    // both architectures.
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
fn release_binaries_are_static_pie_for_their_architecture() {
    let Some(dir) = dist_dir() else { return };
    // dist/bin/ARCH, or dist/bin: the x86_64 binaries at their pinned paths.
    let machine = if dir.ends_with("aarch64") {
        EM_AARCH64
    } else {
        EM_X86_64
    };
    for name in SHIPPED {
        let elf = Elf::read(&dir.join(name));
        assert_eq!(elf.machine, machine, "{name} is for another architecture");
        assert!(
            !elf.segments.contains(&PT_INTERP),
            "{name} asks for a dynamic loader"
        );
        // A static-pie relocates itself: it has a dynamic section, but needs
        // no shared library and no loader. ET_DYN is what makes it load at a
        // random address.
        assert_eq!(elf.kind, ET_DYN, "{name} is not position-independent");
        assert!(
            !elf.dynamic_tags.contains(&DT_NEEDED),
            "{name} needs a shared library"
        );
    }
}

const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NEEDED: u64 = 1;

/// What the tests read of a 64-bit little-endian ELF file.
struct Elf {
    kind: u16,
    machine: u16,
    segments: Vec<u32>,
    dynamic_tags: Vec<u64>,
}

impl Elf {
    fn read(path: &Path) -> Elf {
        let elf = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            &elf[..6],
            b"\x7fELF\x02\x01",
            "{} is not a 64-bit LE ELF",
            path.display()
        );
        let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]);
        let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
        let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap());
        let usize_at = |at: usize| usize::try_from(u64_at(at)).unwrap();
        let phoff = usize_at(0x20);
        let (entry_size, count) = (usize::from(u16_at(0x36)), usize::from(u16_at(0x38)));
        let headers: Vec<usize> = (0..count).map(|i| phoff + i * entry_size).collect();
        let segments = headers.iter().map(|&h| u32_at(h)).collect();
        // The dynamic section's entries: 16 bytes each, tag then value.
        let dynamic_tags = headers
            .iter()
            .filter(|&&h| u32_at(h) == PT_DYNAMIC)
            .flat_map(|&h| {
                let (offset, size) = (usize_at(h + 8), usize_at(h + 32));
                (offset..offset + size).step_by(16).map(u64_at)
            })
            .collect();
        Elf {
            kind: u16_at(0x10),
            machine: u16_at(0x12),
            segments,
            dynamic_tags,
        }
    }
}
