/* Where a PKCS#11 CA key lives, and its PIN.  See pkcs11conf.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <p11-kit/uri.h>

#include "meshca/jsonv.h"
#include "confpath.h"
#include "pkcs11conf.h"
#include "secretfile.h"

/* Longest PIN read (PKCS#11 tokens take far shorter ones). */
#define PIN_MAX 256

static const char *const pkcs11_keys[] = { "module", "token", "label",
    "pin_file", "pin_env", NULL };

void
pkcs11conf_free(struct pkcs11_config *c)
{
    if (c == NULL)
        return;
    free(c->module);
    free(c->token);
    free(c->label);
    free(c->pin_file);
    free(c->pin_env);
    free(c);
}

static int
dup_field(char **dst, const char *src)
{
    *dst = NULL;
    return src == NULL || (*dst = strdup(src)) != NULL ? 0 : -1;
}

struct pkcs11_config *
pkcs11conf_dup(const struct pkcs11_config *c)
{
    struct pkcs11_config *n;

    if ((n = calloc(1, sizeof(*n))) == NULL)
        return NULL;
    if (dup_field(&n->module, c->module) != 0 ||
        dup_field(&n->token, c->token) != 0 ||
        dup_field(&n->label, c->label) != 0 ||
        dup_field(&n->pin_file, c->pin_file) != 0 ||
        dup_field(&n->pin_env, c->pin_env) != 0) {
        pkcs11conf_free(n);
        return NULL;
    }
    return n;
}

/* A copy of a space-padded CK_UTF8CHAR field, without its padding; NULL
 * when empty or out of memory. */
static char *
unpad(const unsigned char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\0'))
        len--;
    return len == 0 ? NULL : strndup((const char *)s, len);
}

/* The checks shared by both forms; adds what is missing to d (for the
 * object form, jsonv has already named missing keys). */
static int
check_complete(const struct pkcs11_config *c, const char *path, int uri,
    struct diags *d)
{
    int bad = 0;

    if (c->module == NULL) {
        if (uri)
            diags_add(d, "%s: the URI names no module-path (e.g. "
                "module-path=/usr/lib/softhsm/libsofthsm2.so)", path);
        bad = 1;
    }
    if (c->token == NULL || c->label == NULL) {
        if (uri)
            diags_add(d, "%s: the URI must name the token (token=) and the "
                "key's label (object=)", path);
        bad = 1;
    }
    if ((c->pin_file == NULL) == (c->pin_env == NULL)) {
        diags_add(d, "%s: give exactly one of pin_file (pin-source in a "
            "URI) and pin_env", path);
        bad = 1;
    }
    return bad ? -1 : 0;
}

int
pkcs11conf_from_uri(const char *uri, struct pkcs11_config **cp, char *why,
    size_t whylen)
{
    P11KitUri *u = NULL;
    struct pkcs11_config *c = NULL;
    CK_ATTRIBUTE *a;
    const char *src;
    int rv, r = -1;

    *cp = NULL;
    if ((u = p11_kit_uri_new()) == NULL ||
        (c = calloc(1, sizeof(*c))) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if ((rv = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u)) !=
        P11_KIT_URI_OK) {
        snprintf(why, whylen, "not a PKCS#11 URI (RFC 7512): %s",
            p11_kit_uri_message(rv));
        goto out;
    }
    if (p11_kit_uri_get_pin_value(u) != NULL) {
        snprintf(why, whylen, "the URI carries a pin-value; put the PIN in "
            "a file (pin-source) or use pin_env instead");
        goto out;
    }
    c->token = unpad(p11_kit_uri_get_token_info(u)->label,
        sizeof(p11_kit_uri_get_token_info(u)->label));
    if ((a = p11_kit_uri_get_attribute(u, CKA_LABEL)) != NULL &&
        a->ulValueLen > 0)
        c->label = strndup(a->pValue, a->ulValueLen);
    if (p11_kit_uri_get_module_path(u) != NULL)
        c->module = strdup(p11_kit_uri_get_module_path(u));
    if ((src = p11_kit_uri_get_pin_source(u)) != NULL) {
        if (strncmp(src, "file:", 5) == 0)
            src += 5;
        c->pin_file = strdup(src);
    }
    *cp = c;
    c = NULL;
    r = 0;
out:
    pkcs11conf_free(c);
    p11_kit_uri_free(u);
    return r;
}

