// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad's virtio-net device as the kernel's virtio_net sees it: added with
 * "vdpa dev add", an interface with the configured MAC and MTU that moves
 * into a network namespace (a container's view) and talks to the host
 * through the tap: ping both ways, jumbo frames, TCP bulk data intact both
 * ways, the tap's link seen as the carrier (wherever the tap is moved), and
 * nothing left behind when the device goes under traffic.
 */
#include <arpa/inet.h>
#include <glob.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>

#include "kselftest_harness.h"
#include "uvdpad_util.h"

#define HOST_IP "10.77.0.1"
#define NS_IP "10.77.0.2"
#define MAC "02:00:5e:77:00:02"
#define MTU 9000
#define DEADLINE_MS 20000
#define CHUNK (1 << 20)

FIXTURE(net) {
	struct daemon d;
	char tap[IFNAMSIZ];
	char ns[32];
	char ifname[IFNAMSIZ];
	bool user_tap;
	pid_t pings[2];
};

FIXTURE_VARIANT(net) {
	const char *ring;
};

FIXTURE_VARIANT_ADD(net, split) {
	.ring = "--split",
};

FIXTURE_VARIANT_ADD(net, packed) {
	.ring = "--packed",
};

FIXTURE_SETUP(net)
{
	snprintf(self->d.name, sizeof(self->d.name), "ksft-net%d", getpid());
	snprintf(self->tap, sizeof(self->tap), "kt%d", getpid());
	snprintf(self->ns, sizeof(self->ns), "ksft-ns%d", getpid());
}

static void traffic_stop(FIXTURE_DATA(net) *self)
{
	int i, status;

	for (i = 0; i < 2; i++) {
		if (self->pings[i] <= 0)
			continue;
		kill(self->pings[i], SIGTERM);
		waitpid(self->pings[i], &status, 0);
		self->pings[i] = 0;
	}
}

static void net_cleanup(FIXTURE_DATA(net) *self)
{
	traffic_stop(self);
	daemon_close(&self->d);
	run("ip netns del %s 2>/dev/null", self->ns);
	if (self->user_tap)
		run("ip link del %s 2>/dev/null", self->tap);
}

FIXTURE_TEARDOWN(net)
{
	net_cleanup(self);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Poll a shell condition until it holds (0) or the deadline passes (-ETIMEDOUT). */
static int wait_for(const char *fmt, const char *a, const char *b)
{
	long long end = now_ms() + DEADLINE_MS;
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	while (now_ms() < end) {
		if (run("%s", cmd) == 0)
			return 0;
		usleep(50 * 1000);
	}
	return -ETIMEDOUT;
}

/* The virtio_net interface of vdpa device @name, once it exists. */
static int find_iface(const char *name, char *ifname)
{
	long long end = now_ms() + DEADLINE_MS;
	char pattern[256];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "/sys/bus/vdpa/devices/%s/virtio*/net/*", name);
	while (now_ms() < end) {
		if (glob(pattern, 0, NULL, &g) == 0) {
			snprintf(ifname, IFNAMSIZ, "%s", strrchr(g.gl_pathv[0], '/') + 1);
			globfree(&g);
			return 0;
		}
		usleep(50 * 1000);
	}
	return -ETIMEDOUT;
}

/* Start uvdpad on the tap, add the device with vdpa, find its interface. */
static int start_with(struct __test_metadata *_metadata, FIXTURE_DATA(net) *self,
		      const FIXTURE_VARIANT(net) *variant, const char *extra)
{
	const char *args[] = { "net", "--name", self->d.name, "--tap", self->tap, "--mac", MAC,
			       "--mtu", "9000", variant->ring, extra, NULL };
	char why[1024];
	int ret;

	ret = daemon_start(&self->d, self->d.name, args, why, sizeof(why));
	if (ret) {
		TH_LOG("uvdpad did not get ready %s", why);
		return ret;
	}
	if (run("vdpa dev add name %s mgmtdev vduse", self->d.name))
		return -EIO;
	return find_iface(self->d.name, self->ifname);
}

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(net) *self,
		 const FIXTURE_VARIANT(net) *variant)
{
	return start_with(_metadata, self, variant, NULL);
}

