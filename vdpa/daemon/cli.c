// SPDX-License-Identifier: GPL-2.0
/*
 * uvdpad's options as one table: each option's name, value, the device
 * type or backend option it belongs to, and the function that checks and
 * stores its value. getopt's table is made from it; so is every message
 * that lists device types, backends or options.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "backend/nbd_uri.h"
#include "daemon/cli.h"
#include "daemon/dev_type.h"
#include "util/array_size.h"

int cli_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void cli_list_add(char *buf, size_t size, unsigned int i, unsigned int n, const char *word,
		  const char *sep, const char *last)
{
	size_t len = i ? strlen(buf) : 0;

	snprintf(buf + len, size - len, "%s%s", !i ? "" : i + 1 < n ? sep : last, word);
}

void cli_backend_names(char *buf, size_t size, enum be_kind kind, const char *sep,
		       const char *last)
{
	unsigned int i, n = 0;

	while (be_nth(kind, n))
		n++;
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		cli_list_add(buf, size, i, n, be_nth(kind, i)->name, sep, last);
}

int cli_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default:
		return -EINVAL;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_mac(const char *s, uint8_t mac[6])
{
	static const uint8_t zero[6];
	unsigned int b[6];
	char end;
	int i;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return mac[0] & 1 || !memcmp(mac, zero, 6) ? -EINVAL : 0;
}

/* The setters: check @v and store it, or say in @err what is wrong with it. */
#define SETTER(n) static int set_##n(struct cli_opts *o, const char *v, char *err, size_t errlen)

SETTER(name) { o->name = v; return 0; }
SETTER(file) { o->path = v; return 0; }
SETTER(backend) { o->backend = v; return 0; }
SETTER(direct) { o->direct = true; return 0; }
SETTER(ro) { o->read_only = true; return 0; }
SETTER(packed) { o->packed = true; return 0; }
SETTER(split) { o->packed = false; return 0; }
SETTER(no_umem) { o->no_umem = true; return 0; }
SETTER(filter) { o->filter = v; return 0; }
SETTER(filter_object) { o->filter_object = v; return 0; }
SETTER(reconnect) { o->reconnect = true; return 0; }
SETTER(verbose) { o->verbose = true; return 0; }
SETTER(help) { o->help = true; return 0; }

SETTER(size)
{
	if (cli_parse_size(v, &o->size) || !o->size)
		return cli_fail(err, errlen, "--size '%s': a size like 512, 64M or 2G", v);
	return 0;
}

/* Checked here, not at open(): a URI that cannot be one is a usage error (exit 2). */
SETTER(nbd)
{
	struct nbd_uri u;
	char why[128];

	if (nbd_uri_parse(v, &u, why, sizeof(why)))
		return cli_fail(err, errlen, "--nbd: %s", why);
	o->nbd = v;
	return 0;
}

SETTER(rbd) { o->rbd = v; return 0; }
SETTER(ceph_conf) { o->ceph_conf = v; return 0; }
SETTER(ceph_id) { o->ceph_id = v; return 0; }

SETTER(queues)
{
	if (parse_uint(v, 1, 64, &o->queues))
		return cli_fail(err, errlen, "--queues '%s': 1 to 64", v);
	return 0;
}

SETTER(workers)
{
	if (parse_uint(v, 1, 64, &o->workers))
		return cli_fail(err, errlen, "--workers '%s': 1 to 64", v);
	return 0;
}

SETTER(queue_size)
{
	if (parse_uint(v, 2, 1024, &o->queue_size) || (o->queue_size & (o->queue_size - 1)))
		return cli_fail(err, errlen, "--queue-size '%s': a power of 2 from 2 to 1024", v);
	return 0;
}

SETTER(attach)
{
	if (!v || !strcmp(v, "virtio"))
		o->attach = CLI_ATTACH_VIRTIO;
	else if (!strcmp(v, "vhost"))
		o->attach = CLI_ATTACH_VHOST;
	else
		return cli_fail(err, errlen, "--attach '%s': virtio or vhost", v);
	return 0;
}

