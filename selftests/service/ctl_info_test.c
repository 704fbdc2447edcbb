// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpactl list and show against fake daemons on sockets in a run
 * directory: one that answers, a socket whose daemon is gone, one that
 * never answers, one killed while it answers, one too old for "info".
 * Every one is listed as what it is, and none holds the command up.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../lib/idle_model.h"
#include "../lib/list_row.h"
#include "ctl_info.h"
#include "daemon/ctl.h"
#include "kselftest_harness.h"
#include "uvdpa_ctl.h"
#include "worker/worker.h"

/* The client's deadline here; a loaded machine still answers well within it. */
#define TIMEOUT_MS 1000
/* Not about the deadline: the daemon's side under ASan on a loaded machine. */
#define REAL_TIMEOUT_MS 20000

/* As uvdpad answers (daemon/info.c, ctl.c's cmd_info). */
static const char disk_info[] =
	"name=disk0 type=blk queues=2 workers=2 pid=4242\n"
	"backend=file size=67108864 block_size=512 read_only=no direct=no\n"
	"path=/var/lib/uvdpa/disk 0.img\n"
	"driver=virtio_vdpa dev=vda\n"
	"features_offered=SEG_MAX,FLUSH,MQ,VERSION_1\n"
	"features_negotiated=SEG_MAX,FLUSH,VERSION_1\n"
	"ring=split queue_size=256 event_idx=no indirect=no\n"
	"reconnect=ready\n"
	"state_file=/run/uvdpa/disk0.state\n"
	"filter=builtin\n"
	"vq=0 worker=0 state=running size=256 inflight=3\n"
	"vq=1 worker=1 state=broken size=256 inflight=0 why=descriptor 17: readable after writable\n";

static const char nic_info[] =
	"name=nic0 type=net queues=2 workers=1 pid=4343\n"
	"backend=tap mac=02:00:00:00:00:01 mtu=1500 tap=uvdpa0 link=up\n"
	"driver=none dev=-\n";

enum mode { ANSWER, NEVER, DIES, OLD };

struct fake {
	char path[108];
	enum mode mode;
	const char *info;
	int fd;
	pthread_t thread;
	char request[128];
};

/* One connection, served as @mode says. */
static void *serve(void *arg)
{
	struct fake *f = arg;
	char reply[4096];
	ssize_t n;
	int c;

	c = accept(f->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	n = read(c, f->request, sizeof(f->request) - 1);
	f->request[n > 0 ? n : 0] = '\0';
	switch (f->mode) {
	case ANSWER:
		snprintf(reply, sizeof(reply), "%sok\n", f->info);
		break;
	case DIES:
		/* Half a line, then the process is gone. */
		snprintf(reply, sizeof(reply), "name=dying type=blk back");
		break;
	case OLD:
		snprintf(reply, sizeof(reply), "error unknown command 'info'\n");
		break;
	case NEVER:
		/* Read and never answered: until the client gives up and closes. */
		while (read(c, reply, sizeof(reply)) > 0)
			;
		close(c);
		return NULL;
	}
	if (write(c, reply, strlen(reply)) < 0)
		reply[0] = '\0';
	close(c);
	return NULL;
}

FIXTURE(info) {
	char dir[64];
	struct fake fakes[5];
	int nr;
	char *out;
	size_t outlen;
	int timeout_ms;
};

static void add_fake(struct __test_metadata *_metadata, FIXTURE_DATA(info) *self,
		     const char *name, enum mode mode, const char *info, bool listening)
{
	struct fake *f = &self->fakes[self->nr++];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char dir[sizeof(self->dir)];

	memcpy(dir, self->dir, sizeof(dir));
	snprintf(f->path, sizeof(f->path), "%s/%s.sock", dir, name);
	f->mode = mode;
	f->info = info;
	f->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, f->fd);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
	ASSERT_EQ(0, bind(f->fd, (struct sockaddr *)&a, sizeof(a)));
	if (!listening) {
		/* What kill -9 leaves: the file, and nobody listening on it. */
		close(f->fd);
		f->fd = -1;
		return;
	}
	ASSERT_EQ(0, listen(f->fd, 4));
	ASSERT_EQ(0, pthread_create(&f->thread, NULL, serve, f));
}

FIXTURE_SETUP(info)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/uvdpa-info.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->nr = 0;
	self->out = NULL;
	self->timeout_ms = TIMEOUT_MS;
}

