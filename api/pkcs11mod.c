/* PKCS#11 modules, tokens, objects and public keys.  See pkcs11_int.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/buf.h"
#include "pkcs11_int.h"

/* The loaded modules.  Written only by p11mod_get/p11mod_put under
 * g_p11_lock (loading happens at start and on SIGHUP reloads). */
static pthread_mutex_t g_p11_lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11mod *g_p11_mods[8];

static CK_RV
init_module(CK_FUNCTION_LIST_PTR f)
{
    CK_C_INITIALIZE_ARGS args;
    CK_RV rv;

    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    rv = f->C_Initialize(&args);
    return rv == CKR_CRYPTOKI_ALREADY_INITIALIZED ? CKR_OK : rv;
}

static void
mod_free(struct p11mod *m)
{
    if (m == NULL)
        return;
    if (m->f != NULL)
        m->f->C_Finalize(NULL);
    if (m->dl != NULL)
        dlclose(m->dl);
    pthread_rwlock_destroy(&m->rw);
    free(m->path);
    free(m);
}

/* Loads and initialises a new module. */
static int
mod_load(const char *path, struct p11mod **mp, char *why, size_t whylen)
{
    pthread_rwlockattr_t ra;
    CK_C_GetFunctionList getfl;
    struct p11mod *m;
    char rb[48];
    CK_RV rv;

    *mp = NULL;
    if ((m = calloc(1, sizeof(*m))) == NULL ||
        (m->path = strdup(path)) == NULL) {
        free(m);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    /* Writers first: a re-initialisation must not starve under load. */
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra,
        PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&m->rw, &ra);
    pthread_rwlockattr_destroy(&ra);
    /* RTLD_NODELETE: a module is never unmapped, as some modules leave
     * threads or atexit handlers behind after C_Finalize (and leak reports
     * can still name it). */
    if ((m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) ==
        NULL) {
        snprintf(why, whylen, "cannot load PKCS#11 module %s: %s", path,
            dlerror());
        goto fail;
    }
    *(void **)&getfl = dlsym(m->dl, "C_GetFunctionList");
    if (getfl == NULL || getfl(&m->f) != CKR_OK || m->f == NULL) {
        m->f = NULL;
        snprintf(why, whylen, "%s is not a PKCS#11 module "
            "(no C_GetFunctionList)", path);
        goto fail;
    }
    if ((rv = init_module(m->f)) != CKR_OK) {
        m->f = NULL;
        snprintf(why, whylen, "PKCS#11 module %s: C_Initialize: %s", path,
            p11_rv_name(rv, rb, sizeof(rb)));
        goto fail;
    }
    m->refs = 1;
    *mp = m;
    return 0;
fail:
    mod_free(m);
    return -1;
}

int
p11mod_get(const char *path, struct p11mod **mp, char *why, size_t whylen)
{
    size_t i, freeslot = SIZE_MAX;
    int r = 0;

    *mp = NULL;
    pthread_mutex_lock(&g_p11_lock);
    for (i = 0; i < sizeof(g_p11_mods) / sizeof(g_p11_mods[0]); i++) {
        if (g_p11_mods[i] == NULL) {
            if (freeslot == SIZE_MAX)
                freeslot = i;
        } else if (strcmp(g_p11_mods[i]->path, path) == 0) {
            g_p11_mods[i]->refs++;
            *mp = g_p11_mods[i];
            goto out;
        }
    }
    if (freeslot == SIZE_MAX) {
        snprintf(why, whylen, "too many PKCS#11 modules (at most %zu)",
            sizeof(g_p11_mods) / sizeof(g_p11_mods[0]));
        r = -1;
    } else if ((r = mod_load(path, mp, why, whylen)) == 0)
        g_p11_mods[freeslot] = *mp;
out:
    pthread_mutex_unlock(&g_p11_lock);
    return r;
}

void
p11mod_put(struct p11mod *m)
{
    size_t i;

    if (m == NULL)
        return;
    pthread_mutex_lock(&g_p11_lock);
    if (--m->refs == 0) {
        for (i = 0; i < sizeof(g_p11_mods) / sizeof(g_p11_mods[0]); i++)
            if (g_p11_mods[i] == m)
                g_p11_mods[i] = NULL;
        mod_free(m);
    }
    pthread_mutex_unlock(&g_p11_lock);
}

