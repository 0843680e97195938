/* MessagePack reading (plain C, no R API): one item header at a time, skipping whole values, and
 * a resumable scanner that finds where a top-level document ends in a stream that arrives in
 * pieces. InfluxDB 1.x (and 2.x's v1-compatible /query) writes one document per chunk. */
#ifndef INFLUXTK_MSGPACK_H
#define INFLUXTK_MSGPACK_H

#include <stddef.h>
#include <stdint.h>

enum { MP_OK = 0, MP_NEED_MORE = 1, MP_BAD = -1 };

typedef enum {
  MP_NIL, MP_BOOL, MP_INT, MP_UINT, MP_FLOAT, MP_STR, MP_BIN, MP_ARRAY, MP_MAP, MP_EXT
} mp_kind;

typedef struct {
  mp_kind kind;
  int boolean;
  int64_t i;            /* MP_INT */
  uint64_t u;           /* MP_UINT (only values above INT64_MAX; smaller ones are MP_INT) */
  double f;             /* MP_FLOAT (float32 widened) */
  const unsigned char *ptr; /* MP_STR, MP_BIN, MP_EXT payload */
  uint32_t len;         /* payload bytes; element count for MP_ARRAY, pair count for MP_MAP */
  int8_t ext_type;      /* MP_EXT */
} mp_item;

/* Reads the item at buf[*pos] (header and, for str/bin/ext, its payload) and advances *pos.
 * Containers are not descended: their elements follow. */
int mp_read(const unsigned char *buf, size_t len, size_t *pos, mp_item *out);

/* Skips one complete value, containers included. */
int mp_skip(const unsigned char *buf, size_t len, size_t *pos);

#define MP_MAX_DEPTH 64

typedef struct {
  size_t pos;     /* bytes of the current document verified so far */
  int depth;      /* open containers (depth 0 and !started: nothing read yet) */
  int started;
  uint64_t remaining[MP_MAX_DEPTH]; /* items still expected in each open container */
} mp_scanner;

void mp_scanner_reset(mp_scanner *s);
/* Continues scanning buf[0, len) (the same document prefix as before, possibly longer).
 * MP_OK: one complete document is buf[0, s->pos). MP_NEED_MORE: wait for more bytes. */
int mp_scan(mp_scanner *s, const unsigned char *buf, size_t len);

/* InfluxDB writes time.Time as extension type 5: int64 seconds, uint32 nanoseconds, big endian. */
#define MP_EXT_TIME 5
int mp_ext_time_ns(const mp_item *it, int64_t *ns);

#endif
