/* The transfer pool (transfer_pool.h) over libcurl multi. */
#include "transfer_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pool_slot {
  CURL *easy;
  transfer t;
  int active;
  int id;
  pool_slot **owner;
  transfer_pool *pool;
};

struct transfer_pool {
  influx_handle *h;
  CURLM *multi;
  pool_slot **slots;   /* each allocated on its own: owners hold pointers to them */
  int nslots;
  int active;
  int waiting;         /* in transfer_pool_wait: R code run by the interrupt check must not submit */
};

static int live_easy = 0;

int transfer_pool_live_easy(void) { return live_easy; }

static transfer_pool *pool_of(influx_handle *h) {
  if (h->pool != NULL) return h->pool;
  transfer_pool *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  p->multi = curl_multi_init();
  if (p->multi == NULL) { free(p); return NULL; }
  p->h = h;
  h->pool = p;
  return p;
}

static pool_slot *free_slot(transfer_pool *p) {
  for (int i = 0; i < p->nslots; i++)
    if (!p->slots[i]->active) return p->slots[i];
  pool_slot **grown = realloc(p->slots, (size_t) (p->nslots + 1) * sizeof *grown);
  if (grown == NULL) return NULL;
  p->slots = grown;
  pool_slot *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->easy = curl_easy_init();
  if (s->easy == NULL) { free(s); return NULL; }
  live_easy++;
  s->pool = p;
  p->slots[p->nslots++] = s;
  return s;
}

static void fail(influx_response *resp, CURLcode code, const char *why) {
  resp->curl_code = code;
  snprintf(resp->curl_error, sizeof resp->curl_error, "%s", why);
}

int transfer_pool_submit(influx_handle *h, const influx_request *req, influx_response *resp, int id,
                         pool_slot **owner) {
  memset(resp, 0, sizeof *resp);
  transfer_pool *p = pool_of(h);
  if (p != NULL && p->waiting) {
    fail(resp, CURLE_FAILED_INIT, "the connection is busy with another request");
    return -1;
  }
  /* Busy without transfers of the pool: a transport_perform is under way. */
  if (h->busy && (p == NULL || p->active == 0)) {
    fail(resp, CURLE_FAILED_INIT, "the connection is busy with another request");
    return -1;
  }
  pool_slot *s = p == NULL ? NULL : free_slot(p);
  if (s == NULL) {
    fail(resp, CURLE_OUT_OF_MEMORY, "out of memory for another transfer");
    return -1;
  }
  transfer_start(h, s->easy, req, &s->t, resp);
  curl_easy_setopt(s->easy, CURLOPT_PRIVATE, (void *) s);
  CURLMcode mc = curl_multi_add_handle(p->multi, s->easy);
  if (mc != CURLM_OK) {
    fail(resp, CURLE_FAILED_INIT, curl_multi_strerror(mc));
    return -1;
  }
  s->active = 1;
  s->id = id;
  s->owner = owner;
  *owner = s;
  p->active++;
  h->busy = 1;
  return 0;
}

/* The transfer has ended (resp->curl_code says how) or is abandoned. */
static void end_slot(pool_slot *s) {
  transfer_pool *p = s->pool;
  transfer_finish(&s->t, p->multi);
  s->active = 0;
  if (s->owner) *s->owner = NULL;
  s->owner = NULL;
  p->active--;
  if (p->active == 0) p->h->busy = 0;
}

void transfer_pool_cancel(pool_slot *s) {
  if (s == NULL || !s->active) return;
  end_slot(s);
}

static void abandon_all(transfer_pool *p, int interrupted) {
  for (int i = 0; i < p->nslots; i++) {
    pool_slot *s = p->slots[i];
    if (!s->active) continue;
    if (interrupted) s->t.resp->interrupted = 1;
    end_slot(s);
  }
}

void transfer_pool_cancel_all(influx_handle *h) {
  if (h->pool) abandon_all(h->pool, 0);
}

int transfer_pool_active(const influx_handle *h) { return h->pool ? h->pool->active : 0; }

int transfer_pool_easy_count(const influx_handle *h) { return h->pool ? h->pool->nslots : 0; }

static void end_all_failed(transfer_pool *p, CURLMcode mc) {
  for (int i = 0; i < p->nslots; i++) {
    pool_slot *s = p->slots[i];
    if (s->active) fail(s->t.resp, CURLE_FAILED_INIT, curl_multi_strerror(mc));
  }
}

int transfer_pool_wait(influx_handle *h, long timeout_ms, int *done, int cap, int *interrupted) {
  *interrupted = 0;
  transfer_pool *p = h->pool;
  if (p == NULL || p->active == 0) return 0;
  p->waiting = 1;
  int ndone = 0;
  double start = transport_now_ms();
  for (;;) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(p->multi, &running);
    if (mc != CURLM_OK) end_all_failed(p, mc);
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
      if (msg->msg != CURLMSG_DONE) continue;
      pool_slot *s = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &s);
      if (s == NULL || !s->active) continue;
      s->t.resp->curl_code = msg->data.result;
      if (ndone < cap) done[ndone++] = s->id;
      end_slot(s);
    }
    double now = transport_now_ms();
    for (int i = 0; i < p->nslots; i++) {
      pool_slot *s = p->slots[i];
      if (!s->active) continue;
      if (mc != CURLM_OK) {
        if (ndone < cap) done[ndone++] = s->id;
        end_slot(s);
        continue;
      }
      timeout_kind expired = transfer_limit_expired(h, &s->t, now);
      if (expired != TIMEOUT_NONE && ndone < cap) {
        transfer_expire(&s->t, expired);
        done[ndone++] = s->id;
        end_slot(s);
      }
    }
    if (ndone > 0 || p->active == 0) break;
    if (transport_interrupt_pending()) {
      abandon_all(p, 1);
      *interrupted = 1;
      break;
    }
    double spent = transport_now_ms() - start;
    if (timeout_ms >= 0 && spent >= (double) timeout_ms) break;
    long slice = 100;
    if (timeout_ms >= 0 && (double) timeout_ms - spent < (double) slice) slice = (long) ((double) timeout_ms - spent) + 1;
    int numfds = 0;
    mc = curl_multi_poll(p->multi, NULL, 0, (int) slice, &numfds);
    if (mc != CURLM_OK) {
      end_all_failed(p, mc);
      for (int i = 0; i < p->nslots; i++) {
        pool_slot *s = p->slots[i];
        if (s->active && ndone < cap) { done[ndone++] = s->id; end_slot(s); }
      }
      break;
    }
  }
  p->waiting = 0;
  return ndone;
}

void transfer_pool_free(influx_handle *h) {
  transfer_pool *p = h->pool;
  if (p == NULL) return;
  abandon_all(p, 0);
  for (int i = 0; i < p->nslots; i++) {
    curl_easy_cleanup(p->slots[i]->easy);
    live_easy--;
    free(p->slots[i]);
  }
  free(p->slots);
  curl_multi_cleanup(p->multi);
  free(p);
  h->pool = NULL;
}
