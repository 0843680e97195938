/* Guards (see r_guard.h): each is an external pointer whose address is the memory it owns, with
 * a C finalizer registered through a weak reference that a C registry keeps. The finalizer is
 * code in this DLL: R would call it after library.dynam.unload() had unmapped it, so R_unload
 * runs every pending one first (R_RunWeakRefFinalizer also removes it from R's list). */
#include <stdlib.h>

#include "columns.h"
#include "json.h"
#include "r_guard.h"
#include "transport.h"

typedef struct guard_node {
  SEXP weakref;               /* kept alive by R's own list of weak references until finalized */
  guard_release_fn release;
  struct guard_node *prev, *next;
} guard_node;

static guard_node *live_head = NULL;
static int live_count = 0;

static void unlink_node(guard_node *n) {
  if (n->prev) n->prev->next = n->next; else live_head = n->next;
  if (n->next) n->next->prev = n->prev;
  live_count--;
}

/* The node hangs off the guard's protected slot, in a holder external pointer of its own. */
static guard_node *node_of(SEXP guard) {
  SEXP holder = R_ExternalPtrProtected(guard);
  return TYPEOF(holder) == EXTPTRSXP ? R_ExternalPtrAddr(holder) : NULL;
}

static void guard_finalize(SEXP guard) {
  guard_node *n = node_of(guard);
  void *p = R_ExternalPtrAddr(guard);
  R_ClearExternalPtr(guard);
  if (n == NULL) return; /* guard_new ran out of memory before the node existed */
  R_ClearExternalPtr(R_ExternalPtrProtected(guard));
  unlink_node(n);
  guard_release_fn release = n->release;
  free(n);
  if (p != NULL) release(p);
}

SEXP guard_new(guard_release_fn release) {
  SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
  SEXP guard = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, holder));
  SEXP weakref = R_MakeWeakRefC(guard, R_NilValue, guard_finalize, TRUE);
  /* No R allocation from here on: the node is linked before anything can jump. */
  guard_node *n = malloc(sizeof *n);
  if (n == NULL) Rf_error("out of memory");
  n->weakref = weakref;
  n->release = release;
  n->prev = NULL;
  n->next = live_head;
  if (live_head) live_head->prev = n;
  live_head = n;
  live_count++;
  R_SetExternalPtrAddr(holder, n);
  UNPROTECT(2);
  return guard;
}

void guard_set(SEXP guard, void *p) { R_SetExternalPtrAddr(guard, p); }

void guard_release(SEXP guard) {
  guard_node *n = node_of(guard);
  if (n != NULL) R_RunWeakRefFinalizer(n->weakref);
}

void guard_release_all(void) {
  while (live_head != NULL) {
    guard_node *n = live_head;
    R_RunWeakRefFinalizer(n->weakref);
    /* The finalizer unlinks the node; a weak reference already run by R would not. */
    if (live_head == n) { unlink_node(n); free(n); }
  }
}

int guard_live_count(void) { return live_count; }

static void bytebuf_release(void *p) {
  bytebuf_free(p);
  free(p);
}

SEXP guard_bytebuf(bytebuf **out) {
  SEXP guard = PROTECT(guard_new(bytebuf_release));
  bytebuf *b = malloc(sizeof *b);
  if (b == NULL) Rf_error("out of memory");
  bytebuf_init(b);
  guard_set(guard, b);
  *out = b;
  UNPROTECT(1);
  return guard;
}

/* For leak tests: what C holds now. An R error in the glue must not leave any of it behind once
 * gc() has run the finalizers. */
SEXP C_live_allocations(void) {
  const char *names[] = {"guards", "handles", "buffers", "json_blocks", "column_blocks", ""};
  SEXP out = PROTECT(Rf_mkNamed(INTSXP, names));
  INTEGER(out)[0] = guard_live_count();
  INTEGER(out)[1] = handle_live_count();
  INTEGER(out)[2] = (int) bytebuf_live_count();
  INTEGER(out)[3] = (int) json_live_blocks();
  INTEGER(out)[4] = (int) table_live_segments();
  UNPROTECT(1);
  return out;
}

/* .onUnload: every live guard's finalizer, while this DLL is still loaded. */
SEXP C_release_all(void) {
  guard_release_all();
  return R_NilValue;
}