FIXTURE_TEARDOWN(info)
{
	char cmd[128];
	int i;

	for (i = 0; i < self->nr; i++) {
		if (self->fakes[i].fd < 0)
			continue;
		/* A thread still in accept() returns from it. */
		shutdown(self->fakes[i].fd, SHUT_RDWR);
		pthread_join(self->fakes[i].thread, NULL);
		close(self->fakes[i].fd);
	}
	free(self->out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	ASSERT_EQ(0, system(cmd));
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* A new output for the next command: uvdpactl's stdout. */
static FILE *capture(FIXTURE_DATA(info) *self)
{
	free(self->out);
	self->out = NULL;
	return open_memstream(&self->out, &self->outlen);
}

static int list(FIXTURE_DATA(info) *self, bool json)
{
	FILE *f = capture(self);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = ctl_info_list(self->dir, json, self->timeout_ms, f);
	fclose(f);
	return ret;
}

TEST_F(info, every_kind_of_daemon_listed_within_the_deadlines)
{
	long long t0;

	add_fake(_metadata, self, "disk0", ANSWER, disk_info, true);
	add_fake(_metadata, self, "nic0", ANSWER, nic_info, true);
	add_fake(_metadata, self, "gone", ANSWER, NULL, false);
	add_fake(_metadata, self, "hung", NEVER, NULL, true);
	add_fake(_metadata, self, "dying", DIES, NULL, true);
	t0 = now_ms();
	ASSERT_EQ(0, list(self, false));
	/* One deadline for the one that never answers; the others at once. */
	EXPECT_GT(TIMEOUT_MS * 2, now_ms() - t0);
	EXPECT_EQ(0, strncmp(self->out, "NAME ", 5)) TH_LOG("%s", self->out);
	EXPECT_ROW(self->out, "disk0", " blk ", " file ", " 64M ", " 2 ", " virtio_vdpa ", " vda ", " 4242 ",
		   " running");
	EXPECT_ROW(self->out, "nic0", " net ", " tap ", " 02:00:00:00:00:01 ", " none ", " 4343 ", " running");
	EXPECT_ROW(self->out, "gone", " stale");
	EXPECT_ROW(self->out, "hung", " no-answer");
	/* Killed while it answered: as stale as one killed before. */
	EXPECT_ROW(self->out, "dying", " stale");
	EXPECT_STREQ("uvdpa-ctl 1 info\n", self->fakes[0].request);
	/* Sorted by name. */
	EXPECT_LT(list_row(self->out, "disk0"), list_row(self->out, "dying"));
	EXPECT_LT(list_row(self->out, "hung"), list_row(self->out, "nic0"));
}

TEST_F(info, json)
{
	add_fake(_metadata, self, "disk0", ANSWER, disk_info, true);
	add_fake(_metadata, self, "gone", ANSWER, NULL, false);
	add_fake(_metadata, self, "nic0", ANSWER, nic_info, true);
	add_fake(_metadata, self, "old", OLD, NULL, true);
	ASSERT_EQ(0, list(self, true));
	EXPECT_STREQ("[{\"name\": \"disk0\", \"type\": \"blk\", \"backend\": \"file\", "
		     "\"size\": 67108864, \"queues\": 2, \"driver\": \"virtio_vdpa\", "
		     "\"dev\": \"vda\", \"pid\": 4242, \"state\": \"running\"}, "
		     "{\"name\": \"gone\", \"state\": \"stale\"}, "
		     "{\"name\": \"nic0\", \"type\": \"net\", \"backend\": \"tap\", "
		     "\"mac\": \"02:00:00:00:00:01\", \"queues\": 2, \"driver\": \"none\", "
		     "\"pid\": 4343, \"state\": \"running\"}, "
		     "{\"name\": \"old\", \"state\": \"old-daemon\"}]\n", self->out);
}

TEST_F(info, nothing_to_list)
{
	ASSERT_EQ(0, list(self, true));
	EXPECT_STREQ("[]\n", self->out);
	/* No run directory yet: no daemon ever ran. */
	ASSERT_EQ(0, ctl_info_list("/nonexistent/uvdpa", true, TIMEOUT_MS, stdout));
}

static int show(FIXTURE_DATA(info) *self, const char *name, bool json, char *err, size_t len)
{
	FILE *f = capture(self);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = ctl_info_show(self->dir, name, json, self->timeout_ms, f, err, len);
	fclose(f);
	return ret;
}

TEST_F(info, show_one_device)
{
	char err[256];

	add_fake(_metadata, self, "disk0", ANSWER, disk_info, true);
	ASSERT_EQ(0, show(self, "disk0", false, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(self->out, "features_negotiated  SEG_MAX,FLUSH,VERSION_1\n"))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "state_file           /run/uvdpa/disk0.state\n"));
	/* A path with a blank is one value. */
	EXPECT_NE(NULL, strstr(self->out, "path                 /var/lib/uvdpa/disk 0.img\n"));
	EXPECT_NE(NULL, strstr(self->out, "queues:\n  vq worker state   size inflight why\n"))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out,
			       "  0  0      running 256  3        -\n"
			       "  1  1      broken  256  0        descriptor 17: readable after "
			       "writable\n"))
		TH_LOG("%s", self->out);
}

