// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_client.h"
#include "util/run_dir.h"

const char ctl_client_usage[] =
	"usage: uvdpactl list [-j]\n"
	"       uvdpactl show DEVICE [-j]\n"
	"       uvdpactl filter show DEVICE [-j]\n"
	"       uvdpactl filter set DEVICE [--reload] NAME [key=value]...\n"
	"       uvdpactl filter set DEVICE [--reload] --object FILE.bpf.o [key=value]...\n"
	"       uvdpactl stats DEVICE [-j]\n"
	"       uvdpactl upgrade DEVICE [-j]\n"
	"\n"
	"Talks to the uvdpad serving DEVICE through " UVDPA_CTL_DIR "/DEVICE.sock.\n"
	"  list          every device served on this host: type, backend, size or MAC, queues,\n"
	"                bus driver, the kernel's block or net device, the daemon's pid; a\n"
	"                daemon that is gone is 'stale', one that does not answer 'no-answer'\n"
	"  show          one device: configuration, features offered and negotiated, ring,\n"
	"                each queue's state, the filter, the reconnect state\n"
	"  filter show   the notification filter the device's queues follow, and its parameters\n"
	"  filter set    load a filter (passthrough, coalesce, adaptive, poll, or a BPF object\n"
	"                built against uvdpa_filter.h) and swap it in while I/O runs; builtin:\n"
	"                back to the daemon's own passthrough, no BPF. The filter running\n"
	"                already: its parameters change in place, its state kept; --reload\n"
	"                loads it afresh (its defaults, a rebuilt object file)\n"
	"  stats         per queue: kicks, completions, interrupts sent and held back, filter runs,\n"
	"                and the filter's decision now (frames and microseconds it holds\n"
	"                interrupts for, idle fire, poll window)\n"
	"  upgrade       the daemon finishes the requests in flight, saves its state and exits;\n"
	"                start the new uvdpad with --reconnect (docs/reliability.md)\n"
	"  -j, --json    JSON output\n";

/* In a parser with err and errlen in scope: a line for a person, and -EINVAL. */
#define REFUSE(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/* Append " word" to the request line. */
static int add(struct ctl_request *r, const char *word, char *err, size_t errlen)
{
	size_t len = strlen(r->line);

	if (!*word || strpbrk(word, " \n"))
		return REFUSE("'%s': arguments cannot be empty or hold spaces", word);
	if (len + 1 + strlen(word) + 2 > sizeof(r->line))
		return REFUSE("the request is longer than %d bytes", UVDPA_CTL_LINE_MAX);
	snprintf(r->line + len, sizeof(r->line) - len, "%s%s", len ? " " : "", word);
	return 0;
}

static int parse_set(int argc, char **argv, struct ctl_request *r, char *err, size_t errlen)
{
	char path[UVDPA_CTL_LINE_MAX], cwd[UVDPA_CTL_LINE_MAX / 2];
	int i = 0, ret;

	if (argc >= 1 && !strcmp(argv[0], "--reload")) {
		if (add(r, "--reload", err, errlen))
			return -EINVAL;
		argc--;
		argv++;
	}
	if (argc < 1)
		return REFUSE("filter set %s: which filter?", r->device);
	if (!strcmp(argv[0], "--object")) {
		if (argc < 2)
			return REFUSE("--object needs a BPF object file");
		/* The daemon has its own working directory. */
		if (argv[1][0] == '/') {
			snprintf(path, sizeof(path), "%s", argv[1]);
		} else {
			if (!getcwd(cwd, sizeof(cwd)))
				return REFUSE("cannot tell the current directory");
			snprintf(path, sizeof(path), "%s/%s", cwd, argv[1]);
		}
		ret = add(r, "--object", err, errlen);
		if (!ret)
			ret = add(r, path, err, errlen);
		i = 2;
	} else if (argv[0][0] == '-') {
		return REFUSE("unknown option '%s'", argv[0]);
	} else {
		ret = add(r, argv[0], err, errlen);
		i = 1;
	}
	for (; !ret && i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i])
			return REFUSE("'%s': filter parameters are key=value", argv[i]);
		ret = add(r, argv[i], err, errlen);
	}
	return ret;
}

