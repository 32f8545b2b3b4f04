/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Linked into every sim test program.  libatf-c does not free its test
 * case list; with SANITIZE=1 that would make LeakSanitizer fail every
 * program.  The simulator itself is not covered by this: it must exit
 * clean (testsim_stop checks its status).
 */

const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *
__lsan_default_suppressions(void)
{

	return ("leak:libatf-c.so\n");
}

/* ATF treats any output on stderr of the test case list as breakage. */
const char *
__lsan_default_options(void)
{

	return ("print_suppressions=0");
}