/* The interface into a new namespace, addresses on both ends, links up. */
static int plumb(FIXTURE_DATA(net) *self)
{
	if (run("ip netns add %s", self->ns) ||
	    run("ip link set %s netns %s", self->ifname, self->ns) ||
	    run("ip -n %s addr add " NS_IP "/24 dev %s", self->ns, self->ifname) ||
	    run("ip -n %s link set %s up", self->ns, self->ifname) ||
	    run("ip -n %s link set lo up", self->ns) ||
	    run("ip addr add " HOST_IP "/24 dev %s", self->tap) ||
	    run("ip link set %s up", self->tap))
		return -EIO;
	return wait_for("ip -n %s link show %s | grep -q LOWER_UP", self->ns, self->ifname);
}

/* No VDUSE device, no vdpa device, no interface; the tap only if the user made it. */
static void nothing_left(struct __test_metadata *_metadata, FIXTURE_DATA(net) *self)
{
	EXPECT_FALSE(path_exists("/dev/vduse/%s", self->d.name));
	EXPECT_FALSE(path_exists("/sys/bus/vdpa/devices/%s", self->d.name));
	EXPECT_EQ(self->user_tap, path_exists("/sys/class/net/%s", self->tap));
	EXPECT_NE(0, run("ip -n %s link show %s >/dev/null 2>&1", self->ns, self->ifname));
}

TEST_F(net, appears_with_mac_and_mtu_and_pings_from_a_netns)
{
	char addr[32] = "", path[128];
	int fd;

	ASSERT_EQ(0, start(_metadata, self, variant));
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", self->ifname);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_LT(0, read(fd, addr, sizeof(addr) - 1));
	close(fd);
	EXPECT_STREQ(MAC "\n", addr);
	EXPECT_EQ(MTU, sysfs_ll("/sys/class/net/%s/mtu", self->ifname));
	/* The tap uvdpad made has the device's MTU. */
	EXPECT_EQ(MTU, sysfs_ll("/sys/class/net/%s/mtu", self->tap));

	ASSERT_EQ(0, plumb(self));
	EXPECT_EQ(0, run("busybox ping -q -c 5 -i 0.2 -W 5 " NS_IP " >/dev/null"));
	EXPECT_EQ(0, run("ip netns exec %s busybox ping -q -c 5 -i 0.2 -W 5 " HOST_IP
			 " >/dev/null", self->ns));
	/* Jumbo frames up to the MTU, both ways: 8972 + 28 bytes of headers. */
	EXPECT_EQ(0, run("busybox ping -q -c 3 -s 8972 -W 5 " NS_IP " >/dev/null"));
	EXPECT_EQ(0, run("ip netns exec %s busybox ping -q -c 3 -s 8972 -W 5 " HOST_IP
			 " >/dev/null", self->ns));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	nothing_left(_metadata, self);
}

static uint64_t chunk_hash(uint64_t h, const uint64_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

static void pattern(uint64_t *w, size_t n, uint64_t *state)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		w[i] = *state;
	}
}

/* Send @mib MiB of a pattern to @fd: its hash, or 0 on error. */
static uint64_t send_pattern(int fd, unsigned int mib, uint64_t seed)
{
	uint64_t *buf = malloc(CHUNK), h = 0xcbf29ce484222325ULL;
	unsigned int i;

	for (i = 0; buf && i < mib; i++) {
		pattern(buf, CHUNK / 8, &seed);
		h = chunk_hash(h, buf, CHUNK / 8);
		if (send(fd, buf, CHUNK, MSG_NOSIGNAL) != CHUNK) {
			h = 0;
			break;
		}
	}
	free(buf);
	return h;
}

