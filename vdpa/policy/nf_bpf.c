// SPDX-License-Identifier: GPL-2.0
/*
 * Filter programs as BPF objects, loaded with libbpf: the shipped ones from
 * skeletons built into the daemon (bpf/, bpftool gen skeleton), a user's from
 * an object file. Both must follow uapi/uvdpa_filter.h; the daemon checks
 * that before loading, and says in one line why a program cannot be used.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "util/array_size.h"
#include "util/log.h"
#include "policy/nf.h"

#include "adaptive.skel.h"
#include "coalesce.skel.h"
#include "passthrough.skel.h"
#include "poll.skel.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct shipped {
	const char *name;
	struct bpf_object *(*open)(void **skel);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
};

/* The skeleton functions of shipped filter N behind one signature. */
#define SHIPPED(n)								\
	static struct bpf_object *open_##n(void **skel)				\
	{									\
		struct nf_##n *s = nf_##n##__open();				\
										\
		*skel = s;							\
		return s ? s->obj : NULL;					\
	}									\
	static int load_##n(void *skel)						\
	{									\
		return nf_##n##__load(skel);					\
	}									\
	static void destroy_##n(void *skel)					\
	{									\
		nf_##n##__destroy(skel);					\
	}

SHIPPED(passthrough)
SHIPPED(coalesce)
SHIPPED(adaptive)
SHIPPED(poll)

#define ENTRY(n) { #n, open_##n, load_##n, destroy_##n }

static const struct shipped shipped[] = {
	ENTRY(passthrough),
	ENTRY(coalesce),
	ENTRY(adaptive),
	ENTRY(poll),
};

const char *const nf_shipped[] = { "passthrough", "coalesce", "adaptive", "poll", NULL };

struct nf_bpf {
	struct nf_prog prog;
	const struct shipped *shipped;	/* NULL: a user's object */
	void *skel;
	struct bpf_object *obj;
	int prog_fd;
	size_t shm_len;
};

/*
 * libbpf reports through one process-wide print hook: while a program
 * loads, its messages (the verifier log among them) are collected here.
 */
static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t print_once = PTHREAD_ONCE_INIT;
static char capture[65536];
static size_t captured;
static bool capturing;

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (capturing) {
		n = vsnprintf(capture + captured, sizeof(capture) - captured, fmt, ap);
		if (n > 0)
			captured += (size_t)n < sizeof(capture) - captured ?
				    (size_t)n : sizeof(capture) - captured - 1;
		return n;
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libbpf: %s", line);
	return n;
}

static void set_print(void)
{
	libbpf_set_print(print);
}

/* The verifier's reason: the last line of its log before the statistics. */
static void verifier_reason(char *out, size_t len)
{
	const char *begin = strstr(capture, "-- BEGIN PROG LOAD LOG --");
	const char *end = begin ? strstr(begin, "-- END PROG LOAD LOG --") : NULL;
	const char *p, *line = NULL, *eol;

	snprintf(out, len, "no verifier log");
	if (!end)
		return;
	for (p = strchr(begin, '\n'); p && p + 1 < end; p = strchr(p + 1, '\n')) {
		if (!strncmp(p + 1, "processed ", 10) || !strncmp(p + 1, "verification time", 17) ||
		    !strncmp(p + 1, "stack depth", 11) || !strncmp(p + 1, "libbpf:", 7) ||
		    p[1] == '\n')
			continue;
		line = p + 1;
	}
	if (!line)
		return;
	eol = strchr(line, '\n');
	snprintf(out, len, "%.*s", (int)(eol ? eol - line : (long)strlen(line)), line);
}