int ctl_client_parse(int argc, char **argv, struct ctl_request *r, char *err, size_t errlen)
{
	char *words[8];
	int i, n = 0;

	memset(r, 0, sizeof(*r));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			r->help = true;
			return 0;
		}
	}
	/* -j may come anywhere but among filter set's arguments, which take none. */
	for (i = 1; i < argc && n < 8; i++) {
		if ((!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) &&
		    !(n >= 2 && !strcmp(words[0], "filter") && !strcmp(words[1], "set")))
			r->json = true;
		else
			words[n++] = argv[i];
		if (n >= 2 && !strcmp(words[0], "filter") && !strcmp(words[1], "set"))
			break;
	}
	if (n == 0)
		return REFUSE("missing a command (list, show, filter, stats, upgrade)");
	snprintf(r->line, sizeof(r->line), "%s %d", UVDPA_CTL_MAGIC, UVDPA_CTL_VERSION);
	if (!strcmp(words[0], "stats") || !strcmp(words[0], "upgrade")) {
		if (n != 2 || i < argc)
			return REFUSE(n < 2 ? "%s: which device?" : "%s takes one device",
				      words[0]);
		r->kind = strcmp(words[0], "stats") ? CTL_UPGRADE : CTL_STATS;
		r->device = words[1];
		return add(r, words[0], err, errlen);
	}
	if (strcmp(words[0], "filter"))
		return REFUSE("unknown command '%s' (list, show, filter, stats, upgrade)", words[0]);
	if (n < 2)
		return REFUSE("filter: show or set?");
	if (!strcmp(words[1], "show")) {
		if (n != 3 || i < argc)
			return REFUSE(n < 3 ? "filter show: which device?" :
				    "filter show takes one device");
		r->kind = CTL_FILTER_SHOW;
		r->device = words[2];
		return add(r, "filter", err, errlen) ?: add(r, "show", err, errlen);
	}
	if (strcmp(words[1], "set"))
		return REFUSE("filter '%s': show or set", words[1]);
	i++;
	if (i >= argc)
		return REFUSE("filter set: which device?");
	r->kind = CTL_FILTER_SET;
	r->device = argv[i];
	if (add(r, "filter", err, errlen) || add(r, "set", err, errlen))
		return -EINVAL;
	return parse_set(argc - i - 1, argv + i + 1, r, err, errlen);
}

static bool numeric(const char *s, size_t len)
{
	size_t i, digits = 0;

	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] != '.' || !digits)
			return false;
	}
	return digits && s[len - 1] != '.';
}

void ctl_json_string(FILE *out, const char *s, size_t len)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fputc('\\', out);
		if ((unsigned char)s[i] >= 0x20)
			fputc(s[i], out);
	}
	fputc('"', out);
}

/* "k=v k=v" as JSON members, without the braces. */
static void json_members(FILE *out, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *sp, *eq;
	bool first = true;

	while (p < end) {
		sp = memchr(p, ' ', end - p);
		if (!sp)
			sp = end;
		eq = memchr(p, '=', sp - p);
		if (eq) {
			fputs(first ? "" : ", ", out);
			ctl_json_string(out, p, eq - p);
			fputs(": ", out);
			if (numeric(eq + 1, sp - eq - 1))
				fwrite(eq + 1, 1, sp - eq - 1, out);
			else
				ctl_json_string(out, eq + 1, sp - eq - 1);
			first = false;
		}
		p = sp + 1;
	}
}

#define MAX_COLUMNS 32

/* Word @col of a "k=v k=v" line ending at @end: its key or value part. */
static bool column(const char *line, const char *end, int col, bool key, const char **w,
		   int *len)
{
	const char *p = line, *sp, *eq;

	for (; p < end; p = sp + 1) {
		sp = memchr(p, ' ', end - p);
		sp = sp ? sp : end;
		if (col-- == 0) {
			eq = memchr(p, '=', sp - p);
			eq = eq ? eq : p - 1;
			*w = key ? p : eq + 1;
			*len = key ? eq - p : sp - eq - 1;
			return true;
		}
	}
	return false;
}

/* A table: the first line's keys as the header, each column as wide as its widest cell. */
static void print_table(const char *body, const char *end, FILE *out)
{
	int width[MAX_COLUMNS] = { 0 }, c, len;
	const char *p, *nl, *w;

	for (p = body; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		for (c = 0; c < MAX_COLUMNS && column(p, nl, c, false, &w, &len); c++) {
			if (width[c] < len)
				width[c] = len;
			if (p == body && column(p, nl, c, true, &w, &len) && width[c] < len)
				width[c] = len;
		}
	}
	nl = body < end ? memchr(body, '\n', end - body) : NULL;
	for (c = 0; nl && c < MAX_COLUMNS && column(body, nl, c, true, &w, &len); c++)
		fprintf(out, "%s%*.*s", c ? " " : "", width[c], len, w);
	if (nl)
		fputc('\n', out);
	for (p = body; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		for (c = 0; c < MAX_COLUMNS && column(p, nl, c, false, &w, &len); c++)
			fprintf(out, "%s%*.*s", c ? " " : "", width[c], len, w);
		fputc('\n', out);
	}
}

