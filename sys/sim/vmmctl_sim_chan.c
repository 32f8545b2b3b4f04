/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The reply channels a connection has registered (vmmctl_sim_proto.h): a
 * request names its sender's channel by (pid, hdr.chan), the pid being the
 * kernel's, so a reply reaches the process that asked and nobody else.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmmctl_sim_var.h"

void
sim_chan_forget(struct sim_conn *c, size_t i)
{

	(void)close(c->chans[i].fd);
	c->chans[i] = c->chans[--c->nchans];
}

/* Forgets the channels whose client end is closed. */
void
sim_chan_purge(struct sim_conn *c)
{
	struct pollfd p;
	size_t i;

	for (i = c->nchans; i-- > 0; ) {
		p.fd = c->chans[i].fd;
		p.events = POLLOUT;
		p.revents = 0;
		if (poll(&p, 1, 0) == 1 &&
		    (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0)
			sim_chan_forget(c, i);
	}
}

struct sim_chan *
sim_chan_find(struct sim_conn *c, uint32_t pid, uint32_t id)
{
	size_t i;

	for (i = 0; i < c->nchans; i++)
		if (c->chans[i].pid == pid && c->chans[i].id == id)
			return (&c->chans[i]);
	return (NULL);
}

/* fd becomes the channel (pid, id): 0, or EMFILE when the table is full. */
int
sim_chan_register(struct sim_conn *c, uint32_t pid, uint32_t id, int fd)
{
	struct sim_chan *ch, *cv;

	if ((ch = sim_chan_find(c, pid, id)) != NULL) {
		(void)close(ch->fd);
		ch->fd = fd;
		return (0);
	}
	if (c->nchans >= VMMCTL_SIM_MAX_CHANS)
		sim_chan_purge(c);
	if (c->nchans >= VMMCTL_SIM_MAX_CHANS)
		return (EMFILE);
	cv = realloc(c->chans, (c->nchans + 1) * sizeof(*cv));
	if (cv == NULL)
		return (ENOMEM);
	c->chans = cv;
	ch = &c->chans[c->nchans++];
	ch->pid = pid;
	ch->id = id;
	ch->fd = fd;
	return (0);
}

/* The registered channel whose descriptor is fd is gone. */
void
sim_chan_lost(struct sim_conn *c, int fd)
{
	size_t i;

	for (i = 0; i < c->nchans; i++)
		if (c->chans[i].fd == fd) {
			sim_chan_forget(c, i);
			return;
		}
}
