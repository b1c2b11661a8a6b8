/*
 * uid2-native: AES-256-GCM seal/open, batched SHA-256 → base64 and one-shot SHA-256 for the UID2
 * operator.
 *
 * Why: node:crypto spends ~4.8 us setting up a cipher object per GCM call and ~0.6 us per
 * crypto.hash call, while the work itself is ~0.2 us (shared/perf-notes.md). This addon keeps one
 * cipher context per direction and one digest context per addon instance (so per worker thread)
 * and only re-keys them per call. OpenSSL is not linked: its symbols resolve against the node
 * executable, which exports them, so the addon uses exactly the OpenSSL node:crypto uses.
 *
 * Every argument is validated here before any byte is read or written: a bad argument throws a
 * TypeError or RangeError and touches nothing. The TypeScript side (src/native/index.ts) is the
 * only caller; the contract is in native/README.md.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define KEY_LEN 32
#define IV_LEN 12
#define TAG_LEN 16
#define B64_LEN 44

typedef struct {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
  EVP_CIPHER *fetched; /* owned when EVP_CIPHER_fetch worked; NULL otherwise */
} addon_state;

/* ---- argument helpers: each returns false with a pending JS exception ---- */

static bool fail_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return false;
}

static bool fail_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return false;
}

static bool typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *count,
                        const char *msg) {
  bool is = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return fail_type(env, msg);
  if (napi_get_typedarray_info(env, v, &type, count, data, &ab, &offset) != napi_ok || type != want) {
    return fail_type(env, msg);
  }
  /* A detached or empty view may report a NULL pointer; never hand NULL on with a length. */
  if (*data == NULL && *count != 0) return fail_type(env, msg);
  return true;
}

static bool bytes_arg(napi_env env, napi_value v, uint8_t **data, size_t *len, const char *msg) {
  return typed_array(env, v, napi_uint8_array, (void **)data, len, msg);
}

/* Optional byte argument: undefined or null means "absent" (len 0). */
static bool optional_bytes_arg(napi_env env, napi_value v, uint8_t **data, size_t *len, const char *msg) {
  napi_valuetype t;
  *data = NULL;
  *len = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return fail_type(env, msg);
  if (t == napi_undefined || t == napi_null) return true;
  return bytes_arg(env, v, data, len, msg);
}

/* A non-negative integer JS number no larger than 2^31-1 (OpenSSL takes int lengths). */
static bool index_arg(napi_env env, napi_value v, size_t *out, const char *msg) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return fail_type(env, msg);
  napi_get_value_double(env, v, &d);
  if (!(d >= 0 && d <= (double)INT_MAX) || d != (double)(int64_t)d) return fail_range(env, msg);
  *out = (size_t)d;
  return true;
}

static bool overlaps(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  if (alen == 0 || blen == 0) return false;
  return (uintptr_t)a < (uintptr_t)b + blen && (uintptr_t)b < (uintptr_t)a + alen;
}

static addon_state *state_of(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return (addon_state *)data;
}

static napi_value throw_openssl(napi_env env) {
  napi_throw_error(env, "ERR_NATIVE_CRYPTO", "uid2-native: OpenSSL call failed");
  return NULL;
}

/* ---- gcmSealInPlace(key, buf, ivOffset, plainLength, aad?) ---- */

