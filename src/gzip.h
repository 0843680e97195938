/* Bytes -> one gzip member (plain C, no R API), for Content-Encoding: gzip request bodies. */
#ifndef INFLUXTK_GZIP_H
#define INFLUXTK_GZIP_H

#include <stddef.h>

#include "bytebuf.h"

/* Replaces out's contents with the gzip of in[0, len). zlib counts in 32-bit uInt, so the input
 * goes through deflate in pieces of at most `piece` bytes (0: the largest zlib takes); any size
 * is compressed whole. Returns 0, or -1 when out of memory or zlib fails. */
int gzip_bytes(const unsigned char *in, size_t len, bytebuf *out, size_t piece);

#endif
