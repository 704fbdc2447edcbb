// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_info.h"
#include "uvdpa_ctl.h"

#define MAX_WORDS 64
#define MAX_LINES 256

struct word {
	const char *key, *val;
	int klen, vlen;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

enum ctl_info_state ctl_info_ask(const char *path, int timeout_ms, char **reply)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char req[64], *buf = NULL, *more, *last;
	size_t len = 0, cap = 0;
	long long end = now_ms() + timeout_ms;
	struct pollfd p;
	enum ctl_info_state st;
	ssize_t n;
	int fd;

	*reply = NULL;
	if (strlen(path) >= sizeof(addr.sun_path))
		return CTL_INFO_GONE;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return CTL_INFO_NO_ANSWER;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		/* Refused: a socket file nobody listens on. Gone: removed since we listed it. */
		st = errno == ECONNREFUSED ? CTL_INFO_STALE : errno == ENOENT ? CTL_INFO_GONE :
		     CTL_INFO_NO_ANSWER;
		close(fd);
		return st;
	}
	snprintf(req, sizeof(req), "%s %d info\n", UVDPA_CTL_MAGIC, UVDPA_CTL_VERSION);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		st = errno == EPIPE || errno == ECONNRESET ? CTL_INFO_STALE : CTL_INFO_NO_ANSWER;
		close(fd);
		return st;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (;;) {
		if (len + 1 >= cap) {
			more = realloc(buf, cap = cap ? cap * 2 : 4096);
			if (!more) {
				st = CTL_INFO_NO_ANSWER;
				goto out;
			}
			buf = more;
		}
		if (now_ms() >= end || poll(&p, 1, end - now_ms()) <= 0) {
			st = CTL_INFO_NO_ANSWER;
			goto out;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	/* The last line says how it went; a daemon that died half-way wrote none. */
	if (!len || buf[len - 1] != '\n') {
		st = CTL_INFO_STALE;
		goto out;
	}
	buf[len - 1] = '\0';
	last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	if (strcmp(last, UVDPA_CTL_OK)) {
		/* A daemon from before "info", or one that refuses us (not root, not its user). */
		st = strstr(last, "unknown command") ? CTL_INFO_OLD : CTL_INFO_REFUSED;
		if (st == CTL_INFO_REFUSED)
			*reply = strdup(strncmp(last, UVDPA_CTL_ERROR " ", 6) ? last : last + 6);
		goto out;
	}
	*last = '\0';
	*reply = buf;
	buf = NULL;
	st = CTL_INFO_OK;
out:
	free(buf);
	close(fd);
	return st;
}

/* Values that may hold blanks: each runs to the end of its line (uapi/uvdpa_ctl.h). */
static bool to_line_end(const char *word, const char *end)
{
	static const char *const keys[] = { "why=", "path=", "state_file=" };
	unsigned int i;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if ((size_t)(end - word) >= strlen(keys[i]) &&
		    !strncmp(word, keys[i], strlen(keys[i])))
			return true;
	return false;
}

/* The words of one reply line, appended to @w, which holds @n: the new count. */
static int split(const char *line, const char *end, struct word *w, int n)
{
	const char *p = line, *sp, *eq;

	while (p < end && n < MAX_WORDS) {
		sp = memchr(p, ' ', end - p);
		if (!sp || to_line_end(p, end))
			sp = end;
		eq = memchr(p, '=', sp - p);
		if (eq) {
			w[n] = (struct word){ p, eq + 1, eq - p, sp - eq - 1 };
			n++;
		}
		p = sp + 1;
	}
	return n;
}

static const char *value(const struct word *w, int n, const char *key, int *len)
{
	int i;

	for (i = 0; i < n; i++) {
		if (w[i].klen == (int)strlen(key) && !strncmp(w[i].key, key, w[i].klen)) {
			*len = w[i].vlen;
			return w[i].val;
		}
	}
	*len = 1;
	return "-";
}

static bool numeric(const char *s, int len)
{
	int i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0 && len < 20;
}

/* @w as members of an object that has @*done of them already. */
static void json_members(FILE *out, const struct word *w, int n, int *done)
{
	int i;

	for (i = 0; i < n; i++) {
		fputs((*done)++ ? ", " : "", out);
		ctl_json_string(out, w[i].key, w[i].klen);
		fputs(": ", out);
		if (numeric(w[i].val, w[i].vlen))
			fwrite(w[i].val, 1, w[i].vlen, out);
		else
			ctl_json_string(out, w[i].val, w[i].vlen);
	}
}

/* 67108864 as "64M": what a person wrote for --size, when it is that round. */
static void human_size(const char *s, int len, char *buf, size_t buflen)
{
	static const char units[] = "KMGT";
	unsigned long long v = strtoull(s, NULL, 10);
	int u = -1;

	if (!numeric(s, len) || !v) {
		snprintf(buf, buflen, "%.*s", len, s);
		return;
	}
	while (u < 3 && !(v % 1024)) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, buflen, "%llu", v);
	else
		snprintf(buf, buflen, "%llu%c", v, units[u]);
}

