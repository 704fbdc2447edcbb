// SPDX-License-Identifier: GPL-2.0
/*
 * Notification filters on a live device, steered with uvdpactl: coalescing
 * cuts interrupts at depth while fio verify passes and takes new values in
 * place on every queue, adaptive holds back no lone completion at QD1,
 * swaps and parameter changes under I/O lose nothing, and a
 * program the verifier refuses, or a daemon without CAP_BPF, leave the
 * device serving with the policy it had.
 */
#include "kselftest_harness.h"
#include "uvdpad_util.h"

/* Five rounds of the five programs: each is swapped in five times. */
#define SWAPS 25

/* The counters of every queue, summed, from `uvdpactl stats -j`. */
struct totals {
	long long completions, batches, irqs, deferred, timer_irqs, driver_suppressed;
	long long filter_runs;
};

/* Next to this program's directory: uvdpactl and the filter collection. */
static const char *sibling(char *path, size_t len, const char *rel)
{
	ssize_t n = readlink("/proc/self/exe", path, len - 64);

	if (n < 0)
		return rel;
	path[n] = '\0';
	strcpy(strrchr(path, '/') + 1, rel);
	return path;
}

FIXTURE(filter) {
	struct daemon d;
	char img[64];
	char dev[64];
	char ctl[PATH_MAX];
};

FIXTURE_SETUP(filter)
{
	sibling(self->ctl, sizeof(self->ctl), "../../uvdpactl");
	snprintf(self->img, sizeof(self->img), "/tmp/uvdpa-nf-%d.img", getpid());
	snprintf(self->d.name, sizeof(self->d.name), "ksft-nf%d", getpid());
	unlink(self->img);
}

FIXTURE_TEARDOWN(filter)
{
	daemon_close(&self->d);
	unlink(self->img);
}

/*
 * uvdpad on a 64M file, attached, with @extra options (NULL-terminated); run
 * through setpriv without CAP_BPF and CAP_SYS_ADMIN when @unprivileged.
 */
static int start(struct __test_metadata *_metadata, FIXTURE_DATA(filter) *self,
		 bool unprivileged, const char *const *extra)
{
	const char *argv[32];
	char why[1024] = "";
	int n = 0, ret;

	if (unprivileged) {
		argv[n++] = "setpriv";
		argv[n++] = "--bounding-set=-bpf,-sys_admin,-perfmon";
		argv[n++] = "--inh-caps=-bpf,-sys_admin,-perfmon";
	}
	argv[n++] = uvdpad_path();
	argv[n++] = "blk";
	argv[n++] = "--name";
	argv[n++] = self->d.name;
	argv[n++] = "--file";
	argv[n++] = self->img;
	argv[n++] = "--size";
	argv[n++] = "64M";
	argv[n++] = "--attach";
	while (*extra && n < 30)
		argv[n++] = *extra++;
	argv[n] = NULL;
	ret = daemon_exec(&self->d, self->d.name, argv[0], argv);
	if (!ret)
		ret = daemon_ready(&self->d, why, sizeof(why));
	if (ret) {
		TH_LOG("uvdpad did not get ready %s", why);
		return ret;
	}
	ret = daemon_find_disk(&self->d, self->dev, sizeof(self->dev));
	if (ret)
		return ret;
	/*
	 * The counts below are fio's I/Os, one request each: the block layer
	 * must not merge neighbours (7.x merges some of a randwrite's).
	 */
	return run("echo 2 >/sys/block/%s/queue/nomerges", self->d.disk);
}