CK_RV
p11mod_reinit(struct p11mod *m, unsigned seen_gen)
{
    CK_RV rv = CKR_OK;

    pthread_rwlock_wrlock(&m->rw);
    if (m->gen == seen_gen) {
        m->f->C_Finalize(NULL);
        rv = init_module(m->f);
        m->gen++;
    }
    pthread_rwlock_unlock(&m->rw);
    return rv;
}

const char *
p11_rv_name(CK_RV rv, char *buf, size_t len)
{
    static const struct {
        CK_RV rv;
        const char *name;
    } names[] = {
        { CKR_OK, "CKR_OK" },
        { CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
        { CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
        { CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
        { CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
        { CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
        { CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
        { CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
        { CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
        { CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED" },
        { CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
        { CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
        { CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
        { CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
        { CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
        { CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
        { CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
        { CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE" },
        { CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
        { CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
        { CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].rv == rv)
            return names[i].name;
    snprintf(buf, len, "CKR_0x%lx", (unsigned long)rv);
    return buf;
}

CK_RV
p11_find_token(struct p11mod *m, const char *label, CK_SLOT_ID *slotp)
{
    CK_SLOT_ID *slots = NULL;
    CK_TOKEN_INFO ti;
    CK_ULONG n = 0, i;
    char want[sizeof(ti.label)];
    size_t ll = strlen(label);
    CK_RV rv;

    if (ll > sizeof(want))
        return CKR_TOKEN_NOT_PRESENT;
    memset(want, ' ', sizeof(want));
    memcpy(want, label, ll);
    if ((rv = m->f->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK)
        return rv;
    if (n == 0)
        return CKR_TOKEN_NOT_PRESENT;
    if ((slots = calloc(n, sizeof(*slots))) == NULL)
        return CKR_HOST_MEMORY;
    if ((rv = m->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
        goto out;
    rv = CKR_TOKEN_NOT_PRESENT;
    for (i = 0; i < n; i++) {
        if (m->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
            memcmp(ti.label, want, sizeof(want)) == 0) {
            *slotp = slots[i];
            rv = CKR_OK;
            break;
        }
    }
out:
    free(slots);
    return rv;
}

CK_RV
p11_open_login(struct p11mod *m, CK_SLOT_ID slot, const char *pin, int rw,
    CK_SESSION_HANDLE *sp)
{
    CK_SESSION_HANDLE s;
    CK_FLAGS fl = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
    CK_RV rv;

    if ((rv = m->f->C_OpenSession(slot, fl, NULL, NULL, &s)) != CKR_OK)
        return rv;
    rv = m->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin,
        (CK_ULONG)strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        m->f->C_CloseSession(s);
        return rv;
    }
    *sp = s;
    return CKR_OK;
}

CK_RV
p11_find_object(struct p11mod *m, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
    const char *label, CK_OBJECT_HANDLE *objp, int *nump)
{
    CK_ATTRIBUTE tmpl[] = {
        { CKA_CLASS, &cls, sizeof(cls) },
        { CKA_LABEL, (void *)label, (CK_ULONG)strlen(label) },
    };
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    CK_RV rv;

    if (nump != NULL)
        *nump = 0;
    if ((rv = m->f->C_FindObjectsInit(s, tmpl, 2)) != CKR_OK)
        return rv;
    rv = m->f->C_FindObjects(s, found, 2, &n);
    m->f->C_FindObjectsFinal(s);
    if (rv != CKR_OK)
        return rv;
    if (nump != NULL)
        *nump = (int)n;
    if (n == 0)
        return CKR_KEY_HANDLE_INVALID;
    if (n > 1)
        return CKR_GENERAL_ERROR;
    *objp = found[0];
    return CKR_OK;
}

/* One attribute's value in a new allocation (caller frees). */
static CK_RV
get_attr(struct p11mod *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, uint8_t **valp, size_t *lenp)
{
    CK_ATTRIBUTE a = { type, NULL, 0 };
    CK_RV rv;

    *valp = NULL;
    if ((rv = m->f->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK)
        return rv;
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0 ||
        a.ulValueLen > 4096)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if ((a.pValue = malloc(a.ulValueLen)) == NULL)
        return CKR_HOST_MEMORY;
    if ((rv = m->f->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK) {
        free(a.pValue);
        return rv;
    }
    *valp = a.pValue;
    *lenp = a.ulValueLen;
    return CKR_OK;
}

/* A CKA_EC_POINT: the raw point of want bytes, or (as most tokens, SoftHSM
 * among them, give it) a DER OCTET STRING around it. */
static const uint8_t *
ec_point(const uint8_t *p, size_t len, size_t want)
{
    if (len == want)
        return p;
    if (want < 128 && len == want + 2 && p[0] == 0x04 && p[1] == want)
        return p + 2;
    if (want < 256 && len == want + 3 && p[0] == 0x04 && p[1] == 0x81 &&
        p[2] == want)
        return p + 3;
    return NULL;
}

static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00,
    0x22 };

/* The SSH blob of an EC or Edwards public key. */
static int
ec_blob(CK_KEY_TYPE kt, const uint8_t *params, size_t plen,
    const uint8_t *point, size_t ptlen, struct meshca_buf *b)
{
    const char *type, *curve = NULL;
    const uint8_t *q;
    size_t want;

    if (kt == CKK_EC_EDWARDS) {
        type = "ssh-ed25519";
        want = 32;
    } else if (plen == sizeof(oid_p256) &&
        memcmp(params, oid_p256, plen) == 0) {
        type = "ecdsa-sha2-nistp256";
        curve = "nistp256";
        want = 65;
    } else if (plen == sizeof(oid_p384) &&
        memcmp(params, oid_p384, plen) == 0) {
        type = "ecdsa-sha2-nistp384";
        curve = "nistp384";
        want = 97;
    } else
        return -1;
    if ((q = ec_point(point, ptlen, want)) == NULL)
        return -1;
    if (meshca_buf_put_cstring(b, type) != 0 ||
        (curve != NULL && meshca_buf_put_cstring(b, curve) != 0) ||
        meshca_buf_put_string(b, q, want) != 0)
        return -1;
    return 0;
}

int
p11_public_key(struct p11mod *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub,
    struct meshca_key **keyp, CK_KEY_TYPE *ktp, char *why, size_t whylen)
{
    CK_KEY_TYPE kt;
    CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
    uint8_t *v1 = NULL, *v2 = NULL;
    size_t l1 = 0, l2 = 0;
    struct meshca_buf *b = NULL;
    char rb[48];
    CK_RV rv;
    int r = -1;

    *keyp = NULL;
    if ((rv = m->f->C_GetAttributeValue(s, pub, &a, 1)) != CKR_OK) {
        snprintf(why, whylen, "reading the key type: %s",
            p11_rv_name(rv, rb, sizeof(rb)));
        goto out;
    }
    if ((b = meshca_buf_new(8192)) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (kt == CKK_EC || kt == CKK_EC_EDWARDS) {
        if ((rv = get_attr(m, s, pub, CKA_EC_PARAMS, &v1, &l1)) != CKR_OK ||
            (rv = get_attr(m, s, pub, CKA_EC_POINT, &v2, &l2)) != CKR_OK ||
            ec_blob(kt, v1, l1, v2, l2, b) != 0) {
            snprintf(why, whylen, "unsupported or unreadable EC key (only "
                "Ed25519, P-256 and P-384)");
            goto out;
        }
    } else if (kt == CKK_RSA) {
        if ((rv = get_attr(m, s, pub, CKA_PUBLIC_EXPONENT, &v1, &l1)) !=
            CKR_OK || (rv = get_attr(m, s, pub, CKA_MODULUS, &v2, &l2)) !=
            CKR_OK || meshca_buf_put_cstring(b, "ssh-rsa") != 0 ||
            meshca_buf_put_bignum2_bytes(b, v1, l1) != 0 ||
            meshca_buf_put_bignum2_bytes(b, v2, l2) != 0) {
            snprintf(why, whylen, "unreadable RSA public key");
            goto out;
        }
    } else {
        snprintf(why, whylen, "unsupported key type 0x%lx (use Ed25519, "
            "ECDSA P-256/P-384 or RSA)", (unsigned long)kt);
        goto out;
    }
    if (meshca_key_from_blob(meshca_buf_ptr(b), meshca_buf_len(b),
        keyp) != 0) {
        snprintf(why, whylen, "the token's public key is not a valid SSH "
            "key");
        goto out;
    }
    *ktp = kt;
    r = 0;
out:
    free(v1);
    free(v2);
    meshca_buf_free(b);
    return r;
}