static const char *state_name(enum ctl_info_state st)
{
	switch (st) {
	case CTL_INFO_OK:
		return "running";
	case CTL_INFO_STALE:
		return "stale";
	case CTL_INFO_NO_ANSWER:
		return "no-answer";
	case CTL_INFO_OLD:
		return "old-daemon";
	case CTL_INFO_REFUSED:
		return "refused";
	case CTL_INFO_GONE:
		break;
	}
	return "gone";
}

static const char *const columns[] = { "name", "type", "backend", "size", "queues", "driver",
				       "dev", "pid" };
#define NR_COLUMNS (sizeof(columns) / sizeof(*columns))

struct row {
	char cell[NR_COLUMNS + 1][128];
	char bytes[32];	/* the size as the daemon said it, for JSON */
};

static void fill_row(struct row *r, const char *name, enum ctl_info_state st, const char *reply)
{
	struct word w[MAX_WORDS];
	const char *v, *nl, *l;
	unsigned int c;
	int n = 0, len;

	for (l = reply; l && *l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (strncmp(l, "vq=", 3))
			n = split(l, nl ? nl : l + strlen(l), w, n);
	}
	for (c = 0; c < NR_COLUMNS; c++) {
		v = value(w, n, columns[c], &len);
		/* A NIC has a MAC where a disk has a size. */
		if (!strcmp(columns[c], "size") && len == 1 && *v == '-')
			v = value(w, n, "mac", &len);
		if (!strcmp(columns[c], "size")) {
			human_size(v, len, r->cell[c], sizeof(r->cell[c]));
			snprintf(r->bytes, sizeof(r->bytes), "%.*s", len, v);
		}
		else
			snprintf(r->cell[c], sizeof(r->cell[c]), "%.*s", len, v);
	}
	/* The socket's name is the device's, whatever the daemon says or not. */
	snprintf(r->cell[0], sizeof(r->cell[0]), "%s", name);
	snprintf(r->cell[NR_COLUMNS], sizeof(r->cell[NR_COLUMNS]), "%s", state_name(st));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The device names with a socket in @dir, sorted: their count, or -errno. */
static int sockets(const char *dir, char ***names)
{
	char **v = NULL, **more;
	struct dirent *e;
	size_t len;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".sock"))
			continue;
		more = realloc(v, (n + 1) * sizeof(*v));
		if (!more)
			break;
		v = more;
		v[n] = strndup(e->d_name, len - 5);
		if (v[n])
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	*names = v;
	return n;
}

static void print_rows(const struct row *rows, int n, bool json, FILE *out)
{
	static const char *const header[NR_COLUMNS + 1] = { "NAME", "TYPE", "BACKEND",
		"SIZE/MAC", "QUEUES", "DRIVER", "DEVICE", "PID", "STATE" };
	int width[NR_COLUMNS + 1], i;
	unsigned int c;

	if (json) {
		fputc('[', out);
		for (i = 0; i < n; i++) {
			fputs(i ? ", {" : "{", out);
			for (c = 0; c <= NR_COLUMNS; c++) {
				const char *v = rows[i].cell[c];
				const char *key = c < NR_COLUMNS ? columns[c] : "state";

				/* A stale entry knows its name only. */
				if (c && c < NR_COLUMNS && !strcmp(v, "-"))
					continue;
				/* Bytes, or the MAC. */
				if (!strcmp(key, "size")) {
					v = rows[i].bytes;
					key = numeric(v, strlen(v)) ? "size" : "mac";
				}
				fprintf(out, "%s\"%s\": ", c ? ", " : "", key);
				if (numeric(v, strlen(v)))
					fputs(v, out);
				else
					ctl_json_string(out, v, strlen(v));
			}
			fputc('}', out);
		}
		fputs("]\n", out);
		return;
	}
	for (c = 0; c <= NR_COLUMNS; c++) {
		width[c] = strlen(header[c]);
		for (i = 0; i < n; i++)
			if ((int)strlen(rows[i].cell[c]) > width[c])
				width[c] = strlen(rows[i].cell[c]);
	}
	for (i = -1; i < n; i++) {
		for (c = 0; c < NR_COLUMNS; c++)
			fprintf(out, "%-*s ", width[c], i < 0 ? header[c] : rows[i].cell[c]);
		fprintf(out, "%s\n", i < 0 ? header[c] : rows[i].cell[c]);
	}
}

