#! /usr/bin/env atf-sh
# The Rust crates as a user gets them, offline:
#
#   crates_standalone  from a fresh copy of the tree's tracked files (make
#                      never run): `cargo package --workspace` with its
#                      verification; the .crate files unpacked into a
#                      registry directory outside the tree, with the
#                      vendored crates.io dependencies (RUST_VENDOR) and
#                      nothing else; a new project depending on
#                      `vmmctl = "1.0.0"` builds from it with an empty
#                      CARGO_HOME and runs Simulator::builder().jail("j1"),
#                      scoped and persistent VMs and AlreadyExists with no
#                      vmmctl-sim on PATH and no VMMCTL_* variable; then
#                      `cargo install vmmctl-sim` from the same registry
#                      gives the daemon, which the program drives through
#                      builder().program(); the unpacked vmmctl and
#                      vmmctl-sim pass their own tests.
#   sys_pkg_config     `make install DESTDIR=... PREFIX=/usr/local` of the
#                      C library, then vmmctl-sys --no-default-features
#                      against it through pkg-config with
#                      PKG_CONFIG_SYSROOT_DIR (as for a cross sysroot),
#                      shared and static, its unit tests run.
#
# Needs VMMCTL_SRC and VMMCTL_BUILD; the tool locations come from
# rust-env.sh, written beside this program by `make test`.  Every path
# used is under the test's own work directory, outside the tree.

: "${VMMCTL_SRC:?VMMCTL_SRC is not set}"

_env()
{
	_e="$(atf_get_srcdir)/rust-env.sh"
	[ -r "$_e" ] || atf_fail "no $_e: run through make test"
	. "$_e"
	_cargo=$(command -v cargo) || atf_fail "no cargo"
	case "$PWD/" in
	"$VMMCTL_SRC"/*) atf_fail "work directory $PWD is inside the tree" ;;
	esac
}

# Runs "$@" with no VMMCTL_* variable in the environment.
_novmmctl()
{
	env $(env | sed -n 's/^\(VMMCTL_[A-Za-z0-9_]*\)=.*/-u \1/p') "$@"
}