static void log_capture(void)
{
	char *line, *save = NULL;

	for (line = strtok_r(capture, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_debug("%s", line);
}

/* Say why BPF cannot work here, before libbpf says something misleading. */
static int bpf_usable(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(__NR_bpf, -1, NULL, 0) < 0 && errno == ENOSYS) {
		snprintf(err, errlen, "this kernel has no bpf() system call (CONFIG_BPF_SYSCALL)");
		return -ENOSYS;
	}
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (!(data[CAP_BPF / 32].effective & (1U << (CAP_BPF % 32))) &&
	    !(data[0].effective & (1U << CAP_SYS_ADMIN))) {
		snprintf(err, errlen, "BPF filters need CAP_BPF (or CAP_SYS_ADMIN), "
			 "which uvdpad does not have: run it as root");
		return -EPERM;
	}
	return 0;
}

/* Parameter names from the BTF of uvdpa_defaults's type, defaults from .rodata. */
static int find_params(struct nf_bpf *b, char *err, size_t errlen)
{
	struct btf *btf = bpf_object__btf(b->obj);
	const struct btf_type *sec, *var = NULL, *st;
	const struct btf_var_secinfo *vsi;
	const struct btf_member *m;
	const void *init = NULL;
	struct bpf_map *map;
	size_t init_len = 0;
	int i, id;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	vsi = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vsi++) {
		var = btf__type_by_id(btf, vsi->type);
		if (!strcmp(btf__name_by_offset(btf, var->name_off), UVDPA_NF_DEFAULTS))
			break;
	}
	if (!var || i == btf_vlen(sec))
		return 0;
	st = btf__type_by_id(btf, btf__resolve_type(btf, var->type));
	if (!st || !btf_is_struct(st) || btf_vlen(st) > UVDPA_NF_MAX_PARAMS ||
	    vsi->size != btf_vlen(st) * sizeof(__u64)) {
		snprintf(err, errlen, "%s: %s must be a struct of at most %d __u64 members",
			 b->prog.name, UVDPA_NF_DEFAULTS, UVDPA_NF_MAX_PARAMS);
		return -ENOEXEC;
	}
	bpf_object__for_each_map(map, b->obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len >= 7 && !strcmp(name + len - 7, ".rodata"))
			init = bpf_map__initial_value(map, &init_len);
	}
	if (!init || init_len < vsi->offset + vsi->size)
		return 0;
	m = btf_members(st);
	for (i = 0; i < btf_vlen(st); i++, m++) {
		snprintf(b->prog.params[i], NF_PARAM_NAME_MAX, "%s",
			 btf__name_by_offset(btf, m->name_off));
		memcpy(&b->prog.shm->params[i], (const char *)init + vsi->offset + i * 8, 8);
	}
	b->prog.nr_params = btf_vlen(st);
	return 0;
}

static int bpf_run(struct nf_prog *p, const struct uvdpa_nf_run *run)
{
	struct nf_bpf *b = (struct nf_bpf *)p;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.ctx_in = run,
		.ctx_size_in = sizeof(*run),
	);
	int ret = bpf_prog_test_run_opts(b->prog_fd, &opts);

	if (ret)
		return ret;
	return (int)opts.retval < 0 ? (int)opts.retval : 0;
}

static void bpf_free(struct nf_prog *p)
{
	struct nf_bpf *b = (struct nf_bpf *)p;

	if (b->shm_len)
		munmap(b->prog.shm, b->shm_len);
	else
		free(b->prog.shm);
	if (b->shipped)
		b->shipped->destroy(b->skel);
	else
		bpf_object__close(b->obj);
	free(b);
}

/*
 * A filter runs in the kernel on every queue: its object must be a file
 * only root or the daemon's user could have written, and not a symlink
 * that could be pointed elsewhere. An O_PATH descriptor of it, checked,
 * which libbpf then opens through /proc (so the file checked is the file
 * loaded), or -errno with @err set.
 */
static int open_trusted(const char *path, char *err, size_t errlen)
{
	const char *why = NULL;
	struct stat st;
	int fd, ret;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object %s: %s", path,
			 ret == -ENOENT ? "no such file" : strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	/* Not -EPERM: that one means BPF is unusable here, and the built-in serves. */
	ret = -EINVAL;
	if (S_ISLNK(st.st_mode)) {
		why = "it is a symlink (give the file it points to)";
		ret = -ELOOP;
	} else if (!S_ISREG(st.st_mode)) {
		why = "it is not a regular file";
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "refusing the BPF object %s: it belongs to uid %u, not to "
			 "root or this daemon's uid %u", path, (unsigned int)st.st_uid,
			 (unsigned int)geteuid());
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "refusing the BPF object %s: it is writable by %s "
			 "(mode %04o): chmod go-w %s", path,
			 st.st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned int)(st.st_mode & 07777), path);
	} else {
		return fd;
	}
	if (why)
		snprintf(err, errlen, "refusing the BPF object %s: %s", path, why);
	close(fd);
	return ret;
}

