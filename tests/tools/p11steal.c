/*
 * p11steal MODULE TOKEN LABEL PIN_FILE: tries to read a private key out of
 * a PKCS#11 token the way an attacker holding the PIN would: logs in, finds
 * the private key labelled LABEL and asks for its secret attributes
 * (CKA_VALUE for EC/Edwards keys; CKA_PRIVATE_EXPONENT, CKA_PRIME_1 for
 * RSA), then tries to wrap it out (C_WrapKey with a fresh AES key).
 * Prints what the token answered to each attempt.  Exit 0 when every
 * attempt was refused and no key byte came back, 1 when one succeeded,
 * 2 on a usage or setup error.  Written without meshcad's code so it
 * checks the token, not our own claims.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR f;

static int
setup(const char *module, const char *token, const char *pinfile,
    CK_SESSION_HANDLE *sp)
{
    CK_C_GetFunctionList get;
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64, i;
    CK_TOKEN_INFO ti;
    char want[32], pin[256];
    FILE *pf;
    void *dl;

    if ((dl = dlopen(module, RTLD_NOW)) == NULL)
        return -1;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get == NULL || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK ||
        f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return -1;
    memset(want, ' ', sizeof(want));
    memcpy(want, token, strlen(token) < 32 ? strlen(token) : 32);
    if ((pf = fopen(pinfile, "r")) == NULL || fgets(pin, sizeof(pin), pf) == NULL)
        return -1;
    fclose(pf);
    pin[strcspn(pin, "\r\n")] = '\0';
    for (i = 0; i < n; i++) {
        if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
            memcmp(ti.label, want, 32) != 0)
            continue;
        if (f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
            NULL, NULL, sp) != CKR_OK ||
            f->C_Login(*sp, CKU_USER, (CK_UTF8CHAR_PTR)pin,
            (CK_ULONG)strlen(pin)) != CKR_OK)
            return -1;
        return 0;
    }
    return -1;
}

static int
try_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
    const char *name)
{
    unsigned char buf[4096];
    CK_ATTRIBUTE a = { t, buf, sizeof(buf) };
    CK_RV rv = f->C_GetAttributeValue(s, o, &a, 1);

    if (rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION &&
        a.ulValueLen > 0) {
        printf("%s: READ %lu bytes\n", name, (unsigned long)a.ulValueLen);
        return 1;
    }
    printf("%s: refused (rv 0x%lx)\n", name, (unsigned long)rv);
    return 0;
}

static int
try_wrap(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
    CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
    CK_MECHANISM wrap = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
    CK_ULONG len = 32, outlen = 8192;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t[] = { { CKA_VALUE_LEN, &len, sizeof(len) },
        { CKA_WRAP, &yes, sizeof(yes) } };
    CK_OBJECT_HANDLE kek;
    unsigned char out[8192];
    CK_RV rv;

    if ((rv = f->C_GenerateKey(s, &gen, t, 2, &kek)) != CKR_OK) {
        printf("wrap: no wrapping key (rv 0x%lx)\n", (unsigned long)rv);
        return 0;
    }
    rv = f->C_WrapKey(s, &wrap, kek, o, out, &outlen);
    f->C_DestroyObject(s, kek);
    if (rv == CKR_OK && outlen > 0) {
        printf("wrap: WRAPPED %lu bytes\n", (unsigned long)outlen);
        return 1;
    }
    printf("wrap: refused (rv 0x%lx)\n", (unsigned long)rv);
    return 0;
}

int
main(int argc, char **argv)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE o;
    CK_ULONG n = 0;
    CK_ATTRIBUTE t[2];
    int got = 0;

    if (argc != 5) {
        fprintf(stderr, "usage: p11steal MODULE TOKEN LABEL PIN_FILE\n");
        return 2;
    }
    t[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
    t[1] = (CK_ATTRIBUTE){ CKA_LABEL, argv[3], (CK_ULONG)strlen(argv[3]) };
    if (setup(argv[1], argv[2], argv[4], &s) != 0 ||
        f->C_FindObjectsInit(s, t, 2) != CKR_OK ||
        f->C_FindObjects(s, &o, 1, &n) != CKR_OK || n != 1) {
        fprintf(stderr, "p11steal: cannot find private key %s\n", argv[3]);
        return 2;
    }
    f->C_FindObjectsFinal(s);
    got |= try_attr(s, o, CKA_VALUE, "CKA_VALUE");
    got |= try_attr(s, o, CKA_PRIVATE_EXPONENT, "CKA_PRIVATE_EXPONENT");
    got |= try_attr(s, o, CKA_PRIME_1, "CKA_PRIME_1");
    got |= try_wrap(s, o);
    f->C_Logout(s);
    f->C_CloseSession(s);
    f->C_Finalize(NULL);
    return got ? 1 : 0;
}
