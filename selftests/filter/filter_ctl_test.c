// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpactl filter set and stats against the daemon's own control socket,
 * workers and BPF programs, with no device: the workers' queues are never
 * set up, so a program runs only when the control path makes it run (a
 * swap, new parameters), and what it left in each queue's memory is what
 * that path did. Needs BPF (root): skipped, saying why, where refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "daemon/ctl.h"
#include "kselftest_harness.h"
#include "lib/idle_model.h"
#include "uvdpa_ctl.h"
#include "worker/worker.h"

/* adaptive's state[] (bpf/adaptive.bpf.c) */
#define DEPTH_EWMA 0
#define LEVEL 1
#define NR_QUEUES 3

FIXTURE(ctl) {
	char dir[64];
	struct worker *w[2];
	struct ctl_dev dev;
	struct ctl *c;
	char out[8192];
	char err[512];
};

FIXTURE_SETUP(ctl)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/uvdpa-nfctl.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, setenv(UVDPA_CTL_DIR_ENV, self->dir, 1));
	self->dev = (struct ctl_dev){
		.name = "nf0",
		.workers = self->w,
		.nr_workers = 2,
		.nr_queues = NR_QUEUES,
		.filter_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	ASSERT_EQ(0, worker_new(&self->w[0], &idle_model, NULL, 0, 2));
	ASSERT_EQ(0, worker_new(&self->w[1], &idle_model, NULL, 2, 1));
	ASSERT_EQ(0, worker_run(self->w[0]));
	ASSERT_EQ(0, worker_run(self->w[1]));
	ASSERT_EQ(0, ctl_start(&self->c, &self->dev, self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
}

FIXTURE_TEARDOWN(ctl)
{
	char cmd[96];

	ctl_stop(self->c);
	worker_free(self->w[0]);
	worker_free(self->w[1]);
	nf_prog_free(self->dev.filter);
	unsetenv(UVDPA_CTL_DIR_ENV);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	ASSERT_EQ(0, system(cmd));
}

/*
 * uvdpactl with the words of @args (split at blanks) after its name, as
 * uvdpactl runs them: its output in self->out, or on error the message in
 * self->err. 0, or what the client returned.
 */
static int uvdpactl(FIXTURE_DATA(ctl) *self, const char *args)
{
	char words[UVDPA_CTL_LINE_MAX], *argv[32] = { "uvdpactl" }, *reply = NULL, *save;
	struct ctl_request r;
	int argc = 1, ret;
	FILE *f;

	snprintf(words, sizeof(words), "%s", args);
	for (argv[argc] = strtok_r(words, " ", &save); argv[argc] && argc < 31;
	     argv[++argc] = strtok_r(NULL, " ", &save))
		;
	self->out[0] = self->err[0] = '\0';
	ret = ctl_client_parse(argc, argv, &r, self->err, sizeof(self->err));
	if (!ret)
		ret = ctl_client_call(&r, &reply);
	if (ret)
		return ret;
	f = fmemopen(self->out, sizeof(self->out), "w");
	if (!f) {
		free(reply);
		return -errno;
	}
	ret = ctl_client_format(&r, reply, f, self->err, sizeof(self->err));
	fclose(f);
	free(reply);
	return ret;
}

/* The filter every queue follows, as the daemon has it. */
static struct nf_prog *filter(FIXTURE_DATA(ctl) *self)
{
	struct nf_prog *p;

	pthread_mutex_lock(&self->dev.filter_lock);
	p = self->dev.filter;
	pthread_mutex_unlock(&self->dev.filter_lock);
	return p;
}

/* Queue @q's @key in uvdpactl stats -j, or -1. */
static long long stat_of(FIXTURE_DATA(ctl) *self, unsigned int q, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "{\"vq\": %u, ", q);
	p = strstr(self->out, pat);
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = p ? strstr(p, pat) : NULL;
	return p ? atoll(p + strlen(pat)) : -1;
}

#define SET_ADAPTIVE(self) do {							\
		int __ret = uvdpactl(self, "filter set nf0 adaptive");		\
		if (__ret && (strstr((self)->err, "CAP_BPF") ||			\
			      strstr((self)->err, "bpf() system call")))	\
			SKIP(return, "BPF unavailable here: %s", (self)->err);	\
		ASSERT_EQ(0, __ret) TH_LOG("%s", (self)->err);			\
	} while (0)

/*
 * filter set of the filter running: the new values in place, the same
 * program, each queue's state kept and its decision taken again under them.
 */