TEST_F(info, show_json)
{
	char err[256];

	add_fake(_metadata, self, "nic0", ANSWER,
		 "name=nic0 type=net mac=02:00:00:00:00:01 queues=2\n"
		 "vq=0 state=stopped size=256 inflight=0\n"
		 "vq=1 state=broken size=256 inflight=0 why=used ring \"unmapped\"\n", true);
	ASSERT_EQ(0, show(self, "nic0", true, err, sizeof(err)));
	EXPECT_STREQ("{\"name\": \"nic0\", \"type\": \"net\", \"mac\": \"02:00:00:00:00:01\", "
		     "\"queues\": 2, \"vqs\": [{\"vq\": 0, \"state\": \"stopped\", \"size\": 256, "
		     "\"inflight\": 0}, {\"vq\": 1, \"state\": \"broken\", \"size\": 256, "
		     "\"inflight\": 0, \"why\": \"used ring \\\"unmapped\\\"\"}]}\n", self->out);
}

TEST_F(info, show_refusals)
{
	char err[256];

	add_fake(_metadata, self, "gone", ANSWER, NULL, false);
	add_fake(_metadata, self, "hung", NEVER, NULL, true);
	add_fake(_metadata, self, "old", OLD, NULL, true);
	EXPECT_EQ(-ECONNREFUSED, show(self, "gone", false, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "stale: the daemon serving 'gone' is gone")) TH_LOG("%s", err);
	EXPECT_EQ(-ETIMEDOUT, show(self, "hung", false, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "did not answer within 1000 ms")) TH_LOG("%s", err);
	EXPECT_EQ(-EPROTO, show(self, "old", false, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "does not know 'info'")) TH_LOG("%s", err);
	EXPECT_EQ(-ENOENT, show(self, "none", false, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "no uvdpad serves 'none'")) TH_LOG("%s", err);
}

/* The daemon's own control socket and workers answer the client (no VDUSE device: no info_dev). */
TEST_F(info, the_daemon_side_answers)
{
	struct worker *w[2] = { NULL, NULL };
	struct ctl_dev dev = {
		.name = "real",
		.workers = w,
		.nr_workers = 2,
		.nr_queues = 3,
		.filter_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	char err[256];
	struct ctl *c;

	self->timeout_ms = REAL_TIMEOUT_MS;
	ASSERT_EQ(0, setenv(UVDPA_CTL_DIR_ENV, self->dir, 1));
	ASSERT_EQ(0, worker_new(&w[0], &idle_model, NULL, 0, 2));
	ASSERT_EQ(0, worker_new(&w[1], &idle_model, NULL, 2, 1));
	ASSERT_EQ(0, worker_run(w[0]));
	ASSERT_EQ(0, worker_run(w[1]));
	ASSERT_EQ(0, ctl_start(&c, &dev, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, show(self, "real", true, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_STREQ("{\"filter\": \"builtin\", \"vqs\": ["
		     "{\"vq\": 0, \"worker\": 0, \"state\": \"off\", \"size\": 0, \"inflight\": 0}, "
		     "{\"vq\": 1, \"worker\": 0, \"state\": \"off\", \"size\": 0, \"inflight\": 0}, "
		     "{\"vq\": 2, \"worker\": 1, \"state\": \"off\", \"size\": 0, \"inflight\": 0}]}\n",
		     self->out);
	EXPECT_EQ(0, list(self, false));
	EXPECT_ROW(self->out, "real", " running");
	ctl_stop(c);
	/* Gone with its daemon: neither listed nor stale. */
	EXPECT_EQ(0, list(self, true));
	EXPECT_STREQ("[]\n", self->out);
	worker_free(w[0]);
	worker_free(w[1]);
	unsetenv(UVDPA_CTL_DIR_ENV);
}

TEST_HARNESS_MAIN
