/* Strict JSON reading with path-precise diagnostics, see meshca/jsonv.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/duration.h"
#include "meshca/jsonv.h"

static const char *
type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

static void
key_path(char *out, size_t outlen, const char *path, const char *key)
{
    if (path == NULL || *path == '\0')
        snprintf(out, outlen, "%s", key);
    else
        snprintf(out, outlen, "%s.%s", path, key);
}

int
jsonv_known_keys(const json_t *obj, const char *path,
    const char *const *allowed, struct diags *d)
{
    const char *key;
    json_t *v;
    char p[512], list[512];
    size_t i, off;
    int n = 0, known;

    list[0] = '\0';
    for (i = 0, off = 0; allowed[i] != NULL && off < sizeof(list); i++) {
        int w = snprintf(list + off, sizeof(list) - off, "%s%s",
            i ? ", " : "", allowed[i]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    json_object_foreach((json_t *)obj, key, v) {
        known = 0;
        for (i = 0; allowed[i] != NULL; i++)
            if (strcmp(key, allowed[i]) == 0)
                known = 1;
        if (!known) {
            key_path(p, sizeof(p), path, key);
            diags_add(d, "%s: unknown key (expected one of: %s)", p, list);
            n++;
        }
    }
    return n;
}

int
jsonv_object(const json_t *obj, const char *path,
    const char *const *allowed, struct diags *d)
{
    if (!json_is_object(obj)) {
        diags_add(d, "%s: must be an object", path);
        return 0;
    }
    (void)jsonv_known_keys(obj, path, allowed, d);
    return 1;
}

static const json_t *
get(const json_t *obj, const char *key, const char *path, int required,
    char *p, size_t plen, struct diags *d)
{
    const json_t *v = json_object_get(obj, key);

    key_path(p, plen, path, key);
    if (v == NULL && required)
        diags_add(d, "%s: missing (required)", p);
    return v;
}

int
jsonv_string(const json_t *obj, const char *key, const char *path,
    int required, char **outp, struct diags *d)
{
    const json_t *v;
    char p[512];

    if ((v = get(obj, key, path, required, p, sizeof(p), d)) == NULL)
        return 0;
    if (!json_is_string(v)) {
        diags_add(d, "%s: must be a string, not %s", p, type_name(v));
        return -1;
    }
    if (json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        diags_add(d, "%s: must be a non-empty string without NUL", p);
        return -1;
    }
    if ((*outp = strdup(json_string_value(v))) == NULL) {
        diags_add(d, "%s: out of memory", p);
        return -1;
    }
    return 1;
}

int
jsonv_bool(const json_t *obj, const char *key, const char *path,
    int required, int *outp, struct diags *d)
{
    const json_t *v;
    char p[512];

    if ((v = get(obj, key, path, required, p, sizeof(p), d)) == NULL)
        return 0;
    if (!json_is_boolean(v)) {
        diags_add(d, "%s: must be true or false, not %s", p, type_name(v));
        return -1;
    }
    *outp = json_is_true(v);
    return 1;
}

int
jsonv_uint(const json_t *obj, const char *key, const char *path,
    int required, uint64_t max, uint64_t *outp, struct diags *d)
{
    const json_t *v;
    char p[512];

    if ((v = get(obj, key, path, required, p, sizeof(p), d)) == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max) {
        diags_add(d, "%s: must be an integer from 0 to %llu", p,
            (unsigned long long)max);
        return -1;
    }
    *outp = (uint64_t)json_integer_value(v);
    return 1;
}

int
jsonv_duration(const json_t *obj, const char *key, const char *path,
    int required, int64_t *outp, struct diags *d)
{
    const json_t *v;
    char p[512];

    if ((v = get(obj, key, path, required, p, sizeof(p), d)) == NULL)
        return 0;
    if (!json_is_string(v)) {
        diags_add(d, "%s: must be a duration string such as \"5m\", not %s",
            p, type_name(v));
        return -1;
    }
    if (duration_parse(json_string_value(v), outp) != 0) {
        diags_add(d, "%s: \"%s\" is not a duration (use a number with a "
            "unit: 90s, 5m, 1h)", p, json_string_value(v));
        return -1;
    }
    return 1;
}

void
jsonv_strv_free(char **v, size_t n)
{
    size_t i;

    if (v == NULL)
        return;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int
jsonv_strings(const json_t *obj, const char *key, const char *path,
    int required, char ***outp, size_t *np, struct diags *d)
{
    const json_t *v, *e;
    char p[512];
    char **out = NULL;
    size_t i, n;
    int bad = 0;

    *outp = NULL;
    *np = 0;
    if ((v = get(obj, key, path, required, p, sizeof(p), d)) == NULL)
        return 0;
    if (!json_is_array(v)) {
        diags_add(d, "%s: must be an array of strings, not %s", p,
            type_name(v));
        return -1;
    }
    n = json_array_size(v);
    if ((out = calloc(n + 1, sizeof(*out))) == NULL) {
        diags_add(d, "%s: out of memory", p);
        return -1;
    }
    json_array_foreach(v, i, e) {
        if (!json_is_string(e) || json_string_length(e) == 0 ||
            strlen(json_string_value(e)) != json_string_length(e)) {
            diags_add(d, "%s[%zu]: must be a non-empty string, not %s", p, i,
                json_is_string(e) ? "an empty string" : type_name(e));
            bad = 1;
            continue;
        }
        if ((out[i] = strdup(json_string_value(e))) == NULL)
            bad = 1;
    }
    if (bad) {
        jsonv_strv_free(out, n);
        return -1;
    }
    *outp = out;
    *np = n;
    return 1;
}

const char *
jsonv_str_or(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s != NULL ? s : dflt;
}

json_t *
jsonv_load_file(const char *path, struct diags *d)
{
    json_error_t e;
    json_t *j;

    if ((j = json_load_file(path, JSON_REJECT_DUPLICATES, &e)) == NULL) {
        if (e.line < 0)
            diags_add(d, "%s: %s", path, e.text);
        else
            diags_add(d, "%s:%d:%d: %s", path, e.line, e.column, e.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        diags_add(d, "%s:1:1: the document must be a JSON object", path);
        json_decref(j);
        return NULL;
    }
    return j;
}
