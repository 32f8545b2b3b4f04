#! /usr/bin/env atf-sh
#
# "make install" as a user runs it: in a fresh clone of the committed HEAD
# (make never run there), with the network unreachable and only a C
# toolchain, make and POSIX utilities on PATH; then the installed tree is
# used alone: a C program built with pkg-config against it, run against the
# installed vmmctl-sim.

. "$VMMCTL_SRC/tests/lib/testsim.subr"

# The only programs "make install" may run: a C compiler (with its
# assembler and linker), ar, make and the shell utilities of its recipes.
# No apt, pip, python, cargo, rustup, go, zig, curl or git.
TOOLBOX="make cc as ld ar sh install ln sed mkdir rm chmod mv"

# The public functions of vmmctl.h, one a line, as tests/cli/man_test reads
# them.
header_functions()
{
	sed -n 's/^[^ #*].*[[:space:]*]\(vmmctl_[a-z_]*\)(.*/\1/p' "$1" | sort -u
}

# Sets $src (the clone), $dest (DESTDIR) and $libdir (LIBDIR), and runs
# make install there, offline.
fresh_install()
{
	: "${VMMCTL_SRC:?}"
	rev=$(git -C "$VMMCTL_SRC" rev-parse HEAD) ||
	    atf_fail "$VMMCTL_SRC is not a git checkout"
	src=$PWD/src
	dest=$PWD/dest
	atf_check git clone -q --no-checkout "$VMMCTL_SRC" "$src"
	atf_check git -C "$src" checkout -q --detach "$rev"
	atf_check test ! -e "$src/build"
	atf_check test ! -e "$src/.tools"

	# Debian's multiarch directory, else another non-default LIBDIR.
	ma=$(cc -print-multiarch 2>/dev/null) || ma=
	if [ -n "$ma" ]; then
		libdir=/usr/lib/$ma
	else
		libdir=/usr/lib64
	fi

	mkdir -p toolbox home
	for t in $TOOLBOX; do
		p=$(command -v "$t") || atf_fail "no $t on PATH"
		ln -s "$p" "toolbox/$t"
	done

	# A network namespace of its own (only a loopback, down) when we may
	# make one; the toolbox alone has no program that could download.
	netns=
	if unshare -n true 2>/dev/null; then
		netns="unshare -n"
	elif unshare -rn true 2>/dev/null; then
		netns="unshare -rn"
	else
		echo "no network namespace here: offline by the toolbox only" >&2
	fi

	atf_check -o save:install.out -e save:install.err $netns \
	    env -i PATH="$PWD/toolbox" HOME="$PWD/home" \
	    make -C "$src" -j2 install DESTDIR="$dest" PREFIX=/usr \
	    LIBDIR="$libdir"
}

atf_test_case offline_layout
offline_layout_head()
{
	atf_set descr "In a fresh clone, make install with no network and only" \
	    "cc and make installs the libraries, headers, vmmctl.pc, the" \
	    "programs into bin and the man pages with a link per function"
	atf_set require.progs "git pkg-config readelf"
	atf_set timeout 900
}
offline_layout_body()
{
	fresh_install
	u=$dest/usr
	l=$dest$libdir
	m=$u/share/man
	fns=$(header_functions "$src/capi/include/vmmctl.h")
	[ "$(echo "$fns" | wc -l)" -ge 12 ] || atf_fail "functions: $fns"

	# Exactly these files, nothing elsewhere (no sbin, no lib/ beside
	# LIBDIR).
	{
		echo "$dest/usr/bin/vmmctl"
		echo "$dest/usr/bin/vmmctl-sim"
		echo "$dest/usr/include/vmmctl.h"
		echo "$dest/usr/include/vmmctl_dev.h"
		for f in libvmmctl.a libvmmctl.so libvmmctl.so.1 \
		    libvmmctl.so.1.0.0 pkgconfig/vmmctl.pc; do
			echo "$l/$f"
		done
		echo "$m/man1/vmmctl.1"
		echo "$m/man1/vmmctl-sim.1"
		echo "$m/man3/vmmctl.3"
		for f in $fns; do
			echo "$m/man3/$f.3"
		done
	} | sort >expected
	find "$dest" ! -type d | sort >installed
	atf_check -o empty diff expected installed

	# The libraries.
	atf_check -o inline:"libvmmctl.so.1.0.0\n" readlink "$l/libvmmctl.so.1"
	atf_check -o inline:"libvmmctl.so.1.0.0\n" readlink "$l/libvmmctl.so"
	atf_check -o match:'SONAME.*\[libvmmctl\.so\.1\]' \
	    readelf -d "$l/libvmmctl.so.1.0.0"
	atf_check -o match:'^vmmctl\.pic\.o$' ar t "$l/libvmmctl.a"

	# The headers, as in the source.
	atf_check cmp "$src/capi/include/vmmctl.h" "$u/include/vmmctl.h"
	atf_check cmp "$src/sys/include/vmmctl_dev.h" "$u/include/vmmctl_dev.h"

	# vmmctl.pc names LIBDIR and INCLUDEDIR, nothing of the build.
	export PKG_CONFIG_LIBDIR="$l/pkgconfig"
	unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
	atf_check -o inline:"$libdir\n" pkg-config --variable=libdir vmmctl
	atf_check -o inline:"/usr/include\n" \
	    pkg-config --variable=includedir vmmctl
	atf_check -o inline:"/usr\n" pkg-config --variable=prefix vmmctl
	atf_check -s exit:1 grep -e "$src" -e "$dest" "$l/pkgconfig/vmmctl.pc"

	# The programs run.
	atf_check -o match:'vmmctl-sim' "$u/bin/vmmctl-sim" --help
	atf_check -o match:'^library 1\.0\.0$' "$u/bin/vmmctl" version

	# The pages, as in the source; every function's page is a link that
	# resolves to vmmctl.3.
	atf_check cmp "$src/capi/man/vmmctl.3" "$m/man3/vmmctl.3"
	atf_check cmp "$src/capi/man/vmmctl.1" "$m/man1/vmmctl.1"
	atf_check cmp "$src/capi/man/vmmctl-sim.1" "$m/man1/vmmctl-sim.1"
	page=$(cd "$m/man3" && pwd -P)/vmmctl.3
	for f in $fns; do
		atf_check test -L "$m/man3/$f.3"
		atf_check -o inline:"$page\n" readlink -f "$m/man3/$f.3"
	done

	# Nothing was made in the clone but build/ (no .tools, no download).
	atf_check -o inline:"!! build/\n" git -C "$src" status --porcelain \
	    --ignored
}

