// SPDX-License-Identifier: GPL-2.0
/*
 * The shipped filter programs, loaded the way uvdpad loads them and run
 * through BPF_PROG_RUN on table-driven queue contexts: the decisions they
 * take, and the one-line reasons when a program cannot be used. Needs a
 * kernel that lets this process load BPF (root): skipped, saying why, where
 * it does not.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kselftest_harness.h"
#include "lib/priv.h"
#include "policy/nf.h"

#define US 1000ULL
#define T0 (1ULL << 40)

static char err[512];

/* Load @name, or skip the test when this host refuses BPF to us. */
#define LOAD(p, name, path) do {						\
		int __ret = nf_prog_load(&(p), name, path, 4, err, sizeof(err));	\
		if (__ret == -EPERM || __ret == -ENOSYS)			\
			SKIP(return, "BPF unavailable here: %s", err);		\
		ASSERT_EQ(0, __ret) TH_LOG("%s", err);				\
	} while (0)

/* Next to this program: the objects of this collection. */
static const char *object(const char *file)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 64);

	if (n < 0)
		return file;
	path[n] = '\0';
	strcpy(strrchr(path, '/') + 1, file);
	return path;
}

/* One BPF_PROG_RUN for queue @vq with @ctx: the decision it left. */
static struct uvdpa_nf_decision run(struct nf_prog *p, unsigned int vq, unsigned int reason,
				    const struct uvdpa_nf_ctx *ctx)
{
	struct uvdpa_nf_run r = {
		.abi_version = UVDPA_NF_ABI_VERSION,
		.vq = vq,
		.reason = reason,
	};

	p->shm->vq[vq].ctx = *ctx;
	memset(&p->shm->vq[vq].dec, 0xa5, sizeof(p->shm->vq[vq].dec));
	if (p->run(p, &r))
		memset(&p->shm->vq[vq].dec, 0xff, sizeof(p->shm->vq[vq].dec));
	return p->shm->vq[vq].dec;
}

struct row {
	const char *what;
	struct uvdpa_nf_ctx ctx;
	unsigned int reason;
	/* expected */
	unsigned int frames, usecs, flags, poll;
};

static void check_rows(struct __test_metadata *_metadata, struct nf_prog *p,
		       const struct row *rows, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct uvdpa_nf_decision d = run(p, i % 4, rows[i].reason ?: UVDPA_NF_RUN_SAMPLE,
						 &rows[i].ctx);

		EXPECT_EQ(rows[i].frames, d.defer_frames) TH_LOG("%s: %s", p->name, rows[i].what);
		EXPECT_EQ(rows[i].usecs, d.defer_us) TH_LOG("%s: %s", p->name, rows[i].what);
		EXPECT_EQ(rows[i].flags, d.flags) TH_LOG("%s: %s", p->name, rows[i].what);
		EXPECT_EQ(rows[i].poll, d.poll_us) TH_LOG("%s: %s", p->name, rows[i].what);
	}
}

TEST(passthrough_interrupts_for_everything)
{
	static const struct row rows[] = {
		{ "idle", { .now_ns = T0 }, UVDPA_NF_RUN_ATTACH, 1, 0, 0, 0 },
		{ "qd1", { .now_ns = T0, .completions = 64, .batch = 1 }, 0, 1, 0, 0, 0 },
		{ "qd32", { .now_ns = T0, .completions = 4096, .inflight = 31, .batch = 8,
			    .pending = 7 }, 0, 1, 0, 0, 0 },
		{ "counters at their limits", { .now_ns = UINT64_MAX, .window_ns = UINT64_MAX,
						.completions = UINT32_MAX, .inflight = UINT32_MAX,
						.pending = UINT32_MAX }, 0, 1, 0, 0, 0 },
	};
	struct nf_prog *p;

	LOAD(p, "passthrough", NULL);
	EXPECT_EQ(0, p->nr_params);
	check_rows(_metadata, p, rows, ARRAY_SIZE(rows));
	nf_prog_free(p);
}