/* Receive until EOF: the hash of whole MiB chunks, and the bytes. */
static uint64_t recv_hash(int fd, uint64_t *bytes)
{
	uint64_t *buf = malloc(CHUNK), h = 0xcbf29ce484222325ULL;
	size_t have = 0;
	ssize_t n;

	*bytes = 0;
	while (buf && (n = recv(fd, (char *)buf + have, CHUNK - have, 0)) > 0) {
		have += n;
		*bytes += n;
		if (have == CHUNK) {
			h = chunk_hash(h, buf, CHUNK / 8);
			have = 0;
		}
	}
	free(buf);
	return have ? 0 : h;
}

static int enter_ns(const char *ns)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

static int tcp_socket(const char *ip, int port, bool listen_on)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, c;
	long long end = now_ms() + DEADLINE_MS;

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (fd < 0)
		return -1;
	if (listen_on) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (void *)&a, sizeof(a)) || listen(fd, 1)) {
			close(fd);
			return -1;
		}
		c = accept(fd, NULL, NULL);
		close(fd);
		return c;
	}
	/* The listener is in another process: retry until it listens. */
	while (connect(fd, (void *)&a, sizeof(a))) {
		close(fd);
		if (now_ms() > end)
			return -1;
		usleep(20 * 1000);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	return fd;
}

struct xfer {
	uint64_t hash;
	uint64_t bytes;
};

/*
 * @mib MiB from the host to the namespace and @mib back, each over its own
 * connection, with a hash at both ends of each.
 */
static int bulk(FIXTURE_DATA(net) *self, unsigned int mib, struct xfer got[2],
		uint64_t sent[2])
{
	int p[2], fd, status;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (enter_ns(self->ns))
			_exit(1);
		fd = tcp_socket(NS_IP, 5001, true);
		got[0].hash = recv_hash(fd, &got[0].bytes);
		close(fd);
		fd = tcp_socket(NS_IP, 5002, true);
		sent[1] = send_pattern(fd, mib, 2);
		close(fd);
		if (write(p[1], &got[0], sizeof(got[0])) != sizeof(got[0]) ||
		    write(p[1], &sent[1], sizeof(sent[1])) != sizeof(sent[1]))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	fd = tcp_socket(NS_IP, 5001, false);
	sent[0] = fd < 0 ? 0 : send_pattern(fd, mib, 1);
	close(fd);
	fd = tcp_socket(NS_IP, 5002, false);
	got[1].hash = fd < 0 ? 0 : recv_hash(fd, &got[1].bytes);
	close(fd);
	if (read(p[0], &got[0], sizeof(got[0])) != sizeof(got[0]) ||
	    read(p[0], &sent[1], sizeof(sent[1])) != sizeof(sent[1]))
		got[0].hash = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return 0;
}

/*
 * 64 MiB each way: at least a thousand 64 KiB TSO frames and their ACKs, so
 * every ring wraps several times; more only costs TCG minutes.
 */
TEST_F_TIMEOUT(net, tcp_bulk_intact_both_ways, 300)
{
	const unsigned int mib = 64;
	struct xfer got[2] = { 0 };
	uint64_t sent[2] = { 0 };

	ASSERT_EQ(0, start(_metadata, self, variant));
	ASSERT_EQ(0, plumb(self));
	ASSERT_EQ(0, bulk(self, mib, got, sent));
	EXPECT_EQ((uint64_t)mib * CHUNK, got[0].bytes);
	EXPECT_EQ((uint64_t)mib * CHUNK, got[1].bytes);
	EXPECT_NE(0, sent[0]);
	EXPECT_NE(0, sent[1]);
	EXPECT_EQ(sent[0], got[0].hash);
	EXPECT_EQ(sent[1], got[1].hash);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	nothing_left(_metadata, self);
}

/* Bytes through the tap both ways, from the host's side. */
static long long tap_bytes(const char *tap)
{
	return sysfs_ll("/sys/class/net/%s/statistics/rx_bytes", tap) +
	       sysfs_ll("/sys/class/net/%s/statistics/tx_bytes", tap);
}

/* The namespace's interface: how often its carrier changed, or -1. */
static long long carrier_changes(FIXTURE_DATA(net) *self)
{
	char cmd[256];
	long long n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s cat /sys/class/net/%s/carrier_changes",
		 self->ns, self->ifname);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

