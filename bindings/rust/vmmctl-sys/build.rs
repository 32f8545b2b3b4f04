//! Links libvmmctl.
//!
//! Default: the static archive built in this repository, so test binaries
//! and examples run without LD_LIBRARY_PATH:
//!   $VMMCTL_LIB_DIR, else $VMMCTL_BUILD/lib, else <top>/build/lib
//!   (../../../build/lib from this crate), plus -lpthread.
//! VMMCTL_STATIC=0: link libvmmctl.so from that directory instead.
//! VMMCTL_USE_PKG_CONFIG=1: use `pkg-config --libs vmmctl` (an installed
//!   copy, or $VMMCTL_BUILD/lib/pkgconfig through PKG_CONFIG_PATH); with
//!   VMMCTL_STATIC unset or 1, `--static` is passed and the archive chosen.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    for var in [
        "VMMCTL_LIB_DIR",
        "VMMCTL_BUILD",
        "VMMCTL_STATIC",
        "VMMCTL_USE_PKG_CONFIG",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG",
        "VMMCTL_SANITIZER_LIBS",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let top = manifest.join("../../..");
    let want_static = env::var("VMMCTL_STATIC").map_or(true, |v| v != "0");
    // The headers, for dependents' build scripts (DEP_VMMCTL_INCLUDE).
    println!("cargo:include={}", top.join("capi/include").display());

    if env::var("VMMCTL_USE_PKG_CONFIG").is_ok_and(|v| v == "1") {
        pkg_config(want_static);
        return;
    }

    let dir = if let Some(d) = env::var_os("VMMCTL_LIB_DIR") {
        PathBuf::from(d)
    } else if let Some(b) = env::var_os("VMMCTL_BUILD").filter(|b| !b.is_empty()) {
        PathBuf::from(b).join("lib")
    } else {
        top.join("build/lib")
    };
    let file = dir.join(if want_static {
        "libvmmctl.a"
    } else {
        "libvmmctl.so"
    });
    if !file.exists() {
        panic!(
            "vmmctl-sys: {} not found; build the C library first (`make` at \
             the top of the source tree), or set VMMCTL_LIB_DIR, VMMCTL_BUILD \
             or VMMCTL_USE_PKG_CONFIG=1",
            file.display()
        );
    }
    // Relink when the library is rebuilt.
    println!("cargo:rerun-if-changed={}", file.display());
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:lib_dir={}", dir.display());
    sanitizer_runtimes(&file);
    if want_static {
        println!("cargo:rustc-link-lib=static=vmmctl");
        println!("cargo:rustc-link-lib=pthread");
    } else {
        println!("cargo:rustc-link-lib=dylib=vmmctl");
    }
}

/// A library built with ASan/UBSan (`make SANITIZE=1`) needs their run-time
/// libraries, and the ASan one first in the program's library list.  rustc
/// links with -nodefaultlibs, so `-C link-arg=-fsanitize=...` does not add
/// them: name them here, ahead of std's libraries.  Detected from the
/// instrumentation's symbols; $VMMCTL_SANITIZER_LIBS overrides the names
/// (default "asan ubsan": GCC's runtimes).
fn sanitizer_runtimes(lib: &std::path::Path) {
    let Ok(bytes) = std::fs::read(lib) else {
        return;
    };
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let asan = has(b"__asan_init");
    let ubsan = has(b"__ubsan_handle_");
    if !asan && !ubsan {
        return;
    }
    let names = env::var("VMMCTL_SANITIZER_LIBS").unwrap_or_else(|_| {
        let mut v = Vec::new();
        if asan {
            v.push("asan");
        }
        if ubsan {
            v.push("ubsan");
        }
        v.join(" ")
    });
    for name in names.split_whitespace() {
        println!("cargo:rustc-link-lib=dylib={name}");
    }
}

fn pkg_config(want_static: bool) {
    let prog = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let mut cmd = Command::new(&prog);
    cmd.arg("--libs");
    if want_static {
        cmd.arg("--static");
    }
    cmd.arg("vmmctl");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("vmmctl-sys: cannot run {prog}: {e}"));
    if !out.status.success() {
        panic!(
            "vmmctl-sys: `{prog} --libs vmmctl` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let flags = String::from_utf8(out.stdout).expect("pkg-config output is not UTF-8");
    let flags: Vec<&str> = flags.split_whitespace().collect();
    // The library pkg-config points at, first: its sanitizer runtimes (if
    // any) must come before everything else.
    for d in flags.iter().filter_map(|f| f.strip_prefix("-L")) {
        let f = PathBuf::from(d).join(if want_static {
            "libvmmctl.a"
        } else {
            "libvmmctl.so"
        });
        if f.exists() {
            println!("cargo:rerun-if-changed={}", f.display());
            println!("cargo:lib_dir={d}");
            sanitizer_runtimes(&f);
            break;
        }
    }
    for flag in flags {
        if let Some(d) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={d}");
        } else if let Some(l) = flag.strip_prefix("-l") {
            if l == "vmmctl" && want_static {
                println!("cargo:rustc-link-lib=static=vmmctl");
            } else {
                println!("cargo:rustc-link-lib={l}");
            }
        }
    }
}
