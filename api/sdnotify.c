/* sd_notify for meshcad serve.  See sdnotify.h. */
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "meshca/clock.h"
#include "sdnotify.h"

void
notify_ready(const char *status)
{
    (void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
notify_reloading(void)
{
    /* MONOTONIC_USEC lets systemd (Type=notify-reload) tell this reload
     * from an earlier one; plain Type=notify ignores it. */
    (void)sd_notifyf(0,
        "RELOADING=1\nSTATUS=reloading the policy\n"
        "MONOTONIC_USEC=%llu", (unsigned long long)meshca_mono_us());
}

void
notify_stopping(void)
{
    (void)sd_notify(0, "STOPPING=1\nSTATUS=finishing requests in flight");
}
