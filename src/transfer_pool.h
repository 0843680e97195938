/* Several requests in flight on one connection: easy handles of their own on a multi handle of
 * their own (whose connection cache keeps their TCP/TLS sessions between calls), each with every
 * setting of the connection and the same time limits as transport_perform. The pool lives in the
 * connection's handle (h->pool) and is freed with it.
 *
 * While any transfer is in flight the connection is busy (h->busy), so transport_perform and a
 * second user of the pool are refused; the pool's owner submits and waits. No R API here but the
 * interrupt check of transport.c. */
#ifndef INFLUXTK_TRANSFER_POOL_H
#define INFLUXTK_TRANSFER_POOL_H

#include "transport.h"

typedef struct pool_slot pool_slot;
typedef struct transfer_pool transfer_pool;

/* Starts req on a free easy handle (made when none is free). `id` names the transfer in what
 * transfer_pool_wait reports; `*owner` is set to the slot and cleared (NULL) when the transfer
 * ends or is abandoned, so the owner knows whether it must cancel it. req and resp must stay
 * valid until then. 0, or -1 with resp saying why (nothing started). */
int transfer_pool_submit(influx_handle *h, const influx_request *req, influx_response *resp, int id,
                         pool_slot **owner);
/* Runs the transfers until one or more end or `timeout_ms` passes (<0: no limit, 0: one pass
 * that does not wait), polling Ctrl-C every 100 ms. Writes the ids of the ended ones to
 * done[0..cap) and returns how many; on Ctrl-C every transfer is abandoned (resp->interrupted),
 * *interrupted is set and 0 returned. */
int transfer_pool_wait(influx_handle *h, long timeout_ms, int *done, int cap, int *interrupted);
/* Abandons one transfer (its easy handle stays reusable). */
void transfer_pool_cancel(pool_slot *s);
/* Abandons every transfer in flight. */
void transfer_pool_cancel_all(influx_handle *h);
/* Transfers in flight; easy handles the pool holds. */
int transfer_pool_active(const influx_handle *h);
int transfer_pool_easy_count(const influx_handle *h);
/* Easy handles of every pool alive, for leak tests. */
int transfer_pool_live_easy(void);
/* With the handle (handle_free): abandons what is in flight and frees the pool. */
void transfer_pool_free(influx_handle *h);

#endif
