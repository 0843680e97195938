#include "feed_thread.h"

#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)

feed_thread *feed_thread_start(feed_fn feed, void *state) {
  (void) feed;
  (void) state;
  return NULL;
}
int feed_thread_push(feed_thread *ft, const void *data, size_t len) {
  (void) ft;
  (void) data;
  (void) len;
  return -1;
}
int feed_thread_finish(feed_thread *ft) {
  (void) ft;
  return -1;
}
void feed_thread_cancel(feed_thread *ft) { (void) ft; }

#else

#include <pthread.h>

/* Pieces are gathered into chunks of this size (libcurl hands over 16 KB at a time), and at most
 * QUEUE_CHUNKS wait for the worker: the copy in flight stays small whatever the body's size. */
#define CHUNK_BYTES ((size_t) 256 * 1024)
#define QUEUE_CHUNKS 4

typedef struct chunk {
  struct chunk *next;
  size_t len;
  char data[];
} chunk;

struct feed_thread {
  feed_fn feed;
  void *state;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t changed; /* a chunk queued or taken, the end asked for, or the feed stopped */
  chunk *head, *tail;     /* queued, oldest first */
  size_t queued;
  chunk *filling;         /* the pusher's chunk being filled (not yet queued) */
  int ending;             /* no more pushes: feed what is queued, then stop */
  int cancelled;          /* stop now */
  int status;             /* the feed's first nonzero status (set by the worker) */
  int nomem;              /* a push could not get memory (set by the pusher) */
};

static void free_chunks(chunk *c) {
  while (c != NULL) {
    chunk *next = c->next;
    free(c);
    c = next;
  }
}

static void *worker(void *arg) {
  feed_thread *ft = arg;
  pthread_mutex_lock(&ft->lock);
  for (;;) {
    while (ft->head == NULL && !ft->ending && !ft->cancelled) pthread_cond_wait(&ft->changed, &ft->lock);
    if (ft->cancelled || ft->head == NULL) break;
    chunk *c = ft->head;
    ft->head = c->next;
    if (ft->head == NULL) ft->tail = NULL;
    ft->queued--;
    int stopped = ft->status != 0;
    pthread_cond_broadcast(&ft->changed);
    pthread_mutex_unlock(&ft->lock);
    /* after a stop, what is still queued is only dropped */
    int st = stopped ? 0 : ft->feed(ft->state, c->data, c->len);
    free(c);
    pthread_mutex_lock(&ft->lock);
    if (st != 0 && ft->status == 0) {
      ft->status = st;
      pthread_cond_broadcast(&ft->changed);
    }
  }
  pthread_mutex_unlock(&ft->lock);
  return NULL;
}

feed_thread *feed_thread_start(feed_fn feed, void *state) {
  feed_thread *ft = calloc(1, sizeof *ft);
  if (ft == NULL) return NULL;
  ft->feed = feed;
  ft->state = state;
  if (pthread_mutex_init(&ft->lock, NULL) != 0) {
    free(ft);
    return NULL;
  }
  if (pthread_cond_init(&ft->changed, NULL) != 0) {
    pthread_mutex_destroy(&ft->lock);
    free(ft);
    return NULL;
  }
  if (pthread_create(&ft->thread, NULL, worker, ft) != 0) {
    pthread_cond_destroy(&ft->changed);
    pthread_mutex_destroy(&ft->lock);
    free(ft);
    return NULL;
  }
  return ft;
}

/* Hands the filled chunk to the worker, waiting while the queue is full. */
static int enqueue(feed_thread *ft) {
  chunk *c = ft->filling;
  ft->filling = NULL;
  if (c == NULL) return 0;
  pthread_mutex_lock(&ft->lock);
  while (ft->queued >= QUEUE_CHUNKS && ft->status == 0) pthread_cond_wait(&ft->changed, &ft->lock);
  int st = ft->status;
  if (st == 0) {
    if (ft->tail) ft->tail->next = c;
    else ft->head = c;
    ft->tail = c;
    ft->queued++;
    pthread_cond_broadcast(&ft->changed);
  }
  pthread_mutex_unlock(&ft->lock);
  if (st != 0) free(c);
  return st;
}

int feed_thread_push(feed_thread *ft, const void *data, size_t len) {
  const char *p = data;
  if (ft->nomem) return -1;
  while (len > 0) {
    if (ft->filling == NULL) {
      ft->filling = malloc(sizeof(chunk) + CHUNK_BYTES);
      if (ft->filling == NULL) return ft->nomem = 1, -1;
      ft->filling->next = NULL;
      ft->filling->len = 0;
    }
    chunk *c = ft->filling;
    size_t n = CHUNK_BYTES - c->len < len ? CHUNK_BYTES - c->len : len;
    memcpy(c->data + c->len, p, n);
    c->len += n;
    p += n;
    len -= n;
    if (c->len == CHUNK_BYTES) {
      int st = enqueue(ft);
      if (st != 0) return st;
    }
  }
  return 0;
}

/* Ends the worker (after what is queued, or at once) and frees everything. */
static void stop(feed_thread *ft, int cancel) {
  pthread_mutex_lock(&ft->lock);
  ft->ending = 1;
  if (cancel) ft->cancelled = 1;
  pthread_cond_broadcast(&ft->changed);
  pthread_mutex_unlock(&ft->lock);
  pthread_join(ft->thread, NULL);
  free_chunks(ft->head);
  free(ft->filling);
  pthread_cond_destroy(&ft->changed);
  pthread_mutex_destroy(&ft->lock);
}

int feed_thread_finish(feed_thread *ft) {
  int st = ft->nomem ? -1 : enqueue(ft);
  stop(ft, st != 0);
  if (st == 0) st = ft->status; /* joined: the worker's last write is visible */
  free(ft);
  return st;
}

void feed_thread_cancel(feed_thread *ft) {
  stop(ft, 1);
  free(ft);
}

#endif
