// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa generic netlink requests over libnl-genl-3.
 *
 * libnl folds the errno of a netlink ack into its own NLE_* codes, and that
 * folding loses information (ENOENT and ESRCH both become NLE_OBJ_NOTFOUND,
 * unknown ones NLE_FAILURE). uvdpad has to tell the kernel's answers apart,
 * so each request installs an error callback that keeps the ack's errno as
 * the kernel sent it; NLE_* codes are translated only for failures that
 * happen in libnl or the socket itself.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <linux/vdpa.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "util/array_size.h"
#include "vduse/vdpa_nl.h"

struct vdpa_nl {
	struct nl_sock *sk;
	int family;
};

struct request {
	bool done;
	int err;
};

static const int nle_errno[NLE_MAX + 1] = {
	[NLE_INTR] = EINTR,
	[NLE_BAD_SOCK] = EBADF,
	[NLE_AGAIN] = EAGAIN,
	[NLE_NOMEM] = ENOMEM,
	[NLE_EXIST] = EEXIST,
	[NLE_INVAL] = EINVAL,
	[NLE_RANGE] = ERANGE,
	[NLE_MSGSIZE] = EMSGSIZE,
	[NLE_OPNOTSUPP] = EOPNOTSUPP,
	[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
	[NLE_OBJ_NOTFOUND] = ENOENT,
	[NLE_NOADDR] = EADDRNOTAVAIL,
	[NLE_SEQ_MISMATCH] = EPROTO,
	[NLE_MSG_OVERFLOW] = EPROTO,
	[NLE_MSG_TRUNC] = EPROTO,
	[NLE_MSG_TOOSHORT] = EPROTO,
	[NLE_PARSE_ERR] = EPROTO,
	[NLE_BUSY] = EBUSY,
	[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
	[NLE_NOACCESS] = EACCES,
	[NLE_PERM] = EPERM,
	[NLE_NODEV] = ENODEV,
};

/* A negative libnl error as a negative errno. */
static int nle_to_errno(int nle)
{
	nle = -nle;
	if (nle <= 0 || nle > NLE_MAX || !nle_errno[nle])
		return -EIO;
	return -nle_errno[nle];
}

int vdpa_nl_open(struct vdpa_nl **nlp)
{
	struct vdpa_nl *nl;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		ret = nle_to_errno(ret);
		goto err_sock;
	}
	/* The controller answers ENOENT for a family nobody registered. */
	ret = genl_ctrl_resolve(nl->sk, VDPA_GENL_NAME);
	if (ret < 0) {
		ret = nle_to_errno(ret);
		goto err_sock;
	}
	nl->family = ret;
	*nlp = nl;
	return 0;

err_sock:
	nl_socket_free(nl->sk);
err_free:
	free(nl);
	return ret;
}

void vdpa_nl_close(struct vdpa_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *req = arg;

	req->err = e->error;
	req->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	req->done = true;
	return NL_STOP;
}

static struct nl_msg *request_alloc(struct vdpa_nl *nl, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, 0,
			 cmd, VDPA_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * Send @msg (consumed) and receive until the kernel's ack: the kernel acks
 * every request, after the reply when there is one, because libnl sets
 * NLM_F_ACK. @valid, if set, sees the reply.
 */
static int request_run(struct vdpa_nl *nl, struct nl_msg *msg,
		       nl_recvmsg_msg_cb_t valid, void *arg)
{
	struct request req = { 0 };
	struct nl_cb *cb;
	int ret;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &req);
	if (valid)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid, arg);

	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0)
		goto out;
	while (!req.done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !req.done)
			goto out;
	}
	ret = req.err;
out:
	nl_cb_put(cb);
	if (ret < 0 && !req.done)
		return nle_to_errno(ret);
	return ret;
}