#define RC_CYCLES 3
#define RC_MIB 8

/*
 * uvdpad killed with SIGKILL at random moments (seeded, the seed printed)
 * under a TCP transfer both ways and taken over by uvdpad --reconnect: the
 * interface keeps its address and its carrier, both connections carry on
 * (retransmits, no reset) and every byte arrives intact. The tap is the
 * user's, so that it outlives the daemon with its address.
 */
TEST_F_TIMEOUT(net, kill9_reconnect_keeps_tcp_streams, 300)
{
	unsigned int seed = getenv("UVDPA_SEED") ? atoi(getenv("UVDPA_SEED")) : time(NULL);
	const char *args[] = { "net", "--name", self->d.name, "--tap", self->tap, "--mac", MAC,
			       "--mtu", "9000", variant->ring, "--reconnect", NULL };
	long long at[RC_CYCLES], carrier, base;
	struct xfer got[2] = { 0 };
	uint64_t sent[2] = { 0 };
	int i, j, p[2], status;
	char why[1024];
	pid_t pid;

	ksft_print_msg("kill9_reconnect_keeps_tcp_streams: seed %u (UVDPA_SEED=%u to repeat)\n",
		       seed, seed);
	srand(seed);
	ASSERT_EQ(0, run("ip tuntap add dev %s mode tap vnet_hdr", self->tap));
	self->user_tap = true;
	ASSERT_EQ(0, run("ip link set %s mtu 9000", self->tap));
	ASSERT_EQ(0, start(_metadata, self, variant));
	ASSERT_EQ(0, plumb(self));
	carrier = carrier_changes(self);
	ASSERT_LE(0, carrier);
	/* Kill points: sorted byte counts through the tap, within the transfer. */
	for (i = 0; i < RC_CYCLES; i++) {
		at[i] = (1 + rand() % (2 * RC_MIB - 2)) * (long long)CHUNK;
		for (j = i; j > 0 && at[j - 1] > at[j]; j--) {
			long long t = at[j];

			at[j] = at[j - 1];
			at[j - 1] = t;
		}
	}
	base = tap_bytes(self->tap);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		bulk(self, RC_MIB, got, sent);
		_exit(write(p[1], got, sizeof(got)) != sizeof(got) ||
		      write(p[1], sent, sizeof(sent)) != sizeof(sent));
	}
	close(p[1]);
	for (i = 0; i < RC_CYCLES; i++) {
		long long end = now_ms() + 60000;

		while (tap_bytes(self->tap) - base < at[i] && now_ms() < end)
			usleep(2000);
		ASSERT_GT(end, now_ms()) TH_LOG("cycle %d: the transfer stalled", i);
		usleep(1000 * (rand() % 200));
		ASSERT_EQ(-1, daemon_stop(&self->d, SIGKILL));
		daemon_close(&self->d);
		ASSERT_EQ(0, daemon_start(&self->d, self->d.name, args, why, sizeof(why)))
			TH_LOG("cycle %d: uvdpad --reconnect did not get ready %s", i, why);
		EXPECT_EQ(0, run("ip -n %s addr show %s | grep -q 'inet " NS_IP "/'", self->ns,
				 self->ifname)) TH_LOG("cycle %d", i);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(sizeof(got), read(p[0], got, sizeof(got)));
	ASSERT_EQ(sizeof(sent), read(p[0], sent, sizeof(sent)));
	close(p[0]);
	EXPECT_EQ((uint64_t)RC_MIB * CHUNK, got[0].bytes);
	EXPECT_EQ((uint64_t)RC_MIB * CHUNK, got[1].bytes);
	EXPECT_NE(0, sent[0]);
	EXPECT_NE(0, sent[1]);
	EXPECT_EQ(sent[0], got[0].hash);
	EXPECT_EQ(sent[1], got[1].hash);
	EXPECT_EQ(carrier, carrier_changes(self));
	ksft_print_msg("kill9_reconnect_keeps_tcp_streams: %d SIGKILL + --reconnect cycles, "
		       "%u MiB each way intact, carrier changes %lld -> %lld\n", i, RC_MIB,
		       carrier, carrier_changes(self));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	nothing_left(_metadata, self);
}

