/* One interface for every response decoder (plain C, no R API), so that request.c streams a body
 * into "a decoder" and recorded bodies take exactly the same calls as live ones.
 *
 * A decoder is a decoder_vtable: a name (what R asks for: sink = "v1"), the media types it reads,
 * the size of its state and the functions below. Life of a decoder: init once, feed the bytes in
 * pieces of any size as they arrive, finish at the end of the stream, then read its tables (only
 * when finish returned DECODE_OK), then free. The first error sticks: later feeds and finish
 * return it again, and message() says what it was.
 *
 * Adding a decoder "x":
 *   1. decode_x.c: the decoder in plain C, returning decode_status values, and at its end
 *      `const decoder_vtable x_decoder_vtable = {"x", x_content_types, sizeof(x_decoder), ...};`
 *      declared `extern` in decode_x.h;
 *   2. decoder.c: `&x_decoder_vtable,` in the registry (and decode_x.h included);
 *   3. Makefile: src/decode_x.c in the fuzz target (the fuzzer runs every registered decoder);
 *   4. options it needs: a field in decoder_options, read from R's list in r_decode.c
 *      (decoder_options_from_list);
 *   5. optionally rows and finish_stopped, so that a reader with a row limit (DBI's dbFetch) can
 *      stop the transfer early; without them the whole body is always read.
 * R then reads with sink = "x" (C_request) and decodes recorded bodies with
 * .Call(C_decode_recorded, body, piece, "x", opts); no other C changes. */
#ifndef INFLUXTK_DECODER_H
#define INFLUXTK_DECODER_H

#include <stddef.h>

#include "columns.h"

/* What feed and finish return. The numbers reach R (decode_status), where 1 is the server's own
 * error and anything else but 0 is a body that could not be decoded. */
typedef enum {
  DECODE_OK = 0,
  DECODE_ERR_QUERY = 1,     /* the body reports an error of the query */
  DECODE_ERR_MALFORMED = 2, /* bytes that are not what the format says */
  DECODE_ERR_TRUNCATED = 3, /* the stream ended before the body did */
  DECODE_ERR_NOMEM = 4
} decode_status;

struct jsonl_hint; /* decode_jsonl.h */

/* Everything any decoder can be told; each reads the fields it knows and ignores the rest.
 * Zero is the default of every field. */
typedef struct {
  int statements;         /* v1: statements sent; results for others are malformed (0: unknown) */
  int pivot;              /* flux: fields as columns */
  int table_columns;      /* flux: keep `result` and `table` */
  int value_empty_string; /* flux: an empty string _value is "", not NA */
  /* jsonl: column types and the columns the result must have (3.x: information_schema.columns),
   * copied by init */
  const struct jsonl_hint *hints;
  size_t nhints;
  int measurement_role;   /* jsonl: "iox::measurement" is the 1.x measurement column */
  /* The reader stops the transfer once rows() reaches this (0: never); a decoder that would
   * decode on another thread keeps to the caller's, so that rows() can be asked between feeds. */
  size_t row_limit;
} decoder_options;

typedef struct decoder_vtable {
  const char *name;                   /* what R names it: "v1", "flux" */
  /* Media types it reads, lower case, NULL-terminated; no two decoders share one (the lookup
   * takes the first). */
  const char *const *content_types;
  size_t state_size;                  /* bytes of state; init receives them zeroed */
  /* 0, or -1 when memory ran out (free is still called). */
  int (*init)(void *state, const decoder_options *opt);
  int (*feed)(void *state, const void *data, size_t len);  /* a decode_status */
  int (*finish)(void *state);                              /* a decode_status */
  /* Frees what init and feed allocated (the state itself belongs to the caller). */
  void (*free)(void *state);
  /* Why feed or finish failed: NUL-terminated valid UTF-8 without NULs (it becomes an R string). */
  const char *(*message)(void *state);
  /* After finish returned DECODE_OK: the results (columns.h tables, every column padded to
   * nrow by table_finish), each one data frame in R (table_to_data_frame, r_columns.c): a
   * ROLE_MEASUREMENT column only when it holds several names, the value column "time" first,
   * ROLE_TAG columns sorted by name, then the other columns in their order. The decoder owns
   * them until free; the caller may empty them as it converts them. */
  size_t (*ntables)(void *state);
  table *(*table)(void *state, size_t i);
  /* Optional (NULL: -1): 0-based statement a DECODE_ERR_QUERY belongs to, -1 for the request. */
  int (*error_statement)(void *state);
  /* Optional (NULL: none): server notices as "level\ttext\n" lines, valid UTF-8, *len bytes. */
  const char *(*notices)(void *state, size_t *len);
  /* Optional, both or neither (NULL: the decoder cannot stop early). rows: the rows decoded whole
   * so far over all its tables, asked between feeds (0 while none can be known whole, e.g. a Flux
   * pivot, whose rows fill up to the end). finish_stopped: instead of finish, when the reader cut
   * the body short on purpose after rows() reached its limit: the tables hold the whole rows so
   * far (a decode_status: an error fed before still sticks). */
  size_t (*rows)(void *state);
  int (*finish_stopped)(void *state);
} decoder_vtable;

/* A decoder at work: its functions and its state. */
typedef struct {
  const decoder_vtable *vt;
  void *state;
} decoder;

/* Allocates the state and runs init: 0, or -1 when memory ran out (d is then closed). */
int decoder_open(decoder *d, const decoder_vtable *vt, const decoder_options *opt);
/* Frees the state; does nothing on a zeroed or closed decoder. */
void decoder_close(decoder *d);

/* The registered decoder called `name`, or NULL. */
const decoder_vtable *decoder_by_name(const char *name);
/* The registered decoder that reads the media type of a Content-Type value (NULL: none). Media
 * types compare as RFC 9110 says: type and subtype case-insensitively, parameters ignored
 * ("Text/CSV; charset=utf-8" is text/csv), never by prefix ("text/csvx" is another type). */
const decoder_vtable *decoder_for_content_type(const char *ctype);
/* The i-th registered decoder, NULL past the last (for tests that try every decoder). */
const decoder_vtable *decoder_at(size_t i);

#endif
