/*
 * The SSH wire buffer.  All SSH encoding and decoding in meshca goes through
 * it: nothing else computes offsets into wire data.
 *
 * A buffer holds bytes between a read offset and a write offset.  put_*
 * appends at the end, get_* consumes from the front.  Every buffer has a size
 * limit fixed at creation; growing past it fails.
 *
 * Contracts shared by every function below unless it says otherwise:
 *   - returns 0 or a negative MESHCA_ERR_* code;
 *   - on error nothing is consumed or appended: the buffer is unchanged;
 *   - output pointers are cleared on entry where they are allocated, and set
 *     only on success; output parameters may be NULL to skip a value.
 * Buffers are wiped with OPENSSL_cleanse when freed or reset, so they may
 * hold secrets.
 */
#ifndef MESHCA_BUF_H
#define MESHCA_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

/* Largest limit a buffer may be created with. */
#define BUF_SIZE_MAX (16u * 1024 * 1024)
/* Largest limit buf_new_large accepts: text and HTTP bodies, not SSH wire
 * data. */
#define BUF_LARGE_MAX ((size_t)1 << 30)
/* Largest single string get_* will return (OpenSSH's SSHBUF_SIZE_MAX/2). */
#define BUF_STRING_MAX (BUF_SIZE_MAX / 2)

struct meshca_buf;

/* A new empty buffer that may grow up to max_size bytes (<= BUF_SIZE_MAX).
 * Returns NULL on allocation failure or a bad limit. */
struct meshca_buf *meshca_buf_new(size_t max_size);

/* As buf_new, for text and HTTP bodies that may be larger than any SSH
 * message: max_size up to BUF_LARGE_MAX.  get_* still refuse strings over
 * BUF_STRING_MAX. */
struct meshca_buf *meshca_buf_new_large(size_t max_size);

/* A new buffer holding a copy of len bytes at data, with limit len (or 1 for
 * an empty input).  Returns NULL on failure. */
struct meshca_buf *meshca_buf_from(const void *data, size_t len);

/* Wipes and frees b.  Accepts NULL. */
void meshca_buf_free(struct meshca_buf *b);

/* Wipes the contents; keeps the allocation and the limit. */
void meshca_buf_reset(struct meshca_buf *b);

/* Bytes not yet consumed. */
size_t meshca_buf_len(const struct meshca_buf *b);

/* Pointer to the unconsumed bytes; valid until the buffer is next changed.
 * Never NULL for a non-NULL buffer. */
const uint8_t *meshca_buf_ptr(const struct meshca_buf *b);

/* The buffer's size limit. */
size_t meshca_buf_max_size(const struct meshca_buf *b);

/* Discards the first len unconsumed bytes.  MESHCA_ERR_MESSAGE_INCOMPLETE if
 * fewer are there. */
int meshca_buf_consume(struct meshca_buf *b, size_t len) MESHCA_WUR;

/* Appends raw bytes. */
int meshca_buf_put(struct meshca_buf *b, const void *data, size_t len) MESHCA_WUR;
int meshca_buf_put_u8(struct meshca_buf *b, uint8_t val) MESHCA_WUR;
int meshca_buf_put_u32(struct meshca_buf *b, uint32_t val) MESHCA_WUR;
int meshca_buf_put_u64(struct meshca_buf *b, uint64_t val) MESHCA_WUR;
/* string: uint32 length followed by the bytes. */
int meshca_buf_put_string(struct meshca_buf *b, const void *data, size_t len) MESHCA_WUR;
/* string from a NUL-terminated C string (without the NUL). */
int meshca_buf_put_cstring(struct meshca_buf *b, const char *s) MESHCA_WUR;
/* string holding the unconsumed contents of v (v unchanged). */
int meshca_buf_put_stringb(struct meshca_buf *b, const struct meshca_buf *v) MESHCA_WUR;
/* Appends the unconsumed contents of v as raw bytes (v unchanged). */
int meshca_buf_putb(struct meshca_buf *b, const struct meshca_buf *v) MESHCA_WUR;
/* mpint from an unsigned big-endian magnitude: leading zero bytes are
 * dropped and a 0x00 is prepended when the top bit is set. */
int meshca_buf_put_bignum2_bytes(struct meshca_buf *b, const void *mag, size_t len) MESHCA_WUR;

