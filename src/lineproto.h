/* Rows -> InfluxDB line protocol (plain C, no R API).
 *
 * Two escapings, one per parser (lineproto.c says what each parser does):
 * - LP_ESCAPE_GO (InfluxDB 1.x and 2.x): measurement: comma and space; tag keys, tag values, field
 *   keys: comma, equals sign and space (and in field keys a double quote after a backslash); a
 *   backslash is written as it is;
 * - LP_ESCAPE_RUST (InfluxDB 3.x): the same characters, and every backslash doubled.
 * String field values: double quote and backslash, for both. Names are refused (an error naming
 * the row and column), not mangled, where the server would store something else: a line break; a
 * trailing backslash; a measurement starting with '#'; invalid UTF-8; for Go a measurement
 * starting with a tab or with a backslash before , space = or ", a field key starting with a tab
 * or with an odd run of backslashes before , = or space, and a row whose backslashes would make
 * the server join its line with the next; for Rust a tab anywhere in a name. Newlines in string
 * field values are fine (the servers read them back). NA, NaN and Inf fields are left out; a row
 * with no field left is dropped and counted. NA tags are left out; tags go sorted by key. */
#ifndef INFLUXTK_LINEPROTO_H
#define INFLUXTK_LINEPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

typedef enum { LP_DOUBLE, LP_INT32, LP_INT64, LP_BOOL, LP_STRING } lp_type;

typedef struct {
  const char *key;      /* NUL-terminated UTF-8 */
  lp_type type;         /* tags are always LP_STRING */
  const double *dbl;    /* LP_DOUBLE */
  const int *i32;       /* LP_INT32 (NA = INT32_MIN) and LP_BOOL (0, 1, NA = INT32_MIN) */
  const int64_t *i64;   /* LP_INT64 (NA = INT64_MIN, bit64's NA) */
  const char *const *str; /* LP_STRING: NULL = NA */
} lp_column;

/* Which parser reads the text: Go's (1.x, 2.x) keeps a backslash before any other character,
 * Rust's (3.x) reads "\\" (two backslashes) as one. */
typedef enum { LP_ESCAPE_GO = 0, LP_ESCAPE_RUST = 1 } lp_escaping;

typedef struct {
  const char *const *measurement; /* per row; or one name for all rows when measurement_one */
  int measurement_one;
  const lp_column *tags;
  size_t ntags;
  const lp_column *fields;
  size_t nfields;
  const int64_t *time;  /* timestamps in the request precision; NULL: no timestamps */
  size_t nrow;
  lp_escaping escaping;
} lp_input;

typedef struct {
  size_t row;           /* 0-based row of the error */
  char column[256];
  char message[512];
} lp_error;

enum { LP_OK = 0, LP_BAD_INPUT = -1, LP_NOMEM = -2 };

/* Sorts the tags by key once (bytewise, as the server wants them); `order` gets ntags indexes. */
void lp_tag_order(const lp_input *in, size_t *order);
/* Checks every row: the first unwritable name or value. Returns LP_OK, LP_BAD_INPUT or LP_NOMEM. */
int lp_validate(const lp_input *in, const size_t *tag_order, lp_error *err);
/* Appends rows [from, to) to out; *lines and *dropped count what was written and left out. */
int lp_write(const lp_input *in, const size_t *tag_order, size_t from, size_t to, bytebuf *out,
             size_t *lines, size_t *dropped);

/* Enough for any double as lp_plain_double writes it (5e-324 takes 326 bytes with the NUL). */
enum { LP_PLAIN_MAX = 400 };
/* v as decimal text without an exponent, in the fewest digits that read back as v ("NaN", "Inf",
 * "-Inf" and "0" for -0, as R's as.character would): the text of numeric tag values, where
 * 1e+05 would be a different tag than 100000. Returns the length; buf holds LP_PLAIN_MAX bytes. */
size_t lp_plain_double(double v, char *buf);

#endif
