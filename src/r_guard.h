/* Guards: external pointers that own malloc'd memory for the .Call glue, so that an R error
 * (which jumps out of C) never leaks it, and a registry of the live ones, so that unloading the
 * DLL can run their finalizers while the code they point to is still mapped.
 *
 * The rule at the R/C boundary: create and PROTECT the guard first, then malloc and hand the
 * memory to it at once (guard_set), before any other R call:
 *
 *   SEXP g = PROTECT(guard_new(thing_free));
 *   thing *t = calloc(1, sizeof *t);
 *   if (t == NULL) Rf_error("out of memory");
 *   guard_set(g, t);
 *   ... R calls that may raise an error ...
 *   guard_release(g);   (frees now; otherwise the finalizer frees it at the next GC)
 *   UNPROTECT(1);
 *
 * R_ExternalPtrAddr(g) is the memory itself, NULL once released. */
#ifndef INFLUXTK_R_GUARD_H
#define INFLUXTK_R_GUARD_H

#include "bytebuf.h"
#include "glue.h"

typedef void (*guard_release_fn)(void *p);

/* A guard holding nothing yet; `release` frees what it will hold. The caller PROTECTs it. */
SEXP guard_new(guard_release_fn release);
/* Hands p to the guard. Allocates nothing, so it cannot fail. */
void guard_set(SEXP guard, void *p);
/* Frees what the guard holds now (once: later calls and the finalizer do nothing). */
void guard_release(SEXP guard);
/* Runs the finalizer of every live guard: for R_unload, before the DLL goes away. */
void guard_release_all(void);
/* Guards whose finalizer has not run yet. */
int guard_live_count(void);

/* A guard holding an empty bytebuf (*out), for the common case of text built in C. The caller
 * PROTECTs the guard. */
SEXP guard_bytebuf(bytebuf **out);

#endif
