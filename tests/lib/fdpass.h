/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Passing one descriptor over a unix socket (SCM_RIGHTS), for tests that
 * share a control descriptor between processes.
 */

#ifndef _FDPASS_H_
#define	_FDPASS_H_

/* Sends fd with one byte of data: 0, or an errno. */
int	fdpass_send(int sock, int fd);

/* Receives one descriptor: it, or -1 with errno set. */
int	fdpass_recv(int sock);

#endif /* !_FDPASS_H_ */
