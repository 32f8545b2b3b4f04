#! /usr/bin/env atf-sh
# How C programs consume libvmmctl: the public header on its own (C99,
# C11, C++11, included twice, strict warnings), the uninstalled pkg-config
# file with the shared library, and the installed layout.

build_init()
{
	: "${VMMCTL_SRC:?}" "${VMMCTL_BUILD:?}"
	lib=$VMMCTL_BUILD/lib
	# A sanitizer build's library needs the runtimes in the program too.
	san=
	if readelf -d "$lib/libvmmctl.so.1" | grep -q 'libasan'; then
		san="-fsanitize=address,undefined"
	fi
}

write_user()
{
	cat >"$1" <<'EOS'
#include <vmmctl.h>
#include <vmmctl.h>
#include <vmmctl_dev.h>
#include <vmmctl_dev.h>
#include <stdio.h>

int
main(void)
{
	vmmctl_t *h = NULL;
	uint32_t v = vmmctl_version();
	int e;

	e = vmmctl_open("/nonexistent", 0, &h);
	printf("version %u.%u.%u\n", (unsigned)(v >> 16),
	    (unsigned)((v >> 8) & 0xff), (unsigned)(v & 0xff));
	printf("open: %s\n", vmmctl_strerror(e));
	printf("check: %d\n", vmmctl_check_name("ok"));
	return (v == ((VMMCTL_VERSION_MAJOR << 16) |
	    (VMMCTL_VERSION_MINOR << 8) | VMMCTL_VERSION_PATCH) ? 0 : 1);
}
EOS
}

header_check()
{
	std=$1; compiler=$2; ext=$3
	build_init
	{
		echo '#include "vmmctl.h"'
		echo '#include "vmmctl.h"'
		echo '#include "vmmctl_dev.h"'
		echo '#include "vmmctl_dev.h"'
		echo 'int use(vmmctl_t *h);'
		echo 'int use(vmmctl_t *h) { return vmmctl_create(h, "x", VMMCTL_CREATE_PERSISTENT) + (int)sizeof(struct vmmctl_vm_create); }'
	} >t.$ext
	atf_check $compiler -std=$std -Wall -Wextra -Werror -pedantic \
	    -I"$VMMCTL_SRC/capi/include" -I"$VMMCTL_SRC/sys/include" \
	    -c -o t.o t.$ext
	# vmmctl.h alone needs nothing else, not even vmmctl_dev.h's path.
	printf '#include "vmmctl.h"\n#include "vmmctl.h"\nint x;\n' >u.$ext
	atf_check $compiler -std=$std -Wall -Wextra -Werror -pedantic \
	    -I"$VMMCTL_SRC/capi/include" -c -o u.o u.$ext
}

atf_test_case header_c99
header_c99_head()
{
	atf_set descr "vmmctl.h and vmmctl_dev.h compile standalone, twice," \
	    "as C99 with -Wall -Wextra -Werror -pedantic"
}
header_c99_body()
{
	header_check c99 "${CC:-cc} -Wstrict-prototypes -Wmissing-prototypes" c
}

atf_test_case header_c11
header_c11_head()
{
	atf_set descr "The headers compile standalone, twice, as C11"
}
header_c11_body()
{
	header_check c11 "${CC:-cc} -Wstrict-prototypes" c
}

atf_test_case header_cxx11
header_cxx11_head()
{
	atf_set descr "The headers compile standalone, twice, as C++11"
	atf_set require.progs "c++"
}
header_cxx11_body()
{
	header_check c++11 "c++" cc
	# extern "C": the symbols are not mangled.
	atf_check -o match:'U vmmctl_create$' nm t.o
}

