/* Stopping background threads, see threads.h. */
#include "threads.h"

void
threads_stop(pthread_mutex_t *lock, pthread_cond_t *cond, int *flag,
    const pthread_t *threads, size_t n)
{
    size_t i;

    pthread_mutex_lock(lock);
    *flag = 1;
    pthread_cond_broadcast(cond);
    pthread_mutex_unlock(lock);
    for (i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
}
