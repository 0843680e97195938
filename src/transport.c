#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include "transport.h"
#include "transfer_pool.h"
#include "utf8.h"

#include <Rinternals.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

/* Milliseconds on a clock that never jumps (the wall clock may, and would fake or hide a stall). */
double transport_now_ms(void) {
#ifdef _WIN32
  return (double) GetTickCount64();
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
#endif
}

const char *timeout_kind_name(timeout_kind t) {
  switch (t) {
  case TIMEOUT_CONNECT: return "connect";
  case TIMEOUT_FIRST_BYTE: return "first_byte";
  case TIMEOUT_STALL: return "stall";
  case TIMEOUT_TOTAL: return "total";
  default: return NULL;
  }
}

static int live_handles = 0;

int handle_live_count(void) { return live_handles; }

influx_handle *handle_new(void) {
  influx_handle *h = calloc(1, sizeof *h);
  if (h == NULL) return NULL;
  h->easy = curl_easy_init();
  h->multi = curl_multi_init();
  if (h->easy == NULL || h->multi == NULL) {
    if (h->easy) curl_easy_cleanup(h->easy);
    if (h->multi) curl_multi_cleanup(h->multi);
    free(h);
    return NULL;
  }
  h->verify_tls = 1;
  live_handles++;
  return h;
}

static void free_secret(char *s) {
  if (s == NULL) return;
  /* Secrets do not outlive the connection in freed heap memory. */
  volatile char *p = s;
  while (*p) *p++ = 0;
  free(s);
}

void handle_free(influx_handle *h) {
  if (h == NULL) return;
  transfer_pool_free(h);
  curl_easy_cleanup(h->easy);
  curl_multi_cleanup(h->multi);
  free(h->base_url);
  free(h->username);
  free_secret(h->password);
  free_secret(h->token_header);
  free(h->ca_bundle);
  free(h->user_agent);
  free(h);
  live_handles--;
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t n) {
  while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
  while (n > 0 && (*v == ' ' || *v == '\t')) { v++; n--; }
  /* Header values become R strings: valid UTF-8 without NULs, cut between characters. */
  utf8_copy_clean(dst, cap, v, n);
}

static int header_is(const char *line, size_t n, const char *name, const char **value, size_t *vlen) {
  size_t k = strlen(name);
  if (n <= k || line[k] != ':') return 0;
  for (size_t i = 0; i < k; i++)
    if (tolower((unsigned char) line[i]) != name[i]) return 0;
  *value = line + k + 1;
  *vlen = n - k - 1;
  return 1;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata) {
  transfer *ctx = userdata;
  influx_response *r = ctx->resp;
  size_t n = size * nitems;
  const char *v;
  size_t vn;
  if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    /* A new response (after 100 Continue, say): forget the headers of the last one. */
    r->content_type[0] = r->version[0] = r->build[0] = r->retry_after[0] = r->influx_error[0] = 0;
    r->location[0] = 0;
  } else if (header_is(line, n, "location", &v, &vn)) {
    copy_header_value(r->location, sizeof r->location, v, vn);
    /* A URL is ASCII; anything else would reach R as a string that is not valid UTF-8. */
    for (char *c = r->location; *c; c++)
      if ((unsigned char) *c < 0x20 || (unsigned char) *c > 0x7e) *c = '?';
  } else if (header_is(line, n, "content-type", &v, &vn)) {
    copy_header_value(r->content_type, sizeof r->content_type, v, vn);
  } else if (header_is(line, n, "x-influxdb-version", &v, &vn)) {
    copy_header_value(r->version, sizeof r->version, v, vn);
  } else if (header_is(line, n, "x-influxdb-build", &v, &vn)) {
    copy_header_value(r->build, sizeof r->build, v, vn);
  } else if (header_is(line, n, "retry-after", &v, &vn)) {
    copy_header_value(r->retry_after, sizeof r->retry_after, v, vn);
  } else if (header_is(line, n, "x-influxdb-error", &v, &vn)) {
    copy_header_value(r->influx_error, sizeof r->influx_error, v, vn);
  }
  return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
  transfer *ctx = userdata;
  size_t n = size * nmemb;
  ctx->body_started = 1;
  ctx->last_byte_ms = transport_now_ms();
  if (ctx->req->sink == NULL) return n;
  long status = 0;
  curl_easy_getinfo(ctx->easy, CURLINFO_RESPONSE_CODE, &status);
  if (ctx->req->sink(ctx->req->sink_ctx, data, n, status, ctx->resp->content_type) != 0) {
    ctx->resp->sink_aborted = 1;
    return 0; /* curl stops with CURLE_WRITE_ERROR */
  }
  return n;
}

static void check_interrupt(void *unused) {
  (void) unused;
  R_CheckUserInterrupt();
}

/* R_CheckUserInterrupt jumps on an interrupt; R_ToplevelExec catches the jump. */
int transport_interrupt_pending(void) { return R_ToplevelExec(check_interrupt, NULL) == FALSE; }

void transfer_start(const influx_handle *h, CURL *e, const influx_request *req, transfer *ctx,
                    influx_response *resp) {
  memset(resp, 0, sizeof *resp);
  ctx->req = req;
  ctx->resp = resp;
  ctx->easy = e;
  ctx->body_started = 0;
  ctx->start_ms = ctx->last_byte_ms = transport_now_ms();
  ctx->received = 0;
  ctx->sent = -1;
  curl_easy_reset(e);
  curl_easy_setopt(e, CURLOPT_URL, req->url);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  /* Not followed: the caller reports a 3xx with its Location, and credentials stay with the
   * host they were given for. */
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, resp->curl_error);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->verify_tls ? 2L : 0L);
  if (h->ca_bundle) curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_bundle);
  if (h->gzip) curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  if (h->user_agent) curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
  if (h->username) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, h->username);
    curl_easy_setopt(e, CURLOPT_PASSWORD, h->password ? h->password : "");
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, ctx);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, ctx);

  const char *m = req->method;
  if (strcmp(m, "GET") == 0) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(m, "HEAD") == 0) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else {
    if (req->body != NULL || strcmp(m, "POST") == 0) {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? (const char *) req->body : "");
    }
    if (strcmp(m, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
  }
}

