/* HTTP transport on libcurl. A connection owns one easy handle and one multi handle (whose
 * connection cache keeps the TCP/TLS session alive between requests). A request streams its body
 * into a sink callback as it arrives; the perform loop polls for Ctrl-C every 100 ms and detaches
 * the handle before control returns to R, so an interrupt never leaves curl mid-transfer.
 *
 * Time limits (0 = none), checked by the perform loop itself because libcurl's low-speed limit
 * would also count a server's silence while it computes the answer:
 *   connect     TCP and TLS set-up (libcurl's own connect timeout);
 *   first byte  from the last byte of the request sent to the first byte of the response body;
 *   stall       no byte sent (while sending) or received (once the body has begun);
 *   total       the whole request.
 * Redirects are not followed (a 3xx is returned as it is), so credentials never go elsewhere. */
#ifndef INFLUXTK_TRANSPORT_H
#define INFLUXTK_TRANSPORT_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct {
  CURL *easy;
  CURLM *multi;
  char *base_url;       /* scheme://host[:port][/prefix], no trailing slash */
  char *username;       /* HTTP Basic, or NULL */
  char *password;
  char *token_header;   /* "Authorization: Token ...", or NULL */
  long connect_timeout_ms;
  long first_byte_timeout_ms;
  long stall_timeout_ms;
  long timeout_ms;      /* the whole request; 0 = no limit */
  int busy;             /* a request is in transport_perform: R code run meanwhile (an event
                           handler polled with the interrupt check) must not close or reuse h */
  int verify_tls;
  char *ca_bundle;      /* or NULL for the system store */
  int gzip;
  char *user_agent;
  struct transfer_pool *pool; /* easy handles for concurrent requests (transfer_pool.h), made on
                                 first use and freed with the handle */
} influx_handle;

/* Called with each piece of the body; status is the HTTP status of the response. Returns 0 to
 * continue, non-zero to abort the transfer (the sink keeps its own reason). */
typedef int (*body_sink)(void *ctx, const char *data, size_t len, long status,
                         const char *content_type);

typedef struct {
  const char *method;   /* GET, POST, HEAD, DELETE, PATCH, PUT */
  const char *url;
  struct curl_slist *headers;
  const void *body;
  size_t body_len;
  body_sink sink;
  void *sink_ctx;
} influx_request;

typedef enum { TIMEOUT_NONE = 0, TIMEOUT_CONNECT, TIMEOUT_FIRST_BYTE, TIMEOUT_STALL, TIMEOUT_TOTAL } timeout_kind;

typedef struct {
  long status;
  char content_type[128];
  char version[64];
  char build[64];
  char retry_after[64];
  char influx_error[1024];
  char location[1024];  /* of a redirect, which is not followed */
  double seconds;
  CURLcode curl_code;
  char curl_error[CURL_ERROR_SIZE];
  int interrupted;
  int sink_aborted;
  timeout_kind timeout; /* which limit expired, when curl_code is CURLE_OPERATION_TIMEDOUT */
} influx_response;

/* One transfer on an easy handle: its request, response and the clocks of the time limits.
 * transport_perform runs one on the handle's own easy handle; a transfer pool runs several. */
typedef struct {
  const influx_request *req;
  influx_response *resp;
  CURL *easy;
  int body_started;     /* a byte of the response body has arrived */
  double start_ms;
  double last_byte_ms;  /* when a byte was last sent or received (of the body) */
  curl_off_t received;  /* body bytes on the wire when last looked (compressed, if gzip) */
  curl_off_t sent;      /* request bytes sent when last looked (-1: connection not ready yet) */
} transfer;

/* Clears resp and sets every option of h and req on `easy` (reset first); the caller adds it to a
 * multi handle. */
void transfer_start(const influx_handle *h, CURL *easy, const influx_request *req, transfer *t,
                    influx_response *resp);
/* Which of h's limits has expired for t at `now` (transport_now_ms()). */
timeout_kind transfer_limit_expired(const influx_handle *h, transfer *t, double now);
/* Records that limit as the transfer's failure. */
void transfer_expire(transfer *t, timeout_kind expired);
/* After the transfer ended (resp->curl_code set) or was abandoned: status and timings into resp,
 * easy handle removed from `multi` and left reusable. */
void transfer_finish(transfer *t, CURLM *multi);
double transport_now_ms(void);
/* Non-zero when the user pressed Ctrl-C (R's pending interrupt, consumed). */
int transport_interrupt_pending(void);

influx_handle *handle_new(void);
void handle_free(influx_handle *h);
/* Performs the request; fills resp. Never raises an R error. Refuses (CURLE_FAILED_INIT) while
 * h is busy with another request. */
void transport_perform(influx_handle *h, const influx_request *req, influx_response *resp);
/* Live handles, for leak tests. */
int handle_live_count(void);
const char *timeout_kind_name(timeout_kind t);

#endif
