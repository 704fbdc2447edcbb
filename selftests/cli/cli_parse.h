/* SPDX-License-Identifier: GPL-2.0 */
/* Parse a command line in a test: PARSE fills a struct parsed, REFUSED checks a refusal. */
#ifndef UVDPA_CLI_PARSE_H
#define UVDPA_CLI_PARSE_H

#include <errno.h>
#include <string.h>

#include "daemon/cli.h"

struct parsed {
	struct cli_opts o;
	char err[256];
	int ret;
};

#define PARSE(p, ...) do {							\
		char *argv[] = { "uvdpad", __VA_ARGS__, NULL };			\
		(p)->err[0] = '\0';						\
		(p)->ret = cli_parse(ARRAY_SIZE(argv) - 1, argv,	\
				     &(p)->o, (p)->err, sizeof((p)->err));	\
	} while (0)

/* Each refused command line: -EINVAL and a message naming what is wrong. */
#define REFUSED(needle, ...) do {						\
		struct parsed p;						\
		PARSE(&p, __VA_ARGS__);						\
		EXPECT_EQ(-EINVAL, p.ret);					\
		EXPECT_NE(NULL, strstr(p.err, needle)) TH_LOG("message: %s", p.err); \
	} while (0)

#endif
