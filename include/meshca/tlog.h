/*
 * The transparency log's mechanics: RFC 6962/9162 Merkle tree hashes,
 * inclusion and consistency proofs, C2SP tlog-tiles paths and entry bundles,
 * C2SP tlog-checkpoint texts and C2SP signed-note signatures (Ed25519).
 * No I/O: stored hashes come through a reader the caller supplies.
 *
 * Hashes: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left ||
 * right), empty tree = SHA-256("").  Tiles have height 8: a tile at level L
 * holds up to 256 hashes of tree level 8L.
 *
 * Functions return 0 or a negative MESHCA_ERR_* code unless they say
 * otherwise; outputs are set only on success.
 */
#ifndef MESHCA_TLOG_H
#define MESHCA_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "meshca/err.h"

#define TLOG_HASH_LEN 32
#define TLOG_TILE_HEIGHT 8
#define TLOG_TILE_WIDTH 256
/* Longest proof for a tree of up to 2^63 leaves. */
#define TLOG_PROOF_MAX 128

/* Returns 0 or MESHCA_ERR_ALLOC (an entry over 1 KiB is copied once). */
int tlog_leaf_hash(const void *entry, size_t len,
    uint8_t out[TLOG_HASH_LEN]) MESHCA_WUR;
void tlog_node_hash(const uint8_t left[TLOG_HASH_LEN],
    const uint8_t right[TLOG_HASH_LEN], uint8_t out[TLOG_HASH_LEN]);

/*
 * The right edge of a tree: the roots of its perfect subtrees, largest first
 * (one per set bit of size).  Enough to append leaves and compute the root.
 */
struct tlog_edge {
    uint64_t size;
    int n;
    uint8_t hash[64][TLOG_HASH_LEN];
};

/*
 * Called for every node an append completes whose tree level is a multiple
 * of TLOG_TILE_HEIGHT (leaves included): the node at tree level 8 * tile_level
 * with the given index, i.e. the next hash of that level's tiles.  Returns 0
 * or an error that aborts the append.
 */
typedef int (*tlog_stored_cb)(void *arg, int tile_level, uint64_t index,
    const uint8_t hash[TLOG_HASH_LEN]);

/* An empty tree. */
void tlog_edge_init(struct tlog_edge *e);

/* Appends one leaf hash; calls cb (may be NULL) for each stored hash made.
 * On a callback error the edge is unchanged. */
int tlog_edge_append(struct tlog_edge *e, const uint8_t leaf[TLOG_HASH_LEN],
    tlog_stored_cb cb, void *arg) MESHCA_WUR;

/* The tree's root hash (SHA-256("") for an empty tree). */
void tlog_edge_root(const struct tlog_edge *e, uint8_t root[TLOG_HASH_LEN]);

/*
 * Reads count (1..256) consecutive stored hashes of tree level
 * 8 * tile_level starting at index first; the range never crosses a tile.
 * Returns 0, or an error (MESHCA_ERR_NOT_FOUND when not stored).
 */
typedef int (*tlog_read_cb)(void *arg, int tile_level, uint64_t first,
    size_t count, uint8_t *out);

/* Rebuilds the edge of a tree of the given size from stored hashes. */
int tlog_edge_load(struct tlog_edge *e, uint64_t size, tlog_read_cb read,
    void *arg) MESHCA_WUR;

/* The root of the tree of the given size from stored hashes. */
int tlog_tree_hash(uint64_t size, tlog_read_cb read, void *arg,
    uint8_t root[TLOG_HASH_LEN]) MESHCA_WUR;

/* RFC 9162 inclusion proof of leaf index in the tree of size (index < size),
 * bottom-up; *np hashes written to proof (room for TLOG_PROOF_MAX). */
int tlog_prove_inclusion(uint64_t index, uint64_t size, tlog_read_cb read,
    void *arg, uint8_t proof[][TLOG_HASH_LEN], size_t *np) MESHCA_WUR;

/* RFC 9162 consistency proof from old_size to new_size (0 < old <= new). */
int tlog_prove_consistency(uint64_t old_size, uint64_t new_size,
    tlog_read_cb read, void *arg, uint8_t proof[][TLOG_HASH_LEN],
    size_t *np) MESHCA_WUR;

/* Verifies an inclusion proof.  0 or MESHCA_ERR_TLOG_PROOF. */
int tlog_verify_inclusion(const uint8_t leaf[TLOG_HASH_LEN], uint64_t index,
    uint64_t size, const uint8_t proof[][TLOG_HASH_LEN], size_t n,
    const uint8_t root[TLOG_HASH_LEN]) MESHCA_WUR;

/* Verifies a consistency proof.  0 or MESHCA_ERR_TLOG_PROOF.  Equal sizes
 * need an empty proof and equal roots. */
int tlog_verify_consistency(uint64_t old_size, uint64_t new_size,
    const uint8_t old_root[TLOG_HASH_LEN],
    const uint8_t new_root[TLOG_HASH_LEN],
    const uint8_t proof[][TLOG_HASH_LEN], size_t n) MESHCA_WUR;

/*
 * C2SP tlog-tiles paths below the log's prefix: "tile/<L>/<N>[.p/<W>]" and
 * "tile/entries/<N>[.p/<W>]" (level -1), N in 3-digit groups with "x"
 * prefixes ("x001/234").  width 256 means a full tile (no ".p/").
 */
int tlog_tile_path(int level, uint64_t index, unsigned width, char *out,
    size_t outlen) MESHCA_WUR;
/* Parses a path as above (without a leading '/'); MESHCA_ERR_INVALID_FORMAT
 * unless it is exactly canonical. */
int tlog_tile_parse(const char *path, int *levelp, uint64_t *indexp,
    unsigned *widthp) MESHCA_WUR;

/* C2SP tlog-checkpoint body: "<origin>\n<size>\n<base64 root>\n".  Caller
 * frees *textp. */
int tlog_checkpoint_format(const char *origin, uint64_t size,
    const uint8_t root[TLOG_HASH_LEN], char **textp) MESHCA_WUR;
/* Parses a checkpoint body (extension lines allowed and ignored); the origin
 * must equal origin when that is not NULL.  MESHCA_ERR_TLOG_CHECKPOINT. */
int tlog_checkpoint_parse(const char *text, size_t len, const char *origin,
    uint64_t *sizep, uint8_t root[TLOG_HASH_LEN]) MESHCA_WUR;

/*
 * C2SP signed-note with an Ed25519 key.  The verifier key is
 * "<name>+<8 hex key hash>+<base64(0x01 || public key)>".
 */
int tlog_vkey_format(const char *name, EVP_PKEY *key, char **vkeyp) MESHCA_WUR;
/* Signs text (which must end in "\n") as name; *notep is the text, a blank
 * line and the signature line.  Caller frees. */
int tlog_note_sign(const char *text, const char *name, EVP_PKEY *key,
    char **notep) MESHCA_WUR;
/* Verifies that note carries a valid signature by vkey; other signatures
 * are ignored.  On success *textp is the signed text (caller frees).
 * MESHCA_ERR_TLOG_NOTE for a malformed note, an unknown or bad signature. */
int tlog_note_open(const char *note, size_t len, const char *vkey,
    char **textp) MESHCA_WUR;

#endif
