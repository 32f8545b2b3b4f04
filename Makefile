# vmmctl — every entry point.  Areas add their rules in */Makefile.inc:
# sys/ (kernel core + simulator), capi/ (library, command, man pages),
# bindings/*/, bench/, and each test suite's beside it in
# tests/<area>/Makefile.inc (through mk/atf.mk's macros, as FreeBSD's
# bsd.test.mk).  Each fragment appends to the lists below.  No fragment
# depends on the order they are included in: what one uses of another's
# is named in mk/libnames.mk, and the aggregate targets at the end
# (test, demo-prep ...) are defined after every fragment.
#
#   make            build everything (installs missing tools first: deps)
#   make demo       the main job, on a private simulator
#   make test       every test under Kyua; last line "N passed, N failed"
#   make bench      benchmarks (bench/)
#   make install    the C library, headers, vmmctl.pc, the programs and the
#                   man pages; needs a C compiler and make only (no deps)
#   make SANITIZE=1 ...   ASan+UBSan build in build-san/

SRCROOT		:= $(CURDIR)
BUILD		?= $(SRCROOT)/build$(if $(SANITIZE),-san)

# Where "make install" puts things (GNU and FreeBSD ports conventions;
# MANDIR is the top of the man tree: pages go to $(MANDIR)/man3 ...).
# Deferred, so that PREFIX=/usr alone moves them all.
PREFIX		?= /usr/local
DESTDIR		?=
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man

CC		?= cc
CSTD		:= -std=c99
WARNS		:= -Wall -Wextra -Werror -pedantic -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings
CFLAGS		?= -O2 -g
CPPFLAGS_BASE	:= -D_DEFAULT_SOURCE -D_GNU_SOURCE -I$(SRCROOT)/sys/include \
		   -I$(SRCROOT)/sys/kern -I$(SRCROOT)/sys/sim \
		   -I$(SRCROOT)/capi/include
ifdef SANITIZE
SANFLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
endif
ALL_CFLAGS	= $(CSTD) $(WARNS) $(CFLAGS) $(SANFLAGS) $(CPPFLAGS_BASE) \
		  $(CPPFLAGS)
ALL_LDFLAGS	= $(SANFLAGS) $(LDFLAGS)

# Lists the fragments append to.
ALL_TARGETS	:=	# built by "make all"
TEST_PREP	:=	# built before Kyua runs (test programs into $(BUILD)/tests)
DEPS_TARGETS	:=	# tool installers, each idempotent
INSTALL_TARGETS	:=	# "make install" steps: C only, no tool from deps
			# (use $(DESTDIR)$(BINDIR) etc.)
DEMO_PREP	:=	# built before the demo runs
BINDINGS_TARGETS :=	# "make bindings": regenerate committed generated files
BENCH_TARGETS	:=
CLEAN_DIRS	:= $(SRCROOT)/build $(SRCROOT)/build-san

.PHONY: all deps test test-prep demo bench bindings install clean
.DEFAULT_GOAL	:= all

# The fragments, in sorted order.  FRAGMENT_ORDER=reverse includes them
# backwards: tests/build proves that the rules come out the same.
FRAGMENTS	:= $(sort $(wildcard $(SRCROOT)/*/Makefile.inc \
		   $(SRCROOT)/*/*/Makefile.inc))
ifeq ($(FRAGMENT_ORDER),reverse)
FRAGMENTS	:= $(shell printf '%s\n' $(FRAGMENTS) | sort -r)
endif

include $(wildcard $(SRCROOT)/mk/*.mk)
include $(FRAGMENTS)

all: deps $(ALL_TARGETS)

deps: $(DEPS_TARGETS)

# Tests find what they exercise through these (Kyua passes the environment
# through, resetting only HOME, TMPDIR and the locale).
export VMMCTL_SRC	:= $(SRCROOT)
export VMMCTL_BUILD	:= $(BUILD)
ifdef SANITIZE
export LSAN_OPTIONS	:= suppressions=$(SRCROOT)/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS	:= print_stacktrace=1:halt_on_error=1
endif

# test-prep builds what Kyua runs, for running a part of the tree by hand:
#   make test-prep && cd build/tests && kyua test --kyuafile ../../tests/Kyuafile \
#       --build-root . sim capi
test-prep: all $(TEST_PREP)

test: test-prep
	@sh $(SRCROOT)/tests/run-kyua.sh "$(SRCROOT)" "$(BUILD)"

# Not "all": that builds the bindings and first runs deps (apt, pip, cargo,
# Zig).  Each install step depends on exactly the C files it installs.
install: $(INSTALL_TARGETS)

# The demo script starts a private simulator under $(BUILD)/demo and runs
# each language's bindings/*/demo.sh against it.
.PHONY: demo-prep
demo-prep: $(DEMO_PREP)

demo: all demo-prep
	@sh $(SRCROOT)/capi/cli/demo.sh "$(SRCROOT)" "$(BUILD)"

bindings: $(BINDINGS_TARGETS)

bench: all $(BENCH_TARGETS)

clean:
	rm -rf $(CLEAN_DIRS)