atf_test_case pkgconfig_shared
pkgconfig_shared_head()
{
	atf_set descr "A program built with pkg-config --cflags --libs against" \
	    "the uninstalled vmmctl.pc links libvmmctl.so.1 and runs"
	atf_set require.progs "pkg-config readelf"
}
pkgconfig_shared_body()
{
	build_init
	write_user user.c
	export PKG_CONFIG_PATH="$lib/pkgconfig"
	atf_check -o save:flags pkg-config --cflags --libs vmmctl
	atf_check -o match:"-L$lib" cat flags
	atf_check -o inline:"1.0.0\n" pkg-config --modversion vmmctl
	atf_check ${CC:-cc} -std=c99 -Wall -Werror $san -o user user.c \
	    $(cat flags)
	atf_check -o match:'NEEDED.*\[libvmmctl\.so\.1\]' readelf -d user
	atf_check -o inline:"version 1.0.0\nopen: No such VM; or no control device at that root (on FreeBSD: vmm(4) is not loaded, or the system predates /dev/vmmctl)\ncheck: 0\n" \
	    env LD_LIBRARY_PATH="$lib" ./user
	# The dynamic loader resolves the versioned symbols.
	atf_check -o match:'vmmctl_open@VMMCTL_1\.0' sh -c "nm -D user"
}

atf_test_case pkgconfig_static
pkgconfig_static_head()
{
	atf_set descr "Linking libvmmctl.a with pkg-config --static works"
	atf_set require.progs "pkg-config"
}
pkgconfig_static_body()
{
	build_init
	write_user user.c
	export PKG_CONFIG_PATH="$lib/pkgconfig"
	atf_check -o match:'-lpthread' pkg-config --static --libs vmmctl
	atf_check ${CC:-cc} -std=c99 -Wall -Werror $san -o user user.c \
	    $(pkg-config --cflags vmmctl) "$lib/libvmmctl.a" \
	    $(pkg-config --static --libs-only-l vmmctl | sed 's/-lvmmctl//')
	atf_check -s exit:1 -o empty sh -c "readelf -d user | grep libvmmctl"
	atf_check -o match:'^version 1.0.0$' ./user
}

atf_test_case install_layout
install_layout_head()
{
	atf_set descr "make install-capi-lib (libvmmctl's step of make install)" \
	    "with DESTDIR and PREFIX lays out the library, headers and .pc"
	atf_set require.progs "make pkg-config readelf"
	atf_set timeout 600
}
install_layout_body()
{
	build_init
	dest=$PWD/dest
	flag=
	[ -n "$san" ] && flag=SANITIZE=1
	atf_check -o ignore -e ignore make -C "$VMMCTL_SRC" \
	    BUILD="$VMMCTL_BUILD" $flag DESTDIR="$dest" PREFIX=/usr/local \
	    install-capi-lib
	p=$dest/usr/local
	for f in lib/libvmmctl.so.1.0.0 lib/libvmmctl.a \
	    include/vmmctl.h include/vmmctl_dev.h lib/pkgconfig/vmmctl.pc; do
		atf_check test -f "$p/$f"
	done
	atf_check -o inline:"libvmmctl.so.1.0.0\n" readlink "$p/lib/libvmmctl.so.1"
	atf_check -o inline:"libvmmctl.so.1.0.0\n" readlink "$p/lib/libvmmctl.so"
	atf_check -o match:'SONAME.*\[libvmmctl\.so\.1\]' \
	    readelf -d "$p/lib/libvmmctl.so.1.0.0"
	atf_check -o match:'^prefix=/usr/local$' cat "$p/lib/pkgconfig/vmmctl.pc"
	atf_check -s exit:1 grep -e "$VMMCTL_SRC" -e "$VMMCTL_BUILD" -e "$dest" \
	    "$p/lib/pkgconfig/vmmctl.pc"
	atf_check cmp "$VMMCTL_SRC/capi/include/vmmctl.h" "$p/include/vmmctl.h"
	# A program built against the installed tree alone.
	write_user user.c
	export PKG_CONFIG_PATH="$p/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
	atf_check -o save:flags pkg-config --cflags --libs vmmctl
	atf_check -o match:"-I$p/include" cat flags
	atf_check ${CC:-cc} -std=c99 -Wall -Werror $san -o user user.c \
	    $(cat flags)
	atf_check -o match:'^version 1.0.0$' \
	    env LD_LIBRARY_PATH="$p/lib" ./user
}

atf_init_test_cases()
{
	atf_add_test_case header_c99
	atf_add_test_case header_c11
	atf_add_test_case header_cxx11
	atf_add_test_case pkgconfig_shared
	atf_add_test_case pkgconfig_static
	atf_add_test_case install_layout
}
