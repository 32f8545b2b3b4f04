#! /usr/bin/env atf-sh
# Style and lint checks of the conformance drivers and runner: ruff and
# mypy --strict (Python), gofmt and go vet (Go), rustfmt and clippy (Rust).
# The tool locations come from make (Kyua resets HOME): VMMCTL_PY_VENV,
# VMMCTL_GO and its cgo flags, CARGO_HOME/RUSTUP_HOME.

: "${VMMCTL_SRC:?VMMCTL_SRC must be set (make exports it)}"
: "${VMMCTL_BUILD:?VMMCTL_BUILD must be set (make exports it)}"

CONF=$VMMCTL_SRC/tests/conformance
TOOLS=${VMMCTL_PY_VENV:-$VMMCTL_SRC/.tools/venv}
export PYTHONDONTWRITEBYTECODE=1

atf_test_case python_ruff
python_ruff_head()
{
	atf_set descr "ruff check and ruff format --check are clean on the runner and the Python driver"
}
python_ruff_body()
{
	[ -x "$TOOLS/bin/ruff" ] || atf_fail "$TOOLS/bin/ruff missing: run make deps"
	cd "$CONF" || atf_fail "no $CONF"
	atf_check -o ignore "$TOOLS/bin/ruff" check --no-cache \
	    conformance.py drivers/python/driver.py
	atf_check -o ignore "$TOOLS/bin/ruff" format --check --no-cache \
	    conformance.py drivers/python/driver.py
}

atf_test_case python_mypy
python_mypy_head()
{
	atf_set descr "mypy --strict is clean on the runner and the Python driver"
	atf_set timeout 300
}
python_mypy_body()
{
	[ -x "$TOOLS/bin/mypy" ] || atf_fail "$TOOLS/bin/mypy missing: run make deps"
	cd "$CONF" || atf_fail "no $CONF"
	atf_check -o ignore env MYPYPATH="$VMMCTL_SRC/bindings/python/src" \
	    "$TOOLS/bin/mypy" --strict --no-incremental --cache-dir=/dev/null \
	    conformance.py drivers/python/driver.py
}

atf_test_case go_fmt_vet
go_fmt_vet_head()
{
	atf_set descr "gofmt and go vet are clean on the Go driver"
	atf_set timeout 300
}
go_fmt_vet_body()
{
	[ -n "${VMMCTL_GO:-}" ] || atf_skip "VMMCTL_GO unset: run under make"
	cd "$CONF/drivers/go" || atf_fail "no Go driver"
	atf_check -o empty "$(dirname "$VMMCTL_GO")/gofmt" -l .
	atf_check env CGO_ENABLED=1 CGO_CFLAGS="$VMMCTL_GO_CGO_CFLAGS" \
	    CGO_LDFLAGS="$VMMCTL_GO_CGO_LDFLAGS" \
	    GOFLAGS="-buildvcs=false -mod=mod" GOPROXY=off "$VMMCTL_GO" vet .
}

atf_test_case rust_fmt_clippy
rust_fmt_clippy_head()
{
	atf_set descr "rustfmt and clippy -D warnings are clean on the Rust driver"
	atf_set timeout 600
}
rust_fmt_clippy_body()
{
	[ -n "${CARGO_HOME:-}" ] || atf_skip "CARGO_HOME unset: run under make"
	export PATH="$CARGO_HOME/bin:$PATH"
	export CARGO_TARGET_DIR="$VMMCTL_BUILD/conformance/rust"
	cd "$CONF/drivers/rust" || atf_fail "no Rust driver"
	atf_check cargo fmt --check
	atf_check -e ignore cargo clippy --offline --locked --quiet \
	    -- -D warnings
}

atf_init_test_cases()
{
	atf_add_test_case python_ruff
	atf_add_test_case python_mypy
	atf_add_test_case go_fmt_vet
	atf_add_test_case rust_fmt_clippy
}