static napi_value gcm_seal_in_place(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *key, *buf, *aad;
  size_t key_len, buf_len, aad_len, iv_at, plain_len;
  int n1 = 0, n2 = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) { fail_type(env, "gcmSealInPlace(key, buf, ivOffset, plainLength, aad?)"); return NULL; }
  if (!bytes_arg(env, argv[0], &key, &key_len, "key must be a Uint8Array")) return NULL;
  if (key_len != KEY_LEN) { fail_range(env, "key must be 32 bytes"); return NULL; }
  if (!bytes_arg(env, argv[1], &buf, &buf_len, "buf must be a Uint8Array")) return NULL;
  if (!index_arg(env, argv[2], &iv_at, "ivOffset must be a non-negative integer")) return NULL;
  if (!index_arg(env, argv[3], &plain_len, "plainLength must be a non-negative integer")) return NULL;
  if (argc >= 5 && !optional_bytes_arg(env, argv[4], &aad, &aad_len, "aad must be a Uint8Array")) return NULL;
  if (argc < 5) { aad = NULL; aad_len = 0; }
  /* Both values are below 2^31, so the sum cannot wrap a size_t. */
  if (iv_at + IV_LEN + plain_len + TAG_LEN > buf_len) { fail_range(env, "buf too short for IV, plaintext and tag"); return NULL; }
  if (aad_len > INT_MAX) { fail_range(env, "aad too long"); return NULL; }

  addon_state *st = state_of(env);
  uint8_t *iv = buf + iv_at, *body = iv + IV_LEN, *tag = body + plain_len;
  if (EVP_EncryptInit_ex(st->enc, NULL, NULL, key, iv) != 1) return throw_openssl(env);
  if (aad_len > 0 && EVP_EncryptUpdate(st->enc, NULL, &n1, aad, (int)aad_len) != 1) return throw_openssl(env);
  n1 = 0;
  /* GCM is a stream mode: in == out is supported and every byte comes out of Update. */
  if (plain_len > 0 && EVP_EncryptUpdate(st->enc, body, &n1, body, (int)plain_len) != 1) return throw_openssl(env);
  if (EVP_EncryptFinal_ex(st->enc, body + n1, &n2) != 1 || (size_t)(n1 + n2) != plain_len) return throw_openssl(env);
  if (EVP_CIPHER_CTX_ctrl(st->enc, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1) return throw_openssl(env);
  return NULL; /* undefined */
}

/* ---- gcmOpenInto(key, iv, sealed, aad, out) -> boolean ---- */

static napi_value gcm_open_into(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  uint8_t *key, *iv, *sealed, *aad, *out;
  size_t key_len, iv_len, sealed_len, aad_len, out_len;
  uint8_t tag[TAG_LEN];
  int n1 = 0, n2 = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 5) { fail_type(env, "gcmOpenInto(key, iv, sealed, aad, out)"); return NULL; }
  if (!bytes_arg(env, argv[0], &key, &key_len, "key must be a Uint8Array")) return NULL;
  if (key_len != KEY_LEN) { fail_range(env, "key must be 32 bytes"); return NULL; }
  if (!bytes_arg(env, argv[1], &iv, &iv_len, "iv must be a Uint8Array")) return NULL;
  if (iv_len != IV_LEN) { fail_range(env, "iv must be 12 bytes"); return NULL; }
  if (!bytes_arg(env, argv[2], &sealed, &sealed_len, "sealed must be a Uint8Array")) return NULL;
  if (sealed_len < TAG_LEN || sealed_len - TAG_LEN > INT_MAX) { fail_range(env, "sealed must hold at least the 16-byte tag"); return NULL; }
  if (!optional_bytes_arg(env, argv[3], &aad, &aad_len, "aad must be a Uint8Array")) return NULL;
  if (aad_len > INT_MAX) { fail_range(env, "aad too long"); return NULL; }
  if (!bytes_arg(env, argv[4], &out, &out_len, "out must be a Uint8Array")) return NULL;
  size_t ct_len = sealed_len - TAG_LEN;
  if (out_len < ct_len) { fail_range(env, "out shorter than the ciphertext"); return NULL; }
  /* Exactly in place is fine for a stream mode; a shifted overlap would read what it wrote. */
  if (out != sealed && overlaps(out, ct_len, sealed, sealed_len)) { fail_range(env, "out overlaps sealed"); return NULL; }

  addon_state *st = state_of(env);
  memcpy(tag, sealed + ct_len, TAG_LEN);
  if (EVP_DecryptInit_ex(st->dec, NULL, NULL, key, iv) != 1) return throw_openssl(env);
  if (aad_len > 0 && EVP_DecryptUpdate(st->dec, NULL, &n1, aad, (int)aad_len) != 1) return throw_openssl(env);
  n1 = 0;
  if (ct_len > 0 && EVP_DecryptUpdate(st->dec, out, &n1, sealed, (int)ct_len) != 1) return throw_openssl(env);
  if (EVP_CIPHER_CTX_ctrl(st->dec, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1) return throw_openssl(env);
  bool ok = EVP_DecryptFinal_ex(st->dec, out + n1, &n2) == 1;
  /* Unauthenticated plaintext never reaches the caller. */
  if (!ok && ct_len > 0) memset(out, 0, ct_len);
  napi_get_boolean(env, ok, &result);
  return result;
}