static int open_obj(struct nf_bpf *b, const char *name, const char *path, char *err,
		    size_t errlen)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	char proc[64];
	unsigned int i;
	int fd, ret;

	if (path) {
		fd = open_trusted(path, err, errlen);
		if (fd < 0)
			return fd;
		snprintf(b->prog.name, sizeof(b->prog.name), "%s", path);
		b->prog.object = true;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		b->obj = bpf_object__open_file(proc, &(struct bpf_object_open_opts){
			.sz = sizeof(struct bpf_object_open_opts),
			/* Its name, not the /proc path's, for libbpf's map names. */
			.object_name = base ? base + 1 : path,
		});
		ret = -errno;
		close(fd);
		if (!b->obj) {
			snprintf(err, errlen, "cannot open the BPF object %s: %s", path,
				 ret == -ENOENT ? "no /proc to open it through" :
				 "not a BPF object file (clang -target bpf -g)");
			return ret == -ENOENT ? ret : -ENOEXEC;
		}
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(shipped); i++)
		if (!strcmp(shipped[i].name, name))
			break;
	if (i == ARRAY_SIZE(shipped)) {
		snprintf(err, errlen, "no filter '%s' (passthrough, coalesce, adaptive, poll, "
			 "or an object file)", name);
		return -ENOENT;
	}
	snprintf(b->prog.name, sizeof(b->prog.name), "%s", name);
	b->shipped = &shipped[i];
	b->obj = b->shipped->open(&b->skel);
	if (!b->obj) {
		snprintf(err, errlen, "cannot open the %s filter: %s", name, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The object follows uapi/uvdpa_filter.h: its map and program. */
static int check_abi(struct nf_bpf *b, struct bpf_map **map, struct bpf_program **prog,
		     char *err, size_t errlen)
{
	*map = bpf_object__find_map_by_name(b->obj, UVDPA_NF_MAP);
	*prog = bpf_object__find_program_by_name(b->obj, UVDPA_NF_PROG);
	if (!*map || !*prog || bpf_program__type(*prog) != BPF_PROG_TYPE_SYSCALL ||
	    bpf_map__type(*map) != BPF_MAP_TYPE_ARRAY ||
	    !(bpf_map__map_flags(*map) & BPF_F_MMAPABLE)) {
		snprintf(err, errlen, "%s is not a uvdpa filter: it needs a SEC(\"syscall\") program "
			 "%s and the %s map of uvdpa_filter.h", b->prog.name, UVDPA_NF_PROG,
			 UVDPA_NF_MAP);
		return -ENOEXEC;
	}
	if (bpf_map__value_size(*map) != sizeof(struct uvdpa_nf_shared)) {
		snprintf(err, errlen, "%s: its %s map holds %u bytes, ABI %d has %zu "
			 "(built against another uvdpa_filter.h?)", b->prog.name, UVDPA_NF_MAP,
			 bpf_map__value_size(*map), UVDPA_NF_ABI_VERSION,
			 sizeof(struct uvdpa_nf_shared));
		return -ENOEXEC;
	}
	return 0;
}

static int load(struct nf_bpf *b, struct bpf_map *map, struct bpf_program *prog,
		unsigned int nr_vqs, char *err, size_t errlen)
{
	struct uvdpa_nf_shared *shm;
	char reason[256];
	unsigned int i;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (sizeof(*shm) + page - 1) / page * page;
	int ret;

	pthread_mutex_lock(&capture_lock);
	captured = 0;
	capture[0] = '\0';
	capturing = true;
	ret = b->shipped ? b->shipped->load(b->skel) : bpf_object__load(b->obj);
	capturing = false;
	if (ret) {
		if (ret == -EPERM) {
			snprintf(err, errlen, "the kernel refused BPF to uvdpad (no CAP_BPF?): %s",
				 strerror(-ret));
		} else {
			/* Whatever errno the kernel chose, the program was refused. */
			ret = -EACCES;
			verifier_reason(reason, sizeof(reason));
			snprintf(err, errlen, "the kernel's verifier rejected %s: %s "
				 "(uvdpad -v logs the whole verifier log)", b->prog.name, reason);
		}
		log_capture();
		pthread_mutex_unlock(&capture_lock);
		return ret;
	}
	pthread_mutex_unlock(&capture_lock);

	b->prog_fd = bpf_program__fd(prog);
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
	if (shm == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "cannot map the memory of %s: %s", b->prog.name,
			 strerror(errno));
		return ret;
	}
	b->shm_len = len;
	/* The parameters were collected before the load; they go in now. */
	memcpy(shm->params, b->prog.shm->params, sizeof(shm->params));
	free(b->prog.shm);
	b->prog.shm = shm;
	shm->abi_version = UVDPA_NF_ABI_VERSION;
	shm->nr_vqs = nr_vqs;
	for (i = 0; i < UVDPA_NF_MAX_VQ; i++)
		shm->vq[i].dec.defer_frames = 1;
	b->prog.run = bpf_run;
	return 0;
}

int nf_prog_load(struct nf_prog **out, const char *name, const char *path, unsigned int nr_vqs,
		 char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	struct nf_bpf *b;
	int ret;

	pthread_once(&print_once, set_print);
	ret = bpf_usable(err, errlen);
	if (ret)
		return ret;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->prog.free = bpf_free;
	/* Parameters gather here until the shared memory exists. */
	b->prog.shm = calloc(1, sizeof(*b->prog.shm));
	if (!b->prog.shm) {
		free(b);
		return -ENOMEM;
	}
	ret = open_obj(b, name, path, err, errlen);
	if (ret) {
		free(b->prog.shm);
		free(b);
		return ret;
	}
	ret = check_abi(b, &map, &prog, err, errlen);
	if (!ret)
		ret = find_params(b, err, errlen);
	if (!ret)
		ret = load(b, map, prog, nr_vqs, err, errlen);
	if (ret) {
		bpf_free(&b->prog);
		return ret;
	}
	*out = &b->prog;
	return 0;
}