TEST(coalesce_follows_its_thresholds)
{
	static const struct row defaults[] = {
		{ "attach", { .now_ns = T0 }, UVDPA_NF_RUN_ATTACH, 16, 100, UVDPA_NF_IDLE_FIRE, 0 },
		{ "qd32", { .now_ns = T0, .completions = 4096, .inflight = 31 }, 0,
		  16, 100, UVDPA_NF_IDLE_FIRE, 0 },
		{ "qd1", { .now_ns = T0, .completions = 10, .inflight = 0 }, 0,
		  16, 100, UVDPA_NF_IDLE_FIRE, 0 },
	};
	static const struct row set[] = {
		{ "qd32", { .now_ns = T0, .completions = 4096, .inflight = 31 }, 0, 4, 20, 0, 0 },
	};
	char *params[] = { "max_frames=4", "max_usecs=20", "idle_fire=0" };
	struct nf_prog *p;

	LOAD(p, "coalesce", NULL);
	ASSERT_EQ(3, p->nr_params);
	EXPECT_STREQ("max_frames", p->params[0]);
	EXPECT_STREQ("max_usecs", p->params[1]);
	EXPECT_STREQ("idle_fire", p->params[2]);
	check_rows(_metadata, p, defaults, ARRAY_SIZE(defaults));
	ASSERT_EQ(0, nf_prog_set_params(p, params, 3, err, sizeof(err))) TH_LOG("%s", err);
	check_rows(_metadata, p, set, 1);
	nf_prog_free(p);
}

/* adaptive climbs one profile per run while the depth stays, and comes back down. */
TEST(adaptive_follows_the_depth)
{
	struct uvdpa_nf_ctx deep = {
		.now_ns = T0, .window_ns = 2000 * US, .completions = 256, .batches = 64,
		.batch = 4, .inflight = 28,
	};
	struct uvdpa_nf_ctx qd1 = {
		.now_ns = T0, .window_ns = 2000 * US, .completions = 256, .batches = 256,
		.batch = 1, .inflight = 0,
	};
	struct uvdpa_nf_ctx slow = deep;
	struct uvdpa_nf_decision d;
	unsigned int i, prev;
	struct nf_prog *p;

	slow.completions = 10;	/* 5 per ms: below min_rate */
	LOAD(p, "adaptive", NULL);
	d = run(p, 1, UVDPA_NF_RUN_ATTACH, &qd1);
	EXPECT_EQ(1, d.defer_frames);
	EXPECT_EQ(0, d.defer_us);
	EXPECT_EQ(UVDPA_NF_IDLE_FIRE, d.flags);
	/* QD1 never leaves the first profile. */
	for (i = 0; i < 20; i++) {
		d = run(p, 1, UVDPA_NF_RUN_SAMPLE, &qd1);
		EXPECT_EQ(1, d.defer_frames);
	}
	/* Depth 32 asks for 32 frames: reached a step at a time (the EWMA lags too). */
	for (i = 0; i < 20; i++)
		d = run(p, 1, UVDPA_NF_RUN_SAMPLE, &deep);
	EXPECT_EQ(32, d.defer_frames);
	EXPECT_EQ(50, d.defer_us);
	/* Another queue is on its own: from the first profile, at most a step per run. */
	for (i = 0, prev = 1; i < 30; i++) {
		d = run(p, 2, i ? UVDPA_NF_RUN_SAMPLE : UVDPA_NF_RUN_ATTACH, &deep);
		EXPECT_TRUE(d.defer_frames == prev || d.defer_frames == 2 * prev)
			TH_LOG("run %u: %u frames after %u", i, d.defer_frames, prev);
		prev = d.defer_frames;
	}
	EXPECT_EQ(32, prev);
	/* A slow queue gains nothing from waiting: back down a step per run. */
	d = run(p, 1, UVDPA_NF_RUN_SAMPLE, &slow);
	EXPECT_EQ(16, d.defer_frames);
	for (i = 0; i < 5; i++)
		d = run(p, 1, UVDPA_NF_RUN_SAMPLE, &slow);
	EXPECT_EQ(1, d.defer_frames);
	EXPECT_EQ(0, d.defer_us);
	/* A new attach starts over, profile and depth estimate: one step up from the first. */
	d = run(p, 2, UVDPA_NF_RUN_ATTACH, &deep);
	EXPECT_EQ(2, d.defer_frames);
	nf_prog_free(p);
}

