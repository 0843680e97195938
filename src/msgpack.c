#include "msgpack.h"

#include <string.h>

static uint64_t be(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 8) | p[i];
  return v;
}

/* Header width and payload width for a type byte whose payload length sits in the header. */
static int payload(const unsigned char *buf, size_t len, size_t *pos, int lenbytes, int extra,
                   mp_item *out) {
  size_t p = *pos + 1;
  if (len - p < (size_t) (lenbytes + extra)) return MP_NEED_MORE;
  uint64_t n = be(buf + p, lenbytes);
  p += lenbytes;
  if (extra) out->ext_type = (int8_t) buf[p++];
  if (len - p < n) return MP_NEED_MORE;
  out->ptr = buf + p;
  out->len = (uint32_t) n;
  *pos = p + n;
  return MP_OK;
}

static int fixed(const unsigned char *buf, size_t len, size_t *pos, int n, mp_item *out) {
  if (len - *pos - 1 < (size_t) n) return MP_NEED_MORE;
  out->ptr = buf + *pos + 1;
  *pos += 1 + n;
  return MP_OK;
}

int mp_read(const unsigned char *buf, size_t len, size_t *pos, mp_item *out) {
  if (*pos >= len) return MP_NEED_MORE;
  unsigned char t = buf[*pos];
  memset(out, 0, sizeof *out);
  int rc;

  if (t <= 0x7f) { out->kind = MP_INT; out->i = t; *pos += 1; return MP_OK; }
  if (t >= 0xe0) { out->kind = MP_INT; out->i = (int8_t) t; *pos += 1; return MP_OK; }
  if ((t & 0xf0) == 0x80) { out->kind = MP_MAP; out->len = t & 0x0f; *pos += 1; return MP_OK; }
  if ((t & 0xf0) == 0x90) { out->kind = MP_ARRAY; out->len = t & 0x0f; *pos += 1; return MP_OK; }
  if ((t & 0xe0) == 0xa0) {
    out->kind = MP_STR;
    size_t n = t & 0x1f;
    if (len - *pos - 1 < n) return MP_NEED_MORE;
    out->ptr = buf + *pos + 1;
    out->len = (uint32_t) n;
    *pos += 1 + n;
    return MP_OK;
  }

  switch (t) {
  case 0xc0: out->kind = MP_NIL; *pos += 1; return MP_OK;
  case 0xc2: out->kind = MP_BOOL; out->boolean = 0; *pos += 1; return MP_OK;
  case 0xc3: out->kind = MP_BOOL; out->boolean = 1; *pos += 1; return MP_OK;
  case 0xc4: out->kind = MP_BIN; return payload(buf, len, pos, 1, 0, out);
  case 0xc5: out->kind = MP_BIN; return payload(buf, len, pos, 2, 0, out);
  case 0xc6: out->kind = MP_BIN; return payload(buf, len, pos, 4, 0, out);
  case 0xc7: out->kind = MP_EXT; return payload(buf, len, pos, 1, 1, out);
  case 0xc8: out->kind = MP_EXT; return payload(buf, len, pos, 2, 1, out);
  case 0xc9: out->kind = MP_EXT; return payload(buf, len, pos, 4, 1, out);
  case 0xca: {
    out->kind = MP_FLOAT;
    if ((rc = fixed(buf, len, pos, 4, out)) != MP_OK) return rc;
    uint32_t bits = (uint32_t) be(out->ptr, 4);
    float f;
    memcpy(&f, &bits, 4);
    out->f = f;
    out->ptr = NULL;
    return MP_OK;
  }
  case 0xcb: {
    out->kind = MP_FLOAT;
    if ((rc = fixed(buf, len, pos, 8, out)) != MP_OK) return rc;
    uint64_t bits = be(out->ptr, 8);
    memcpy(&out->f, &bits, 8);
    out->ptr = NULL;
    return MP_OK;
  }
  case 0xcc: case 0xcd: case 0xce: case 0xcf: {
    int n = 1 << (t - 0xcc);
    if ((rc = fixed(buf, len, pos, n, out)) != MP_OK) return rc;
    uint64_t v = be(out->ptr, n);
    out->ptr = NULL;
    if (v > (uint64_t) INT64_MAX) { out->kind = MP_UINT; out->u = v; }
    else { out->kind = MP_INT; out->i = (int64_t) v; }
    return MP_OK;
  }
  case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
    int n = 1 << (t - 0xd0);
    if ((rc = fixed(buf, len, pos, n, out)) != MP_OK) return rc;
    uint64_t v = be(out->ptr, n);
    out->ptr = NULL;
    out->kind = MP_INT;
    switch (n) {
    case 1: out->i = (int8_t) v; break;
    case 2: out->i = (int16_t) v; break;
    case 4: out->i = (int32_t) v; break;
    default: out->i = (int64_t) v; break;
    }
    return MP_OK;
  }
  case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
    size_t n = (size_t) 1 << (t - 0xd4);
    if (len - *pos < 2 + n) return MP_NEED_MORE;
    out->kind = MP_EXT;
    out->ext_type = (int8_t) buf[*pos + 1];
    out->ptr = buf + *pos + 2;
    out->len = (uint32_t) n;
    *pos += 2 + n;
    return MP_OK;
  }
  case 0xd9: out->kind = MP_STR; return payload(buf, len, pos, 1, 0, out);
  case 0xda: out->kind = MP_STR; return payload(buf, len, pos, 2, 0, out);
  case 0xdb: out->kind = MP_STR; return payload(buf, len, pos, 4, 0, out);
  case 0xdc: case 0xdd: {
    int n = t == 0xdc ? 2 : 4;
    if ((rc = fixed(buf, len, pos, n, out)) != MP_OK) return rc;
    out->kind = MP_ARRAY;
    out->len = (uint32_t) be(out->ptr, n);
    out->ptr = NULL;
    return MP_OK;
  }
  case 0xde: case 0xdf: {
    int n = t == 0xde ? 2 : 4;
    if ((rc = fixed(buf, len, pos, n, out)) != MP_OK) return rc;
    out->kind = MP_MAP;
    out->len = (uint32_t) be(out->ptr, n);
    out->ptr = NULL;
    return MP_OK;
  }
  default: /* 0xc1 is never used */
    return MP_BAD;
  }
}