/* Which limit, if any, has expired. Until the connection is ready only the connect limit (libcurl's)
 * and the total apply; then the stall limit while the request is being sent, the first-byte limit
 * from its last byte until the body begins, and the stall limit again while the body arrives. */
timeout_kind transfer_limit_expired(const influx_handle *h, transfer *ctx, double now) {
  double start = ctx->start_ms;
  curl_off_t *sent = &ctx->sent;
  if (h->timeout_ms > 0 && now - start >= (double) h->timeout_ms) return TIMEOUT_TOTAL;
  curl_off_t ready = 0, up = 0, down = 0;
  curl_easy_getinfo(ctx->easy, CURLINFO_PRETRANSFER_TIME_T, &ready);
  /* Past the connect limit the connection is ready whatever the timer says (a coarse clock could
   * leave it at 0), so the other limits cannot be skipped for a whole transfer. */
  if (ready <= 0 && now - start < (double) h->connect_timeout_ms + 1000) return TIMEOUT_NONE;
  curl_easy_getinfo(ctx->easy, CURLINFO_SIZE_UPLOAD_T, &up);
  curl_easy_getinfo(ctx->easy, CURLINFO_SIZE_DOWNLOAD_T, &down);
  if (*sent < 0 || up != *sent) { /* connection just ready, or request bytes went out */
    *sent = up;
    ctx->last_byte_ms = now;
  }
  if (down != ctx->received) { /* on the wire, before a decompressor may hold them back */
    ctx->received = down;
    ctx->body_started = 1;
    ctx->last_byte_ms = now;
  }
  double quiet = now - ctx->last_byte_ms;
  int sending = ctx->req->body_len > 0 && up < (curl_off_t) ctx->req->body_len;
  if (ctx->body_started || sending)
    return h->stall_timeout_ms > 0 && quiet >= (double) h->stall_timeout_ms ? TIMEOUT_STALL : TIMEOUT_NONE;
  return h->first_byte_timeout_ms > 0 && quiet >= (double) h->first_byte_timeout_ms ? TIMEOUT_FIRST_BYTE
                                                                                    : TIMEOUT_NONE;
}

void transfer_expire(transfer *ctx, timeout_kind expired) {
  influx_response *resp = ctx->resp;
  resp->timeout = expired;
  resp->curl_code = CURLE_OPERATION_TIMEDOUT;
  snprintf(resp->curl_error, sizeof resp->curl_error, "the %s time limit expired", timeout_kind_name(expired));
}

void transfer_finish(transfer *ctx, CURLM *multi) {
  influx_response *resp = ctx->resp;
  CURL *e = ctx->easy;
  /* The only limit left to libcurl is the connect timeout. */
  if (resp->curl_code == CURLE_OPERATION_TIMEDOUT && resp->timeout == TIMEOUT_NONE) resp->timeout = TIMEOUT_CONNECT;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp->status);
  curl_off_t us = 0;
  if (curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK) resp->seconds = (double) us / 1e6;
  /* Detach before R runs again: an unfinished transfer is abandoned here, its socket closed. */
  curl_multi_remove_handle(multi, e);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
  if (resp->curl_code != CURLE_OK && resp->curl_error[0] == '\0')
    snprintf(resp->curl_error, sizeof resp->curl_error, "%s", curl_easy_strerror(resp->curl_code));
}

void transport_perform(influx_handle *h, const influx_request *req, influx_response *resp) {
  if (h->busy) {
    memset(resp, 0, sizeof *resp);
    resp->curl_code = CURLE_FAILED_INIT;
    snprintf(resp->curl_error, sizeof resp->curl_error, "the connection is busy with another request");
    return;
  }
  transfer ctx;
  transfer_start(h, h->easy, req, &ctx, resp);

  CURLMcode mc = curl_multi_add_handle(h->multi, h->easy);
  if (mc != CURLM_OK) {
    resp->curl_code = CURLE_FAILED_INIT;
    snprintf(resp->curl_error, sizeof resp->curl_error, "%s", curl_multi_strerror(mc));
    return;
  }
  h->busy = 1;
  int running = 1;
  resp->curl_code = CURLE_OK;
  for (;;) {
    mc = curl_multi_perform(h->multi, &running);
    if (mc != CURLM_OK) {
      resp->curl_code = CURLE_FAILED_INIT;
      snprintf(resp->curl_error, sizeof resp->curl_error, "%s", curl_multi_strerror(mc));
      break;
    }
    if (running == 0) break;
    timeout_kind expired = transfer_limit_expired(h, &ctx, transport_now_ms());
    if (expired != TIMEOUT_NONE) {
      transfer_expire(&ctx, expired);
      break;
    }
    if (transport_interrupt_pending()) {
      resp->interrupted = 1;
      break;
    }
    int numfds = 0;
    mc = curl_multi_poll(h->multi, NULL, 0, 100, &numfds);
    if (mc != CURLM_OK) {
      resp->curl_code = CURLE_FAILED_INIT;
      snprintf(resp->curl_error, sizeof resp->curl_error, "%s", curl_multi_strerror(mc));
      break;
    }
  }
  int left;
  CURLMsg *msg;
  while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == h->easy) resp->curl_code = msg->data.result;
  }
  transfer_finish(&ctx, h->multi);
  h->busy = 0;
}