/* "key": N of queue @vq in `uvdpactl stats NAME -j`, or -1. */
static long long vq_stat(const char *json, unsigned int vq, const char *key)
{
	char pat[64];
	const char *p, *next;

	snprintf(pat, sizeof(pat), "\"vq\": %u,", vq);
	p = strstr(json, pat);
	if (!p)
		return -1;
	next = strstr(p + 1, "\"vq\": ");
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(p, pat);
	if (!p || (next && p > next))
		return -1;
	return atoll(p + strlen(pat));
}

/* The notification filter serves both net queues: coalescing holds interrupts back. */
TEST_F_TIMEOUT(net, coalescing_filter_serves_both_queues, 300)
{
	struct xfer got[2] = { 0 };
	uint64_t sent[2] = { 0 };
	char ctl[PATH_MAX], cmd[PATH_MAX + 128], json[8192];
	unsigned int vq;
	ssize_t n;
	FILE *f;

	ASSERT_EQ(0, start_with(_metadata, self, variant, "--filter=coalesce"));
	ASSERT_EQ(0, plumb(self));
	ASSERT_EQ(0, bulk(self, 32, got, sent));
	EXPECT_EQ(sent[0], got[0].hash);
	EXPECT_EQ(sent[1], got[1].hash);
	/* uvdpactl sits next to uvdpad. */
	snprintf(ctl, sizeof(ctl), "%s", uvdpad_path());
	strcpy(strrchr(ctl, '/') + 1, "uvdpactl");
	snprintf(cmd, sizeof(cmd), "%s stats %s -j", ctl, self->d.name);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	n = fread(json, 1, sizeof(json) - 1, f);
	json[n > 0 ? n : 0] = '\0';
	EXPECT_EQ(0, pclose(f)) TH_LOG("%s", json);
	for (vq = 0; vq < 2; vq++) {
		long long done = vq_stat(json, vq, "completions");
		long long irqs = vq_stat(json, vq, "irqs");

		/* 32 MiB each way: hundreds of TSO frames and their ACKs on each queue. */
		EXPECT_LT(200, done) TH_LOG("vq %u: %s", vq, json);
		EXPECT_LT(0, vq_stat(json, vq, "deferred")) TH_LOG("vq %u: %s", vq, json);
		EXPECT_LT(irqs, done) TH_LOG("vq %u: %s", vq, json);
	}
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/*
 * A UDP datagram in one frame larger than the device's MTU (the tap's MTU is
 * raised above it): 'n' when the namespace got nothing, 'i' intact, 'c' corrupt.
 */
static int oversize_udp(FIXTURE_DATA(net) *self, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5003) };
	uint64_t *out = calloc(1, len), *in = calloc(1, len + 64), seed = 3;
	int p[2], fd, status, pmtu = IP_PMTUDISC_DONT;
	char verdict = 'x';
	struct pollfd pf;
	pid_t pid;
	ssize_t n;

	pattern(out, len / 8, &seed);
	inet_pton(AF_INET, NS_IP, &a.sin_addr);
	if (!out || !in || pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* 'n': nothing within the deadline; 'i': intact; 'c': corrupt. */
		fd = enter_ns(self->ns) ? -1 : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) || write(p[1], "r", 1) != 1)
			_exit(1);
		pf = (struct pollfd){ .fd = fd, .events = POLLIN };
		verdict = 'n';
		if (poll(&pf, 1, 3000) == 1) {
			n = recv(fd, in, len + 64, 0);
			verdict = n == (ssize_t)len && !memcmp(in, out, len) ? 'i' : 'c';
		}
		_exit(write(p[1], &verdict, 1) == 1 ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &verdict, 1) == 1) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
		sendto(fd, out, len, 0, (void *)&a, sizeof(a));
		close(fd);
		if (read(p[0], &verdict, 1) != 1)
			verdict = 'x';
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	free(out);
	free(in);
	return verdict;
}

