/* One HTTP request as the .Call glue builds it from R's arguments, and its result as R reads it:
 * shared by C_request (one request) and the transfer pool's glue (several in flight). */
#ifndef INFLUXTK_REQUEST_H
#define INFLUXTK_REQUEST_H

#include "bytebuf.h"
#include "decoder.h"
#include "glue.h"

typedef enum { SINK_NONE, SINK_RAW, SINK_DECODE } sink_kind;

typedef struct {
  char method[16];
  bytebuf url;
  bytebuf form;
  bytebuf raw;        /* raw sink, or the body of a response the decoder does not take */
  struct curl_slist *headers;
  sink_kind kind;
  decoder dec;        /* SINK_DECODE: the decoder R named */
  int decoding;       /* the decoder took the body */
  size_t row_limit;   /* stop the transfer once the decoder has this many rows (0: never) */
  int stopped;        /* ... which it did: the rest of the body was never received */
  double received;    /* body bytes that reached the sink */
} request_state;

/* Fills s (zeroed, and already owned by a guard: this raises R errors on bad arguments) and req,
 * which points into s and into `body` (a raw vector the caller keeps alive). */
void request_prepare(influx_handle *h, request_state *s, influx_request *req, SEXP method, SEXP path,
                     SEXP query, SEXP headers, SEXP body, SEXP sink_name, SEXP opts);
/* What R reads of a finished request (a named list; see R/http.R). */
SEXP request_result(request_state *s, const influx_response *resp, SEXP opts);
/* Frees what s holds (not s). */
void request_state_clear(request_state *s);

#endif
