//! Puts libvmmctl, and the simulator host, into the program.
//!
//! libvmmctl, in this order of precedence:
//!   1. `$VMMCTL_LIB_DIR`: the library in that directory, static
//!      (`libvmmctl.a`) unless `VMMCTL_STATIC=0` (`libvmmctl.so`).
//!   2. feature `bundled` (default): the C in `csrc/` (the copies
//!      `make bindings` writes), compiled with the `cc` crate and linked
//!      statically.
//!   3. otherwise an installed libvmmctl through the `pkg-config` crate,
//!      which honours `PKG_CONFIG_PATH`, `PKG_CONFIG_SYSROOT_DIR`,
//!      `PKG_CONFIG_ALLOW_CROSS` and their `_<target>` forms;
//!      `VMMCTL_STATIC=1`/`0` forces static/dynamic, else the crate's
//!      `VMMCTL_DYNAMIC`, `PKG_CONFIG_ALL_STATIC`... decide.
//!
//! The simulator host (kernel core + `vmmctl_sim.h` + `vmmctl_sim_main()`)
//! has no installed form: it is always compiled from `csrc/` (one archive
//! with libvmmctl when bundled, its own otherwise).  The linker takes its
//! objects only into programs that use `vmmctl::sim` or `vmmctl-sim`.
//!
//! Feature `fuse` (off by default): the simulator's device mode
//! (`vmmctl_sim_set_fuse`, `vmmctl-sim --fuse`), built with libfuse3 found
//! through pkg-config; without it device mode fails with `ENOTSUP`.
//!
//! `DOCS_RS`: nothing is compiled or linked (docs.rs builds documentation
//! only).  Metadata for dependents' build scripts (`links = "vmmctl"`):
//! `DEP_VMMCTL_INCLUDE`, a directory holding `vmmctl.h` and
//! `vmmctl_dev.h` (`csrc/` in this package, or pkg-config's include
//! directory), and `DEP_VMMCTL_LIB_DIR` when a prebuilt library is linked.

use std::env;
use std::path::{Path, PathBuf};

/// libvmmctl: `capi/src` and the name rule it shares with the kernel core.
const LIB_SRCS: &[&str] = &[
    "vmmctl.c",
    "vmmctl_ioctl.c",
    "vmmctl_sim.c",
    "vmmctl_strerror.c",
    "vmmctl_name.c",
];

/// The simulator host: the kernel core, the host and its root, its socket
/// transport with its reply channels, the device mode and the daemon's
/// `vmmctl_sim_main()` (without `main()`).
const SIM_SRCS: &[&str] = &[
    "vmmctl_kern.c",
    "vmmctl_jail.c",
    "vmmctl_table.c",
    "vmmctl_sim_host.c",
    "vmmctl_sim_root.c",
    "vmmctl_sim_sock.c",
    "vmmctl_sim_chan.c",
    "vmmctl_sim_fuse.c",
    "vmmctl_sim_main.c",
];