TEST_F(net, frame_over_the_mtu_dropped_and_counted)
{
	long long dropped;
	char v;

	ASSERT_EQ(0, start(_metadata, self, variant));
	ASSERT_EQ(0, plumb(self));
	ASSERT_EQ(0, run("ip link set %s mtu 16000", self->tap));
	dropped = ctl_model_stat(self->d.name, "rx_dropped");
	ASSERT_LE(0, dropped);
	/* 5.1.6.3: the device MUST NOT pass it to the driver; it counts the drop. */
	v = oversize_udp(self, 12000);
	EXPECT_EQ('n', v) TH_LOG("verdict %c", v);
	EXPECT_EQ(dropped + 1, ctl_model_stat(self->d.name, "rx_dropped"));
	/* The device goes on as before. */
	ASSERT_EQ(0, run("ip link set %s mtu 9000", self->tap));
	EXPECT_EQ(0, run("busybox ping -q -c 3 -s 8972 -W 5 " NS_IP " >/dev/null"));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

TEST_F(net, tap_link_is_the_carrier)
{
	ASSERT_EQ(0, start(_metadata, self, variant));
	ASSERT_EQ(0, plumb(self));
	ASSERT_EQ(0, run("ip link set %s down", self->tap));
	EXPECT_EQ(0, wait_for("ip -n %s link show %s | grep -q NO-CARRIER", self->ns,
			      self->ifname));
	ASSERT_EQ(0, run("ip link set %s up", self->tap));
	EXPECT_EQ(0, wait_for("ip -n %s link show %s | grep -q LOWER_UP", self->ns,
			      self->ifname));
	EXPECT_EQ(0, run("ip netns exec %s busybox ping -q -c 3 -i 0.2 -W 5 " HOST_IP
			 " >/dev/null", self->ns));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
}

/*
 * The tap moved into another namespace (a CNI plugin's or a router
 * namespace's doing) keeps serving through its fd, and its link there is
 * the carrier. One ring layout is enough: the link watch knows none.
 */
FIXTURE(tap_moved) {
	FIXTURE_DATA(net) n;
	char ns[32];		/* where the tap goes */
};

FIXTURE_SETUP(tap_moved)
{
	snprintf(self->n.d.name, sizeof(self->n.d.name), "ksft-netmv%d", getpid());
	snprintf(self->n.tap, sizeof(self->n.tap), "km%d", getpid());
	snprintf(self->n.ns, sizeof(self->n.ns), "ksft-ns%d", getpid());
	snprintf(self->ns, sizeof(self->ns), "ksft-tapns%d", getpid());
}

FIXTURE_TEARDOWN(tap_moved)
{
	net_cleanup(&self->n);
	run("ip netns del %s 2>/dev/null", self->ns);
}

TEST_F_TIMEOUT(tap_moved, carrier_ping_and_tcp_follow_the_tap, 120)
{
	FIXTURE_DATA(net) *n = &self->n;
	struct xfer got[2] = { 0 };
	uint64_t sent[2] = { 0 };
	int here;

	ASSERT_EQ(0, start(_metadata, n, &(FIXTURE_VARIANT(net)){ .ring = "--split" }));
	ASSERT_EQ(0, plumb(n));
	ASSERT_EQ(0, run("ip netns add %s", self->ns));
	ASSERT_EQ(0, run("ip link set %s netns %s", n->tap, self->ns));
	/* The kernel closes a device that changes namespace: down until it is set up there. */
	EXPECT_EQ(0, wait_for("ip -n %s link show %s | grep -q NO-CARRIER", n->ns, n->ifname));
	ASSERT_EQ(0, run("ip -n %s addr add " HOST_IP "/24 dev %s", self->ns, n->tap));
	ASSERT_EQ(0, run("ip -n %s link set %s up", self->ns, n->tap));
	EXPECT_EQ(0, wait_for("ip -n %s link show %s | grep -q LOWER_UP", n->ns, n->ifname));
	EXPECT_EQ(0, run("ip netns exec %s busybox ping -q -c 3 -i 0.2 -W 5 " NS_IP " >/dev/null",
			 self->ns));
	EXPECT_EQ(0, run("ip netns exec %s busybox ping -q -c 3 -i 0.2 -W 5 " HOST_IP
			 " >/dev/null", n->ns));
	/* 4 MiB each way, this end in the tap's namespace. */
	here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, here);
	ASSERT_EQ(0, enter_ns(self->ns));
	EXPECT_EQ(0, bulk(n, 4, got, sent));
	ASSERT_EQ(0, setns(here, CLONE_NEWNET));
	close(here);
	EXPECT_EQ(4ULL * CHUNK, got[0].bytes);
	EXPECT_EQ(4ULL * CHUNK, got[1].bytes);
	EXPECT_NE(0, sent[0]);
	EXPECT_EQ(sent[0], got[0].hash);
	EXPECT_EQ(sent[1], got[1].hash);
	/* Its link in its new namespace, down and up, is the carrier. */
	ASSERT_EQ(0, run("ip -n %s link set %s down", self->ns, n->tap));
	EXPECT_EQ(0, wait_for("ip -n %s link show %s | grep -q NO-CARRIER", n->ns, n->ifname));
	ASSERT_EQ(0, run("ip -n %s link set %s up", self->ns, n->tap));
	EXPECT_EQ(0, wait_for("ip -n %s link show %s | grep -q LOWER_UP", n->ns, n->ifname));
	EXPECT_EQ(0, daemon_stop(&n->d, SIGTERM));
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Pings every 10 ms both ways, for the tests that take the device away under traffic. */
static void traffic(FIXTURE_DATA(net) *self)
{
	char *out[] = { "busybox", "ping", "-q", "-s", "1400", "-i", "0.01", NS_IP, NULL };
	char *in[] = { "ip", "netns", "exec", self->ns, "busybox", "ping", "-q", "-s", "4000",
		       "-i", "0.01", HOST_IP, NULL };

	self->pings[0] = spawn(out);
	self->pings[1] = spawn(in);
}

TEST_F(net, vdpa_dev_del_under_traffic_leaves_nothing)
{
	ASSERT_EQ(0, start(_metadata, self, variant));
	ASSERT_EQ(0, plumb(self));
	traffic(self);
	EXPECT_EQ(0, run("vdpa dev del %s", self->d.name));
	EXPECT_EQ(0, wait_for("! ip -n %s link show %s >/dev/null 2>&1", self->ns,
			      self->ifname));
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	traffic_stop(self);
	nothing_left(_metadata, self);
}

/* The user's own persistent tap stays; only what uvdpad made goes. */
TEST_F(net, sigterm_under_traffic_keeps_only_the_users_tap)
{
	ASSERT_EQ(0, run("ip tuntap add dev %s mode tap vnet_hdr", self->tap));
	self->user_tap = true;
	ASSERT_EQ(0, start(_metadata, self, variant));
	/* uvdpad leaves the MTU of a tap it did not make alone. */
	EXPECT_EQ(1500, sysfs_ll("/sys/class/net/%s/mtu", self->tap));
	ASSERT_EQ(0, run("ip link set %s mtu 9000", self->tap));
	ASSERT_EQ(0, plumb(self));
	traffic(self);
	EXPECT_EQ(0, daemon_stop(&self->d, SIGTERM));
	traffic_stop(self);
	nothing_left(_metadata, self);
}

/* Run uvdpad net to its end: its exit status, its stderr in @err. */
static int refused(char *err, size_t len, const char *prefix, const char *args)
{
	char path[64], cmd[PATH_MAX + 512];
	int fd, status;

	snprintf(path, sizeof(path), "/tmp/uvdpa-net-err-%d", getpid());
	snprintf(cmd, sizeof(cmd), "%s %s net --name ksft-neterr %s 2>%s >/dev/null", prefix,
		 uvdpad_path(), args, path);
	status = system(cmd);
	fd = open(path, O_RDONLY);
	err[0] = '\0';
	if (fd >= 0) {
		read_all(fd, err, len);
		close(fd);
	}
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A tap opened here with @flags, inherited by uvdpad: the fd, or -errno. */
static int open_tap(const char *name, short flags)
{
	struct ifreq ifr = { .ifr_flags = flags };
	int fd = open("/dev/net/tun", O_RDWR);

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -errno;
	}
	return fd;
}

TEST(tap_errors_explained)
{
	char err[1024], arg[64];
	int fd;

	EXPECT_EQ(1, refused(err, sizeof(err), "", "--tap-fd 99"));
	EXPECT_NE(NULL, strstr(err, "cannot use --tap-fd 99: it is not open")) TH_LOG("%s", err);
	EXPECT_EQ(1, refused(err, sizeof(err), "", "--tap-fd 0 </dev/null"));
	EXPECT_NE(NULL, strstr(err, "--tap-fd 0: it is not a tap")) TH_LOG("%s", err);
	EXPECT_EQ(1, refused(err, sizeof(err), "", "--tap lo"));
	EXPECT_NE(NULL, strstr(err, "cannot open tap lo: an interface of that name exists and "
			       "is no tap")) TH_LOG("%s", err);

	/* Without a vnet header the offloads and the header mapping cannot work. */
	fd = open_tap("ksft-novnet", IFF_TAP | IFF_NO_PI);
	ASSERT_LE(0, fd);
	snprintf(arg, sizeof(arg), "--tap-fd %d", fd);
	EXPECT_EQ(1, refused(err, sizeof(err), "", arg));
	EXPECT_NE(NULL, strstr(err, "open it with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR"))
		TH_LOG("%s", err);
	close(fd);
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-neterr"));
}

TEST(cap_net_admin_required)
{
	const char *drop = "setpriv --bounding-set=-net_admin --inh-caps=-net_admin";
	char err[1024];

	/* Creating the tap is refused first... */
	EXPECT_EQ(1, refused(err, sizeof(err), drop, "--tap ksft-nocap"));
	EXPECT_NE(NULL, strstr(err, "creating or attaching a tap needs CAP_NET_ADMIN"))
		TH_LOG("%s", err);
	/* ...and with a tap its owner may attach to, the VDUSE net device. */
	ASSERT_EQ(0, run("ip tuntap add dev ksft-nocap mode tap vnet_hdr user 0"));
	EXPECT_EQ(1, refused(err, sizeof(err), drop, "--tap ksft-nocap"));
	EXPECT_NE(NULL, strstr(err, "a VDUSE net device needs CAP_NET_ADMIN (run as root)"))
		TH_LOG("%s", err);
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-neterr"));
	run("ip link del ksft-nocap");
}

/* A tap handed over as an fd, the way a container runtime would. */
TEST(inherited_tap_fd)
{
	struct daemon d;
	char arg[16], tap[IFNAMSIZ];
	int fd, status = 0;

	snprintf(tap, sizeof(tap), "kf%d", getpid());
	fd = open_tap(tap, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	ASSERT_LE(0, fd);
	snprintf(arg, sizeof(arg), "%d", fd);
	ASSERT_EQ(0, daemon_spawn(&d, "ksft-netfd", "net", "--name", "ksft-netfd", "--tap-fd",
				  arg, "--attach", NULL));
	ASSERT_EQ(0, daemon_wait_ready(&d, &status));
	EXPECT_TRUE(path_exists("/sys/bus/vdpa/devices/%s", "ksft-netfd"));
	EXPECT_EQ(0, daemon_stop(&d, SIGTERM));
	daemon_close(&d);
	EXPECT_FALSE(path_exists("/dev/vduse/%s", "ksft-netfd"));
	/* Ours until we close it. */
	EXPECT_TRUE(path_exists("/sys/class/net/%s", tap));
	close(fd);
}

TEST_HARNESS_MAIN
