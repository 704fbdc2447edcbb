// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

/* Options that say how to start this time, not what the device is. */
static const char *const command_line_only[] = { "reconnect", "help", "config" };
/* Repeated, in order: the filter's key=value parameters. */
#define PARAM_KEY "filter-param"

static bool listed(const char *key, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(key, list[i]))
			return true;
	return false;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Cut a comment: a '#' that starts the line or follows a blank, outside quotes. */
static void cut_comment(char *s)
{
	bool quoted = false;
	char *p;

	for (p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '#' && !quoted && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

/* The line @key was given on, or 0. */
static unsigned int seen(const struct config *c, const char *key)
{
	unsigned int i;

	for (i = 0; i < c->nr_given; i++)
		if (!strcmp(c->given[i], key))
			return c->given_lines[i];
	return 0;
}

/* Remember @key from @line: the key string, for its words, or NULL. */
static const char *give(struct config *c, const char *key, unsigned int line)
{
	char **given = realloc(c->given, (c->nr_given + 1) * sizeof(*given));
	unsigned int *lines;

	if (!given)
		return NULL;
	c->given = given;
	lines = realloc(c->given_lines, (c->nr_given + 1) * sizeof(*lines));
	if (!lines)
		return NULL;
	c->given_lines = lines;
	c->given[c->nr_given] = strdup(key);
	if (!c->given[c->nr_given])
		return NULL;
	c->given_lines[c->nr_given] = line;
	return c->given[c->nr_given++];
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* Keep @v for as long as @c: cli_set() keeps pointers into what it is given. */
static char *keep(struct config *c, const char *v)
{
	char **strs = realloc(c->strs, (c->nr_strs + 1) * sizeof(*strs));
	char *copy;

	if (!strs)
		return NULL;
	c->strs = strs;
	copy = strdup(v);
	if (copy)
		c->strs[c->nr_strs++] = copy;
	return copy;
}

/* A filter parameter, for o->filter_params once the file is read. */
static int add_param(struct config *c, const char *v, unsigned int line)
{
	char **params = realloc(c->params, (c->nr_params + 1) * sizeof(*params));
	unsigned int *lines;

	if (!params)
		return -ENOMEM;
	c->params = params;
	lines = realloc(c->param_lines, (c->nr_params + 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	c->param_lines = lines;
	c->params[c->nr_params] = keep(c, v);
	if (!c->params[c->nr_params])
		return -ENOMEM;
	c->param_lines[c->nr_params++] = line;
	return 0;
}

/* The option @key of the table with @value, as the file says it ("ro = yes", "attach = vhost"). */
static int set_option(struct config *c, struct cli_opts *o, const char *key, const char *value,
		      unsigned int line, char *err, size_t errlen)
{
	int arg = cli_option_arg(key), ret;
	char msg[384];
	bool on;

	if (arg < 0)
		return cli_fail(err, errlen, "%s:%u: unknown key '%s' (the keys are uvdpad's long "
				"options: uvdpad --help)", c->path, line, key);
	/* A flag, or an optional value given as yes or no: on, or left out. */
	if (arg != required_argument && !parse_bool(value, &on))
		return on ? cli_set(o, key, NULL, err, errlen) : 0;
	if (arg == no_argument)
		return cli_fail(err, errlen, "%s:%u: %s = %s: yes or no", c->path, line, key, value);
	value = keep(c, value);
	if (!value)
		return -ENOMEM;
	ret = cli_set(o, key, value, msg, sizeof(msg));
	if (ret)
		snprintf(err, errlen, "%s:%u: %s", c->path, line, msg);
	return ret;
}

/* One "key = value" line into @o, checked as the command line's option of that name. */
static int parse_line(struct config *c, struct cli_opts *o, char *s, unsigned int line,
		      char *err, size_t errlen)
{
	const char *p = c->path;
	char *eq, *key, *value, msg[256];
	size_t len;
	int ret;

	eq = strchr(s, '=');
	if (!eq)
		return cli_fail(err, errlen, "%s:%u: '%s': expected 'key = value'", p, line, s);
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (!islower((unsigned char)key[0]) ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(key))
		return cli_fail(err, errlen, "%s:%u: '%s': a key is an option name, like queues", p,
				line, key);
	len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value[len - 1] = '\0';
		value++;
	} else if (strchr(value, '"')) {
		return cli_fail(err, errlen, "%s:%u: %s: a quoted value is quoted whole: \"...\"", p,
				line, key);
	}
	if (!value[0])
		return cli_fail(err, errlen, "%s:%u: %s has no value", p, line, key);
	if (listed(key, command_line_only, sizeof(command_line_only) / sizeof(*command_line_only)))
		return cli_fail(err, errlen, "%s:%u: %s is for the command line (uvdpad --config %s "
				"--%s), not for the file", p, line, key, p, key);
	if (strcmp(key, PARAM_KEY) && seen(c, key))
		return cli_fail(err, errlen, "%s:%u: %s given twice (first on line %u)", p, line, key,
				seen(c, key));
	if (!give(c, key, line))
		return -ENOMEM;
	if (!strcmp(key, "type")) {
		value = keep(c, value);
		if (!value)
			return -ENOMEM;
		ret = cli_set_type(o, value, msg, sizeof(msg));
		if (ret)
			snprintf(err, errlen, "%s:%u: %s", p, line, msg);
		return ret;
	}
	if (!strcmp(key, PARAM_KEY)) {
		if (!strchr(value, '=') || value[0] == '=')
			return cli_fail(err, errlen, "%s:%u: %s = %s: a parameter of the filter, "
					"key=value", p, line, key, value);
		return add_param(c, value, line);
	}
	return set_option(c, o, key, value, line, err, errlen);
}

static int read_file(struct config *c, struct cli_opts *o, FILE *f, char *err, size_t errlen)
{
	unsigned int line = 0;
	char *buf = NULL, *s;
	size_t cap = 0;
	int ret = 0;

	while (!ret && getline(&buf, &cap, f) >= 0) {
		line++;
		cut_comment(buf);
		s = trim(buf);
		if (*s)
			ret = parse_line(c, o, s, line, err, errlen);
	}
	free(buf);
	if (!ret && ferror(f))
		ret = -EIO;
	if (!ret && !seen(c, "type"))
		return cli_fail(err, errlen, "%s: no type line: say 'type = blk' or 'type = net'",
				c->path);
	return ret;
}

/* After the file, the command line's further options (@n words): how to start this time. */
static int set_extra(struct config *c, struct cli_opts *o, int n, char **extra, char *err,
		     size_t errlen)
{
	char **argv = calloc(n + 2, sizeof(*argv));
	char msg[384];
	int ret;

	if (!argv)
		return -ENOMEM;
	/* getopt's argv[0]; it reorders the rest, so a copy of the array. */
	argv[0] = "uvdpad";
	if (n)
		memcpy(argv + 1, extra, n * sizeof(*argv));
	ret = cli_set_args(o, n + 1, argv, msg, sizeof(msg));
	if (!ret && o->help)
		ret = cli_fail(msg, sizeof(msg), "--help does not go with --config");
	if (!ret && o->nr_filter_params)
		ret = cli_fail(msg, sizeof(msg), "'%s': filter parameters go in the file "
			       "(" PARAM_KEY " = %s)", o->filter_params[0], o->filter_params[0]);
	if (ret)
		snprintf(err, errlen, "%s: %s", c->path, msg);
	free(argv);
	return ret;
}

/* The device name the unit instance stands for: the file's name without ".conf". */
static int default_name(struct config *c, struct cli_opts *o, char *err, size_t errlen)
{
	const char *base = strrchr(c->path, '/') ? strrchr(c->path, '/') + 1 : c->path;
	size_t len = strlen(base);
	char *name;

	if (len > 5 && !strcmp(base + len - 5, ".conf"))
		len -= 5;
	name = strndup(base, len);
	if (!name || !keep(c, name)) {
		free(name);
		return -ENOMEM;
	}
	free(name);
	return cli_set(o, "name", c->strs[c->nr_strs - 1], err, errlen);
}

/*
 * The line a message of cli_finish() is about: that of the first option it
 * names ("--workers 3: more workers than --queues 2") or the first filter
 * parameter it quotes ("'a=1': ..."), among those the file gave; 0 when it
 * is about none of them.
 */
static unsigned int line_of(const struct config *c, const char *msg)
{
	const char *m;
	unsigned int i;
	size_t len;

	for (m = strstr(msg, "--"); m; m = strstr(m + 2, "--")) {
		len = strspn(m + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
		for (i = 0; i < c->nr_given; i++)
			if (strlen(c->given[i]) == len && !strncmp(c->given[i], m + 2, len))
				return c->given_lines[i];
	}
	for (i = 0; i < c->nr_params; i++) {
		len = strlen(c->params[i]);
		for (m = strchr(msg, '\''); m; m = strchr(m + 1, '\''))
			if (!strncmp(m + 1, c->params[i], len) && m[1 + len] == '\'')
				return c->param_lines[i];
	}
	return 0;
}

int config_load(struct config *c, const char *path, int nr_extra, char **extra,
		struct cli_opts *o, char *err, size_t errlen)
{
	char msg[512];
	unsigned int line;
	FILE *f;
	int ret;

	memset(c, 0, sizeof(*c));
	c->path = path;
	cli_init(o);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = read_file(c, o, f, err, errlen);
	fclose(f);
	if (!ret)
		ret = set_extra(c, o, nr_extra, extra, err, errlen);
	if (!ret && !cli_given(o, "name"))
		ret = default_name(c, o, err, errlen);
	if (ret == -ENOMEM || ret == -EIO)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
	if (ret)
		return ret;
	o->filter_params = c->params;
	o->nr_filter_params = c->nr_params;
	ret = cli_finish(o, msg, sizeof(msg));
	if (!ret)
		return 0;
	line = line_of(c, msg);
	if (line)
		snprintf(err, errlen, "%s:%u: %s", path, line, msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
	return -EINVAL;
}

void config_free(struct config *c)
{
	unsigned int i;

	for (i = 0; i < c->nr_strs; i++)
		free(c->strs[i]);
	for (i = 0; i < c->nr_given; i++)
		free(c->given[i]);
	free(c->strs);
	free(c->params);
	free(c->param_lines);
	free(c->given);
	free(c->given_lines);
	memset(c, 0, sizeof(*c));
}