/* Where the worker completes the whole depth per loop turn, holding merges nothing more. */
TEST(adaptive_holds_nothing_when_batches_are_large)
{
	struct uvdpa_nf_ctx big = {
		.now_ns = T0, .window_ns = 2000 * US, .completions = 512, .batches = 32,
		.batch = 16, .inflight = 0,
	};
	struct uvdpa_nf_decision d;
	struct nf_prog *p;
	unsigned int i;

	LOAD(p, "adaptive", NULL);
	for (i = 0; i < 20; i++) {
		d = run(p, 0, i ? UVDPA_NF_RUN_SAMPLE : UVDPA_NF_RUN_ATTACH, &big);
		EXPECT_EQ(1, d.defer_frames) TH_LOG("run %u", i);
	}
	/* Depth 32 in batches of two: 32 frames merge sixteen batches. */
	big.batches = 256;
	big.batch = 2;
	big.inflight = 30;
	for (i = 0; i < 20; i++)
		d = run(p, 0, UVDPA_NF_RUN_SAMPLE, &big);
	EXPECT_EQ(32, d.defer_frames);
	nf_prog_free(p);
}

/*
 * New parameters in place (uvdpactl filter set of the filter running): the
 * profile adaptive reached and its depth estimate stay, and the new cap
 * applies at the run that tells it so, not at a later sample.
 */
TEST(adaptive_keeps_its_profile_on_new_parameters)
{
	struct uvdpa_nf_ctx deep = {
		.now_ns = T0, .window_ns = 2000 * US, .completions = 256, .batches = 64,
		.batch = 4, .inflight = 28,
	};
	/* A change may come in a lull: as a sample, that would step the profile down. */
	struct uvdpa_nf_ctx lull = { .now_ns = T0, .window_ns = 10 * US };
	char *lower[] = { "max_frames=8", "max_usecs=20" };
	char *back[] = { "max_frames=32" };
	uint64_t vals[UVDPA_NF_MAX_PARAMS], state[8];
	struct uvdpa_nf_decision d;
	struct nf_prog *p;
	unsigned int i;

	LOAD(p, "adaptive", NULL);
	run(p, 1, UVDPA_NF_RUN_ATTACH, &deep);
	for (i = 0; i < 20; i++)
		d = run(p, 1, UVDPA_NF_RUN_SAMPLE, &deep);
	ASSERT_EQ(32, d.defer_frames);
	memcpy(state, p->shm->vq[1].state, sizeof(state));
	ASSERT_EQ(0, nf_prog_parse_params(p, lower, 2, vals, err, sizeof(err))) TH_LOG("%s", err);
	nf_prog_write_params(p, vals);
	d = run(p, 1, UVDPA_NF_RUN_PARAMS, &lull);
	EXPECT_EQ(8, d.defer_frames);
	EXPECT_EQ(20, d.defer_us);
	EXPECT_EQ(0, memcmp(state, p->shm->vq[1].state, sizeof(state)));
	/* Back up at once: the profile was kept, not climbed again from the first. */
	ASSERT_EQ(0, nf_prog_set_params(p, back, 1, err, sizeof(err))) TH_LOG("%s", err);
	d = run(p, 1, UVDPA_NF_RUN_PARAMS, &lull);
	EXPECT_EQ(32, d.defer_frames);
	EXPECT_EQ(20, d.defer_us);
	EXPECT_EQ(0, memcmp(state, p->shm->vq[1].state, sizeof(state)));
	nf_prog_free(p);
}

