/* The .Call glue between decoders (decoder.h) and R: the one place that turns what a decoder made
 * of a body into R objects, for live responses (request.c) and recorded bodies alike. */
#ifndef INFLUXTK_R_DECODE_H
#define INFLUXTK_R_DECODE_H

#include "decoder.h"
#include "glue.h"

/* Positions in the list decoder_finish_to_r returns:
 * list(status, message, statement, tables, notices). */
enum { DECODED_STATUS, DECODED_MESSAGE, DECODED_STATEMENT, DECODED_TABLES, DECODED_NOTICES, DECODED_LENGTH };

/* The registered decoder R calls `name`; an R error for any other name. */
const decoder_vtable *decoder_named(const char *name);
/* Opens d (already owned by the caller's guard) with the options in the list `opts` (the `frame`
 * of query.R); an R error when memory runs out. */
void decoder_start(decoder *d, const decoder_vtable *vt, SEXP opts);
/* `row_limit` of `opts`: the rows after which a reader stops the body (0: none). */
size_t decoder_row_limit(SEXP opts);
/* Finishes the decoder (finish_stopped when `stopped`: the body was cut short on purpose at a
 * row limit; or takes the error feed stopped at) and returns
 * list(status, message, statement, tables, notices): message NA and tables data frames (frame
 * options from `opts`) when the body decoded, tables NULL otherwise; notices NULL when none. */
SEXP decoder_finish_to_r(decoder *d, SEXP opts, int stopped);

#endif