# "$1": a crates.io-style directory source: every vendored crate and every
# unpacked package, each with the checksum file Cargo wants.
_registry()
{
	mkdir -p "$1" || return 1
	for _d in "$RUST_VENDOR"/*/; do
		cp -R "$_d" "$1/" || return 1
	done
	for _c in crates/*.crate; do
		tar -xzf "$_c" -C "$1" || return 1
		_n=$(basename "$_c" .crate)
		_sum=$(sha256sum "$_c" | cut -d' ' -f1)
		printf '{"files":{},"package":"%s"}\n' "$_sum" \
		    >"$1/$_n/.cargo-checksum.json"
	done
}

_app_main='use std::io::ErrorKind;
use vmmctl::sim::{Simulator, SimulatorBuilder};
use vmmctl::{CreateFlags, Vmmctl};

fn main() {
    // With an argument: the same, through that vmmctl-sim daemon.
    let b: SimulatorBuilder = match std::env::args().nth(1) {
        Some(daemon) => Simulator::builder().program(daemon),
        None => Simulator::builder(),
    };
    let sim = b.jail("j1").start().expect("start the simulator");
    let host = sim.open().unwrap();
    let jailed = Vmmctl::open_at(sim.jail_root("j1")).unwrap();
    jailed.create("scoped", CreateFlags::empty()).unwrap();
    host.create("persistent", CreateFlags::PERSISTENT).unwrap();
    assert_eq!(host.list().unwrap(), ["persistent", "scoped"]);
    assert_eq!(jailed.list().unwrap(), ["scoped"]);
    let e = jailed.create("persistent", CreateFlags::empty()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    drop(jailed);
    assert_eq!(host.list().unwrap(), ["persistent"]);
    host.destroy("persistent").unwrap();
    assert!(host.list().unwrap().is_empty());
    let root = sim.root().to_path_buf();
    drop(host);
    sim.stop().unwrap();
    assert!(!root.exists());
    println!("app: ok (pid {:?})", std::process::id());
}
'

atf_test_case crates_standalone
crates_standalone_head()
{
	atf_set descr "cargo package --workspace from a fresh copy; a new" \
	    "project builds and runs from the packages alone, offline"
	atf_set timeout 900
}
crates_standalone_body()
{
	_env
	_top=$PWD
	# A fresh clone's files: what git tracks, nothing built.
	mkdir clone
	(cd "$VMMCTL_SRC" && git ls-files -z | tar --null -T - -cf -) |
	    (cd clone && tar -xf -) || atf_fail "cannot copy the tree"
	[ ! -e clone/build ] || atf_fail "the copy has a build directory"

	# A Cargo home of its own that shares the crates.io cache: cargo
	# extracts each verified package's dependencies from its temporary
	# registry into CARGO_HOME/registry/src, under a name made from that
	# registry's path, and never removes them.
	mkdir -p home/pkg/registry
	ln -s "$CARGO_HOME/registry/index" "$CARGO_HOME/registry/cache" \
	    home/pkg/registry/ || atf_fail "cannot share the crates.io cache"
	(cd clone/bindings/rust && _novmmctl env -u CARGO_TARGET_DIR \
	    CARGO_HOME="$_top/home/pkg" cargo package --workspace --offline) \
	    >package.log 2>&1 ||
	    { cat package.log; atf_fail "cargo package --workspace failed"; }
	grep -c '^ *Verifying' package.log | grep -qx 3 ||
	    { cat package.log; atf_fail "not every package was verified"; }
	mkdir crates
	cp clone/bindings/rust/target/package/*.crate crates/ ||
	    atf_fail "no .crate files"
	rm -rf clone
	for _c in vmmctl-sys vmmctl vmmctl-sim; do
		[ -f "crates/$_c-1.0.0.crate" ] || atf_fail "no $_c-1.0.0.crate"
		tar -tzf "crates/$_c-1.0.0.crate" >"$_c.files"
		for _f in README.md LICENSE Cargo.toml; do
			grep -qx "$_c-1.0.0/$_f" "$_c.files" ||
			    atf_fail "$_c has no $_f"
		done
		tar -xzOf "crates/$_c-1.0.0.crate" "$_c-1.0.0/LICENSE" |
		    grep -q 'BSD 2-Clause' || atf_fail "$_c: LICENSE is not BSD-2"
	done
	for _f in vmmctl.c vmmctl_sim_host.c vmmctl_sim_main.c vmmctl_kern.c \
	    vmmctl.h vmmctl_dev.h; do
		grep -qx "vmmctl-sys-1.0.0/csrc/$_f" vmmctl-sys.files ||
		    atf_fail "vmmctl-sys has no csrc/$_f"
	done
	_registry "$_top/registry" || atf_fail "cannot make the registry"

	# The user's project, with an empty Cargo home that knows only the
	# registry directory.
	mkdir -p home/cargo app/src
	cat >home/cargo/config.toml <<EOF
[source.crates-io]
replace-with = "packages"
[source.packages]
directory = "$_top/registry"
[net]
offline = true
EOF
	cat >app/Cargo.toml <<'EOF'
[package]
name = "app"
version = "0.1.0"
edition = "2021"

[dependencies]
vmmctl = "1.0.0"
# Direct, for its links metadata: DEP_VMMCTL_INCLUDE in build.rs.
vmmctl-sys = "1.0.0"

[workspace]
EOF
	printf '%s' "$_app_main" >app/src/main.rs
	cat >app/build.rs <<'EOF'
// vmmctl-sys's `links = "vmmctl"` metadata names its headers.
fn main() {
    let inc = std::env::var("DEP_VMMCTL_INCLUDE").expect("DEP_VMMCTL_INCLUDE");
    let inc = std::path::Path::new(&inc);
    for h in ["vmmctl.h", "vmmctl_dev.h"] {
        assert!(inc.join(h).is_file(), "no {h} in {}", inc.display());
    }
    println!("cargo:warning=DEP_VMMCTL_INCLUDE={}", inc.display());
}
EOF
	_user="env -i PATH=$(dirname "$_cargo"):/usr/bin:/bin HOME=$_top/home
	    CARGO_HOME=$_top/home/cargo RUSTUP_HOME=$RUSTUP_HOME"
	(cd app && $_user cargo build -vv) >build.log 2>&1 ||
	    { cat build.log; atf_fail "the project does not build"; }
	grep -q "Compiling vmmctl-sys v1.0.0" build.log ||
	    atf_fail "vmmctl-sys was not built from the registry"
	grep -q "DEP_VMMCTL_INCLUDE=$_top/registry/vmmctl-sys-1.0.0/csrc\$" \
	    build.log || { grep DEP_VMMCTL build.log; atf_fail \
	    "DEP_VMMCTL_INCLUDE is not the package's csrc/"; }
	! grep -F "$VMMCTL_SRC" build.log app/Cargo.lock ||
	    atf_fail "the build refers to the source tree"

	# No vmmctl-sim anywhere on PATH, no VMMCTL_* variable.
	! env -i PATH=/usr/bin:/bin sh -c 'command -v vmmctl-sim' ||
	    atf_fail "a vmmctl-sim is on PATH"
	env -i PATH=/usr/bin:/bin HOME="$_top/home" ./app/target/debug/app \
	    >run.out 2>&1 || { cat run.out; atf_fail "the program failed"; }
	cat run.out
	grep -q '^app: ok' run.out || atf_fail "the program did not finish"

	# cargo install gives the daemon; the program drives it.
	$_user cargo install vmmctl-sim --root "$_top/inst" >install.log 2>&1 ||
	    { cat install.log; atf_fail "cargo install vmmctl-sim failed"; }
	"$_top/inst/bin/vmmctl-sim" --help >help.out ||
	    atf_fail "vmmctl-sim --help failed"
	grep -q 'usage: vmmctl-sim --root DIR' help.out ||
	    { cat help.out; atf_fail "not the daemon's usage"; }
	env -i PATH=/usr/bin:/bin HOME="$_top/home" ./app/target/debug/app \
	    "$_top/inst/bin/vmmctl-sim" >daemon.out 2>&1 ||
	    { cat daemon.out; atf_fail "the program failed with the daemon"; }
	grep -q '^app: ok' daemon.out || atf_fail "the program did not finish"

	# The packages' own tests pass from the packages alone.
	for _c in vmmctl vmmctl-sim; do
		cp -R "registry/$_c-1.0.0" "$_c-tests" &&
		    (cd "$_c-tests" && $_user cargo test) >"$_c-tests.log" 2>&1 ||
		    { cat "$_c-tests.log"; atf_fail "$_c's tests fail"; }
		grep '^test result:' "$_c-tests.log"
		! grep -q '^test result: .* [1-9][0-9]* failed' "$_c-tests.log" ||
		    atf_fail "$_c: failures"
	done
	echo "crates: $(ls crates | tr '\n' ' ')"
}

atf_test_case sys_pkg_config
sys_pkg_config_head()
{
	atf_set descr "vmmctl-sys --no-default-features links an installed" \
	    "libvmmctl found by pkg-config (PKG_CONFIG_SYSROOT_DIR)"
	atf_set timeout 600
}

# vmmctl-sys's unit tests (and vmmctl's simulator tests) built with
# --no-default-features into target "link-$1", then run.
_pc_variant()
{
	_what=$1
	shift
	(cd "$RUST_SRC" && _novmmctl env "$@" cargo test --offline \
	    --no-default-features -p vmmctl-sys --lib -p vmmctl --test sim \
	    --no-run --message-format=json \
	    --target-dir "$CARGO_TARGET_DIR/link-$_what") >"$_what.json" ||
	    return 1
	_bins=$(jq -r 'select(.profile.test == true and .executable != null) |
	    .executable' "$_what.json")
	[ -n "$_bins" ] || { echo "no test binaries"; return 1; }
	for _b in $_bins; do
		env LD_LIBRARY_PATH="$_lib" "$_b" --test-threads 1 || return 1
	done
	env LD_LIBRARY_PATH="$_lib" ldd $_bins >"$_what.ldd"
	cat "$CARGO_TARGET_DIR/link-$_what"/debug/build/vmmctl-sys-*/output \
	    >"$_what.build"
}

