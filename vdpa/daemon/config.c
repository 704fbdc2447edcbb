// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

/* Options without a value: "key = yes" gives them, "key = no" leaves them out. */
static const char *const flags[] = { "direct", "ro", "packed", "split", "no-umem", "verbose" };
/* Options that say how to start this time, not what the device is. */
static const char *const command_line_only[] = { "reconnect", "help", "config" };
/* Repeated, in order: the filter's key=value parameters. */
#define PARAM_KEY "filter-param"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

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

/* Append @word (taken over, NULL: out of memory) with the line and key it comes from. */
static int add_word(struct config *c, char *word, unsigned int line, const char *key)
{
	char **argv = realloc(c->argv, (c->argc + 2) * sizeof(*argv));
	unsigned int *lines;
	char **keys;

	if (argv)
		c->argv = argv;
	lines = argv ? realloc(c->lines, (c->argc + 1) * sizeof(*lines)) : NULL;
	if (lines)
		c->lines = lines;
	keys = lines ? realloc(c->keys, (c->argc + 1) * sizeof(*keys)) : NULL;
	if (keys)
		c->keys = keys;
	if (!keys || !word) {
		free(word);
		return -ENOMEM;
	}
	c->argv[c->argc] = word;
	c->argv[c->argc + 1] = NULL;
	c->lines[c->argc] = line;
	c->keys[c->argc] = (char *)key;
	c->argc++;
	return 0;
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

/* One "key = value" line into the words of the command line it stands for. */
static int parse_line(struct config *c, char *s, unsigned int line, char *err, size_t errlen)
{
	const char *p = c->path, *k;
	char *eq, *key, *value, *word;
	size_t len;
	bool on;

	eq = strchr(s, '=');
	if (!eq)
		return fail(err, errlen, "%s:%u: '%s': expected 'key = value'", p, line, s);
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (!islower((unsigned char)key[0]) ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(key))
		return fail(err, errlen, "%s:%u: '%s': a key is an option name, like queues", p,
			    line, key);
	len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value[len - 1] = '\0';
		value++;
	} else if (strchr(value, '"')) {
		return fail(err, errlen, "%s:%u: %s: a quoted value is quoted whole: \"...\"", p,
			    line, key);
	}
	if (!value[0])
		return fail(err, errlen, "%s:%u: %s has no value", p, line, key);
	if (listed(key, command_line_only, sizeof(command_line_only) / sizeof(*command_line_only)))
		return fail(err, errlen, "%s:%u: %s is for the command line (uvdpad --config %s "
			    "--%s), not for the file", p, line, key, p, key);
	if (strcmp(key, PARAM_KEY) && seen(c, key))
		return fail(err, errlen, "%s:%u: %s given twice (first on line %u)", p, line, key,
			    seen(c, key));
	k = give(c, key, line);
	if (!k)
		return -ENOMEM;
	if (!strcmp(key, "type")) {
		if (strcmp(value, "blk") && strcmp(value, "net"))
			return fail(err, errlen, "%s:%u: type = %s: blk or net", p, line, value);
		/* The type goes first, as on the command line. */
		free(c->argv[1]);
		c->argv[1] = strdup(value);
		c->lines[1] = line;
		c->keys[1] = (char *)k;
		return c->argv[1] ? 0 : -ENOMEM;
	}
	if (!strcmp(key, PARAM_KEY))
		return add_word(c, strdup(value), line, k);
	if (listed(key, flags, sizeof(flags) / sizeof(*flags)) || !strcmp(key, "attach")) {
		if (!parse_bool(value, &on)) {
			if (!on)
				return 0;
			return asprintf(&word, "--%s", key) < 0 ? -ENOMEM :
				add_word(c, word, line, k);
		}
		if (strcmp(key, "attach"))
			return fail(err, errlen, "%s:%u: %s = %s: yes or no", p, line, key, value);
	}
	if (asprintf(&word, "--%s=%s", key, value) < 0)
		return -ENOMEM;
	return add_word(c, word, line, k);
}

/* The device name the unit instance stands for: the file's name without ".conf". */
static char *name_of(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base);

	if (len > 5 && !strcmp(base + len - 5, ".conf"))
		len -= 5;
	return strndup(base, len);
}

static int read_file(struct config *c, FILE *f, char *err, size_t errlen)
{
	unsigned int line = 0;
	char *buf = NULL, *s, *name;
	size_t cap = 0;
	int ret = 0;

	while (!ret && getline(&buf, &cap, f) >= 0) {
		line++;
		cut_comment(buf);
		s = trim(buf);
		if (*s)
			ret = parse_line(c, s, line, err, errlen);
	}
	free(buf);
	if (!ret && ferror(f))
		ret = -EIO;
	if (ret)
		return ret;
	if (!seen(c, "type"))
		return fail(err, errlen, "%s: no type line: say 'type = blk' or 'type = net'",
			    c->path);
	if (seen(c, "name"))
		return 0;
	name = name_of(c->path);
	if (!name || asprintf(&s, "--name=%s", name) < 0) {
		free(name);
		return -ENOMEM;
	}
	free(name);
	return add_word(c, s, 0, NULL);
}

/*
 * The line a message of cli_parse() is about: that of the first option it
 * names ("--size '3x': ...") or the first value it quotes ("'a=1': ..."),
 * among those the file gave; 0 when it is about none of them.
 */
static unsigned int line_of(const struct config *c, const char *msg)
{
	const char *m;
	size_t len;
	int i;

	for (m = strstr(msg, "--"); m; m = strstr(m + 2, "--")) {
		len = strspn(m + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
		for (i = 2; i < c->argc; i++)
			if (c->lines[i] && strlen(c->keys[i]) == len &&
			    !strncmp(c->keys[i], m + 2, len))
				return c->lines[i];
	}
	for (i = 2; i < c->argc; i++) {
		len = strlen(c->argv[i]);
		for (m = strchr(msg, '\''); c->lines[i] && m; m = strchr(m + 1, '\''))
			if (!strncmp(m + 1, c->argv[i], len) && m[1 + len] == '\'')
				return c->lines[i];
	}
	return 0;
}

int config_load(struct config *c, const char *path, int nr_extra, char **extra,
		struct cli_opts *o, char *err, size_t errlen)
{
	char msg[512];
	unsigned int line;
	FILE *f;
	int ret, i;

	memset(c, 0, sizeof(*c));
	c->path = path;
	ret = add_word(c, strdup("uvdpad"), 0, NULL);
	if (!ret)
		ret = add_word(c, strdup("?"), 0, NULL);
	if (ret)
		return ret;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = read_file(c, f, err, errlen);
	fclose(f);
	if (ret == -ENOMEM || ret == -EIO)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
	for (i = 0; !ret && i < nr_extra; i++)
		ret = add_word(c, strdup(extra[i]), 0, NULL);
	if (ret)
		return ret;
	c->args = malloc((c->argc + 1) * sizeof(*c->args));
	if (!c->args)
		return -ENOMEM;
	memcpy(c->args, c->argv, (c->argc + 1) * sizeof(*c->args));
	ret = cli_parse(c->argc, c->args, o, msg, sizeof(msg));
	if (!ret && o->help)
		ret = fail(msg, sizeof(msg), "--help does not go with --config");
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
	int j;

	for (j = 0; j < c->argc; j++)
		free(c->argv[j]);
	for (i = 0; i < c->nr_given; i++)
		free(c->given[i]);
	free(c->argv);
	free(c->args);
	free(c->lines);
	free(c->keys);
	free(c->given);
	free(c->given_lines);
	memset(c, 0, sizeof(*c));
}
