/* The SQL dialect of InfluxDB 3 (plain C, no R API): the one place that turns names and values
 * into SQL text. InfluxDB 3 parses SQL with Apache DataFusion's generic dialect, where the only
 * escape inside "identifiers" and 'strings' is the doubled delimiter: backslashes, newlines and
 * other control characters are read as themselves (checked with DataFusion 55). */
#ifndef INFLUXTK_DIALECT_SQL_H
#define INFLUXTK_DIALECT_SQL_H

#include <stddef.h>

#include "bytebuf.h"

int sql_quote_ident(bytebuf *out, const char *s, size_t len);
int sql_quote_string(bytebuf *out, const char *s, size_t len);

#endif