int
pkcs11conf_parse(const json_t *v, const char *path, const char *dir,
    struct pkcs11_config **cp, struct diags *d)
{
    struct pkcs11_config *c = NULL;
    char why[256];

    *cp = NULL;
    if (json_is_string(v)) {
        if (pkcs11conf_from_uri(json_string_value(v), &c, why,
            sizeof(why)) != 0) {
            diags_add(d, "%s: %s", path, why);
            return -1;
        }
    } else if (json_is_object(v)) {
        if ((c = calloc(1, sizeof(*c))) == NULL) {
            diags_add(d, "out of memory");
            return -1;
        }
        jsonv_known_keys(v, path, pkcs11_keys, d);
        jsonv_string(v, "module", path, 1, &c->module, d);
        jsonv_string(v, "token", path, 1, &c->token, d);
        jsonv_string(v, "label", path, 1, &c->label, d);
        jsonv_string(v, "pin_file", path, 0, &c->pin_file, d);
        jsonv_string(v, "pin_env", path, 0, &c->pin_env, d);
    } else {
        diags_add(d, "%s: must be an object {module, token, label, pin_file} "
            "or a \"pkcs11:\" URI", path);
        return -1;
    }
    confpath_resolve(&c->pin_file, dir, d);
    if (check_complete(c, path, json_is_string(v), d) != 0) {
        pkcs11conf_free(c);
        return -1;
    }
    *cp = c;
    return 0;
}

void
pkcs11conf_pin_free(char *pin)
{
    if (pin == NULL)
        return;
    OPENSSL_cleanse(pin, strlen(pin));
    free(pin);
}

/* Reads the PIN file into pin (PIN_MAX + 2 bytes). */
static int
read_pin_file(const char *path, char *pin, char *why, size_t whylen)
{
    char reason[128];
    size_t len = 0;

    if (secretfile_read(path, (uint8_t *)pin, PIN_MAX + 1, &len, reason,
        sizeof(reason)) != 0) {
        snprintf(why, whylen, "PIN file %s: %s", path, reason);
        return -1;
    }
    pin[len] = '\0';
    if (len > 0 && pin[len - 1] == '\n')
        pin[--len] = '\0';
    if (len > 0 && pin[len - 1] == '\r')
        pin[--len] = '\0';
    if (len == 0 || strlen(pin) != len) {
        snprintf(why, whylen, "PIN file %s is empty or holds a NUL byte",
            path);
        return -1;
    }
    return 0;
}

int
pkcs11conf_read_pin(const struct pkcs11_config *c, char **pinp, char *why,
    size_t whylen)
{
    const char *env;
    char *pin;

    *pinp = NULL;
    if ((pin = calloc(1, PIN_MAX + 2)) == NULL) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    if (c->pin_file != NULL) {
        if (read_pin_file(c->pin_file, pin, why, whylen) != 0) {
            OPENSSL_cleanse(pin, PIN_MAX + 2);
            free(pin);
            return -1;
        }
    } else {
        env = c->pin_env != NULL ? getenv(c->pin_env) : NULL;
        if (env == NULL || *env == '\0' || strlen(env) > PIN_MAX) {
            snprintf(why, whylen, "the PIN variable %s is not set, empty or "
                "too long", c->pin_env != NULL ? c->pin_env : "(none)");
            free(pin);
            return -1;
        }
        memcpy(pin, env, strlen(env));
    }
    *pinp = pin;
    return 0;
}
