// SPDX-License-Identifier: GPL-2.0
/*
 * The NBD backend against real servers on a unix socket, driven as a
 * worker drives it (a real io_uring, CQEs routed to the backend): nbdkit
 * (memory and file plugins, its error filter for faults), qemu-nbd serving
 * a qcow2 image, nbd-server. Data written reads back, discard and
 * write-zeroes read as zeroes, many requests in flight, a server killed and
 * restarted mid-flight loses nothing, a refused export, an injected error
 * and a server that sends garbage each fail with a clear error.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/be_drive.h"

#define MiB (1024 * 1024)
#define DISK (16 * MiB)
#define MAX_REQ 64

FIXTURE(nbd) {
	char dir[48], sock[64], file[96], uri[160];
	pid_t server;
	struct io_uring ring;
	struct be_ctx ctx;
	struct be be;
	bool opened;
	uint8_t *buf;
};

/*
 * Start "@argv" and wait (bounded) until its socket accepts connections, or
 * with @one_client (nbd-server -d serves one connection) until it exists.
 */
static pid_t t_server_as(const char *sock, char *const argv[], bool one_client)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long end = now_ms() + 20000;
	pid_t pid;
	int fd;

	unlink(sock);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	while (pid > 0 && now_ms() < end) {
		struct stat st;

		if (one_client && !stat(sock, &st) && S_ISSOCK(st.st_mode))
			return pid;
		fd = one_client ? -1 : socket(AF_UNIX, SOCK_STREAM, 0);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			return pid;
		}
		close(fd);
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	return -1;
}

static pid_t t_server(const char *sock, char *const argv[])
{
	return t_server_as(sock, argv, false);
}

static void t_server_stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(-*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

/* nbdkit with @plugin args (NULL-terminated, up to 6), serving one socket. */
static pid_t t_nbdkit(FIXTURE_DATA(nbd) *self, const char *a0, const char *a1, const char *a2,
		      const char *a3)
{
	char *argv[] = { "nbdkit", "-f", "-U", self->sock, (char *)a0, (char *)a1, (char *)a2,
			 (char *)a3, NULL };

	return t_server(self->sock, argv);
}

/* A sparse disk file of DISK bytes. */
static int t_file(const char *path)
{
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	int ret = fd < 0 || ftruncate(fd, DISK) ? -1 : 0;

	if (fd >= 0)
		close(fd);
	return ret;
}

FIXTURE_SETUP(nbd)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/uvdpa-nbd-%d", getpid());
	mkdir(self->dir, 0700);
	snprintf(self->sock, sizeof(self->sock), "%s/sock", self->dir);
	snprintf(self->file, sizeof(self->file), "%s/disk", self->dir);
	snprintf(self->uri, sizeof(self->uri), "nbd+unix:///?socket=%s", self->sock);
	self->server = 0;
	self->opened = false;
	ASSERT_EQ(0, io_uring_queue_init(256, &self->ring, 0));
	self->ctx = (struct be_ctx){ .ring = &self->ring, .complete = t_complete };
	memset(&self->be, 0, sizeof(self->be));
	self->be.ops = &be_nbd_ops;
	self->buf = malloc(MAX_REQ * 65536);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(nbd)
{
	/* The ring first: close() frees what its CQEs point to. */
	io_uring_queue_exit(&self->ring);
	if (self->opened)
		self->be.ops->close(&self->be);
	t_server_stop(&self->server);
	free(self->buf);
	unlink(self->sock);
	unlink(self->file);
	snprintf(self->file, sizeof(self->file), "%s/nbd-server.conf", self->dir);
	unlink(self->file);
	rmdir(self->dir);
}

static int t_open(FIXTURE_DATA(nbd) *self, const char *uri, bool ro)
{
	struct be_opts o = { .nbd = uri, .read_only = ro, .tap_fd = -1 };
	int ret = self->be.ops->open(&self->be, &o);

	if (ret)
		return ret;
	self->opened = true;
	return self->be.ops->attach(&self->be, &self->ctx);
}

/* @n writes of 64k in flight at once, then the same reads, each checked. */
static void t_rw_many(struct __test_metadata *_metadata, FIXTURE_DATA(nbd) *self, unsigned int n,
		      unsigned int seed)
{
	static struct iovec v[MAX_REQ][2];
	static struct be_io io[MAX_REQ];
	struct t_req r[MAX_REQ] = { 0 };
	static uint8_t want[65536];
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint8_t *p = self->buf + i * 65536;

		fill(p, 65536, seed + i);
		/* Two iovecs that split the data unevenly, as a guest's chain does. */
		v[i][0] = (struct iovec){ p, 512 * (i % 7 + 1) };
		v[i][1] = (struct iovec){ p + v[i][0].iov_len, 65536 - v[i][0].iov_len };
		io[i] = (struct be_io){ .op = BE_WRITE, .offset = (uint64_t)(i * 3 % n) * 65536,
					.len = 65536, .iov = v[i], .iovcnt = 2 };
		ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io[i], (uintptr_t)&r[i]));
	}
	ASSERT_EQ(0, be_wait(&self->ctx, r, n, 30000));
	for (i = 0; i < n; i++)
		ASSERT_EQ(65536, r[i].res) TH_LOG("write %u", i);
	memset(self->buf, 0, n * 65536);
	memset(r, 0, sizeof(r));
	for (i = 0; i < n; i++) {
		io[i].op = BE_READ;
		ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io[i], (uintptr_t)&r[i]));
	}
	ASSERT_EQ(0, be_wait(&self->ctx, r, n, 30000));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(65536, r[i].res) TH_LOG("read %u", i);
		fill(want, sizeof(want), seed + i);
		ASSERT_EQ(0, memcmp(want, self->buf + i * 65536, 65536)) TH_LOG("read %u", i);
	}
}