TEST_F(ctl, new_parameters_keep_the_program_and_its_state)
{
	struct nf_prog *p;
	unsigned int q;

	SET_ADAPTIVE(self);
	EXPECT_STREQ("nf0: filter adaptive\n  max_frames=32\n  max_usecs=50\n  min_rate=20\n",
		     self->out);
	p = filter(self);
	ASSERT_NE(NULL, p);
	/* As if each queue had climbed to 32 frames under load. */
	for (q = 0; q < NR_QUEUES; q++) {
		p->shm->vq[q].state[DEPTH_EWMA] = 32 << 4;
		p->shm->vq[q].state[LEVEL] = 5;
	}
	ASSERT_EQ(0, uvdpactl(self, "filter set nf0 adaptive max_frames=8 max_usecs=20"))
		TH_LOG("%s", self->err);
	EXPECT_STREQ("nf0: filter adaptive\n  max_frames=8\n  max_usecs=20\n  min_rate=20\n",
		     self->out);
	EXPECT_EQ(p, filter(self));
	for (q = 0; q < NR_QUEUES; q++) {
		EXPECT_EQ(32 << 4, p->shm->vq[q].state[DEPTH_EWMA]) TH_LOG("queue %u", q);
		EXPECT_EQ(5, p->shm->vq[q].state[LEVEL]) TH_LOG("queue %u", q);
		/* Run again under the new values, from the profile it had: not 1 frame. */
		EXPECT_EQ(8, p->shm->vq[q].dec.defer_frames) TH_LOG("queue %u", q);
		EXPECT_EQ(20, p->shm->vq[q].dec.defer_us) TH_LOG("queue %u", q);
	}
	/* What uvdpactl stats shows of each queue: the run, and the decision it took. */
	ASSERT_EQ(0, uvdpactl(self, "stats nf0 -j")) TH_LOG("%s", self->err);
	for (q = 0; q < NR_QUEUES; q++) {
		EXPECT_EQ(2, stat_of(self, q, "filter_runs")) TH_LOG("queue %u: %s", q, self->out);
		EXPECT_EQ(8, stat_of(self, q, "defer_frames")) TH_LOG("queue %u: %s", q, self->out);
		EXPECT_EQ(20, stat_of(self, q, "defer_us")) TH_LOG("queue %u: %s", q, self->out);
		EXPECT_EQ(1, stat_of(self, q, "idle_fire")) TH_LOG("queue %u: %s", q, self->out);
		EXPECT_EQ(0, stat_of(self, q, "poll_us")) TH_LOG("queue %u: %s", q, self->out);
	}
	ASSERT_EQ(0, uvdpactl(self, "filter show nf0")) TH_LOG("%s", self->err);
	EXPECT_STREQ("nf0: filter adaptive\n  max_frames=8\n  max_usecs=20\n  min_rate=20\n",
		     self->out);
}

/* One bad word: an error line, and no value, program or queue changed. */
TEST_F(ctl, a_bad_word_changes_nothing)
{
	static const char *const bad[] = {
		"filter set nf0 adaptive max_usecs=10 nope=1",
		"filter set nf0 adaptive max_frames=4 max_usecs=-1",
		"filter set nf0 adaptive max_frames=4 min_rate=many",
	};
	static const char *const why[] = {
		"filter adaptive has no parameter 'nope' (it has: max_frames, max_usecs, min_rate)",
		"'max_usecs=-1': the value of max_usecs is a number",
		"'min_rate=many': the value of min_rate is a number",
	};
	struct uvdpa_nf_shared before;
	struct nf_prog *p;
	unsigned int i;

	SET_ADAPTIVE(self);
	ASSERT_EQ(0, uvdpactl(self, "filter set nf0 adaptive max_frames=16"))
		TH_LOG("%s", self->err);
	p = filter(self);
	ASSERT_NE(NULL, p);
	memcpy(&before, p->shm, sizeof(before));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EIO, uvdpactl(self, bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_STREQ(why[i], self->err);
		EXPECT_EQ(p, filter(self));
		EXPECT_EQ(0, memcmp(&before, p->shm, sizeof(before))) TH_LOG("%s", bad[i]);
	}
	ASSERT_EQ(0, uvdpactl(self, "filter show nf0")) TH_LOG("%s", self->err);
	EXPECT_STREQ("nf0: filter adaptive\n  max_frames=16\n  max_usecs=50\n  min_rate=20\n",
		     self->out);
	ASSERT_EQ(0, uvdpactl(self, "stats nf0 -j")) TH_LOG("%s", self->err);
	for (i = 0; i < NR_QUEUES; i++)
		EXPECT_EQ(2, stat_of(self, i, "filter_runs")) TH_LOG("queue %u: %s", i, self->out);
}

/* --reload, or another filter: a fresh program, its defaults, its state from zero. */
TEST_F(ctl, reload_starts_afresh)
{
	struct nf_prog *p;

	SET_ADAPTIVE(self);
	ASSERT_EQ(0, uvdpactl(self, "filter set nf0 adaptive max_frames=8"))
		TH_LOG("%s", self->err);
	p = filter(self);
	ASSERT_NE(NULL, p);
	p->shm->vq[1].state[LEVEL] = 5;
	ASSERT_EQ(0, uvdpactl(self, "filter set nf0 --reload adaptive max_usecs=30"))
		TH_LOG("%s", self->err);
	EXPECT_STREQ("nf0: filter adaptive\n  max_frames=32\n  max_usecs=30\n  min_rate=20\n",
		     self->out);
	EXPECT_NE(p, filter(self));
	p = filter(self);
	EXPECT_EQ(0, p->shm->vq[1].state[LEVEL]);
	EXPECT_EQ(1, p->shm->vq[1].dec.defer_frames);
	ASSERT_EQ(0, uvdpactl(self, "filter set nf0 coalesce max_usecs=20"))
		TH_LOG("%s", self->err);
	EXPECT_STREQ("nf0: filter coalesce\n  max_frames=16\n  max_usecs=20\n  idle_fire=1\n",
		     self->out);
	EXPECT_NE(p, filter(self));
	ASSERT_EQ(0, uvdpactl(self, "filter set nf0 builtin")) TH_LOG("%s", self->err);
	EXPECT_EQ(NULL, filter(self));
}

TEST_HARNESS_MAIN
