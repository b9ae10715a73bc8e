/* sshd's certificate login lines.  See sshdlog.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sshdlog.h"

#define MSG_MAX 2048

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Reads n digits at *sp into *vp.  0 or -1. */
static int
digits(const char **sp, int n, int *vp)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*sp)[i]))
            return -1;
        v = v * 10 + ((*sp)[i] - '0');
    }
    *sp += n;
    *vp = v;
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.f](Z|+HH:MM|-HH:MM)".  Returns the rest or NULL. */
static const char *
iso_prefix(const char *s, int64_t *usp)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    int64_t frac = 0, scale = 1000000;

    memset(&tm, 0, sizeof(tm));
    if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
        *s++ != '-' || digits(&s, 2, &d) || (*s != 'T' && *s != ' ') ||
        !++s || digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
        *s++ != ':' || digits(&s, 2, &sec))
        return NULL;
    if (*s == '.' || *s == ',')
        for (s++; isdigit((unsigned char)*s); s++)
            if (scale > 1) {
                scale /= 10;
                frac += (*s - '0') * scale;
            }
    if (*s == 'Z')
        s++;
    else if (*s == '+' || *s == '-') {
        sign = *s++ == '+' ? 1 : -1;
        if (digits(&s, 2, &oh) || (*s == ':' && !++s) || digits(&s, 2, &om))
            return NULL;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *usp = ((int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60)) * 1000000 +
        frac;
    return s;
}

/* "Mon DD HH:MM:SS" (the host's local time, which is taken as UTC: set
 * the log's time zone to UTC or use the journal). */
static const char *
syslog_prefix(const char *s, int year, int64_t *usp)
{
    struct tm tm;
    int mo, d, h, mi, sec;

    memset(&tm, 0, sizeof(tm));
    for (mo = 0; mo < 12; mo++)
        if (strncmp(s, months[mo], 3) == 0 && s[3] == ' ')
            break;
    if (mo == 12)
        return NULL;
    s += 4;
    if (*s == ' ')
        s++;
    d = (int)strtol(s, (char **)&s, 10);
    if (d < 1 || d > 31 || *s++ != ' ' || digits(&s, 2, &h) ||
        *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' ||
        digits(&s, 2, &sec))
        return NULL;
    tm.tm_year = year - 1900;
    tm.tm_mon = mo;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *usp = (int64_t)timegm(&tm) * 1000000;
    return s;
}

/* After a time: " HOST PROG[PID]: MESSAGE".  Returns MESSAGE or NULL. */
static const char *
after_tag(const char *s, long *pidp)
{
    const char *b = strstr(s, "]: "), *o;

    if (b == NULL)
        return NULL;
    for (o = b; o > s && o[-1] != '['; o--)
        ;
    *pidp = strtol(o, NULL, 10);
    return b + 3;
}

/* The slot of pid in the parser's small table of refusal reasons. */
static char *
reason_slot(struct sshd_parser *p, long pid, int create)
{
    unsigned i;

    for (i = 0; i < 16; i++)
        if (p->pid[i] == pid && (p->reason[i][0] != '\0' || create))
            return p->reason[i];
    if (!create)
        return NULL;
    i = p->next++ % 16;
    p->pid[i] = pid;
    return p->reason[i];
}

/* Copies the token at s up to the delimiter into out; returns the rest
 * after the delimiter, or NULL. */
static const char *
take(const char *s, const char *delim, char *out, size_t outlen)
{
    const char *e = strstr(s, delim);
    size_t n;

    if (e == NULL || (n = (size_t)(e - s)) == 0 || n >= outlen)
        return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return e + strlen(delim);
}

/* The certificate part: "TYPE-CERT FP ID KEYID (serial N) CA TYPE CAFP". */
static int
cert_fields(const char *s, struct sshd_login *o)
{
    char type[64], catype[64];
    const char *ser;
    size_t n;

    if ((s = take(s, " ", type, sizeof(type))) == NULL ||
        strlen(type) < 6 || strcmp(type + strlen(type) - 5, "-CERT") != 0 ||
        (s = take(s, " ID ", o->key_fingerprint,
            sizeof(o->key_fingerprint))) == NULL)
        return 0;
    /* The key id may hold anything: its end is the last " (serial ". */
    for (ser = NULL; strstr(ser ? ser + 1 : s, " (serial ") != NULL;)
        ser = strstr(ser ? ser + 1 : s, " (serial ");
    if (ser == NULL || (n = (size_t)(ser - s)) >= sizeof(o->key_id))
        return 0;
    memcpy(o->key_id, s, n);
    o->key_id[n] = '\0';
    s = ser + 9;
    if ((s = take(s, ") CA ", o->serial, sizeof(o->serial))) == NULL ||
        strspn(o->serial, "0123456789") != strlen(o->serial) ||
        (s = take(s, " ", catype, sizeof(catype))) == NULL)
        return 0;
    n = strcspn(s, " \r\n");
    if (n == 0 || n >= sizeof(o->ca_fingerprint))
        return 0;
    memcpy(o->ca_fingerprint, s, n);
    o->ca_fingerprint[n] = '\0';
    return 1;
}

