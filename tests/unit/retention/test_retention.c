/*
 * retention: checking policies (Harbor's validation rules and the normalised form) and
 * evaluating them on a repository's artifacts (templates, selectors, untagged, labels,
 * immutable artifacts, disabled rules, the union of rules).
 */
#include "retention/retention.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

#define DAY (24LL * 3600 * 1000)
#define NOW (1000 * DAY)

static hv_ctx ctx;

static void reset(void) {
    hv_arena_free(ctx.arena);
    memset(&ctx, 0, sizeof(ctx));
    ctx.arena = hv_arena_new();
}

/* Checks a policy given as JSON text; *text gets the normalised form. */
static hv_err check(const char **text, const char *json) {
    int64_t project_id = 0;
    json_t *body = json_loads(json, 0, NULL);
    const char *ignored;
    hv_err rc;

    reset();
    rc = hv_retention_policy_check(text ? text : &ignored, &project_id, &ctx, body);
    json_decref(body);
    if (rc == HV_OK)
        CHECK_INT(project_id, 7);
    return rc;
}

/* A policy of one project (ref 7) with the given rules (JSON list text). */
static char *policy(const char *rules) {
    size_t n = strlen(rules) + 200;
    char *s = malloc(n);

    snprintf(s, n,
             "{\"algorithm\":\"or\",\"rules\":%s,\"trigger\":{\"kind\":\"Schedule\","
             "\"settings\":{\"cron\":\"\"}},\"scope\":{\"level\":\"project\",\"ref\":7}}",
             rules);
    return s;
}

#define RULE(template, params, tags, repos)                                                        \
    "{\"action\":\"retain\",\"template\":\"" template "\",\"params\":" params                      \
                                                      ",\"tag_selectors\":[" tags                  \
                                                      "],\"scope_selectors\":{\"repository\":"     \
                                                      "[" repos "]}}"
#define TAGS(decoration, pattern)                                                                  \
    "{\"kind\":\"doublestar\",\"decoration\":\"" decoration "\",\"pattern\":\"" pattern "\"}"
#define REPOS(decoration, pattern)                                                                 \
    "{\"kind\":\"doublestar\",\"decoration\":\"" decoration "\",\"pattern\":\"" pattern "\"}"
#define ALL_TAGS  TAGS("matches", "**")
#define ALL_REPOS REPOS("repoMatches", "**")

static hv_err check_rules(const char **text, const char *rules) {
    char *p = policy(rules);
    hv_err rc = check(text, p);

    free(p);
    return rc;
}

static void test_check_accepts_harbors_policy(void) {
    const char *text;

    /* Harbor's portal sends numbers as they are, the id 0, and extras as a JSON string */
    CHECK_INT(
        check(&text,
              "{\"algorithm\":\"or\",\"rules\":[{\"id\":0,\"priority\":1,\"disabled\":false,"
              "\"action\":\"retain\",\"template\":\"latestPushedK\",\"params\":"
              "{\"latestPushedK\":10},\"tag_selectors\":[{\"kind\":\"doublestar\","
              "\"decoration\":\"matches\",\"pattern\":\"**\",\"extras\":"
              "\"{\\\"untagged\\\":true}\"}],\"scope_selectors\":{\"repository\":[{"
              "\"kind\":\"doublestar\",\"decoration\":\"repoMatches\",\"pattern\":\"**\"}]}}],"
              "\"trigger\":{\"kind\":\"Schedule\",\"settings\":{\"cron\":\"0 0 0 * * *\"},"
              "\"references\":{}},\"scope\":{\"level\":\"project\",\"ref\":7}}"),
        HV_OK);
    CHECK(strstr(text, "\"latestPushedK\":10") != NULL);
    CHECK(strstr(text, "\"cron\":\"0 0 0 * * *\"") != NULL);
    /* the same rule once more, but as 10.0 and without extras: a complete selector */
    CHECK_INT(check_rules(&text, "[" RULE("latestPushedK", "{\"latestPushedK\":10.0}", ALL_TAGS,
                                          ALL_REPOS) "]"),
              HV_OK);
    CHECK(strstr(text, "\"extras\":\"\"") != NULL);
    CHECK_INT(check_rules(NULL, "[" RULE("always", "{}", ALL_TAGS, ALL_REPOS) "]"), HV_OK);
    CHECK_INT(check_rules(NULL, "[]"), HV_OK);
}

