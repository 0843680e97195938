#include "bytebuf.h"

#include <stdlib.h>
#include <string.h>

/* Buffers holding memory, for leak tests (the package is single-threaded). */
static long live_buffers = 0;

long bytebuf_live_count(void) { return live_buffers; }

void bytebuf_init(bytebuf *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void bytebuf_free(bytebuf *b) {
  if (b->data != NULL) live_buffers--;
  free(b->data);
  bytebuf_init(b);
}

int bytebuf_reserve(bytebuf *b, size_t extra) {
  if (extra <= b->cap - b->len) return 0;
  if (extra > ((size_t) -1) / 2 - b->len) return -1;
  size_t want = b->len + extra;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < want) cap *= 2;
  unsigned char *p = realloc(b->data, cap);
  if (p == NULL) return -1;
  if (b->data == NULL) live_buffers++;
  b->data = p;
  b->cap = cap;
  return 0;
}

int bytebuf_append(bytebuf *b, const void *src, size_t n) {
  if (n == 0) return 0;
  if (bytebuf_reserve(b, n) != 0) return -1;
  memcpy(b->data + b->len, src, n);
  b->len += n;
  return 0;
}

int bytebuf_append_str(bytebuf *b, const char *s) {
  return bytebuf_append(b, s, strlen(s));
}

void bytebuf_consume(bytebuf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}
