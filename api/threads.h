/* Stopping meshcad's background threads. */
#ifndef MESHCAD_THREADS_H
#define MESHCAD_THREADS_H

#include <pthread.h>
#include <stddef.h>

/* Stops the n threads that wait on cond under lock until *flag is set:
 * sets *flag under lock, wakes every waiter, then joins each thread.
 * Destroys neither lock nor cond. */
void threads_stop(pthread_mutex_t *lock, pthread_cond_t *cond, int *flag,
    const pthread_t *threads, size_t n);

#endif
