/*
 * The secret store: values round-trip sealed, the first value stored under a name wins,
 * a value moved to another name does not open, secret.key is generated once with mode 0600,
 * nodes given the same secret_key share the token key while a node given another is refused
 * at start naming secret_key, and an earlier Haven's token.key is taken into the store.
 */
#include "fixture.c"

#include <openssl/pem.h>
#include <sys/stat.h>

static const char key_a[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char key_b[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

static hv_auth_config config(const char *secret_key, const char *data_dir) {
    hv_auth_config cfg = {.secret_key = secret_key,
                          .data_dir = data_dir,
                          .token_ttl = 1800,
                          .service = "harbor-registry",
                          .issuer = "harbor-token-issuer"};
    return cfg;
}

/* A token for the developer, issued with the key loaded now. */
static const char *dev_token(hv_ctx *ctx) {
    hv_identity dev = user_identity(HV_ROLE_DEVELOPER);
    const char *token = NULL;
    int64_t expires_in;

    CHECK_INT(hv_auth_token_issue(&token, &expires_in, ctx, &dev, NULL, 0), HV_OK);
    return token;
}

static hv_err present(hv_ctx *ctx, const char *token) {
    hv_identity who;

    return hv_auth_authenticate(&who, ctx, hv_arena_printf(ctx->arena, "Bearer %s", token),
                                HV_AUTH_REGISTRY);
}

static void test_round_trip(void) {
    hv_ctx ctx = new_ctx();
    void *v = NULL;
    const void *sealed;
    size_t len = 0, sealed_len;

    CHECK_INT(hv_auth_secret_get(&v, &len, &ctx, "webhook"), HV_E_NOT_FOUND);
    hv_error_clear(&ctx);
    CHECK_INT(hv_auth_secret_put(&v, &len, &ctx, "webhook", "first value", 11), HV_OK);
    CHECK_INT(len, 11);
    CHECK_STR((char *)v, "first value");
    /* a second node generating it at the same time gets the first one's */
    CHECK_INT(hv_auth_secret_put(&v, &len, &ctx, "webhook", "second", 6), HV_OK);
    CHECK_STR((char *)v, "first value");
    CHECK_INT(hv_auth_secret_get(&v, &len, &ctx, "webhook"), HV_OK);
    CHECK_STR((char *)v, "first value");

    /* stored sealed: nonce, ciphertext and tag, no plaintext */
    CHECK_INT(hv_model_secret_get(&sealed, &sealed_len, &ctx, "webhook"), HV_OK);
    CHECK_INT(sealed_len, 12 + 11 + 16);
    CHECK(!memmem(sealed, sealed_len, "first", 5));
    /* moved under another name, it does not open: the name is sealed in */
    CHECK_INT(hv_model_secret_add(&ctx, "moved", sealed, sealed_len), HV_OK);
    CHECK_INT(hv_auth_secret_get(&v, &len, &ctx, "moved"), HV_E_CONFIG);
    hv_arena_free(ctx.arena);
}

static void test_key_file(void) {
    char path[160];
    struct stat st;
    FILE *f;
    char text[80] = "";

    /* the fixture started without secret_key: generated once, 0600, 64 hex digits */
    snprintf(path, sizeof(path), "%s/secret.key", root);
    CHECK(stat(path, &st) == 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    f = fopen(path, "r");
    CHECK(f && fgets(text, sizeof(text), f));
    if (f)
        fclose(f);
    CHECK_INT(strlen(text), 65);
    CHECK_INT(strspn(text, "0123456789abcdef"), 64);
}

/* The fixture's node restarted with the key of its file given as secret_key: the same key. */
static void test_same_key_same_token_key(void) {
    hv_ctx ctx = new_ctx();
    char path[160], hex[80] = "";
    hv_auth_config cfg;
    const char *token = dev_token(&ctx);
    FILE *f;

    snprintf(path, sizeof(path), "%s/secret.key", root);
    f = fopen(path, "r");
    CHECK(f && fgets(hex, sizeof(hex), f));
    if (f)
        fclose(f);
    hex[64] = '\0';
    cfg = config(hex, NULL);
    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_OK);
    CHECK_INT(present(&ctx, token), HV_OK);
    hv_arena_free(ctx.arena);
}

/* Two nodes on one new database given one secret_key share the token key; a third given
 * another key is refused, naming secret_key, and a malformed key file names the file. */
static void test_nodes_share_the_key(void) {
    char dir[] = "/tmp/haven-secret-test-XXXXXX", path[160], cmd[160];
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_auth_config cfg = config(key_a, NULL);
    hv_db *other = NULL;
    const char *token;
    FILE *f;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/haven.db", dir);
    CHECK_INT(hv_db_open(&other, &ctx, path), HV_OK);
    ctx.db = other;
    CHECK_INT(hv_db_migrate(other, &ctx), HV_OK);

    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_OK); /* node A: generates the token key */
    token = dev_token(&ctx);
    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_OK); /* node B: reads it */
    CHECK_INT(present(&ctx, token), HV_OK);

    cfg = config(key_b, NULL);
    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_E_CONFIG);
    CHECK(contains(ctx.err.message, "secret_key") &&
          contains(ctx.err.message, "another secret_key"));
    hv_error_clear(&ctx);

    cfg = config("00112233", NULL);
    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_E_CONFIG);
    CHECK(contains(ctx.err.message, "secret_key must be 64 hexadecimal digits"));
    hv_error_clear(&ctx);

    snprintf(path, sizeof(path), "%s/secret.key", dir);
    f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    cfg = config(NULL, dir);
    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_E_CONFIG);
    CHECK(contains(ctx.err.message, path));
    hv_error_clear(&ctx);

    hv_db_close(other);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    hv_arena_free(ctx.arena);
}

/* An embedded install of an earlier Haven: its token.key becomes the stored key, so the
 * tokens it signed stay valid. */
static void test_old_key_file_is_taken_in(void) {
    char dir[] = "/tmp/haven-secret-test-XXXXXX", path[160], cmd[160];
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_auth_config cfg;
    hv_db *other = NULL;
    EVP_PKEY *old = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), *stored;
    void *pem = NULL;
    size_t len = 0;
    BIO *bio;
    FILE *f;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/token.key", dir);
    f = fopen(path, "w");
    CHECK(f && PEM_write_PrivateKey(f, old, NULL, NULL, 0, NULL, NULL));
    fclose(f);
    snprintf(path, sizeof(path), "%s/haven.db", dir);
    CHECK_INT(hv_db_open(&other, &ctx, path), HV_OK);
    ctx.db = other;
    CHECK_INT(hv_db_migrate(other, &ctx), HV_OK);
    cfg = config(NULL, dir);
    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_OK);

    CHECK_INT(hv_auth_secret_get(&pem, &len, &ctx, "token_signing_key"), HV_OK);
    bio = BIO_new_mem_buf(pem, (int)len);
    stored = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    CHECK(stored && EVP_PKEY_eq(stored, old) == 1);
    EVP_PKEY_free(stored);
    EVP_PKEY_free(old);

    hv_db_close(other);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(fixture_setup, test_round_trip, test_key_file, test_same_key_same_token_key,
          test_nodes_share_the_key, test_old_key_file_is_taken_in, fixture_teardown)
