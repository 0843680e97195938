/* The Flux dialect (plain C, no R API): string literals, and finding calls that write data. */
#ifndef INFLUXTK_DIALECT_FLUX_H
#define INFLUXTK_DIALECT_FLUX_H

#include <stddef.h>

#include "bytebuf.h"

/* A Flux string literal: backslash, double quote and "${" (interpolation) escaped; control
 * characters as \n, \r, \t. */
int flux_quote_string(bytebuf *out, const char *s, size_t len);

/* Offset of the first call that writes data (to(), wideTo(), experimental.to(), sql.to(),
 * http.post(), ...), outside strings and comments; -1 if there is none, -2 if a string is not
 * closed. */
long flux_find_write_call(const char *q, size_t len);

#endif
