/*
 * The operating system of an image, as Trivy finds it (reference §3): Debian from
 * etc/debian_version, Ubuntu from etc/lsb-release (or os-release's ID), Alpine from
 * etc/alpine-release with the branch that etc/apk/repositories names, the Red Hat family
 * from its release files, and every other distribution from os-release (etc/os-release,
 * else usr/lib/os-release).  The name shown is os-release's PRETTY_NAME (else NAME).
 *
 * The release files are read from the merged layers (a later layer's copy wins, whiteouts
 * remove them), so that an image built FROM another and upgraded says the newer release.
 * Once the OS is known, each OS package gets its purl with the distro qualifier.
 */
#include "scan/scan_int.h"

#include <ctype.h>
#include <string.h>

#define DB_MAX (256u << 20)

const hv_scan_analyzer hv_scan_os_analyzers[] = {
    {"dpkg", DB_MAX, hv_scan__dpkg_wants, hv_scan__dpkg_parse},
    {"apk", DB_MAX, hv_scan__apk_wants, hv_scan__apk_parse},
    {"rpm", DB_MAX, hv_scan__rpm_wants, hv_scan__rpm_parse},
    {0},
};

/* Red Hat family release files, and the family each names. */
static const struct {
    const char *path, *family;
} redhat_files[] = {
    {"etc/rocky-release", "rocky"},   {"etc/almalinux-release", "alma"},
    {"etc/oracle-release", "oracle"}, {"etc/centos-release", "centos"},
    {"etc/fedora-release", "fedora"}, {"etc/redhat-release", "redhat"},
};

static const char *const other_files[] = {
    "etc/os-release",  "usr/lib/os-release", "etc/debian_version",
    "etc/lsb-release", "etc/alpine-release", "etc/apk/repositories",
};

bool hv_scan__os_file(const char *path) {
    for (size_t i = 0; i < sizeof(redhat_files) / sizeof(redhat_files[0]); i++) {
        if (strcmp(path, redhat_files[i].path) == 0)
            return true;
    }
    for (size_t i = 0; i < sizeof(other_files) / sizeof(other_files[0]); i++) {
        if (strcmp(path, other_files[i]) == 0)
            return true;
    }
    return false;
}

static const char *text_of(const hv_scan_file *files, size_t n, const char *path) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(files[i].path, path) == 0)
            return files[i].text;
    }
    return NULL;
}

static char *first_line(hv_ctx *ctx, const char *text) {
    size_t len = strcspn(text, "\r\n");

    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    return len ? hv_arena_strndup(ctx->arena, text, len) : NULL;
}

/* The value of KEY=value (quotes removed) in a shell-style file, or NULL. */
static char *var(hv_ctx *ctx, const char *text, const char *key) {
    size_t klen = strlen(key);

    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        size_t len = strcspn(l, "\r\n");

        if (len > klen && strncmp(l, key, klen) == 0 && l[klen] == '=') {
            const char *v = l + klen + 1;
            len -= klen + 1;
            if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
                v++;
                len -= 2;
            }
            return len ? hv_arena_strndup(ctx->arena, v, len) : NULL;
        }
    }
    return NULL;
}

/* "Rocky Linux release 9.3 (Blue Onyx)" → "9.3". */
static char *release_version(hv_ctx *ctx, const char *text) {
    const char *r = strstr(text, "release ");

    if (!r)
        return NULL;
    r += strlen("release ");
    return hv_arena_strndup(ctx->arena, r, strspn(r, "0123456789."));
}

/* The branch that an Alpine repositories file names ("3.19", "edge"), or NULL. */
static char *alpine_branch(hv_ctx *ctx, const char *text) {
    const char *p = text;

    while ((p = strstr(p, "/alpine/")) != NULL) {
        p += strlen("/alpine/");
        if (strncmp(p, "edge", 4) == 0 && (p[4] == '/' || !p[4] || isspace((unsigned char)p[4])))
            return hv_arena_strdup(ctx->arena, "edge");
        if (p[0] == 'v' && isdigit((unsigned char)p[1]))
            return hv_arena_strndup(ctx->arena, p + 1, strspn(p + 1, "0123456789."));
    }
    return NULL;
}

/* os-release IDs and the family each is known as. */
static const struct {
    const char *id, *family;
} release_ids[] = {
    {"rhel", "redhat"},
    {"centos", "centos"},
    {"rocky", "rocky"},
    {"almalinux", "alma"},
    {"ol", "oracle"},
    {"fedora", "fedora"},
    {"alpine", "alpine"},
    {"wolfi", "wolfi"},
    {"chainguard", "chainguard"},
    {"amzn", "amazon"},
    {"photon", "photon"},
    {"mariner", "cbl-mariner"},
    {"azurelinux", "azurelinux"},
    {"sles", "sles"},
    {"opensuse-leap", "opensuse.leap"},
    {"opensuse-tumbleweed", "opensuse.tumbleweed"},
    {"ubuntu", "ubuntu"},
    {"debian", "debian"},
};