static uint64_t children(const mp_item *it) {
  if (it->kind == MP_ARRAY) return it->len;
  if (it->kind == MP_MAP) return 2 * (uint64_t) it->len;
  return 0;
}

int mp_skip(const unsigned char *buf, size_t len, size_t *pos) {
  mp_scanner s;
  mp_scanner_reset(&s);
  s.pos = *pos;
  int rc = mp_scan(&s, buf, len);
  if (rc == MP_OK) *pos = s.pos;
  return rc == MP_NEED_MORE ? MP_BAD : rc;
}

void mp_scanner_reset(mp_scanner *s) {
  s->pos = 0;
  s->depth = 0;
  s->started = 0;
}

int mp_scan(mp_scanner *s, const unsigned char *buf, size_t len) {
  for (;;) {
    if (s->started && s->depth == 0) return MP_OK;
    /* A finished container closes before the next item is read. */
    if (s->depth > 0 && s->remaining[s->depth - 1] == 0) {
      s->depth--;
      continue;
    }
    mp_item it;
    size_t p = s->pos;
    int rc = mp_read(buf, len, &p, &it);
    if (rc != MP_OK) return rc;
    s->pos = p;
    if (s->depth > 0) s->remaining[s->depth - 1]--;
    s->started = 1;
    uint64_t n = children(&it);
    if (it.kind == MP_ARRAY || it.kind == MP_MAP) {
      if (s->depth == MP_MAX_DEPTH) return MP_BAD;
      s->remaining[s->depth++] = n;
    }
  }
}

int mp_ext_time_ns(const mp_item *it, int64_t *ns) {
  if (it->kind != MP_EXT || it->ext_type != MP_EXT_TIME || it->len != 12) return MP_BAD;
  int64_t sec = (int64_t) be(it->ptr, 8);
  int64_t nsec = (int64_t) be(it->ptr + 8, 4);
  if (nsec >= 1000000000) return MP_BAD;
  /* Representable range of int64 nanoseconds: years 1677 to 2262, which is InfluxDB's too. */
  if (sec > INT64_MAX / 1000000000 - 1 || sec < INT64_MIN / 1000000000 + 1) return MP_BAD;
  *ns = sec * 1000000000 + nsec;
  return MP_OK;
}
