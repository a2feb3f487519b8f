/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the RDMA tests share (tests/guest/rdma_pins.c,
 * tests/crash/pinned_read.c): a soft-RoCE device in the guest, and two
 * reliable-connected queue pairs on it joined to each other, so that one
 * process can RDMA WRITE into a memory region it registered itself.  The
 * write then takes the same path as one from another host: rxe's
 * responder copies the payload into the region's pinned pages.
 *
 * rdma_loop_up() makes the device when there is none: a dummy netdev with
 * an IPv4 address and an rxe link on it (iproute2's "rdma link add"),
 * which needs CONFIG_RDMA_RXE and CONFIG_DUMMY.  Its GID table then holds
 * a RoCE v2 entry for that address, which both queue pairs use.
 */
#ifndef DAXFILE_TESTS_RDMA_LOOP_H
#define DAXFILE_TESTS_RDMA_LOOP_H

#include <errno.h>
#include <infiniband/verbs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel_pins.h"

#define RDMA_LOOP_NETDEV	"daxrdma0"
#define RDMA_LOOP_ADDR		"10.213.0.1/24"
#define RDMA_LOOP_LINK		"rxe_dax0"
#define RDMA_LOOP_PORT		1
/* A bound on one completion, not a speed check: a guard against a hang. */
#define RDMA_LOOP_WAIT_S	60

struct rdma_loop {
	struct ibv_context	*ctx;
	struct ibv_pd		*pd;
	struct ibv_cq		*cq;
	struct ibv_qp		*qp[2];	/* qp[0] writes into qp[1]'s side */
	union ibv_gid		gid;
	int			gid_index;
	bool			no_rdma;	/* the kernel has no RDMA core */
	char			why[256];	/* what failed, for a skip or a log */
};

/* The soft-RoCE device rdma_loop_up() makes, or NULL; free the list. */
static inline struct ibv_device *rdma_loop_device(struct ibv_device ***list)
{
	int n = 0, i;

	*list = ibv_get_device_list(&n);
	for (i = 0; *list && i < n; i++)
		if (!strcmp(ibv_get_device_name((*list)[i]), RDMA_LOOP_LINK))
			return (*list)[i];
	return NULL;
}

/*
 * Whether the rxe link exists, making it if not.  false with @why set,
 * and what the commands said on standard error, when it can't be made.
 */
static inline bool rdma_loop_up(char *why, size_t len)
{
	struct ibv_device **list;
	bool up;
	int ret;

	up = rdma_loop_device(&list);
	if (list)
		ibv_free_device_list(list);
	if (up)
		return true;
	ret = system("exec 2>/tmp/rdma_loop.err;"
		     " { ip link show " RDMA_LOOP_NETDEV " >/dev/null 2>&1 ||"
		     " { ip link add " RDMA_LOOP_NETDEV " type dummy &&"
		     "   ip addr add " RDMA_LOOP_ADDR " dev " RDMA_LOOP_NETDEV " &&"
		     "   ip link set " RDMA_LOOP_NETDEV " up; }; } &&"
		     " rdma link add " RDMA_LOOP_LINK " type rxe netdev "
		     RDMA_LOOP_NETDEV);
	up = rdma_loop_device(&list);
	if (list)
		ibv_free_device_list(list);
	if (!up) {
		char err[160] = "";
		FILE *f = fopen("/tmp/rdma_loop.err", "r");

		if (f) {
			if (!fgets(err, sizeof(err), f))
				err[0] = 0;
			err[strcspn(err, "\n")] = 0;
			fclose(f);
		}
		snprintf(why, len, "no %s device over a dummy netdev (exit %d): %s",
			 RDMA_LOOP_LINK, ret, err[0] ? err : "no message");
		return false;
	}
	return true;
}

/* The RoCE v2 GID of the link's IPv4 address: its index, or -1. */
static inline int rdma_loop_gid(struct rdma_loop *l)
{
	struct ibv_port_attr pa;
	struct ibv_gid_entry e;
	int i;

	if (ibv_query_port(l->ctx, RDMA_LOOP_PORT, &pa))
		return -1;
	for (i = 0; i < pa.gid_tbl_len; i++) {
		if (ibv_query_gid_ex(l->ctx, RDMA_LOOP_PORT, i, &e, 0))
			continue;
		/* An IPv4 address, mapped: ::ffff:a.b.c.d. */
		if (e.gid_type == IBV_GID_TYPE_ROCE_V2 &&
		    !e.gid.global.subnet_prefix && !e.gid.raw[8] &&
		    !e.gid.raw[9] && (e.gid.raw[10] & e.gid.raw[11]) == 0xff) {
			l->gid = e.gid;
			return i;
		}
	}
	return -1;
}

static inline int rdma_loop_to_init(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state	 = IBV_QPS_INIT,
		.port_num	 = RDMA_LOOP_PORT,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE,
	};

	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			     IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
}

