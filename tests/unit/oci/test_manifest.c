/*
 * Manifest and index parsing: what is accepted and stored, what is refused and what the
 * refusal says, media type predicates and Accept negotiation.  Bodies are written with
 * single quotes, turned into JSON by json().
 */
#include "oci/oci.h"
#include "test.h"

#include <stdlib.h>

#define D1 "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
#define D2 "sha256:c6a83fedfae6ed8a4f5f7cbb6a7b6f1c1ec3d86fea8cb9e5ba2e5e6f7b4e0c9a"
#define D3 "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"
#define D4 "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741"

#define OCI_CONFIG                                                                                 \
    "{'mediaType':'application/vnd.oci.image.config.v1+json','digest':'" D1 "','size':1470}"
#define OCI_LAYER                                                                                  \
    "{'mediaType':'application/vnd.oci.image.layer.v1.tar+gzip','digest':'" D2 "','size':3370706}"

static hv_ctx ctx;

/* The body s with every ' turned into ", in the arena. */
static const char *json(const char *s) {
    char *j = hv_arena_strdup(ctx.arena, s);

    for (char *p = j; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    return j;
}

static hv_err parse(hv_oci_manifest *m, const char *content_type, const char *body) {
    const char *b = json(body);

    hv_error_clear(&ctx);
    return hv_oci_manifest_parse(m, &ctx, content_type, b, strlen(b));
}

/* Expects body to be refused with code and a message containing needle. */
#define REJECT(content_type, body, code, needle)                                                   \
    do {                                                                                           \
        hv_oci_manifest m_;                                                                        \
        hv_err rc_ = parse(&m_, (content_type), (body));                                           \
        CHECK_INT(rc_, (code));                                                                    \
        if (!strstr(ctx.err.message, (needle))) {                                                  \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__,            \
                    ctx.err.message, (needle));                                                    \
        }                                                                                          \
        CHECK(m_.media_type == NULL);                                                              \
    } while (0)

#define ACCEPT(content_type, body)                                                                 \
    do {                                                                                           \
        hv_oci_manifest m_;                                                                        \
        CHECK_INT(parse(&m_, (content_type), (body)), HV_OK);                                      \
        if (ctx.err.code)                                                                          \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, ctx.err.message);                   \
    } while (0)

static void setup(void) {
    hv_arena_free(ctx.arena);
    memset(&ctx, 0, sizeof(ctx));
    ctx.arena = hv_arena_new();
}