static int request_name(struct vdpa_nl *nl, uint8_t cmd, const char *mgmtdev,
			const char *name, nl_recvmsg_msg_cb_t valid, void *arg)
{
	struct nl_msg *msg = request_alloc(nl, cmd);
	int ret;

	if (!msg)
		return -ENOMEM;
	/*
	 * A bus-less management device (VDUSE's) is named by its device name
	 * alone; the kernel matches a missing bus name against no bus.
	 */
	if (mgmtdev) {
		ret = nla_put_string(msg, VDPA_ATTR_MGMTDEV_DEV_NAME, mgmtdev);
		if (ret < 0)
			goto err;
	}
	ret = nla_put_string(msg, VDPA_ATTR_DEV_NAME, name);
	if (ret < 0)
		goto err;
	return request_run(nl, msg, valid, arg);

err:
	nlmsg_free(msg);
	return nle_to_errno(ret);
}

int vdpa_nl_dev_add(struct vdpa_nl *nl, const char *mgmtdev, const char *name)
{
	return request_name(nl, VDPA_CMD_DEV_NEW, mgmtdev, name, NULL, NULL);
}

int vdpa_nl_dev_del(struct vdpa_nl *nl, const char *name)
{
	return request_name(nl, VDPA_CMD_DEV_DEL, NULL, name, NULL, NULL);
}

struct dev_reply {
	struct vdpa_nl_dev_info *info;
	int err;
	bool seen;
};

static const struct nla_policy dev_policy[VDPA_ATTR_MAX + 1] = {
	[VDPA_ATTR_MGMTDEV_DEV_NAME] = { .type = NLA_STRING },
	[VDPA_ATTR_DEV_ID] = { .type = NLA_U32 },
	[VDPA_ATTR_DEV_VENDOR_ID] = { .type = NLA_U32 },
	[VDPA_ATTR_DEV_MAX_VQS] = { .type = NLA_U32 },
	[VDPA_ATTR_DEV_MAX_VQ_SIZE] = { .type = NLA_U16 },
};

static int on_dev(struct nl_msg *msg, void *arg)
{
	static const int required[] = {
		VDPA_ATTR_MGMTDEV_DEV_NAME, VDPA_ATTR_DEV_ID,
		VDPA_ATTR_DEV_VENDOR_ID, VDPA_ATTR_DEV_MAX_VQS,
		VDPA_ATTR_DEV_MAX_VQ_SIZE,
	};
	struct nlattr *tb[VDPA_ATTR_MAX + 1];
	struct dev_reply *r = arg;
	struct vdpa_nl_dev_info *info = r->info;
	size_t i;
	int ret;

	r->seen = true;
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, VDPA_ATTR_MAX, dev_policy);
	if (ret < 0) {
		r->err = -EPROTO;
		return NL_SKIP;
	}
	for (i = 0; i < ARRAY_SIZE(required); i++) {
		if (!tb[required[i]]) {
			r->err = -EPROTO;
			return NL_SKIP;
		}
	}
	if (!info)
		return NL_OK;
	nla_strlcpy(info->mgmtdev, tb[VDPA_ATTR_MGMTDEV_DEV_NAME],
		    sizeof(info->mgmtdev));
	info->device_id = nla_get_u32(tb[VDPA_ATTR_DEV_ID]);
	info->vendor_id = nla_get_u32(tb[VDPA_ATTR_DEV_VENDOR_ID]);
	info->max_vqs = nla_get_u32(tb[VDPA_ATTR_DEV_MAX_VQS]);
	info->max_vq_size = nla_get_u16(tb[VDPA_ATTR_DEV_MAX_VQ_SIZE]);
	return NL_OK;
}

int vdpa_nl_dev_get(struct vdpa_nl *nl, const char *name,
		    struct vdpa_nl_dev_info *info)
{
	struct dev_reply r = { .info = info };
	int ret;

	ret = request_name(nl, VDPA_CMD_DEV_GET, NULL, name, on_dev, &r);
	if (ret)
		return ret;
	if (!r.seen)
		return -EPROTO;
	return r.err;
}