static void test_check_refuses_what_harbor_refuses(void) {
    char rules[8192];

    CHECK_INT(check(NULL, "[]"), HV_E_BAD_REQUEST);
    CHECK_INT(check(NULL, "{\"algorithm\":\"and\",\"rules\":[],\"trigger\":{\"kind\":\"Schedule\","
                          "\"settings\":{\"cron\":\"\"}},\"scope\":{\"level\":\"project\","
                          "\"ref\":7}}"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check(NULL, "{\"algorithm\":\"or\",\"rules\":[],\"trigger\":{\"kind\":\"Schedule\","
                          "\"settings\":{}},\"scope\":{\"level\":\"project\",\"ref\":7}}"),
              HV_E_BAD_REQUEST); /* no cron key */
    CHECK_INT(check(NULL, "{\"algorithm\":\"or\",\"rules\":[],\"trigger\":{\"kind\":\"Schedule\","
                          "\"settings\":{\"cron\":\"\"}},\"scope\":{\"level\":\"system\","
                          "\"ref\":7}}"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("latestPushedK", "{\"latestPushedK\":-1}", ALL_TAGS,
                                         ALL_REPOS) "]"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("latestPushedK", "{\"latestPushedK\":32767}", ALL_TAGS,
                                         ALL_REPOS) "]"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("latestPushedK", "{\"latestPushedK\":1.5}", ALL_TAGS,
                                         ALL_REPOS) "]"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("latestPushedK", "{}", ALL_TAGS, ALL_REPOS) "]"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("nothing", "{}", ALL_TAGS, ALL_REPOS) "]"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("always", "{}", TAGS("repoMatches", "**"), ALL_REPOS) "]"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("always", "{}", ALL_TAGS, REPOS("matches", "**")) "]"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("always", "{}", TAGS("matches", "[a-"), ALL_REPOS) "]"),
              HV_E_BAD_REQUEST);
    CHECK_INT(check_rules(NULL, "[" RULE("always", "{}", , ALL_REPOS) "]"), HV_E_BAD_REQUEST);
    /* the same rule twice; 16 rules */
    CHECK_INT(check_rules(NULL, "[" RULE("always", "{}", ALL_TAGS, ALL_REPOS) "," RULE(
                                    "always", "{}", ALL_TAGS, ALL_REPOS) "]"),
              HV_E_CONFLICT);
    size_t len = (size_t)snprintf(rules, sizeof(rules), "[");
    for (int i = 0; i < 16; i++)
        len += (size_t)snprintf(
            rules + len, sizeof(rules) - len,
            "%s" RULE("latestPushedK", "{\"latestPushedK\":%d}", ALL_TAGS, ALL_REPOS), i ? "," : "",
            i);
    snprintf(rules + len, sizeof(rules) - len, "]");
    CHECK_INT(check_rules(NULL, rules), HV_E_BAD_REQUEST);
}

/* ---------------------------------------------------------------- evaluation */

typedef struct art {
    const char *digest;
    const char *tags[3];
    const char *labels[2];
    int64_t push_days_ago, pull_days_ago; /* pull: -1 never */
    bool immutable;
} art;

/* Evaluates rules (JSON list) on arts in repository "app"; verdicts into out. */
static void evaluate(hv_retention_verdict *out, const char *rules, const art *arts, size_t n) {
    char *p = policy(rules);
    hv_retention_candidate c[16];
    const char *text;

    CHECK_INT(check(&text, p), HV_OK);
    free(p);
    for (size_t i = 0; i < n; i++) {
        size_t nt = 0, nl = 0;

        while (nt < 3 && arts[i].tags[nt])
            nt++;
        while (nl < 2 && arts[i].labels[nl])
            nl++;
        c[i] = (hv_retention_candidate){
            .digest = arts[i].digest,
            .tags = arts[i].tags,
            .n_tags = nt,
            .labels = arts[i].labels,
            .n_labels = nl,
            .push_time = NOW - arts[i].push_days_ago * DAY,
            .pull_time = arts[i].pull_days_ago < 0 ? 0 : NOW - arts[i].pull_days_ago * DAY,
            .immutable = arts[i].immutable,
        };
    }
    CHECK_INT(hv_retention_evaluate(out, &ctx, text, "app", c, n, NOW), HV_OK);
}

#define R HV_RETENTION_RETAIN
#define D HV_RETENTION_DELETE
#define I HV_RETENTION_IMMUTABLE
#define U HV_RETENTION_UNTOUCHED

static void check_verdicts(const hv_retention_verdict *got, const hv_retention_verdict *want,
                           size_t n) {
    for (size_t i = 0; i < n; i++)
        CHECK_INT(got[i], want[i]);
}

static const art five[] = {
    {"sha256:a", {"v1"}, {NULL}, 50, 1, false},
    {"sha256:b", {"v2"}, {"prod"}, 40, -1, false},
    {"sha256:c", {"v3", "latest"}, {NULL}, 30, 20, false},
    {"sha256:d", {NULL}, {NULL}, 20, -1, false}, /* untagged */
    {"sha256:e", {"dev-1"}, {"prod", "qa"}, 10, 5, true},
};

static void test_latest_pushed_and_pulled(void) {
    hv_retention_verdict v[5];

    evaluate(v, "[" RULE("latestPushedK", "{\"latestPushedK\":2}", ALL_TAGS, ALL_REPOS) "]", five,
             5);
    check_verdicts(v, (hv_retention_verdict[]){D, D, D, R, R}, 5);
    evaluate(v, "[" RULE("latestPulledN", "{\"latestPulledN\":2}", ALL_TAGS, ALL_REPOS) "]", five,
             5);
    check_verdicts(v, (hv_retention_verdict[]){R, D, D, D, R}, 5);
    evaluate(v, "[" RULE("latestPushedK", "{\"latestPushedK\":0}", ALL_TAGS, ALL_REPOS) "]", five,
             5);
    check_verdicts(v, (hv_retention_verdict[]){D, D, D, D, I}, 5); /* e is immutable */
}

static void test_days(void) {
    hv_retention_verdict v[5];

    evaluate(v,
             "[" RULE("nDaysSinceLastPush", "{\"nDaysSinceLastPush\":30}", ALL_TAGS, ALL_REPOS) "]",
             five, 5);
    check_verdicts(v, (hv_retention_verdict[]){D, D, R, R, R}, 5);
    /* never pulled is not "pulled within" */
    evaluate(v,
             "[" RULE("nDaysSinceLastPull", "{\"nDaysSinceLastPull\":10}", ALL_TAGS, ALL_REPOS) "]",
             five, 5);
    check_verdicts(v, (hv_retention_verdict[]){R, D, D, D, R}, 5);
}

static void test_selectors(void) {
    hv_retention_verdict v[5];

    /* matches v*: untagged d selected (default untagged true), dev-1 not; always keeps */
    evaluate(v, "[" RULE("always", "{}", TAGS("matches", "v*"), ALL_REPOS) "]", five, 5);
    check_verdicts(v, (hv_retention_verdict[]){R, R, R, R, I}, 5);
    evaluate(v,
             "[" RULE("always", "{}",
                      "{\"kind\":\"doublestar\",\"decoration\":\"matches\",\"pattern\":\"v*\","
                      "\"extras\":\"{\\\"untagged\\\":false}\"}",
                      ALL_REPOS) "]",
             five, 5);
    check_verdicts(v, (hv_retention_verdict[]){R, R, R, D, I}, 5);
    /* excludes latest: c has v3 too, which is not "latest", so it is selected */
    evaluate(v, "[" RULE("always", "{}", TAGS("excludes", "v[12]"), ALL_REPOS) "]", five, 5);
    check_verdicts(v, (hv_retention_verdict[]){D, D, R, D, R}, 5);
    /* labels */
    evaluate(v,
             "[" RULE("always", "{}",
                      "{\"kind\":\"label\",\"decoration\":\"withLabels\",\"pattern\":\"prod\"}",
                      ALL_REPOS) "]",
             five, 5);
    check_verdicts(v, (hv_retention_verdict[]){D, R, D, D, R}, 5);
    evaluate(v,
             "[" RULE("always", "{}",
                      "{\"kind\":\"label\",\"decoration\":\"withoutLabels\",\"pattern\":\"prod, "
                      "qa\"}",
                      ALL_REPOS) "]",
             five, 5);
    check_verdicts(v, (hv_retention_verdict[]){R, D, R, R, I}, 5);
}

static void test_repositories_and_union(void) {
    hv_retention_verdict v[5];

    /* a rule for other repositories leaves this one untouched */
    evaluate(v, "[" RULE("always", "{}", ALL_TAGS, REPOS("repoMatches", "other/**")) "]", five, 5);
    check_verdicts(v, (hv_retention_verdict[]){U, U, U, U, U}, 5);
    evaluate(v,
             "[" RULE("latestPushedK", "{\"latestPushedK\":1}", ALL_TAGS,
                      REPOS("repoExcludes", "app")) "]",
             five, 5);
    check_verdicts(v, (hv_retention_verdict[]){U, U, U, U, U}, 5);
    /* the union: newest one, plus every v1 */
    evaluate(v,
             "[" RULE("latestPushedK", "{\"latestPushedK\":1}", ALL_TAGS, ALL_REPOS) "," RULE(
                 "always", "{}", TAGS("matches", "v1"), REPOS("repoMatches", "a*")) "]",
             five, 5);
    check_verdicts(v, (hv_retention_verdict[]){R, D, D, R, R}, 5);
    /* a disabled rule keeps nothing and applies to nothing */
    evaluate(v,
             "[{\"disabled\":true,\"action\":\"retain\",\"template\":\"always\",\"params\":{},"
             "\"tag_selectors\":[" ALL_TAGS "],\"scope_selectors\":{\"repository\":[" ALL_REPOS
             "]}}]",
             five, 5);
    check_verdicts(v, (hv_retention_verdict[]){U, U, U, U, U}, 5);
}

static void test_ties_are_stable(void) {
    const art same[] = {
        {"sha256:c", {"a"}, {NULL}, 5, -1, false},
        {"sha256:a", {"b"}, {NULL}, 5, -1, false},
        {"sha256:b", {"c"}, {NULL}, 5, -1, false},
    };
    hv_retention_verdict v[3];

    evaluate(v, "[" RULE("latestPushedK", "{\"latestPushedK\":1}", ALL_TAGS, ALL_REPOS) "]", same,
             3);
    check_verdicts(v, (hv_retention_verdict[]){D, R, D}, 3);
}

TEST_MAIN(test_check_accepts_harbors_policy, test_check_refuses_what_harbor_refuses,
          test_latest_pushed_and_pulled, test_days, test_selectors, test_repositories_and_union,
          test_ties_are_stable)