/* Discard and write-zeroes read back as zeroes; flush succeeds. */
static void t_zeroes(struct __test_metadata *_metadata, FIXTURE_DATA(nbd) *self)
{
	static uint8_t zero[65536];
	uint8_t *p = self->buf;

	fill(p, 65536, 9);
	ASSERT_EQ(65536, be_io_sync(&self->be, &self->ctx, BE_WRITE, MiB, p, 65536));
	ASSERT_EQ(65536, be_io_sync(&self->be, &self->ctx, BE_WRITE, 2 * MiB, p, 65536));
	ASSERT_EQ(0, be_io_sync(&self->be, &self->ctx, BE_FLUSH, 0, NULL, 0));
	if (self->be.discard) {
		struct be_io io = { .op = BE_DISCARD, .offset = MiB, .len = 65536 };
		struct t_req r = { 0 };

		ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io, (uintptr_t)&r));
		ASSERT_EQ(0, be_wait(&self->ctx, &r, 1, 30000));
		ASSERT_EQ(0, r.res);
	}
	if (self->be.write_zeroes) {
		struct be_io io = { .op = BE_WRITE_ZEROES, .offset = 2 * MiB, .len = 65536 };
		struct t_req r = { 0 };

		ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io, (uintptr_t)&r));
		ASSERT_EQ(0, be_wait(&self->ctx, &r, 1, 30000));
		ASSERT_EQ(0, r.res);
		ASSERT_EQ(65536, be_io_sync(&self->be, &self->ctx, BE_READ, 2 * MiB, p, 65536));
		ASSERT_EQ(0, memcmp(zero, p, 65536));
	}
}

TEST_F(nbd, nbdkit_memory)
{
	self->server = t_nbdkit(self, "memory", "size=16M", NULL, NULL);
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, t_open(self, self->uri, false)) TH_LOG("%s", self->be.why);
	EXPECT_EQ(DISK, self->be.size);
	EXPECT_TRUE(self->be.discard);
	EXPECT_TRUE(self->be.write_zeroes);
	t_rw_many(_metadata, self, MAX_REQ, 1);
	t_zeroes(_metadata, self);
}

