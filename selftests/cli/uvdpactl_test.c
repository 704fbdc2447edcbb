// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpactl's side of the control protocol: its command line into request
 * lines, the messages for what it refuses, and replies into text and JSON.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "kselftest_harness.h"

struct parsed {
	struct ctl_request r;
	char err[256];
	int ret;
};

/* uvdpactl with a NULL-terminated @argv after its name. */
static void parse(struct parsed *p, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	p->err[0] = '\0';
	p->ret = ctl_client_parse(argc, argv, &p->r, p->err, sizeof(p->err));
}

#define PARSE(p, ...) parse(p, (char *[]){ "uvdpactl", __VA_ARGS__, NULL })

#define ACCEPTED(want, ...) do {						\
		struct parsed p;						\
		PARSE(&p, __VA_ARGS__);						\
		EXPECT_EQ(0, p.ret) TH_LOG("%s", p.err);			\
		EXPECT_STREQ(want, p.r.line);					\
	} while (0)

/* uvdpactl ARGS... must be refused with a message that holds @needle. */
static void expect_refused(struct __test_metadata *_metadata, const char *needle, char **argv)
{
	struct parsed p;

	parse(&p, argv);
	EXPECT_EQ(-EINVAL, p.ret);
	EXPECT_NE(NULL, strstr(p.err, needle)) TH_LOG("message: %s", p.err);
}

#define REFUSED(needle, ...) \
	expect_refused(_metadata, needle, (char *[]){ "uvdpactl", __VA_ARGS__, NULL })

TEST(requests)
{
	struct parsed p;

	ACCEPTED("uvdpa-ctl 1 filter show", "filter", "show", "blk0");
	ACCEPTED("uvdpa-ctl 1 filter set adaptive", "filter", "set", "blk0", "adaptive");
	ACCEPTED("uvdpa-ctl 1 filter set coalesce max_frames=8 max_usecs=20", "filter", "set",
		 "blk0", "coalesce", "max_frames=8", "max_usecs=20");
	ACCEPTED("uvdpa-ctl 1 filter set --object /srv/f.bpf.o k=1", "filter", "set", "blk0",
		 "--object", "/srv/f.bpf.o", "k=1");
	ACCEPTED("uvdpa-ctl 1 filter set --reload adaptive max_frames=8", "filter", "set", "blk0",
		 "--reload", "adaptive", "max_frames=8");
	ACCEPTED("uvdpa-ctl 1 filter set --reload --object /srv/f.bpf.o", "filter", "set",
		 "blk0", "--reload", "--object", "/srv/f.bpf.o");
	ACCEPTED("uvdpa-ctl 1 stats", "stats", "blk0");
	ACCEPTED("uvdpa-ctl 1 upgrade", "upgrade", "blk0");

	PARSE(&p, "stats", "blk0", "-j");
	ASSERT_EQ(0, p.ret);
	EXPECT_EQ(CTL_STATS, p.r.kind);
	EXPECT_STREQ("blk0", p.r.device);
	EXPECT_TRUE(p.r.json);
	PARSE(&p, "--json", "filter", "show", "d");
	ASSERT_EQ(0, p.ret);
	EXPECT_EQ(CTL_FILTER_SHOW, p.r.kind);
	EXPECT_TRUE(p.r.json);
	PARSE(&p, "filter", "set", "blk1", "poll");
	ASSERT_EQ(0, p.ret);
	EXPECT_EQ(CTL_FILTER_SET, p.r.kind);
	EXPECT_STREQ("blk1", p.r.device);
	EXPECT_FALSE(p.r.json);
	PARSE(&p, "stats", "--help");
	ASSERT_EQ(0, p.ret);
	EXPECT_TRUE(p.r.help);
}

/* The daemon has its own working directory: a relative object path is made absolute. */
TEST(relative_object_path)
{
	char cwd[PATH_MAX], want[PATH_MAX + 64];
	struct parsed p;

	ASSERT_NE(NULL, getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "uvdpa-ctl 1 filter set --object %s/my.bpf.o", cwd);
	PARSE(&p, "filter", "set", "blk0", "--object", "my.bpf.o");
	ASSERT_EQ(0, p.ret) TH_LOG("%s", p.err);
	EXPECT_STREQ(want, p.r.line);
}

TEST(refused)
{
	char *argv[] = { "uvdpactl", NULL };
	char longer[UVDPA_CTL_LINE_MAX + 16];
	struct parsed q;

	q.ret = ctl_client_parse(1, argv, &q.r, q.err, sizeof(q.err));
	EXPECT_EQ(-EINVAL, q.ret);
	EXPECT_NE(NULL, strstr(q.err, "missing a command"));
	REFUSED("unknown command 'frob'", "frob", "blk0");
	REFUSED("stats: which device?", "stats");
	REFUSED("stats takes one device", "stats", "a", "b");
	REFUSED("upgrade: which device?", "upgrade");
	REFUSED("upgrade takes one device", "upgrade", "a", "b");
	REFUSED("filter: show or set?", "filter");
	REFUSED("filter 'get': show or set", "filter", "get", "blk0");
	REFUSED("filter show: which device?", "filter", "show");
	REFUSED("filter show takes one device", "filter", "show", "a", "b");
	REFUSED("filter set: which device?", "filter", "set");
	REFUSED("filter set blk0: which filter?", "filter", "set", "blk0");
	REFUSED("filter set blk0: which filter?", "filter", "set", "blk0", "--reload");
	REFUSED("unknown option '--reload'", "filter", "set", "blk0", "--reload", "--reload");
	REFUSED("--object needs a BPF object file", "filter", "set", "blk0", "--object");
	REFUSED("unknown option '--bogus'", "filter", "set", "blk0", "--bogus");
	REFUSED("'max_frames': filter parameters are key=value", "filter", "set", "blk0",
		"coalesce", "max_frames");
	REFUSED("'=3': filter parameters are key=value", "filter", "set", "blk0", "coalesce",
		"=3");
	REFUSED("cannot be empty or hold spaces", "filter", "set", "blk0", "my filter");
	memset(longer, 'x', sizeof(longer) - 1);
	longer[0] = 'k';
	longer[1] = '=';
	longer[sizeof(longer) - 1] = '\0';
	REFUSED("longer than", "filter", "set", "blk0", "coalesce", longer);
}