static void test_oci_manifest(void) {
    hv_oci_manifest m;
    const char *body = "{'schemaVersion':2,"
                       "'mediaType':'application/vnd.oci.image.manifest.v1+json',"
                       "'config':" OCI_CONFIG ","
                       "'layers':[" OCI_LAYER ","
                       "{'mediaType':'application/vnd.oci.image.layer.v1.tar+zstd','digest':'" D3
                       "','size':0,'annotations':{'org.opencontainers.image.title':'b.tar'}}],"
                       "'annotations':{'org.opencontainers.image.created':'2024-01-02T03:04:05Z',"
                       "'com.example.n':'1'}}";

    setup();
    CHECK_INT(parse(&m, HV_MT_OCI_MANIFEST, body), HV_OK);
    CHECK_INT(m.kind, HV_OCI_MANIFEST);
    CHECK_STR(m.media_type, HV_MT_OCI_MANIFEST);
    CHECK_STR(m.artifact_type, HV_MT_OCI_CONFIG);
    CHECK_STR(m.config.media_type, HV_MT_OCI_CONFIG);
    CHECK_STR(m.config.digest, D1);
    CHECK_INT(m.config.size, 1470);
    CHECK_INT(m.n_layers, 2);
    CHECK_STR(m.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    CHECK_STR(m.layers[0].digest, D2);
    CHECK_INT(m.layers[0].size, 3370706);
    CHECK(m.layers[0].annotations_json == NULL);
    CHECK_INT(m.layers[1].size, 0);
    CHECK_STR(m.layers[1].annotations_json, "{\"org.opencontainers.image.title\":\"b.tar\"}");
    CHECK(m.manifests == NULL);
    CHECK_INT(m.n_manifests, 0);
    CHECK(!m.has_subject);
    CHECK_STR(m.annotations_json, "{\"org.opencontainers.image.created\":\"2024-01-02T03:04:05Z\","
                                  "\"com.example.n\":\"1\"}");

    /* the strings live in the arena, not in the (freed) JSON tree */
    CHECK(m.config.digest != NULL && m.config.digest[0] == 's');
    CHECK_INT(m.total_size, (int64_t)strlen(body) + 1470 + 3370706);
}

static void test_oci_index(void) {
    hv_oci_manifest m;
    const char *body =
        "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json',"
        "'manifests':["
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" D1 "',"
        "'size':1024,'platform':{'architecture':'amd64','os':'linux'}},"
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" D2 "',"
        "'size':1025,'platform':{'architecture':'arm','os':'linux','variant':'v7'}},"
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" D3 "',"
        "'size':2048,'platform':{'architecture':'amd64','os':'windows',"
        "'os.version':'10.0.17763.1040','os.features':['win32k']}},"
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" D4 "',"
        "'size':566,'annotations':{'vnd.docker.reference.type':'attestation-manifest'}}"
        "],'annotations':{'org.opencontainers.image.ref.name':'1.0'}}";

    setup();
    CHECK_INT(parse(&m, NULL, body), HV_OK);
    CHECK_INT(m.kind, HV_OCI_INDEX);
    CHECK_STR(m.media_type, HV_MT_OCI_INDEX);
    CHECK(m.artifact_type == NULL);
    CHECK_INT(m.n_manifests, 4);
    CHECK_INT(m.n_layers, 0);
    CHECK(m.layers == NULL);
    CHECK(m.config.media_type == NULL);
    CHECK_STR(m.manifests[0].os, "linux");
    CHECK_STR(m.manifests[0].architecture, "amd64");
    CHECK(m.manifests[0].variant == NULL);
    CHECK_STR(m.manifests[1].variant, "v7");
    CHECK_STR(m.manifests[1].digest, D2);
    CHECK_INT(m.manifests[1].size, 1025);
    CHECK_STR(m.manifests[2].os, "windows");
    CHECK(m.manifests[3].os == NULL);
    CHECK_STR(m.manifests[3].annotations_json,
              "{\"vnd.docker.reference.type\":\"attestation-manifest\"}");
    CHECK_STR(m.annotations_json, "{\"org.opencontainers.image.ref.name\":\"1.0\"}");

    /* an index may list nothing, and may carry its own artifactType */
    CHECK_INT(parse(&m, HV_MT_OCI_INDEX,
                    "{'schemaVersion':2,'artifactType':'application/vnd.example+type',"
                    "'manifests':[]}"),
              HV_OK);
    CHECK_INT(m.kind, HV_OCI_INDEX);
    CHECK_INT(m.n_manifests, 0);
    CHECK_STR(m.artifact_type, "application/vnd.example+type");
}

static void test_docker(void) {
    hv_oci_manifest m;
    const char *manifest =
        "{'schemaVersion':2,"
        "'mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
        "'config':{'mediaType':'application/vnd.docker.container.image.v1+json','size':7023,"
        "'digest':'" D1 "'},"
        "'layers':[{'mediaType':'application/vnd.docker.image.rootfs.diff.tar.gzip',"
        "'size':32654,'digest':'" D2 "'},"
        "{'mediaType':'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',"
        "'size':16724,'digest':'" D3 "','urls':['https://example.com/layer.tgz']}]}";
    const char *list =
        "{'schemaVersion':2,"
        "'mediaType':'application/vnd.docker.distribution.manifest.list.v2+json',"
        "'manifests':[{'mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
        "'size':7143,'digest':'" D1 "','platform':{'architecture':'ppc64le','os':'linux'}},"
        "{'mediaType':'application/vnd.docker.distribution.manifest.v2+json','size':7682,"
        "'digest':'" D2 "','platform':{'architecture':'amd64','os':'linux',"
        "'features':['sse4']}}]}";

    setup();
    CHECK_INT(parse(&m, HV_MT_DOCKER_MANIFEST, manifest), HV_OK);
    CHECK_INT(m.kind, HV_OCI_MANIFEST);
    CHECK_STR(m.media_type, HV_MT_DOCKER_MANIFEST);
    CHECK_STR(m.artifact_type, "application/vnd.docker.container.image.v1+json");
    CHECK_INT(m.n_layers, 2);
    CHECK_INT(m.layers[1].size, 16724);

    CHECK_INT(parse(&m, HV_MT_DOCKER_LIST, list), HV_OK);
    CHECK_INT(m.kind, HV_OCI_INDEX);
    CHECK_STR(m.media_type, HV_MT_DOCKER_LIST);
    CHECK(m.artifact_type == NULL);
    CHECK_INT(m.n_manifests, 2);
    CHECK_STR(m.manifests[0].architecture, "ppc64le");
    CHECK_STR(m.manifests[1].media_type, HV_MT_DOCKER_MANIFEST);

    /* the body says what it is; no Content-Type needed */
    CHECK_INT(parse(&m, NULL, list), HV_OK);
    CHECK_STR(m.media_type, HV_MT_DOCKER_LIST);
    CHECK_INT(parse(&m, "", manifest), HV_OK);
    CHECK_STR(m.media_type, HV_MT_DOCKER_MANIFEST);
}

static void test_subject_and_artifact_type(void) {
    hv_oci_manifest m;
    const char *body =
        "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.manifest.v1+json',"
        "'artifactType':'application/vnd.example.sbom.v1+json',"
        "'config':{'mediaType':'application/vnd.oci.empty.v1+json','digest':"
        "'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a','size':2,"
        "'data':'e30='},"
        "'layers':[{'mediaType':'application/spdx+json','digest':'" D2 "','size':1234}],"
        "'subject':{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" D3 "',"
        "'size':7682,'artifactType':'application/vnd.oci.image.config.v1+json'}}";

    setup();
    CHECK_INT(parse(&m, HV_MT_OCI_MANIFEST, body), HV_OK);
    CHECK_STR(m.artifact_type, "application/vnd.example.sbom.v1+json");
    CHECK_STR(m.config.media_type, HV_MT_OCI_EMPTY);
    CHECK(m.has_subject);
    CHECK_STR(m.subject.digest, D3);
    CHECK_STR(m.subject.media_type, HV_MT_OCI_MANIFEST);
    CHECK_INT(m.subject.size, 7682);
    CHECK_STR(m.subject.artifact_type, HV_MT_OCI_CONFIG);

    /* an index can refer to a subject too */
    CHECK_INT(parse(&m, NULL,
                    "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json',"
                    "'manifests':[],'subject':{'mediaType':'application/vnd.oci.image.index.v1+"
                    "json','digest':'" D4 "','size':1}}"),
              HV_OK);
    CHECK(m.has_subject);
    CHECK_STR(m.subject.digest, D4);

    /* without artifactType, the config media type names the artifact */
    CHECK_INT(parse(&m, NULL,
                    "{'schemaVersion':2,'config':{'mediaType':'application/vnd.cncf.helm.config."
                    "v1+json','digest':'" D1 "','size':117},'layers':[]}"),
              HV_OK);
    CHECK_STR(m.artifact_type, "application/vnd.cncf.helm.config.v1+json");
    CHECK_INT(m.n_layers, 0);
    CHECK(m.layers != NULL);
}

static void test_media_type_resolution(void) {
    hv_oci_manifest m;
    const char *bare_manifest = "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[]}";
    const char *bare_index = "{'schemaVersion':2,'manifests':[]}";

    setup();
    /* inferred from the fields when neither body nor header say */
    CHECK_INT(parse(&m, NULL, bare_manifest), HV_OK);
    CHECK_STR(m.media_type, HV_MT_OCI_MANIFEST);
    CHECK_INT(parse(&m, "", bare_index), HV_OK);
    CHECK_STR(m.media_type, HV_MT_OCI_INDEX);
    CHECK_INT(m.kind, HV_OCI_INDEX);
    CHECK_INT(parse(&m, "  ;charset=utf-8", bare_index), HV_OK);
    CHECK_STR(m.media_type, HV_MT_OCI_INDEX);

    /* from the Content-Type, whose parameters, blanks and case do not count */
    CHECK_INT(parse(&m, HV_MT_DOCKER_MANIFEST "; charset=utf-8", bare_manifest), HV_OK);
    CHECK_STR(m.media_type, HV_MT_DOCKER_MANIFEST);
    CHECK_INT(parse(&m, " Application/VND.oci.image.index.v1+json ", bare_index), HV_OK);
    CHECK_STR(m.media_type, HV_MT_OCI_INDEX);
    ACCEPT(HV_MT_OCI_MANIFEST ";charset=utf-8",
           "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.manifest.v1+json',"
           "'config':" OCI_CONFIG ",'layers':[]}");

    /* the body's mediaType and the Content-Type must agree */
    REJECT(HV_MT_DOCKER_MANIFEST,
           "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.manifest.v1+json',"
           "'config':" OCI_CONFIG ",'layers':[]}",
           HV_E_MANIFEST_INVALID,
           "mediaType \"" HV_MT_OCI_MANIFEST
           "\" does not match Content-Type \"" HV_MT_DOCKER_MANIFEST "\"");
    REJECT("application/json",
           "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json',"
           "'manifests':[]}",
           HV_E_MANIFEST_INVALID, "does not match Content-Type \"application/json\"");

    /* media types that are not manifests */
    REJECT("application/json", bare_manifest, HV_E_MANIFEST_INVALID,
           "unsupported manifest media type \"application/json\"");
    REJECT(NULL,
           "{'schemaVersion':2,'mediaType':'application/vnd.oci.artifact.manifest.v1+json',"
           "'blobs':[]}",
           HV_E_MANIFEST_INVALID, "unsupported manifest media type");
    REJECT(NULL, "{'schemaVersion':2,'mediaType':7,'manifests':[]}", HV_E_MANIFEST_INVALID,
           "mediaType must be a string");
    REJECT(NULL, "{'schemaVersion':2,'layers':[]}", HV_E_MANIFEST_INVALID,
           "cannot tell the manifest's media type");
}

static void test_schema1(void) {
    const char *v1 = "{'schemaVersion':1,'name':'library/hello','tag':'latest',"
                     "'architecture':'amd64','fsLayers':[{'blobSum':'" D1 "'}],"
                     "'history':[{'v1Compatibility':'{}'}]}";

    setup();
    REJECT(NULL, v1, HV_E_MANIFEST_INVALID, "schema1 manifests are not supported");
    REJECT(HV_MT_DOCKER_V1_SIGNED, v1, HV_E_MANIFEST_INVALID, "push with a Docker schema2 or OCI");
    REJECT(HV_MT_DOCKER_V1, v1, HV_E_MANIFEST_INVALID, "schema1");
    /* refused by Content-Type before the body is even read */
    REJECT(HV_MT_DOCKER_V1_SIGNED, "not json", HV_E_MANIFEST_INVALID, "schema1");
    REJECT(NULL,
           "{'schemaVersion':2,'mediaType':'application/vnd.docker.distribution.manifest.v1+"
           "prettyjws'}",
           HV_E_MANIFEST_INVALID, "schema1");
}

static void test_document_rejections(void) {
    hv_oci_manifest m;

    setup();
    REJECT(NULL, "", HV_E_MANIFEST_INVALID, "not valid JSON");
    REJECT(HV_MT_OCI_MANIFEST, "{'schemaVersion':2,", HV_E_MANIFEST_INVALID, "not valid JSON");
    REJECT(HV_MT_OCI_MANIFEST, "[1,2]", HV_E_MANIFEST_INVALID, "must be a JSON object");
    REJECT(HV_MT_OCI_MANIFEST, "'x'", HV_E_MANIFEST_INVALID, "not valid JSON");
    REJECT(HV_MT_OCI_MANIFEST,
           "{'schemaVersion':2,'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[]}",
           HV_E_MANIFEST_INVALID, "duplicate");
    REJECT(HV_MT_OCI_MANIFEST, "{'config':" OCI_CONFIG ",'layers':[]}", HV_E_MANIFEST_INVALID,
           "schemaVersion is required");
    REJECT(HV_MT_OCI_MANIFEST, "{'schemaVersion':'2','config':" OCI_CONFIG ",'layers':[]}",
           HV_E_MANIFEST_INVALID, "schemaVersion must be the integer 2");
    REJECT(HV_MT_OCI_MANIFEST, "{'schemaVersion':2.0,'config':" OCI_CONFIG ",'layers':[]}",
           HV_E_MANIFEST_INVALID, "schemaVersion must be the integer 2");
    REJECT(HV_MT_OCI_MANIFEST, "{'schemaVersion':3,'config':" OCI_CONFIG ",'layers':[]}",
           HV_E_MANIFEST_INVALID, "schemaVersion must be 2, not 3");

    /* a raw NUL inside the body is not JSON */
    hv_error_clear(&ctx);
    CHECK_INT(hv_oci_manifest_parse(&m, &ctx, NULL, "{}\0{}", 5), HV_E_MANIFEST_INVALID);
    CHECK_INT(hv_oci_manifest_parse(&m, &ctx, NULL, NULL, 0), HV_E_MANIFEST_INVALID);
}

static void test_image_rejections(void) {
    const char *mt = HV_MT_OCI_MANIFEST;

    setup();
    REJECT(mt, "{'schemaVersion':2,'layers':[]}", HV_E_MANIFEST_INVALID,
           "field config is required");
    REJECT(mt, "{'schemaVersion':2,'config':'" D1 "','layers':[]}", HV_E_MANIFEST_INVALID,
           "field config must be a descriptor");
    REJECT(mt, "{'schemaVersion':2,'config':{'digest':'" D1 "','size':1},'layers':[]}",
           HV_E_MANIFEST_INVALID, "field config.mediaType is required");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':5,'digest':'" D1 "','size':1},'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.mediaType must be a string");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'config','digest':'" D1 "','size':1},"
           "'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.mediaType must be a media type");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'a/b;x=y','digest':'" D1 "','size':1},"
           "'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.mediaType must be a media type");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'','digest':'" D1 "','size':1},"
           "'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.mediaType must be a media type");
    REJECT(mt, "{'schemaVersion':2,'config':{'mediaType':'a/b','size':1},'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.digest is required");
    REJECT(mt, "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':1,'size':1},'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.digest must be a string");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'sha256:abc','size':1},"
           "'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.digest is not a digest: a sha256 digest has exactly 64");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'SHA256:abc','size':1},"
           "'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.digest");
    REJECT(mt, "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'" D1 "'},'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.size is required");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'" D1 "','size':'1'},"
           "'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.size must be a non-negative integer");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'" D1 "','size':1.5},"
           "'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.size must be a non-negative integer");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'" D1 "','size':-1},"
           "'layers':[]}",
           HV_E_MANIFEST_INVALID, "config.size must be a non-negative integer");
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG "}", HV_E_MANIFEST_INVALID,
           "field layers is required");
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':{}}", HV_E_MANIFEST_INVALID,
           "field layers must be an array");
    REJECT(mt,
           "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[" OCI_LAYER ",{'mediaType':'a/b',"
           "'digest':'" D2 "','size':true}]}",
           HV_E_MANIFEST_INVALID, "field layers[1].size must be a non-negative integer");
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[null]}", HV_E_MANIFEST_INVALID,
           "field layers[0] must be a descriptor");
    REJECT(mt,
           "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[{'mediaType':'a/b','digest':'" D2
           "','size':1,'urls':'http://x'}]}",
           HV_E_MANIFEST_INVALID, "layers[0].urls must be an array of strings");
    REJECT(mt,
           "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[{'mediaType':'a/b','digest':'" D2
           "','size':1,'data':{}}]}",
           HV_E_MANIFEST_INVALID, "layers[0].data must be a string");
    REJECT(mt,
           "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[{'mediaType':'a/b','digest':'" D2
           "','size':1,'artifactType':'nope'}]}",
           HV_E_MANIFEST_INVALID, "layers[0].artifactType must be a media type");
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[],'subject':'" D3 "'}",
           HV_E_MANIFEST_INVALID, "field subject must be a descriptor");
    REJECT(mt,
           "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[],'subject':{'mediaType':"
           "'application/vnd.oci.image.manifest.v1+json','digest':'" D3 "'}}",
           HV_E_MANIFEST_INVALID, "field subject.size is required");
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[],'artifactType':3}",
           HV_E_MANIFEST_INVALID, "field artifactType must be a string");
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[],'artifactType':'x/'}",
           HV_E_MANIFEST_INVALID, "field artifactType must be a media type");
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[],'annotations':[]}",
           HV_E_MANIFEST_INVALID, "field annotations must be an object of strings");
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[],'annotations':{'a':1}}",
           HV_E_MANIFEST_INVALID, "field annotations must be an object of strings");
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'" D1 "','size':1,"
           "'annotations':{'a':null}},'layers':[]}",
           HV_E_MANIFEST_INVALID, "field config.annotations must be an object of strings");
    /* one document must not read as both kinds */
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[],'manifests':[]}",
           HV_E_MANIFEST_INVALID, "an image manifest cannot also be an index");

    /* what is allowed: sha512 and unknown algorithms of the right shape, big sizes, extras */
    ACCEPT(mt, "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'sha512:"
               "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0"
               "ff8318d2877eec2f63b931bd47417a81a538327af927da3e','size':9007199254740993},"
               "'layers':[{'mediaType':'a/b','digest':'multihash+base58:QmRZxt2b1FVZPNqd8hsiy',"
               "'size':0,'urls':[],'data':''}],'unknownField':{'x':[1]}}");
}

