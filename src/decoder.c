/* The registry of response decoders and their lookup by name and by media type (plain C). */
#include "decoder.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "decode_flux.h"
#include "decode_jsonl.h"
#include "decode_v1.h"

/* Every decoder the package has: a new one is one more line. */
static const decoder_vtable *const registry[] = {
  &v1_decoder_vtable,
  &flux_decoder_vtable,
  &jsonl_decoder_vtable,
  NULL
};

const decoder_vtable *decoder_at(size_t i) {
  return i < sizeof registry / sizeof registry[0] ? registry[i] : NULL;
}

int decoder_open(decoder *d, const decoder_vtable *vt, const decoder_options *opt) {
  d->vt = vt;
  d->state = calloc(1, vt->state_size);
  if (d->state == NULL) { d->vt = NULL; return -1; }
  if (vt->init(d->state, opt) != 0) { decoder_close(d); return -1; }
  return 0;
}

void decoder_close(decoder *d) {
  if (d->state != NULL) {
    d->vt->free(d->state);
    free(d->state);
  }
  d->state = NULL;
  d->vt = NULL;
}

const decoder_vtable *decoder_by_name(const char *name) {
  for (size_t i = 0; registry[i] != NULL; i++)
    if (strcmp(registry[i]->name, name) == 0) return registry[i];
  return NULL;
}

/* Whether a Content-Type value names the media type `want` (lower case). */
static int media_type_is(const char *ctype, const char *want) {
  size_t n = strlen(want);
  while (*ctype == ' ' || *ctype == '\t') ctype++;
  for (size_t i = 0; i < n; i++)
    if (tolower((unsigned char) ctype[i]) != want[i]) return 0;
  char next = ctype[n];
  return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

static int decoder_takes(const decoder_vtable *vt, const char *ctype) {
  for (const char *const *t = vt->content_types; *t != NULL; t++)
    if (media_type_is(ctype, *t)) return 1;
  return 0;
}

const decoder_vtable *decoder_for_content_type(const char *ctype) {
  if (ctype == NULL) return NULL;
  for (size_t i = 0; registry[i] != NULL; i++)
    if (decoder_takes(registry[i], ctype)) return registry[i];
  return NULL;
}