/* qemu-nbd serving a qcow2 image: uvdpa serves qcow2 through it. */
TEST_F(nbd, qemu_nbd_qcow2)
{
	char *argv[] = { "qemu-nbd", "-k", self->sock, "-f", "qcow2", "-x", "exp", "-t",
			 "--discard=unmap", self->file, NULL };
	char uri[256];

	snprintf(uri, sizeof(uri), "qemu-img create -q -f qcow2 %s 16M", self->file);
	ASSERT_EQ(0, system(uri));
	self->server = t_server(self->sock, argv);
	ASSERT_LT(0, self->server);
	snprintf(uri, sizeof(uri), "nbd+unix:///exp?socket=%s", self->sock);
	ASSERT_EQ(0, t_open(self, uri, false)) TH_LOG("%s", self->be.why);
	EXPECT_EQ(DISK, self->be.size);
	t_rw_many(_metadata, self, MAX_REQ, 2);
	t_zeroes(_metadata, self);
}

TEST_F(nbd, nbd_server)
{
	char conf[160], *argv[] = { "nbd-server", "-C", conf, "-d", NULL };
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/nbd-server.conf", self->dir);
	f = fopen(conf, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "[generic]\nunixsock = %s\n[exp]\nexportname = %s\ntrim = true\n",
		self->sock, self->file);
	fclose(f);
	ASSERT_EQ(0, t_file(self->file));
	self->server = t_server_as(self->sock, argv, true);
	ASSERT_LT(0, self->server);
	snprintf(self->uri, sizeof(self->uri), "nbd+unix:///exp?socket=%s", self->sock);
	ASSERT_EQ(0, t_open(self, self->uri, false)) TH_LOG("%s", self->be.why);
	EXPECT_EQ(DISK, self->be.size);
	t_rw_many(_metadata, self, MAX_REQ, 3);
	t_zeroes(_metadata, self);
}

/* The server killed with requests in flight and started again: they are sent again. */
TEST_F(nbd, server_restart_resends)
{
	static struct iovec v[MAX_REQ];
	static struct be_io io[MAX_REQ];
	struct t_req r[MAX_REQ] = { 0 };
	static uint8_t want[65536];
	unsigned int i;

	ASSERT_EQ(0, t_file(self->file));
	/* Writes take a second there: they are on the server when it dies. */
	self->server = t_nbdkit(self, "--filter=delay", "file", self->file, "wdelay=1");
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, t_open(self, self->uri, false)) TH_LOG("%s", self->be.why);
	for (i = 0; i < MAX_REQ; i++) {
		fill(self->buf + i * 65536, 65536, 40 + i);
		v[i] = (struct iovec){ self->buf + i * 65536, 65536 };
		io[i] = (struct be_io){ .op = BE_WRITE, .offset = (uint64_t)i * 65536, .len = 65536,
					.iov = &v[i], .iovcnt = 1 };
		ASSERT_EQ(1, self->be.ops->submit(&self->be, &self->ctx, &io[i], (uintptr_t)&r[i]));
		/* The second half is queued while the connection is down. */
		if (i == MAX_REQ / 2) {
			ASSERT_EQ(-ETIMEDOUT, be_wait(&self->ctx, r, 1, 300));
			t_server_stop(&self->server);
		}
	}
	self->server = t_nbdkit(self, "file", self->file, NULL, NULL);
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, be_wait(&self->ctx, r, MAX_REQ, 30000));
	for (i = 0; i < MAX_REQ; i++)
		ASSERT_EQ(65536, r[i].res) TH_LOG("write %u", i);
	for (i = 0; i < MAX_REQ; i++) {
		ASSERT_EQ(65536, be_io_sync(&self->be, &self->ctx, BE_READ, (uint64_t)i * 65536, self->buf, 65536));
		fill(want, sizeof(want), 40 + i);
		ASSERT_EQ(0, memcmp(want, self->buf, 65536)) TH_LOG("block %u", i);
	}
}

