/* HTTP transport on libcurl. A connection owns one easy handle and one multi handle (whose
 * connection cache keeps the TCP/TLS session alive between requests). A request streams its body
 * into a sink callback as it arrives; the perform loop polls for Ctrl-C every 100 ms and detaches
 * the handle before control returns to R, so an interrupt never leaves curl mid-transfer. */
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
  long timeout_ms;      /* 0 = no limit */
  int verify_tls;
  char *ca_bundle;      /* or NULL for the system store */
  int gzip;
  char *user_agent;
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

typedef struct {
  long status;
  char content_type[128];
  char version[64];
  char build[64];
  char retry_after[64];
  char influx_error[1024];
  double seconds;
  CURLcode curl_code;
  char curl_error[CURL_ERROR_SIZE];
  int interrupted;
  int sink_aborted;
} influx_response;

influx_handle *handle_new(void);
void handle_free(influx_handle *h);
/* Performs the request; fills resp. Never raises an R error. */
void transport_perform(influx_handle *h, const influx_request *req, influx_response *resp);
/* Live handles, for leak tests. */
int handle_live_count(void);

#endif
