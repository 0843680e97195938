#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 512

typedef struct block {
  struct block *next;
  size_t used, cap;
  /* followed by cap bytes */
} block;

typedef struct {
  const char *s;
  size_t len, pos;
  json_doc *doc;
  int depth;
} parser;

/* Arena blocks holding memory, for leak tests (the package is single-threaded). */
static long live_blocks = 0;

long json_live_blocks(void) { return live_blocks; }

static void *arena_alloc(json_doc *doc, size_t n) {
  n = (n + 15) & ~(size_t) 15;
  block *b = doc->blocks;
  if (b == NULL || b->cap - b->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    block *nb = malloc(sizeof(block) + cap);
    if (nb == NULL) return NULL;
    live_blocks++;
    nb->next = b;
    nb->used = 0;
    nb->cap = cap;
    doc->blocks = nb;
    b = nb;
  }
  void *p = (char *) (b + 1) + b->used;
  b->used += n;
  return p;
}

void json_free(json_doc *doc) {
  block *b = doc->blocks;
  while (b) {
    block *next = b->next;
    free(b);
    live_blocks--;
    b = next;
  }
  doc->blocks = NULL;
  doc->root = NULL;
}

static int perr(parser *p, const char *what) {
  snprintf(p->doc->error, sizeof p->doc->error, "%s at byte %zu", what, p->pos);
  return -1;
}

static void skip_ws(parser *p) {
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

static int hex4(parser *p, unsigned *out) {
  if (p->len - p->pos < 4) return perr(p, "truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p->s[p->pos++];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned) (c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned) (c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned) (c - 'A' + 10);
    else return perr(p, "bad \\u escape");
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char) cp; return 1; }
  if (cp < 0x800) { o[0] = (char) (0xc0 | (cp >> 6)); o[1] = (char) (0x80 | (cp & 0x3f)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char) (0xe0 | (cp >> 12)); o[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char) (0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char) (0xf0 | (cp >> 18)); o[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char) (0x80 | ((cp >> 6) & 0x3f)); o[3] = (char) (0x80 | (cp & 0x3f));
  return 4;
}

/* Length of the UTF-8 sequence at s[0..n) (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xc0) != 0x80) return 0;
  return len;
}

/* Parses a string at p->pos (at the opening quote) into arena memory. R strings are UTF-8 without
 * NUL, so invalid UTF-8 and \u0000 are parse errors rather than text R cannot hold. */
static int parse_string(parser *p, char **out, size_t *outlen) {
  p->pos++; /* opening quote */
  size_t start = p->pos, end = start;
  int escapes = 0;
  while (end < p->len && p->s[end] != '"') {
    unsigned char c = (unsigned char) p->s[end];
    if (c < 0x20) { p->pos = end; return perr(p, "control character in string"); }
    if (c >= 0x80) {
      size_t k = utf8_sequence((const unsigned char *) p->s + end, p->len - end);
      if (k == 0) { p->pos = end; return perr(p, "invalid UTF-8 in string"); }
      end += k;
      continue;
    }
    if (c == '\\') { escapes = 1; end++; }
    end++;
  }
  if (end >= p->len) { p->pos = end; return perr(p, "unterminated string"); }
  /* Decoded text is never longer than the escaped text. */
  char *o = arena_alloc(p->doc, end - start + 1);
  if (o == NULL) return perr(p, "out of memory");
  size_t n = 0;
  if (!escapes) {
    memcpy(o, p->s + start, end - start);
    n = end - start;
    p->pos = end + 1;
  } else {
    while (p->pos < end) {
      char c = p->s[p->pos++];
      if (c != '\\') { o[n++] = c; continue; }
      char e = p->s[p->pos++];
      switch (e) {
      case '"': o[n++] = '"'; break;
      case '\\': o[n++] = '\\'; break;
      case '/': o[n++] = '/'; break;
      case 'b': o[n++] = '\b'; break;
      case 'f': o[n++] = '\f'; break;
      case 'n': o[n++] = '\n'; break;
      case 'r': o[n++] = '\r'; break;
      case 't': o[n++] = '\t'; break;
      case 'u': {
        unsigned cp, lo;
        if (hex4(p, &cp) != 0) return -1;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
            return perr(p, "unpaired surrogate");
          p->pos += 2;
          if (hex4(p, &lo) != 0) return -1;
          if (lo < 0xdc00 || lo > 0xdfff) return perr(p, "unpaired surrogate");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          return perr(p, "unpaired surrogate");
        } else if (cp == 0) {
          p->pos -= 6;
          return perr(p, "\\u0000 (NUL), which R strings cannot hold,");
        }
        n += put_utf8(o + n, cp);
        break;
      }
      default:
        return perr(p, "bad escape");
      }
    }
    p->pos = end + 1;
  }
  o[n] = '\0';
  *out = o;
  *outlen = n;
  return 0;
}

