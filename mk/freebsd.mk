# FreeBSD: every part cross-compiled for x86_64-freebsd against FreeBSD's
# own libc headers (those Zig ships), with the native warnings-as-errors
# flags, linked for real and checked to be FreeBSD ELF.  The FreeBSD code
# paths (<sys/ioccom.h>, the character-device transport, getpeereid, any
# #ifdef __FreeBSD__) are compiled, not skipped.  Output: $(BUILD)/freebsd/.
#
#   make freebsd-check       every step below
#   make freebsd-abi-probe   mk/freebsd/abi_probe.c: vmmctl_dev.h's asserts
#                            under FreeBSD's _IOWR, plus IOCPARM_LEN etc.
#   make freebsd-kern-sim    sys/kern/*.c (libkern.a), sys/sim/*.c (vmmctl-sim)
#   make freebsd-libvmmctl   capi/src/*.c: libvmmctl.a, libvmmctl.so.1
#   make freebsd-cli         capi/cli/*.c: vmmctl
#   make freebsd-rust        cargo check --target x86_64-unknown-freebsd
#   make freebsd-go          GOOS=freebsd CC="zig cc ..." go build ./...
#
# tests/freebsd runs each step as one Kyua test case.  The tools come in
# "make deps" (deps-freebsd): Zig from PyPI's ziglang, pinned, into
# .tools/ziglang; the Rust target through rustup.  The steps themselves
# never download anything: they fail, saying so, when a tool is missing.
#
# FREEBSD_PROBE_INC=DIR takes vmmctl_dev.h from DIR for the probe, and
# FREEBSD_PROBE_OUT=FILE puts the probe there (how tests/freebsd proves, on
# scratch copies, that a broken FreeBSD-only line fails the build).

FBSD_ZIG_VERSION := 0.17.1
FBSD_ZIG_DIR	:= $(SRCROOT)/.tools/ziglang
FBSD_ZIG	:= $(FBSD_ZIG_DIR)/ziglang/zig
# vmmctl(4)'s /dev/vmmctl exists from FreeBSD 15 on.
FBSD_TARGET	?= x86_64-freebsd.15.0
FBSD_RUST_TARGET := x86_64-unknown-freebsd
FBSD_CC		:= $(FBSD_ZIG) cc -target $(FBSD_TARGET)
FBSD_AR		:= $(FBSD_ZIG) ar
FBSD		:= $(BUILD)/freebsd
FBSD_CHECK_ELF	:= sh $(SRCROOT)/mk/freebsd/check-elf.sh
FBSD_GUARDS	:= sh $(SRCROOT)/mk/freebsd/guards.sh
FREEBSD_PROBE_INC ?= $(SRCROOT)/sys/include

# Absolute, fixed now: Kyua resets HOME (Zig's default cache is under it).
export ZIG_GLOBAL_CACHE_DIR := $(SRCROOT)/.tools/zig-cache
export ZIG_LOCAL_CACHE_DIR := $(FBSD)/zig-cache

# The native flags: $(WARNS) $(CSTD), the same include path and defines.
FBSD_CFLAGS	= $(CSTD) $(WARNS) -O2 -g $(CPPFLAGS_BASE)
# For C++, those of $(WARNS) that C++ has.
FBSD_CXXWARNS	= $(filter-out -Wstrict-prototypes -Wmissing-prototypes,$(WARNS))

