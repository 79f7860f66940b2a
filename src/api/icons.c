/*
 * GET /icons/{digest}: the icons artifacts and accessories point at ("icon" in Artifact and
 * Accessory), as Harbor's Icon {"content-type", "content" (base64)}.
 *
 * The digests are Harbor's (src/lib/icon/const.go), so that clients that know them keep
 * working; the pictures are Haven's own, drawn by scripts/make_icons.py, and do not hash to
 * those digests: a digest here names an icon, it does not checksum it.  Harbor also serves
 * an icon that a pushed artifact carries as a layer (annotation
 * io.goharbor.artifact.v1alpha1.icon); Haven records no such layers, so every icon it names
 * is one of these and every other digest is 404.  Icons are public, as in Harbor.
 */
#include "api/api_int.h"

#include <string.h>

#define ICON_IMAGE    "sha256:0048162a053eef4d4ce3fe7518615bef084403614f8bca43b40ae2e762e11e06"
#define ICON_CHART    "sha256:61cf3a178ff0f75bf08a25d96b75cf7355dc197749a9f128ed3ef34b0df05518"
#define ICON_CNAB     "sha256:089bdda265c14d8686111402c8ad629e8177a1ceb7dcd0f7f39b6480f623b3bd"
#define ICON_WASM     "sha256:badd7693bcaf115be202748241dd0ea6ee3b0524bfab9ac22d1e1c43721afec6"
#define ICON_DEFAULT  "sha256:da834479c923584f4cbcdecc0dac61f32bef1d51e8aae598cf16bd154efab49f"
#define ICON_COSIGN   "sha256:20401d5b3a0f6dbc607c8d732eb08471af4ae6b19811a4efce8c6a724aed2882"
#define ICON_NOTATION "sha256:3ac706e102bbe9362b400aa162df58135d35e66b9c3bee2165de92022d25fe34"
#define ICON_NYDUS    "sha256:dfcb6617cd9c144358dc1b305b87bbe34f0b619f1e329116e6aee2e41f2e34cf"
#define ICON_SBOM     "sha256:c19f80c357cd7e90d2a01b9ae3e2eb62ce447a2662bb590a19177d72d550bdae"