sys_pkg_config_body()
{
	_env
	_dest=$PWD/dest
	_lib=$_dest/usr/local/lib
	# The C library alone: make install needs only cc and make.
	make -C "$VMMCTL_SRC" BUILD="$PWD/cbuild" DESTDIR="$_dest" \
	    PREFIX=/usr/local install >install.log 2>&1 ||
	    { cat install.log; atf_fail "make install failed"; }
	[ -f "$_lib/pkgconfig/vmmctl.pc" ] || atf_fail "no vmmctl.pc installed"
	_pc="PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$_lib/pkgconfig
	    PKG_CONFIG_SYSROOT_DIR=$_dest"

	_pc_variant shared $_pc || atf_fail "the shared build failed"
	grep -q "libvmmctl\.so\.1 => $_lib/libvmmctl\.so\.1" shared.ldd ||
	    { cat shared.ldd; atf_fail "not linked to the installed .so"; }
	grep -qx "cargo:include=$_dest/usr/local/include" shared.build ||
	    { cat shared.build; atf_fail "DEP_VMMCTL_INCLUDE is not the" \
	    "installed include directory"; }
	grep -q "rustc-link-search=native=$_lib\$" shared.build ||
	    atf_fail "pkg-config's library directory was not used"
	# The simulator host is still compiled (csrc/), libvmmctl is not.
	grep -q "rustc-link-lib=static=vmmctl_simhost" shared.build ||
	    atf_fail "the simulator host was not compiled"
	! grep -q "rustc-link-lib=static=vmmctl\$" shared.build ||
	    atf_fail "the bundled libvmmctl was compiled"

	_pc_variant static $_pc VMMCTL_STATIC=1 ||
	    atf_fail "the static build failed"
	! grep -q 'libvmmctl' static.ldd ||
	    { cat static.ldd; atf_fail "not static"; }
	grep -q "rustc-link-lib=static=vmmctl\$" static.build ||
	    atf_fail "libvmmctl.a was not linked"

	# Without the library, the error says what to do.
	_none=$PWD/none
	! (cd "$RUST_SRC" && _novmmctl env PKG_CONFIG_PATH= \
	    PKG_CONFIG_LIBDIR="$_none" cargo build --offline \
	    --no-default-features -p vmmctl-sys \
	    --target-dir "$CARGO_TARGET_DIR/link-none") >none.log 2>&1 ||
	    atf_fail "built without a libvmmctl"
	grep -q "pkg-config cannot find libvmmctl" none.log ||
	    { cat none.log; atf_fail "no useful message"; }
}

atf_init_test_cases()
{
	atf_add_test_case crates_standalone
	atf_add_test_case sys_pkg_config
}