/* Run uvdpactl ARGS: its exit status, its output (stdout and stderr) in @out. */
static int ctl(FIXTURE_DATA(filter) *self, char *out, size_t len, const char *fmt, ...)
{
	char args[512], cmd[PATH_MAX + 600];
	va_list ap;
	FILE *f;
	size_t got;
	int status;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", self->ctl, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	got = fread(out, 1, len - 1, f);
	out[got] = '\0';
	status = pclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The sum over queues of "key": N in a stats -j reply. */
static long long sum(const char *json, const char *key)
{
	char pat[64];
	long long total = 0;
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	for (p = strstr(json, pat); p; p = strstr(p + 1, pat))
		total += atoll(p + strlen(pat));
	return total;
}

/* How often @pat is in @s. */
static int count(const char *s, const char *pat)
{
	int n = 0;

	for (s = strstr(s, pat); s; s = strstr(s + 1, pat))
		n++;
	return n;
}

static int stats(FIXTURE_DATA(filter) *self, struct totals *t)
{
	char out[8192];
	int ret = ctl(self, out, sizeof(out), "stats %s -j", self->d.name);

	t->completions = sum(out, "completions");
	t->batches = sum(out, "batches");
	t->irqs = sum(out, "irqs");
	t->deferred = sum(out, "deferred");
	t->timer_irqs = sum(out, "timer_irqs");
	t->driver_suppressed = sum(out, "driver_suppressed");
	t->filter_runs = sum(out, "filter_runs");
	return ret;
}

static int fio(FIXTURE_DATA(filter) *self, const char *rw, int qd, const char *size)
{
	return run("fio --name=nf --filename=%s --ioengine=io_uring --direct=1 --rw=%s --bs=4k "
		   "--iodepth=%d --size=%s --verify=crc32c --do_verify=1 --verify_fatal=1 "
		   "--output=/dev/null", self->dev, rw, qd, size);
}

/* coalesce at QD32: under one interrupt per four completions, and the data intact. */
TEST_F_TIMEOUT(filter, coalesce_cuts_interrupts_at_qd32, 300)
{
	struct totals t0, t1;
	long long done, irqs;
	char out[1024];

	ASSERT_EQ(0, start(_metadata, self, false,
			   (const char *const[]){ "--filter", "coalesce", NULL }));
	EXPECT_EQ(0, ctl(self, out, sizeof(out), "filter show %s", self->d.name));
	EXPECT_NE(NULL, strstr(out, "filter coalesce\n  max_frames=16\n  max_usecs=100\n"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, stats(self, &t0));
	EXPECT_EQ(0, fio(self, "randwrite", 32, "8M"));
	ASSERT_EQ(0, stats(self, &t1));
	done = t1.completions - t0.completions;
	irqs = t1.irqs - t0.irqs;
	/* Writes and the verifying reads: 4096 requests of 4k. */
	EXPECT_LE(4096, done);
	EXPECT_LT(irqs * 4, done) TH_LOG("%lld interrupts for %lld completions", irqs, done);
	/* The filter did the work, not the driver's own suppression. */
	EXPECT_LT(0, t1.deferred - t0.deferred);
	EXPECT_LE(t1.timer_irqs - t0.timer_irqs, irqs);
	/* A new value in place: every queue that serves follows it at once. */
	EXPECT_EQ(0, ctl(self, out, sizeof(out), "filter set %s coalesce max_usecs=20",
			 self->d.name));
	EXPECT_NE(NULL, strstr(out, "  max_frames=16\n  max_usecs=20\n")) TH_LOG("%s", out);
	EXPECT_EQ(0, ctl(self, out, sizeof(out), "stats %s -j", self->d.name));
	EXPECT_LT(0, count(out, "{\"vq\": "));
	EXPECT_EQ(count(out, "{\"vq\": "), count(out, "\"defer_us\": 20,")) TH_LOG("%s", out);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/* adaptive at QD1: every completion is alone in flight, and none is held back. */
TEST_F_TIMEOUT(filter, adaptive_never_defers_at_qd1, 300)
{
	struct totals t0, t1;

	ASSERT_EQ(0, start(_metadata, self, false,
			   (const char *const[]){ "--filter", "adaptive", NULL }));
	ASSERT_EQ(0, stats(self, &t0));
	EXPECT_EQ(0, fio(self, "randwrite", 1, "2M"));
	ASSERT_EQ(0, stats(self, &t1));
	EXPECT_LE(1024, t1.completions - t0.completions);
	EXPECT_EQ(0, t1.deferred - t0.deferred);
	EXPECT_EQ(0, t1.timer_irqs - t0.timer_irqs);
	/* Each batch ended in an interrupt, or in one the driver had switched off. */
	EXPECT_EQ(t1.batches - t0.batches,
		  t1.irqs - t0.irqs + t1.driver_suppressed - t0.driver_suppressed);
	EXPECT_LT(0, t1.filter_runs);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/*
 * Swapping programs under verified I/O, again and again, and changing the
 * parameters of the one that runs: no request is lost or hangs.
 */
TEST_F_TIMEOUT(filter, swaps_under_io, 600)
{
	static const char *const names[] = { "coalesce", "adaptive", "poll", "passthrough",
					     "builtin" };
	char stop[64], out[1024];
	long long ios;
	int i, failed = 0, status;
	pid_t load;

	ASSERT_EQ(0, start(_metadata, self, false, (const char *const[]){ NULL }));
	snprintf(stop, sizeof(stop), "/tmp/uvdpa-nf-stop-%d", getpid());
	unlink(stop);
	ios = disk_ios(self->d.disk);
	load = fork();
	ASSERT_LE(0, load);
	if (load == 0) {
		/* Verified writes, pass after pass, until the swaps are over. */
		do {
			if (fio(self, "randwrite", 16, "4M"))
				_exit(1);
		} while (access(stop, F_OK));
		_exit(0);
	}
	/* Swap only under I/O: wait (bounded) until fio's requests complete. */
	for (i = 0; i < 600 && disk_ios(self->d.disk) < ios + 64; i++)
		usleep(100 * 1000);
	EXPECT_LE(ios + 64, disk_ios(self->d.disk));
	for (i = 0; i < SWAPS; i++) {
		if (ctl(self, out, sizeof(out), "filter set %s %s", self->d.name, names[i % 5])) {
			failed++;
			TH_LOG("swap %d to %s: %s", i, names[i % 5], out);
		}
		/* And new values for the one that runs, in place, under the same I/O. */
		if (i % 5 == 0 && ctl(self, out, sizeof(out), "filter set %s coalesce "
				      "max_frames=%d max_usecs=%d", self->d.name, 2 + i, 10 + i)) {
			failed++;
			TH_LOG("new values %d: %s", i, out);
		}
	}
	EXPECT_EQ(0, failed);
	/* The load was still running: the swaps happened under I/O. */
	EXPECT_EQ(0, waitpid(load, &status, WNOHANG));
	ASSERT_EQ(0, run("touch %s", stop));
	ASSERT_EQ(load, waitpid(load, &status, 0));
	unlink(stop);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, ctl(self, out, sizeof(out), "filter show %s", self->d.name));
	EXPECT_NE(NULL, strstr(out, "filter builtin")) TH_LOG("%s", out);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/* Programs that cannot serve are refused with the reason; the device keeps its filter. */
TEST_F_TIMEOUT(filter, refused_programs_leave_the_device_serving, 300)
{
	char out[2048], obj[PATH_MAX];
	struct totals t0, t1;

	ASSERT_EQ(0, start(_metadata, self, false,
			   (const char *const[]){ "--filter", "coalesce", "max_frames=8", NULL }));
	EXPECT_EQ(1, ctl(self, out, sizeof(out), "filter set %s --object %s", self->d.name,
			 sibling(obj, sizeof(obj), "../filter/reject.bpf.o")));
	EXPECT_NE(NULL, strstr(out, "the kernel's verifier rejected")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "bounds check")) TH_LOG("%s", out);
	EXPECT_EQ(1, ctl(self, out, sizeof(out), "filter set %s --object %s", self->d.name,
			 sibling(obj, sizeof(obj), "../filter/notafilter.bpf.o")));
	EXPECT_NE(NULL, strstr(out, "is not a uvdpa filter")) TH_LOG("%s", out);
	EXPECT_EQ(1, ctl(self, out, sizeof(out), "filter set %s nope", self->d.name));
	EXPECT_NE(NULL, strstr(out, "no filter 'nope'")) TH_LOG("%s", out);
	EXPECT_EQ(1, ctl(self, out, sizeof(out), "filter set %s adaptive frames=2",
			 self->d.name));
	EXPECT_NE(NULL, strstr(out, "no parameter 'frames'")) TH_LOG("%s", out);
	EXPECT_EQ(1, ctl(self, out, sizeof(out), "filter set %s builtin k=1", self->d.name));
	EXPECT_NE(NULL, strstr(out, "the built-in policy has no parameters")) TH_LOG("%s", out);
	EXPECT_EQ(1, ctl(self, out, sizeof(out), "stats no-such-device"));
	EXPECT_NE(NULL, strstr(out, "cannot reach the uvdpad serving 'no-such-device'"))
		TH_LOG("%s", out);

	EXPECT_EQ(0, ctl(self, out, sizeof(out), "filter show %s", self->d.name));
	EXPECT_NE(NULL, strstr(out, "filter coalesce\n  max_frames=8\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, stats(self, &t0));
	EXPECT_EQ(0, fio(self, "randwrite", 32, "4M"));
	ASSERT_EQ(0, stats(self, &t1));
	EXPECT_LE(2048, t1.completions - t0.completions);
	EXPECT_LT(0, t1.deferred - t0.deferred);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/* Without CAP_BPF: one line says so, the built-in policy serves, and a swap is refused. */
TEST_F_TIMEOUT(filter, without_cap_bpf_the_builtin_serves, 300)
{
	char out[1024], err[4096];
	struct totals t;

	ASSERT_EQ(0, start(_metadata, self, true,
			   (const char *const[]){ "--filter", "adaptive", NULL }));
	EXPECT_EQ(0, ctl(self, out, sizeof(out), "filter show %s", self->d.name));
	EXPECT_NE(NULL, strstr(out, "filter builtin")) TH_LOG("%s", out);
	EXPECT_EQ(1, ctl(self, out, sizeof(out), "filter set %s coalesce", self->d.name));
	EXPECT_NE(NULL, strstr(out, "need CAP_BPF")) TH_LOG("%s", out);
	EXPECT_EQ(0, fio(self, "randwrite", 8, "2M"));
	ASSERT_EQ(0, stats(self, &t));
	EXPECT_LE(1024, t.completions);
	EXPECT_EQ(0, t.filter_runs);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	read_all(self->d.err, err, sizeof(err));
	EXPECT_NE(NULL, strstr(err, "filter adaptive not loaded: BPF filters need CAP_BPF"))
		TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "the built-in passthrough serves")) TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