/* SHA-256(a ‖ b) into out[0, 32); b may be empty. The low-level SHA256_* calls measured ~0.09 us
 * per 24-byte item against ~0.14 us through a reused EVP_MD_CTX (EVP adds a provider dispatch per
 * call), and OpenSSL 3's one-shot SHA256() fetches the digest by name on every call (~0.3 us of
 * a ~0.7 us hash of an email address). They are deprecated, not gone. */
static void sha256_of(const void *a, size_t a_len, const void *b, size_t b_len, uint8_t *out) {
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, a, a_len);
  if (b_len > 0) SHA256_Update(&sha, b, b_len);
  SHA256_Final(out, &sha);
}

/* ---- sha256Base64Pairs(a, aOffsets, b, bRanges, out) ---- */

static napi_value sha256_base64_pairs(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *a, *b, *out;
  uint32_t *a_off, *b_rng;
  size_t a_len, b_len, out_len, a_count, b_count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 5) { fail_type(env, "sha256Base64Pairs(a, aOffsets, b, bRanges, out)"); return NULL; }
  if (!bytes_arg(env, argv[0], &a, &a_len, "a must be a Uint8Array")) return NULL;
  if (!typed_array(env, argv[1], napi_uint32_array, (void **)&a_off, &a_count, "aOffsets must be a Uint32Array")) return NULL;
  if (!bytes_arg(env, argv[2], &b, &b_len, "b must be a Uint8Array")) return NULL;
  if (!typed_array(env, argv[3], napi_uint32_array, (void **)&b_rng, &b_count, "bRanges must be a Uint32Array")) return NULL;
  if (!bytes_arg(env, argv[4], &out, &out_len, "out must be a Uint8Array")) return NULL;
  if (a_count < 1) { fail_range(env, "aOffsets needs n+1 entries"); return NULL; }
  size_t n = a_count - 1;
  if (b_count / 2 < n) { fail_range(env, "bRanges needs 2n entries"); return NULL; }
  if (out_len / B64_LEN < n) { fail_range(env, "out needs 44n bytes"); return NULL; }
  /* Validate everything first, so a bad item leaves out untouched. */
  for (size_t i = 0; i < n; i++) {
    if (a_off[i] > a_off[i + 1] || a_off[i + 1] > a_len) { fail_range(env, "aOffsets out of order or past a"); return NULL; }
    if (b_rng[2 * i] > b_rng[2 * i + 1] || b_rng[2 * i + 1] > b_len) { fail_range(env, "bRanges out of order or past b"); return NULL; }
  }
  uint8_t digest[SHA256_DIGEST_LENGTH];
  uint8_t text[B64_LEN + 1]; /* EVP_EncodeBlock adds a NUL */
  for (size_t i = 0; i < n; i++) {
    sha256_of(a + a_off[i], a_off[i + 1] - a_off[i], b + b_rng[2 * i], b_rng[2 * i + 1] - b_rng[2 * i], digest);
    EVP_EncodeBlock(text, digest, SHA256_DIGEST_LENGTH);
    memcpy(out + B64_LEN * i, text, B64_LEN);
  }
  return NULL;
}

/* ---- one-shot SHA-256 into out[outOffset, +32): the token routes' three hashes per request ---- */

#define STACK_TEXT 1024

/* UTF-8 of a JS string, in `stack` when it fits, else in *heap (caller frees). */
static bool string_arg(napi_env env, napi_value v, char *stack, char **heap, const char **data, size_t *len, const char *msg) {
  napi_valuetype t;
  *heap = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return fail_type(env, msg);
  if (napi_get_value_string_utf8(env, v, NULL, 0, len) != napi_ok) return fail_type(env, msg);
  char *target = stack;
  if (*len >= STACK_TEXT) {
    *heap = malloc(*len + 1);
    if (*heap == NULL) return fail_range(env, "string too long");
    target = *heap;
  }
  size_t copied = 0;
  napi_get_value_string_utf8(env, v, target, *len + 1, &copied);
  *data = target;
  *len = copied;
  return true;
}

static bool digest_target(napi_env env, napi_value buf, napi_value at, uint8_t **out) {
  size_t len, off;
  if (!bytes_arg(env, buf, out, &len, "out must be a Uint8Array")) return false;
  if (!index_arg(env, at, &off, "outOffset must be a non-negative integer")) return false;
  if (off + SHA256_DIGEST_LENGTH > len) return fail_range(env, "out needs 32 bytes at outOffset");
  *out += off;
  return true;
}

