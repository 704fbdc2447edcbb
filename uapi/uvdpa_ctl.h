/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The uvdpad control protocol, spoken on the unix stream socket
 * UVDPA_CTL_DIR/NAME.sock (mode 0600) of each daemon; uvdpactl is a client.
 *
 * One request per connection: a line of at most UVDPA_CTL_LINE_MAX bytes,
 * words separated by single spaces (no word holds a space):
 *
 *	uvdpa-ctl VERSION COMMAND [ARG]...\n
 *
 * The reply is zero or more lines of space-separated key=value words, then
 * a last line that is either "ok" or "error MESSAGE", MESSAGE being one line
 * for a person; then the daemon closes the connection. A daemon answers
 * every VERSION up to its own and refuses newer ones with an error.
 *
 * Commands of version 1:
 *	filter show			name=NAME, then PARAM=VALUE per line
 *	filter set NAME [K=V]...	a shipped filter, or "builtin" for the
 *					daemon's own passthrough in C; replies
 *					like filter show. The filter running
 *					already: K=V change in place (all or
 *					none), the program and its state kept
 *	filter set --object PATH [K=V]...	an object file (absolute PATH)
 *	filter set --reload ...		either, loaded afresh even if running
 *					(a daemon before --reload says there
 *					is no filter '--reload')
 *	stats				per queue: vq=N, then the counters of
 *					struct uvdpa_nf_stats by their names,
 *					irqs_per_completion, mean_batch,
 *					filter_ns_per_completion, and the
 *					filter's decision in force:
 *					defer_frames, defer_us, idle_fire (0
 *					or 1) and poll_us; then one
 *					line dev=TYPE and the device model's
 *					counters (blk: requests by type,
 *					io_errors, bad_requests; net: frames,
 *					bytes, drops by cause)
 *	info				what uvdpactl list and show print, lines
 *					in any order: name=, type=, queues=,
 *					workers=, pid=; the device type's (blk:
 *					backend=, size= in bytes, block_size=,
 *					read_only=, direct=, nbd=, path=; net:
 *					backend=, mac=, mtu=, tap=, link=);
 *					driver= (the vdpa bus driver, or none),
 *					dev= (what the kernel made of it: vda,
 *					eth1, vhost-vdpa-0, other-netns, -);
 *					features_offered=, features_negotiated=
 *					and driver_status= by name, comma-
 *					separated; ring= (split, packed, or -),
 *					queue_size=, event_idx=, indirect=;
 *					reconnect= (none, ready, resumed),
 *					state_file=; filter=NAME; then per
 *					queue vq=N worker=N state= (off,
 *					stopped, running, broken) size=
 *					inflight= [why=]. A why=, path= or
 *					state_file= value may hold blanks: it
 *					runs to the end of its line.
 *	upgrade				state=PATH; then, as on SIGUSR2, the
 *					daemon finishes the requests in flight,
 *					saves its state in PATH and exits, for a
 *					new uvdpad started with --reconnect
 */
#ifndef UVDPA_UAPI_CTL_H
#define UVDPA_UAPI_CTL_H

#define UVDPA_CTL_MAGIC		"uvdpa-ctl"
#define UVDPA_CTL_VERSION	1
#define UVDPA_CTL_DIR		"/run/uvdpa"
/* Overrides UVDPA_CTL_DIR, for the daemon and the client alike. */
#define UVDPA_CTL_DIR_ENV	"UVDPA_RUN_DIR"
#define UVDPA_CTL_LINE_MAX	4096
#define UVDPA_CTL_OK		"ok"
#define UVDPA_CTL_ERROR		"error"

#endif
