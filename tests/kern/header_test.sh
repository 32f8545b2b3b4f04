#! /usr/bin/env atf-sh
#
# SPDX-License-Identifier: BSD-2-Clause
#
# sys/include/vmmctl_dev.h, the kernel ABI header, must compile on its own,
# included twice, as C99, C11 and C++11 with every warning an error, and
# must describe FreeBSD's exact layout and command words.  Also: the name
# rule's file agrees with vmmctl_kern.h and needs nothing but libc strings.

: "${CC:=cc}"
: "${CXX:=c++}"
WFLAGS="-Wall -Wextra -Werror -pedantic"

src()
{
	[ -n "${VMMCTL_SRC:-}" ] && [ -f "$VMMCTL_SRC/sys/include/vmmctl_dev.h" ] ||
	    atf_fail "VMMCTL_SRC must name the source tree (make exports it)"
	echo "$VMMCTL_SRC"
}

# Compilers to try: the default one, and clang when it is a different one.
compilers()
{
	echo "$1"
	command -v "$2" >/dev/null 2>&1 && echo "$2"
}

twice()
{
	cat >"$1" <<'END'
#include <vmmctl_dev.h>
#include <vmmctl_dev.h>

int
main(void)
{
	struct vmmctl_vm_create c;
	struct vmmctl_vm_destroy d;

	(void)c;
	(void)d;
	return ((int)(VMMCTL_VM_CREATE & 0) + VM_MAX_NAMELEN - 229);
}
END
}

atf_test_case c99_twice
c99_twice_head()
{
	atf_set descr "vmmctl_dev.h included twice compiles as -std=c99 -pedantic"
}
c99_twice_body()
{
	s=$(src)
	twice t.c
	for cc in $(compilers "$CC" clang); do
		atf_check -o ignore -e empty "$cc" -std=c99 $WFLAGS \
		    -I"$s/sys/include" -o t99 t.c
		atf_check ./t99
	done
}

atf_test_case c11_twice
c11_twice_head()
{
	atf_set descr "vmmctl_dev.h included twice compiles as -std=c11 -pedantic"
}
c11_twice_body()
{
	s=$(src)
	twice t.c
	for cc in $(compilers "$CC" clang); do
		atf_check -o ignore -e empty "$cc" -std=c11 $WFLAGS \
		    -I"$s/sys/include" -o t11 t.c
		atf_check ./t11
	done
}

atf_test_case cxx11_twice
cxx11_twice_head()
{
	atf_set descr "vmmctl_dev.h included twice compiles as -std=c++11 -pedantic"
}
cxx11_twice_body()
{
	s=$(src)
	twice t.cc
	command -v "$CXX" >/dev/null 2>&1 || atf_fail "no C++ compiler $CXX"
	for cxx in $(compilers "$CXX" clang++); do
		atf_check -o ignore -e empty "$cxx" -std=c++11 $WFLAGS \
		    -I"$s/sys/include" -o tcc t.cc
		atf_check ./tcc
	done
}

atf_test_case abi_values
abi_values_head()
{
	atf_set descr "sizes, offsets and command words are FreeBSD's"
}
abi_values_body()
{
	s=$(src)
	cat >abi.c <<'END'
#include <stdio.h>
#include <vmmctl_dev.h>

int
main(void)
{

	printf("create %zu flags %zu reserved %zu\n",
	    sizeof(struct vmmctl_vm_create),
	    offsetof(struct vmmctl_vm_create, flags),
	    offsetof(struct vmmctl_vm_create, reserved));
	printf("destroy %zu reserved %zu\n",
	    sizeof(struct vmmctl_vm_destroy),
	    offsetof(struct vmmctl_vm_destroy, reserved));
	printf("VMMCTL_VM_CREATE 0x%lX\n", (unsigned long)VMMCTL_VM_CREATE);
	printf("VMMCTL_VM_DESTROY 0x%lX\n", (unsigned long)VMMCTL_VM_DESTROY);
	printf("DESTROY_ON_CLOSE 0x%X mask 0x%X namelen %d\n",
	    VMMCTL_CREATE_DESTROY_ON_CLOSE, VMMCTL_FLAGS_MASK,
	    VM_MAX_NAMELEN);
	return (0);
}
END
	atf_check -o ignore -e empty "$CC" -std=c99 $WFLAGS \
	    -I"$s/sys/include" -o abi abi.c
	atf_check -o inline:"create 296 flags 232 reserved 236
destroy 296 reserved 232
VMMCTL_VM_CREATE 0xC1285600
VMMCTL_VM_DESTROY 0xC1285601
DESTROY_ON_CLOSE 0x1 mask 0x1 namelen 229
" ./abi
}

atf_test_case name_rule_standalone
name_rule_standalone_head()
{
	atf_set descr "vmmctl_name.c matches vmmctl_kern.h and uses only libc strings"
}
name_rule_standalone_body()
{
	s=$(src)
	# Its own prototype must agree with the header's.
	atf_check -o ignore -e empty "$CC" -std=c99 $WFLAGS -fPIC \
	    -I"$s/sys/include" -I"$s/sys/kern" \
	    -include "$s/sys/kern/vmmctl_kern.h" \
	    -c -o name.o "$s/sys/kern/vmmctl_name.c"
	# Built alone, it includes nothing of the project.
	atf_check -o ignore -e empty "$CC" -std=c99 $WFLAGS -fPIC \
	    -c -o alone.o "$s/sys/kern/vmmctl_name.c"
	atf_check -o inline:"vmmctl_kern_check_name\n" \
	    sh -c 'nm -g --defined-only alone.o | awk "{ print \$3 }"'
	nm -u alone.o | awk '{ print $2 }' >undef
	while read -r sym; do
		case "$sym" in
		memchr|strlen|strcmp|strncmp|memcmp|memcpy|memset) ;;
		*) atf_fail "vmmctl_name.c needs $sym" ;;
		esac
	done <undef
}

atf_init_test_cases()
{
	atf_add_test_case c99_twice
	atf_add_test_case c11_twice
	atf_add_test_case cxx11_twice
	atf_add_test_case abi_values
	atf_add_test_case name_rule_standalone
}