/* sha256TextInto(text, out, outOffset): SHA-256 of the UTF-8 of `text`. */
static napi_value sha256_text_into(napi_env env, napi_callback_info info) {
  size_t argc = 3, len;
  napi_value argv[3];
  char stack[STACK_TEXT], *heap;
  const char *text;
  uint8_t *out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) { fail_type(env, "sha256TextInto(text, out, outOffset)"); return NULL; }
  if (!digest_target(env, argv[1], argv[2], &out)) return NULL;
  if (!string_arg(env, argv[0], stack, &heap, &text, &len, "text must be a string")) return NULL;
  sha256_of(text, len, NULL, 0, out);
  free(heap);
  return NULL;
}

/* sha256Base64SaltedInto(bytes, salt, out, outOffset): SHA-256(ASCII base64(bytes) ‖ UTF-8 salt). */
static napi_value sha256_base64_salted_into(napi_env env, napi_callback_info info) {
  size_t argc = 4, len, bytes_len;
  napi_value argv[4];
  char stack[STACK_TEXT], *heap;
  const char *salt;
  uint8_t *bytes, *out;
  uint8_t text[4 * ((256 + 2) / 3) + 1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) { fail_type(env, "sha256Base64SaltedInto(bytes, salt, out, outOffset)"); return NULL; }
  if (!bytes_arg(env, argv[0], &bytes, &bytes_len, "bytes must be a Uint8Array")) return NULL;
  /* Identity hashes and first-level hashes are 32 bytes; the bound keeps `text` on the stack. */
  if (bytes_len > 256) { fail_range(env, "bytes longer than 256"); return NULL; }
  if (!digest_target(env, argv[2], argv[3], &out)) return NULL;
  if (!string_arg(env, argv[1], stack, &heap, &salt, &len, "salt must be a string")) return NULL;
  int text_len = EVP_EncodeBlock(text, bytes, (int)bytes_len);
  sha256_of(text, (size_t)text_len, salt, len, out);
  free(heap);
  return NULL;
}

static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
  napi_create_string_utf8(env, "uid2-native 2", NAPI_AUTO_LENGTH, &s);
  return s;
}

/* ---- per-instance state (one per main thread or worker) ---- */

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  addon_state *st = (addon_state *)data;
  if (st == NULL) return;
  EVP_CIPHER_CTX_free(st->enc);
  EVP_CIPHER_CTX_free(st->dec);
  if (st->fetched != NULL) EVP_CIPHER_free(st->fetched);
  free(st);
}

static addon_state *new_state(void) {
  addon_state *st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  /* A fetched cipher skips OpenSSL 3's implicit fetch on every init. */
  st->fetched = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  const EVP_CIPHER *cipher = st->fetched != NULL ? st->fetched : EVP_aes_256_gcm();
  st->enc = EVP_CIPHER_CTX_new();
  st->dec = EVP_CIPHER_CTX_new();
  /* The cipher is bound once; each call then only re-keys (default IV length is 12): ~0.6 us per
   * 100-byte seal against ~0.8 us when every call passes the cipher again. */
  if (st->enc == NULL || st->dec == NULL || EVP_EncryptInit_ex(st->enc, cipher, NULL, NULL, NULL) != 1 ||
      EVP_DecryptInit_ex(st->dec, cipher, NULL, NULL, NULL) != 1) {
    free_state(NULL, st, NULL);
    return NULL;
  }
  return st;
}

NAPI_MODULE_INIT() {
  addon_state *st = new_state();
  if (st == NULL) {
    napi_throw_error(env, "ERR_NATIVE_CRYPTO", "uid2-native: OpenSSL context setup failed");
    return NULL;
  }
  if (napi_set_instance_data(env, st, free_state, NULL) != napi_ok) {
    free_state(env, st, NULL);
    return NULL;
  }
  napi_property_descriptor props[] = {
    {"gcmSealInPlace", NULL, gcm_seal_in_place, NULL, NULL, NULL, napi_enumerable, NULL},
    {"gcmOpenInto", NULL, gcm_open_into, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sha256Base64Pairs", NULL, sha256_base64_pairs, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sha256TextInto", NULL, sha256_text_into, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sha256Base64SaltedInto", NULL, sha256_base64_salted_into, NULL, NULL, NULL, napi_enumerable, NULL},
    {"version", NULL, version, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