static int parse_value(parser *p, json_node *node);

static int parse_number(parser *p, json_node *node) {
  size_t start = p->pos;
  if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
  size_t digits = p->pos;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
  if (p->pos == digits) return perr(p, "bad number");
  if (p->pos < p->len && p->s[p->pos] == '.') {
    p->pos++;
    size_t f = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos == f) return perr(p, "bad number");
  }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    p->pos++;
    if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
    size_t e = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos == e) return perr(p, "bad number");
  }
  size_t n = p->pos - start;
  char *text = arena_alloc(p->doc, n + 1);
  if (text == NULL) return perr(p, "out of memory");
  memcpy(text, p->s + start, n);
  text[n] = '\0';
  node->type = JSON_NUMBER;
  node->str = text;
  node->len = n;
  node->number = strtod(text, NULL);
  return 0;
}

static int literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) return perr(p, "unexpected token");
  p->pos += n;
  return 0;
}

static int parse_container(parser *p, json_node *node, int object) {
  if (++p->depth > JSON_MAX_DEPTH) return perr(p, "nesting too deep");
  node->type = object ? JSON_OBJECT : JSON_ARRAY;
  p->pos++;
  json_node **tail = &node->child;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == (object ? '}' : ']')) {
    p->pos++;
    p->depth--;
    return 0;
  }
  for (;;) {
    json_node *child = arena_alloc(p->doc, sizeof *child);
    if (child == NULL) return perr(p, "out of memory");
    memset(child, 0, sizeof *child);
    skip_ws(p);
    if (object) {
      if (p->pos >= p->len || p->s[p->pos] != '"') return perr(p, "expected a member name");
      if (parse_string(p, &child->key, &child->key_len) != 0) return -1;
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') return perr(p, "expected ':'");
      p->pos++;
    }
    if (parse_value(p, child) != 0) return -1;
    *tail = child;
    tail = &child->next;
    node->count++;
    skip_ws(p);
    if (p->pos >= p->len) return perr(p, "unterminated container");
    char c = p->s[p->pos++];
    if (c == ',') continue;
    if (c == (object ? '}' : ']')) break;
    p->pos--;
    return perr(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
  p->depth--;
  return 0;
}

static int parse_value(parser *p, json_node *node) {
  skip_ws(p);
  if (p->pos >= p->len) return perr(p, "unexpected end of input");
  char c = p->s[p->pos];
  switch (c) {
  case '{': return parse_container(p, node, 1);
  case '[': return parse_container(p, node, 0);
  case '"': node->type = JSON_STRING; return parse_string(p, &node->str, &node->len);
  case 't': node->type = JSON_BOOL; node->boolean = 1; return literal(p, "true");
  case 'f': node->type = JSON_BOOL; node->boolean = 0; return literal(p, "false");
  case 'n': node->type = JSON_NULL; return literal(p, "null");
  default:
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, node);
    return perr(p, "unexpected character");
  }
}

int json_parse(json_doc *doc, const char *text, size_t len) {
  memset(doc, 0, sizeof *doc);
  parser p = {text, len, 0, doc, 0};
  json_node *root = arena_alloc(doc, sizeof *root);
  if (root == NULL) {
    snprintf(doc->error, sizeof doc->error, "out of memory");
    return -1;
  }
  memset(root, 0, sizeof *root);
  if (parse_value(&p, root) != 0) {
    char keep[sizeof doc->error];
    memcpy(keep, doc->error, sizeof keep);
    json_free(doc);
    memcpy(doc->error, keep, sizeof keep);
    return -1;
  }
  skip_ws(&p);
  if (p.pos != len) {
    json_free(doc);
    snprintf(doc->error, sizeof doc->error, "trailing characters at byte %zu", p.pos);
    return -1;
  }
  doc->root = root;
  return 0;
}

int json_write_string(bytebuf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  if (bytebuf_append(out, "\"", 1) != 0) return -1;
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char) s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (bytebuf_append(out, s + run, i - run) != 0) return -1;
    char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    int rc;
    if (c == '"') rc = bytebuf_append(out, "\\\"", 2);
    else if (c == '\\') rc = bytebuf_append(out, "\\\\", 2);
    else if (c == '\n') rc = bytebuf_append(out, "\\n", 2);
    else if (c == '\t') rc = bytebuf_append(out, "\\t", 2);
    else if (c == '\r') rc = bytebuf_append(out, "\\r", 2);
    else rc = bytebuf_append(out, esc, 6);
    if (rc != 0) return -1;
    run = i + 1;
  }
  if (bytebuf_append(out, s + run, len - run) != 0) return -1;
  return bytebuf_append(out, "\"", 1);
}
