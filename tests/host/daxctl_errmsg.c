// SPDX-License-Identifier: MIT
/*
 * Description: each errno of daxctl(2) gets the reason its man page gives,
 * for the call that was made: the kernel's answer is forced with a seccomp
 * filter, one child per errno, so no daxctl kernel is needed.
 */
#include <fcntl.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "test.h"

/* Make every daxctl(2) in this process fail with @err. */
static int daxctl_fails_with(int err)
{
#ifndef __NR_daxctl		/* an architecture daxctl.h does not list */
	errno = ENOSYS;
	return -1;
#else
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_daxctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]),
		.filter = insns,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#endif
}

struct reason {
	int		err;
	unsigned int	flags;
	const char	*words[3];	/* each must be in the message */
};

static const struct reason reasons[] = {
	{ EOPNOTSUPP, DAXCTL_F_STATIC, { "-o dax", "asynchronous", "virtio-pmem" } },
	{ EPERM, DAXCTL_F_STATIC, { "CAP_LINUX_IMMUTABLE", "ownership", "CAP_FOWNER" } },
	{ EPERM, 0, { "CAP_LINUX_IMMUTABLE", "ownership", "clearing" } },
	{ EBUSY, DAXCTL_F_STATIC, { "swapfile", "quota", "pNFS" } },
	{ EBUSY, 0, { "mapped shared", "pinned" } },
	{ ENOENT, DAXCTL_F_STATIC, { "no links", "O_TMPFILE", "link it" } },
	{ ENOENT, 0, { "No such file" } },
	{ ELOOP, DAXCTL_F_STATIC | DAXCTL_F_NOFOLLOW, { "symbolic link", "DAXCTL_F_NOFOLLOW" } },
	{ ELOOP, DAXCTL_F_STATIC, { "symbolic links" } },
	{ EINVAL, DAXCTL_F_STATIC, { "not eligible", "daxfile check" } },
	{ EINVAL, DAXCTL_F_GET, { "invalid flags", "regular file" } },
};

/* In a child: the call fails with @r->err and says @r->words. */
static int check_reason(const struct reason *r)
{
	const char *msg, *name;
	unsigned int i;
	int ret;

	if (daxctl_fails_with(r->err)) {
		fprintf(stderr, "# seccomp: %m\n");
		return T_SKIP;
	}
	errno = 0;
	ret = daxctl(".", r->flags, 0);
	ASSERT(ret == -1 && errno == r->err, "daxctl: ret %d errno %d, not %d",
	       ret, errno, r->err);
	msg = daxfile_errmsg();
	name = r->flags & DAXCTL_F_STATIC ? "daxctl(STATIC)" :
	       r->flags & DAXCTL_F_GET ? "daxctl(GET)" : "daxctl(disable)";
	EXPECT(strstr(msg, name), "errno %d: '%s' does not say %s", r->err,
	       msg, name);
	for (i = 0; i < 3 && r->words[i]; i++)
		EXPECT(strstr(msg, r->words[i]), "errno %d, flags %#x: '%s' does not say '%s'",
		       r->err, r->flags, msg, r->words[i]);
	return t_result();
}

int main(void)
{
	unsigned int i;
	int status, failed = 0, skipped = 0;
	pid_t pid;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		fflush(NULL);
		pid = fork();
		ASSERT(pid >= 0, "fork: %m");
		if (!pid)
			_exit(check_reason(&reasons[i]));
		ASSERT(waitpid(pid, &status, 0) == pid, "waitpid: %m");
		if (!WIFEXITED(status) || WEXITSTATUS(status) == T_FAIL)
			failed++;
		else if (WEXITSTATUS(status) == T_SKIP)
			skipped++;
	}
	if (skipped == (int)i)
		return T_SKIP;
	return failed ? T_FAIL : T_PASS;
}