/* Words checked before any is applied: one bad word, and every parameter stays. */
TEST(a_bad_word_changes_no_parameter)
{
	char *good[] = { "max_frames=8", "max_usecs=30" };
	char *unknown[] = { "max_frames=4", "max_frame=2" };
	char *bad[] = { "max_usecs=5", "idle_fire=yes" };
	char *noeq[] = { "idle_fire=0", "max_usecs" };
	uint64_t vals[UVDPA_NF_MAX_PARAMS], want[3] = { 8, 30, 1 };
	struct nf_prog *p;

	LOAD(p, "coalesce", NULL);
	ASSERT_EQ(0, nf_prog_set_params(p, good, 2, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(-ENOENT, nf_prog_set_params(p, unknown, 2, err, sizeof(err)));
	EXPECT_EQ(-EINVAL, nf_prog_set_params(p, bad, 2, err, sizeof(err)));
	EXPECT_EQ(-EINVAL, nf_prog_set_params(p, noeq, 2, err, sizeof(err)));
	EXPECT_EQ(0, memcmp(want, p->shm->params, sizeof(want)));
	/* Parsing alone writes nothing, and starts from the values in force. */
	ASSERT_EQ(0, nf_prog_parse_params(p, bad, 1, vals, err, sizeof(err)));
	EXPECT_EQ(0, memcmp(want, p->shm->params, sizeof(want)));
	EXPECT_EQ(8, vals[0]);
	EXPECT_EQ(5, vals[1]);
	EXPECT_EQ(1, vals[2]);
	nf_prog_free(p);
}

TEST(adaptive_respects_max_frames)
{
	struct uvdpa_nf_ctx deep = {
		.now_ns = T0, .window_ns = 2000 * US, .completions = 20000, .batches = 20000,
		.batch = 1, .inflight = 255,
	};
	char *params[] = { "max_frames=4", "max_usecs=30" };
	struct uvdpa_nf_decision d;
	struct nf_prog *p;
	unsigned int i;

	LOAD(p, "adaptive", NULL);
	ASSERT_EQ(0, nf_prog_set_params(p, params, 2, err, sizeof(err))) TH_LOG("%s", err);
	run(p, 0, UVDPA_NF_RUN_ATTACH, &deep);
	for (i = 0; i < 20; i++)
		d = run(p, 0, UVDPA_NF_RUN_SAMPLE, &deep);
	EXPECT_EQ(4, d.defer_frames);
	EXPECT_EQ(30, d.defer_us);
	/* The first window of a queue has no length yet: no division by it. */
	deep.window_ns = 0;
	d = run(p, 0, UVDPA_NF_RUN_SAMPLE, &deep);
	EXPECT_EQ(4, d.defer_frames);
	nf_prog_free(p);
}

TEST(poll_switches_kicks_off)
{
	static const struct row rows[] = {
		{ "attach", { .now_ns = T0 }, UVDPA_NF_RUN_ATTACH, 1, 0, 0, 50 },
		{ "busy", { .now_ns = T0, .kicks = 100, .completions = 100 }, 0, 1, 0, 0, 50 },
	};
	static const struct row set[] = {
		{ "busy", { .now_ns = T0, .kicks = 100, .completions = 100 }, 0, 1, 0, 0, 200 },
	};
	char *params[] = { "poll_usecs=200" };
	struct nf_prog *p;

	LOAD(p, "poll", NULL);
	check_rows(_metadata, p, rows, 2);
	ASSERT_EQ(0, nf_prog_set_params(p, params, 1, err, sizeof(err)));
	check_rows(_metadata, p, set, 1);
	nf_prog_free(p);
}

/* A queue number past the table: the program must not touch memory for it. */
TEST(programs_check_the_queue_number)
{
	struct uvdpa_nf_run r = { .abi_version = UVDPA_NF_ABI_VERSION, .vq = UVDPA_NF_MAX_VQ,
				  .reason = UVDPA_NF_RUN_SAMPLE };
	unsigned int i;

	for (i = 0; nf_shipped[i]; i++) {
		struct nf_prog *p;

		LOAD(p, nf_shipped[i], NULL);
		r.vq = UVDPA_NF_MAX_VQ;
		EXPECT_EQ(0, p->run(p, &r)) TH_LOG("%s", nf_shipped[i]);
		r.vq = UINT32_MAX;
		EXPECT_EQ(0, p->run(p, &r)) TH_LOG("%s", nf_shipped[i]);
		nf_prog_free(p);
	}
}

/* The fast path on a real program's decision, with a fake clock. */
TEST(coalesce_deadline_through_the_fast_path)
{
	struct nf_prog *p;
	struct nf_vq v;
	unsigned int i;

	LOAD(p, "coalesce", NULL);
	nf_vq_init(&v, 0, p, 0, T0);
	EXPECT_EQ(1, v.stats.filter_runs);
	for (i = 0; i < 15; i++) {
		nf_completion(&v);
		EXPECT_EQ(NF_DEFER, nf_complete(&v, 20, T0 + i * US));
	}
	EXPECT_EQ(T0 + 100 * US, v.deadline);
	EXPECT_EQ(NF_FIRE, nf_timer(&v, T0 + 100 * US));
	nf_fired(&v, true, true, T0 + 100 * US);
	for (i = 0; i < 15; i++) {
		nf_completion(&v);
		EXPECT_EQ(NF_DEFER, nf_complete(&v, 20, T0 + 200 * US));
	}
	nf_completion(&v);
	EXPECT_EQ(NF_FIRE, nf_complete(&v, 20, T0 + 200 * US));
	nf_prog_free(p);
}

TEST(unknown_filters_and_parameters_are_named)
{
	char *unknown[] = { "max_frame=4" };
	char *bad[] = { "max_frames=lots" };
	char *noeq[] = { "max_frames" };
	struct nf_prog *p = NULL;

	EXPECT_EQ(-ENOENT, nf_prog_load(&p, "nope", NULL, 1, err, sizeof(err)));
	if (!strstr(err, "CAP_BPF") && !strstr(err, "bpf() system call")) {
		EXPECT_NE(NULL, strstr(err, "no filter 'nope'")) TH_LOG("%s", err);
	}
	LOAD(p, "coalesce", NULL);
	EXPECT_EQ(-ENOENT, nf_prog_set_params(p, unknown, 1, err, sizeof(err)));
	EXPECT_STREQ("filter coalesce has no parameter 'max_frame' "
		     "(it has: max_frames, max_usecs, idle_fire)", err);
	EXPECT_EQ(-EINVAL, nf_prog_set_params(p, bad, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "is a number")) TH_LOG("%s", err);
	EXPECT_EQ(-EINVAL, nf_prog_set_params(p, noeq, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "key=value")) TH_LOG("%s", err);
	nf_prog_free(p);
}

TEST(objects_that_are_no_filters_are_refused)
{
	char self_exe[PATH_MAX];
	struct nf_prog *p = NULL;
	int ret;

	LOAD(p, "passthrough", NULL);
	nf_prog_free(p);
	EXPECT_EQ(-ENOENT, nf_prog_load(&p, NULL, "/nonexistent/f.bpf.o", 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "no such file")) TH_LOG("%s", err);
	/* This program: a file it may trust, but no BPF object. */
	ASSERT_NE(NULL, realpath("/proc/self/exe", self_exe));
	EXPECT_EQ(-ENOEXEC, nf_prog_load(&p, NULL, self_exe, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not a BPF object")) TH_LOG("%s", err);
	ret = nf_prog_load(&p, NULL, object("notafilter.bpf.o"), 1, err, sizeof(err));
	EXPECT_EQ(-ENOEXEC, ret);
	EXPECT_NE(NULL, strstr(err, "is not a uvdpa filter")) TH_LOG("%s", err);
}

/* A copy of notafilter.bpf.o in a directory of the test's own, with @mode. */
static void untrusted_copy(char *dir, char *file, size_t len, mode_t mode)
{
	char cmd[PATH_MAX * 2 + 16];

	strcpy(dir, "/tmp/uvdpa-obj-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(file, len, "%s/f.bpf.o", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", object("notafilter.bpf.o"), file);
	if (system(cmd) || chmod(file, mode))
		abort();
}

static void remove_dir(const char *dir)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		abort();
}

/*
 * A filter runs in the kernel: its object must be a regular file that only
 * root or the daemon's user could have written, reached by no symlink.
 */
TEST(untrusted_objects_are_refused)
{
	char dir[32], file[64], link[64];
	struct nf_prog *p = NULL;

	LOAD(p, "passthrough", NULL);
	nf_prog_free(p);
	p = NULL;
	untrusted_copy(dir, file, sizeof(file), 0644);
	/* As it is, it gets as far as the format check. */
	EXPECT_EQ(-ENOEXEC, nf_prog_load(&p, NULL, file, 1, err, sizeof(err)));
	snprintf(link, sizeof(link), "%s/link.bpf.o", dir);
	ASSERT_EQ(0, symlink(file, link));
	EXPECT_EQ(-ELOOP, nf_prog_load(&p, NULL, link, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "it is a symlink")) TH_LOG("%s", err);
	EXPECT_EQ(-EINVAL, nf_prog_load(&p, NULL, dir, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "it is not a regular file")) TH_LOG("%s", err);
	snprintf(link, sizeof(link), "%s/fifo", dir);
	ASSERT_EQ(0, mkfifo(link, 0600));
	EXPECT_EQ(-EINVAL, nf_prog_load(&p, NULL, link, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "it is not a regular file")) TH_LOG("%s", err);
	ASSERT_EQ(0, chmod(file, 0664));
	EXPECT_EQ(-EINVAL, nf_prog_load(&p, NULL, file, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "writable by its group (mode 0664): chmod go-w"))
		TH_LOG("%s", err);
	ASSERT_EQ(0, chmod(file, 0646));
	EXPECT_EQ(-EINVAL, nf_prog_load(&p, NULL, file, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "writable by others (mode 0646)")) TH_LOG("%s", err);
	EXPECT_EQ(NULL, p);
	remove_dir(dir);
}

TEST(object_of_another_owner_refused)
{
	char dir[32], file[64];
	struct nf_prog *p = NULL;

	if (geteuid())
		SKIP(return, "needs root to give the object to another uid");
	LOAD(p, "passthrough", NULL);
	nf_prog_free(p);
	p = NULL;
	untrusted_copy(dir, file, sizeof(file), 0644);
	ASSERT_EQ(0, chown(file, 65534, 65534));
	EXPECT_EQ(-EINVAL, nf_prog_load(&p, NULL, file, 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "belongs to uid 65534, not to root or this daemon's uid 0"))
		TH_LOG("%s", err);
	remove_dir(dir);
}

TEST(verifier_rejection_says_why)
{
	struct nf_prog *p = NULL;

	LOAD(p, "passthrough", NULL);
	nf_prog_free(p);
	EXPECT_EQ(-EACCES, nf_prog_load(&p, NULL, object("reject.bpf.o"), 1, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "the kernel's verifier rejected")) TH_LOG("%s", err);
	EXPECT_EQ(NULL, strstr(err, "no verifier log")) TH_LOG("%s", err);
	TH_LOG("%s", err);
}

/* 0 when the load is refused with EPERM and the message says why. */
static int load_adaptive(void *arg)
{
	struct nf_prog *p = NULL;
	int ret = nf_prog_load(&p, "adaptive", NULL, 1, err, sizeof(err));

	if (!ret)
		nf_prog_free(p);
	if (ret == -EPERM && !strstr(err, "need CAP_BPF"))
		return -EBADMSG;
	return ret == -EPERM ? 0 : ret ?: -EEXIST;
}

/* Without CAP_BPF and CAP_SYS_ADMIN the daemon says so itself. */
TEST(missing_privilege_says_so)
{
	struct nf_prog *p = NULL;
	int ret;

	LOAD(p, "passthrough", NULL);
	nf_prog_free(p);
	ASSERT_EQ(0, priv_run(priv_drop_caps, PRIV_CAP(CAP_SYS_ADMIN) | PRIV_CAP(CAP_BPF),
			      load_adaptive, NULL, &ret))
		TH_LOG("set-up error: could not drop CAP_SYS_ADMIN and CAP_BPF");
	/* -EBADMSG: refused, without the message; -EEXIST: loaded anyway. */
	EXPECT_EQ(0, ret);
}

/* A kernel without bpf(): a seccomp filter makes the call fail with ENOSYS. */
TEST(no_bpf_syscall_says_so)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(insns), .filter = insns };
	struct nf_prog *p = NULL;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(10);
		if (nf_prog_load(&p, "coalesce", NULL, 1, err, sizeof(err)) != -ENOSYS)
			_exit(11);
		_exit(strstr(err, "this kernel has no bpf() system call") ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
