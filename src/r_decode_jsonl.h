/* The JSON-lines decoder's options read from R (r_decode_jsonl.c). */
#ifndef INFLUXTK_R_DECODE_JSONL_H
#define INFLUXTK_R_DECODE_JSONL_H

#include "decode_jsonl.h"
#include "glue.h"

/* From list(types = c(name = "float", ...), columns = c(...), measurement = TRUE); an R error for
 * an unknown type name. The hints are in R memory until the .Call returns. */
void jsonl_options_from_list(SEXP opts, jsonl_options *o);

#endif