/* Each icon: its digest and its PNG in base64 (rows printed by scripts/make_icons.py). */
static const struct {
    const char *digest;
    const char *png_base64;
} icons[] = {
    {ICON_IMAGE, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAf0lEQVR42u3asQ2AMAwEwGzCiEzH"
                 "fEBFA0IBBYWHs+Q+16TwfykVM4zT3HPL3en98CawtyOqMCmIU0wa4hCTithhQEAegKQjNgzIuq0H"
                 "BORrkKvQ2F8LBAQEBAQEBAQEBAQEBCQM4ooCAuIaLyORWIHI2rUfvtlH+U/NKbV4tgBqfbhbbdfp"
                 "MgAAAABJRU5ErkJggg=="},
    {ICON_CHART, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAfklEQVR42u3aOQ6AMAwEQP+Ajj/z"
                 "aqCiAIQirmAyK7mMlGlSxBtRkK4fxpoTZ1P74rfAvo4owmRBHGKyIXYxWREbDAjIA5DsiAUDMs86"
                 "b58HAQEBAQEBAWkJcjUgIH+HeLVAQEBAQEBAQHxi25HYWIHYtWs/6KO0U3PKWjybABAnHXfF3hsW"
                 "AAAAAElFTkSuQmCC"},
    {ICON_CNAB, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAhUlEQVR42u3awQmAMAwF0E7kOg7l"
                "0HrzYpGqlZr4ArnnHQol+aU01LTM68gud2v04F1gX0c0YaIgTjHREFVMVMQBAwLyAiQ6YseAVPpq"
                "gYBkhzwdrCcMBCQjJM1jBwEBAQEBAQHxaQQBsXwAAfk4xDbejcTpDcSt/Rfph/yhmlQxp6jBsw11"
                "3s3lFjz4ngAAAABJRU5ErkJggg=="},
    {ICON_WASM, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAhElEQVR42u3aSw6AIAwFQG7oKby/"
                "N0BXLtQY/GJlmnRFSDo7Ql9KBdV3Q67Z6WzVHvwW2NcRRZgoiF1MNMQmJipihQEBeQASHTFjQKZe"
                "1tv3QUBAQEBAQEBahlw9BwEBAQFpC3J0cBCQ1iBevyAgfuPtSKzeQOzapR/y/0M1v4o5RQ2ejSeq"
                "KK+0cEYAAAAAAElFTkSuQmCC"},
    {ICON_DEFAULT, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAf0lEQVR42u3aMQ6AIBAEQP5r5wv8"
                   "uXY2EoMCwcPZ5PqbhoLblAqyrNs+ctLbjF68CezriCJMFMQtJhoii4mKuGBAQDpAoiNODEhmngYE"
                   "ZHZI7WItYSAgICAg8SG1AQGZHeLVAgEBAQEBAQHxie1G4mIF4tau/aCP8p+aU9Ti2QHNdeD6wNUh"
                   "+gAAAABJRU5ErkJggg=="},
    {ICON_COSIGN, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAi0lEQVR42u3aOw6AMAyD4UxcmbNy"
                  "GthYqFAFRcbuHyl7v6EPNa7qqG1ddmXX01IvfAjs74gujAviFuOGaGJcERcMECAfQNwRJwZIo98W"
                  "ECBpkJELkW52IECAAAFieSECATIbRHlYAAECBAgQP4jyswEIkBneWkBSZySM3oAwaw9PP+SHaqJi"
                  "Tq7BswNoLVgiO710RgAAAABJRU5ErkJggg=="},
    {ICON_NOTATION, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAiUlEQVR42u3aMQ6AIAwFUI7h7v03"
                    "76dODmoMGhQLr0knQsJbCKE/pYyaxmGu2elp1T54EdjfEVmYKIhLTDTEKSYq4oABAXkBEh2xYUDW"
                    "3tfX+0FAokHuHgwEpDdI6XUQkNYhpS8HEJDWIV6/ICAgICAgICB+481ITKxAzNqlH9rPo/QTc4oa"
                    "PFsANzs33VtwxHsAAAAASUVORK5CYII="},
    {ICON_NYDUS, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAhElEQVR42u3asQ2AMAwEwEzAtAzC"
                 "xkBFAQgFFBIczpLLSH9t/CllzDBOc8tNT6d18CKwryOyMFEQl5hoiFNMVMQBAwLyAiQ6YsOArLuf"
                 "2u9BQEBAQGJD7gYrGRwEJCKkZnAQEBAQEBAQEBAQEBC/8W4kTm8gbu2/az/0X6rpquYUtXi2AJbz"
                 "guVF1tI4AAAAAElFTkSuQmCC"},
    {ICON_SBOM, "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAAg0lEQVR42u3awQmAMAwF0M7lbK7s"
                "DOrJiyJFrTXxBXIs9F0aaH4pFTUO09yzy9XqffFHYF9HVGGiIE4x0RCHmKiIHQYEpAEkOmLDgKx9"
                "t0BA/gZ5+zwICAgISC6IyQ4C4tUCAQEBATEQQUB8YtuR2FiB5IakCQykinCkCtWkijlFDZ4trutL"
                "twxDfZcAAAAASUVORK5CYII="},
};

/* Artifact types and accessory types to their icons. */
typedef struct type_icon {
    const char *type;
    const char *digest;
} type_icon;

static const type_icon artifact_icons[] = {
    {"IMAGE", ICON_IMAGE},
    {"CHART", ICON_CHART},
    {"CNAB", ICON_CNAB},
    {"WASM", ICON_WASM},
};

static const type_icon accessory_icons[] = {
    {"signature.cosign", ICON_COSIGN},
    {"signature.notation", ICON_NOTATION},
    {"accelerator.nydus", ICON_NYDUS},
    {"sbom.harbor", ICON_SBOM},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *icon_of(const type_icon *t, size_t n, const char *type, const char *other) {
    for (size_t i = 0; type && i < n; i++) {
        if (strcmp(type, t[i].type) == 0)
            return t[i].digest;
    }
    return other;
}

const char *hv_api__artifact_icon(const char *type) {
    return icon_of(artifact_icons, COUNT(artifact_icons), type, ICON_DEFAULT);
}

const char *hv_api__accessory_icon(const char *type) {
    /* Harbor shows none for other accessories */
    return icon_of(accessory_icons, COUNT(accessory_icons), type, "");
}

static hv_err get_icon(hv_req *r) {
    const char *digest = r->params[0];
    hv_err rc = hv_oci_digest_check(&r->ctx, digest, strlen(digest));

    if (rc)
        return rc;
    for (size_t i = 0; i < COUNT(icons); i++) {
        if (strcmp(digest, icons[i].digest) == 0)
            return hv_api__json(r, 200,
                                json_pack("{s:s, s:s}", "content-type", "image/png", "content",
                                          icons[i].png_base64));
    }
    return HV_FAIL(&r->ctx, HV_E_NOT_FOUND, "the icon %s not found", digest);
}

HV_API_HANDLER(icon_handler, get_icon);

const hv_api__route hv_api__icon_routes[] = {
    {"GET", "/icons/{digest}", &icon_handler},
    {NULL, NULL, NULL},
};