/* An "Accepted/Failed publickey" message. */
static int
login_message(const char *m, struct sshd_login *o)
{
    char port[8];
    const char *s;
    int accepted;

    if (strncmp(m, "Accepted publickey for ", 23) == 0)
        accepted = 1;
    else if (strncmp(m, "Failed publickey for ", 21) == 0)
        accepted = 0;
    else
        return 0;
    s = m + (accepted ? 23 : 21);
    if (strncmp(s, "invalid user ", 13) == 0)
        s += 13;
    if ((s = take(s, " from ", o->account, sizeof(o->account))) == NULL ||
        (s = take(s, " port ", o->address, sizeof(o->address))) == NULL ||
        (s = take(s, " ssh2: ", port, sizeof(port))) == NULL ||
        strspn(port, "0123456789") != strlen(port))
        return 0;
    o->port = atoi(port);
    snprintf(o->result, sizeof(o->result), "%s",
        accepted ? "accepted" : "refused");
    return cert_fields(s, o);
}

static const char *
refusal_reason(const char *m)
{
    if (strstr(m, " revoked by file ") != NULL ||
        (strstr(m, "Authentication key") != NULL &&
         strstr(m, "revoked") != NULL))
        return "revoked";
    if (strstr(m, "does not contain an authorized principal") != NULL)
        return "wrong_principal";
    if (strstr(m, "Certificate invalid: expired") != NULL)
        return "expired";
    return NULL;
}

/* One message of process pid at at_us. */
static int
message(struct sshd_parser *p, const char *m, long pid, int64_t at_us,
    struct sshd_login *out)
{
    const char *why = refusal_reason(m);
    char *slot;

    if (why != NULL) {
        slot = reason_slot(p, pid, 1);
        snprintf(slot, 20, "%s", why);
        return 0;
    }
    memset(out, 0, sizeof(*out));
    if (!login_message(m, out))
        return 0;
    out->at_us = at_us;
    if ((slot = reason_slot(p, pid, 0)) != NULL) {
        if (strcmp(out->result, "refused") == 0)
            snprintf(out->result, sizeof(out->result), "%s", slot);
        slot[0] = '\0';
    }
    return 1;
}

int
sshd_parse_line(struct sshd_parser *p, const char *line, size_t len,
    int64_t now_us, int year_now, struct sshd_login *out)
{
    char buf[MSG_MAX];
    const char *rest, *m;
    int64_t at = now_us;
    long pid = 0;

    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, line, len);
    buf[len] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if ((rest = iso_prefix(buf, &at)) != NULL ||
        (rest = syslog_prefix(buf, year_now, &at)) != NULL)
        m = after_tag(rest, &pid);
    else
        m = buf;
    if (m == NULL)
        return 0;
    return message(p, m, pid, at, out);
}

int
sshd_parse_journal(struct sshd_parser *p, const char *json, size_t len,
    struct sshd_login *out, char *cursor, size_t cursorlen)
{
    json_t *o = json_loadb(json, len, 0, NULL);
    const char *m, *c, *pid, *ts;
    int r = 0;

    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    m = json_string_value(json_object_get(o, "MESSAGE"));
    c = json_string_value(json_object_get(o, "__CURSOR"));
    pid = json_string_value(json_object_get(o, "_PID"));
    ts = json_string_value(json_object_get(o, "__REALTIME_TIMESTAMP"));
    if (c != NULL)
        snprintf(cursor, cursorlen, "%s", c);
    if (m != NULL && ts != NULL && strlen(m) < MSG_MAX)
        r = message(p, m, pid ? strtol(pid, NULL, 10) : 0,
            strtoll(ts, NULL, 10), out);
    json_decref(o);
    return r;
}