static void test_index_rejections(void) {
    const char *it = HV_MT_OCI_INDEX;
    const char *entry =
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" D1 "','size':1,";

    setup();
    REJECT(it, "{'schemaVersion':2}", HV_E_MANIFEST_INVALID, "field manifests is required");
    REJECT(it, "{'schemaVersion':2,'manifests':null}", HV_E_MANIFEST_INVALID,
           "field manifests must be an array");
    REJECT(it, "{'schemaVersion':2,'manifests':[" OCI_CONFIG ",{}]}", HV_E_MANIFEST_INVALID,
           "field manifests[1].mediaType is required");
    REJECT(it, "{'schemaVersion':2,'manifests':[" OCI_CONFIG ",1]}", HV_E_MANIFEST_INVALID,
           "field manifests[1] must be a descriptor");
    REJECT(it,
           hv_arena_printf(ctx.arena, "{'schemaVersion':2,'manifests':[%s'platform':'linux'}]}",
                           entry),
           HV_E_MANIFEST_INVALID, "field manifests[0].platform must be an object");
    REJECT(it,
           hv_arena_printf(ctx.arena,
                           "{'schemaVersion':2,'manifests':[%s'platform':{'os':'linux'}}]}", entry),
           HV_E_MANIFEST_INVALID, "field manifests[0].platform.architecture is required");
    REJECT(it,
           hv_arena_printf(ctx.arena,
                           "{'schemaVersion':2,'manifests':[%s'platform':{'architecture':'arm'}}]}",
                           entry),
           HV_E_MANIFEST_INVALID, "field manifests[0].platform.os is required");
    REJECT(it,
           hv_arena_printf(ctx.arena,
                           "{'schemaVersion':2,'manifests':[%s'platform':{'architecture':'arm',"
                           "'os':'linux','variant':7}}]}",
                           entry),
           HV_E_MANIFEST_INVALID, "field manifests[0].platform.variant must be a string");
    REJECT(it,
           hv_arena_printf(ctx.arena,
                           "{'schemaVersion':2,'manifests':[%s'platform':{'architecture':'arm',"
                           "'os':'linux','os.features':'x'}}]}",
                           entry),
           HV_E_MANIFEST_INVALID, "manifests[0].platform.os.features must be an array");
    REJECT(it, "{'schemaVersion':2,'manifests':[],'annotations':'x'}", HV_E_MANIFEST_INVALID,
           "field annotations must be an object");
    REJECT(it, "{'schemaVersion':2,'manifests':[],'artifactType':'bad type'}",
           HV_E_MANIFEST_INVALID, "field artifactType must be a media type");
    REJECT(it, "{'schemaVersion':2,'manifests':[],'subject':{}}", HV_E_MANIFEST_INVALID,
           "field subject.mediaType is required");
    /* one document must not read as both kinds */
    REJECT(it, "{'schemaVersion':2,'manifests':[],'config':" OCI_CONFIG "}", HV_E_MANIFEST_INVALID,
           "has a \"config\" field: an index cannot also be");
    REJECT(it, "{'schemaVersion':2,'manifests':[],'layers':[]}", HV_E_MANIFEST_INVALID,
           "has a \"layers\" field");
    /* inferred as an index because of "manifests", then refused for its "config" */
    REJECT(NULL, "{'schemaVersion':2,'manifests':[],'config':" OCI_CONFIG ",'layers':[]}",
           HV_E_MANIFEST_INVALID, "an index cannot also be an image manifest");
}

