/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libFuzzer target: the VM name rule.
 *
 * vmmctl_kern_check_name gets arbitrary bytes in a buffer of exactly the
 * size it is told (a heap copy, so AddressSanitizer catches a read past
 * it), and its answer is compared with the rule as documented in
 * vmmctl_kern.h and DESIGN.md, written out again here independently:
 * EINVAL when there is no NUL within bufsize bytes, the name is empty, is
 * "." or "..", or contains '/', '"' or a C-locale space; else 0.  libvmmctl's vmmctl_check_name must
 * then agree: ENAMETOOLONG beyond VMMCTL_NAME_MAX bytes, otherwise the
 * kernel's answer for the 230-byte request buffer, so that the library
 * never sends a name the kernel refuses nor refuses one it would take.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmctl.h"
#include "vmmctl_dev.h"
#include "vmmctl_kern.h"

#define	CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The documented rule, byte by byte. */
static int
rule(const unsigned char *buf, size_t bufsize)
{
	size_t i, len;

	for (len = 0; len < bufsize && buf[len] != '\0'; len++)
		;
	if (len == bufsize)
		return (EINVAL);	/* unterminated, or bufsize 0 */
	if (len == 0)
		return (EINVAL);
	for (i = 0; i < len; i++)
		if (buf[i] == '/' || buf[i] == '"' || buf[i] == ' ' ||
		    buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\v' ||
		    buf[i] == '\f' || buf[i] == '\r')
			return (EINVAL);
	if ((len == 1 && buf[0] == '.') ||
	    (len == 2 && buf[0] == '.' && buf[1] == '.'))
		return (EINVAL);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char req[VM_MAX_NAMELEN + 1];
	unsigned char *buf;
	char *str;
	size_t bufsize, len;
	int kerr, lerr;

	/* Exactly size bytes, so a read past them is caught. */
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	for (bufsize = 0; bufsize <= size; bufsize++) {
		kerr = vmmctl_kern_check_name((const char *)buf, bufsize);
		CHECK(kerr == rule(buf, bufsize));
		/* The rule never depends on bytes after the NUL. */
		if (bufsize > 0 && memchr(buf, '\0', bufsize - 1) != NULL)
			CHECK(kerr == vmmctl_kern_check_name(
			    (const char *)buf, bufsize - 1));
	}
	CHECK(vmmctl_kern_check_name(NULL, 230) == EINVAL);

	/* The library, on the input as a C string. */
	if ((str = malloc(size + 1)) == NULL)
		abort();
	memcpy(str, data, size);
	str[size] = '\0';
	len = strlen(str);
	lerr = vmmctl_check_name(str);
	if (len > VMMCTL_NAME_MAX) {
		CHECK(lerr == ENAMETOOLONG);
	} else {
		/* What vmmctl_create sends: the name in a zeroed buffer. */
		memset(req, 0, sizeof(req));
		memcpy(req, str, len);
		kerr = vmmctl_kern_check_name(req, sizeof(req));
		CHECK(lerr == kerr);
		CHECK(lerr == rule((const unsigned char *)str, len + 1));
	}
	CHECK(vmmctl_check_name(NULL) == EINVAL);
	CHECK(VMMCTL_NAME_MAX == VM_MAX_NAMELEN);
	free(str);
	free(buf);
	return (0);
}