atf_test_case pkgconfig_program cleanup
pkgconfig_program_head()
{
	atf_set descr "A C program built with pkg-config against the installed" \
	    "tree alone runs against the installed vmmctl-sim"
	atf_set require.progs "git pkg-config"
	atf_set timeout 900
}
pkgconfig_program_body()
{
	fresh_install
	l=$dest$libdir
	cat >prog.c <<'EOF'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vmmctl.h>

int
main(int argc, char **argv)
{
	vmmctl_t *h;
	char buf[512];
	size_t len, off;
	int error, fd;

	if (argc != 2 || vmmctl_version() >> 16 != VMMCTL_VERSION_MAJOR)
		return (2);
	if ((error = vmmctl_open(argv[1], 0, &h)) != 0 ||
	    (error = vmmctl_create(h, "installed0", 0)) != 0 ||
	    (error = vmmctl_vm_open(h, "installed0", &fd)) != 0 ||
	    (error = vmmctl_list(h, buf, sizeof(buf), &len)) != 0) {
		fprintf(stderr, "prog: %s\n", vmmctl_strerror(error));
		return (1);
	}
	for (off = 0; off < len; off += strlen(buf + off) + 1)
		printf("%s\n", buf + off);
	close(fd);
	return (vmmctl_close(h));
}
EOF
	# The installed .pc only, its paths under DESTDIR; /usr/include and
	# the multiarch directory are system directories, kept here because
	# the sysroot prefixes them.
	export PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_LIBDIR="$l/pkgconfig" \
	    PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
	unset PKG_CONFIG_PATH
	atf_check -o save:flags pkg-config --cflags --libs vmmctl
	atf_check -o match:"^-I$dest/usr/include -L$l -lvmmctl *\$" cat flags
	atf_check cc -Wall -Wextra -Werror -o prog prog.c $(cat flags)

	testsim_bin() { echo "$dest/usr/bin/vmmctl-sim"; }
	testsim_start
	# The installed shared library is the one loaded.
	atf_check -o match:"libvmmctl\.so\.1 => $l/libvmmctl\.so\.1 " \
	    env LD_LIBRARY_PATH="$l" LD_TRACE_LOADED_OBJECTS=1 ./prog
	atf_check -o inline:"installed0\n" \
	    env LD_LIBRARY_PATH="$l" ./prog "$TESTSIM_ROOT"
	# Its VM was descriptor-scoped: gone with the program.  The installed
	# vmmctl command sees the same simulator.
	v=$dest/usr/bin/vmmctl
	atf_check -o empty "$v" -r "$TESTSIM_ROOT" list
	atf_check -o inline:"scoped0\n" "$v" -r "$TESTSIM_ROOT" run scoped0 -- \
	    "$v" -r "$TESTSIM_ROOT" list
	testsim_stop
}
pkgconfig_program_cleanup()
{
	testsim_cleanup
}

atf_test_case variables
variables_head()
{
	atf_set descr "make -n install: PREFIX moves every directory, each of" \
	    "BINDIR LIBDIR INCLUDEDIR MANDIR moves its own, and nothing but" \
	    "the C build is behind install"
	atf_set require.progs "make"
}
variables_body()
{
	: "${VMMCTL_SRC:?}"
	run() {
		atf_check -o save:n.out env -i PATH="$PATH" make -n -C \
		    "$VMMCTL_SRC" BUILD="$PWD/build" DESTDIR=/D "$@" install
	}
	run PREFIX=/opt/v
	for d in /D/opt/v/bin /D/opt/v/lib/pkgconfig /D/opt/v/include \
	    /D/opt/v/share/man/man1 /D/opt/v/share/man/man3 \
	    '/D/opt/v/bin/vmmctl-sim' 's|@LIBDIR@|${prefix}/lib|' \
	    's|@INCLUDEDIR@|${prefix}/include|' 's|@PREFIX@|/opt/v|'; do
		grep -qF -- "$d" n.out || atf_fail "make -n install: no $d"
	done
	atf_check -s exit:1 grep -wE \
	    'apt|apt-get|pip|cargo|rustup|zig|go|python3?|deps[-a-z]*' n.out

	run PREFIX=/p BINDIR=/b LIBDIR=/l INCLUDEDIR=/i MANDIR=/m
	for d in '/D/b/vmmctl-sim' /D/l/pkgconfig /D/i /D/m/man1 /D/m/man3 \
	    's|@LIBDIR@|/l|' 's|@INCLUDEDIR@|/i|'; do
		grep -qF -- "$d" n.out || atf_fail "make -n install: no $d"
	done
	atf_check -s exit:1 grep -F /D/p/ n.out
}

atf_init_test_cases()
{
	atf_add_test_case offline_layout
	atf_add_test_case pkgconfig_program
	atf_add_test_case variables
}