/* Sizes are the client's numbers up to INT64_MAX: their sum is refused when it would pass
 * INT64_MAX, never wrapped (and never an undefined signed overflow). */
#define MAX_SIZE "9223372036854775807"
#define LAYER_OF(size)                                                                             \
    "{'mediaType':'application/vnd.oci.image.layer.v1.tar+gzip','digest':'" D2 "','size':" size "}"
#define ENTRY_OF(size)                                                                             \
    "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" D3 "','size':" size "}"

static void test_size_sums(void) {
    const char *mt = HV_MT_OCI_MANIFEST;
    hv_oci_manifest m;

    setup();
    REJECT(mt, "{'schemaVersion':2,'config':" OCI_CONFIG ",'layers':[" LAYER_OF(MAX_SIZE) "]}",
           HV_E_MANIFEST_INVALID, "config and layers add up to more than 9223372036854775807");
    REJECT(mt,
           "{'schemaVersion':2,'config':" OCI_CONFIG
           ",'layers':[" LAYER_OF("1") "," LAYER_OF(MAX_SIZE) "]}",
           HV_E_MANIFEST_INVALID, "a descriptor's size is wrong");
    REJECT(HV_MT_OCI_INDEX,
           "{'schemaVersion':2,'manifests':[" ENTRY_OF(MAX_SIZE) "," ENTRY_OF(MAX_SIZE) "]}",
           HV_E_MANIFEST_INVALID, "entries add up to more than");
    /* one size at the limit passes it once the body's own length is added */
    REJECT(mt,
           "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'" D1 "','size':" MAX_SIZE
           "},'layers':[]}",
           HV_E_MANIFEST_INVALID, "add up to more than");
    CHECK_INT(parse(&m, HV_MT_OCI_INDEX, "{'schemaVersion':2,'manifests':[" ENTRY_OF("1") "]}"),
              HV_OK);
    CHECK_INT(parse(&m, mt,
                    "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'" D1
                    "','size':9223372036854775000},'layers':[]}"),
              HV_OK);
    CHECK(m.total_size > 9223372036854775000 && m.total_size <= INT64_MAX);
    CHECK_INT(parse(&m, mt,
                    "{'schemaVersion':2,'config':{'mediaType':'a/b','digest':'" D1
                    "','size':9223372036854775800},'layers':[]}"),
              HV_E_MANIFEST_INVALID);
}

