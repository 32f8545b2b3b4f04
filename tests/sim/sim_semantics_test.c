/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel's checks (shared/FREEBSD.md) out of process: every request
 * goes over vmmctl-sim's socket (simclient), and the device nodes are
 * checked in <root>/vmm.  The rows that need another uid are in
 * sim_priv_test.c, the generation, jail and ordering rows in
 * sim_freebsd_test.c.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim_test.h"

ATF_TC_WITHOUT_HEAD(open_without_write);
ATF_TC_BODY(open_without_write, tc)
{
	struct testsim ts;
	int fd;

	sim_up(&ts, NULL);
	ATF_CHECK_EQ(simclient_open_mode(ts.root, VMMCTL_SIM_FREAD, &fd),
	    EPERM);
	ATF_CHECK_EQ(simclient_open_mode(ts.root, 0, &fd), EPERM);
	/* The refusal closes the connection: nothing more is served. */
	ATF_REQUIRE_EQ(simclient_connect(ts.root, &fd), 0);
	ATF_REQUIRE_EQ(simclient_send(fd, VMMCTL_SIM_MAGIC,
	    VMMCTL_SIM_VERSION, VMMCTL_SIM_T_OPEN, VMMCTL_SIM_FREAD, NULL, 0),
	    0);
	ATF_CHECK_EQ(simclient_reply(fd, NULL, 0, NULL), EPERM);
	ATF_CHECK_EQ(simclient_wait_eof(fd), 1);
	(void)close(fd);
	/* Write-only is enough. */
	ATF_REQUIRE_EQ(simclient_open_mode(ts.root, VMMCTL_SIM_FWRITE, &fd),
	    0);
	ATF_CHECK_EQ(simclient_create(fd, "w", SCOPED), 0);
	(void)close(fd);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(create_reserved_nonzero);
ATF_TC_BODY(create_reserved_nonzero, tc)
{
	struct vmmctl_vm_create vc;
	struct testsim ts;
	int fd, i;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	for (i = 0; i < 15; i++) {
		memset(&vc, 0, sizeof(vc));
		strcpy(vc.name, "r");
		vc.flags = SCOPED;
		vc.reserved[i] = i + 1;
		ATF_CHECK_EQ_MSG(simclient_ioctl(fd, VMMCTL_VM_CREATE, &vc,
		    sizeof(vc)), EINVAL, "reserved[%d]", i);
	}
	ATF_CHECK_EQ(count_entries(ts.root), 0);
	ATF_CHECK_EQ(simclient_create(fd, "r", SCOPED), 0);
	(void)close(fd);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(create_bad_flags);
ATF_TC_BODY(create_bad_flags, tc)
{
	static const uint32_t bad[] = { 0x2, 0x3, 0x80000000u, 0xffffffffu };
	struct testsim ts;
	size_t i;
	int fd;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(simclient_create(fd, "f", bad[i]), EINVAL,
		    "flags %#x", bad[i]);
	ATF_CHECK_EQ(count_entries(ts.root), 0);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(create_bad_names);
ATF_TC_BODY(create_bad_names, tc)
{
	/* Create 9: devfs's rule ('/' refused: a listed divergence). */
	static const char *const bad[] = { "", "/", "a/b", "/a", "a/", ".",
	    "..", "a b", "a\tb", "a\nb", "\"" };
	struct vmmctl_vm_create vc;
	char longest[VM_MAX_NAMELEN + 1];
	struct testsim ts;
	size_t i;
	int fd;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(simclient_create(fd, bad[i], SCOPED), EINVAL,
		    "name \"%s\"", bad[i]);
	ATF_CHECK_EQ(count_entries(ts.root), 0);
	/* The edges that are fine: 229 bytes, "...", ".a". */
	memset(longest, 'b', VM_MAX_NAMELEN);
	longest[VM_MAX_NAMELEN] = '\0';
	ATF_CHECK_EQ(simclient_create(fd, longest, SCOPED), 0);
	ATF_CHECK(entry_exists(ts.root, longest));
	ATF_CHECK_EQ(simclient_create(fd, "...", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(fd, ".a", SCOPED), 0);
	ATF_CHECK_EQ(count_entries(ts.root), 3);
	/* Create 1: not NUL-terminated within 230 bytes: cut at 229. */
	memset(&vc, 0, sizeof(vc));
	memset(vc.name, 'a', sizeof(vc.name));
	vc.flags = SCOPED;
	ATF_CHECK_EQ(simclient_ioctl(fd, VMMCTL_VM_CREATE, &vc, sizeof(vc)),
	    0);
	ATF_CHECK_EQ(vc.name[VM_MAX_NAMELEN], '\0');	/* copied back, cut */
	memset(longest, 'a', VM_MAX_NAMELEN);
	ATF_CHECK(entry_exists(ts.root, longest));
	ATF_CHECK_EQ(count_entries(ts.root), 4);
	(void)close(fd);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(create_eexist);
ATF_TC_BODY(create_eexist, tc)
{
	struct testsim ts;
	int a, b;

	sim_up(&ts, NULL);
	a = conn(&ts);
	b = conn(&ts);
	ATF_CHECK_EQ(simclient_create(a, "x", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(a, "x", SCOPED), EEXIST);
	ATF_CHECK_EQ(simclient_create(b, "x", SCOPED), EEXIST);
	ATF_CHECK_EQ(simclient_create(b, "x", PERSISTENT), EEXIST);
	ATF_CHECK_EQ(simclient_create(b, "p", PERSISTENT), 0);
	ATF_CHECK_EQ(simclient_create(a, "p", SCOPED), EEXIST);
	ATF_CHECK_EQ(count_entries(ts.root), 2);
	ATF_CHECK_EQ(simclient_destroy(b, "p"), 0);
	(void)close(a);
	(void)close(b);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(uid_limit_enomem);
ATF_TC_BODY(uid_limit_enomem, tc)
{
	static const char *const extra[] = { "--uid-limit", "3", NULL };
	struct testsim ts;
	int a, b;

	sim_up(&ts, extra);
	a = conn(&ts);
	b = conn(&ts);
	ATF_CHECK_EQ(simclient_create(a, "l1", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(a, "l2", PERSISTENT), 0);
	ATF_CHECK_EQ(simclient_create(b, "l3", SCOPED), 0);
	/* Per uid, whatever the connection or the kind. */
	ATF_CHECK_EQ(simclient_create(a, "l4", SCOPED), ENOMEM);
	ATF_CHECK_EQ(simclient_create(b, "l4", PERSISTENT), ENOMEM);
	ATF_CHECK(!entry_exists(ts.root, "l4"));
	ATF_CHECK_EQ(simclient_destroy(a, "l2"), 0);
	ATF_CHECK_EQ(simclient_create(b, "l4", SCOPED), 0);
	/* A release gives the slots back too. */
	(void)close(a);
	sync_sim(b);
	ATF_CHECK_EQ(simclient_create(b, "l5", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(b, "l6", SCOPED), ENOMEM);
	(void)close(b);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(scoped_dies_with_connection);
ATF_TC_BODY(scoped_dies_with_connection, tc)
{
	struct testsim ts;
	int a, b;

	sim_up(&ts, NULL);
	a = conn(&ts);
	b = conn(&ts);
	ATF_CHECK_EQ(simclient_create(a, "s1", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(a, "s2", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(a, "p1", PERSISTENT), 0);
	ATF_CHECK_EQ(simclient_create(b, "s3", SCOPED), 0);
	ATF_CHECK_EQ(count_entries(ts.root), 4);
	(void)close(a);
	sync_sim(b);
	/* a's scoped VMs are gone, its persistent one and b's stay. */
	ATF_CHECK(!entry_exists(ts.root, "s1"));
	ATF_CHECK(!entry_exists(ts.root, "s2"));
	ATF_CHECK(entry_exists(ts.root, "p1"));
	ATF_CHECK(entry_exists(ts.root, "s3"));
	ATF_CHECK_EQ(simclient_destroy(b, "s1"), EINVAL);
	ATF_CHECK_EQ(simclient_create(b, "s1", SCOPED), 0);
	ATF_CHECK_EQ(simclient_destroy(b, "p1"), 0);
	ATF_CHECK(!entry_exists(ts.root, "p1"));
	(void)close(b);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(release_keeps_persistent);
ATF_TC_BODY(release_keeps_persistent, tc)
{
	struct testsim ts;
	int a, b;

	sim_up(&ts, NULL);
	a = conn(&ts);
	ATF_CHECK_EQ(simclient_create(a, "keep", PERSISTENT), 0);
	(void)close(a);
	b = conn(&ts);
	sync_sim(b);
	ATF_CHECK(entry_exists(ts.root, "keep"));
	ATF_CHECK_EQ(simclient_create(b, "keep", SCOPED), EEXIST);
	/* Anyone privileged may destroy it, not only its creator's file. */
	ATF_CHECK_EQ(simclient_destroy(b, "keep"), 0);
	ATF_CHECK_EQ(simclient_destroy(b, "keep"), EINVAL);
	(void)close(b);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(destroy_errors);
ATF_TC_BODY(destroy_errors, tc)
{
	char cut[VM_MAX_NAMELEN + 1];
	struct vmmctl_vm_destroy vd;
	struct testsim ts;
	int fd, i;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	ATF_CHECK_EQ(simclient_destroy(fd, "missing"), EINVAL);
	ATF_CHECK_EQ(simclient_destroy(fd, ".."), EINVAL);
	ATF_CHECK_EQ(simclient_destroy(fd, "a/b"), EINVAL);
	ATF_CHECK_EQ(simclient_create(fd, "d", SCOPED), 0);
	for (i = 0; i < 16; i++) {
		memset(&vd, 0, sizeof(vd));
		strcpy(vd.name, "d");
		vd.reserved[i] = -1;
		ATF_CHECK_EQ_MSG(simclient_ioctl(fd, VMMCTL_VM_DESTROY, &vd,
		    sizeof(vd)), EINVAL, "reserved[%d]", i);
	}
	/* Destroy 1: an unterminated name is cut at 229 bytes. */
	memset(&vd, 0, sizeof(vd));
	memset(vd.name, 'd', sizeof(vd.name));
	ATF_CHECK_EQ(simclient_ioctl(fd, VMMCTL_VM_DESTROY, &vd, sizeof(vd)),
	    EINVAL);			/* no VM of the 229 'd's yet */
	memset(cut, 'd', VM_MAX_NAMELEN);
	cut[VM_MAX_NAMELEN] = '\0';
	ATF_REQUIRE_EQ(simclient_create(fd, cut, SCOPED), 0);
	memset(vd.name, 'd', sizeof(vd.name));
	ATF_CHECK_EQ(simclient_ioctl(fd, VMMCTL_VM_DESTROY, &vd, sizeof(vd)),
	    0);
	ATF_CHECK(!entry_exists(ts.root, cut));
	ATF_CHECK(entry_exists(ts.root, "d"));
	ATF_CHECK_EQ(simclient_destroy(fd, "d"), 0);
	ATF_CHECK(!entry_exists(ts.root, "d"));
	ATF_CHECK_EQ(simclient_destroy(fd, "d"), EINVAL);
	(void)close(fd);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(unknown_ioctl);
ATF_TC_BODY(unknown_ioctl, tc)
{
	unsigned char buf[VMMCTL_SIM_MAX_PAYLOAD];
	struct testsim ts;
	uint32_t cmd;
	int fd;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	memset(buf, 0, sizeof(buf));
	/* Same group, other numbers; other groups; other sizes. */
	cmd = (uint32_t)_IOWR('V', 2, struct vmmctl_vm_create);
	ATF_CHECK_EQ(simclient_ioctl(fd, cmd, buf, 296), ENOTTY);
	cmd = (uint32_t)_IOWR('X', 0, struct vmmctl_vm_create);
	ATF_CHECK_EQ(simclient_ioctl(fd, cmd, buf, 296), ENOTTY);
	cmd = (uint32_t)_IOW('V', 0, struct vmmctl_vm_create);
	ATF_CHECK_EQ(simclient_ioctl(fd, cmd, buf, 296), ENOTTY);
	cmd = (uint32_t)_IO('V', 0);
	ATF_CHECK_EQ(simclient_ioctl(fd, cmd, NULL, 0), ENOTTY);
	cmd = (uint32_t)_IOR('V', 9, int);
	ATF_CHECK_EQ(simclient_ioctl(fd, cmd, buf, sizeof(int)), ENOTTY);
	/* The connection still works. */
	ATF_CHECK_EQ(simclient_create(fd, "u", SCOPED), 0);
	(void)close(fd);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(ioctl_wrong_len);
ATF_TC_BODY(ioctl_wrong_len, tc)
{
	unsigned char buf[VMMCTL_SIM_MAX_PAYLOAD];
	struct testsim ts;
	int fd;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	memset(buf, 0, sizeof(buf));
	strcpy((char *)buf, "w");
	ATF_CHECK_EQ(simclient_ioctl(fd, VMMCTL_VM_CREATE, buf, 295), EINVAL);
	ATF_CHECK_EQ(simclient_ioctl(fd, VMMCTL_VM_CREATE, buf, 297), EINVAL);
	ATF_CHECK_EQ(simclient_ioctl(fd, VMMCTL_VM_CREATE, NULL, 0), EINVAL);
	ATF_CHECK_EQ(simclient_ioctl(fd, VMMCTL_VM_DESTROY, buf, 4096),
	    EINVAL);
	ATF_CHECK(!entry_exists(ts.root, "w"));
	/* A well-formed frame with a wrong size is not fatal. */
	ATF_CHECK_EQ(simclient_create(fd, "w", SCOPED), 0);
	(void)close(fd);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(create_echoes_payload);
ATF_TC_BODY(create_echoes_payload, tc)
{
	struct vmmctl_vm_create vc;
	struct testsim ts;
	uint32_t rlen;
	int fd;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	memset(&vc, 0, sizeof(vc));
	strcpy(vc.name, "echo");
	vc.flags = SCOPED;
	ATF_REQUIRE_EQ(simclient_send(fd, VMMCTL_SIM_MAGIC,
	    VMMCTL_SIM_VERSION, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE, &vc,
	    sizeof(vc)), 0);
	memset(&vc, 0xff, sizeof(vc));
	ATF_CHECK_EQ(simclient_reply(fd, &vc, sizeof(vc), &rlen), 0);
	/* _IOWR: the payload comes back, as the kernel's copyout. */
	ATF_CHECK_EQ(rlen, sizeof(vc));
	ATF_CHECK_STREQ(vc.name, "echo");
	ATF_CHECK_EQ(vc.flags, SCOPED);
	(void)close(fd);
	sim_down(&ts);
}

/* Jails: a (with a/c inside) and b, siblings. */
ATF_TC_WITHOUT_HEAD(jails);
ATF_TC_BODY(jails, tc)
{
	static const char *const extra[] = { "--jail", "a", "--jail", "b",
	    "--jail", "a/c", NULL };
	char da[128], db[128], dc[128];
	struct testsim ts;
	int h, a, b, c;

	sim_up(&ts, extra);
	jail_dir(&ts, "a", da, sizeof(da));
	jail_dir(&ts, "b", db, sizeof(db));
	jail_dir(&ts, "a/c", dc, sizeof(dc));
	h = conn(&ts);
	a = conn_at(da);
	b = conn_at(db);
	c = conn_at(dc);

	/* In a: seen by a and the host, not by the sibling b nor child c. */
	ATF_CHECK_EQ(simclient_create(a, "va", SCOPED), 0);
	ATF_CHECK(entry_exists(da, "va"));
	ATF_CHECK(entry_exists(ts.root, "va"));
	ATF_CHECK(!entry_exists(db, "va"));
	ATF_CHECK(!entry_exists(dc, "va"));
	/* Names are global; a sibling cannot destroy what it cannot see. */
	ATF_CHECK_EQ(simclient_create(b, "va", SCOPED), EEXIST);
	ATF_CHECK_EQ(simclient_create(c, "va", SCOPED), EEXIST);
	ATF_CHECK_EQ(simclient_destroy(b, "va"), EINVAL);
	ATF_CHECK_EQ(simclient_destroy(c, "va"), EINVAL);
	ATF_CHECK(entry_exists(da, "va"));

	/* In a/c: seen by c, a and the host. */
	ATF_CHECK_EQ(simclient_create(c, "vc", SCOPED), 0);
	ATF_CHECK(entry_exists(dc, "vc"));
	ATF_CHECK(entry_exists(da, "vc"));
	ATF_CHECK(entry_exists(ts.root, "vc"));
	ATF_CHECK(!entry_exists(db, "vc"));
	ATF_CHECK_EQ(simclient_destroy(b, "vc"), EINVAL);
	/* The parent jail sees it, so may destroy it. */
	ATF_CHECK_EQ(simclient_destroy(a, "vc"), 0);
	ATF_CHECK(!entry_exists(dc, "vc"));
	ATF_CHECK(!entry_exists(da, "vc"));
	ATF_CHECK(!entry_exists(ts.root, "vc"));

	/* The host's VMs are in no jail's view. */
	ATF_CHECK_EQ(simclient_create(h, "vh", SCOPED), 0);
	ATF_CHECK(entry_exists(ts.root, "vh"));
	ATF_CHECK(!entry_exists(da, "vh"));
	ATF_CHECK(!entry_exists(db, "vh"));
	ATF_CHECK_EQ(simclient_destroy(a, "vh"), EINVAL);
	ATF_CHECK_EQ(simclient_create(b, "vh", SCOPED), EEXIST);

	/* b's VM; the host destroys it. */
	ATF_CHECK_EQ(simclient_create(b, "vb", PERSISTENT), 0);
	ATF_CHECK(entry_exists(db, "vb"));
	ATF_CHECK(!entry_exists(da, "vb"));
	ATF_CHECK_EQ(simclient_destroy(h, "vb"), 0);
	ATF_CHECK(!entry_exists(db, "vb"));
	ATF_CHECK(!entry_exists(ts.root, "vb"));

	/* Closing a's file removes va from every view. */
	(void)close(a);
	sync_sim(h);
	ATF_CHECK(!entry_exists(da, "va"));
	ATF_CHECK(!entry_exists(ts.root, "va"));
	ATF_CHECK_EQ(simclient_create(b, "va", SCOPED), 0);
	ATF_CHECK(entry_exists(db, "va"));

	(void)close(b);
	(void)close(c);
	(void)close(h);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(device_node);
ATF_TC_BODY(device_node, tc)
{
	char path[128];
	struct testsim ts;
	struct stat st;
	int fd;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(fd, "node", SCOPED), 0);
	ATF_REQUIRE(testsim_path(&ts, "vmm/node", path, sizeof(path)) == 0);
	ATF_REQUIRE_EQ(lstat(path, &st), 0);
	ATF_CHECK(S_ISREG(st.st_mode));
	ATF_CHECK_EQ(st.st_mode & 07777, 0600);
	ATF_CHECK_EQ(st.st_uid, getuid());
	ATF_CHECK_EQ(simclient_destroy(fd, "node"), 0);
	ATF_CHECK(lstat(path, &st) != 0 && errno == ENOENT);
	(void)close(fd);
	sim_down(&ts);
}

/*
 * A node that cannot be made fails the create, and the views already made
 * are rolled back: here a foreign file sits in the middle view.
 */
ATF_TC_WITHOUT_HEAD(publish_failure_rolls_back);
ATF_TC_BODY(publish_failure_rolls_back, tc)
{
	static const char *const extra[] = { "--jail", "a/b", NULL };
	char da[128], dab[128], path[160];
	struct testsim ts;
	int fd, j;

	sim_up(&ts, extra);
	jail_dir(&ts, "a", da, sizeof(da));
	jail_dir(&ts, "a/b", dab, sizeof(dab));
	ATF_REQUIRE((size_t)snprintf(path, sizeof(path), "%s/vmm/x", da) <
	    sizeof(path));
	ATF_REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0);
	(void)close(fd);
	j = conn_at(dab);
	ATF_CHECK_EQ(simclient_create(j, "x", SCOPED), EEXIST);
	ATF_CHECK(!entry_exists(dab, "x"));
	ATF_CHECK(entry_exists(da, "x"));	/* not the sim's to remove */
	ATF_CHECK(!entry_exists(ts.root, "x"));
	/* The name was released with the failed create. */
	ATF_REQUIRE_EQ(unlink(path), 0);
	ATF_CHECK_EQ(simclient_create(j, "x", SCOPED), 0);
	ATF_CHECK(entry_exists(dab, "x"));
	ATF_CHECK(entry_exists(da, "x"));
	ATF_CHECK(entry_exists(ts.root, "x"));
	(void)close(j);
	sim_down(&ts);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, publish_failure_rolls_back);

	ATF_TP_ADD_TC(tp, open_without_write);
	ATF_TP_ADD_TC(tp, create_reserved_nonzero);
	ATF_TP_ADD_TC(tp, create_bad_flags);
	ATF_TP_ADD_TC(tp, create_bad_names);
	ATF_TP_ADD_TC(tp, create_eexist);
	ATF_TP_ADD_TC(tp, uid_limit_enomem);
	ATF_TP_ADD_TC(tp, scoped_dies_with_connection);
	ATF_TP_ADD_TC(tp, release_keeps_persistent);
	ATF_TP_ADD_TC(tp, destroy_errors);
	ATF_TP_ADD_TC(tp, unknown_ioctl);
	ATF_TP_ADD_TC(tp, ioctl_wrong_len);
	ATF_TP_ADD_TC(tp, create_echoes_payload);
	ATF_TP_ADD_TC(tp, jails);
	ATF_TP_ADD_TC(tp, device_node);
	return (atf_no_error());
}