SETTER(tap)
{
	if (!v[0] || strlen(v) >= 16 || strchr(v, '/') || strchr(v, ' '))
		return cli_fail(err, errlen, "--tap '%s': an interface name, 1 to 15 characters", v);
	o->net.tap = v;
	return 0;
}

SETTER(tap_fd)
{
	if (parse_uint(v, 0, INT_MAX, (unsigned int *)&o->net.tap_fd))
		return cli_fail(err, errlen, "--tap-fd '%s': a file descriptor number", v);
	return 0;
}

SETTER(mac)
{
	if (cli_parse_mac(v, o->net.mac))
		return cli_fail(err, errlen, "--mac '%s': six hex bytes like 02:00:00:00:00:01, "
				"not multicast or zero", v);
	o->net.mac_set = true;
	return 0;
}

SETTER(mtu)
{
	if (parse_uint(v, 68, 65535, &o->net.mtu))
		return cli_fail(err, errlen, "--mtu '%s': 68 to 65535", v);
	return 0;
}

struct cli_option {
	const char *name;	/* --NAME */
	int has_arg;		/* no_argument, required_argument or optional_argument */
	const char *arg;	/* the value's name in messages */
	const char *type;	/* the device type it goes with; NULL: every type */
	unsigned int be_opt;	/* the backend option it is (BE_OPT_*), or 0 */
	int (*set)(struct cli_opts *o, const char *v, char *err, size_t errlen);
};

#define OPT(n, h, a, t, b, f) { .name = n, .has_arg = h, .arg = a, .type = t, .be_opt = b, \
				.set = set_##f }

/* The order of each device type's own options is the order they are listed in. */
static const struct cli_option options[] = {
	OPT("name", required_argument, "NAME", NULL, 0, name),
	OPT("file", required_argument, "PATH", "blk", BE_OPT_PATH, file),
	OPT("backend", required_argument, "B", "blk", 0, backend),
	OPT("size", required_argument, "SIZE", "blk", BE_OPT_SIZE, size),
	OPT("direct", no_argument, NULL, "blk", BE_OPT_DIRECT, direct),
	OPT("nbd", required_argument, "URI", "blk", BE_OPT_NBD, nbd),
	OPT("rbd", required_argument, "POOL/IMAGE", "blk", BE_OPT_RBD, rbd),
	/* --backend rbd --image POOL/IMAGE: the same, as qemu and rbd(8) spell it. */
	OPT("image", required_argument, "POOL/IMAGE", "blk", BE_OPT_RBD, rbd),
	OPT("ceph-conf", required_argument, "FILE", "blk", BE_OPT_CEPH, ceph_conf),
	OPT("ceph-id", required_argument, "NAME", "blk", BE_OPT_CEPH, ceph_id),
	OPT("ro", no_argument, NULL, "blk", 0, ro),
	OPT("queues", required_argument, "N", "blk", 0, queues),
	OPT("workers", required_argument, "N", "blk", 0, workers),
	OPT("queue-size", required_argument, "N", NULL, 0, queue_size),
	OPT("packed", no_argument, NULL, NULL, 0, packed),
	OPT("split", no_argument, NULL, NULL, 0, split),
	OPT("no-umem", no_argument, NULL, NULL, 0, no_umem),
	OPT("attach", optional_argument, "virtio|vhost", NULL, 0, attach),
	OPT("filter", required_argument, "NAME", NULL, 0, filter),
	OPT("filter-object", required_argument, "FILE", NULL, 0, filter_object),
	OPT("tap", required_argument, "IFNAME", "net", 0, tap),
	OPT("tap-fd", required_argument, "N", "net", 0, tap_fd),
	OPT("mac", required_argument, "MAC", "net", 0, mac),
	OPT("mtu", required_argument, "N", "net", 0, mtu),
	OPT("reconnect", no_argument, NULL, NULL, 0, reconnect),
	OPT("verbose", no_argument, NULL, NULL, 0, verbose),
	OPT("help", no_argument, NULL, NULL, 0, help),
};

#define NR_OPTIONS ARRAY_SIZE(options)
_Static_assert(NR_OPTIONS <= 64, "cli_opts.given has a bit per option");