static void test_too_large(void) {
    hv_oci_manifest m;
    size_t n = HV_OCI_MANIFEST_MAX + 1;
    char *big = malloc(n);

    setup();
    memset(big, ' ', n);
    CHECK_INT(hv_oci_manifest_parse(&m, &ctx, HV_MT_OCI_MANIFEST, big, n), HV_E_TOO_LARGE);
    CHECK(strstr(ctx.err.message, "over the limit") != NULL);
    CHECK_INT(hv_err_lookup(ctx.err.code)->http_status, 413);
    /* at the limit it is read (and here refused for what it is) */
    hv_error_clear(&ctx);
    CHECK_INT(hv_oci_manifest_parse(&m, &ctx, HV_MT_OCI_MANIFEST, big, n - 1),
              HV_E_MANIFEST_INVALID);
    free(big);
}

static void test_predicates(void) {
    CHECK(hv_oci_media_type_is_manifest(HV_MT_OCI_MANIFEST));
    CHECK(hv_oci_media_type_is_manifest(HV_MT_OCI_INDEX));
    CHECK(hv_oci_media_type_is_manifest(HV_MT_DOCKER_MANIFEST));
    CHECK(hv_oci_media_type_is_manifest(HV_MT_DOCKER_LIST));
    CHECK(hv_oci_media_type_is_manifest(HV_MT_OCI_MANIFEST "; charset=utf-8"));
    CHECK(!hv_oci_media_type_is_manifest(HV_MT_DOCKER_V1_SIGNED));
    CHECK(!hv_oci_media_type_is_manifest(HV_MT_OCI_CONFIG));
    CHECK(!hv_oci_media_type_is_manifest("application/json"));
    CHECK(!hv_oci_media_type_is_manifest(""));
    CHECK(!hv_oci_media_type_is_manifest(NULL));
    CHECK(hv_oci_media_type_is_index(HV_MT_OCI_INDEX));
    CHECK(hv_oci_media_type_is_index(HV_MT_DOCKER_LIST));
    CHECK(!hv_oci_media_type_is_index(HV_MT_OCI_MANIFEST));
    CHECK(!hv_oci_media_type_is_index(HV_MT_DOCKER_MANIFEST));
    CHECK(!hv_oci_media_type_is_index(NULL));
}

