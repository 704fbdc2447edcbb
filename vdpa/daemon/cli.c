// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cli.h"

const char cli_usage[] =
	"usage: uvdpad blk --name NAME (--file PATH [--size SIZE] [--direct] | --backend null|ram --size SIZE)\n"
	"                  [--ro] [--queues N] [--workers N] [--queue-size N] [--packed|--split]\n"
	"                  [--no-umem] [--attach [virtio|vhost] | --reconnect]\n"
	"                  [--filter NAME | --filter-object FILE [key=value]...] [-v]\n"
	"\n"
	"Creates a virtio-blk device through VDUSE and serves it until SIGINT or SIGTERM.\n"
	"SIGUSR2 finishes the requests in flight and exits leaving the device to a new\n"
	"uvdpad started with --reconnect (an upgrade in place).\n"
	"Without --attach, add it to the vdpa bus yourself: vdpa dev add name NAME mgmtdev vduse\n"
	"\n"
	"  --name NAME        VDUSE device name (also the vdpa device name)\n"
	"  --file PATH        backing file or block device; created sparse when --size is given\n"
	"  --backend B        file (default with --file), null (no data, for benchmarks), ram\n"
	"  --size SIZE        capacity: bytes or with K, M, G, T; a multiple of 512\n"
	"  --direct           open the file with O_DIRECT\n"
	"  --ro               read-only device\n"
	"  --queues N         number of virtqueues, 1 to 64 (default 1)\n"
	"  --workers N        threads serving them, 1 to --queues (default: one per queue)\n"
	"  --queue-size N     entries per queue, a power of 2 from 2 to 1024 (default 256)\n"
	"  --packed, --split  offer the packed ring, or the split ring only (default)\n"
	"  --no-umem          keep the kernel's bounce buffer instead of our own memory,\n"
	"                     registered with io_uring (for comparison)\n"
	"  --attach [virtio|vhost]  attach to the vdpa bus and bind virtio_vdpa (default)\n"
	"                     or vhost_vdpa; detach on exit\n"
	"  --reconnect        take over the existing device NAME from a daemon that died or\n"
	"                     was upgraded, with the same options, resuming from\n"
	"                     /run/uvdpa/NAME.state\n"
	"  --filter NAME      notification filter: passthrough, coalesce, adaptive or poll\n"
	"                     (a BPF program; see docs/filters.md), with its key=value\n"
	"                     parameters; without CAP_BPF the built-in passthrough serves\n"
	"  --filter-object FILE  a filter of your own, built against uapi/uvdpa_filter.h\n"
	"  -v, --verbose      debug messages\n"
	"\n"
	"usage: uvdpad net --name NAME [--tap IFNAME | --tap-fd N] [--mac MAC] [--mtu N]\n"
	"                  [--queue-size N] [--packed|--split] [--no-umem] [--attach [virtio|vhost]]\n"
	"                  [--filter NAME [key=value...] | --filter-object FILE] [-v]\n"
	"\n"
	"Creates a virtio-net device (one queue pair) through VDUSE whose frames go to a tap\n"
	"device on this host, and serves it until SIGINT or SIGTERM. Needs CAP_NET_ADMIN and\n"
	"Linux 6.10 or later.\n"
	"\n"
	"  --tap IFNAME       attach to this tap, or create it (removed on exit); default: a new\n"
	"                     tap named uvdpaN. Its link (ip link set IFNAME up/down) is the\n"
	"                     device's link.\n"
	"  --tap-fd N         an inherited tap fd opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR\n"
	"  --mac MAC          the device's MAC address (default: 02:75:76 and a hash of NAME)\n"
	"  --mtu N            the device's MTU, 68 to 65535 (default 1500); a tap created here\n"
	"                     gets it too\n"
	"  other options as for blk\n";

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
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

enum { OPT_FILE = 256, OPT_BACKEND, OPT_SIZE, OPT_DIRECT, OPT_RO, OPT_QUEUES,
       OPT_WORKERS, OPT_QUEUE_SIZE, OPT_PACKED, OPT_SPLIT, OPT_NO_UMEM, OPT_ATTACH,
       OPT_NAME, OPT_FILTER, OPT_FILTER_OBJECT, OPT_TAP, OPT_TAP_FD, OPT_MAC, OPT_MTU,
       OPT_RECONNECT };

