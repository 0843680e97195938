/* A decoder's feed on a worker thread (plain C, no R API): the thread that receives the response
 * (libcurl's callback) only copies each piece into a bounded queue, and a worker decodes while the
 * next bytes arrive. Decoding and receiving then overlap instead of taking turns. The worker calls
 * nothing but the feed, which must not touch R; the pieces reach it whole and in order.
 *
 * Where threads are not available (Windows builds without POSIX threads), feed_thread_start
 * returns NULL and the caller feeds directly. */
#ifndef INFLUXTK_FEED_THREAD_H
#define INFLUXTK_FEED_THREAD_H

#include <stddef.h>

/* 0 = go on; anything else stops the feeding and is reported by push and finish. */
typedef int (*feed_fn)(void *state, const void *data, size_t len);

typedef struct feed_thread feed_thread;

/* A worker feeding `state`; NULL when no thread could be made (feed directly then). */
feed_thread *feed_thread_start(feed_fn feed, void *state);
/* Queues a copy of the bytes (waiting while the queue is full). 0, the feed's status once it has
 * stopped with one, or -1 when memory ran out. */
int feed_thread_push(feed_thread *ft, const void *data, size_t len);
/* Waits until everything pushed is fed, ends the worker and frees ft: 0, the feed's status, or
 * -1 when memory ran out while pushing. `state` is the caller's alone afterwards. */
int feed_thread_finish(feed_thread *ft);
/* Ends the worker without feeding what is still queued, and frees ft (an interrupted transfer). */
void feed_thread_cancel(feed_thread *ft);

#endif