void hv_scan__os_detect(hv_scan_inventory *inv, hv_ctx *ctx, const hv_scan_file *files, size_t n) {
    const char *rel = text_of(files, n, "etc/os-release");
    const char *t;

    if (!rel)
        rel = text_of(files, n, "usr/lib/os-release");
    if (rel) {
        inv->os_name = var(ctx, rel, "PRETTY_NAME");
        if (!inv->os_name)
            inv->os_name = var(ctx, rel, "NAME");
    }
    if ((t = text_of(files, n, "etc/lsb-release")) && (t = var(ctx, t, "DISTRIB_ID")) &&
        strcmp(t, "Ubuntu") == 0) {
        inv->os_family = "ubuntu";
        inv->os_version = var(ctx, text_of(files, n, "etc/lsb-release"), "DISTRIB_RELEASE");
        return;
    }
    if (rel && (t = var(ctx, rel, "ID")) && strcmp(t, "ubuntu") == 0) {
        inv->os_family = "ubuntu";
        inv->os_version = var(ctx, rel, "VERSION_ID");
        return;
    }
    if ((t = text_of(files, n, "etc/debian_version"))) {
        inv->os_family = "debian";
        inv->os_version = first_line(ctx, t);
        return;
    }
    if ((t = text_of(files, n, "etc/alpine-release"))) {
        const char *repos = text_of(files, n, "etc/apk/repositories");
        char *branch = repos ? alpine_branch(ctx, repos) : NULL;
        char *v = first_line(ctx, t);

        inv->os_family = "alpine";
        inv->os_version = v;
        /* the repositories say which branch's packages are installed, when the release
         * file says another (edge, or an upgraded image) */
        if (branch && (!v || strncmp(v, branch, strlen(branch)) != 0 ||
                       (v[strlen(branch)] != '.' && v[strlen(branch)] != '\0')))
            inv->os_version = branch;
        return;
    }
    for (size_t i = 0; i < sizeof(redhat_files) / sizeof(redhat_files[0]); i++) {
        if ((t = text_of(files, n, redhat_files[i].path))) {
            inv->os_family = redhat_files[i].family;
            inv->os_version = release_version(ctx, t);
            return;
        }
    }
    if (rel && (t = var(ctx, rel, "ID"))) {
        for (size_t i = 0; i < sizeof(release_ids) / sizeof(release_ids[0]); i++) {
            if (strcmp(t, release_ids[i].id) == 0) {
                inv->os_family = release_ids[i].family;
                inv->os_version = var(ctx, rel, "VERSION_ID");
                return;
            }
        }
    }
}

/* Percent-encodes what a purl's version or qualifier may not hold as it is. */
static char *esc(hv_ctx *ctx, const char *s) {
    size_t n = strlen(s);
    char *o = hv_arena_alloc(ctx->arena, 3 * n + 1), *d = o;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
            *d++ = (char)c;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            *d++ = '%';
            *d++ = hex[c >> 4];
            *d++ = hex[c & 15];
        }
    }
    *d = '\0';
    return o;
}

void hv_scan__os_purl(hv_scan_pkg *p, hv_ctx *ctx, const hv_scan_inventory *inv) {
    const char *family = inv->os_family, *ver = inv->os_version;
    const char *arch = p->arch ? hv_arena_printf(ctx->arena, "arch=%s&", esc(ctx, p->arch)) : "";
    const char *distro = "";

    if (p->eco == HV_ECO_DEBIAN && family && strcmp(family, "ubuntu") == 0)
        p->eco = HV_ECO_UBUNTU;
    if (family && ver)
        distro = hv_arena_printf(ctx->arena, "distro=%s-%s", esc(ctx, family), esc(ctx, ver));
    else if (family)
        distro = hv_arena_printf(ctx->arena, "distro=%s", esc(ctx, family));
    switch (p->eco) {
    case HV_ECO_DEBIAN:
    case HV_ECO_UBUNTU:
        p->purl = hv_arena_printf(ctx->arena, "pkg:deb/%s/%s@%s?%s%s",
                                  p->eco == HV_ECO_UBUNTU ? "ubuntu" : "debian", esc(ctx, p->name),
                                  esc(ctx, p->version), arch, distro);
        break;
    case HV_ECO_ALPINE:
        p->purl = hv_arena_printf(ctx->arena, "pkg:apk/%s/%s@%s?%s%s",
                                  family ? esc(ctx, family) : "alpine", esc(ctx, p->name),
                                  esc(ctx, p->version), arch, distro);
        break;
    case HV_ECO_RPM: {
        /* version-release in the version, the epoch as its own qualifier (purl-spec) */
        const char *v = p->version, *colon = strchr(v, ':');
        const char *epoch = "";
        if (colon) {
            epoch = hv_arena_printf(ctx->arena, "epoch=%.*s&", (int)(colon - v), v);
            v = colon + 1;
        }
        p->purl = hv_arena_printf(ctx->arena, "pkg:rpm/%s/%s@%s?%s%s%s",
                                  family ? esc(ctx, family) : "rpm", esc(ctx, p->name), esc(ctx, v),
                                  arch, epoch, distro);
        break;
    }
    default:
        return;
    }
    /* no qualifiers at all: no '?' or trailing '&' either */
    size_t len = strlen(p->purl);
    if (p->purl[len - 1] == '&' || p->purl[len - 1] == '?')
        ((char *)p->purl)[len - 1] = '\0';
}