static int socket_path(const char *dir, const char *name, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s.sock", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ctl_info_list(const char *dir, bool json, int timeout_ms, FILE *out)
{
	char **names = NULL, path[sizeof(((struct sockaddr_un *)0)->sun_path)], *reply;
	enum ctl_info_state st;
	struct row *rows;
	int n, i, shown = 0;

	n = sockets(dir, &names);
	if (n < 0)
		return n;
	rows = calloc(n ? n : 1, sizeof(*rows));
	for (i = 0; rows && i < n; i++) {
		reply = NULL;
		st = socket_path(dir, names[i], path, sizeof(path)) ? CTL_INFO_GONE :
		     ctl_info_ask(path, timeout_ms, &reply);
		if (st != CTL_INFO_GONE)
			fill_row(&rows[shown++], names[i], st, st == CTL_INFO_OK ? reply : NULL);
		free(reply);
	}
	if (rows)
		print_rows(rows, shown, json, out);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(rows);
	return rows ? 0 : -ENOMEM;
}

/* The per-queue lines ("vq=N ...") as a table: a column per key any of them has. */
static void print_queues(char **lines, int n, FILE *out)
{
	struct word w[MAX_WORDS], keys[MAX_WORDS];
	int width[MAX_WORDS], nk = 0, nw, i, k, c, len;
	const char *v;

	for (i = 0; i < n; i++) {
		nw = split(lines[i], lines[i] + strlen(lines[i]), w, 0);
		for (c = 0; c < nw; c++) {
			for (k = 0; k < nk; k++)
				if (keys[k].klen == w[c].klen &&
				    !strncmp(keys[k].key, w[c].key, w[c].klen))
					break;
			if (k == nk && nk < MAX_WORDS) {
				keys[nk] = w[c];
				width[nk++] = w[c].klen;
			}
			if (k < nk && w[c].vlen > width[k])
				width[k] = w[c].vlen;
		}
	}
	for (i = -1; i < n; i++) {
		nw = i < 0 ? 0 : split(lines[i], lines[i] + strlen(lines[i]), w, 0);
		for (k = 0; k < nk; k++) {
			char key[64];

			snprintf(key, sizeof(key), "%.*s", keys[k].klen, keys[k].key);
			v = i < 0 ? keys[k].key : value(w, nw, key, &len);
			if (i < 0)
				len = keys[k].klen;
			fprintf(out, "%s%-*.*s", k ? " " : "  ", k == nk - 1 ? 0 : width[k], len, v);
		}
		fputc('\n', out);
	}
}

static void print_show(char *reply, bool json, FILE *out)
{
	char *lines[MAX_LINES], *queues[MAX_LINES], *save = NULL, *l;
	struct word w[MAX_WORDS];
	int n = 0, nq = 0, nw, i, j;

	for (l = strtok_r(reply, "\n", &save); l && n + nq < MAX_LINES;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "vq=", 3))
			queues[nq++] = l;
		else
			lines[n++] = l;
	}
	if (json) {
		int done = 0, vq_done;

		fputc('{', out);
		for (i = 0; i < n; i++) {
			nw = split(lines[i], lines[i] + strlen(lines[i]), w, 0);
			json_members(out, w, nw, &done);
		}
		fprintf(out, "%s\"vqs\": [", done ? ", " : "");
		for (i = 0; i < nq; i++) {
			nw = split(queues[i], queues[i] + strlen(queues[i]), w, 0);
			fputs(i ? ", {" : "{", out);
			vq_done = 0;
			json_members(out, w, nw, &vq_done);
			fputc('}', out);
		}
		fputs("]}\n", out);
		return;
	}
	for (i = 0; i < n; i++) {
		nw = split(lines[i], lines[i] + strlen(lines[i]), w, 0);
		for (j = 0; j < nw; j++)
			fprintf(out, "%-20.*s %.*s\n", w[j].klen, w[j].key, w[j].vlen, w[j].val);
	}
	if (nq)
		fprintf(out, "queues:\n");
	print_queues(queues, nq, out);
}

int ctl_info_show(const char *dir, const char *name, bool json, int timeout_ms, FILE *out,
		  char *err, size_t errlen)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], *reply;
	enum ctl_info_state st;

	if (socket_path(dir, name, path, sizeof(path))) {
		snprintf(err, errlen, "'%s': the name is too long", name);
		return -ENAMETOOLONG;
	}
	st = ctl_info_ask(path, timeout_ms, &reply);
	switch (st) {
	case CTL_INFO_OK:
		print_show(reply, json, out);
		free(reply);
		return 0;
	case CTL_INFO_STALE:
		snprintf(err, errlen, "%s is stale: the daemon serving '%s' is gone", path, name);
		return -ECONNREFUSED;
	case CTL_INFO_NO_ANSWER:
		snprintf(err, errlen, "the daemon serving '%s' did not answer within %d ms", name,
			 timeout_ms);
		return -ETIMEDOUT;
	case CTL_INFO_OLD:
		snprintf(err, errlen, "the daemon serving '%s' does not know 'info' (update uvdpad)",
			 name);
		return -EPROTO;
	case CTL_INFO_REFUSED:
		snprintf(err, errlen, "the daemon serving '%s' refused: %s", name,
			 reply ? reply : strerror(ENOMEM));
		free(reply);
		return -EACCES;
	case CTL_INFO_GONE:
		break;
	}
	snprintf(err, errlen, "no uvdpad serves '%s' (no %s)", name, path);
	return -ENOENT;
}
