/*
 * meshca ssh-config --install's last step: the "Include" line in
 * ~/.ssh/config, added at the top (before any Host block, where ssh reads
 * it for every host) after a backup, only when no Include there already
 * covers the snippet.  See cli_install.h.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "cli_install.h"

#define SSH_CONFIG_MAX (1024 * 1024)

/* Whether one Include argument (as ssh reads it: "~/" is the home,
 * relative is under ~/.ssh, globs allowed) names snippet. */
static int
arg_covers(const char *arg, const char *home, const char *snippet)
{
    char pat[2048];

    if (strncmp(arg, "~/", 2) == 0)
        snprintf(pat, sizeof(pat), "%s/%s", home, arg + 2);
    else if (arg[0] != '/')
        snprintf(pat, sizeof(pat), "%s/.ssh/%s", home, arg);
    else
        snprintf(pat, sizeof(pat), "%s", arg);
    return fnmatch(pat, snippet, FNM_PATHNAME) == 0;
}

/* Whether the ssh_config line starts with keyword kw (any case). */
static int
keyword_is(const char *line, const char *kw)
{
    size_t n = strlen(kw);

    return strncasecmp(line, kw, n) == 0 &&
        (line[n] == ' ' || line[n] == '\t' || line[n] == '=');
}

/* Whether the config text already has an Include naming snippet that
 * applies to every host (before the first Host or Match). */
static int
has_include(char *text, const char *home, const char *snippet)
{
    char *line, *save = NULL, *tok, *s2;

    for (line = strtok_r(text, "\n", &save); line != NULL;
        line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " \t");
        /* From the first Host or Match on, an Include is read only for
         * the hosts that block names: it does not count. */
        if (keyword_is(line, "host") || keyword_is(line, "match"))
            return 0;
        if (strncasecmp(line, "include", 7) != 0 ||
            (line[7] != ' ' && line[7] != '\t' && line[7] != '='))
            continue;
        for (tok = strtok_r(line + 8, " \t=\r\"", &s2); tok != NULL;
            tok = strtok_r(NULL, " \t=\r\"", &s2))
            if (arg_covers(tok, home, snippet))
                return 1;
    }
    return 0;
}

/* The whole of path into *textp (NUL-terminated; "" when it is missing).
 * Returns 0, or -1 with why filled. */
static int
read_config(const char *path, char **textp, size_t *lenp, int *existsp,
    char *why, size_t whylen)
{
    FILE *f = fopen(path, "r");
    size_t n;

    *existsp = f != NULL;
    if (f == NULL && errno != ENOENT) {
        snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    if ((*textp = calloc(1, SSH_CONFIG_MAX + 1)) == NULL) {
        snprintf(why, whylen, "out of memory");
        if (f != NULL)
            fclose(f);
        return -1;
    }
    n = f != NULL ? fread(*textp, 1, SSH_CONFIG_MAX, f) : 0;
    if (f != NULL)
        fclose(f);
    if (n >= SSH_CONFIG_MAX) {
        snprintf(why, whylen, "%s is larger than 1 MiB; add the Include "
            "line yourself", path);
        return -1;
    }
    (*textp)[n] = '\0';
    *lenp = n;
    return 0;
}

int
install_ssh_include(const char *home, const char *snippet, char *backup,
    size_t backuplen, int *addedp, char *why, size_t whylen)
{
    char path[1100], *text = NULL, *copy = NULL, *next = NULL, stamp[32];
    size_t len = 0;
    struct stat sb;
    time_t now = time(NULL);
    int exists, r = -1;
    unsigned mode = 0600;

    *addedp = 0;
    backup[0] = '\0';
    snprintf(path, sizeof(path), "%s/.ssh/config", home);
    if (read_config(path, &text, &len, &exists, why, whylen) != 0)
        goto out;
    if ((copy = strdup(text)) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (has_include(copy, home, snippet)) {
        r = 0;
        goto out;
    }
    if (exists) {
        /* Keep the mode the person chose (ssh refuses a writable one). */
        if (stat(path, &sb) == 0)
            mode = (unsigned)sb.st_mode & 0644;
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
        snprintf(backup, backuplen, "%s.meshca-%s.bak", path, stamp);
        if (install_write_file(backup, text, len, 0600) != 0) {
            snprintf(why, whylen, "cannot write the backup %s: %s", backup,
                strerror(errno));
            backup[0] = '\0';
            goto out;
        }
    }
    if (asprintf(&next, "# Added by meshca ssh-config --install: the "
        "certificates of meshca login --files\nInclude %s%s%s\n\n%s",
        strchr(snippet, ' ') ? "\"" : "", snippet, strchr(snippet, ' ') ?
        "\"" : "", text) < 0) {
        next = NULL;
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (install_write_file(path, next, strlen(next), mode) != 0) {
        snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    *addedp = 1;
    r = 0;
out:
    free(text);
    free(copy);
    free(next);
    return r;
}