static const struct cli_option *find(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_OPTIONS; i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

bool cli_given(const struct cli_opts *o, const char *name)
{
	const struct cli_option *opt = find(name);

	return opt && o->given & 1ULL << (opt - options);
}

void cli_init(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->queues = 1;
	o->queue_size = 256;
	o->net.tap_fd = -1;
}

static void type_names(char *buf, size_t size)
{
	unsigned int i, n = 0;

	while (dev_type_nth(n))
		n++;
	for (i = 0; i < n; i++)
		cli_list_add(buf, size, i, n, dev_type_nth(i)->name, ", ", " or ");
}

int cli_set_type(struct cli_opts *o, const char *type, char *err, size_t errlen)
{
	char names[64];

	if (!dev_type_find(type)) {
		type_names(names, sizeof(names));
		return cli_fail(err, errlen, "unknown device type '%s' (%s)", type, names);
	}
	o->type = type;
	return 0;
}

int cli_set(struct cli_opts *o, const char *name, const char *value, char *err, size_t errlen)
{
	const struct cli_option *opt = find(name);

	if (!opt)
		return cli_fail(err, errlen, "unknown option '--%s'", name);
	if (opt->has_arg == required_argument && !value)
		return cli_fail(err, errlen, "--%s needs a value", name);
	if (opt->has_arg == no_argument && value)
		return cli_fail(err, errlen, "--%s takes no value", name);
	o->given |= 1ULL << (opt - options);
	return opt->set(o, value, err, errlen);
}

/* The options given that belong to another device type than @o's. */
static int check_type_options(const struct cli_opts *o, char *err, size_t errlen)
{
	char list[256] = "";
	unsigned int i, n = 0, k = 0;
	const char *other = NULL;

	for (i = 0; i < NR_OPTIONS && !other; i++)
		if (o->given & 1ULL << i && options[i].type && strcmp(options[i].type, o->type))
			other = options[i].type;
	if (!other)
		return 0;
	/* Name them all: the user learns at once what the other type's options are. */
	for (i = 0; i < NR_OPTIONS; i++)
		n += options[i].type && !strcmp(options[i].type, other);
	for (i = 0; i < NR_OPTIONS; i++) {
		char word[32];

		if (!options[i].type || strcmp(options[i].type, other))
			continue;
		snprintf(word, sizeof(word), "--%s", options[i].name);
		cli_list_add(list, sizeof(list), k++, n, word, ", ", " and ");
	}
	return cli_fail(err, errlen, "%s go%s with %s, not %s", list, n == 1 ? "es" : "", other,
			o->type);
}

int cli_check_backend(const struct cli_opts *o, const struct be_ops *be, char *err,
		      size_t errlen)
{
	unsigned int i, j, met = 0;

	for (i = 0; i < NR_OPTIONS; i++) {
		const struct cli_option *opt = &options[i];
		const struct be_ops *b;
		char names[128] = "";
		unsigned int n = 0, k = 0;

		if (!opt->be_opt || !(o->given & 1ULL << i) || be->takes & opt->be_opt)
			continue;
		for (j = 0; (b = be_nth(be->kind, j)); j++)
			n += !!(b->takes & opt->be_opt);
		for (j = 0; (b = be_nth(be->kind, j)); j++)
			if (b->takes & opt->be_opt)
				cli_list_add(names, sizeof(names), k++, n, b->name, ", ", " or ");
		return cli_fail(err, errlen, "--%s goes with the %s backend, not '%s'", opt->name,
				names, be->name);
	}
	/* A need is met by any option that is it (--rbd or --image). */
	for (i = 0; i < NR_OPTIONS; i++)
		if (o->given & 1ULL << i)
			met |= options[i].be_opt;
	for (i = 0; i < NR_OPTIONS; i++)
		if (be->needs & options[i].be_opt & ~met)
			return cli_fail(err, errlen, "the %s backend needs --%s%s%s", be->name,
					options[i].name, options[i].arg ? " " : "",
					options[i].arg ? options[i].arg : "");
	return 0;
}

/* The backend of @kind that alone needs option @opt, or NULL. */
static const struct be_ops *only_needer(const struct cli_option *opt, enum be_kind kind)
{
	const struct be_ops *be, *found = NULL;
	unsigned int i;

	for (i = 0; (be = be_nth(kind, i)); i++) {
		if (!(be->needs & opt->be_opt))
			continue;
		if (found)
			return NULL;
		found = be;
	}
	return found;
}

const struct be_ops *cli_implied_backend(const struct cli_opts *o, enum be_kind kind)
{
	const struct be_ops *be;
	unsigned int i;

	for (i = 0; i < NR_OPTIONS; i++)
		if (options[i].be_opt && o->given & 1ULL << i &&
		    (be = only_needer(&options[i], kind)))
			return be;
	return NULL;
}

int cli_option_arg(const char *name)
{
	const struct cli_option *opt = find(name);

	return opt ? opt->has_arg : -ENOENT;
}

int cli_finish(struct cli_opts *o, char *err, size_t errlen)
{
	int ret;

	if (!o->type)
		return cli_fail(err, errlen, "missing the device type");
	if (o->nr_filter_params && !o->filter && !o->filter_object)
		return cli_fail(err, errlen, "'%s': parameters go with --filter",
				o->filter_params[0]);
	if (o->filter && o->filter_object)
		return cli_fail(err, errlen, "--filter or --filter-object, not both");
	if (!o->name)
		return cli_fail(err, errlen, "--name is required");
	if (!o->name[0] || strlen(o->name) > 255 || strchr(o->name, '/'))
		return cli_fail(err, errlen, "--name '%s': 1 to 255 characters, no '/'", o->name);
	ret = check_type_options(o, err, errlen);
	return ret ? ret : dev_type_find(o->type)->check(o, err, errlen);
}

int cli_set_args(struct cli_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	struct option long_opts[NR_OPTIONS + 1] = { { 0 } };
	const struct cli_option *opt;
	unsigned int i;
	int c, ret;

	for (i = 0; i < NR_OPTIONS; i++)
		long_opts[i] = (struct option){ options[i].name, options[i].has_arg, NULL, 256 + i };

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
		if (c == ':')
			return cli_fail(err, errlen, "%s needs a value", argv[optind - 1]);
		if (c == 'v' || c == 'h')
			opt = find(c == 'v' ? "verbose" : "help");
		else if (c >= 256)
			opt = &options[c - 256];
		else
			return cli_fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
		/* getopt takes an optional value only as --opt=X; accept --opt X too. */
		if (opt->has_arg == optional_argument && !optarg && optind < argc &&
		    argv[optind][0] != '-')
			optarg = argv[optind++];
		ret = cli_set(o, opt->name, optarg, err, errlen);
		if (ret)
			return ret;
		if (o->help)
			return 0;
	}
	/* getopt moved the words that are no options to the end: filter parameters. */
	o->filter_params = argv + optind;
	o->nr_filter_params = argc - optind;
	for (i = 0; i < o->nr_filter_params; i++) {
		char *w = o->filter_params[i];

		if (!strchr(w, '=') || w[0] == '=')
			return cli_fail(err, errlen, "unexpected argument '%s'", w);
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	char names[64] = "";
	int ret;

	cli_init(o);
	if (argc < 2) {
		type_names(names, sizeof(names));
		return cli_fail(err, errlen, "missing the device type (%s)", names);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		o->help = true;
		return 0;
	}
	ret = cli_set_type(o, argv[1], err, errlen);
	if (!ret)
		ret = cli_set_args(o, argc - 1, argv + 1, err, errlen);
	if (ret || o->help)
		return ret;
	return cli_finish(o, err, errlen);
}

void cli_usage(FILE *out)
{
	unsigned int i;

	for (i = 0; dev_type_nth(i); i++) {
		if (i)
			fputc('\n', out);
		dev_type_nth(i)->usage(out);
	}
	fputs("\n"
	      "usage: uvdpad --config FILE [--reconnect=auto] [OPTION]...\n"
	      "\n"
	      "The device FILE describes (uvdpad.conf(5): type = blk|net, then key = value\n"
	      "lines named after the options), as uvdpad@NAME.service runs /etc/uvdpa/NAME.conf.\n"
	      "  --reconnect=auto   resume the device when a daemon that died left its state in\n"
	      "                     /run/uvdpa/NAME.state, else make it as FILE says\n", out);
}
