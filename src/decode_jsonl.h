/* Decoder for InfluxDB 3 query results in JSON lines (format=jsonl; plain C, no R API).
 *
 * The server writes each Arrow record batch with arrow_json's LineDelimitedWriter: one JSON object
 * per row and "\n" after each, keys in the result's column order, a null left out of its line
 * (NaN and infinities are written as an explicit null), time as "2065-01-07T17:28:51[.fff]" in UTC
 * without a zone. All lines go into ONE table: the union of their keys, NA where a line lacks one.
 *
 * Lines are decoded as soon as their "\n" arrives; pieces may split a line anywhere, and only the
 * unfinished line is kept (a line inside one piece is read in place). A last line without "\n" is
 * accepted; "\r\n" and blank lines are tolerated. Past the first megabyte, decoding moves to a
 * worker thread, so that it overlaps the transfer of the rest (feed_thread.h).
 *
 * Types come from the values: a string is a string, except in time columns (the key "time", and
 * columns hinted "timestamp"), where it is parsed to nanoseconds and any other value but null is
 * malformed (the server writes every time as a string); true/false a boolean; an integer
 * literal an exact int64 (parsed as digits, never through a double); an integer above INT64_MAX a
 * double flagged inexact, as the Flux decoder does for unsignedLong; a number with a fraction or
 * exponent a double; a column with both integers and doubles is double; one with numbers and
 * strings is text, a number arriving after a string as written, one before it as the shortest text
 * that reads back as its double (InfluxQL over measurements whose field differs in type). Arrays
 * and objects (lists and structs, which SQL can produce) are kept as their JSON text in a string
 * column. Hints (e.g. from information_schema.columns) override this per column, and create the
 * columns that no line mentions because every value was null.
 *
 * Strings: escapes are decoded to UTF-8 (surrogate pairs included); \u0000 gives a NUL byte and
 * raw invalid UTF-8 is kept, both left to the caller's bad_strings policy as with the other
 * decoders (r_columns.c). A lone surrogate escape is malformed, as the server's own JSON library
 * (serde_json) rejects it: no UTF-8 can hold it, and InfluxDB 3 never writes one. */
#ifndef INFLUXTK_DECODE_JSONL_H
#define INFLUXTK_DECODE_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "columns.h"
#include "decoder.h"
#include "feed_thread.h"

/* The decoder as the package reaches it: name "jsonl", media type application/jsonl (what 3.x
 * sends for format=jsonl) and the other names JSON lines go by. */
extern const decoder_vtable jsonl_decoder_vtable;

typedef enum {
  JSONL_OK = DECODE_OK,
  JSONL_ERR_MALFORMED = DECODE_ERR_MALFORMED, /* not JSON lines of objects; the message names the line and byte */
  JSONL_ERR_TRUNCATED = DECODE_ERR_TRUNCATED, /* the body ended inside a line */
  JSONL_ERR_NOMEM = DECODE_ERR_NOMEM
} jsonl_status;

/* What a hint says a column is (names as information_schema.columns types map to them). */
typedef enum {
  JSONL_AUTO = 0,  /* from the values */
  JSONL_TIMESTAMP, /* strings parsed as times (with or without a zone) */
  JSONL_FLOAT,     /* integer literals become doubles */
  JSONL_INT,
  JSONL_UINT,      /* above INT64_MAX a double flagged inexact; a negative value is malformed */
  JSONL_BOOL,
  JSONL_STRING,    /* numbers and booleans kept as their literal text */
  JSONL_TAG        /* a string column with the tag role (sorted with the tags after time) */
} jsonl_type;

typedef struct jsonl_hint {
  const char *name;
  size_t len;
  jsonl_type type;
  int required; /* create the column even when no line mentions it: all NA, of its type */
} jsonl_hint;

typedef struct {
  const jsonl_hint *hints; /* copied by jsonl_init: the caller may free them afterwards */
  size_t nhints;
  int measurement_role; /* "iox::measurement" gets ROLE_MEASUREMENT (the 1.x shape in r_columns.c) */
} jsonl_options;

/* Maps an information_schema-style or package type name ("timestamp", "float", "int", "uint",
 * "bool", "string", "tag") to its jsonl_type; -1 for an unknown name. */
int jsonl_type_from_name(const char *name);

/* Strings a column remembers, by a hash of their length and outer bytes: tags repeat a few
 * values, and equal values then share one arena copy (and r_columns.c one CHARSXP) without a
 * look-up in the table's index. */
#define JSONL_STRING_CACHE 16

typedef struct {
  jsonl_type type;  /* the hint, or JSONL_TIMESTAMP for "time" */
  size_t seen_row;  /* 1 + the row that last mentioned the key (duplicate keys), 0 = none */
  strref cache[JSONL_STRING_CACHE]; /* strings put, shared by later equal values */
  char *key;        /* "name": as the server writes the key, matched raw; NULL when the name
                     * has a quote, backslash or control byte (escaped in the body) */
  size_t key_len;
} jsonl_column;

typedef struct {
  jsonl_options opt;
  jsonl_hint *hints;    /* own copy, sorted by name for lookup */
  char *hint_names;
  table *out;
  jsonl_status status;
  char message[2048];

  bytebuf pending;      /* the unfinished line */
  bytebuf text;         /* a string value or key with its escapes decoded */
  jsonl_column *cols;   /* by table column */
  size_t cap_cols;
  int *order;           /* the columns of the previous line, key by key: most lines repeat it */
  size_t cap_order;
  size_t line;          /* lines completed, so the one being read is line + 1 */
  uint64_t line_start;  /* byte offset of the current line in the body */
  char date[10];        /* the date of the last time parsed, and its midnight in UTC */
  int64_t date_ns;
  int date_valid;       /* date and date_ns hold a parsed date (not before the first, nor after a
                         * date that failed) */

  /* Bodies beyond thread_after bytes are decoded on a worker thread while the rest arrives
   * (feed_thread.h); until then, and where no thread can be made, in the caller's. */
  feed_thread *worker;
  size_t fed, thread_after;
} jsonl_decoder;

/* The size from which a body is decoded on a worker thread: small answers never start one. */
#define JSONL_THREAD_AFTER ((size_t) 1 << 20)

int jsonl_init(jsonl_decoder *d, const jsonl_options *opt);
void jsonl_free(jsonl_decoder *d);
/* A piece of the body. With a worker running, an error in the lines is reported by a later feed
 * or by jsonl_finish rather than by the feed of its piece. */
jsonl_status jsonl_feed(jsonl_decoder *d, const void *data, size_t len);
/* The end of the body: decodes a last line without "\n", creates the required hinted columns and
 * pads every column to the row count. */
jsonl_status jsonl_finish(jsonl_decoder *d);

#endif