static void test_accepts(void) {
    const char *docker_client =
        HV_MT_DOCKER_MANIFEST ", " HV_MT_DOCKER_LIST ", " HV_MT_OCI_INDEX ", " HV_MT_OCI_MANIFEST;

    CHECK(hv_oci_accepts(NULL, HV_MT_OCI_MANIFEST));
    CHECK(hv_oci_accepts("", HV_MT_OCI_MANIFEST));
    CHECK(hv_oci_accepts(" , ", HV_MT_OCI_MANIFEST));
    CHECK(hv_oci_accepts(docker_client, HV_MT_OCI_MANIFEST));
    CHECK(hv_oci_accepts(docker_client, HV_MT_DOCKER_LIST));
    CHECK(hv_oci_accepts(HV_MT_DOCKER_MANIFEST, HV_MT_DOCKER_MANIFEST));
    CHECK(!hv_oci_accepts(HV_MT_DOCKER_MANIFEST, HV_MT_OCI_INDEX));
    CHECK(!hv_oci_accepts(HV_MT_DOCKER_MANIFEST ", " HV_MT_DOCKER_LIST, HV_MT_OCI_MANIFEST));
    CHECK(hv_oci_accepts("*/*", HV_MT_OCI_INDEX));
    CHECK(hv_oci_accepts("text/html, */*;q=0.8", HV_MT_OCI_INDEX));
    CHECK(hv_oci_accepts("application/*", HV_MT_OCI_INDEX));
    CHECK(!hv_oci_accepts("text/*", HV_MT_OCI_INDEX));
    CHECK(!hv_oci_accepts("application", HV_MT_OCI_INDEX));
    CHECK(hv_oci_accepts("application/json;q=0.9," HV_MT_OCI_INDEX ";q=0.5", HV_MT_OCI_INDEX));
    CHECK(hv_oci_accepts("\t" HV_MT_OCI_INDEX " ; q=1 ,", HV_MT_OCI_INDEX));
    CHECK(hv_oci_accepts("APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON", HV_MT_OCI_INDEX));
    /* a prefix or an extension of the type is another type */
    CHECK(!hv_oci_accepts("application/vnd.oci.image.index.v1", HV_MT_OCI_INDEX));
    CHECK(!hv_oci_accepts(HV_MT_OCI_INDEX "x", HV_MT_OCI_INDEX));
    CHECK(!hv_oci_accepts("application/json", HV_MT_OCI_INDEX));
}

static void teardown(void) {
    hv_arena_free(ctx.arena);
    ctx.arena = NULL;
}

TEST_MAIN(test_oci_manifest, test_oci_index, test_docker, test_subject_and_artifact_type,
          test_media_type_resolution, test_schema1, test_document_rejections, test_image_rejections,
          test_index_rejections, test_size_sums, test_too_large, test_predicates, test_accepts,
          teardown)