fn main() {
    for var in [
        "VMMCTL_LIB_DIR",
        "VMMCTL_STATIC",
        "VMMCTL_SANITIZER_LIBS",
        "DOCS_RS",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let csrc = manifest.join("csrc");
    println!("cargo:rerun-if-changed={}", csrc.display());

    if env::var_os("DOCS_RS").is_some() {
        println!("cargo:include={}", csrc.display());
        return;
    }
    let bundled = env::var_os("CARGO_FEATURE_BUNDLED").is_some();
    let lib_dir = env::var_os("VMMCTL_LIB_DIR").filter(|d| !d.is_empty());
    let include = if let Some(dir) = lib_dir {
        link_prebuilt(Path::new(&dir));
        compile(&csrc, "vmmctl_simhost", &[SIM_SRCS, &["vmmctl_name.c"]]);
        csrc.clone()
    } else if bundled {
        compile(&csrc, "vmmctl", &[LIB_SRCS, SIM_SRCS]);
        csrc.clone()
    } else {
        let include = probe_pkg_config().unwrap_or_else(|| csrc.clone());
        compile(&csrc, "vmmctl_simhost", &[SIM_SRCS, &["vmmctl_name.c"]]);
        include
    };
    println!("cargo:include={}", include.display());
    println!("cargo:rustc-link-lib=pthread");
}

/// Compiles `srcs` from `csrc` into the static archive `name`, linked
/// into this crate.
fn compile(csrc: &Path, name: &str, srcs: &[&[&str]]) {
    let mut build = cc::Build::new();
    build
        .std("c99")
        .define("_DEFAULT_SOURCE", None)
        .define("_GNU_SOURCE", None)
        .define("VMMCTL_SIM_NO_MAIN", None)
        .include(csrc)
        .flag_if_supported("-fvisibility=hidden")
        .warnings(true);
    if env::var_os("CARGO_FEATURE_FUSE").is_some() {
        // libfuse3's flags for the device mode; the pkg-config crate prints
        // its link flags.
        let fuse = pkg_config::Config::new()
            .atleast_version("3.2")
            .probe("fuse3")
            .unwrap_or_else(|e| {
                panic!("vmmctl-sys: feature `fuse` needs libfuse3 (pkg-config fuse3): {e}")
            });
        build.define("VMMCTL_SIM_HAVE_FUSE", None);
        build.includes(&fuse.include_paths);
        for (k, v) in &fuse.defines {
            build.define(k, v.as_deref());
        }
    }
    for f in srcs.iter().flat_map(|s| s.iter()) {
        build.file(csrc.join(f));
    }
    build.compile(name);
}

/// `VMMCTL_STATIC`: `Some(false)` for "0", `Some(true)` for any other
/// value, `None` when unset.
fn want_static() -> Option<bool> {
    env::var("VMMCTL_STATIC").ok().map(|v| v != "0")
}

/// `$VMMCTL_LIB_DIR`: a libvmmctl built elsewhere (the source tree's
/// `build/lib`, an instrumented build).
fn link_prebuilt(dir: &Path) {
    let want_static = want_static().unwrap_or(true);
    let file = dir.join(if want_static {
        "libvmmctl.a"
    } else {
        "libvmmctl.so"
    });
    if !file.exists() {
        panic!(
            "vmmctl-sys: VMMCTL_LIB_DIR is set but {} does not exist",
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
    } else {
        println!("cargo:rustc-link-lib=dylib=vmmctl");
    }
}

/// An installed libvmmctl, through pkg-config; returns its include
/// directory.  The pkg-config crate prints the link flags, except with
/// `VMMCTL_STATIC=1`: it links a library under a system root (`/usr`, or
/// all of `PKG_CONFIG_SYSROOT_DIR`) dynamically whatever it is asked, and
/// an explicit request for the archive is honoured here instead.
fn probe_pkg_config() -> Option<PathBuf> {
    let want_static = want_static();
    let force_static = want_static == Some(true);
    let mut cfg = pkg_config::Config::new();
    cfg.atleast_version("1.0").cargo_metadata(!force_static);
    if let Some(s) = want_static {
        cfg.statik(s);
    }
    let lib = cfg.probe("vmmctl").unwrap_or_else(|e| {
        panic!(
            "vmmctl-sys: the `bundled` feature is off and pkg-config cannot \
             find libvmmctl: {e}\n(install it, point PKG_CONFIG_PATH at its \
             vmmctl.pc, set VMMCTL_LIB_DIR, or enable `bundled`)"
        )
    });
    let name = if force_static {
        "libvmmctl.a"
    } else {
        "libvmmctl.so"
    };
    let file = lib
        .link_paths
        .iter()
        .map(|d| d.join(name))
        .find(|f| f.exists());
    if let Some(f) = &file {
        println!("cargo:rerun-if-changed={}", f.display());
        if let Some(dir) = f.parent() {
            println!("cargo:lib_dir={}", dir.display());
        }
        sanitizer_runtimes(f);
    }
    if force_static {
        if file.is_none() {
            panic!(
                "vmmctl-sys: VMMCTL_STATIC=1 but pkg-config's library \
                 directories {:?} have no libvmmctl.a",
                lib.link_paths
            );
        }
        for d in &lib.link_paths {
            println!("cargo:rustc-link-search=native={}", d.display());
        }
        for l in &lib.libs {
            if l == "vmmctl" {
                println!("cargo:rustc-link-lib=static=vmmctl");
            } else {
                println!("cargo:rustc-link-lib={l}");
            }
        }
    }
    lib.include_paths
        .into_iter()
        .find(|d| d.join("vmmctl.h").is_file())
}

/// A library built with ASan/UBSan (`make SANITIZE=1`) needs their run-time
/// libraries, and the ASan one first in the program's library list.  rustc
/// links with -nodefaultlibs, so `-C link-arg=-fsanitize=...` does not add
/// them: name them here, ahead of std's libraries.  Detected from the
/// instrumentation's symbols; $VMMCTL_SANITIZER_LIBS overrides the names
/// (default "asan ubsan": GCC's runtimes).
fn sanitizer_runtimes(lib: &Path) {
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