/* Appends printf-style formatted text (no NUL).  MESHCA_ERR_INTERNAL when
 * the format cannot be rendered. */
int meshca_buf_putf(struct meshca_buf *b, const char *fmt, ...) MESHCA_WUR
    __attribute__((format(printf, 2, 3)));
int meshca_buf_vputf(struct meshca_buf *b, const char *fmt, va_list ap) MESHCA_WUR
    __attribute__((format(printf, 2, 0)));

/* Hands the unconsumed contents of *bp out as a NUL-terminated string
 * (NUL not counted in *lenp; embedded NULs are kept) without copying them,
 * then frees the buffer and sets *bp to NULL.  Caller frees *strp (wiping
 * it first if it held a secret).  MESHCA_ERR_ALLOC leaves *bp as it was. */
int meshca_buf_take_cstring(struct meshca_buf **bp, char **strp, size_t *lenp) MESHCA_WUR;

/* Readers.  valp may be NULL to skip. */
int meshca_buf_get_u8(struct meshca_buf *b, uint8_t *valp) MESHCA_WUR;
int meshca_buf_get_u32(struct meshca_buf *b, uint32_t *valp) MESHCA_WUR;
int meshca_buf_get_u64(struct meshca_buf *b, uint64_t *valp) MESHCA_WUR;
/* Copies len raw bytes into out. */
int meshca_buf_get(struct meshca_buf *b, void *out, size_t len) MESHCA_WUR;

/* A string, copied into a new allocation with a NUL appended (not counted in
 * *lenp).  Caller frees *valp.  Strings over BUF_STRING_MAX are refused. */
int meshca_buf_get_string(struct meshca_buf *b, uint8_t **valp, size_t *lenp) MESHCA_WUR;

/* A string, returned as a pointer into the buffer (valid until the buffer is
 * next changed or freed). */
int meshca_buf_get_string_direct(struct meshca_buf *b, const uint8_t **valp,
    size_t *lenp) MESHCA_WUR;

/* A string that must not contain NUL bytes, as a new C string.  Caller frees
 * *valp.  MESHCA_ERR_INVALID_FORMAT on an embedded NUL. */
int meshca_buf_get_cstring(struct meshca_buf *b, char **valp, size_t *lenp) MESHCA_WUR;

/* A string, returned as a new buffer whose limit is the string's length.
 * Caller frees *subp with buf_free. */
int meshca_buf_get_stringb(struct meshca_buf *b, struct meshca_buf **subp) MESHCA_WUR;

/* An mpint that must be non-negative and minimally encoded; returns its
 * magnitude without the sign byte as a pointer into the buffer.
 * MESHCA_ERR_BIGNUM_NEGATIVE, MESHCA_ERR_INVALID_FORMAT (non-minimal) or
 * MESHCA_ERR_BIGNUM_TOO_LARGE (over 16384 bits) on bad input. */
int meshca_buf_get_bignum2_bytes_direct(struct meshca_buf *b, const uint8_t **valp,
    size_t *lenp) MESHCA_WUR;

/* Peeks at a string without consuming it. */
int meshca_buf_peek_string_direct(const struct meshca_buf *b, const uint8_t **valp,
    size_t *lenp) MESHCA_WUR;

/* Standard base64 (with padding) of the unconsumed contents.  Caller frees
 * *strp. */
int meshca_buf_dtob64(const struct meshca_buf *b, char **strp) MESHCA_WUR;

/* Decodes standard base64 (padding required, no whitespace) and appends the
 * bytes.  MESHCA_ERR_BAD_BASE64 on any invalid input. */
int meshca_buf_b64tod(struct meshca_buf *b, const char *s, size_t len) MESHCA_WUR;

/*
 * Base64 helpers not tied to a buffer.  meshca_b64_encode writes a new
 * NUL-terminated string into *outp: standard alphabet with padding when url
 * is 0, base64url without padding when url is 1.  Caller frees *outp.
 */
int meshca_b64_encode(const void *data, size_t len, int url,
    char **outp) MESHCA_WUR;

/* Decodes base64 (url 0: standard, padding required) or base64url (url 1:
 * padding forbidden).  Caller frees *outp (NUL appended, not counted). */
int meshca_b64_decode(const char *s, size_t slen, int url, uint8_t **outp,
    size_t *lenp) MESHCA_WUR;

#endif
