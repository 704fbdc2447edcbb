// SPDX-License-Identifier: GPL-2.0
/*
 * The worker as the transport's control thread sees it: a queue's setup
 * and where it stood, read and written only while the worker is stopped
 * (worker_call() orders them against the worker's thread).
 */
#include <stddef.h>

#include "worker/worker_int.h"

unsigned int worker_first_queue(const struct worker *w)
{
	return w->first;
}

unsigned int worker_nr_queues(const struct worker *w)
{
	return w->nr_queues;
}

bool worker_has_queue(const struct worker *w, unsigned int index)
{
	return index >= worker_first_queue(w) && index - worker_first_queue(w) < w->nr_queues;
}

static struct wq *queue_of(const struct worker *w, unsigned int index)
{
	return &w->queues[index - worker_first_queue(w)];
}

int worker_queue_kick_fd(const struct worker *w, unsigned int index)
{
	return queue_of(w, index)->kick_fd;
}

void worker_queue_config(struct worker *w, unsigned int index, const struct vq_config *cfg,
			 const struct vq_state *state)
{
	struct wq *q = queue_of(w, index);

	if (!cfg) {
		q->cfg.num = 0;
		return;
	}
	q->cfg = *cfg;
	q->state = *state;
}

void worker_queue_resume(struct worker *w, unsigned int index, const struct vq_config *cfg)
{
	struct wq *q = queue_of(w, index);

	q->cfg = *cfg;
	q->resume = true;
}

void worker_queue_set_log(struct worker *w, unsigned int index, struct vq_log_vq *log)
{
	queue_of(w, index)->log = log;
}

bool worker_queue_configured(const struct worker *w, unsigned int index)
{
	return queue_of(w, index)->cfg.num;
}

void worker_queue_state(const struct worker *w, unsigned int index, struct vq_state *state)
{
	*state = queue_of(w, index)->state;
}

void worker_queue_stats(const struct worker *w, unsigned int index, struct uvdpa_nf_stats *s)
{
	nf_vq_stats(&queue_of(w, index)->nf, s);
}

void worker_queue_decision(const struct worker *w, unsigned int index,
			   struct uvdpa_nf_decision *d)
{
	nf_vq_decision(&queue_of(w, index)->nf, d);
}
