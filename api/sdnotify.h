/*
 * Service manager notifications (systemd's sd_notify protocol, through
 * libsystemd): meshcad serve says READY=1 once the schema is current and the
 * listener is up, RELOADING=1 / READY=1 around a SIGHUP reload, and
 * STOPPING=1 on shutdown.  Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef MESHCAD_SDNOTIFY_H
#define MESHCAD_SDNOTIFY_H

/* A notification that cannot be sent is not an error for the service:
 * these return nothing and never block. */
void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);

#endif
