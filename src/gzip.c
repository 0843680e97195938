#include "gzip.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

int gzip_bytes(const unsigned char *in, size_t len, bytebuf *out, size_t piece) {
  if (piece == 0 || piece > UINT_MAX) piece = UINT_MAX;
  z_stream z;
  memset(&z, 0, sizeof z);
  /* windowBits 15 + 16: a gzip wrapper, which is what Content-Encoding: gzip means. Level 1:
   * line protocol still shrinks about 6x, at a third of the time of the default level. */
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
  out->len = 0;
  /* Line protocol shrinks about 6x: a quarter of the input is room enough most of the time, and
   * the buffer doubles when not (reserving zlib's worst-case bound would double peak memory). */
  if (bytebuf_reserve(out, len / 4 + 1024) != 0) { deflateEnd(&z); return -1; }
  size_t left = len;
  int rc;
  do {
    if (z.avail_in == 0 && left > 0) {
      size_t k = left < piece ? left : piece;
      z.next_in = (Bytef *) (in + (len - left));
      z.avail_in = (uInt) k;
      left -= k;
    }
    if (out->cap - out->len < 64 && bytebuf_reserve(out, out->cap) != 0) { deflateEnd(&z); return -1; }
    size_t room = out->cap - out->len < piece ? out->cap - out->len : piece;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt) room;
    rc = deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
    out->len += room - z.avail_out;
    /* Z_BUF_ERROR only says no progress was possible this round; the loop gives it room or input. */
  } while (rc == Z_OK || rc == Z_BUF_ERROR);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? 0 : -1;
}
