/*
 * havend scan — what is installed in an image of an install, stopped or running, printed as
 * JSON: the inventory (OS and packages, with each package's layer and file), or an SBOM
 * (SPDX 2.3, CycloneDX 1.5).  It reads the install's configuration, database and blobs and
 * writes nothing, unless --store-layers asks it to keep the layers' inventories it computed
 * in the database (as the scanning feature does), so that the next scan reads no layer.
 *
 *   havend scan PROJECT/REPO:TAG|PROJECT/REPO@DIGEST [--format inventory|spdx|cyclonedx]
 *               [--store-layers] [settings…]
 *
 * An index gives one inventory (or SBOM) per platform: a JSON array of them.
 */
#include "scan/scan.h"
#include "blob/blob.h"
#include "db/db.h"
#include "havend/config.h"
#include "havend/havend_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct scan_args {
    const char *image, *format;
    bool store_layers;
} scan_args;

/* Takes the image, --format and --store-layers out of argv (into a and rest, which keeps
 * argv[0] and the settings for hv_config_load). */
static hv_err parse_args(scan_args *a, hv_ctx *ctx, int argc, char **argv, char **rest,
                         int *n_rest) {
    *n_rest = 0;
    rest[(*n_rest)++] = argv[0];
    a->format = "inventory";
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        size_t len = strcspn(s, "=");

        if (len == 8 && strncmp(s, "--format", 8) == 0) {
            if (s[len] == '=')
                a->format = s + len + 1;
            else if (i + 1 < argc)
                a->format = argv[++i];
            else
                return HV_FAIL(ctx, HV_E_CONFIG, "--format needs a value");
        } else if (strcmp(s, "--store-layers") == 0) {
            a->store_layers = true;
        } else if (s[0] != '-' && !a->image) {
            a->image = s;
        } else {
            rest[(*n_rest)++] = argv[i];
        }
    }
    rest[*n_rest] = NULL;
    if (!a->image)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "usage: havend scan PROJECT/REPO:TAG|PROJECT/REPO@DIGEST "
                       "[--format inventory|spdx|cyclonedx] [--store-layers] [--data DIR] "
                       "[settings…]");
    if (strcmp(a->format, "inventory") != 0 && strcmp(a->format, "spdx") != 0 &&
        strcmp(a->format, "cyclonedx") != 0)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "--format %s: the formats are inventory, spdx and cyclonedx", a->format);
    return HV_OK;
}

/* "project/repo:tag" or "project/repo@sha256:…" into repository and reference. */
static hv_err split_image(const char **repo, const char **ref, hv_ctx *ctx, const char *image) {
    const char *at = strchr(image, '@'), *colon = strrchr(image, ':');

    if (at) {
        *repo = hv_arena_strndup(ctx->arena, image, (size_t)(at - image));
        *ref = at + 1;
    } else if (colon && !strchr(colon, '/')) {
        *repo = hv_arena_strndup(ctx->arena, image, (size_t)(colon - image));
        *ref = colon + 1;
    } else {
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "%s: name the image as PROJECT/REPO:TAG or "
                       "PROJECT/REPO@DIGEST",
                       image);
    }
    if (!**repo || !**ref)
        return HV_FAIL(ctx, HV_E_CONFIG, "%s: the repository or the reference is empty", image);
    return HV_OK;
}

static hv_err open_blobs(hv_blob_store **out, hv_ctx *ctx, const hv_config *cfg) {
    hv_blob_s3_config s3 = hv_havend__s3_config(cfg);

    if (strcmp(cfg->storage, "s3") == 0)
        return hv_blob_s3_open(out, ctx, &s3);
    return hv_blob_fs_open_readonly(out, ctx, cfg->data_dir);
}

static json_t *render(const scan_args *a, const char *repo, const hv_scan_image *img) {
    hv_scan_sbom_subject s = {
        .name = repo, .digest = img->digest, .tool_name = "haven", .tool_version = "0.1"};

    if (strcmp(a->format, "spdx") == 0)
        return hv_scan_sbom_spdx(&s, &img->inv);
    if (strcmp(a->format, "cyclonedx") == 0)
        return hv_scan_sbom_cyclonedx(&s, &img->inv);
    return hv_scan_inventory_json(img);
}

int hv_havend__scan(int argc, char **argv, char **envp) {
    hv_ctx ctx = {.arena = hv_arena_new(), .actor = "scan"};
    scan_args a = {0};
    hv_config cfg = {0};
    hv_blob_store *blobs = NULL;
    hv_db *db = NULL;
    hv_scan_image *imgs = NULL;
    size_t n = 0;
    const char *repo = NULL, *ref = NULL;
    char **rest = hv_calloc((size_t)argc + 1, sizeof(*rest));
    int n_rest, lock = -1, status = 1;
    json_t *doc = NULL;
    hv_err rc = parse_args(&a, &ctx, argc, argv, rest, &n_rest);

    if (!rc)
        rc = split_image(&repo, &ref, &ctx, a.image);
    if (!rc)
        rc = hv_config_load(&cfg, &ctx, n_rest, rest, envp);
    if (rc)
        goto out;
    lock = hv_havend__lock(&ctx, cfg.data_dir, false);
    if (lock < 0) {
        rc = ctx.err.code;
        goto out;
    }
    rc = open_blobs(&blobs, &ctx, &cfg);
    if (!rc)
        rc = hv_db_open(&db, &ctx,
                        cfg.database_url ? cfg.database_url
                                         : hv_arena_printf(ctx.arena, "%s/haven.db", cfg.data_dir));
    if (rc)
        goto out;
    ctx.db = db;
    rc = hv_scan_inventory_image(&imgs, &n, &ctx, blobs, repo, ref, a.store_layers);
    if (rc)
        goto out;
    if (n == 1 && !imgs[0].platform) {
        doc = render(&a, repo, &imgs[0]);
    } else {
        doc = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(doc, render(&a, repo, &imgs[i]));
    }
    if (json_dumpf(doc, stdout, JSON_INDENT(2)) == 0 && fputc('\n', stdout) != EOF &&
        fflush(stdout) == 0)
        status = 0;
    else
        fprintf(stderr, "havend scan: writing the result failed\n");
out:
    if (rc)
        fprintf(stderr, "havend scan: %s\n", ctx.err.message);
    json_decref(doc);
    hv_db_close(db);
    hv_blob_close(blobs);
    if (lock >= 0)
        close(lock);
    hv_config_free(&cfg);
    free(rest);
    hv_arena_free(ctx.arena);
    return status;
}
