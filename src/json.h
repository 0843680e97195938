/* A small JSON reader into a tree, and a string writer (plain C, no R API). Used for error bodies,
 * /health and the v2 management API; bulk query results never go through it. */
#ifndef INFLUXTK_JSON_H
#define INFLUXTK_JSON_H

#include <stddef.h>

#include "bytebuf.h"

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_node {
  json_type type;
  int boolean;
  double number;
  char *str;           /* JSON_STRING: decoded UTF-8, NUL-terminated; JSON_NUMBER: its text */
  size_t len;
  char *key;           /* member name when inside an object */
  size_t key_len;
  struct json_node *child; /* first element or member */
  struct json_node *next;
  size_t count;        /* elements or members */
} json_node;

typedef struct {
  json_node *root;
  void *blocks;        /* arena of nodes and strings, freed at once */
  char error[256];
} json_doc;

/* 0 on success; -1 with doc->error set. The input need not be NUL-terminated. */
int json_parse(json_doc *doc, const char *text, size_t len);
void json_free(json_doc *doc);
/* Arena blocks that hold memory now: leak tests compare it before and after. */
long json_live_blocks(void);

/* Appends s as a quoted JSON string. 0 or -1. */
int json_write_string(bytebuf *out, const char *s, size_t len);

#endif