static const struct option long_opts[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "direct", no_argument, NULL, OPT_DIRECT },
	{ "ro", no_argument, NULL, OPT_RO },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "queue-size", required_argument, NULL, OPT_QUEUE_SIZE },
	{ "packed", no_argument, NULL, OPT_PACKED },
	{ "split", no_argument, NULL, OPT_SPLIT },
	{ "no-umem", no_argument, NULL, OPT_NO_UMEM },
	{ "attach", optional_argument, NULL, OPT_ATTACH },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "filter-object", required_argument, NULL, OPT_FILTER_OBJECT },
	{ "tap", required_argument, NULL, OPT_TAP },
	{ "tap-fd", required_argument, NULL, OPT_TAP_FD },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "reconnect", no_argument, NULL, OPT_RECONNECT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

/* Locally administered, stable for a name: 02:75:76 ("uv") and an FNV-1a hash. */
static void default_mac(const char *name, uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0x75;
	mac[2] = 0x76;
	mac[3] = h >> 16;
	mac[4] = h >> 8;
	mac[5] = h;
}

static int check_net(struct cli_opts *o, char *err, size_t errlen)
{
	if (o->path || o->backend || o->size || o->direct || o->read_only || o->queues != 1 ||
	    o->workers)
		return fail(err, errlen, "--file, --backend, --size, --direct, --ro, --queues and "
			    "--workers go with blk, not net");
	if (o->net.tap && o->net.tap_fd >= 0)
		return fail(err, errlen, "give --tap or --tap-fd, not both");
	if (o->reconnect)
		return fail(err, errlen, "--reconnect goes with blk: a net device is made anew");
	if (!o->net.mac_set)
		default_mac(o->name, o->net.mac);
	if (!o->net.mtu)
		o->net.mtu = 1500;
	o->workers = 1;
	return 0;
}