# Sources, by directory: a new file is picked up without editing this.
FBSD_KERN_SRCS	:= $(sort $(wildcard $(SRCROOT)/sys/kern/*.c))
FBSD_SIM_SRCS	:= $(sort $(wildcard $(SRCROOT)/sys/sim/*.c))
FBSD_CAPI_SRCS	:= $(sort $(wildcard $(SRCROOT)/capi/src/*.c))
FBSD_CLI_SRCS	:= $(sort $(wildcard $(SRCROOT)/capi/cli/*.c))
# libvmmctl also carries the kernel's name rule (as capi/Makefile.inc does).
FBSD_CAPI_EXTRA	:= $(SRCROOT)/sys/kern/vmmctl_name.c
FBSD_HDRS	:= $(wildcard $(SRCROOT)/sys/include/*.h \
		   $(SRCROOT)/sys/kern/*.h $(SRCROOT)/sys/sim/*.h \
		   $(SRCROOT)/capi/include/*.h $(SRCROOT)/capi/src/*.h \
		   $(SRCROOT)/capi/cli/*.h) $(SRCROOT)/mk/freebsd.mk

fbsd_obj	= $(patsubst $(SRCROOT)/%.c,$(FBSD)/obj/%.o,$(1))
fbsd_pic	= $(patsubst $(SRCROOT)/%.c,$(FBSD)/obj/%.pic.o,$(1))

FBSD_KERN_OBJS	:= $(call fbsd_obj,$(FBSD_KERN_SRCS))
FBSD_SIM_OBJS	:= $(call fbsd_obj,$(FBSD_SIM_SRCS))
FBSD_CAPI_OBJS	:= $(call fbsd_pic,$(FBSD_CAPI_SRCS) $(FBSD_CAPI_EXTRA))
FBSD_CLI_OBJS	:= $(call fbsd_obj,$(FBSD_CLI_SRCS))

FBSD_KERN_A	:= $(FBSD)/lib/libkern.a
FBSD_SIM	:= $(FBSD)/bin/vmmctl-sim
FBSD_LIBA	:= $(FBSD)/lib/libvmmctl.a
FBSD_SONAME	:= libvmmctl.so.1
FBSD_SO		:= $(FBSD)/lib/libvmmctl.so.1.0.0
FBSD_MAP	:= $(wildcard $(SRCROOT)/capi/vmmctl.map)
FBSD_COMMA	:= ,
FBSD_MAPFLAG	:= $(if $(FBSD_MAP),-Wl$(FBSD_COMMA)--version-script=$(FBSD_MAP))
FBSD_CLI	:= $(FBSD)/bin/vmmctl
FREEBSD_PROBE_OUT ?= $(FBSD)/bin/abi_probe
FBSD_PROBE	:= $(FREEBSD_PROBE_OUT)

.PHONY: freebsd-check freebsd-tools freebsd-abi-probe freebsd-kern-sim \
	freebsd-libvmmctl freebsd-cli freebsd-rust freebsd-go deps-freebsd

freebsd-check: deps-freebsd
	@$(MAKE) --no-print-directory freebsd-abi-probe freebsd-kern-sim \
	    freebsd-libvmmctl freebsd-cli freebsd-rust freebsd-go
	@echo "freebsd-check: passed ($(FBSD_TARGET))"

# --- tools --------------------------------------------------------------
# Zig from PyPI (ziglang), pinned; installed only when missing or another
# version.  The Rust standard library for the FreeBSD target, when rustup
# and Rust are here (bindings/rust's fragment sets CARGO_HOME/RUSTUP_HOME).
DEPS_TARGETS	+= deps-freebsd
deps-freebsd:
	@if [ "$$($(FBSD_ZIG) version 2>/dev/null)" != "$(FBSD_ZIG_VERSION)" ]; then \
	    echo "deps: installing ziglang==$(FBSD_ZIG_VERSION) into $(FBSD_ZIG_DIR)" >&2; \
	    python3 -m pip --version >/dev/null 2>&1 || \
	        $(APT) /usr/lib/python3/dist-packages/pip:python3-pip; \
	    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
	        --no-warn-script-location --upgrade --target $(FBSD_ZIG_DIR) \
	        ziglang==$(FBSD_ZIG_VERSION) && \
	    test "$$($(FBSD_ZIG) version)" = "$(FBSD_ZIG_VERSION)"; \
	fi
	@w=$(ZIG_GLOBAL_CACHE_DIR)/vmmctl-warm-$(FBSD_TARGET); \
	if [ ! -f $$w ]; then \
	    echo "deps: building Zig's FreeBSD libc stubs for $(FBSD_TARGET) (once)" >&2; \
	    mkdir -p $(ZIG_GLOBAL_CACHE_DIR) && \
	    printf 'int main(void) { return 0; }\n' >$$w.c && \
	    $(FBSD_CC) -o $$w.out $$w.c && rm -f $$w.c $$w.out && touch $$w; \
	fi
	@r=$$(PATH="$(CARGO_HOME)/bin:$$PATH" command -v rustup || true); \
	if [ -n "$$r" ] && ! $$r target list --installed 2>/dev/null | \
	    grep -qx $(FBSD_RUST_TARGET); then \
	    echo "deps: rustup target add $(FBSD_RUST_TARGET)" >&2; \
	    $$r target add $(FBSD_RUST_TARGET); \
	fi

# What every step checks first: no downloads here.
freebsd-tools:
	@test "$$($(FBSD_ZIG) version 2>/dev/null)" = "$(FBSD_ZIG_VERSION)" || \
	    { echo "freebsd: zig $(FBSD_ZIG_VERSION) is not in $(FBSD_ZIG_DIR):" \
	    "run 'make deps'" >&2; exit 1; }

# --- C: compile and link ------------------------------------------------
$(FBSD)/obj/%.o: $(SRCROOT)/%.c $(FBSD_HDRS) | freebsd-tools
	@mkdir -p $(@D)
	$(FBSD_CC) $(FBSD_CFLAGS) -c -o $@ $<

$(FBSD)/obj/%.pic.o: $(SRCROOT)/%.c $(FBSD_HDRS) | freebsd-tools
	@mkdir -p $(@D)
	$(FBSD_CC) $(FBSD_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(FBSD_KERN_A): $(FBSD_KERN_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(FBSD_AR) rcs $@ $(FBSD_KERN_OBJS)

$(FBSD_SIM): $(FBSD_SIM_OBJS) $(FBSD_KERN_A)
	@mkdir -p $(@D)
	$(FBSD_CC) -o $@ $(FBSD_SIM_OBJS) $(FBSD_KERN_A)

$(FBSD_LIBA): $(FBSD_CAPI_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(FBSD_AR) rcs $@ $(FBSD_CAPI_OBJS)

$(FBSD_SO): $(FBSD_CAPI_OBJS) $(FBSD_MAP) $(SRCROOT)/mk/freebsd.mk
	@mkdir -p $(@D)
	$(FBSD_CC) -shared -Wl,-soname,$(FBSD_SONAME) \
	    $(FBSD_MAPFLAG) -Wl,-z,defs \
	    -o $@ $(FBSD_CAPI_OBJS) -lpthread
	ln -sf libvmmctl.so.1.0.0 $(FBSD)/lib/libvmmctl.so.1
	ln -sf libvmmctl.so.1.0.0 $(FBSD)/lib/libvmmctl.so

$(FBSD_CLI): $(FBSD_CLI_OBJS) $(FBSD_LIBA)
	@mkdir -p $(@D)
	$(FBSD_CC) -o $@ $(FBSD_CLI_OBJS) $(FBSD_LIBA) -lpthread

# The probe: only its own directory and the chosen vmmctl_dev.h on the
# include path, so the header must bring FreeBSD's <sys/ioccom.h> itself.
$(FBSD_PROBE): $(SRCROOT)/mk/freebsd/abi_probe.c \
    $(FREEBSD_PROBE_INC)/vmmctl_dev.h $(SRCROOT)/sys/sim/vmmctl_sim_proto.h \
    | freebsd-tools
	@mkdir -p $(@D)
	$(FBSD_CC) $(CSTD) $(WARNS) -O2 -I$(FREEBSD_PROBE_INC) \
	    -I$(SRCROOT)/sys/sim -o $@ $(SRCROOT)/mk/freebsd/abi_probe.c

# --- the steps ------------------------------------------------------------
# The probe is always rebuilt: it is a compile-time test, and
# FREEBSD_PROBE_INC may point at another header than last time.
# Then the public headers, standalone (each included twice) for FreeBSD, as
# C99 and as C++11 with the same warnings: the header test's native checks,
# under FreeBSD's headers.
FBSD_PUB_HDRS	:= $(SRCROOT)/sys/include/vmmctl_dev.h \
		   $(SRCROOT)/capi/include/vmmctl.h
freebsd-abi-probe: freebsd-tools
	@rm -f $(FBSD_PROBE)
	@$(MAKE) --no-print-directory $(FBSD_PROBE)
	@$(FBSD_CHECK_ELF) exec $(FBSD_PROBE)
	@mkdir -p $(FBSD)/obj/headers
	@for h in $(FBSD_PUB_HDRS); do \
	    b=$(FBSD)/obj/headers/$$(basename $$h .h); \
	    printf '#include "%s"\n#include "%s"\n' $$h $$h >$$b.c; \
	    cp $$b.c $$b.cc; \
	    echo "$(FBSD_CC) $(CSTD) $(WARNS) -c -o $$b.o $$b.c"; \
	    $(FBSD_CC) $(CSTD) $(WARNS) -c -o $$b.o $$b.c || exit 1; \
	    echo "$(FBSD_ZIG) c++ -target $(FBSD_TARGET) -std=c++11 $(FBSD_CXXWARNS) -c -o $$b.cc.o $$b.cc"; \
	    $(FBSD_ZIG) c++ -target $(FBSD_TARGET) -std=c++11 $(FBSD_CXXWARNS) \
	        -c -o $$b.cc.o $$b.cc || exit 1; \
	done
	@echo "freebsd: $(notdir $(FBSD_PUB_HDRS)) compile standalone as C99 and C++11"

# Each C step also refuses misspelt FreeBSD guards in its sources, and
# checks that the FreeBSD code paths were linked in: the simulator's peer
# credentials (getpeereid, or getsockopt for LOCAL_PEERCRED), libvmmctl's
# character-device transport (ioctl) and its socket transport (connectat
# through the root's descriptor, getpeereid for who listens).
freebsd-kern-sim: $(FBSD_KERN_A) $(FBSD_SIM)
	@$(FBSD_GUARDS) $(SRCROOT)/sys
	@$(FBSD_CHECK_ELF) ar $(FBSD_KERN_A)
	@$(FBSD_CHECK_ELF) exec $(FBSD_SIM)
	@$(FBSD_CHECK_ELF) uses $(FBSD_SIM) 'getpeereid|getsockopt'

# Exports: exactly the version script's, under its version node.
freebsd-libvmmctl: $(FBSD_LIBA) $(FBSD_SO)
	@$(FBSD_GUARDS) $(SRCROOT)/capi/src $(SRCROOT)/capi/include
	@$(FBSD_CHECK_ELF) ar $(FBSD_LIBA)
	@$(FBSD_CHECK_ELF) shlib $(FBSD_SO)
	@$(FBSD_CHECK_ELF) uses $(FBSD_SO) ioctl connectat getpeereid
	@readelf -d $(FBSD_SO) | grep -q 'Library soname: \[$(FBSD_SONAME)\]' || \
	    { echo "freebsd: $(FBSD_SO) has no SONAME $(FBSD_SONAME)" >&2; exit 1; }
	@readelf --dyn-syms -W $(FBSD_SO) | \
	    awk '$$5 == "GLOBAL" && $$7 != "UND" { print $$8 }' | \
	    sed 's/@.*//' | sort >$(FBSD)/lib/exports.txt
	@grep -q '^vmmctl_open$$' $(FBSD)/lib/exports.txt || \
	    { echo "freebsd: vmmctl_open is not exported" >&2; exit 1; }
	@! grep -v '^vmmctl_\|^VMMCTL_' $(FBSD)/lib/exports.txt || \
	    { echo "freebsd: exports beyond vmmctl_*: see above" >&2; exit 1; }
	@if [ -n "$(FBSD_MAP)" ]; then \
	    readelf --dyn-syms -W $(FBSD_SO) | grep -q 'vmmctl_open@@VMMCTL_1.0' || \
	    { echo "freebsd: vmmctl_open is not versioned VMMCTL_1.0" >&2; exit 1; }; \
	fi
	@echo "$(FBSD_SO): exports $$(wc -l <$(FBSD)/lib/exports.txt) symbols"

freebsd-cli: $(FBSD_CLI)
	@$(FBSD_GUARDS) $(SRCROOT)/capi/cli
	@$(FBSD_CHECK_ELF) exec $(FBSD_CLI)
	@$(FBSD_CHECK_ELF) uses $(FBSD_CLI) ioctl

# Rust: the whole workspace, every target (library, tests, examples),
# type-checked for FreeBSD; vmmctl-sys/build.rs compiles its bundled C
# (csrc/) for FreeBSD with zig cc through the cc crate, as a user's
# cross build would (CRATE_CC_NO_DEFAULTS: cc's own --target=<rust triple>
# is not one zig knows; the -target given here is).
FBSD_RUST_DIR	:= $(SRCROOT)/bindings/rust
FBSD_RUST_TV	:= $(subst -,_,$(FBSD_RUST_TARGET))
freebsd-rust:
	@if [ ! -f $(FBSD_RUST_DIR)/Cargo.toml ]; then \
	    echo "freebsd-rust: skipped: no bindings/rust/Cargo.toml"; exit 0; fi; \
	cargo=$(or $(RUST_CARGO),cargo); \
	r=$$(PATH="$(CARGO_HOME)/bin:$$PATH" command -v rustup || true); \
	if [ -n "$$r" ] && ! $$r target list --installed 2>/dev/null | \
	    grep -qx $(FBSD_RUST_TARGET); then \
	    echo "freebsd-rust: the Rust target $(FBSD_RUST_TARGET) is not" \
	        "installed: run 'make deps'" >&2; exit 1; fi; \
	cd $(FBSD_RUST_DIR) && \
	PATH="$(CARGO_HOME)/bin:$$PATH" CARGO_TARGET_DIR=$(FBSD)/rust \
	CRATE_CC_NO_DEFAULTS=1 CC_$(FBSD_RUST_TV)="$(FBSD_CC)" \
	AR_$(FBSD_RUST_TV)="$(FBSD_AR)" \
	    $$cargo check --offline --quiet --workspace --all-targets \
	    --target $(FBSD_RUST_TARGET) && \
	echo "freebsd-rust: cargo check --target $(FBSD_RUST_TARGET): ok"

# Go: cgo with zig cc as the FreeBSD C compiler and linker, compiling the
# module's bundled C (internal/cabi) for FreeBSD.  Every package, the test
# binaries compiled too, and the demo program and the Go vmmctl-sim linked
# as FreeBSD executables.
FBSD_GO_DIR	:= $(SRCROOT)/bindings/go
FBSD_GO_ENV	= GOOS=freebsd GOARCH=amd64 CGO_ENABLED=1 GOTOOLCHAIN=local \
		  GOFLAGS="-buildvcs=false -mod=mod" GOPROXY=off \
		  CC="$(FBSD_CC)" CGO_CFLAGS="-O2 -g" CGO_LDFLAGS=
freebsd-go: | freebsd-tools
	@if [ ! -f $(FBSD_GO_DIR)/go.mod ]; then \
	    echo "freebsd-go: skipped: no bindings/go/go.mod"; exit 0; fi; \
	go=$(or $(GO_CMD),go); \
	cd $(FBSD_GO_DIR) && \
	$(FBSD_GO_ENV) $$go build ./... && \
	$(FBSD_GO_ENV) $$go test -c -o $(FBSD)/go/vmmctl.test . && \
	$(FBSD_GO_ENV) $$go test -c -o $(FBSD)/go/vmmctltest.test \
	    ./vmmctltest && \
	$(FBSD_GO_ENV) $$go build -o $(FBSD)/go/vmmctl-sim ./cmd/vmmctl-sim && \
	$(FBSD_GO_ENV) $$go test -c -o $(FBSD)/go/vmmctl-sim.test \
	    ./cmd/vmmctl-sim && \
	if [ -d cmd/vmmctl-go-demo ]; then \
	    $(FBSD_GO_ENV) $$go build \
	        -o $(FBSD)/bin/vmmctl-go-demo ./cmd/vmmctl-go-demo && \
	    $(FBSD_CHECK_ELF) exec $(FBSD)/bin/vmmctl-go-demo && \
	    $(FBSD_CHECK_ELF) uses $(FBSD)/bin/vmmctl-go-demo ioctl; \
	fi && \
	$(FBSD_CHECK_ELF) exec $(FBSD)/go/vmmctl.test && \
	$(FBSD_CHECK_ELF) exec $(FBSD)/go/vmmctltest.test && \
	$(FBSD_CHECK_ELF) exec $(FBSD)/go/vmmctl-sim && \
	$(FBSD_CHECK_ELF) exec $(FBSD)/go/vmmctl-sim.test && \
	echo "freebsd-go: go build ./... (GOOS=freebsd, cgo): ok"

CLEAN_DIRS	+= $(FBSD)
