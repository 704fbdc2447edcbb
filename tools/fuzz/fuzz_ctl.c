// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the control protocol as the daemon reads it
 * (uapi/uvdpa_ctl.h): the input says where reads end and what the
 * parameters of the filter are called, and the rest is what a client sends. The bytes go through the daemon's framing, word split and version
 * check, the arguments of filter set and the key=value parameters. A framed
 * line must be exactly the bytes before the client's first newline; words
 * are non-empty, hold no space and lie in the line; every refusal comes
 * with one line for a person; a parameter set is one the filter has, with
 * the value the word says.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl_proto.h"
#include "policy/nf.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const char *err, size_t len)
{
	size_t n = strnlen(err, len);

	if (!n || n == len || memchr(err, '\n', n))
		abort();
}

static void check_words(const struct ctl_words *w, const char *line, size_t len)
{
	int i;

	if (w->argc < 1 || w->version != 1)
		abort();
	for (i = 0; i < w->argc; i++) {
		if (w->argv[i] < line || w->argv[i] >= line + len || !w->argv[i][0] ||
		    strchr(w->argv[i], ' '))
			abort();
	}
}

/* The filter's parameter names, as an object file could have them. */
static void fake_filter(struct input *in, struct nf_prog *p)
{
	unsigned int i, j, len;
	uint8_t c;

	p->nr_params = next(in) % (UVDPA_NF_MAX_PARAMS + 1);
	for (i = 0; i < p->nr_params; i++) {
		len = next(in) % NF_PARAM_NAME_MAX ?: 1;
		for (j = 0; j < len; j++) {
			c = next(in);
			p->params[i][j] = isalnum(c) || c == '_' ? c : 'a' + c % 26;
		}
		p->params[i][len] = '\0';
	}
}

static void check_params(struct nf_prog *p, const struct ctl_filter_set *s)
{
	char err[512] = "";
	unsigned int i, k;
	int ret;

	memset(p->shm, 0, sizeof(*p->shm));
	ret = nf_prog_set_params(p, s->params, s->nr_params, err, sizeof(err));
	if (ret) {
		check_err(err, sizeof(err));
		return;
	}
	/* Each word is NAME=NUMBER for a name the filter has; the last one wins. */
	for (i = 0; i < s->nr_params; i++) {
		const char *eq = strchr(s->params[i], '=');
		bool later = false;

		if (!eq)
			abort();
		for (k = i + 1; k < s->nr_params; k++)
			later |= !strncmp(s->params[k], s->params[i], eq - s->params[i] + 1);
		for (k = 0; k < p->nr_params; k++)
			if (strlen(p->params[k]) == (size_t)(eq - s->params[i]) &&
			    !strncmp(p->params[k], s->params[i], eq - s->params[i]))
				break;
		if (k == p->nr_params)
			abort();
		if (!later && p->shm->params[k] != strtoull(eq + 1, NULL, 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[UVDPA_CTL_LINE_MAX];
	static struct uvdpa_nf_shared shm;
	struct nf_prog prog = { .name = "fuzz", .shm = &shm };
	struct input in = { data, size };
	struct ctl_filter_set set;
	struct ctl_words w;
	char err[512] = "";
	const uint8_t *msg, *nl;
	size_t got = 0, len, n, cut;
	int ret = -EAGAIN;

	/* Where reads end, the filter's parameter names, then the request. */
	cut = next(&in);
	fake_filter(&in, &prog);
	msg = in.p;
	len = in.left;

	/* The reads the daemon makes, as ctl.c does them. */
	while (ret == -EAGAIN && got < len) {
		n = 1 + (cut = cut * 37 + 11) % 97;
		if (n > len - got)
			n = len - got;
		if (n > sizeof(buf) - 1 - got)
			n = sizeof(buf) - 1 - got;
		memcpy(buf + got, msg + got, n);
		got += n;
		ret = ctl_frame(buf, got);
	}
	nl = memchr(msg, '\n', got);
	if (ret == -EAGAIN) {
		/* The client stopped sending: only without a newline, before the limit. */
		if (nl || got != len || got + 1 >= sizeof(buf))
			abort();
		return 0;
	}
	if (ret == -E2BIG) {
		if (nl || got != sizeof(buf) - 1)
			abort();
		return 0;
	}
	if (ret == -EPROTO) {
		if (!nl || !memchr(msg, '\0', nl - msg))
			abort();
		return 0;
	}
	if (ret < 0 || !nl || ret != nl - msg || buf[ret] || memchr(buf, '\0', ret) ||
	    memcmp(buf, msg, ret))
		abort();

	ret = ctl_parse(buf, &w, err, sizeof(err));
	if (ret) {
		check_err(err, sizeof(err));
		return 0;
	}
	check_words(&w, buf, got);
	if (w.argc < 2 || strcmp(w.argv[0], "filter") || strcmp(w.argv[1], "set"))
		return 0;
	ret = ctl_parse_filter_set(w.argc - 2, w.argv + 2, &set, err, sizeof(err));
	if (ret) {
		check_err(err, sizeof(err));
		return 0;
	}
	if (!set.name == !set.path || (set.path && set.path[0] != '/') ||
	    set.params < w.argv + 2 || set.params + set.nr_params != w.argv + w.argc)
		abort();
	check_params(&prog, &set);
	return 0;
}
