/* A growable byte buffer (plain C, no R API). */
#ifndef INFLUXTK_BYTEBUF_H
#define INFLUXTK_BYTEBUF_H

#include <stddef.h>

typedef struct {
  unsigned char *data;
  size_t len;
  size_t cap;
} bytebuf;

void bytebuf_init(bytebuf *b);
void bytebuf_free(bytebuf *b);
/* Returns 0 on success, -1 when memory is exhausted (the buffer is left unchanged). */
int bytebuf_reserve(bytebuf *b, size_t extra);
int bytebuf_append(bytebuf *b, const void *src, size_t n);
int bytebuf_append_str(bytebuf *b, const char *s);
/* Drops the first n bytes, keeping the rest at the front. */
void bytebuf_consume(bytebuf *b, size_t n);
/* Buffers that hold memory now: leak tests compare it before and after. */
long bytebuf_live_count(void);

#endif
