/*
 * AWS Signature Version 4 against the examples AWS publishes with the S3 API reference
 * ("Signature Calculations for the Authorization Header: Transferring Payload in a Single
 * Chunk" and "Authenticating Requests: Using Query Parameters"): the same keys, requests and
 * times must give the same signatures.  Also the percent-encoding the signatures rest on.
 */
#include "net/net.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static const hv_net_sigv4 keys = {
    .access_key = "AKIAIOSFODNN7EXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    .region = "us-east-1",
    .service = "s3",
};

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CREDENTIAL                                                                                 \
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"

static void test_get_object(void) {
    hv_arena *a = hv_arena_new();
    /* any case and order: the signer lower-cases, trims and sorts */
    const char *headers[] = {"X-Amz-Date: 20130524T000000Z", "Range:  bytes=0-9 ",
                             "Host: examplebucket.s3.amazonaws.com",
                             "x-amz-content-sha256: " EMPTY_SHA256};

    CHECK_STR(hv_net_sigv4_authorization(a, &keys, "GET", "/test.txt", "", headers, 4, EMPTY_SHA256,
                                         "20130524T000000Z"),
              CREDENTIAL
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    hv_arena_free(a);
}

static void test_put_object(void) {
    hv_arena *a = hv_arena_new();
    const char *body = "Welcome to Amazon S3.";
    char digest[HV_DIGEST_MAX];
    const char *headers[] = {"Host: examplebucket.s3.amazonaws.com",
                             "Date: Fri, 24 May 2013 00:00:00 GMT", "x-amz-date: 20130524T000000Z",
                             "x-amz-storage-class: REDUCED_REDUNDANCY",
                             "x-amz-content-sha256: "
                             "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"};

    hv_sha256_digest(digest, body, strlen(body));
    CHECK_STR(digest + 7, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    CHECK_STR(
        hv_net_sigv4_authorization(a, &keys, "PUT", hv_net_uri_encode(a, "/test$file.text", false),
                                   "", headers, 5, digest + 7, "20130524T000000Z"),
        CREDENTIAL "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                   "x-amz-storage-class,"
                   "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    hv_arena_free(a);
}

static void test_query(void) {
    hv_arena *a = hv_arena_new();
    const char *headers[] = {"Host: examplebucket.s3.amazonaws.com", "x-amz-date: 20130524T000000Z",
                             "x-amz-content-sha256: " EMPTY_SHA256};

    /* GET Bucket lifecycle: a parameter without a value */
    CHECK_STR(hv_net_sigv4_authorization(a, &keys, "GET", "/", "lifecycle=", headers, 3,
                                         EMPTY_SHA256, "20130524T000000Z"),
              CREDENTIAL
              "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
              "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    /* GET Bucket (list objects) */
    CHECK_STR(hv_net_sigv4_authorization(a, &keys, "GET", "/", "max-keys=2&prefix=J", headers, 3,
                                         EMPTY_SHA256, "20130524T000000Z"),
              CREDENTIAL
              "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
              "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    hv_arena_free(a);
}

static void test_presign(void) {
    hv_arena *a = hv_arena_new();

    CHECK_STR(hv_net_sigv4_presign(a, &keys, "GET", "examplebucket.s3.amazonaws.com", "/test.txt",
                                   "", "20130524T000000Z", 86400),
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
              "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
              "X-Amz-SignedHeaders=host&X-Amz-Signature="
              "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    hv_arena_free(a);
}

static void test_uri_encode_and_date(void) {
    hv_arena *a = hv_arena_new();
    char date[17];

    CHECK_STR(hv_net_uri_encode(a, "a/b c~d_e.f-g+h=%", false), "a/b%20c~d_e.f-g%2Bh%3D%25");
    CHECK_STR(hv_net_uri_encode(a, "a/b", true), "a%2Fb");
    hv_net_amz_date(date, 1369353600); /* 2013-05-24 00:00:00 UTC */
    CHECK_STR(date, "20130524T000000Z");
    hv_arena_free(a);
}

TEST_MAIN(test_get_object, test_put_object, test_query, test_presign, test_uri_encode_and_date)
