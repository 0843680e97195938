/* The InfluxQL dialect (plain C, no R API): the one place that turns names and values into
 * InfluxQL text, and that reads statement boundaries in a query the user wrote.
 *
 * Quoting follows the server's scanner: inside "identifiers" and 'strings' the only escapes are
 * \n, \\, \" and \', and a raw newline ends the token with an error, so a newline is written \n. */
#ifndef INFLUXTK_DIALECT_INFLUXQL_H
#define INFLUXTK_DIALECT_INFLUXQL_H

#include <stddef.h>

#include "bytebuf.h"

int iql_quote_ident(bytebuf *out, const char *s, size_t len);
int iql_quote_string(bytebuf *out, const char *s, size_t len);

typedef struct {
  size_t start, end;  /* byte range of the statement text, trimmed, without the ';' */
  int read_only;      /* SELECT without INTO, SHOW, EXPLAIN */
  char keyword[16];   /* first word, upper case, e.g. "SELECT" */
} iql_statement;

typedef enum { IQL_OK = 0, IQL_UNTERMINATED = -1, IQL_TOO_MANY = -2 } iql_split_status;

/* Splits a query into statements at top-level semicolons, skipping quoted identifiers, string
 * literals, regular expressions and comments. Empty statements are dropped. Writes at most `max`
 * statements and returns how many there are (or a negative iql_split_status). */
int iql_split(const char *q, size_t len, iql_statement *out, int max);

#endif
