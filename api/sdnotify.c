/* sd_notify for meshcad serve.  See sdnotify.h. */
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "sdnotify.h"

void
notify_ready(const char *status)
{
    (void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
notify_reloading(void)
{
    struct timespec ts;

    /* MONOTONIC_USEC lets systemd (Type=notify-reload) tell this reload
     * from an earlier one; plain Type=notify ignores it. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    (void)sd_notifyf(0,
        "RELOADING=1\nSTATUS=reloading the policy\n"
        "MONOTONIC_USEC=%llu",
        (unsigned long long)ts.tv_sec * 1000000ULL +
            (unsigned long long)ts.tv_nsec / 1000ULL);
}

void
notify_stopping(void)
{
    (void)sd_notify(0, "STOPPING=1\nSTATUS=finishing requests in flight");
}
