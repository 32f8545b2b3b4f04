#! /usr/bin/env atf-sh
# The shared ABI description (abi.json) against the headers, and the
# exported interface of libvmmctl.so.1 against the header, the version
# script and the committed abidw baseline.

abi_init()
{
	: "${VMMCTL_SRC:?}" "${VMMCTL_BUILD:?}"
	gen="$VMMCTL_SRC/tests/abi/gen-abi"
	json="$VMMCTL_SRC/tests/abi/abi.json"
	chk="$VMMCTL_SRC/tests/abi/abi-check.sh"
	# Linking a sanitizer build's archive needs the runtimes.
	san=
	if readelf -d "$VMMCTL_BUILD/lib/libvmmctl.so.1" | grep -q libasan; then
		san="-fsanitize=address,undefined"
	fi
}

atf_test_case regenerate_unchanged
regenerate_unchanged_head()
{
	atf_set descr "Regenerating abi.json from the headers changes nothing"
}
regenerate_unchanged_body()
{
	abi_init
	atf_check -o save:abi.json python3 "$gen"
	atf_check -o empty diff -u "$json" abi.json
	atf_check -o match:'"VMMCTL_VM_CREATE": 3240646144' cat abi.json
	atf_check -o match:'"name": "vmmctl_strerror"' cat abi.json
}

# The C program is generated from abi.json's values and fails to compile
# (or exits non-zero) where the headers disagree.
atf_test_case values_checked_in_c
values_checked_in_c_head()
{
	atf_set descr "A C program compiled against the headers checks every" \
	    "constant, size, alignment, offset, member type and prototype" \
	    "of abi.json"
}
values_checked_in_c_body()
{
	abi_init
	atf_check -o save:check.c python3 "$gen" --check-c "$json"
	atf_check ${CC:-cc} -std=c11 -Wall -Wextra -Werror -pedantic $san \
	    -I"$VMMCTL_SRC/capi/include" -I"$VMMCTL_SRC/sys/include" \
	    -o check check.c "$VMMCTL_BUILD/lib/libvmmctl.a" -lpthread
	atf_check -o save:out ./check
	atf_check -o match:'^12 functions typed$' cat out
	atf_check -s exit:1 grep MISMATCH out
	# 11 constants, 2 sizes + 2 alignments, 5 fields x (offset, size)
	atf_check -o inline:"25\n" sh -c 'grep -c "^ok " out'
}

atf_test_case check_catches_drift
check_catches_drift_head()
{
	atf_set descr "The C check fails on a wrong value and a wrong type"
}
check_catches_drift_body()
{
	abi_init
	sed 's/"VMMCTL_NAME_MAX": 229/"VMMCTL_NAME_MAX": 228/' "$json" >v.json
	atf_check -o save:v.c python3 "$gen" --check-c v.json
	atf_check ${CC:-cc} -std=c11 $san -I"$VMMCTL_SRC/capi/include" \
	    -I"$VMMCTL_SRC/sys/include" -o v v.c \
	    "$VMMCTL_BUILD/lib/libvmmctl.a" -lpthread
	atf_check -s exit:1 -o match:'MISMATCH VMMCTL_NAME_MAX' ./v
	sed 's/"type": "size_t \*"/"type": "int *"/' "$json" >t.json
	atf_check -o save:t.c python3 "$gen" --check-c t.json
	atf_check -s not-exit:0 -e match:'incompatible' \
	    ${CC:-cc} -std=c11 -Werror -I"$VMMCTL_SRC/capi/include" \
	    -I"$VMMCTL_SRC/sys/include" -c -o t.o t.c
}

atf_test_case exported_symbols
exported_symbols_head()
{
	atf_set descr "libvmmctl.so.1 exports exactly vmmctl.h's functions," \
	    "all under VMMCTL_1.0"
	atf_set require.progs "nm readelf"
}
exported_symbols_body()
{
	abi_init
	atf_check -o match:'^symbols: 12 functions, all @@VMMCTL_1.0$' \
	    sh "$chk" symbols
}

atf_test_case version_script
version_script_head()
{
	atf_set descr "capi/vmmctl.map lists exactly vmmctl.h's functions"
}
version_script_body()
{
	abi_init
	atf_check -o match:'^map: 12 functions in VMMCTL_1.0$' sh "$chk" map
}

atf_test_case leak_detected
leak_detected_head()
{
	atf_set descr "The symbols check fails for a library linked without" \
	    "the version script and with one extra exported function"
	atf_set require.progs "nm readelf"
}
leak_detected_body()
{
	abi_init
	mkdir -p fake/lib
	echo 'int vmmctl_extra(void); int vmmctl_extra(void) { return 0; }' \
	    >extra.c
	atf_check ${CC:-cc} -fPIC -c -o extra.o extra.c
	atf_check ${CC:-cc} -shared $san -Wl,-soname,libvmmctl.so.1 \
	    -o fake/lib/libvmmctl.so.1 "$VMMCTL_BUILD"/obj/capi/*.pic.o \
	    extra.o -lpthread
	atf_check -s exit:1 -o ignore -e save:err \
	    env VMMCTL_BUILD="$PWD/fake" sh "$chk" symbols
	atf_check -o match:'vmmctl_extra' -o match:'no version node' cat err
	# And the real library passes the same check.
	atf_check -o ignore sh "$chk" symbols
}

atf_test_case abidiff_baseline
abidiff_baseline_head()
{
	atf_set descr "abidiff against the committed tests/abi/libvmmctl.abi" \
	    "finds no ABI change"
	atf_set require.progs "abidw abidiff"
}
abidiff_baseline_body()
{
	abi_init
	atf_check -o match:'^abidiff: no change' sh "$chk" abidiff
}

atf_init_test_cases()
{
	atf_add_test_case regenerate_unchanged
	atf_add_test_case values_checked_in_c
	atf_add_test_case check_catches_drift
	atf_add_test_case exported_symbols
	atf_add_test_case version_script
	atf_add_test_case leak_detected
	atf_add_test_case abidiff_baseline
}
