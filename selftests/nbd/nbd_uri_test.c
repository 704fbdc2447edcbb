// SPDX-License-Identifier: GPL-2.0
/* nbd_uri_parse(): the URIs --nbd accepts, and one line for each it refuses. */
#include "kselftest_harness.h"
#include "backend/nbd_uri.h"

static char err[256];

TEST(tcp_host_port_export)
{
	struct nbd_uri u;

	ASSERT_EQ(0, nbd_uri_parse("nbd://127.0.0.1:10810/disk0", &u, err, sizeof(err)));
	ASSERT_FALSE(u.unix_socket);
	ASSERT_STREQ("127.0.0.1", u.host);
	ASSERT_STREQ("10810", u.port);
	ASSERT_STREQ("disk0", u.export_name);
}

TEST(tcp_default_port_and_export)
{
	struct nbd_uri u;

	ASSERT_EQ(0, nbd_uri_parse("nbd://localhost", &u, err, sizeof(err)));
	ASSERT_STREQ("localhost", u.host);
	ASSERT_STREQ("10809", u.port);
	ASSERT_STREQ("", u.export_name);
	ASSERT_EQ(0, nbd_uri_parse("nbd://localhost/", &u, err, sizeof(err)));
	ASSERT_STREQ("", u.export_name);
}

TEST(tcp_ipv6)
{
	struct nbd_uri u;

	ASSERT_EQ(0, nbd_uri_parse("nbd://[::1]:2000/a/b", &u, err, sizeof(err)));
	ASSERT_STREQ("::1", u.host);
	ASSERT_STREQ("2000", u.port);
	ASSERT_STREQ("a/b", u.export_name);
	ASSERT_EQ(0, nbd_uri_parse("nbd://[::1]", &u, err, sizeof(err)));
	ASSERT_STREQ("10809", u.port);
}

TEST(unix_socket)
{
	struct nbd_uri u;

	ASSERT_EQ(0, nbd_uri_parse("nbd+unix:///exp?socket=/run/nbd.sock", &u, err, sizeof(err)));
	ASSERT_TRUE(u.unix_socket);
	ASSERT_STREQ("/run/nbd.sock", u.socket);
	ASSERT_STREQ("exp", u.export_name);
	ASSERT_EQ(0, nbd_uri_parse("nbd+unix://?socket=s", &u, err, sizeof(err)));
	ASSERT_STREQ("", u.export_name);
	ASSERT_STREQ("s", u.socket);
}

/* Each refusal names what is wrong. */
TEST(refused)
{
	static const struct { const char *uri, *why; } bad[] = {
		{ "http://x/y", "neither" },
		{ "nbd://", "no host" },
		{ "nbd://:10/x", "no host" },
		{ "nbd://h:0/x", "bad port" },
		{ "nbd://h:65536/x", "bad port" },
		{ "nbd://h:1x/x", "bad port" },
		{ "nbd://h:/x", "bad port" },
		{ "nbd://h:-1/x", "bad port" },
		{ "nbd://[::1/x", "unclosed" },
		{ "nbd://[::1]x/x", "junk" },
		{ "nbd://h/x?socket=/s", "no query" },
		{ "nbd+unix:///x", "needs ?socket" },
		{ "nbd+unix:///x?socket=", "needs ?socket" },
		{ "nbd+unix:///x?sock=/s", "needs ?socket" },
		{ "nbd+unix:///x?socket=/s&tls=on", "only the socket" },
		{ "nbd+unix://host/x?socket=/s", "no host" },
	};
	struct nbd_uri u;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		EXPECT_EQ(-EINVAL, nbd_uri_parse(bad[i].uri, &u, err, sizeof(err)))
			TH_LOG("%s", bad[i].uri);
		EXPECT_NE(NULL, strstr(err, bad[i].why)) TH_LOG("%s: %s", bad[i].uri, err);
	}
}

TEST(too_long)
{
	char uri[8192];
	struct nbd_uri u;

	snprintf(uri, sizeof(uri), "nbd+unix:///x?socket=/%0200d", 0);
	ASSERT_EQ(-EINVAL, nbd_uri_parse(uri, &u, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "socket path too long"));
	snprintf(uri, sizeof(uri), "nbd://h/%05000d", 0);
	ASSERT_EQ(-EINVAL, nbd_uri_parse(uri, &u, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "export name too long"));
}

TEST_HARNESS_MAIN
