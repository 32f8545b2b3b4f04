/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * vmmctl_kern_check_name(), the name rule libvmmctl shares with the kernel
 * (create 9: devfs's MAKEDEV_CHECKNAME for "vmm/<name>", '/' refused by
 * the model; termination within the buffer, which the kernel guarantees by
 * cutting and the library by refusing over-long names).
 */

#include <errno.h>
#include <string.h>

#include <atf-c.h>

#include "vmmctl_kern.h"

ATF_TC_WITHOUT_HEAD(name_good);
ATF_TC_BODY(name_good, tc)
{
	static const char *const good[] = { "a", "vm0", "...", ".a", "a.",
	    "-", "\xc3\xa9t\xc3\xa9", "a\\b", "a:b", "a'b", "a\x7f",
	    "a\x1f", "\xa0", "\x85" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_EQ_MSG(vmmctl_kern_check_name(good[i],
		    VM_MAX_NAMELEN + 1), 0, "\"%s\"", good[i]);
}

ATF_TC_WITHOUT_HEAD(name_bad);
ATF_TC_BODY(name_bad, tc)
{
	static const char *const bad[] = { "", "/", ".", "..", "a/b", "a/",
	    "/a", "./a", "a b", " ", "a\tb", "a\nb", "a\vb", "a\fb",
	    "a\rb", "\"", "a\"", "\"a" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(vmmctl_kern_check_name(bad[i],
		    VM_MAX_NAMELEN + 1), EINVAL, "\"%s\"", bad[i]);
	ATF_CHECK_EQ(vmmctl_kern_check_name(NULL, 10), EINVAL);
	ATF_CHECK_EQ(vmmctl_kern_check_name("a", 0), EINVAL);
}

ATF_TC_WITHOUT_HEAD(name_length);
ATF_TC_BODY(name_length, tc)
{
	char buf[VM_MAX_NAMELEN + 1];

	/* 229 bytes and the NUL fill the buffer exactly: fine. */
	memset(buf, 'n', VM_MAX_NAMELEN);
	buf[VM_MAX_NAMELEN] = '\0';
	ATF_CHECK_EQ(vmmctl_kern_check_name(buf, sizeof(buf)), 0);
	/* No NUL within the buffer: refused (the kernel cuts it first). */
	buf[VM_MAX_NAMELEN] = 'n';
	ATF_CHECK_EQ(vmmctl_kern_check_name(buf, sizeof(buf)), EINVAL);
	/* The bound is bufsize: "abc" needs 4 bytes. */
	ATF_CHECK_EQ(vmmctl_kern_check_name("abc", 4), 0);
	ATF_CHECK_EQ(vmmctl_kern_check_name("abc", 3), EINVAL);
	/* A '/' after the NUL does not count. */
	memcpy(buf, "ok\0/", 4);
	ATF_CHECK_EQ(vmmctl_kern_check_name(buf, sizeof(buf)), 0);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, name_good);
	ATF_TP_ADD_TC(tp, name_bad);
	ATF_TP_ADD_TC(tp, name_length);
	return (atf_no_error());
}