/* Run ctl_client_format on @reply for @r: its output in @out. */
static int format(const struct ctl_request *r, const char *reply, char *out, size_t len,
		  char *err, size_t errlen)
{
	FILE *f = fmemopen(out, len, "w");
	int ret;

	ret = ctl_client_format(r, reply, f, err, errlen);
	fclose(f);
	return ret;
}

TEST(stats_as_text_and_json)
{
	static const char reply[] = "vq=0 kicks=10 irqs=2 mean_batch=1.50\n"
				    "vq=1 kicks=7 irqs=12345 mean_batch=3.00\n"
				    "ok\n";
	struct ctl_request r = { .kind = CTL_STATS, .device = "blk0" };
	char out[1024], err[256];

	ASSERT_EQ(0, format(&r, reply, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("vq kicks  irqs mean_batch\n"
		     " 0    10     2       1.50\n"
		     " 1     7 12345       3.00\n", out);
	r.json = true;
	ASSERT_EQ(0, format(&r, reply, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("{\"device\": \"blk0\", \"queues\": ["
		     "{\"vq\": 0, \"kicks\": 10, \"irqs\": 2, \"mean_batch\": 1.50}, "
		     "{\"vq\": 1, \"kicks\": 7, \"irqs\": 12345, \"mean_batch\": 3.00}]}\n", out);
}

/* The model's counters follow the queues: a table of their own, "model" in JSON. */
TEST(stats_with_the_model_line)
{
	static const char reply[] = "vq=0 kicks=10\n"
				    "dev=net rx_frames=5 rx_dropped=1\n"
				    "ok\n";
	struct ctl_request r = { .kind = CTL_STATS, .device = "net0" };
	char out[1024], err[256];

	ASSERT_EQ(0, format(&r, reply, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("vq kicks\n"
		     " 0    10\n"
		     "dev rx_frames rx_dropped\n"
		     "net         5          1\n", out);
	r.json = true;
	ASSERT_EQ(0, format(&r, reply, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("{\"device\": \"net0\", \"queues\": [{\"vq\": 0, \"kicks\": 10}], "
		     "\"model\": {\"dev\": \"net\", \"rx_frames\": 5, \"rx_dropped\": 1}}\n",
		     out);
}

TEST(filter_as_text_and_json)
{
	static const char reply[] = "name=coalesce\nmax_frames=16\nmax_usecs=100\nok\n";
	static const char odd[] = "name=/x/\"q\".bpf.o\nok\n";
	struct ctl_request r = { .kind = CTL_FILTER_SHOW, .device = "blk0" };
	char out[1024], err[256];

	ASSERT_EQ(0, format(&r, reply, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("blk0: filter coalesce\n  max_frames=16\n  max_usecs=100\n", out);
	r.json = true;
	ASSERT_EQ(0, format(&r, reply, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("{\"device\": \"blk0\", \"filter\": \"coalesce\", \"params\": "
		     "{\"max_frames\": 16, \"max_usecs\": 100}}\n", out);
	ASSERT_EQ(0, format(&r, odd, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("{\"device\": \"blk0\", \"filter\": \"/x/\\\"q\\\".bpf.o\", \"params\": "
		     "{}}\n", out);
}

TEST(upgrade_as_text_and_json)
{
	static const char reply[] = "state=/run/uvdpa/blk0.state\nok\n";
	struct ctl_request r = { .kind = CTL_UPGRADE, .device = "blk0" };
	char out[1024], err[256];

	ASSERT_EQ(0, format(&r, reply, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("blk0: handing over, state in /run/uvdpa/blk0.state: start the new uvdpad "
		     "with --reconnect\n", out);
	r.json = true;
	ASSERT_EQ(0, format(&r, reply, out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("{\"device\": \"blk0\", \"state\": \"/run/uvdpa/blk0.state\"}\n", out);
	EXPECT_EQ(-EIO, format(&r, "error no saved state in /x\n", out, sizeof(out), err,
			       sizeof(err)));
	EXPECT_STREQ("no saved state in /x", err);
}

TEST(errors_and_cut_replies)
{
	struct ctl_request r = { .kind = CTL_FILTER_SET, .device = "blk0" };
	char out[256], err[256];

	EXPECT_EQ(-EIO, format(&r, "error no filter 'x'\n", out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("no filter 'x'", err);
	EXPECT_EQ(-EPROTO, format(&r, "", out, sizeof(out), err, sizeof(err)));
	EXPECT_EQ(-EPROTO, format(&r, "name=poll\n", out, sizeof(out), err, sizeof(err)));
	EXPECT_EQ(-EPROTO, format(&r, "name=poll\nok", out, sizeof(out), err, sizeof(err)));
	EXPECT_STREQ("the daemon's reply ended early", err);
}

TEST_HARNESS_MAIN