/* Ready to receive from, then to send to, the queue pair @peer. */
static inline int rdma_loop_connect(struct rdma_loop *l, struct ibv_qp *qp,
				    uint32_t peer)
{
	struct ibv_qp_attr a = {
		.qp_state		= IBV_QPS_RTR,
		.path_mtu		= IBV_MTU_1024,
		.dest_qp_num		= peer,
		.max_dest_rd_atomic	= 1,
		.min_rnr_timer		= 12,
		.ah_attr		= {
			.is_global	= 1,
			.port_num	= RDMA_LOOP_PORT,
			.grh		= {
				.dgid		= l->gid,
				.sgid_index	= (uint8_t)l->gid_index,
				.hop_limit	= 1,
			},
		},
	};
	int ret;

	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		return ret;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			     IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
}

static inline void rdma_loop_close(struct rdma_loop *l)
{
	int i;

	for (i = 0; i < 2; i++)
		if (l->qp[i])
			ibv_destroy_qp(l->qp[i]);
	if (l->cq)
		ibv_destroy_cq(l->cq);
	if (l->pd)
		ibv_dealloc_pd(l->pd);
	if (l->ctx)
		ibv_close_device(l->ctx);
	memset(l->qp, 0, sizeof(l->qp));
	l->cq = NULL;
	l->pd = NULL;
	l->ctx = NULL;
}

/*
 * Open the soft-RoCE device (made by rdma_loop_up()) and join two RC
 * queue pairs on it.  0, or -1 with @l->why set, and @l->no_rdma when
 * the kernel has no RDMA core at all (a kernel built without it, where a
 * test skips; any other failure is a failure).
 */
static inline int rdma_loop_open(struct rdma_loop *l)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap	 = {
			.max_send_wr	= 4,
			.max_recv_wr	= 4,
			.max_send_sge	= 1,
			.max_recv_sge	= 1,
		},
	};
	struct ibv_device **list, *dev;
	const char *step;
	int i;

	memset(l, 0, sizeof(*l));
	/* A kernel built without RDMA: the only reason to skip. */
	l->no_rdma = access("/sys/class/infiniband", F_OK) != 0;
	if (!rdma_loop_up(l->why, sizeof(l->why)))
		return -1;
	dev = rdma_loop_device(&list);
	step = "ibv_open_device";
	if (dev)
		l->ctx = ibv_open_device(dev);
	if (list)
		ibv_free_device_list(list);
	if (!l->ctx)
		goto fail;
	step = "ibv_alloc_pd";
	l->pd = ibv_alloc_pd(l->ctx);
	if (!l->pd)
		goto fail;
	step = "ibv_create_cq";
	l->cq = ibv_create_cq(l->ctx, 8, NULL, NULL, 0);
	if (!l->cq)
		goto fail;
	qa.send_cq = l->cq;
	qa.recv_cq = l->cq;
	step = "ibv_create_qp";
	for (i = 0; i < 2; i++) {
		l->qp[i] = ibv_create_qp(l->pd, &qa);
		if (!l->qp[i])
			goto fail;
	}
	step = "no RoCE v2 IPv4 GID on the device";
	errno = ENODEV;
	l->gid_index = rdma_loop_gid(l);
	if (l->gid_index < 0)
		goto fail;
	step = "connecting the queue pairs";
	for (i = 0; i < 2; i++)
		if (rdma_loop_to_init(l->qp[i]) ||
		    rdma_loop_connect(l, l->qp[i], l->qp[!i]->qp_num))
			goto fail;
	return 0;
fail:
	snprintf(l->why, sizeof(l->why), "%s: %s", step, strerror(errno));
	rdma_loop_close(l);
	return -1;
}

/*
 * RDMA WRITE @len bytes from @src (in @src_mr) to @raddr of the region
 * @rkey names, and wait for it to complete: 0, or -1 with @l->why set.
 * The completion means the responder has placed the data.
 */
static inline int rdma_loop_write(struct rdma_loop *l, struct ibv_mr *src_mr,
				  const void *src, uint32_t len,
				  uint64_t raddr, uint32_t rkey)
{
	struct ibv_sge sge = {
		.addr	= (uintptr_t)src,
		.length	= len,
		.lkey	= src_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id		= raddr,
		.sg_list	= &sge,
		.num_sge	= 1,
		.opcode		= IBV_WR_RDMA_WRITE,
		.send_flags	= IBV_SEND_SIGNALED,
		.wr.rdma	= { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	time_t deadline = time(NULL) + RDMA_LOOP_WAIT_S;
	struct ibv_wc wc;
	int n, ret;

	ret = ibv_post_send(l->qp[0], &wr, &bad);
	if (ret) {
		snprintf(l->why, sizeof(l->why), "ibv_post_send: %s",
			 strerror(ret));
		return -1;
	}
	while (!(n = ibv_poll_cq(l->cq, 1, &wc)) && time(NULL) < deadline)
		;
	if (n <= 0 || wc.status != IBV_WC_SUCCESS) {
		snprintf(l->why, sizeof(l->why), "RDMA WRITE: %s",
			 n < 0 ? "ibv_poll_cq failed" :
			 !n ? "no completion within the bound" :
			 ibv_wc_status_str(wc.status));
		return -1;
	}
	return 0;
}

#endif