static int check(struct cli_opts *o, char *err, size_t errlen)
{
	if (!o->name)
		return fail(err, errlen, "--name is required");
	if (!o->name[0] || strlen(o->name) > 255 || strchr(o->name, '/'))
		return fail(err, errlen, "--name '%s': 1 to 255 characters, no '/'", o->name);
	if (!strcmp(o->type, "net"))
		return check_net(o, err, errlen);
	if (o->net.tap || o->net.tap_fd >= 0 || o->net.mac_set || o->net.mtu)
		return fail(err, errlen, "--tap, --tap-fd, --mac and --mtu go with net, not blk");
	if (!o->backend)
		o->backend = o->path ? "file" : NULL;
	if (!o->backend)
		return fail(err, errlen, "give --file PATH, or --backend null|ram with --size");
	if (strcmp(o->backend, "file") && strcmp(o->backend, "null") && strcmp(o->backend, "ram"))
		return fail(err, errlen, "--backend '%s': file, null or ram", o->backend);
	if (!strcmp(o->backend, "file") && !o->path)
		return fail(err, errlen, "the file backend needs --file PATH");
	if (strcmp(o->backend, "file") && o->path)
		return fail(err, errlen, "--file goes with the file backend, not '%s'", o->backend);
	if (strcmp(o->backend, "file") && !o->size)
		return fail(err, errlen, "the %s backend needs --size", o->backend);
	if (o->size % 512)
		return fail(err, errlen, "--size must be a multiple of 512 bytes");
	if (o->direct && strcmp(o->backend, "file"))
		return fail(err, errlen, "--direct goes with the file backend");
	if (o->workers > o->queues)
		return fail(err, errlen, "--workers %u: more workers than --queues %u",
			    o->workers, o->queues);
	if (o->reconnect && o->attach)
		return fail(err, errlen, "--reconnect takes over a device that is attached already: "
			    "drop --attach");
	if (!o->workers)
		o->workers = o->queues;
	return 0;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->queues = 1;
	o->queue_size = 256;
	o->net.tap_fd = -1;
	if (argc < 2)
		return fail(err, errlen, "missing the device type (blk or net)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		o->help = true;
		return 0;
	}
	if (strcmp(argv[1], "blk") && strcmp(argv[1], "net"))
		return fail(err, errlen, "unknown device type '%s' (blk or net)", argv[1]);
	o->type = argv[1];

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":vh", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_FILE:
			o->path = optarg;
			break;
		case OPT_BACKEND:
			o->backend = optarg;
			break;
		case OPT_SIZE:
			if (cli_parse_size(optarg, &o->size) || !o->size)
				return fail(err, errlen, "--size '%s': a size like 512, 64M or 2G",
					    optarg);
			break;
		case OPT_DIRECT:
			o->direct = true;
			break;
		case OPT_RO:
			o->read_only = true;
			break;
		case OPT_QUEUES:
			if (parse_uint(optarg, 1, 64, &o->queues))
				return fail(err, errlen, "--queues '%s': 1 to 64", optarg);
			break;
		case OPT_WORKERS:
			if (parse_uint(optarg, 1, 64, &o->workers))
				return fail(err, errlen, "--workers '%s': 1 to 64", optarg);
			break;
		case OPT_QUEUE_SIZE:
			if (parse_uint(optarg, 2, 1024, &o->queue_size) ||
			    (o->queue_size & (o->queue_size - 1)))
				return fail(err, errlen,
					    "--queue-size '%s': a power of 2 from 2 to 1024", optarg);
			break;
		case OPT_PACKED:
			o->packed = true;
			break;
		case OPT_SPLIT:
			o->packed = false;
			break;
		case OPT_NO_UMEM:
			o->no_umem = true;
			break;
		case OPT_ATTACH:
			/* getopt takes an optional value only as --attach=X; accept --attach X too. */
			if (!optarg && optind < argc - 1 && argv[optind + 1][0] != '-')
				optarg = argv[1 + optind++];
			if (!optarg || !strcmp(optarg, "virtio"))
				o->attach = CLI_ATTACH_VIRTIO;
			else if (!strcmp(optarg, "vhost"))
				o->attach = CLI_ATTACH_VHOST;
			else
				return fail(err, errlen, "--attach '%s': virtio or vhost", optarg);
			break;
		case OPT_FILTER:
			o->filter = optarg;
			break;
		case OPT_FILTER_OBJECT:
			o->filter_object = optarg;
			break;
		case OPT_TAP:
			if (!optarg[0] || strlen(optarg) >= 16 || strchr(optarg, '/') ||
			    strchr(optarg, ' '))
				return fail(err, errlen, "--tap '%s': an interface name, 1 to 15 "
					    "characters", optarg);
			o->net.tap = optarg;
			break;
		case OPT_TAP_FD:
			if (parse_uint(optarg, 0, INT_MAX, (unsigned int *)&o->net.tap_fd))
				return fail(err, errlen, "--tap-fd '%s': a file descriptor number",
					    optarg);
			break;
		case OPT_MAC:
			if (cli_parse_mac(optarg, o->net.mac))
				return fail(err, errlen, "--mac '%s': six hex bytes like "
					    "02:00:00:00:00:01, not multicast or zero", optarg);
			o->net.mac_set = true;
			break;
		case OPT_MTU:
			if (parse_uint(optarg, 68, 65535, &o->net.mtu))
				return fail(err, errlen, "--mtu '%s': 68 to 65535", optarg);
			break;
		case OPT_RECONNECT:
			o->reconnect = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			return fail(err, errlen, "%s needs a value", argv[optind]);
		default:
			return fail(err, errlen, "unknown option '%s'", argv[optind]);
		}
	}
	/* getopt moved the words that are no options to the end: filter parameters. */
	o->filter_params = argv + 1 + optind;
	o->nr_filter_params = argc - 1 - optind;
	for (c = 0; c < (int)o->nr_filter_params; c++) {
		char *w = o->filter_params[c];

		if (!strchr(w, '=') || w[0] == '=')
			return fail(err, errlen, "unexpected argument '%s'", w);
		if (!o->filter && !o->filter_object)
			return fail(err, errlen, "'%s': parameters go with --filter", w);
	}
	if (o->filter && o->filter_object)
		return fail(err, errlen, "--filter or --filter-object, not both");
	return check(o, err, errlen);
}
