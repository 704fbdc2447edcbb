// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl_proto.h"

int ctl_frame(char *buf, size_t len)
{
	char *nl = memchr(buf, '\n', len);

	if (!nl)
		return len + 1 < UVDPA_CTL_LINE_MAX ? -EAGAIN : -E2BIG;
	/* A NUL would cut the line short of what the client meant. */
	if (memchr(buf, '\0', nl - buf))
		return -EPROTO;
	*nl = '\0';
	return nl - buf;
}

int ctl_parse(char *line, struct ctl_words *w, char *err, size_t errlen)
{
	char *save = NULL, *word, *end;
	unsigned long version;
	int n = 0;

	for (word = strtok_r(line, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		if (n == CTL_MAX_WORDS) {
			snprintf(err, errlen, "too many words in the request");
			return -E2BIG;
		}
		w->argv[n++] = word;
	}
	if (n < 3 || strcmp(w->argv[0], UVDPA_CTL_MAGIC)) {
		snprintf(err, errlen, "not a %s request", UVDPA_CTL_MAGIC);
		return -EPROTO;
	}
	errno = 0;
	version = strtoul(w->argv[1], &end, 10);
	if (errno || *end || !version || version > UVDPA_CTL_VERSION || w->argv[1][0] == '-') {
		snprintf(err, errlen, "protocol version %.32s is unknown to this uvdpad (it speaks "
			 "up to %d): update uvdpad", w->argv[1], UVDPA_CTL_VERSION);
		return -EPROTO;
	}
	w->version = version;
	w->argc = n - 2;
	memmove(w->argv, w->argv + 2, w->argc * sizeof(w->argv[0]));
	return 0;
}

int ctl_parse_filter_set(int argc, char *const *argv, struct ctl_filter_set *s, char *err,
			 size_t errlen)
{
	int first = 1;

	*s = (struct ctl_filter_set){ 0 };
	if (argc >= 1 && !strcmp(argv[0], "--reload")) {
		s->reload = true;
		argc--;
		argv++;
	}
	if (argc < 1) {
		snprintf(err, errlen, "filter set: which filter?");
		return -EINVAL;
	}
	if (!strcmp(argv[0], "--object")) {
		if (argc < 2 || argv[1][0] != '/') {
			snprintf(err, errlen, "filter set --object needs an absolute path");
			return -EINVAL;
		}
		s->path = argv[1];
		first = 2;
	} else {
		s->name = argv[0];
	}
	s->params = argv + first;
	s->nr_params = argc - first;
	return 0;
}