/* Queue lines (vq=N ...), then the model's line (dev=TYPE ...), each a table of its own. */
static void print_stats(const struct ctl_request *r, const char *body, size_t len, FILE *out)
{
	const char *p = body, *end = body + len, *model = body, *nl;

	while (model < end && !strncmp(model, "vq=", 3))
		model = (const char *)memchr(model, '\n', end - model) + 1;
	if (!r->json) {
		print_table(body, model, out);
		if (model < end)
			print_table(model, end, out);
		return;
	}
	fprintf(out, "{\"device\": ");
	ctl_json_string(out, r->device, strlen(r->device));
	fprintf(out, ", \"queues\": [");
	for (; p < model; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		fprintf(out, "%s{", p == body ? "" : ", ");
		json_members(out, p, nl - p);
		fputc('}', out);
	}
	fprintf(out, "]");
	if (model < end) {
		nl = memchr(model, '\n', end - model);
		fprintf(out, ", \"model\": {");
		json_members(out, model, nl - model);
		fputc('}', out);
	}
	fprintf(out, "}\n");
}

static void print_filter(const struct ctl_request *r, const char *body, size_t len, FILE *out)
{
	const char *p = body, *end = body + len, *nl;
	bool first = true;

	if (r->json) {
		fprintf(out, "{\"device\": ");
		ctl_json_string(out, r->device, strlen(r->device));
	}
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!strncmp(p, "name=", 5)) {
			if (r->json) {
				fprintf(out, ", \"filter\": ");
				ctl_json_string(out, p + 5, nl - p - 5);
				fprintf(out, ", \"params\": {");
			} else {
				fprintf(out, "%s: filter %.*s\n", r->device, (int)(nl - p - 5), p + 5);
			}
			continue;
		}
		if (r->json) {
			fputs(first ? "" : ", ", out);
			json_members(out, p, nl - p);
			first = false;
		} else {
			fprintf(out, "  %.*s\n", (int)(nl - p), p);
		}
	}
	if (r->json)
		fprintf(out, "}}\n");
}

static void print_upgrade(const struct ctl_request *r, const char *body, size_t len, FILE *out)
{
	const char *nl = memchr(body, '\n', len), *state = "";
	int n = 0;

	if (nl && len > 6 && !strncmp(body, "state=", 6)) {
		state = body + 6;
		n = nl - state;
	}
	if (r->json) {
		fprintf(out, "{\"device\": ");
		ctl_json_string(out, r->device, strlen(r->device));
		fprintf(out, ", \"state\": ");
		ctl_json_string(out, state, n);
		fprintf(out, "}\n");
		return;
	}
	fprintf(out, "%s: handing over, state in %.*s: start the new uvdpad with --reconnect\n",
		r->device, n, state);
}

int ctl_client_format(const struct ctl_request *r, const char *reply, FILE *out, char *err,
		      size_t errlen)
{
	size_t len = strlen(reply);
	const char *last;

	/* The last line says how it went; everything before it is the body. */
	if (!len || reply[len - 1] != '\n') {
		snprintf(err, errlen, "the daemon's reply ended early");
		return -EPROTO;
	}
	for (last = reply + len - 1; last > reply && last[-1] != '\n'; last--)
		;
	if (!strncmp(last, UVDPA_CTL_ERROR " ", strlen(UVDPA_CTL_ERROR) + 1)) {
		snprintf(err, errlen, "%.*s", (int)(reply + len - 1 - last - 6), last + 6);
		return -EIO;
	}
	if (strcmp(last, UVDPA_CTL_OK "\n")) {
		snprintf(err, errlen, "the daemon's reply ended early");
		return -EPROTO;
	}
	if (r->kind == CTL_STATS)
		print_stats(r, reply, last - reply, out);
	else if (r->kind == CTL_UPGRADE)
		print_upgrade(r, reply, last - reply, out);
	else
		print_filter(r, reply, last - reply, out);
	return 0;
}

int ctl_client_call(const struct ctl_request *r, char **reply)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[UVDPA_CTL_LINE_MAX + 1];
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;
	int fd, ret;

	ret = run_path(r->device, RUN_DIR_SOCKET, addr.sun_path, sizeof(addr.sun_path));
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	snprintf(line, sizeof(line), "%s\n", r->line);
	len = strlen(line);
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
		ret = -errno;
		close(fd);
		return ret;
	}
	buf = malloc(cap);
	len = 0;
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *more = realloc(buf, cap *= 2);

			if (!more)
				free(buf);
			buf = more;
		}
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	buf[len] = '\0';
	*reply = buf;
	return 0;
}