/* nbdkit's error filter: every read fails with EIO, and the connection stays usable. */
TEST_F(nbd, injected_error)
{
	self->server = t_nbdkit(self, "--filter=error", "memory", "size=16M",
				"error-pread-rate=100%");
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, t_open(self, self->uri, false)) TH_LOG("%s", self->be.why);
	EXPECT_EQ(-EIO, be_io_sync(&self->be, &self->ctx, BE_READ, 0, self->buf, 4096));
	EXPECT_EQ(4096, be_io_sync(&self->be, &self->ctx, BE_WRITE, 0, self->buf, 4096));
	EXPECT_EQ(-EIO, be_io_sync(&self->be, &self->ctx, BE_READ, 4096, self->buf, 4096));
}

/*
 * A second ring is a second connection: refused unless the server says
 * flushes cover every connection's writes.
 */
TEST_F(nbd, second_ring_needs_multi_conn)
{
	struct io_uring ring2;
	struct be_ctx ctx2 = { .ring = &ring2, .complete = t_complete };

	ASSERT_EQ(0, io_uring_queue_init(8, &ring2, 0));
	self->server = t_nbdkit(self, "--filter=multi-conn", "memory", "size=16M",
				"multi-conn-mode=disable");
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, t_open(self, self->uri, false)) TH_LOG("%s", self->be.why);
	EXPECT_EQ(-EOPNOTSUPP, self->be.ops->attach(&self->be, &ctx2));
	self->be.ops->close(&self->be);
	self->opened = false;
	t_server_stop(&self->server);

	self->server = t_nbdkit(self, "memory", "size=16M", NULL, NULL);
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, t_open(self, self->uri, false)) TH_LOG("%s", self->be.why);
	ASSERT_EQ(0, self->be.ops->attach(&self->be, &ctx2));
	memset(self->buf, 0x5a, 4096);
	EXPECT_EQ(4096, be_io_sync(&self->be, &self->ctx, BE_WRITE, 0, self->buf, 4096));
	io_uring_queue_exit(&ring2);
}

TEST_F(nbd, refused_export)
{
	char *argv[] = { "qemu-nbd", "-k", self->sock, "-f", "raw", "-x", "exp", "-t",
			 self->file, NULL };
	char uri[256];

	ASSERT_EQ(0, t_file(self->file));
	self->server = t_server(self->sock, argv);
	ASSERT_LT(0, self->server);
	snprintf(uri, sizeof(uri), "nbd+unix:///nope?socket=%s", self->sock);
	EXPECT_EQ(-ENOENT, t_open(self, uri, false));
	EXPECT_NE(NULL, strstr(self->be.why, "refused export 'nope'")) TH_LOG("%s", self->be.why);
	snprintf(uri, sizeof(uri), "nbd+unix:///exp?socket=%s/none", self->dir);
	EXPECT_EQ(-ENOENT, t_open(self, uri, false));
	EXPECT_NE(NULL, strstr(self->be.why, "cannot connect")) TH_LOG("%s", self->be.why);
	EXPECT_EQ(-EINVAL, t_open(self, "nbd:/x", false));
	EXPECT_NE(NULL, strstr(self->be.why, "NBD URI")) TH_LOG("%s", self->be.why);
}

/* A server that answers the greeting with garbage: a clear error, no crash. */
TEST_F(nbd, garbage_server)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), c;
	uint8_t junk[4096];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", self->sock);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(fd, 4));
	fill(junk, sizeof(junk), 77);
	self->server = fork();
	if (self->server == 0) {
		setpgid(0, 0);
		while ((c = accept(fd, NULL, NULL)) >= 0) {
			send(c, junk, sizeof(junk), MSG_NOSIGNAL);
			close(c);
		}
		_exit(0);
	}
	close(fd);
	ASSERT_LT(0, self->server);
	EXPECT_EQ(-EPROTO, t_open(self, self->uri, false));
	EXPECT_NE(NULL, strstr(self->be.why, "not an NBD server")) TH_LOG("%s", self->be.why);
}

TEST_HARNESS_MAIN
