/* SHA-256 for _speedups.c: OpenSSL's when setup.py found its header (ERA_OPENSSL), else FIPS
 * 180-4 written out. Gives sha256_ctx, sha256_init, sha256_update and sha256_hex32 (the first
 * 16 bytes of the digest as 32 lowercase hex characters, hexdigest()[:32]). */
#ifndef ERA_SHA256_H
#define ERA_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef ERA_OPENSSL
/* OpenSSL's SHA-256 (SHA-NI/AVX2 where the CPU has them); setup.py defines ERA_OPENSSL when
 * its header is there. The low-level calls are deprecated in OpenSSL 3 but are its fastest
 * path for many short inputs (no EVP fetch per hash). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

typedef SHA256_CTX sha256_ctx;
#define sha256_init(ctx) SHA256_Init(ctx)
#define sha256_update(ctx, data, size) SHA256_Update((ctx), (data), (size))

static void sha256_hex32(sha256_ctx *ctx, char out[32]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Final(digest, ctx);
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }
}
#else
/* FIPS 180-4, written out: for a build without OpenSSL's header. */
typedef struct {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    unsigned char buffer[64];
    size_t used;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t state[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) |
               ((uint32_t)p[4 * i + 2] << 8) | (uint32_t)p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] +
                      w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

static void sha256_init(sha256_ctx *ctx) {
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(ctx->state, initial, sizeof initial);
    ctx->length = 0;
    ctx->used = 0;
}

static void sha256_update(sha256_ctx *ctx, const unsigned char *data, size_t size) {
    ctx->length += size;
    if (ctx->used) {
        size_t take = 64 - ctx->used < size ? 64 - ctx->used : size;
        memcpy(ctx->buffer + ctx->used, data, take);
        ctx->used += take;
        data += take;
        size -= take;
        if (ctx->used < 64) {
            return;
        }
        sha256_block(ctx->state, ctx->buffer);
        ctx->used = 0;
    }
    while (size >= 64) {
        sha256_block(ctx->state, data);
        data += 64;
        size -= 64;
    }
    memcpy(ctx->buffer, data, size);
    ctx->used = size;
}

/* The first 16 bytes of the digest as 32 lowercase hex characters (hexdigest()[:32]). */
static void sha256_hex32(sha256_ctx *ctx, char out[32]) {
    static const char hex[] = "0123456789abcdef";
    uint64_t bits = ctx->length * 8;
    unsigned char pad[72];
    size_t pad_size = (ctx->used < 56 ? 56 : 120) - ctx->used;
    memset(pad, 0, sizeof pad);
    pad[0] = 0x80;
    for (int i = 0; i < 8; i++) {
        pad[pad_size + i] = (unsigned char)(bits >> (56 - 8 * i));
    }
    sha256_update(ctx, pad, pad_size + 8);
    for (int i = 0; i < 4; i++) {
        uint32_t word = ctx->state[i];
        for (int j = 0; j < 8; j++) {
            out[8 * i + j] = hex[(word >> (28 - 4 * j)) & 0xf];
        }
    }
}

#endif

#endif /* ERA_SHA256_H */
