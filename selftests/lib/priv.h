/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Privilege tests: run a function in a child process that has given up some
 * privilege (so nothing leaks into other tests), and keep a failure to give
 * it up apart from the result of the call under test. A capset() that fails
 * with EPERM must not read as "the kernel refused with EPERM": it is a set-up
 * error, after which the test has nothing to say.
 */
#ifndef UVDPA_SELFTESTS_PRIV_H
#define UVDPA_SELFTESTS_PRIV_H

#include <errno.h>
#include <stdint.h>
#include <grp.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#define PRIV_CAP(cap) (1ULL << (cap))

/* Drop @caps from the effective set and read it back: 0 or -errno. */
static inline int priv_drop_caps(uint64_t caps)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective &= ~(uint32_t)caps;
	data[1].effective &= ~(uint32_t)(caps >> 32);
	if (syscall(SYS_capset, &hdr, data) || syscall(SYS_capget, &hdr, data))
		return -errno;
	/* Still there: the call under test would run privileged. */
	if ((data[0].effective | (uint64_t)data[1].effective << 32) & caps)
		return -EPERM;
	return 0;
}

/* Become @uid and @gid for good: 0 or -errno. */
static inline int priv_drop_user(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
		return -errno;
	/* setuid() from root to another user cannot be undone. */
	return setuid(0) ? 0 : -EPERM;
}

struct priv_result {
	int setup;	/* 0, or -errno from giving up the privilege */
	int ret;	/* what the function returned */
};

/*
 * Run @fn(@arg) in a child that first ran @drop(@how) (priv_drop_caps with
 * a mask of PRIV_CAP()s, or priv_drop_nobody). Returns 0 and sets
 * *@ret to @fn's return value, or a negative errno when the child could not
 * give up the privilege (or never reported: fork failed, it crashed).
 */
static inline int priv_run(int (*drop)(uint64_t how), uint64_t how, int (*fn)(void *),
			   void *arg, int *ret)
{
	struct priv_result r = { .setup = -ECHILD };
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		r.setup = drop(how);
		r.ret = r.setup ? 0 : fn(arg);
		/*
		 * _Exit(), not the _exit() that leak_check.c wraps: a leak
		 * check in a child forked from threads that held the
		 * sanitizer's locks could hang it, and the test with it.
		 */
		_Exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &r, sizeof(r)) != sizeof(r))
		r.setup = -ECHILD;
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		r.setup = r.setup ?: -ECHILD;
	*ret = r.ret;
	return r.setup;
}

/* For priv_run(): become nobody. */
static inline int priv_drop_nobody(uint64_t unused)
{
	return priv_drop_user(65534, 65534);
}

#endif
