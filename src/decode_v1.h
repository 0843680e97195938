/* Decoder for InfluxQL responses of /query in MessagePack (plain C, no R API).
 *
 * Why MessagePack: it is the only /query format that keeps the server's types (integer vs float,
 * time as an exact seconds+nanoseconds extension) without asking SHOW FIELD KEYS, and it is the
 * smallest and fastest body on the wire (see bench/). Every server generation with a v1 /query
 * (1.x, and 2.x's compatibility endpoint) writes the same layout.
 *
 * Bytes are fed as they arrive; with chunked=true the body is a sequence of documents and each is
 * decoded as soon as it is complete, so memory holds one chunk of wire bytes plus the columns. */
#ifndef INFLUXTK_DECODE_V1_H
#define INFLUXTK_DECODE_V1_H

#include <stddef.h>

#include "bytebuf.h"
#include "columns.h"
#include "decoder.h"
#include "msgpack.h"

typedef enum {
  V1_OK = DECODE_OK,
  V1_ERR_QUERY = DECODE_ERR_QUERY,     /* the server reported an error for the request or a statement */
  V1_ERR_MALFORMED = DECODE_ERR_MALFORMED, /* bytes that are not a v1 response */
  V1_ERR_TRUNCATED = DECODE_ERR_TRUNCATED, /* the stream ended inside a document or before the last chunk */
  V1_ERR_NOMEM = DECODE_ERR_NOMEM
} v1_status;

/* The name given to the column that holds the series name when a statement returns several. */
#define V1_MEASUREMENT_COLUMN "\001measurement"

typedef struct {
  table **tables;     /* by statement_id */
  int ntables;
  v1_status status;
  char message[2048]; /* server message or what was malformed */
  int error_statement; /* 0-based statement of a query error, -1 for the whole request */
  bytebuf pending;    /* bytes of the document being received */
  mp_scanner scan;
  int last_partial;   /* the last result said more chunks follow */
  size_t documents;
  bytebuf notices;    /* server messages ("level\ttext\n") to surface as warnings */
  int32_t *colmap;    /* scratch: series column -> table column */
  size_t colmap_cap;
  int max_statements; /* statements sent, when the caller knows (0: unknown) */
} v1_decoder;

/* The decoder, reached only through the common interface: "v1", application/x-msgpack. Its
 * statements option bounds the statement ids (a one-statement query cannot yield ten tables);
 * feed takes chunked documents as they complete; finish checks nothing is left half-received
 * and pads the tables. */
extern const decoder_vtable v1_decoder_vtable;

#endif
